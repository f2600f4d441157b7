"""Claim a device's rewards under the active root, with its leaves and proofs from a rewards JSON.

    ape run claim --rewards .build/rewards/ethereum-local/rewards-epoch-24.json --device 0x<id>
    ape run claim --rewards rewards.json --all --account me --network ethereum:sepolia:node
    ape run claim --rewards rewards.json --device 0x<id> --settle   # settle slashes, no claim

Anyone may claim for any device: the owner's part goes to the device's reward wallet, each
co-staker's part to that co-staker. A device's slashes are settled first, oldest first
(`settle_slash` of each slash leaf that has something to do, previewed by `preview_settle_slash`):
each slash holds what its parties had not claimed at it while it can be appealed, pays that hold
back if it is overturned and forfeits it to the pool if it is finalized. Then each reward leaf is
previewed (`preview_claim`: what it would pay, or why it would revert) and claimed. `--settle`
only settles the slashes and pays no ordinary rewards.
"""

import click
from ape import networks, project
from ape.cli import ConnectedProviderCommand
from ape.exceptions import ContractLogicError

from ionet.chain.accounts import pick_account
from ionet.chain.rewards_ops import claim_from_file, previews, settle_from_file
from ionet.engines.rewards import read_claims
from ionet.manifest import Manifest, manifest_path


def _party(e) -> str:
    return "owner" if int(e.party, 16) == 0 else f"co-staker {e.party}"


def describe(receipt) -> list[str]:
    """What a claim or a settle_slash did, one line per event."""
    out = []
    for e in receipt.events:
        if e.event_name == "RewardsClaimed":
            co = f", {e.co_staker_amount} wei to co-staker {e.co_staker}" if e.co_staker_amount else ""
            out.append(f"paid {e.owner_amount} wei to {e.owner_wallet}{co}")
        elif e.event_name == "RewardsHeld":
            held = f"{e.amount} wei of its rewards held (appeal window)"
            out.append(f"slash #{e.slash_id} applied to the {_party(e)}: {held}")
        elif e.event_name == "RewardsReleased":
            out.append(f"{e.amount} wei held by slash #{e.slash_id} released to {e.paid_to} (slash overturned)")
        elif e.event_name == "RewardsForfeited":
            out.append(
                f"{e.amount} wei of the {_party(e)}'s rewards forfeited to the pool (slash #{e.slash_id} finalized)"
            )
    return out


@click.command(cls=ConnectedProviderCommand)
@click.option("--rewards", "rewards_file", required=True, help="rewards JSON written by publish_root")
@click.option("--device", "devices", multiple=True, help="device id (0x + 64 hex); repeatable")
@click.option("--all", "claim_all", is_flag=True, help="claim for every device in the file")
@click.option("--settle", is_flag=True, help="settle_slash instead of claim (no ordinary rewards paid)")
@click.option("--account", "account_alias", default=None, help="ape account alias (local default: test account 0)")
def cli(rewards_file, devices, claim_all, settle, account_alias):
    net = networks.provider.network
    sender = pick_account(account_alias, net.name == "local")
    m = Manifest.from_json(manifest_path(net.ecosystem.name, net.name).read_text())
    dist = project.RewardsDistributor.at(m.contracts["RewardsDistributor"].address)
    data = read_claims(rewards_file)
    targets = list(data["claims"]) if claim_all else list(devices)
    if not targets:
        raise SystemExit("name a --device or pass --all")
    for d in targets:
        device = bytes.fromhex(d.removeprefix("0x"))
        try:
            receipts = (settle_from_file if settle else claim_from_file)(dist, data, device, sender)
        except ContractLogicError as e:  # a transaction that reverted after its preview passed
            click.echo(f"{d}: reverted: {e.message}")
            continue
        if not settle:
            for leaf, _proof, p in previews(dist, data, device):
                if p.reason and p.reason != "RewardsDistributor: nothing to claim":
                    click.echo(f"{d} (co-staker {leaf.co_staker}): no claim: {p.reason}")
        if not receipts:
            click.echo(f"{d}: nothing done (not in the active root, or nothing due)")
        for receipt in receipts:
            for line in describe(receipt):
                click.echo(f"{d}: {line}")

"""Claim a device's rewards under the active root, with its proof from a rewards JSON.

    ape run claim --rewards .build/rewards/ethereum-local/rewards-epoch-24.json --device 0x<id>
    ape run claim --rewards rewards.json --all --account me --network ethereum:sepolia:node

Anyone may claim for any device: the IO goes to the device's reward wallet and its co-staker.
"""

import click
from ape import networks, project
from ape.cli import ConnectedProviderCommand

from ionet.chain.accounts import pick_account
from ionet.chain.rewards_ops import claim_from_file
from ionet.manifest import Manifest, manifest_path
from ionet.rewards import read_claims


@click.command(cls=ConnectedProviderCommand)
@click.option("--rewards", "rewards_file", required=True, help="rewards JSON written by publish_root")
@click.option("--device", "devices", multiple=True, help="device id (0x + 64 hex); repeatable")
@click.option("--all", "claim_all", is_flag=True, help="claim for every device in the file")
@click.option(
    "--account", "account_alias", default=None, help="ape account alias (local default: test account 0)"
)
def cli(rewards_file, devices, claim_all, account_alias):
    net = networks.provider.network
    sender = pick_account(account_alias, net.name == "local")
    m = Manifest.from_json(manifest_path(net.ecosystem.name, net.name).read_text())
    dist = project.RewardsDistributor.at(m.contracts["RewardsDistributor"].address)
    data = read_claims(rewards_file)
    targets = list(data["claims"]) if claim_all else list(devices)
    if not targets:
        raise SystemExit("name a --device or pass --all")
    for d in targets:
        receipt = claim_from_file(dist, data, bytes.fromhex(d.removeprefix("0x")), sender)
        if receipt is None:
            click.echo(f"{d}: nothing to claim (not in the active root, or already claimed)")
            continue
        for e in receipt.events:
            if e.event_name == "RewardsClaimed":
                click.echo(
                    f"{d}: paid {e.owner_amount} wei to {e.owner_wallet}, {e.co_staker_amount} wei to "
                    f"co-staker {e.co_staker}"
                )
            elif e.event_name == "RewardsForfeited":
                click.echo(f"{d}: {e.amount} wei forfeited to the pool (device slashed at {e.slashed_at})")

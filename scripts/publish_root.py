"""The reward oracle: compute rewards up to the last completed epoch and publish the root.

    ape run publish_root                                   # local chain, oracle = test account 1
    ape run publish_root --network ethereum:sepolia:node --account oracle
    ape run publish_root --devices devices.json            # device data from a file, not the chain
    ape run publish_root --slashes slashes.json            # slashes from a file, not Slashed events
    ape run publish_root --activate-only                   # just activate a pending root that is due

Reads the deployment manifest, keeps the engine's state (owner and co-staker cumulatives per
device, each device's latest slash with its checkpoints, the last block scanned for Slashed
events) in <out>/state.json between runs ("ionet-rewards-engine-v2"; a v1 state is refused:
rebuild it from epoch 0), writes <out>/rewards-epoch-<n>.json ("ionet-rewards-v2": root, total,
every leaf with its proof).
"""

from pathlib import Path

import click
from ape import chain, networks, project
from ape.cli import ConnectedProviderCommand

from ionet.chain.accounts import pick_account
from ionet.chain.rewards_ops import oracle_round
from ionet.engines.rewards import RewardsEngine, devices_from_file, slashes_from_file
from ionet.manifest import ROOT, Manifest, manifest_path


def contracts(net):
    path = manifest_path(net.ecosystem.name, net.name)
    m = Manifest.from_json(path.read_text())
    at = {k: m.contracts[k].address for k in ("RewardsDistributor", "EmissionSchedule", "NodeStaking")}
    return (
        project.RewardsDistributor.at(at["RewardsDistributor"]),
        project.EmissionSchedule.at(at["EmissionSchedule"]),
        project.NodeStaking.at(at["NodeStaking"]),
    )


@click.command(cls=ConnectedProviderCommand)
@click.option("--account", "account_alias", default=None, help="ape account alias of the oracle (local: TEST::1)")
@click.option("--devices", "devices_file", default=None, help="device data file (default: read from NodeStaking)")
@click.option("--out", "out_dir", default=None, help="where state and rewards JSON go (default .build/rewards/<net>)")
@click.option("--through-epoch", type=int, default=None, help="last epoch to include (default: last completed)")
@click.option("--slashes", "slashes_file", default=None, help="slash list file (default: NodeStaking's Slashed events)")
@click.option("--no-recycle", is_flag=True, help="do not give forfeited rewards out again")
@click.option("--activate-only", is_flag=True, help="only activate a pending root whose delay has passed")
def cli(account_alias, devices_file, out_dir, through_epoch, slashes_file, no_recycle, activate_only):
    net = networks.provider.network
    is_local = net.name == "local"
    oracle = pick_account(account_alias or ("TEST::1" if is_local else None), is_local)
    dist, sched, staking = contracts(net)
    if activate_only:
        p = dist.pending()
        if p.root == b"\x00" * 32:
            raise SystemExit("no pending root")
        due = p.published_at + dist.ACTIVATION_DELAY_SECONDS()
        now = chain.blocks.head.timestamp
        if now < due:
            raise SystemExit(f"root #{p.root_id} can be activated in {due - now:,} s (at {due})")
        dist.activate_root(sender=oracle)
        click.echo(f"root #{p.root_id} 0x{bytes(p.root).hex()} is active")
        return
    out = Path(out_dir) if out_dir else ROOT / ".build" / "rewards" / f"{net.ecosystem.name}-{net.name}"
    out.mkdir(parents=True, exist_ok=True)
    state = out / "state.json"
    engine = RewardsEngine.load(state) if state.exists() else RewardsEngine(start_time=sched.START_TIME())
    devices = devices_from_file(devices_file) if devices_file else None
    r = oracle_round(
        dist,
        sched,
        staking,
        engine,
        oracle,
        out,
        devices=devices,
        through_epoch=through_epoch,
        recycle=not no_recycle,
        slashes=slashes_from_file(slashes_file) if slashes_file else None,
    )
    engine.save(state)
    click.echo(
        f"root #{r.root_id} 0x{r.tree.root.hex()}: {len(r.tree.devices):,} devices "
        f"({len(r.tree.leaves):,} leaves, {r.new_slashes} new slashes), "
        f"total {r.tree.total} wei, "
        f"through epoch {r.tree.through_epoch} (recycled {r.recycled} wei of forfeits)"
    )
    click.echo(
        f"proofs: {r.path}; activation after {dist.ACTIVATION_DELAY_SECONDS():,} s "
        f"(`ape run publish_root --activate-only`)"
    )

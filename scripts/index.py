"""Rebuild the suite's state from its events into a SQLite file (incremental, reorg-safe).

    ape run index                                       # the local manifest, .build/index-ethereum-local.sqlite
    ape run index --manifest deployments/ethereum-sepolia.json --db sepolia.sqlite --network ethereum:sepolia:...
    ape run index --follow [--interval 2] [--confirmations 12]   # keep following the head until Ctrl-C

Without ape: `python -m ionet.serve.indexer --rpc URL --manifest PATH --db PATH [--follow]` does the same with
web3.py. Reorganisations are rolled back and re-indexed (ionet/serve/indexer.py, docs/indexer.md).
"""

import time
from pathlib import Path

import click
from ape import chain, networks
from ape.cli import ConnectedProviderCommand
from rich.progress import BarColumn, Progress, TextColumn

from ionet.manifest import Manifest, manifest_path
from ionet.serve.indexer import DEFAULT_UNDO_BLOCKS, Indexer, stop_on_signals


@click.command(cls=ConnectedProviderCommand)
@click.option("--manifest", "manifest_file", default=None, help="deployment manifest (default: this network's)")
@click.option("--db", "db_file", default=None, help="SQLite file (default: next to the manifest)")
@click.option("--chunk", default=2_000, help="blocks per eth_getLogs call")
@click.option("--confirmations", default=None, type=int,
              help="blocks below the head left unindexed (default 0 on a local chain, 12 elsewhere)")
@click.option("--undo-blocks", default=DEFAULT_UNDO_BLOCKS, help="blocks below the head kept for a rollback")
@click.option("--follow", is_flag=True, help="keep polling the head until Ctrl-C / SIGTERM")
@click.option("--interval", default=2.0, help="seconds between polls with --follow")
def cli(manifest_file, db_file, chunk, confirmations, undo_blocks, follow, interval):
    net = networks.provider.network
    path = Path(manifest_file) if manifest_file else manifest_path(net.ecosystem.name, net.name)
    manifest = Manifest.from_json(path.read_text())
    db = Path(db_file) if db_file else path.with_name(f"index-{net.ecosystem.name}-{net.name}.sqlite")
    idx = Indexer(chain.provider.web3, manifest, db, confirmations=confirmations, undo_blocks=undo_blocks)
    if follow:
        stop = stop_on_signals()
        click.echo(f"following from block {idx.last_block() + 1:,} ({idx.confirmations} confirmations, every "
                   f"{interval:g} s; Ctrl-C stops) into {db}")
        started = time.monotonic()
        n = idx.follow(interval=interval, chunk=chunk,
                       progress=lambda b, h, e: click.echo(f"block {b:,}/{h:,}  +{e:,} events"),
                       log=click.echo, stop=stop)
        click.echo(f"stopped: {n:,} events in {time.monotonic() - started:.0f} s, through block "
                   f"{idx.last_block():,}")
        idx.close()
        return
    with Progress(
        TextColumn("indexing"),
        BarColumn(),
        TextColumn("block {task.completed:,}/{task.total:,}"),
        TextColumn("{task.fields[events]:,} events"),
    ) as bar:
        task = bar.add_task("index", total=chain.blocks.head.number, completed=max(idx.last_block(), 0), events=0)
        n = idx.sync(chunk=chunk, progress=lambda b, h, e: bar.update(task, completed=b, total=h, events=e))
    for r in idx.reorgs:
        click.echo(f"reorg: blocks {r.fork + 1:,}..{r.last:,} rolled back ({r.events:,} events)")
    click.echo(f"indexed {n:,} new events through block {idx.last_block():,} into {db}")
    for (table,) in idx.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                              "('meta', 'blocks', 'undo_log', 'undo_ctx')"):
        rows = idx.query(f"SELECT COUNT(*) FROM {table}")[0][0]
        click.echo(f"  {table:<20} {rows:>8,} rows")
    idx.close()

"""Rebuild the suite's state from its events into a SQLite file (incremental).

    ape run index                                       # the local manifest, .build/index-ethereum-local.sqlite
    ape run index --manifest deployments/ethereum-sepolia.json --db sepolia.sqlite --network ethereum:sepolia:...

Without ape: `python -m ionet.indexer --rpc URL --manifest PATH --db PATH` does the same with web3.py.
"""

from pathlib import Path

import click
from ape import chain, networks
from ape.cli import ConnectedProviderCommand
from rich.progress import BarColumn, Progress, TextColumn

from ionet.indexer import Indexer
from ionet.manifest import Manifest, manifest_path


@click.command(cls=ConnectedProviderCommand)
@click.option("--manifest", "manifest_file", default=None, help="deployment manifest (default: this network's)")
@click.option("--db", "db_file", default=None, help="SQLite file (default: next to the manifest)")
@click.option("--chunk", default=2_000, help="blocks per eth_getLogs call")
def cli(manifest_file, db_file, chunk):
    net = networks.provider.network
    path = Path(manifest_file) if manifest_file else manifest_path(net.ecosystem.name, net.name)
    manifest = Manifest.from_json(path.read_text())
    db = Path(db_file) if db_file else path.with_name(f"index-{net.ecosystem.name}-{net.name}.sqlite")
    idx = Indexer(chain.provider.web3, manifest, db)
    with Progress(
        TextColumn("indexing"),
        BarColumn(),
        TextColumn("block {task.completed:,}/{task.total:,}"),
        TextColumn("{task.fields[events]:,} events"),
    ) as bar:
        task = bar.add_task("index", total=chain.blocks.head.number, completed=max(idx.last_block(), 0), events=0)
        n = idx.sync(chunk=chunk, progress=lambda b, h, e: bar.update(task, completed=b, total=h, events=e))
    click.echo(f"indexed {n:,} new events through block {idx.last_block():,} into {db}")
    for (table,) in idx.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta')"):
        rows = idx.query(f"SELECT COUNT(*) FROM {table}")[0][0]
        click.echo(f"  {table:<20} {rows:>8,} rows")
    idx.close()

"""Serve the network's HTTP API (ionet/serve/api.py) for a deployment: index its events, load its
rewards files into the proof store, then run uvicorn on loopback.

    ape run serve                                   # the local manifest, port 8700
    ape run serve --manifest deployments/ethereum-sepolia.json --network ethereum:sepolia:... --port 9000
    ape run serve --workers 2 --no-index            # serve what is indexed already

Without ape: `python -m ionet.serve.api serve --manifest M --index I --proofs P --rpc URL`.
Files (defaults next to the manifest): index-<eco>-<net>.sqlite (the indexer's), proofs-<eco>-<net>.sqlite
(the proof store); rewards JSON from .build/rewards/<eco>-<net>/rewards-epoch-*.json (publish_root's).
"""

import os
from pathlib import Path

import click
from ape import chain, networks
from ape.cli import ConnectedProviderCommand

from ionet.manifest import ROOT, Manifest, manifest_path
from ionet.serve.api import ENV, app_from_env
from ionet.serve.indexer import Indexer
from ionet.serve.proofs import ProofStore


@click.command(cls=ConnectedProviderCommand)
@click.option("--manifest", "manifest_file", default=None, help="deployment manifest (default: this network's)")
@click.option("--db", "db_file", default=None, help="the indexer's SQLite (default: next to the manifest)")
@click.option("--proofs", "proofs_file", default=None, help="the proof store's SQLite (default: next to the manifest)")
@click.option("--rewards", "rewards_dir", default=None, help="folder of rewards-epoch-*.json to load")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8700)
@click.option("--workers", default=1, help="uvicorn worker processes")
@click.option("--no-index", is_flag=True, help="do not index new events before serving")
def cli(manifest_file, db_file, proofs_file, rewards_dir, host, port, workers, no_index):
    import uvicorn

    net = networks.provider.network
    tag = f"{net.ecosystem.name}-{net.name}"
    path = Path(manifest_file) if manifest_file else manifest_path(net.ecosystem.name, net.name)
    manifest = Manifest.from_json(path.read_text())
    db = Path(db_file) if db_file else path.with_name(f"index-{tag}.sqlite")
    proofs = Path(proofs_file) if proofs_file else path.with_name(f"proofs-{tag}.sqlite")
    if not no_index:
        idx = Indexer(chain.provider.web3, manifest, db)
        n = idx.sync()
        click.echo(f"indexed {n:,} new events through block {idx.last_block():,} into {db}")
        idx.close()
    store = ProofStore(proofs)
    folder = Path(rewards_dir) if rewards_dir else ROOT / ".build" / "rewards" / tag
    for f in sorted(folder.glob("rewards-epoch-*.json")):
        store.add_json(f)
    click.echo(f"proof store {proofs}: {len(store.roots())} roots")
    store.close()
    os.environ[ENV["manifest"]] = str(path.resolve())
    os.environ[ENV["index"]] = str(db.resolve())
    os.environ[ENV["proofs"]] = str(proofs.resolve())
    os.environ[ENV["rpc"]] = chain.provider.web3.provider.endpoint_uri
    app_from_env()  # refuses here when the RPC's chain id is not the manifest's
    click.echo(f"serving http://{host}:{port}/v1/status ({workers} worker(s)); Ctrl-C stops")
    uvicorn.run(
        "ionet.serve.api:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        app_dir=str(ROOT),  # the workers import the app from this checkout (ape run drops its path again)
    )

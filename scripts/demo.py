"""Run the IO economy on a local Anvil: deploy everything, then each area's story in time order.

    ape run demo
"""

import importlib

import click
from ape import networks
from ape.cli import ConnectedProviderCommand

from ionet.chain.accounts import pick_account
from ionet.chain.economy import Economy
from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.manifest import manifest_path, write_manifest

# One timeline: each section starts where the previous one left the chain.
SECTIONS = [
    "_demo_supply",
    "_demo_staking",
    "_demo_router",
    "_demo_market",
    "_demo_rewards",
    "_demo_vesting",
    "_demo_ide",  # the switch to USD targets; before governance, while the deployer holds the admin roles
    "_demo_governance",  # last: hands the deployer's powers to the Safes and the timelock
]


@click.command(cls=ConnectedProviderCommand)
def cli():
    net = networks.provider.network
    if net.name != "local":
        raise SystemExit("the demo moves time: run it on a local chain")
    deployer = pick_account(None, True)
    eco_console = Economy.__dataclass_fields__["console"].default_factory()
    eco_console.rule("[bold]Deploying the IO network suite")
    suite = deploy_suite(deployer, load_config("local"), log=eco_console.print)
    write_manifest(suite.manifest, manifest_path("ethereum", "local"))
    eco = Economy(suite=suite, console=eco_console)
    for name in SECTIONS:
        importlib.import_module(f"scripts.{name}").run(eco)
    eco.console.rule("[bold green]demo finished")
    _dashboard(suite, eco.console)


def _dashboard(suite, console):
    """The dashboard's address; with DEMO_SERVE=1 the demo's chain indexed, the API and the page served
    on 127.0.0.1:DEMO_SERVE_PORT (default 8700) until Ctrl-C (the local Anvil lives as long as this run)."""
    import os

    port = int(os.environ.get("DEMO_SERVE_PORT", "8700"))
    url = f"http://127.0.0.1:{port}/"
    if os.environ.get("DEMO_SERVE") != "1":
        console.print(f"dashboard: `DEMO_SERVE=1 make demo` leaves it serving at {url} (the API under {url}v1/)")
        return
    import uvicorn
    from ape import chain

    from ionet.manifest import ROOT
    from ionet.serve.api import create_app
    from ionet.serve.indexer import Indexer
    from ionet.serve.proofs import ProofStore

    folder = ROOT / ".build" / "demo-serve"
    folder.mkdir(parents=True, exist_ok=True)
    index, proofs = folder / "index.sqlite", folder / "proofs.sqlite"
    for f in (index, proofs):  # a fresh chain each demo: never an index of an earlier one
        f.unlink(missing_ok=True)
    idx = Indexer(chain.provider.web3, suite.manifest, index)
    n = idx.sync()
    idx.close()
    store = ProofStore(proofs)  # empty: the demo's rewards files are temporary (proofs: `ape run serve`)
    app = create_app(suite.manifest, index, store, chain.provider.web3)
    console.print(f"indexed {n:,} events; [bold]dashboard: {url}[/bold] (the API under {url}v1/); Ctrl-C stops")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)

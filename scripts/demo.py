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

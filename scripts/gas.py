"""Measure gas per operation on a fresh local deployment and write benchmarks/gas.md.

    ape run gas
"""

import importlib

import click
from ape import networks
from ape.cli import ConnectedProviderCommand

from benchmarks.gasbench import OUT, run_all
from ionet.chain.accounts import pick_account
from ionet.chain.economy import Economy
from ionet.chain.suite import deploy_suite
from ionet.config import load_config

BENCHES = [
    "bench_token",
    "bench_vesting",
    "bench_staking",
    "bench_rewards",
    "bench_router",
    "bench_governance",
    "bench_market",
    "bench_ide",
]


@click.command(cls=ConnectedProviderCommand)
def cli():
    if networks.provider.network.name != "local":
        raise SystemExit("gas benchmarks run on a local chain")
    suite = deploy_suite(pick_account(None, True), load_config("local"))
    eco = Economy(suite=suite)
    modules = [importlib.import_module(f"benchmarks.{b}").measure for b in BENCHES]
    rows = run_all(eco, modules)
    click.echo(OUT.read_text())
    missed = [r for r in rows if r.ok is False]
    if missed:
        click.echo(f"{len(missed)} gas goals missed", err=True)

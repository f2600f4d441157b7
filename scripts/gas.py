"""Measure gas per operation on a fresh local deployment and write benchmarks/gas.md.

    ape run gas
    GAS_ONLY=bench_ide ape run gas     # one or more benches (comma-separated), printed, gas.md untouched
"""

import importlib
import os

import click
from ape import networks
from ape.cli import ConnectedProviderCommand

from benchmarks.gasbench import OUT, render, run_all
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
    only = [b for b in os.environ.get("GAS_ONLY", "").split(",") if b]
    modules = [importlib.import_module(f"benchmarks.{b}").measure for b in (only or BENCHES)]
    if only:
        rows = [row for measure in modules for row in measure(eco)]
        click.echo(render(rows))
    else:
        rows = run_all(eco, modules)
        click.echo(OUT.read_text())
    missed = [r for r in rows if r.ok is False]
    if missed:
        click.echo(f"{len(missed)} gas goals missed", err=True)

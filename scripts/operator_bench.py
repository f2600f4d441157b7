"""`ape run operator_bench`: one hourly operator cycle at 10,000 open bookings on the local Anvil:
gas per booking-hour and wall time, written to benchmarks/operator_hour.md (benchmarks/bench_operator_hour.py).

    ape run operator_bench                          # 10,000 bookings
    ape run operator_bench --bookings 500 --out -   # smaller, print only
"""

import time
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand

from benchmarks.bench_operator_hour import OUT, measure, set_up, table
from ionet.chain.accounts import pick_account
from ionet.chain.anvil import lean_anvil
from ionet.chain.suite import deploy_suite
from ionet.config import load_config

lean_anvil()  # before ape starts Anvil: no steps tracing, no states on disk (the tests' Anvil)


@click.command(cls=ConnectedProviderCommand)
@click.option("--bookings", default=10_000, show_default=True, help="open bookings (one device each)")
@click.option("--out", default=str(OUT), show_default=True, help="the table's file ('-': print only)")
def cli(bookings: int, out: str) -> None:
    t = time.perf_counter()
    click.echo(f"deploying the suite and setting up {bookings:,} open bookings ...")
    suite = deploy_suite(pick_account(None, True), load_config("local"))
    net, ids, hour = set_up(suite, bookings, click.echo)
    setup_s = time.perf_counter() - t
    click.echo(f"set-up done in {setup_s:.0f} s; one operator cycle for hour {hour} ...")
    r = measure(net, ids, hour)
    text = table(r, setup_s)
    click.echo(text)
    if out != "-":
        Path(out).write_text(text)
        click.echo(f"written to {out}")

"""Run the operator on a local Anvil for N simulated days (issue 19; ionet/service/run.py):
deploy the suite, stake the fleet simulator's devices, activate the IncentiveEngine, hand every
admin role to governance, then hour by hour move the clock, run the operator's cycle (one key per
role: operator, oracle, keeper) and the simulator's renters; end with the report.

    ape run operate                       # 30 days, 8 devices, governance
    ape run operate --days 2 --devices 4 --no-governance
    ape run operate --days 30 --kills 24         # `make chaos`: the operator as its own process, kill -9 24 times

The journal and the feed are in --workdir (default .build/operate/, emptied first: a new deployment), with
the structured log (operator.jsonl, one JSON object per line). While it runs, /health and /metrics
(Prometheus) are served on --health-port (ionet/service/health.py).
On a live network the operator runs as its own process, one keystore account per role:
`python -m ionet.service.daemon --network ... --manifest ...` (docs/operator.md).
"""

import shutil
import time
from pathlib import Path

import click
from ape import networks
from ape.cli import ConnectedProviderCommand
from ape.logging import logger
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ionet.chain.accounts import pick_account
from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.manifest import manifest_path, write_manifest
from ionet.service.health import HealthServer, JsonLog
from ionet.service.run import LocalNetwork, report, role_keys


def _status(net: LocalNetwork, hour: int) -> Table:
    op = net.operator
    snap_engine = net.suite.IncentiveEngine
    t = Table(title="operator", title_justify="left")
    t.add_column("")
    t.add_column("", justify="right")
    rows = {
        "simulated hour": hour,
        "devices up": sum(d.up for d in net.sim.devices),
        "bookings (sim)": net.sim.stats.bookings,
        "last epoch stated / settled": f"{snap_engine.last_stated()} / {snap_engine.last_settled()}",
        "restarts": net.restarts,
    }
    if op is not None:
        rows.update(op.status())
        if op.health is not None:
            rows["lag behind the clock"] = f"{op.health.lag_seconds} s"
            rows["keys under the low-balance mark"] = ", ".join(op.health.low_balance) or "-"
        rows["transactions sent"] = op.executor.sent_count
        rows["failures"] = dict(op.executor.failures) or "-"
    for k, v in rows.items():
        t.add_row(k, str(v))
    return t


def _write_chaos(path: Path, days: int, devices: int, chaos, start_hour: int, problems: list[str], failed: int,
                 one_tx_each: bool) -> None:
    """benchmarks/chaos.md: what `make chaos` measured (each kill and its recovery) and found."""
    import os
    import platform

    rows = [f"| {h - start_hour} | {s:.2f} | {rec:.2f} |" for (h, s), rec in zip(chaos.kills, chaos.recoveries,
                                                                                 strict=True)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    worst, mean = max(chaos.recoveries), sum(chaos.recoveries) / len(chaos.recoveries)
    path.write_text("\n".join([
        "# The operator under kill -9",
        "",
        f"Written by `make chaos` on {platform.machine()} with {os.cpu_count()} cores (load average at the end: "
        f"{load}): {days} simulated days, {devices} devices, the operator as its own process "
        f"(ionet/service/daemon.py) killed with SIGKILL {len(chaos.kills)} times at random moments "
        f"(ionet/service/chaos.py); {chaos.hours} hours in {chaos.wall:.0f} s.",
        "",
        "| hour | kill, seconds after the clock moved | recovery: new process to in step (s) |",
        "|---:|---:|---:|",
        *rows,
        "",
        f"Recovery: max {worst:.2f} s, mean {mean:.2f} s (goal <= 10 s: {'met' if worst <= 10 else 'NOT met'}).",
        "",
        "After the run: " + ("every booking-hour recorded once, every epoch stated, settled and rooted once, "
                             "the root the rewards engine's" if not problems else "; ".join(problems))
        + f"; failed intents: {failed}; no intent sent as two transactions: {one_tx_each}.",
        "",
    ]))


@click.command(cls=ConnectedProviderCommand)
@click.option("--days", default=30, help="simulated days")
@click.option("--devices", default=8, help="devices in the fleet simulator")
@click.option("--seed", default=1)
@click.option("--governance/--no-governance", default=True, help="hand every admin role to the Safes and timelock")
@click.option("--workdir", default=".build/operate", help="journal and feed folder (emptied first)")
@click.option("--health-port", default=9464, help="port of /health and /metrics on 127.0.0.1 (0: any free port)")
@click.option("--kills", default=0, help="run the operator as its own process, killed with SIGKILL this many times")
def cli(days, devices, seed, governance, workdir, health_port, kills):
    net = networks.provider.network
    if net.name != "local":
        raise SystemExit("ape run operate drives a local chain (it moves the clock); live networks come next")
    console = Console(width=140)
    work = Path(workdir)
    shutil.rmtree(work, ignore_errors=True)
    cfg = load_config("local")
    signers = role_keys(seed)
    # the operational keys are the config's: governance keeps them (and revokes any other holder)
    cfg["settlement"]["operator"] = signers["operator"].address
    cfg["rewards"]["oracle"] = cfg["ide"]["oracle"] = signers["oracle"].address
    logger.set_level("WARNING")  # not a line per renter's transaction
    t0 = time.monotonic()
    console.rule("[bold]Deploying the suite")
    suite = deploy_suite(pick_account(None, True), cfg)
    write_manifest(suite.manifest, manifest_path("ethereum", "local"))
    work.mkdir(parents=True)
    log = JsonLog(str(work / "operator.jsonl"), stream=None, echo=console.print)
    local = LocalNetwork(suite, work, devices=devices, seed=seed, signers=signers, log=log)
    local.prepare(cfg["governance"] if governance else None)
    for role, signer in local.signers.items():
        console.print(f"{role:<9} key {signer.address}")
    console.print(f"deployed and prepared in {time.monotonic() - t0:.0f} s")
    server = HealthServer(lambda: local.operator.health if local.operator else None, port=health_port)
    console.print(f"health {server.url}/health, Prometheus metrics {server.url}/metrics, log {work / 'operator.jsonl'}")

    progress = Progress(
        TextColumn("[bold]day {task.fields[day]:>3}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} h"),
        TimeElapsedColumn(),
    )
    task = progress.add_task("hours", total=days * 24, day=0)
    with Live(Group(progress, _status(local, 0)), console=console, refresh_per_second=4) as live:

        def on_hour(h, n):
            progress.update(task, completed=min(h + 1, days * 24), day=h // 24)
            live.update(Group(progress, _status(n, h)))

        if kills:
            from ionet.service.chaos import run_daemon

            chaos = run_daemon(local, days, kills=kills, seed=seed, key_seed=seed, on_hour=on_hour)
        else:
            local.run(days, on_hour=on_hour)
    server.close()
    r = report(local)
    problems = r.problems(days)
    j = local.operator.journal
    one_tx_each = all(len(j.transactions(e.key)) <= 1 for e in j.entries())
    table = Table(title="report", title_justify="left")
    table.add_column("")
    table.add_column("", justify="right")
    for k, v in {
        "bookings": r.bookings,
        "booking-hours in the feed": r.booking_hours,
        "booking-hours recorded twice": len(r.recorded_twice),
        "bookings with hours unrecorded": len(r.unrecorded),
        "epochs stated (once each)": sum(1 for n in r.epochs_stated.values() if n == 1),
        "epochs settled (once each)": sum(1 for n in r.epochs_settled.values() if n == 1),
        "rewards root through epoch": r.rooted_through,
        "root == rewards engine == IO released": r.root_matches_model,
        "failed intents": len(r.failed),
        **(
            {
                "kill -9 (hour, seconds after the clock moved)": ", ".join(f"{h - local.start_hour} {s:.2f}"
                                                                          for h, s in chaos.kills),
                "recovery to in step: max / mean": f"{max(chaos.recoveries):.2f} s / "
                f"{sum(chaos.recoveries) / len(chaos.recoveries):.2f} s",
                "no intent sent as two transactions": one_tx_each,
            }
            if kills
            else {}
        ),
        "wall time": f"{time.monotonic() - t0:.0f} s",
    }.items():
        table.add_row(k, str(v))
    console.print(table)
    if kills:
        _write_chaos(Path("benchmarks/chaos.md"), days, devices, chaos, local.start_hour, problems, len(r.failed),
                     one_tx_each)
    for key, reason in r.failed:
        console.print(f"[yellow]failed[/] {key}: {reason}")
    for p in problems:
        console.print(f"[red]{p}")
    if problems:
        raise SystemExit(1)
    console.rule("[bold green]every booking-hour recorded once, every epoch stated, settled and rooted")

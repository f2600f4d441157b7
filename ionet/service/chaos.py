"""The operator daemon under `kill -9` (issue 19): the local network (ionet/service/run.py's
`LocalNetwork`: the suite, the fleet simulator, its renters) drives the clock hour by hour while the
operator runs as its own process (ionet/service/daemon.py) and is killed with SIGKILL at random
moments, then started again on the same journal and feed.

Each hour: the clock moves, then the harness waits until the daemon is in step (a cycle of the
current process that began at or after the move and found nothing to send), then the renters act.
In a kill hour the harness waits a random 0-`kill_window` seconds after the move (mostly inside the
daemon's cycle: signing, sending, writing the journal) and sends SIGKILL, starts a new process at
once and measures the recovery: from the new start to in step.

    net.run_daemon(days=30, kills=24, seed=1)   # `make chaos`; `make test` runs a bounded count
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionet.service.daemon import read_status


class DaemonDied(RuntimeError):
    pass


@dataclass
class Daemon:
    """`python -m ionet.service.daemon` as a child process on a local chain."""

    workdir: Path
    manifest: Path
    rpc: str
    seed: int
    poll: float = 0.2
    confirmations: int = 2
    proc: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> float:
        env = {**os.environ, "APE_FOUNDRY_HOST": self.rpc}
        cmd = [sys.executable, "-m", "ionet.service.daemon", "--manifest", str(self.manifest),
               "--feed", str(self.workdir / "feed.db"), "--workdir", str(self.workdir),
               "--local-keys", str(self.seed), "--poll", str(self.poll), "--confirmations", str(self.confirmations)]
        self.stderr = open(self.workdir / f"daemon-{self.starts}.stderr", "w")  # noqa: SIM115 (closed at stop)
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.starts += 1
        return time.monotonic()

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def tail(self, lines: int = 30) -> str:
        path = self.workdir / f"daemon-{self.starts - 1}.stderr"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def wait_in_step(self, chain_time: int, after: float, timeout: float = 90.0) -> None:
        """Until a cycle of the running process, begun on a block at or after `chain_time` and
        written after wall time `after`, sent nothing."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonDied(f"the operator daemon exited ({self.proc.returncode}):\n{self.tail()}")
            s = read_status(self.workdir)
            if (s and s["pid"] == self.proc.pid and s["chain_time"] >= chain_time and s["sent"] == 0
                    and s["at"] >= after):
                return
            time.sleep(0.02)
        raise TimeoutError(f"the operator daemon is not in step after {timeout} s:\n{self.tail()}")


@dataclass
class ChaosResult:
    kills: list[tuple[int, float]] = field(default_factory=list)  # (hour, seconds after the clock moved)
    recoveries: list[float] = field(default_factory=list)  # seconds from a new start to in step
    hours: int = 0
    wall: float = 0.0


def run_daemon(net: Any, days: int, kills: int = 0, seed: int = 0, key_seed: int = 0, drain_hours: int = 26,
               kill_window: float = 0.6, poll: float = 0.2, on_hour: Any = None) -> ChaosResult:
    """`net` (a prepared LocalNetwork whose role keys are `role_keys(key_seed)`) for `days` days with
    the operator as a daemon killed `kills` times at random hours; then a fresh in-process operator on
    the same journal (`net.operator`) for the report."""
    from ape import chain

    from ionet.manifest import write_manifest
    from ionet.service.run import role_keys

    if {r: s.address for r, s in role_keys(key_seed).items()} != {r: s.address for r, s in net.signers.items()}:
        raise ValueError("run_daemon: the network's role keys are not role_keys(key_seed)")
    manifest = write_manifest(net.suite.manifest, net.workdir / "manifest.json")
    d = Daemon(net.workdir, manifest, chain.provider.uri, key_seed, poll=poll, confirmations=net.confirmations)
    rng = random.Random(seed)
    first, last = net.start_hour, net.start_hour + days * 24
    kill_hours = set(rng.sample(range(first + 1, last), min(kills, last - first - 1)))
    result = ChaosResult()
    t0 = time.monotonic()
    d.start()
    try:
        for h in range(first, last + drain_hours):
            net.move_to(h)
            moved_at, moved_to = time.time(), net.hour_start(h)
            if h in kill_hours:
                delay = rng.uniform(0, kill_window)
                time.sleep(delay)
                d.kill()
                result.kills.append((h, delay))
                started = d.start()
                d.wait_in_step(moved_to, time.time())
                result.recoveries.append(time.monotonic() - started)
            else:
                d.wait_in_step(moved_to, moved_at)
            if h < last:
                net.renters_act(h)
            result.hours += 1
            if on_hour is not None:
                on_hour(h - first, net)
            if h >= last and net.rooted_through() >= days:
                break
        for _ in range(net.confirmations):  # the last transactions confirmed
            chain.mine()
        d.wait_in_step(net.hour_start(h), time.time())
    finally:
        d.stop()
    result.wall = time.monotonic() - t0
    op = net.start_operator()
    op.cycle()  # in step already: nothing to send (the report needs its rewards engine)
    return result

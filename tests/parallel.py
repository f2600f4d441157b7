"""Run the test suite as N `ape test` processes side by side, each on its own Anvil.

    python -m tests.parallel                 # what `make test` runs: 3 processes
    python -m tests.parallel --jobs 1        # one process, as plain `ape test tests`
    python -m tests.parallel --record        # also rewrite tests/durations.json from this run
    python -m tests.parallel -- -k staking   # anything after -- goes to every `ape test`

An `ape test` process spends about half its time waiting for Anvil's answers: with two processes a
fresh-clone run on a 2-core machine used half of the two cores (12.5 CPU minutes in 12.9 minutes).
Three processes keep both cores busy. Test files are split into groups of about equal duration (greedy, by
the per-file seconds in tests/durations.json; unknown files count 10 s); each group is one `ape test`
with its own Anvil port (APE_FOUNDRY_HOST), its own session fixtures and its own chain, so groups never
share state. Each group's output is printed as it comes, prefixed with its number; the exit code is
the worst of the groups'.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATIONS = ROOT / "tests" / "durations.json"
UNKNOWN_SECONDS = 10.0


def test_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py"))


def split(files: list[str], jobs: int, seconds: dict[str, float]) -> list[list[str]]:
    """Greedy longest-first partition into `jobs` groups of about equal total seconds."""
    groups: list[list[str]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for f in sorted(files, key=lambda f: -seconds.get(f, UNKNOWN_SECONDS)):
        i = load.index(min(load))
        groups[i].append(f)
        load[i] += seconds.get(f, UNKNOWN_SECONDS)
    return [sorted(g) for g in groups if g]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pump(n: int, proc: subprocess.Popen, lock: threading.Lock) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        with lock:
            sys.stdout.write(f"[{n}] {line}")
            sys.stdout.flush()


def _file_seconds(junit: Path) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "")
        path = "tests/" + "/".join(name.split(".")[1:]) + ".py" if name.startswith("tests.") else ""
        # classname is "tests.unit.test_x" or "tests.unit.test_x.TestClass"
        while path and not (ROOT / path).exists() and "/" in path:
            path = path.rsplit("/", 1)[0] + ".py"
        if path:
            out[path] += float(case.get("time", 0))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=int(os.environ.get("TEST_JOBS", 3)))
    p.add_argument("--record", action="store_true", help="rewrite tests/durations.json from this run")
    args = p.parse_args(argv)

    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    groups = split(test_files(), max(1, args.jobs), seconds)
    ape = str(Path(sys.executable).parent / "ape")
    lock = threading.Lock()
    procs: list[tuple[subprocess.Popen, threading.Thread, Path]] = []
    started = time.monotonic()
    for n, files in enumerate(groups, start=1):
        junit = ROOT / ".build" / f"junit-{n}.xml"
        junit.parent.mkdir(exist_ok=True)
        env = dict(os.environ, APE_FOUNDRY_HOST=f"http://127.0.0.1:{_free_port()}")
        est = sum(seconds.get(f, UNKNOWN_SECONDS) for f in files)
        print(f"[{n}] {len(files)} test files (about {est / 60:.1f} min)", flush=True)
        proc = subprocess.Popen(
            [ape, "test", *files, "-p", "no:cacheprovider", f"--junitxml={junit}", *extra],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        thread = threading.Thread(target=_pump, args=(n, proc, lock), daemon=True)
        thread.start()
        procs.append((proc, thread, junit))
    codes = []
    for proc, thread, _junit in procs:
        codes.append(proc.wait())
        thread.join()
    elapsed = time.monotonic() - started
    print(f"{len(groups)} groups finished in {elapsed / 60:.1f} min; exit codes {codes}")
    if args.record and all(j.exists() for _p, _t, j in procs):
        measured: dict[str, float] = {}
        for _p, _t, junit in procs:
            measured.update(_file_seconds(junit))
        DURATIONS.write_text(json.dumps({k: round(v, 1) for k, v in sorted(measured.items())}, indent=1) + "\n")
        print(f"wrote {DURATIONS.relative_to(ROOT)} ({len(measured)} files)")
    return max(codes) if codes else 0


if __name__ == "__main__":
    sys.exit(main())

"""Mutation testing of the contracts: does the test suite notice when the code is wrong?

    make mutate                                   # every contract, writes benchmarks/mutation.md
    python -m tools.mutate --contract NodeStaking --jobs 2
    python -m tools.mutate --list NodeStaking   # print the mutants, run nothing

For each contract, `generate` makes small mutants of every code line of every function body:

    comparison   `<` <-> `>=`, `>` <-> `<=`, `==` <-> `!=`, and the boundaries `<` -> `<=`, `>` -> `>=` ...
    boolean      `True` <-> `False`, `and` <-> `or`, `not x` -> `x`
    arithmetic   `+` <-> `-`, `*` <-> `//`, `+=` <-> `-=`, `unsafe_add` <-> `unsafe_sub`, `min` <-> `max`,
                 `<<` <-> `>>`, `&` <-> `|`
    constant     an integer literal n -> n + 1
    drop         an `assert`, a state update (`self.x = ...`, `self.x += ...`) or a `log` -> `pass`

(text inside string literals and comments is never touched; nor is a local's initial value that the
next statement overwrites, as Vyper's declare-then-unpack-a-tuple idiom requires: such a mutant could
never change anything). A mutant that does not compile is
invalid and not counted. Each valid mutant is written into a scratch copy of the project, compiled,
and judged with `-x` by that contract's own tests (`TESTS`) and then, by default, by the whole-economy
state machine (`ECONOMY`: every contract of the real deploy, derandomized, `--economy-examples 8`
examples of up to 150 steps; `--economy-examples 0` leaves it out): the mutant is killed when a test
fails, survives when all pass. Every hypothesis test runs derandomized, without a database and without
shrinking (`tools/mutate_pytest.py`): the same verdict on every run, and a kill costs no shrink.
Before a contract's mutants, its judges run once on the unmutated source (the baseline): a judge that
fails there would "kill" every mutant, so the run stops instead.

Results are kept per mutant in `benchmarks/mutation-results.json` (committed, with the judges that ran
and the sample's seed), so a later run extends them; `benchmarks/mutation.md` gets the score per
contract, its sample and judges, and every survivor, with the argument for it from
`benchmarks/mutation_equivalent.json` when it is argued equivalent (a mutation that cannot change
behaviour, e.g. a bound that no reachable input meets).

Long: minutes per contract and hours for all; it is not part of `make test`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "mutation.md"
RESULTS = ROOT / "benchmarks" / "mutation-results.json"
EQUIVALENT = ROOT / "benchmarks" / "mutation_equivalent.json"

# The judge every contract's mutants meet after their own tests: the whole economy on the real deploy.
ECONOMY = "tests/fuzz/test_economy_state_machine.py"
ECONOMY_EXAMPLES = 8  # derandomized examples of up to 150 steps (make test runs 32)
# Loaded into every judged test run: hypothesis derandomized, no database, no shrinking.
PYTEST_PLUGIN = "tools.mutate_pytest"
_LOCK = threading.Lock()  # the jobs share the results and the progress line

# Which tests judge each contract's mutants (the ones that exercise it, fastest first).
TESTS: dict[str, list[str]] = {
    "IOToken": ["tests/unit/test_token.py", "tests/fuzz/test_token_properties.py"],
    "EmissionSchedule": ["tests/unit/test_emission.py", "tests/fuzz/test_token_properties.py"],
    "VestingVault": [
        "tests/unit/test_vesting_vault.py",
        "tests/unit/test_vesting_boundaries.py",
        "tests/fuzz/test_vesting_properties.py",
        "tests/fuzz/test_vesting_state_machine.py",
    ],
    "NodeStaking": [
        "tests/unit/test_staking_stake.py",
        "tests/unit/test_staking_devices.py",
        "tests/unit/test_staking_slash.py",
        "tests/fuzz/test_staking_slash_properties.py",
        "tests/fuzz/test_staking_machine.py",
    ],
    "IOPriceOracle": ["tests/unit/test_price_oracle.py", "tests/fuzz/test_market_properties.py"],
    "IncentiveEngine": [
        "tests/unit/test_incentive_engine.py",
        "tests/unit/test_incentive_engine_setup.py",
        "tests/unit/test_incentive_engine_market.py",
        "tests/fuzz/test_ide_differential.py",
    ],
    "FeeVaultDesk": [
        "tests/unit/test_incentive_engine_market.py",
        "tests/unit/test_incentive_engine.py",
        "tests/unit/test_incentive_engine_setup.py",
        "tests/fuzz/test_ide_differential.py",
    ],
    "RewardsDistributor": [
        "tests/unit/test_rewards_distributor.py",
        "tests/unit/test_rewards_slash.py",
        "tests/fuzz/test_rewards_properties.py",
        "tests/integration/test_rewards_flow.py",
    ],
    "SettlementRouter": [
        "tests/unit/test_router_booking.py",
        "tests/unit/test_router_records.py",
        "tests/unit/test_router_withdraw.py",
        "tests/fuzz/test_router_properties.py",
        "tests/fuzz/test_router_state_machine.py",
        "tests/unit/test_router_market.py",
        "tests/unit/test_market_desk.py",
    ],
    "MarketDesk": [
        "tests/unit/test_router_market.py",
        "tests/unit/test_market_desk.py",
        "tests/fuzz/test_market_properties.py",
    ],
}

_CMP = {"<": [">=", "<="], ">": ["<=", ">="], "<=": [">", "<"], ">=": ["<", ">"], "==": ["!="], "!=": ["=="]}
_ARITH = {"+": ["-"], "-": ["+"], "*": ["//"], "//": ["*"], "<<": [">>"], ">>": ["<<"], "&": ["|"], "|": ["&"]}
_AUG = {"+=": "-=", "-=": "+=", "*=": "//=", "//=": "*=", "|=": "&=", "&=": "|="}
_CALLS = {
    "unsafe_add": "unsafe_sub",
    "unsafe_sub": "unsafe_add",
    "unsafe_mul": "unsafe_div",
    "unsafe_div": "unsafe_mul",
    "min": "max",
    "max": "min",
}
_BINOP = re.compile(r"(?<=[\w)\]\s])\s(<=|>=|==|!=|<<|>>|//|<|>|\+|-|\*|&|\|)\s(?=[\w(\[~-])")
_AUGOP = re.compile(r"\s(\+=|-=|\*=|//=|\|=|&=)\s")
_INT = re.compile(r"(?<![\w.])(\d[\d_]*)(?![\w.])")
_CALL = re.compile(r"(?<![\w.])(unsafe_add|unsafe_sub|unsafe_mul|unsafe_div|min|max)\(")
_BOOL = re.compile(r"(?<![\w.])(True|False)(?![\w])")
_LOGIC = re.compile(r"\s(and|or)\s")
_NOT = re.compile(r"(?<![\w.])not\s+")


@dataclass(frozen=True)
class Mutant:
    contract: str
    line: int  # 1-based
    operator: str
    original: str  # the whole source line
    mutated: str  # what replaces it ("pass" keeps the indentation)

    @property
    def key(self) -> str:
        h = hashlib.sha1(f"{self.contract}:{self.line}:{self.mutated}".encode()).hexdigest()[:10]
        return f"{self.contract}:{self.line}:{h}"

    def apply(self, source: str) -> str:
        lines = source.split("\n")
        assert lines[self.line - 1] == self.original, "source changed since the mutant was made"
        lines[self.line - 1] = self.mutated
        return "\n".join(lines)


def _mask(code: str) -> str:
    """The line with string literal contents replaced by '_' (same length), so operators inside
    reason strings are never mutated."""
    out, quote = [], ""
    for ch in code:
        if quote:
            out.append(ch if ch == quote else "_")
            if ch == quote:
                quote = ""
        else:
            if ch in "\"'":
                quote = ch
            out.append(ch)
    return "".join(out)


def _code_part(line: str) -> str:
    """The line without its trailing comment (a '#' outside string literals)."""
    masked = _mask(line)
    i = masked.find("#")
    return line if i < 0 else line[:i]


def body_lines(source: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) of every code line inside a function body: no docstrings,
    comments, decorators, signatures or declarations."""
    in_def = False
    in_doc = False
    in_sig = False
    for n, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if in_doc:
            if stripped.count('"""') % 2 == 1:
                in_doc = False
            continue
        if not stripped:
            continue
        if not line[0].isspace():  # column 0: a new top-level item
            in_def = stripped.startswith("def ")
            in_sig = in_def and not _code_part(stripped).rstrip().endswith(":")
            continue
        if in_sig:  # a signature spread over several lines
            in_sig = not _code_part(stripped).rstrip().endswith(":")
            continue
        if not in_def:
            continue
        if stripped.startswith('"""'):
            if stripped.count('"""') % 2 == 1:
                in_doc = True
            continue
        if stripped.startswith("#"):
            continue
        yield n, line


def _replace_at(line: str, start: int, end: int, new: str) -> str:
    return line[:start] + new + line[end:]


def mutate_line(contract: str, n: int, line: str, next_line: str = "") -> list[Mutant]:
    code = _code_part(line)
    masked = _mask(code)
    indent = line[: len(line) - len(line.lstrip())]
    stripped = code.strip()
    out: list[Mutant] = []

    def add(op: str, new_line: str) -> None:
        if new_line != line:
            out.append(Mutant(contract, n, op, line, new_line))

    continued = code.rstrip().endswith("\\") or next_line.startswith(indent + " ") and not stripped.endswith(":")
    single = not continued and stripped.count("(") == stripped.count(")")
    if single and stripped.startswith("assert "):
        add("drop assert", indent + "pass")
    if single and re.match(r"self\.[\w\[\]\.\(\), ]+\s(=|\+=|-=|\|=|&=)\s", stripped):
        add("drop state update", indent + "pass")
    if single and stripped.startswith("log "):
        add("drop log", indent + "pass")
    for m in _BINOP.finditer(masked):
        op = m.group(1)
        table = _CMP if op in _CMP else _ARITH
        for new in table.get(op, []):
            add(
                f"{'comparison' if op in _CMP else 'arithmetic'} {op} -> {new}",
                _replace_at(line, m.start(1), m.end(1), new),
            )
    for m in _AUGOP.finditer(masked):
        add(f"arithmetic {m.group(1)} -> {_AUG[m.group(1)]}", _replace_at(line, m.start(1), m.end(1), _AUG[m.group(1)]))
    for m in _CALL.finditer(masked):
        add(
            f"arithmetic {m.group(1)} -> {_CALLS[m.group(1)]}",
            _replace_at(line, m.start(1), m.end(1), _CALLS[m.group(1)]),
        )
    for m in _BOOL.finditer(masked):
        new = "False" if m.group(1) == "True" else "True"
        add(f"boolean {m.group(1)} -> {new}", _replace_at(line, m.start(1), m.end(1), new))
    for m in _LOGIC.finditer(masked):
        new = "or" if m.group(1) == "and" else "and"
        add(f"boolean {m.group(1)} -> {new}", _replace_at(line, m.start(1), m.end(1), new))
    for m in _NOT.finditer(masked):
        add("boolean not x -> x", _replace_at(line, m.start(), m.end(), ""))
    for m in _INT.finditer(masked):
        value = int(m.group(1).replace("_", ""))
        add(f"constant {value} -> {value + 1}", _replace_at(line, m.start(1), m.end(1), str(value + 1)))
    return out


_DECLARATION = re.compile(r"^\s*(\w+): [\w\[\], ]+ = (0|False|True|empty\(\w+\))\s*$")
_TUPLE_ASSIGNMENT = re.compile(r"^\s*(\w+(?:\s*,\s*\w+)+)\s*=[^=]")


def dead_initializer(lines: list[str], n: int) -> bool:
    """Whether line `n` (1-based) only declares a local whose value the next statement overwrites:
    Vyper makes a tuple's targets be declared first (`a: uint256 = 0`, `b: bool = False`, then
    `a, b = f()`), so mutating that initial value can never change anything. Such mutants are not
    generated (they would all be equivalent)."""
    m = _DECLARATION.match(lines[n - 1])
    if m is None:
        return False
    for line in lines[n:]:
        if _DECLARATION.match(line):
            continue  # another declaration of the same tuple
        t = _TUPLE_ASSIGNMENT.match(line)
        return t is not None and m.group(1) in [x.strip() for x in t.group(1).split(",")]
    return False


def generate(contract: str, source: str | None = None) -> list[Mutant]:
    """Every mutant of `contracts/<contract>.vy` (or of `source`)."""
    text = source if source is not None else (ROOT / "contracts" / f"{contract}.vy").read_text()
    lines = text.split("\n")
    mutants: list[Mutant] = []
    for n, line in body_lines(text):
        if dead_initializer(lines, n):
            continue
        nxt = lines[n] if n < len(lines) else ""
        mutants += mutate_line(contract, n, line, nxt)
    seen: set[tuple[int, str]] = set()
    unique = []
    for m in mutants:
        if (m.line, m.mutated) not in seen:
            seen.add((m.line, m.mutated))
            unique.append(m)
    return unique


# ---------------------------------------------------------------- running
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scratch_copy() -> Path:
    """A copy of the tracked project (plus the built environment by symlink) to mutate in."""
    dest = Path(tempfile.mkdtemp(prefix="ionet-mutate-"))
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in files.decode().split("\0"):
        if not rel or not (ROOT / rel).exists():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    for link in (".venv", "node_modules"):
        os.symlink(ROOT / link, dest / link)
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ape"), "compile", "--force"],
        cwd=dest,
        env=_env(dest),
        capture_output=True,
        check=True,
    )
    return dest


def _env(workdir: Path, port: int = 0) -> dict[str, str]:
    venv_bin = ROOT / ".venv" / "bin"
    return dict(
        os.environ,
        PATH=f"{venv_bin}:{ROOT / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}",
        PYTHONPATH=str(workdir),
        APE_DATA_FOLDER=str(workdir / ".ape-data"),
        APE_FOUNDRY_HOST=f"http://127.0.0.1:{port or _free_port()}",
        PYTHONWARNINGS="ignore:::pydantic_settings.sources.utils",
    )


@dataclass(frozen=True)
class Judges:
    """What judges a contract's mutants: its own tests, then (economy_examples > 0) the economy
    state machine with that many derandomized examples."""

    economy_examples: int = ECONOMY_EXAMPLES

    def label(self) -> str:
        return f"own + economy ({self.economy_examples} examples)" if self.economy_examples else "own"

    def command(self, contract: str) -> tuple[list[str], dict[str, str]]:
        """The test files (own first: most mutants die there, before the slower economy) and the
        environment the run needs."""
        files = list(TESTS[contract])
        extra: dict[str, str] = {}
        if self.economy_examples:
            files.append(ECONOMY)
            extra["IONET_ECONOMY_EXAMPLES"] = str(self.economy_examples)
        return files, extra


def _judge(workdir: Path, contract: str, judges: Judges, timeout: int, port: int) -> subprocess.CompletedProcess:
    files, extra = judges.command(contract)
    return subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "ape"),
            "test",
            *files,
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            PYTEST_PLUGIN,
        ],
        cwd=workdir,
        env={**_env(workdir, port), **extra},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def killed_by(output: str) -> str:
    """The first failing test of a judged run's output (pytest's short summary: `FAILED <id> - ...`
    or `ERROR <id> - ...`), without its parameters' ids; "" when the output names none."""
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            test = line.split(" ", 1)[1].split(" - ", 1)[0].strip()
            return test.split("[", 1)[0]
    return ""


def baseline(workdir: Path, contract: str, judges: Judges, timeout: int, port: int = 0) -> float:
    """Runs the judges on the unmutated source; raises when they fail (every mutant would count as
    killed). Returns the seconds they took."""
    t0 = time.monotonic()
    proc = _judge(workdir, contract, judges, timeout, port)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise SystemExit(f"{contract}: the judges ({judges.label()}) fail on the unmutated source:\n{tail}")
    return time.monotonic() - t0


def run_mutant(
    workdir: Path, mutant: Mutant, original: str, timeout: int, judges: Judges | None = None, port: int = 0
) -> tuple[str, float] | tuple[str, float, str]:
    """'killed', 'survived', 'invalid' (does not compile) or 'timeout', the seconds it took, and for a
    kill the test that failed first."""
    judges = judges or Judges()
    path = workdir / "contracts" / f"{mutant.contract}.vy"
    t0 = time.monotonic()
    path.write_text(mutant.apply(original))
    env = _env(workdir, port)
    ape = str(ROOT / ".venv" / "bin" / "ape")
    try:
        # Only this source changed: compiling it alone is safe (the stale-bytecode trap of ape 0.8.51
        # needs two changed sources) and takes ~2 s instead of ~10 s for the whole project.
        built = subprocess.run(
            [ape, "compile", f"contracts/{mutant.contract}.vy", "--force"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if built.returncode != 0 or "ERROR" in built.stdout + built.stderr:
            return "invalid", time.monotonic() - t0
        try:
            proc = _judge(workdir, mutant.contract, judges, timeout, port)
        except subprocess.TimeoutExpired:
            return "timeout", time.monotonic() - t0
        if proc.returncode == 0:
            return "survived", time.monotonic() - t0
        return "killed", time.monotonic() - t0, killed_by(proc.stdout)
    finally:
        path.write_text(original)  # the next mutant recompiles this contract anyway


def sample(mutants: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """A seeded random sample of `n` mutants (all of them when there are fewer), in source order:
    the first `n` of a seeded shuffle, so the same seed picks the same mutants on every machine and a
    larger `n` extends a smaller one (the results already saved are reused)."""
    if n <= 0 or n >= len(mutants):
        return list(mutants)
    order = list(range(len(mutants)))
    random.Random(f"{seed}:{mutants[0].contract}").shuffle(order)
    picked = set(order[:n])
    return [m for i, m in enumerate(mutants) if i in picked]


def run_contract(
    contract: str,
    jobs: int,
    timeout: int,
    results: dict[str, dict],
    limit: int = 0,
    sample_size: int = 0,
    seed: int = 1,
    judges: Judges | None = None,
    port: int = 0,
    check_baseline: bool = True,
) -> None:
    """Runs the mutants of `contract` not in `results` yet (a seeded sample of them with
    `sample_size`), `jobs` at a time, each job in its own scratch copy (job i on `port` + i, or a
    free port); every result is saved as it comes."""
    judges = judges or Judges()
    original = (ROOT / "contracts" / f"{contract}.vy").read_text()
    mutants = [m for m in sample(generate(contract, original), sample_size, seed) if m.key not in results]
    if limit:
        mutants = mutants[:limit]
    print(f"{contract}: {len(mutants)} mutants to run ({jobs} at a time), judged by {judges.label()}", flush=True)
    if not mutants:
        return
    copies = [_scratch_copy() for _ in range(jobs)]
    done = 0
    try:
        if check_baseline:
            secs = baseline(copies[0], contract, judges, timeout, port)
            print(f"  baseline: the judges pass on the unmutated source ({secs:.0f} s)", flush=True)

        def work(i: int) -> None:
            nonlocal done
            workdir = copies[i]
            for mutant in mutants[i::jobs]:
                status, secs, *by = run_mutant(workdir, mutant, original, timeout, judges, port + i if port else 0)
                result = {
                    **asdict(mutant),
                    "status": status,
                    "seconds": round(secs, 1),
                    "judges": judges.label(),
                    "seed": seed if sample_size else None,
                }
                if by and by[0]:
                    result["killed_by"] = by[0]
                with _LOCK:
                    results[mutant.key] = result
                    done += 1
                    print(
                        f"  [{done}/{len(mutants)}] {status:8} {contract}:{mutant.line} {mutant.operator}", flush=True
                    )
                    save(results)

        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(work, range(jobs)))
    finally:
        for c in copies:
            shutil.rmtree(c, ignore_errors=True)


def save(results: dict[str, dict]) -> None:
    """The results file, one mutant per key in a stable order (it is committed: small diffs)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=1) + "\n")


# ---------------------------------------------------------------- report
def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion k / n (a sampled score's uncertainty)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _sample_of(rs: list[dict], total: int) -> str:
    if len(rs) >= total:
        return "whole"
    seeds = sorted({r.get("seed") for r in rs}, key=str)
    if seeds == [None]:
        return "partial (`--limit`)"
    return "seeded, " + ", ".join(f"`--seed {s}`" if s is not None else "unseeded" for s in seeds)


def _judges_of(rs: list[dict]) -> str:
    counts: dict[str, int] = {}
    for r in rs:
        label = r.get("judges", "own")
        counts[label] = counts.get(label, 0) + 1
    if len(counts) == 1:
        return next(iter(counts))
    return "; ".join(f"{label}: {n}" for label, n in sorted(counts.items()))


def _economy_section(by_contract: dict[str, list[dict]]) -> list[str]:
    """What the economy judge added: per contract, the mutants its own tests let through and the
    economy machine killed (from the first failing test each kill recorded)."""
    judged = {c: [r for r in rs if "economy" in r.get("judges", "")] for c, rs in by_contract.items()}
    judged = {c: rs for c, rs in judged.items() if rs}
    if not judged:
        return []
    out = [
        "",
        "The economy machine judges a mutant only when the contract's own tests all passed on it. What",
        "reached it, and what it killed (the first failing test of each kill is in the results file):",
        "",
    ]
    for contract, rs in sorted(judged.items()):
        there = sorted((r for r in rs if r.get("killed_by", "").startswith(ECONOMY)), key=lambda r: r["line"])
        reached = len(there) + sum(r["status"] == "survived" for r in rs)
        unknown = sum(r["status"] == "killed" and not r.get("killed_by") for r in rs)
        shown = "".join(f"; line {r['line']} ({r['operator']})" for r in there)
        note = f" ({unknown} kills with no failing test recorded)" if unknown else ""
        out.append(f"- {contract}: {reached} of {len(rs)} mutants reached it{note}, it killed {len(there)}{shown}")
    return out


def render(
    results: dict[str, dict],
    equivalent: dict[str, str],
    generated: dict[str, int] | None = None,
) -> str:
    lines = [
        "# Mutation testing",
        "",
        "Written by `make mutate` (`python -m tools.mutate`) from the results it keeps per mutant in",
        "`benchmarks/mutation-results.json`: every code line of every function of each contract mutated",
        "(comparisons, booleans, arithmetic, constants ± 1, dropped asserts, state updates and logs). Each",
        "mutant is judged by that contract's own tests (`TESTS` in tools/mutate.py) and, where the",
        "judges column says so, then by the whole-economy state machine",
        f"(`{ECONOMY}`, derandomized, that many examples of up to 150",
        "steps; the hypothesis tests run derandomized without shrinking). A contract's judges pass on its",
        "unmutated source before its mutants run. Score = killed / (valid mutants − argued equivalent).",
        "Invalid = does not compile.",
        "",
        "A contract whose mutants were not all run has a score over a seeded random sample",
        "(`--sample N --seed S`: the first N of a shuffle seeded by S and the contract's name, so a larger",
        "N extends a smaller one): the table then gives the mutants run of those generated, the seed, and",
        "the 95 % interval (Wilson) of the whole contract's score.",
        "",
        "| contract | mutants run / generated | sample | judges | invalid | killed | survived | argued equivalent "
        "| score |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    by_contract: dict[str, list[dict]] = {}
    for r in results.values():
        by_contract.setdefault(r["contract"], []).append(r)
    survivors: list[dict] = []
    for contract in sorted(by_contract):
        rs = by_contract[contract]
        invalid = sum(r["status"] == "invalid" for r in rs)
        killed = sum(r["status"] in ("killed", "timeout") for r in rs)
        surv = [r for r in rs if r["status"] == "survived"]
        eq = [r for r in surv if _eq_key(r) in equivalent]
        denom = len(rs) - invalid - len(eq)
        score = killed / denom if denom else 1.0
        total = (generated or {}).get(contract, len(rs))
        shown = f"{score:.1%}"
        if len(rs) < total:
            lo, hi = wilson(killed, denom)
            shown += f" (sample; 95 %: {lo:.0%}–{hi:.0%})"
        lines.append(
            f"| {contract} | {len(rs)} / {total} | {_sample_of(rs, total)} | {_judges_of(rs)} | {invalid} | {killed} "
            f"| {len(surv) - len(eq)} | {len(eq)} | {shown} |"
        )
        survivors += surv
    lines += _economy_section(by_contract)
    run = {c: len(rs) for c, rs in by_contract.items()}
    not_run = {c: n - run.get(c, 0) for c, n in (generated or {}).items() if n > run.get(c, 0)}
    if not_run:
        lines += [
            "",
            "**Not run yet** (mutants generated but not tested; their contracts have no score, or a partial",
            "one above): " + ", ".join(f"{c} {n}" for c, n in sorted(not_run.items())) + ".",
        ]
    lines += [
        "",
        "## Surviving mutants",
        "",
        "| contract:line | mutation | mutated line | verdict |",
        "|---|---|---|---|",
    ]
    for r in sorted(survivors, key=lambda r: (r["contract"], r["line"])):
        verdict = equivalent.get(_eq_key(r), "**not killed**")
        code = r["mutated"].strip().replace("|", "\\|")
        lines.append(f"| {r['contract']}:{r['line']} | {r['operator']} | `{code}` | {verdict} |")
    return "\n".join(lines) + "\n"


def _eq_key(r: dict) -> str:
    return f"{r['contract']}|{r['original'].strip()}|{r['mutated'].strip()}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--contract", action="append", help="contract name (repeatable; default: all)")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--timeout", type=int, default=900, help="seconds per mutant")
    p.add_argument("--list", metavar="CONTRACT", help="print the mutants of a contract and exit")
    p.add_argument("--fresh", action="store_true", help="forget earlier results")
    p.add_argument("--limit", type=int, default=0, help="run at most this many new mutants per contract (a trial)")
    p.add_argument("--sample", type=int, default=0, help="run a seeded random sample of N mutants per contract")
    p.add_argument("--seed", type=int, default=1, help="the sample's seed")
    p.add_argument(
        "--economy-examples",
        type=int,
        default=ECONOMY_EXAMPLES,
        help=f"derandomized examples of the economy state machine after each contract's own tests "
        f"(default {ECONOMY_EXAMPLES}; 0: own tests only)",
    )
    p.add_argument("--port", type=int, default=0, help="Anvil port of the first job (job i: port + i; default: free)")
    p.add_argument("--no-baseline", action="store_true", help="skip the judges' run on the unmutated source")
    p.add_argument("--report", action="store_true", help="only rewrite mutation.md from the saved results")
    p.add_argument(
        "--retry-survivors",
        action="store_true",
        help="run the surviving mutants not argued equivalent again (after new tests)",
    )
    args = p.parse_args(argv)
    if args.list:
        for m in generate(args.list):
            print(f"{m.line:5} {m.operator:32} {m.mutated.strip()}")
        return 0
    results: dict[str, dict] = {} if args.fresh or not RESULTS.exists() else json.loads(RESULTS.read_text())
    equivalent = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    if args.retry_survivors:  # the contracts being run; a survivor argued equivalent is not retried
        retried = set(args.contract or TESTS)
        results = {
            k: r
            for k, r in results.items()
            if r["status"] != "survived" or r["contract"] not in retried or _eq_key(r) in equivalent
        }
    if not args.report:
        judges = Judges(args.economy_examples)
        for contract in args.contract or list(TESTS):
            run_contract(
                contract,
                args.jobs,
                args.timeout,
                results,
                args.limit,
                args.sample,
                args.seed,
                judges,
                args.port,
                not args.no_baseline,
            )
    current = {c: {m.key for m in generate(c)} for c in TESTS}  # results of older sources are left out
    shown = {k: r for k, r in results.items() if k in current.get(r["contract"], set())}
    save(shown)
    OUT.write_text(render(shown, equivalent, {c: len(keys) for c, keys in current.items()}))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

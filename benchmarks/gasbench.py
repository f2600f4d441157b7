"""Gas benchmarks: whole-transaction gasUsed from receipts on Anvil, beside the anchors.

Each area has a module `benchmarks/bench_<area>.py` with `measure(ctx) -> list[GasRow]`; `ape run
gas` runs them all on a fresh local deployment and writes `benchmarks/gas.md`. Anvil mines one
transaction per block, so every storage access of a measured transaction is cold, as in the
anchors of docs/gas-anchors.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape import chain

OUT = Path(__file__).resolve().parent / "gas.md"
CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
# EIP-170's limit of a contract's runtime code, and the room every deployable contract keeps under it.
EIP170_BYTES = 24_576
SIZE_GOAL_BYTES = 22_000


def deployable_contracts() -> list[str]:
    """The project's deployable contracts: contracts/*.vy (modules, interfaces and mocks excluded)."""
    return sorted(p.stem for p in CONTRACTS.glob("*.vy"))


def runtime_sizes() -> dict[str, int]:
    """Runtime code size in bytes of every deployable contract, from the compiled project."""
    from ape import project

    sizes = {}
    for name in deployable_contracts():
        code = getattr(project, name).contract_type.runtime_bytecode.bytecode
        sizes[name] = len(bytes.fromhex(code.removeprefix("0x")))
    return sizes


def render_sizes(sizes: dict[str, int]) -> list[str]:
    lines = [
        "## Runtime code size",
        "",
        f"Every deployable contract at most {SIZE_GOAL_BYTES:,} bytes of runtime code, so that each keeps room "
        f"under EIP-170's {EIP170_BYTES:,}.",
        "",
        "| contract | bytes | headroom to 24,576 | goal | verdict |",
        "|---|---:|---:|---|---|",
    ]
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        verdict = "met" if size <= SIZE_GOAL_BYTES else "MISSED"
        lines.append(f"| {name} | {size:,} | {EIP170_BYTES - size:,} | <= {SIZE_GOAL_BYTES:,} | {verdict} |")
    return lines


@dataclass
class GasRow:
    area: str
    operation: str
    gas: int
    anchor: str = ""  # e.g. "snekmate 34,151"
    anchor_gas: int | None = None
    goal: str = ""  # e.g. "<= 80,000" or "within 1 % of snekmate"
    ok: bool | None = None  # goal met?

    def cells(self) -> list[str]:
        delta = ""
        if self.anchor_gas:
            delta = f"{(self.gas - self.anchor_gas) / self.anchor_gas:+.2%}"
        verdict = "" if self.ok is None else ("met" if self.ok else "MISSED")
        return [self.area, self.operation, f"{self.gas:,}", self.anchor, delta, self.goal, verdict]


def at_most(area: str, operation: str, gas: int, limit: int, anchor: str = "", anchor_gas: int | None = None) -> GasRow:
    return GasRow(area, operation, gas, anchor, anchor_gas, f"<= {limit:,}", gas <= limit)


def within(area: str, operation: str, gas: int, anchor: str, anchor_gas: int, pct: float = 1.0) -> GasRow:
    ok = abs(gas - anchor_gas) <= anchor_gas * pct / 100
    return GasRow(area, operation, gas, anchor, anchor_gas, f"within {pct:g} % of anchor", ok)


def gas_of(tx: Any) -> int:
    """gasUsed of a receipt (ape ReceiptAPI)."""
    return int(tx.gas_used)


@contextmanager
def isolated() -> Iterator[None]:
    """Run a measurement on a snapshot and roll the chain back afterwards."""
    snap = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snap)


def render(rows: list[GasRow], sizes: dict[str, int] | None = None) -> str:
    head = ["area", "operation", "gas", "anchor", "vs anchor", "goal", "verdict"]
    lines = [
        "# Gas per operation",
        "",
        "Written by `make gas` (`ape run gas`): whole-transaction `gasUsed` from receipts on a local Anvil 1.7.1,",
        "one transaction per block (every access cold), beside the anchors of `docs/gas-anchors.md`.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * 2 + ["---:", "---", "---"]) + "|",
    ]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    missed = [r for r in rows if r.ok is False]
    lines += ["", f"{len(rows)} measurements, {len(missed)} goals missed."]
    if sizes:
        lines += ["", *render_sizes(sizes)]
    return "\n".join(lines) + "\n"


def run_all(ctx: Any, modules: list[Callable[[Any], list[GasRow]]], out: Path = OUT) -> list[GasRow]:
    rows: list[GasRow] = []
    for measure in modules:
        rows += measure(ctx)
    out.write_text(render(rows, runtime_sizes()))
    return rows

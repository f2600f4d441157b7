"""How ape-foundry starts a local Anvil, for runs that read no opcode traces (the tests, benchmarks).

ape-foundry always starts Anvil with `--steps-tracing`: every transaction records each EVM step it
executes, for ape's call traces and gas reports. Nothing here reads them (revert reasons come with
the RPC error; gas from receipts), and recording them costs ~20 % of the test suite's time and most
of a large transaction's (a 50-booking `record_work_batch`: ~1 s). Anvil also writes past states to
disk (~/.foundry/anvil/tmp, GB a run) once more than it keeps in memory; no run here reads a state
that old (`--max-persisted-states 0`). Snapshots, reverts and every result are unchanged.
"""

from __future__ import annotations


def lean_anvil(traces: bool = False) -> None:
    """The Anvil ape starts from now on in this process: no steps tracing (unless `traces`), no
    states persisted to disk. Call it before ape connects (a script's import, pytest_configure)."""
    from ape_foundry.provider import FoundryProvider

    start_command = getattr(FoundryProvider, "_ionet_start_command", FoundryProvider.build_command)
    FoundryProvider._ionet_start_command = start_command
    FoundryProvider.build_command = lambda self: [
        *(arg for arg in start_command(self) if traces or arg != "--steps-tracing"),
        "--max-persisted-states",
        "0",
    ]

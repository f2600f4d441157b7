"""Running a hypothesis state machine whose runs must exercise named outcomes (the coverage checks).

A derandomized run draws the same examples on every machine only while the chain answers the same;
CI's chain (other tests before it, other timestamps) can steer a run away from a rare path. So a
machine runs derandomized first, and with seed 1, 2, ... only while something it must exercise is
still missing; the check then fails only when every run missed it. `IONET_TEST_SCALE=k` (make test-long)
multiplies the examples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

SCALE = max(1, int(os.environ.get("IONET_TEST_SCALE", "1")))


def run_until_covered(
    machine: type,
    *,
    examples: int,
    steps: int,
    missing: Callable[[], Sequence[str]],
    seeds: Sequence[int | None] = (None, 1, 2),
) -> list[str]:
    """Run `machine` (examples x SCALE, up to `steps` steps each) derandomized (seed None), then seed
    after seed until `missing()` is empty; return what is still missing after the last run (the
    caller asserts it is empty)."""
    left: list[str] = list(missing())
    for s in seeds:
        machine._hypothesis_internal_use_seed = s  # what hypothesis.seed() sets; run_state_machine_as_test reads it
        run_state_machine_as_test(
            machine,
            settings=settings(
                deadline=None,
                max_examples=examples * SCALE,
                stateful_step_count=steps,
                derandomize=s is None,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
        left = list(missing())
        print(f"\n{machine.__name__}: seed {s}, {examples * SCALE} examples; not yet exercised: {left or 'nothing'}")
        if not left:
            break
    return left

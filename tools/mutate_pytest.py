"""A pytest plugin for the mutation tool's judged test runs (`ape test ... -p tools.mutate_pytest`,
added by tools/mutate.py; never loaded by `make test`).

Every hypothesis test without its own setting for these runs derandomized (the same examples on every
run: a mutant's verdict does not depend on luck), with no example database (nothing carried from
one mutant to the next), and without the shrink phase: a failure is all a kill needs, and shrinking a
failing state machine on a chain takes minutes. The examples tried are the ones `make test` tries for
the derandomized tests, so a kill here is a failure of the same test there.
"""

from __future__ import annotations

from hypothesis import Phase, settings

PROFILE = "ionet-mutation"

settings.register_profile(
    PROFILE,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


def pytest_configure(config):  # noqa: ARG001 (pytest's hook signature)
    """Loaded before the test modules are imported, so their `settings(...)` inherit the profile."""
    settings.load_profile(PROFILE)

"""tools/mutate.py: the mutant generator (pure Python; the runner itself is `make mutate`)."""

import json

import pytest
from hypothesis import Phase, settings

import tools.mutate_pytest as plugin
from tools import mutate
from tools.mutate import (
    ECONOMY,
    TESTS,
    Judges,
    Mutant,
    body_lines,
    generate,
    render,
    sample,
    wilson,
)

SOURCE = '''# pragma version ~=0.4.3
"""
@title Toy
@notice x < y in a docstring is never mutated
"""
LIMIT: constant(uint256) = 10
total: public(uint256)


@external
def add(amount: uint256,
        other: bool) -> uint256:
    """
    @notice Adds amount < LIMIT.
    """
    # a comment with a < b
    assert amount < LIMIT and not other, "Toy: amount >= limit"
    self.total += amount
    log Added(amount=amount)
    return self.total * 2
'''


def test_body_lines__docstrings_comments_signatures_and_declarations__skipped():
    lines = [line.strip() for _, line in body_lines(SOURCE)]
    assert lines == [
        'assert amount < LIMIT and not other, "Toy: amount >= limit"',
        "self.total += amount",
        "log Added(amount=amount)",
        "return self.total * 2",
    ]


def test_generate__every_operator_kind__expected_mutants_and_strings_untouched():
    mutants = {(m.line, m.mutated.strip()) for m in generate("Toy", SOURCE)}
    assert (17, "pass") in mutants  # dropped assert
    assert (17, 'assert amount >= LIMIT and not other, "Toy: amount >= limit"') in mutants
    assert (17, 'assert amount <= LIMIT and not other, "Toy: amount >= limit"') in mutants
    assert (17, 'assert amount < LIMIT or not other, "Toy: amount >= limit"') in mutants
    assert (17, 'assert amount < LIMIT and other, "Toy: amount >= limit"') in mutants
    assert (18, "pass") in mutants and (18, "self.total -= amount") in mutants
    assert (19, "pass") in mutants  # dropped log
    assert (20, "return self.total // 2") in mutants and (20, "return self.total * 3") in mutants
    # nothing inside the reason string, the docstring or the comment is mutated
    assert all("Toy: amount >= limit" in m or not m.startswith("assert") for _, m in mutants)
    assert all(line >= 17 for line, _ in mutants)


def test_mutant_apply__changes_exactly_one_line():
    m = Mutant("Toy", 18, "drop state update", "    self.total += amount", "    pass")
    out = m.apply(SOURCE).split("\n")
    assert out[17] == "    pass"
    assert [a for a, b in zip(out, SOURCE.split("\n"), strict=True) if a != b] == ["    pass"]


def test_sample__seeded__same_mutants_in_source_order_and_all_when_fewer():
    mutants = generate("Toy", SOURCE)
    picked = sample(mutants, 3, seed=7)
    assert len(picked) == 3 and picked == sample(mutants, 3, seed=7)
    assert [m.line for m in picked] == sorted(m.line for m in picked)
    assert set(picked) <= set(mutants)
    assert sample(mutants, 0, seed=7) == mutants and sample(mutants, len(mutants) + 5, seed=7) == mutants
    assert any(sample(mutants, 3, seed=s) != picked for s in range(8, 20))
    assert set(picked) <= set(sample(mutants, 5, seed=7))  # a larger sample extends a smaller one


def test_wilson__known_intervals():
    lo, hi = wilson(27, 30)  # 90 % of 30: 74.4 %-96.5 % (textbook value)
    assert round(lo, 3) == 0.744 and round(hi, 3) == 0.965
    assert wilson(30, 30)[1] == 1.0 and wilson(0, 30)[0] == 0.0
    assert wilson(0, 0) == (0.0, 1.0)


def test_render__sampled_contract__run_of_generated_seed_judges_and_interval():
    mutants = generate("Toy", SOURCE)[:4]
    results = {
        m.key: {**m.__dict__, "status": s, "seconds": 1.0, "judges": Judges(8).label(), "seed": 3}
        for m, s in zip(mutants, ["killed", "killed", "killed", "survived"], strict=True)
    }
    text = render(results, {}, {"Toy": 10})
    row = next(line for line in text.splitlines() if line.startswith("| Toy |"))
    assert row.startswith(
        "| Toy | 4 / 10 | seeded, `--seed 3` | own + economy (8 examples) | 0 | 3 | 1 | 0 | 75.0% (sample; 95 %: "
    )
    assert "**not killed**" in text
    assert "Toy 6." in text  # not run yet: 10 generated, 4 run


def test_render__whole_contract_and_mixed_judges__named_per_contract():
    mutants = generate("Toy", SOURCE)
    results = {m.key: {**m.__dict__, "status": "killed", "seconds": 1.0} for m in mutants}  # older: no judges
    first = mutants[0].key
    results[first] = {**results[first], "judges": Judges(8).label(), "seed": None}
    row = next(line for line in render(results, {}, {"Toy": len(mutants)}).splitlines() if line.startswith("| Toy |"))
    n = len(mutants)
    assert row == (
        f"| Toy | {n} / {n} | whole | own: {n - 1}; own + economy (8 examples): 1 | 0 | {n} | 0 | 0 | 100.0% |"
    )


def test_render__economy_kills__listed_per_contract():
    mutants = generate("Toy", SOURCE)[:3]
    econ = Judges(8).label()
    results = {
        m.key: {**m.__dict__, "status": "killed", "seconds": 1.0, "judges": econ, "killed_by": by}
        for m, by in zip(mutants, ["tests/unit/test_toy.py::test_a", f"{ECONOMY}::test_machine", ""], strict=True)
    }
    text = render(results, {}, {"Toy": 3})
    [line] = [x for x in text.splitlines() if x.startswith("- Toy:")]
    m = mutants[1]
    reached = "- Toy: 1 of 3 mutants reached it (1 kills with no failing test recorded)"
    assert line == f"{reached}, it killed 1; line {m.line} ({m.operator})"
    assert "economy machine" not in render({mutants[0].key: results[mutants[0].key] | {"judges": "own"}}, {}, {})


def test_judges__economy_by_default__after_the_own_tests_with_its_example_count():
    """Every contract's mutants meet the economy machine after their own tests (own first: most
    mutants die there), with a small derandomized example count; 0 leaves it out."""
    for contract, own in TESTS.items():
        files, env = Judges().command(contract)
        assert files == [*own, ECONOMY] and env == {"IONET_ECONOMY_EXAMPLES": str(mutate.ECONOMY_EXAMPLES)}
        assert Judges(0).command(contract) == (own, {})
    assert 0 < mutate.ECONOMY_EXAMPLES < 32  # smaller than make test's 32
    assert (Judges(0).label(), Judges(5).label()) == ("own", "own + economy (5 examples)")


def test_judged_run__plugin_and_environment__economy_short_and_hypothesis_without_shrinking(monkeypatch, tmp_path):
    """The command a mutant is judged by: its files, `-x`, the plugin, and the economy's example count."""
    seen = {}

    def fake_run(cmd, cwd, env, **kwargs):
        seen.update(cmd=cmd, env=env)
        return mutate.subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(mutate.subprocess, "run", fake_run)
    mutate.baseline(tmp_path, "SettlementRouter", Judges(8), timeout=10, port=8632)
    cmd, env = seen["cmd"], seen["env"]
    assert cmd[1:2] == ["test"] and cmd[2 : 2 + len(TESTS["SettlementRouter"]) + 1] == [
        *TESTS["SettlementRouter"],
        ECONOMY,
    ]
    assert "-x" in cmd and cmd[cmd.index("-p", cmd.index("no:cacheprovider")) + 1] == mutate.PYTEST_PLUGIN
    assert env["IONET_ECONOMY_EXAMPLES"] == "8" and env["APE_FOUNDRY_HOST"] == "http://127.0.0.1:8632"
    profile = settings.get_profile(plugin.PROFILE)
    assert profile.derandomize and profile.database is None and Phase.shrink not in profile.phases


def test_baseline__judges_fail_on_the_original__stops_the_run(monkeypatch, tmp_path):
    """A judge that fails on the unmutated source would count every mutant as killed."""
    monkeypatch.setattr(
        mutate.subprocess, "run", lambda cmd, **kw: mutate.subprocess.CompletedProcess(cmd, 1, "1 failed", "")
    )
    with pytest.raises(SystemExit, match="fail on the unmutated source"):
        mutate.baseline(tmp_path, "IOToken", Judges(8), timeout=10)


def test_killed_by__first_failing_test_of_the_summary():
    out = (
        "....F\n=== short test summary info ===\n"
        "FAILED tests/fuzz/test_economy_state_machine.py::test_economy[x-1] - AssertionError: io\n"
        "!!!!! stopping after 1 failures !!!!!\n"
    )
    assert mutate.killed_by(out) == "tests/fuzz/test_economy_state_machine.py::test_economy"
    assert mutate.killed_by("ERROR tests/unit/test_a.py::test_b - ape.exceptions.X\n") == "tests/unit/test_a.py::test_b"
    assert mutate.killed_by("1 failed in 3 s\n") == ""


def test_save__results_beside_the_report__sorted_by_key(monkeypatch, tmp_path):
    assert mutate.RESULTS == mutate.ROOT / "benchmarks" / "mutation-results.json"  # committed with mutation.md
    monkeypatch.setattr(mutate, "RESULTS", tmp_path / "r.json")
    mutate.save({"b:2:x": {"status": "killed"}, "a:10:y": {"status": "survived"}})
    assert list(json.loads((tmp_path / "r.json").read_text())) == ["a:10:y", "b:2:x"]

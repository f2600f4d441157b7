"""benchmarks/mutate.py: the mutant generator (pure Python; the runner itself is `make mutate`)."""

from benchmarks.mutate import Mutant, body_lines, dead_initializer, generate, render, sample, wilson

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


def test_render__sampled_contract__run_of_generated_and_interval():
    mutants = generate("Toy", SOURCE)[:4]
    results = {
        m.key: {**m.__dict__, "status": s, "seconds": 1.0}
        for m, s in zip(mutants, ["killed", "killed", "killed", "survived"], strict=True)
    }
    text = render(results, {}, {"Toy": 10})
    row = next(line for line in text.splitlines() if line.startswith("| Toy |"))
    assert row.startswith("| Toy | 4 / 10 | 0 | 3 | 1 | 0 | 75.0% (sample; 95 %: ")
    assert "**not killed**" in text
    assert "Toy 6." in text  # not run yet: 10 generated, 4 run


def test_dead_initializer__declare_then_unpack__skipped_other_declarations_kept():
    src = """@internal
def f() -> uint256:
    a: uint256 = 0
    ok: bool = False
    a, ok = self.g()
    b: uint256 = 0
    b += a
    c: uint256 = 0
    c, d = self.h()
    e: uint256 = 0
    x, y = self.h()
    return a + b + c + e
"""
    lines = src.split("\n")
    # a and ok are overwritten by their tuple, c by its own; b is read first, e is not in the tuple after it
    assert [n for n in range(1, len(lines) + 1) if dead_initializer(lines, n)] == [3, 4, 8]
    assert {m.line for m in generate("Toy", src)} >= {6, 7, 10}
    assert not {m.line for m in generate("Toy", src)} & {3, 4, 8}

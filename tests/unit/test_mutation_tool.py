"""benchmarks/mutate.py: the mutant generator (pure Python; the runner itself is `make mutate`)."""

from benchmarks.mutate import Mutant, body_lines, generate

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

"""The Python reference model (ionet.models.emission) against the published real-number formula.

Pure Python, no chain: every one of the 175,319 epochs is checked.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from ionet.models import emission as model

TOLERANCE_IO = Decimal("1e-9")


def test_model__every_epoch__within_1e_9_IO_of_the_50_digit_formula():
    """After every epoch t < 175,319 the integer cumulative is within 1e-9 IO of E1 (1 - q^t) / d."""
    worst = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = model.PRECISION
        e1 = Decimal(500_000_000) * Decimal("0.08") / Decimal(8_760)
        d = Decimal("0.0000138869523959793")
        q = 1 - d
        qt = Decimal(1)
        scale = Decimal(model.IO)
        for t in range(1, model.EPOCH_COUNT):
            qt *= q
            real = e1 * (1 - qt) / d
            err = abs(Decimal(model.cumulative_through(t)) / scale - real)
            worst = max(worst, err)
    assert worst <= TOLERANCE_IO, worst


def test_model__last_epoch__clamped_to_exactly_300M():
    assert model.cumulative_through(model.EPOCH_COUNT) == 300_000_000 * model.IO
    assert model.real_cumulative(model.EPOCH_COUNT) - 300_000_000 > 0  # the formula overshoots (0.00044 IO)
    assert model.real_cumulative(model.EPOCH_COUNT) - 300_000_000 < Decimal("0.0005")
    assert sum(model.emission_of(t) for t in range(model.EPOCH_COUNT - 5, model.EPOCH_COUNT + 3)) == \
        model.TOTAL_EMISSION - model.cumulative_through(model.EPOCH_COUNT - 6)


def test_model__published_derived_figures():
    assert str(model.wei_to_io(model.emission_of(1))).startswith("4566.2100456621")
    assert abs(model.wei_to_io(model.year_emission(1)) - Decimal("37662980.66")) < Decimal("0.01")
    assert abs(model.wei_to_io(model.emission_of(model.EPOCH_COUNT)) - Decimal("400.13")) < Decimal("0.01")
    decay = 1 - (1 - Decimal("0.0000138869523959793")) ** 8760
    assert abs(decay - Decimal("0.1145")) < Decimal("0.0001")


def test_model__emission_strictly_decreasing_and_positive():
    prev = model.emission_of(1)
    for t in list(range(2, 3_000)) + list(range(model.EPOCH_COUNT - 3_000, model.EPOCH_COUNT)):
        e = model.emission_of(t)
        assert 0 < e <= prev + 1, t  # floor rounding may make neighbours differ by 1 wei
        prev = e


def test_rpow__small_cases__exact():
    assert model.rpow(model.Q_RAY, 0) == model.RAY
    assert model.rpow(model.Q_RAY, 1) == model.Q_RAY
    assert model.rpow(2 * model.RAY, 10) == 1024 * model.RAY

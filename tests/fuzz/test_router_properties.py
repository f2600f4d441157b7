"""Hypothesis properties of the router's prices: quotes equal the model, fees are rounded up and
never by more than one base unit, and a renter never pays more than its maximum."""

import ape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionet.models.settlement import BPS, FACILITATION_FEE_BPS, MAX_HOURS, MAX_RATE, RESERVATION_FEE_BPS, quote
from tests.fuzz.helpers import chain_snapshot
from tests.router_helpers import DEVICE_A, MAX

SETTINGS = dict(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@settings(max_examples=60, **SETTINGS)
@given(rate=st.integers(1, MAX_RATE), hours=st.integers(1, MAX_HOURS), is_usdc=st.booleans())
def test_quote__any_terms__equals_model_and_fees_round_up_by_less_than_one_unit(
    router, usdc, token, rate, hours, is_usdc
):
    q = quote(rate, hours, is_usdc)
    assert router.quote(usdc if is_usdc else token, rate, hours) == (
        q.cost,
        q.reservation_fee,
        q.facilitation_fee,
        q.total,
    )
    # integer form of: exact fee <= fee < exact fee + 1 base unit
    assert q.cost * RESERVATION_FEE_BPS <= q.reservation_fee * BPS < q.cost * RESERVATION_FEE_BPS + BPS
    if is_usdc:
        assert q.cost * FACILITATION_FEE_BPS <= q.facilitation_fee * BPS < q.cost * FACILITATION_FEE_BPS + BPS
    else:
        assert q.facilitation_fee == 0


@settings(max_examples=15, **SETTINGS)
@given(rate=st.integers(1, 10**7), hours=st.integers(1, 500), delta=st.integers(-3, 3), is_usdc=st.booleans())
def test_renter_never_pays_more_than_max__random_maximum__books_iff_total_fits(
    router, usdc, token, alice, rate, hours, delta, is_usdc
):
    t = usdc if is_usdc else token
    total = quote(rate, hours, is_usdc).total
    max_total = total + delta
    with chain_snapshot():
        t.approve(router, MAX, sender=alice)
        before = t.balanceOf(alice)
        if max_total < total:
            with ape.reverts("SettlementRouter: total above maximum"):
                router.book(DEVICE_A, t, hours, rate, max_total, sender=alice)
            assert t.balanceOf(alice) == before
        else:
            router.book(DEVICE_A, t, hours, rate, max_total, sender=alice)
            assert before - t.balanceOf(alice) == total <= max_total

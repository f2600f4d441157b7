"""Hypothesis properties of the IO market: the contracts' tick maths and TWAP equal the model at
random ticks and windows, an IO payout is never below TWAP x (1 - slippage) whatever outside traders
did before it, and the fees of both sides are conserved (provider + supplier fees == rate x hours;
every fee kind adds up to the fee balance)."""

from __future__ import annotations

from collections import Counter

import ape
from ape import chain
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ionet import IO, USDC
from ionet.chain import clock
from ionet.models import market as m
from ionet.models.settlement import payment_fee, payout, quote, started_hours
from tests.fuzz.helpers import chain_snapshot
from tests.router_helpers import HOUR, USDC_RATE, book

SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAYOUTS: Counter = Counter()  # which bound each example met
ADDRESSES = st.sampled_from(["0x" + "11" * 20, "0x" + "ee" * 20])


@settings(max_examples=40, **SETTINGS)
@given(tick=st.integers(m.MIN_TICK, m.MAX_TICK), amount=st.integers(0, 2**128 - 1), base=ADDRESSES)
def test_exact_tick_math__random_ticks_and_amounts__oracle_equals_model(suite, tick, amount, base):
    """IOPriceOracle invariant 2 (exact_tick_math) at random ticks, both branches and orders."""
    oracle = suite.IOPriceOracle
    quote_token = "0x" + "ee" * 20 if base == "0x" + "11" * 20 else "0x" + "11" * 20
    assert oracle.sqrt_ratio_at_tick(tick) == m.sqrt_ratio_at_tick(tick)
    assert oracle.quote_at_tick(tick, amount, base, quote_token) == m.quote_at_tick(tick, amount, base, quote_token)


@settings(max_examples=8, **SETTINGS)
@given(
    trades=st.lists(st.tuples(st.integers(-40, 40), st.integers(12, 900)), min_size=1, max_size=4),
    window=st.integers(300, 1_800),
    rest=st.integers(0, 2_000),
)
def test_twap__random_trades_and_windows__contracts_equal_the_model(
    router, desk, market, owner, usdc, token, trades, window, rest
):
    """The mean tick over any window (the market desk's module at `window`, the oracle at 1,800 s) is
    the model's floor(delta cumulative / window) of the pool's own observe, and every quote and the
    deviation follow from it."""
    with chain_snapshot():
        for size, wait in trades:
            if size > 0:
                market.push_io_price(size * size * 40 * USDC, wait=wait)
            elif size < 0:
                market.dump_io(size * size * 100 * IO, wait=wait)
        clock.advance(rest)
        desk.set_market_bounds(window, 200, 100, sender=owner)
        mean = market.mean_tick(window=window)
        twap_io = m.quote_at_tick(mean, 100 * USDC, usdc.address, token.address)
        assert desk.quote_withdraw_as_io(100 * USDC) == (twap_io, m.min_out(twap_io, 100))
        oracle = market.oracle
        assert oracle.mean_tick() == market.mean_tick()
        assert oracle.price() == m.quote_at_tick(market.mean_tick(), IO, token.address, usdc.address)
        assert oracle.deviation_bps() == m.deviation_bps(market.spot_tick(), market.mean_tick())


@settings(max_examples=12, **SETTINGS)
@given(front_run=st.integers(-60, 60), amount_usdc=st.integers(1, 90), wait=st.integers(1, 1_800))
@example(front_run=16, amount_usdc=50, wait=1)  # a 1 % front-run: within the deviation, beyond the slippage
@example(front_run=40, amount_usdc=10, wait=1)  # a 6 % front-run: beyond the deviation
@example(front_run=-3, amount_usdc=90, wait=30)  # a ripple: paid
def test_io_payout_never_below_twap_less_slippage__after_any_front_run(
    router, desk, market, usdc, token, alice, operator, provider, front_run, amount_usdc, wait
):
    """MarketDesk invariant 4 (trades_within_twap_bound): whatever an outside trader did just
    before (a front-run of up to about 15 %, either way, any time earlier), `withdraw_as_io` either
    pays at least TWAP value x 99 % or reverts with the bound it met; it never pays less; and the
    desk keeps nothing (invariant 1)."""
    with chain_snapshot():
        bid, _ = book(router, usdc, alice, USDC_RATE, 40)
        clock.advance(40 * HOUR)
        router.record_work(bid, 40, sender=operator)
        if front_run > 0:
            market.push_io_price(front_run * front_run * 40 * USDC, wait=1)
        elif front_run < 0:
            market.dump_io(front_run * front_run * 100 * IO, wait=1)
        clock.advance(wait)
        amount = amount_usdc * USDC
        mean, spot = market.mean_tick(), market.spot_tick()
        twap_io = m.quote_at_tick(mean, amount, usdc.address, token.address)
        floor = m.min_out(twap_io, 100)
        if m.deviation_bps(spot, mean) > 200:
            PAYOUTS["deviation"] += 1
            with ape.reverts("guarded_swap: spot price too far from twap"):
                desk.withdraw_as_io(amount, 0, provider, sender=provider)
            return
        if market.quote_exact_input(usdc, token, amount) < floor:
            PAYOUTS["slippage"] += 1
            with ape.reverts("guarded_swap: output below minimum"):
                desk.withdraw_as_io(amount, 0, provider, sender=provider)
            return
        PAYOUTS["paid"] += 1
        before = token.balanceOf(provider)
        got = desk.withdraw_as_io(amount, 0, provider, sender=provider).return_value
        assert token.balanceOf(provider) - before == got >= floor
        assert usdc.balanceOf(desk) == token.balanceOf(desk) == 0  # desk invariant 1


def test_io_payout_property__ran_every_branch():
    """The examples above met each outcome: paid, refused for deviation, refused for slippage."""
    assert PAYOUTS["paid"] and PAYOUTS["deviation"] and PAYOUTS["slippage"], dict(PAYOUTS)


@settings(max_examples=10, **SETTINGS)
@given(
    rate=st.integers(1, 10**8),
    hours=st.integers(2, 60),
    records=st.lists(st.integers(1, 7), min_size=1, max_size=4),
    ending=st.sampled_from(["renter", "operator", "expired"]),
    part=st.integers(1, 8),
)
def test_fee_conservation__both_sides__every_unit_accounted(
    router, usdc, token, alice, operator, treasury, provider, rate, hours, records, ending, part
):
    """Renter side: the renter paid cost + reservation + facilitation. Supplier side: for every paid
    hour the provider's income plus the supplier fees is rate x hours (invariant 7), and a USDC
    withdrawal's payment fee joins the fees. The fee balance is exactly the sum of every kind, and
    once everyone and the treasury have withdrawn the router holds what escrow remains (nothing)."""
    with chain_snapshot():
        q = quote(rate, hours, True)
        bid, _ = book(router, usdc, alice, rate, hours)
        clock.advance(hours * HOUR // 2 + 1)
        supplier_fees = recorded = 0
        start = router.bookings(bid).start
        for h in records:
            started = started_hours(start, chain.blocks.head.timestamp)
            h = min(h, min(hours - 1, started) - recorded)  # the booking stays open for its ending
            if h <= 0:
                break
            p = payout(rate * h)
            router.record_work(bid, h, sender=operator)
            recorded += h
            supplier_fees += p.supplier_fee
        if ending == "renter":
            tx = router.end_booking(bid, sender=alice)
        elif ending == "operator":
            tx = router.operator_end_booking(bid, 0, sender=operator)
        else:
            clock.advance_to(router.settleable_at(bid))
            tx = router.settle_expired(bid, sender=provider)
        ended = tx.decode_logs(router.BookingEnded)[0]
        supplier_fees += ended.supplier_fee
        paid_hours = ended.hours_paid
        income = router.income(provider, usdc)
        assert income + supplier_fees == rate * paid_hours  # invariant 7
        assert router.refunds(alice, usdc) == rate * (hours - paid_hours)
        assert router.fees(usdc) == q.reservation_fee + q.facilitation_fee + supplier_fees
        amount = income * part // 8
        fee = payment_fee(amount, True)
        if amount:
            router.withdraw(usdc, amount, provider, sender=provider)
        assert router.fees(usdc) == q.reservation_fee + q.facilitation_fee + supplier_fees + fee
        if income - amount:
            router.withdraw(usdc, income - amount, provider, sender=provider)
        refund = router.refunds(alice, usdc)
        if refund:
            router.withdraw_refund(usdc, refund, alice, sender=alice)
        router.withdraw_fees(usdc, router.fees(usdc), treasury, sender=treasury)
        assert usdc.balanceOf(router) == router.total_held(usdc) == 0

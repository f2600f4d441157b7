"""The settlement router's market desk (MarketDesk.vy) in the IO market, against the real Uniswap V3
bytecode: a provider's USDC income taken as IO (`withdraw_as_io`, no payment fee, under the TWAP
bound), a renter paying with WETH (`book_with_asset`), the pools and bounds governance sets,
sandwiches, the swap callback refusing anything but the pool of the swap under way, and the
router's two desk entries refusing anyone but the desk. Invariants 8 (desk_books_only_what_was_paid)
and 9 (only_usdc_and_io_held) of SettlementRouter.vy; 1 (desk_holds_nothing),
2 (only_the_payer_books_and_only_the_provider_withdraws), 3 (renter_never_pays_more_than_max),
4 (trades_within_twap_bound) and 5 (conservation) of MarketDesk.vy."""

from __future__ import annotations

import ape
import pytest

from ionet import IO, USDC
from ionet.models import market as m
from ionet.models.settlement import quote
from tests.conftest import advance
from tests.router_helpers import DEVICE_A, DEVICE_B, DEVICE_OFF, HOUR, MAX, USDC_RATE, book, conserved, net, one_log

# Every test starts from alice and bob funded once for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("renters_funded_per_module")

ZERO = "0x" + "00" * 20
HOURS = 40  # a worked booking: its provider's USDC income is net(40 x 2.5 USDC) = 99.75 USDC


@pytest.fixture
def income(router, usdc, alice, operator, provider):
    """`provider` holds a USDC income from a worked booking; returns it."""
    bid, _ = book(router, usdc, alice, USDC_RATE, HOURS)
    advance(HOURS * HOUR)
    router.record_work(bid, HOURS, sender=operator)
    return router.income(provider, usdc)


@pytest.fixture
def weth_renter(market, router, desk, alice):
    """alice holds 100 WETH (wrapped from ETH) and approved the router."""
    market.weth.deposit(value=100 * 10**18, sender=alice)
    market.weth.approve(desk, MAX, sender=alice)
    return alice


def only_usdc_and_io(router, market, desk=None) -> bool:
    """Router invariant 9: the router holds no WETH, and its USDC and IO are exactly its books;
    desk invariant 1 (desk_holds_nothing): the desk holds no USDC, IO or WETH."""
    return (
        market.weth.balanceOf(router) == 0
        and all(
            t.balanceOf(router)
            == router.total_held(t)
            == router.total_escrow(t) + router.total_credited(t) + router.fees(t)
            for t in (market.usdc, market.io)
        )
        and (desk is None or all(t.balanceOf(desk) == 0 for t in (market.usdc, market.io, market.weth)))
    )


def _revert_reason(contract, method: str, *args, sender: str) -> str | None:
    """The revert reason of an eth_call from any address (a contract's too), or None."""
    from ape import chain

    data = getattr(contract, method).encode_input(*args)
    try:
        chain.provider.web3.eth.call({"to": contract.address, "from": sender, "data": data})
    except Exception as err:  # noqa: BLE001
        return str(err)
    return None


# ------------------------------------------------------------------ withdraw_as_io
def test_withdraw_as_io__usdc_income__io_at_the_market_no_payment_fee_and_logs(
    router, desk, market, income, usdc, token, provider, carol
):
    assert income == net(HOURS * USDC_RATE) == 99_750_000
    amount = 60 * USDC
    fees = router.fees(usdc)
    twap_io = m.quote_at_tick(market.mean_tick(), amount, usdc.address, token.address)
    min_io = m.min_out(twap_io, 100)
    assert desk.quote_withdraw_as_io(amount) == (twap_io, min_io)
    expected = market.quote_exact_input(usdc, token, amount)  # what the pool pays, by Uniswap's QuoterV2
    assert expected >= min_io
    before_io, held_usdc = token.balanceOf(carol), usdc.balanceOf(router)
    tx = desk.withdraw_as_io(amount, 0, carol, sender=provider)
    assert tx.return_value == expected
    assert token.balanceOf(carol) - before_io == expected  # about 150 IO at 0.40 USDC, less the pool fee
    assert 149 * IO < expected < 150 * IO
    assert router.income(provider, usdc) == income - amount
    assert router.fees(usdc) == fees  # no payment fee taken as IO
    assert held_usdc - usdc.balanceOf(router) == amount
    log = one_log(tx, desk.WithdrawnAsIO)
    assert (log.account, log.to, log.usdc, log.usdc_amount, log.io_amount, log.twap_io, log.min_io) == (
        provider.address,
        carol.address,
        usdc.address,
        amount,
        expected,
        twap_io,
        min_io,
    )
    # the router logs the income it handed to the desk, fee-free, with every field
    w = one_log(tx, router.Withdrawn)
    assert (w.account, w.token, w.to, w.amount, w.payment_fee) == (
        provider.address, usdc.address, desk.address, amount, 0)
    assert conserved(router, usdc, token) and only_usdc_and_io(router, market, desk)


def test_withdraw_as_io__same_income_two_ways__usdc_pays_2_percent_io_pays_the_market(
    router, desk, market, income, usdc, token, provider, carol
):
    """The published choice: income withdrawn in USDC bears the 2 % payment fee; taken as IO it
    bears none (only the pool's own 0.3 % trading fee and price impact)."""
    half = income // 2
    usdc_before = usdc.balanceOf(carol)
    router.withdraw(usdc, half, carol, sender=provider)
    usdc_got = usdc.balanceOf(carol) - usdc_before
    assert usdc_got == half - (half * 200 + 9_999) // 10_000
    io_got = desk.withdraw_as_io(half, 0, carol, sender=provider).return_value
    io_value = m.quote_at_tick(market.mean_tick(), io_got, token.address, usdc.address)
    assert io_value > usdc_got  # the IO is worth more than the USDC payout (0.3 % < 2 %)
    assert io_value >= half * 9_900 // 10_000


def test_withdraw_as_io__caller_minimum_the_pool_cannot_give__reverts(
    router, desk, market, income, usdc, token, provider
):
    amount = 10 * USDC
    best = market.quote_exact_input(usdc, token, amount)
    with ape.reverts("guarded_swap: output below minimum"):
        desk.withdraw_as_io(amount, best + 1, provider, sender=provider)
    assert desk.withdraw_as_io(amount, best, provider, sender=provider).return_value == best


def test_withdraw_as_io__spot_too_far_from_twap__reverts(router, desk, market, income, provider):
    market.push_io_price(100_000 * USDC)  # about +10 % on 2M USDC of liquidity
    assert m.deviation_bps(market.spot_tick(), market.mean_tick()) > 200
    with ape.reverts("guarded_swap: spot price too far from twap"):
        desk.withdraw_as_io(USDC, 0, provider, sender=provider)
    market.settle()  # the TWAP catches up: trading resumes at the new price
    desk.withdraw_as_io(USDC, 0, provider, sender=provider)


def test_withdraw_as_io__pool_history_shorter_than_window__reverts(
    router, desk, market, income, owner, provider, suite, token, usdc
):
    """A pool created now (another fee tier) cannot serve the window: no trade, no quote."""
    from ionet.chain.uniswap import create_pool

    fresh, _ = create_pool(
        suite.uniswap.factory, token.address, usdc.address, 500, market.io_pool.slot0().sqrtPriceX96, owner
    )
    desk.set_asset_pool(token, fresh, sender=owner)
    with ape.reverts("guarded_swap: pool history shorter than window"):
        desk.withdraw_as_io(USDC, 0, provider, sender=provider)
    with ape.reverts("guarded_swap: pool history shorter than window"):
        desk.quote_withdraw_as_io(USDC)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("zero", "SettlementRouter: zero amount"),
        ("to", "MarketDesk: withdraw to the zero address"),
        ("too_much", "SettlementRouter: amount exceeds balance"),
        ("no_pool", "MarketDesk: asset has no pool"),
        ("blacklisted", "SettlementRouter: account is blacklisted by usdc"),
    ],
)
def test_withdraw_as_io__bad_input__reverts(router, desk, market, income, token, owner, provider, usdc, case, reason):
    amount, to = {"zero": (0, provider.address), "to": (USDC, ZERO), "too_much": (income + 1, provider.address)}.get(
        case, (USDC, provider.address)
    )
    if case == "no_pool":
        desk.set_asset_pool(token, ZERO, sender=owner)
    if case == "blacklisted":
        usdc.blacklist(provider, sender=owner)
    with ape.reverts(reason):
        desk.withdraw_as_io(amount, 0, to, sender=provider)


def test_withdraw_as_io__refund_is_not_income__reverts(router, desk, market, usdc, alice):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    router.end_booking(bid, sender=alice)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        desk.withdraw_as_io(USDC, 0, alice, sender=alice)


# ------------------------------------------------------------------ sandwiches
def test_sandwich__front_run_beyond_the_deviation__victim_reverts(router, desk, market, income, usdc, token, provider):
    """Front half: buy IO so the victim's USDC buys less. Beyond 2 % the victim's trade refuses to
    start; the attacker is left holding IO bought high."""
    market.push_io_price(40_000 * USDC, wait=1)
    dev = m.deviation_bps(market.spot_tick(), market.mean_tick())
    assert dev > 200
    with ape.reverts("guarded_swap: spot price too far from twap"):
        desk.withdraw_as_io(50 * USDC, 0, provider, sender=provider)
    assert router.income(provider, usdc) == income


def test_sandwich__front_run_within_the_deviation__slippage_bound_reverts(
    router, desk, market, income, usdc, token, provider
):
    """A subtler front-run moves the price 0.8 % (under the 2 % deviation): the victim would get
    less than TWAP value x 99 %, so its trade reverts instead of being sandwiched."""
    amount = 50 * USDC
    honest = market.quote_exact_input(usdc, token, amount)
    market.push_io_price(8_000 * USDC, wait=1)
    dev = m.deviation_bps(market.spot_tick(), market.mean_tick())
    assert 50 < dev <= 200
    twap_io = m.quote_at_tick(market.mean_tick(), amount, usdc.address, token.address)
    attacked = market.quote_exact_input(usdc, token, amount)
    assert attacked < m.min_out(twap_io, 100) <= honest  # the attack would cost the victim > 1 %
    with ape.reverts("guarded_swap: output below minimum"):
        desk.withdraw_as_io(amount, 0, provider, sender=provider)


def test_sandwich__tiny_front_run__victim_still_gets_at_least_twap_less_slippage(
    router, desk, market, income, usdc, token, provider
):
    """A front-run too small to trip either bound can only take what the slippage allows."""
    amount = 50 * USDC
    market.push_io_price(1_000 * USDC, wait=1)
    twap_io = m.quote_at_tick(market.mean_tick(), amount, usdc.address, token.address)
    got = desk.withdraw_as_io(amount, 0, provider, sender=provider).return_value
    assert got >= m.min_out(twap_io, 100)


# ------------------------------------------------------------------ book_with_asset
def test_book_with_asset__weth__buys_exactly_the_usdc_total_and_is_a_usdc_booking(
    router, desk, market, weth_renter, usdc, token, provider
):
    alice, weth = weth_renter, market.weth
    rate, hours = 3 * USDC, 10
    q = quote(rate, hours, True)
    twap_cost = m.quote_at_tick(market.mean_tick(market.weth_pool), q.total, usdc.address, weth.address)
    assert desk.quote_book_with_asset(weth, rate, hours) == (q.total, twap_cost, m.max_in(twap_cost, 100))
    expected_in = market.quote_exact_output(weth, usdc, q.total, market.weth_pool)
    weth_before, usdc_held = weth.balanceOf(alice), usdc.balanceOf(router)
    tx = desk.book_with_asset(DEVICE_A, weth, hours, rate, MAX, sender=alice)
    bid = tx.return_value
    assert weth_before - weth.balanceOf(alice) == expected_in  # about 30.75 USDC of WETH at 3,000
    assert usdc.balanceOf(router) - usdc_held == q.total
    b = router.bookings(bid)
    assert (b.renter, b.provider, b.token, b.hours, b.rate, b.open) == (
        alice.address,
        provider.address,
        usdc.address,
        hours,
        rate,
        True,
    )
    booked = one_log(tx, router.Booked)
    assert (booked.cost, booked.reservation_fee, booked.facilitation_fee, booked.max_total) == (
        q.cost,
        q.reservation_fee,
        q.facilitation_fee,
        q.total,
    )
    log = one_log(tx, desk.BookedWithAsset)
    assert (
        log.booking_id,
        log.renter,
        log.asset,
        log.pool,
        log.asset_in,
        log.usdc_out,
        log.twap_asset_in,
        log.max_asset_in,
    ) == (
        bid,
        alice.address,
        weth.address,
        market.weth_pool.address,
        expected_in,
        q.total,
        twap_cost,
        m.max_in(twap_cost, 100),
    )
    assert expected_in <= m.max_in(twap_cost, 100)
    assert conserved(router, usdc, token) and only_usdc_and_io(router, market, desk)


def test_book_with_asset__ended_early__refund_in_usdc_without_fee(router, desk, market, weth_renter, usdc, provider):
    alice = weth_renter
    bid = desk.book_with_asset(DEVICE_A, market.weth, 10, USDC_RATE, MAX, sender=alice).return_value
    router.end_booking(bid, sender=alice)
    assert router.refunds(alice, usdc) == 9 * USDC_RATE
    before = usdc.balanceOf(alice)
    router.withdraw_refund(usdc, 9 * USDC_RATE, alice, sender=alice)
    assert usdc.balanceOf(alice) - before == 9 * USDC_RATE
    assert router.income(provider, usdc) == net(USDC_RATE)


def test_book_with_asset__caller_maximum_below_cost__reverts(router, desk, market, weth_renter, usdc):
    total = quote(USDC_RATE, 10, True).total
    cost = market.quote_exact_output(market.weth, usdc, total, market.weth_pool)
    with ape.reverts("guarded_swap: input above maximum"):
        desk.book_with_asset(DEVICE_A, market.weth, 10, USDC_RATE, cost - 1, sender=weth_renter)
    desk.book_with_asset(DEVICE_A, market.weth, 10, USDC_RATE, cost, sender=weth_renter)


def test_book_with_asset__weth_price_pushed__reverts(router, desk, market, weth_renter):
    market.trade(market.usdc, market.weth, 50_000 * USDC)  # WETH up about 17 % on 600k USDC
    with ape.reverts("guarded_swap: spot price too far from twap"):
        desk.book_with_asset(DEVICE_A, market.weth, 10, USDC_RATE, MAX, sender=weth_renter)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("no_pool", "MarketDesk: asset has no pool"),
        ("usdc", "MarketDesk: asset has no pool"),
        ("zero_hours", "SettlementRouter: zero hours"),
        ("unknown_device", "SettlementRouter: unknown device"),
        ("not_eligible", "SettlementRouter: device not eligible"),
        ("blacklisted", "SettlementRouter: account is blacklisted by usdc"),
        ("paused", "pausable: contract is paused"),
        ("no_allowance", None),  # WETH9's transferFrom reverts without a reason
    ],
)
def test_book_with_asset__bad_input__reverts(router, desk, market, weth_renter, usdc, owner, bob, case, reason):
    asset, hours, device, sender = market.weth, 10, DEVICE_A, weth_renter
    if case == "no_pool":
        asset = owner
    elif case == "usdc":
        asset = usdc
    elif case == "zero_hours":
        hours = 0
    elif case == "not_eligible":
        device = DEVICE_OFF
    elif case == "unknown_device":
        device = b"\x01" * 32
    elif case == "blacklisted":
        usdc.blacklist(weth_renter, sender=owner)
    elif case == "paused":
        router.pause(sender=owner)
    else:
        market.weth.deposit(value=10**18, sender=bob)  # WETH9 reverts without a reason string
        sender = bob
    if case == "no_allowance":
        with ape.reverts():
            desk.book_with_asset(device, asset, hours, USDC_RATE, MAX, sender=sender)
        return
    with ape.reverts(reason):
        desk.book_with_asset(device, asset, hours, USDC_RATE, MAX, sender=sender)


# ------------------------------------------------------------------ governance: pools and bounds
def test_set_asset_pool__admin__sets_replaces_and_removes_with_events(router, desk, market, owner, suite, token):
    weth, weth_pool, io_pool = market.weth, market.weth_pool, market.io_pool
    tx = desk.set_asset_pool(weth, ZERO, sender=owner)
    log = one_log(tx, desk.AssetPoolUpdated)
    assert (log.asset, log.old_pool, log.new_pool) == (weth.address, weth_pool.address, ZERO)
    assert desk.asset_pools(weth) == ZERO
    with ape.reverts("MarketDesk: asset has no pool"):
        desk.quote_book_with_asset(weth, USDC_RATE, 1)
    tx = desk.set_asset_pool(weth, weth_pool, sender=owner)
    assert one_log(tx, desk.AssetPoolUpdated).old_pool == ZERO and desk.asset_pools(weth) == weth_pool.address
    assert desk.asset_pools(token) == io_pool.address


@pytest.mark.parametrize(
    "case, reason",
    [
        ("not_admin", "access_control: account is missing role"),
        ("usdc", "MarketDesk: asset cannot have a pool"),
        ("zero_asset", "MarketDesk: asset cannot have a pool"),
        ("no_code", "MarketDesk: pool has no code"),
        ("wrong_pair", "MarketDesk: pool does not pair the asset with usdc"),
    ],
)
def test_set_asset_pool__bad_input__reverts(router, desk, market, owner, operator, usdc, token, case, reason):
    asset, pool, sender = market.weth, market.weth_pool, owner
    if case == "not_admin":
        sender = operator
    elif case == "usdc":
        asset = usdc
    elif case == "zero_asset":
        asset = ZERO
    elif case == "no_code":
        pool = operator
    else:
        pool = market.io_pool  # IO/USDC, not WETH/USDC
    with ape.reverts(reason):
        desk.set_asset_pool(asset, pool, sender=sender)


def test_set_asset_pool__pairing__the_asset_with_usdc_in_either_order_only(
    router, desk, market, owner, usdc, scratch_deployer
):
    """A pool must pair the asset with USDC, in either order; the asset or USDC with a third token
    (IO), on either side, is refused (each half of the check is needed, and each of its tests)."""
    asset, other, usdc = market.weth.address, market.io.address, usdc.address
    for t0, t1 in ((asset, other), (other, asset), (usdc, other), (other, usdc)):
        pool = scratch_deployer.deploy(ape.project.MockPairPool, t0, t1, 3_000, 0)
        with ape.reverts("MarketDesk: pool does not pair the asset with usdc"):
            desk.set_asset_pool(asset, pool, sender=owner)
    for t0, t1 in ((asset, usdc), (usdc, asset)):
        pool = scratch_deployer.deploy(ape.project.MockPairPool, t0, t1, 3_000, 0)
        desk.set_asset_pool(asset, pool, sender=owner)
        assert desk.asset_pools(asset) == pool.address


def test_set_market_bounds__admin__logs_each_old_and_new_value(router, desk, owner):
    tx = desk.set_market_bounds(3_600, 300, 50, sender=owner)
    assert (desk.twap_window(), desk.max_deviation_bps(), desk.max_slippage_bps()) == (3_600, 300, 50)
    w = one_log(tx, desk.TwapWindowUpdated)
    d = one_log(tx, desk.MaxDeviationUpdated)
    s = one_log(tx, desk.MaxSlippageUpdated)
    assert (w.old_seconds, w.new_seconds, d.old_bps, d.new_bps, s.old_bps, s.new_bps) == (
        1_800,
        3_600,
        200,
        300,
        100,
        50,
    )
    desk.set_market_bounds(300, 1_000, 500, sender=owner)  # the outer bounds are accepted
    desk.set_market_bounds(86_400, 1, 1, sender=owner)


@pytest.mark.parametrize(
    "args, reason",
    [
        ((299, 200, 100), "guarded_swap: window out of bounds"),
        ((86_401, 200, 100), "guarded_swap: window out of bounds"),
        ((1_800, 0, 100), "guarded_swap: deviation out of bounds"),
        ((1_800, 1_001, 100), "guarded_swap: deviation out of bounds"),
        ((1_800, 200, 0), "guarded_swap: slippage out of bounds"),
        ((1_800, 200, 501), "guarded_swap: slippage out of bounds"),
    ],
)
def test_set_market_bounds__out_of_bounds__reverts(router, desk, owner, args, reason):
    with ape.reverts(reason):
        desk.set_market_bounds(*args, sender=owner)


def test_set_market_bounds__not_admin__reverts(router, desk, operator, treasury):
    for who in (operator, treasury):
        with ape.reverts("access_control: account is missing role"):
            desk.set_market_bounds(1_800, 200, 100, sender=who)


def test_trades_within_twap_bound__tighter_slippage__a_trade_that_passed_now_reverts(
    router, desk, market, income, owner, provider
):
    """Invariant 8: the bound is the TWAP value less max_slippage_bps: at 0.01 % no trade through
    a 0.3 % pool can pass; at the default 1 % it does."""
    desk.set_market_bounds(1_800, 200, 1, sender=owner)
    with ape.reverts("guarded_swap: output below minimum"):
        desk.withdraw_as_io(USDC, 0, provider, sender=provider)
    desk.set_market_bounds(1_800, 200, 100, sender=owner)
    desk.withdraw_as_io(USDC, 0, provider, sender=provider)


def test_only_usdc_and_io_held__after_io_payouts_and_asset_bookings__nothing_else_nothing_unspent(
    router, desk, market, income, weth_renter, usdc, token, provider
):
    """Invariant 9: after IO payouts and WETH bookings the router's USDC and IO are exactly its
    books and no WETH was left in it by a swap: the renter's WETH went straight to the pool."""
    for _ in range(2):
        desk.withdraw_as_io(10 * USDC, 0, provider, sender=provider)
        desk.book_with_asset(DEVICE_A, market.weth, 5, USDC_RATE, MAX, sender=weth_renter)
        assert only_usdc_and_io(router, market, desk)
    assert market.weth.allowance(weth_renter, desk) == MAX  # WETH9 keeps an infinite allowance
    assert conserved(router, usdc, token)


# ------------------------------------------------------------------ the callback
def test_callback__from_anyone_but_the_pool_of_a_swap__reverts(router, desk, market, attacker, provider, income):
    with ape.reverts("guarded_swap: callback from unexpected caller"):
        desk.uniswapV3SwapCallback(10**6, 0, b"", sender=attacker)
    # not even the configured pool may call it outside a swap (an eth_call from the pool's address)
    reason = _revert_reason(desk, "uniswapV3SwapCallback", 10**6, 0, b"", sender=market.io_pool.address)
    assert reason is not None and "callback from unexpected caller" in reason


@pytest.mark.parametrize(
    "mode, reason",
    [
        (1, "guarded_swap: unexpected payment request"),  # both tokens asked for
        (2, "guarded_swap: unexpected payment request"),  # the token bought asked for
        (3, "guarded_swap: input above maximum"),  # more than the input
        (4, "guarded_swap: input not fully spent"),  # an exact input partly taken
    ],
)
def test_callback__pool_misbehaves_on_withdraw_as_io__reverts(
    router, desk, market, income, project, owner, scratch_deployer, token, provider, mode, reason
):
    evil = scratch_deployer.deploy(project.MockEvilPool, market.io_pool, mode)
    desk.set_asset_pool(token, evil, sender=owner)
    with ape.reverts(reason):
        desk.withdraw_as_io(USDC, 0, provider, sender=provider)


def test_callback__pool_delivers_less_than_bought__booking_reverts(
    router, desk, market, weth_renter, project, owner, scratch_deployer
):
    evil = scratch_deployer.deploy(project.MockEvilPool, market.weth_pool, 5)
    desk.set_asset_pool(market.weth, evil, sender=owner)
    with ape.reverts("guarded_swap: output not fully delivered"):
        desk.book_with_asset(DEVICE_B, market.weth, 10, USDC_RATE, MAX, sender=weth_renter)

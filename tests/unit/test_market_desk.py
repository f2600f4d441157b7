"""MarketDesk.vy, the router's trading desk: its constructor and roles, and the router's two desk
entries (`desk_book`, `desk_withdraw`), which nobody but the holder of MARKET_DESK_ROLE may call
and which book only what the router was paid (router invariant 8, desk_books_only_what_was_paid;
desk invariant 2, only_the_payer_books_and_only_the_provider_withdraws). The trades themselves are
in tests/unit/test_router_market.py."""

from __future__ import annotations

import ape
import pytest

from ionet import USDC
from ionet.models.settlement import quote
from tests.conftest import advance
from tests.router_helpers import DEVICE_A, HOUR, USDC_RATE, book, conserved, one_log

# Every test starts from alice and bob funded once for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("renters_funded_per_module")

ZERO = "0x" + "00" * 20
MISSING_ROLE = "access_control: account is missing role"


# ------------------------------------------------------------------ constructor
def test_init__configured__router_tokens_pools_bounds_and_admin(desk, router, market_pools, usdc, token, owner):
    io_pool, weth_pool = market_pools
    assert desk.ROUTER() == router.address
    assert (desk.USDC(), desk.IO()) == (usdc.address, token.address)
    assert desk.asset_pools(token) == io_pool.address
    weth = weth_pool.token0() if weth_pool.token1() == usdc.address else weth_pool.token1()
    assert desk.asset_pools(weth) == weth_pool.address
    assert (desk.twap_window(), desk.max_deviation_bps(), desk.max_slippage_bps()) == (1_800, 200, 100)
    assert desk.hasRole(desk.DEFAULT_ADMIN_ROLE(), owner)
    assert router.hasRole(router.MARKET_DESK_ROLE(), desk)


def test_init__admin_other_than_deployer__admin_moves(project, scratch_deployer, router, desk_args, alice):
    d = scratch_deployer.deploy(project.MarketDesk, router, *desk_args, alice)
    assert d.hasRole(d.DEFAULT_ADMIN_ROLE(), alice)
    assert not d.hasRole(d.DEFAULT_ADMIN_ROLE(), scratch_deployer)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("router_without_code", "MarketDesk: router has no code"),
        ("admin_zero", "MarketDesk: admin is the zero address"),
        ("no_io_pool", "MarketDesk: no io/usdc pool"),
        ("pool_without_code", "MarketDesk: pool has no code"),
        ("window", "guarded_swap: window out of bounds"),
        ("deviation", "guarded_swap: deviation out of bounds"),
        ("slippage", "guarded_swap: slippage out of bounds"),
    ],
)
def test_init__bad_config__reverts(project, owner, scratch_deployer, router, market_pools, case, reason):
    pools = [p.address for p in market_pools]
    base = (router, pools, 1_800, 200, 100, owner)
    args = {
        "router_without_code": (owner, *base[1:]),
        "admin_zero": (*base[:5], ZERO),
        "no_io_pool": (router, pools[1:], *base[2:]),
        "pool_without_code": (router, [*pools, owner.address], *base[2:]),
        "window": (*base[:2], 299, 200, 100, owner),
        "deviation": (*base[:3], 1_001, 100, owner),
        "slippage": (*base[:4], 0, owner),
    }[case]
    with ape.reverts(reason):
        scratch_deployer.deploy(project.MarketDesk, *args)


# ------------------------------------------------------------------ the router's desk entries
def test_desk_book__caller_without_the_desk_role__reverts(router, desk, attacker, alice):
    total = quote(USDC_RATE, 10, True).total
    with ape.reverts(MISSING_ROLE):
        router.desk_book(DEVICE_A, alice, 10, USDC_RATE, total, sender=attacker)


def test_desk_withdraw__caller_without_the_desk_role__reverts(router, desk, usdc, alice, operator, provider,
                                                              attacker):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(10 * HOUR)
    router.record_work(bid, 10, sender=operator)
    with ape.reverts(MISSING_ROLE):
        router.desk_withdraw(provider, USDC, sender=attacker)
    with ape.reverts(MISSING_ROLE):  # nor the provider itself: its own withdrawals pay the fee
        router.desk_withdraw(provider, USDC, sender=provider)


def test_desk_books_only_what_was_paid__unpaid_booking__reverts_paid_one_books(
    router, desk, usdc, token, owner, alice, carol
):
    """Router invariant 8 (desk_books_only_what_was_paid): even a holder of MARKET_DESK_ROLE cannot
    book more than the router's USDC balance covers; once the total arrived, the booking is the
    renter's, with the router's `Booked`."""
    router.grantRole(router.MARKET_DESK_ROLE(), carol, sender=owner)  # a stand-in desk
    q = quote(USDC_RATE, 10, True)
    assert router.quote_desk_booking(DEVICE_A, alice, 10, USDC_RATE) == q.total
    with ape.reverts("SettlementRouter: booking not paid"):
        router.desk_book(DEVICE_A, alice, 10, USDC_RATE, q.total, sender=carol)
    usdc.transfer(router, q.total - 1, sender=alice)
    with ape.reverts("SettlementRouter: booking not paid"):  # one base unit short
        router.desk_book(DEVICE_A, alice, 10, USDC_RATE, q.total, sender=carol)
    usdc.transfer(router, 1, sender=alice)
    with ape.reverts("SettlementRouter: total above maximum"):
        router.desk_book(DEVICE_A, alice, 10, USDC_RATE, q.total - 1, sender=carol)
    tx = router.desk_book(DEVICE_A, alice, 10, USDC_RATE, q.total, sender=carol)
    b = router.bookings(tx.return_value)
    assert (b.renter, b.token, b.hours, b.rate, b.open) == (alice.address, usdc.address, 10, USDC_RATE, True)
    log = one_log(tx, router.Booked)
    assert (log.renter, log.token, log.cost, log.reservation_fee, log.facilitation_fee, log.max_total) == (
        alice.address, usdc.address, q.cost, q.reservation_fee, q.facilitation_fee, q.total)
    assert conserved(router, usdc, token)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("paused", "pausable: contract is paused"),
        ("blacklisted", "SettlementRouter: account is blacklisted by usdc"),
        ("zero_rate", "SettlementRouter: zero rate"),
        ("too_many_hours", "SettlementRouter: too many hours"),
    ],
)
def test_quote_desk_booking__bad_terms__reverts_with_the_router_reason(
    router, desk, usdc, owner, alice, case, reason
):
    hours, rate = 10, USDC_RATE
    if case == "paused":
        router.pause(sender=owner)
    elif case == "blacklisted":
        usdc.blacklist(alice, sender=owner)
    elif case == "zero_rate":
        rate = 0
    else:
        hours = router.MAX_HOURS() + 1
    with ape.reverts(reason):
        router.quote_desk_booking(DEVICE_A, alice, hours, rate)


def test_desk_withdraw__desk_role__takes_the_named_income_fee_free_to_the_caller(
    router, desk, usdc, token, owner, alice, operator, provider, carol
):
    """The role moves a provider's income to its holder without fee: that is why only the desk holds
    it (ionet/chain/roles.py, `ape run roles --strict`), and why the desk names only its own caller."""
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(10 * HOUR)
    router.record_work(bid, 10, sender=operator)
    income, fees = router.income(provider, usdc), router.fees(usdc)
    router.grantRole(router.MARKET_DESK_ROLE(), carol, sender=owner)
    before = usdc.balanceOf(carol)
    tx = router.desk_withdraw(provider, USDC, sender=carol)
    assert usdc.balanceOf(carol) - before == USDC and router.fees(usdc) == fees
    assert router.income(provider, usdc) == income - USDC
    w = one_log(tx, router.Withdrawn)
    assert (w.account, w.token, w.to, w.amount, w.payment_fee) == (provider.address, usdc.address, carol.address,
                                                                    USDC, 0)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.desk_withdraw(provider, income, sender=carol)
    with ape.reverts("SettlementRouter: zero amount"):
        router.desk_withdraw(provider, 0, sender=carol)
    assert conserved(router, usdc, token)


def test_only_the_provider_withdraws__desk_takes_its_caller_income_only(
    router, desk, market, usdc, alice, operator, provider, bob
):
    """Desk invariant 2: `withdraw_as_io` names no account; bob, with no income, cannot reach the
    provider's."""
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(10 * HOUR)
    router.record_work(bid, 10, sender=operator)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        desk.withdraw_as_io(USDC, 0, bob, sender=bob)
    desk.withdraw_as_io(USDC, 0, bob, sender=provider)  # the provider may send its IO anywhere


def test_desk_without_the_role__its_trades_revert_and_nothing_moves(
    router, desk, market, usdc, owner, alice, operator, provider
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(10 * HOUR)
    router.record_work(bid, 10, sender=operator)
    market.weth.deposit(value=10**18, sender=alice)
    market.weth.approve(desk, 10**18, sender=alice)
    router.revokeRole(router.MARKET_DESK_ROLE(), desk, sender=owner)
    income, weth = router.income(provider, usdc), market.weth.balanceOf(alice)
    with ape.reverts(MISSING_ROLE):
        desk.withdraw_as_io(USDC, 0, provider, sender=provider)
    with ape.reverts(MISSING_ROLE):
        desk.book_with_asset(DEVICE_A, market.weth, 1, USDC_RATE, 10**18, sender=alice)
    assert router.income(provider, usdc) == income and market.weth.balanceOf(alice) == weth

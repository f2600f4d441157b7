"""SettlementRouter: pull withdrawals, fees, and USDC realities (blacklist, pause), invariants 1 and 4."""

import ape

from tests.conftest import advance
from tests.router_helpers import DEVICE_A, DEVICE_B, HOUR, IO_RATE, MAX, USDC_RATE, book, conserved, one_log


def _worked(router, usdc, renter, operator, hours=3, device=DEVICE_A, token=None, rate=USDC_RATE):
    """A booking of `hours` fully worked: its provider holds rate x hours."""
    bid, _ = book(router, token or usdc, renter, rate, hours, device=device)
    advance(hours * HOUR)
    router.record_work(bid, hours, sender=operator)
    return bid


# ------------------------------------------------------------------ withdraw
def test_withdraw__provider_to_another_address__pays_and_logs(
    router, usdc, token, alice, operator, provider, carol
):
    _worked(router, usdc, alice, operator)
    before = usdc.balanceOf(carol)
    tx = router.withdraw(usdc, 2 * USDC_RATE, carol, sender=provider)
    assert usdc.balanceOf(carol) == before + 2 * USDC_RATE
    assert router.balances(provider, usdc) == USDC_RATE
    assert router.total_credited(usdc) == USDC_RATE
    log = one_log(tx, router.Withdrawn)
    assert (log.account, log.token, log.to, log.amount) == (
        provider.address,
        usdc.address,
        carol.address,
        2 * USDC_RATE,
    )
    assert conserved(router, usdc, token)


def test_withdraw__renter_refund_in_io__pays(router, usdc, token, alice):
    bid, _ = book(router, token, alice, IO_RATE, 10)
    router.end_booking(bid, sender=alice)
    before = token.balanceOf(alice)
    router.withdraw(token, 9 * IO_RATE, alice, sender=alice)
    assert token.balanceOf(alice) == before + 9 * IO_RATE
    assert router.balances(alice, token) == 0
    assert conserved(router, usdc, token)


def test_withdraw__more_than_balance__reverts(router, usdc, alice, operator, provider, attacker):
    _worked(router, usdc, alice, operator)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.withdraw(usdc, 3 * USDC_RATE + 1, provider, sender=provider)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.withdraw(usdc, 1, attacker, sender=attacker)


def test_withdraw__unsupported_token__reverts(router, provider, alice):
    with ape.reverts("SettlementRouter: unsupported token"):
        router.withdraw(alice, 0, provider, sender=provider)


def test_withdraw__to_zero_address__reverts(router, usdc, provider):
    with ape.reverts("SettlementRouter: withdraw to the zero address"):
        router.withdraw(usdc, 0, "0x" + "00" * 20, sender=provider)


# ------------------------------------------------------------------ withdraw_fees
def test_withdraw_fees__treasury__pays_fees(router, usdc, token, alice, treasury):
    book(router, usdc, alice, USDC_RATE, 10)
    book(router, token, alice, IO_RATE, 10)
    usdc_fees, io_fees = router.fees(usdc), router.fees(token)
    assert usdc_fees == 62_500 + 500_000 and io_fees == 10 * IO_RATE * 25 // 10_000
    tx = router.withdraw_fees(usdc, usdc_fees, treasury, sender=treasury)
    router.withdraw_fees(token, io_fees, treasury, sender=treasury)
    assert usdc.balanceOf(treasury) == usdc_fees and token.balanceOf(treasury) >= io_fees
    assert router.fees(usdc) == 0 and router.fees(token) == 0
    log = one_log(tx, router.FeesWithdrawn)
    assert (log.caller, log.token, log.to, log.amount) == (
        treasury.address,
        usdc.address,
        treasury.address,
        usdc_fees,
    )
    assert conserved(router, usdc, token)


def test_withdraw_fees__not_treasury__reverts(router, usdc, operator, owner):
    for who in (operator, owner):
        with ape.reverts("access_control: account is missing role"):
            router.withdraw_fees(usdc, 0, who, sender=who)


def test_withdraw_fees__more_than_fees__reverts(router, usdc, alice, treasury):
    book(router, usdc, alice, USDC_RATE, 10)
    with ape.reverts("SettlementRouter: amount exceeds fees"):
        router.withdraw_fees(usdc, router.fees(usdc) + 1, treasury, sender=treasury)


def test_withdraw_fees__bad_token_or_recipient__reverts(router, treasury):
    with ape.reverts("SettlementRouter: unsupported token"):
        router.withdraw_fees(treasury, 0, treasury, sender=treasury)
    with ape.reverts("SettlementRouter: withdraw to the zero address"):
        router.withdraw_fees(router.USDC(), 0, "0x" + "00" * 20, sender=treasury)


# ------------------------------------------------------------------ USDC blacklist
def test_blacklisted_provider__blocks_nobody_else__and_cannot_move_its_usdc_out(
    router, usdc, token, alice, bob, operator, owner, provider, provider2, carol, treasury
):
    b1, _ = book(router, usdc, alice, USDC_RATE, 10)  # provider (to be blacklisted)
    b2, _ = book(router, usdc, bob, USDC_RATE, 10, device=DEVICE_B)  # provider2
    usdc.blacklist(provider, sender=owner)
    # bookings, records, refunds and withdrawals of everyone else go on
    b3, _ = book(router, usdc, bob, USDC_RATE, 4)  # even a new booking of the blacklisted provider's device
    advance(5 * HOUR)
    router.record_work_batch([b1, b2, b3], [5, 5, 4], sender=operator)
    router.operator_end_booking(b1, 0, sender=operator)
    router.end_booking(b2, sender=bob)
    assert router.balances(provider, usdc) == 9 * USDC_RATE
    router.withdraw(usdc, 5 * USDC_RATE, provider2, sender=provider2)
    router.withdraw(usdc, 5 * USDC_RATE, alice, sender=alice)
    router.withdraw_fees(usdc, router.fees(usdc), treasury, sender=treasury)
    # the blacklisted provider's USDC stays in the router, to no address
    with ape.reverts("SettlementRouter: account is blacklisted by usdc"):
        router.withdraw(usdc, USDC_RATE, carol, sender=provider)
    assert conserved(router, usdc, token)
    usdc.unBlacklist(provider, sender=owner)
    router.withdraw(usdc, 9 * USDC_RATE, carol, sender=provider)
    assert conserved(router, usdc, token)


def test_blacklisted_renter__refund_credited__others_unaffected(
    router, usdc, token, alice, bob, owner, operator, provider2
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    usdc.blacklist(alice, sender=owner)
    usdc.approve(router, MAX, sender=bob)
    with ape.reverts("Blacklistable: account is blacklisted"):  # alice herself cannot pay any more
        usdc.transfer(bob, 1, sender=alice)
    b2 = router.book(DEVICE_B, usdc, 2, USDC_RATE, MAX, sender=bob).return_value
    router.end_booking(bid, sender=alice)  # termination and refund are accounting
    assert router.balances(alice, usdc) == 9 * USDC_RATE
    advance(2 * HOUR)
    router.record_work(b2, 2, sender=operator)
    router.withdraw(usdc, 2 * USDC_RATE, provider2, sender=provider2)
    assert conserved(router, usdc, token)


def test_blacklisted_recipient__only_that_withdrawal_reverts(
    router, usdc, alice, operator, owner, provider, carol, attacker
):
    _worked(router, usdc, alice, operator)
    usdc.blacklist(attacker, sender=owner)
    with ape.reverts("Blacklistable: account is blacklisted"):
        router.withdraw(usdc, USDC_RATE, attacker, sender=provider)
    router.withdraw(usdc, 3 * USDC_RATE, carol, sender=provider)  # the same balance, to another address
    assert router.balances(provider, usdc) == 0


# ------------------------------------------------------------------ USDC pause
def test_usdc_paused__records_and_endings_work__withdrawals_after_unpause(
    router, usdc, token, alice, bob, operator, owner, provider, provider2
):
    b1, _ = book(router, usdc, alice, USDC_RATE, 10)
    b2, _ = book(router, token, bob, IO_RATE, 10, device=DEVICE_B)
    usdc.pause(sender=owner)
    with ape.reverts("Pausable: paused"):  # new USDC bookings cannot be paid
        router.book(DEVICE_A, usdc, 1, USDC_RATE, MAX, sender=bob)
    book(router, token, bob, IO_RATE, 1)  # IO bookings go on
    advance(4 * HOUR)
    router.record_work_batch([b1, b2], [4, 4], sender=operator)
    used = one_log(
        router.end_booking(b1, sender=alice), router.BookingEnded
    ).hours_paid  # 4, or 5 if a second passed
    router.operator_end_booking(b2, 0, sender=operator)
    with ape.reverts("Pausable: paused"):
        router.withdraw(usdc, USDC_RATE, provider, sender=provider)
    router.withdraw(token, 4 * IO_RATE, provider2, sender=provider2)  # IO is not paused
    assert router.balances(provider, usdc) == used * USDC_RATE
    assert router.balances(alice, usdc) == (10 - used) * USDC_RATE
    usdc.unpause(sender=owner)
    router.withdraw(usdc, used * USDC_RATE, provider, sender=provider)
    router.withdraw(usdc, (10 - used) * USDC_RATE, alice, sender=alice)
    assert conserved(router, usdc, token)


# ------------------------------------------------------------------ invariants by name
def test_conservation__held_equals_escrow_plus_credited_plus_fees__through_a_day(
    router, usdc, token, alice, bob, operator, provider, treasury
):
    b1, _ = book(router, usdc, alice, USDC_RATE, 30)
    b2, _ = book(router, token, bob, IO_RATE, 30, device=DEVICE_B)
    assert conserved(router, usdc, token)
    advance(24 * HOUR)
    router.record_work_batch([b1, b2], [24, 24], sender=operator)
    assert conserved(router, usdc, token)
    router.end_booking(b1, sender=alice)
    assert conserved(router, usdc, token)
    router.withdraw(usdc, 20 * USDC_RATE, provider, sender=provider)
    router.withdraw_fees(token, router.fees(token), treasury, sender=treasury)
    assert conserved(router, usdc, token)
    for t in (usdc, token):
        held = t.balanceOf(router)
        assert held == router.total_escrow(t) + router.total_credited(t) + router.fees(t) > 0


def test_o1_in_bookings__record_and_withdraw_gas_do_not_grow(router, usdc, alice, operator, provider):
    """Invariant 4: the same operation costs the same gas with 2 or with 42 bookings stored."""
    usdc.approve(router, MAX, sender=alice)
    first = router.book(DEVICE_A, usdc, 10, USDC_RATE, MAX, sender=alice).return_value
    second = router.book(DEVICE_A, usdc, 10, USDC_RATE, MAX, sender=alice)
    advance(2 * HOUR)
    router.record_work(first, 1, sender=operator)  # provider balance now nonzero
    gas_record = router.record_work(first, 1, sender=operator).gas_used
    snap_book = second.gas_used
    for _ in range(40):
        router.book(DEVICE_A, usdc, 10, USDC_RATE, MAX, sender=alice)
    advance(HOUR)
    assert router.record_work(first, 1, sender=operator).gas_used == gas_record
    assert router.book(DEVICE_A, usdc, 10, USDC_RATE, MAX, sender=alice).gas_used == snap_book
    assert router.next_booking_id() == 44

"""SettlementRouter: pull withdrawals (income with the supplier-side payment fee, refunds without
any fee), the fee balance of both sides, and USDC realities (blacklist, pause), invariants 1, 4, 7."""

import ape
import pytest

from ionet.models.settlement import payment_fee
from tests.conftest import advance
from tests.router_helpers import (
    DEVICE_A,
    DEVICE_B,
    HOUR,
    IO_RATE,
    MAX,
    USDC_RATE,
    book,
    conserved,
    net,
    one_log,
    paid_out,
    sfee,
)

# Every test starts from alice and bob funded once for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("renters_funded_per_module")

ZERO = "0x" + "00" * 20


def _worked(router, usdc, renter, operator, hours=3, device=DEVICE_A, token=None, rate=USDC_RATE):
    """A booking of `hours` fully worked in one record: its provider's income is net(rate x hours)."""
    bid, _ = book(router, token or usdc, renter, rate, hours, device=device)
    advance(hours * HOUR)
    router.record_work(bid, hours, sender=operator)
    return bid


# ------------------------------------------------------------------ withdraw (income)
def test_withdraw__usdc_income__pays_less_the_payment_fee_and_logs(
    router, usdc, token, alice, operator, provider, carol
):
    _worked(router, usdc, alice, operator)
    income = router.income(provider, usdc)
    assert income == net(3 * USDC_RATE) == 7_481_250  # 7.5 USDC less the 0.25 % supplier fee
    fees = router.fees(usdc)
    before = usdc.balanceOf(carol)
    amount = 5 * 10**6
    assert router.quote_withdraw(usdc, amount) == (100_000, 4_900_000)  # 2 % payment fee
    tx = router.withdraw(usdc, amount, carol, sender=provider)
    assert usdc.balanceOf(carol) == before + paid_out(amount) == before + 4_900_000
    assert router.income(provider, usdc) == income - amount
    assert router.total_credited(usdc) == income - amount
    assert router.fees(usdc) == fees + 100_000
    log = one_log(tx, router.Withdrawn)
    assert (log.account, log.token, log.to, log.amount, log.payment_fee) == (
        provider.address,
        usdc.address,
        carol.address,
        amount,
        100_000,
    )
    assert conserved(router, usdc, token)


def test_withdraw__io_income__no_payment_fee(router, usdc, token, alice, operator, provider2):
    _worked(router, usdc, alice, operator, hours=4, device=DEVICE_B, token=token, rate=IO_RATE)
    income = router.income(provider2, token)
    fees = router.fees(token)
    assert router.quote_withdraw(token, income) == (0, income)
    before = token.balanceOf(provider2)
    tx = router.withdraw(token, income, provider2, sender=provider2)
    assert token.balanceOf(provider2) == before + income
    assert router.income(provider2, token) == 0 and router.fees(token) == fees
    assert one_log(tx, router.Withdrawn).payment_fee == 0
    assert conserved(router, usdc, token)


@pytest.mark.parametrize("amount", [1, 49, 50, 51, 10**6 + 1])
def test_withdraw__payment_fee__rounded_up_in_the_protocols_favour(
    router, usdc, token, alice, operator, provider, amount
):
    _worked(router, usdc, alice, operator)
    fee = payment_fee(amount, True)
    assert fee * 10_000 >= amount * 200 > (fee - 1) * 10_000  # the exact fee, rounded up
    before = usdc.balanceOf(provider)
    router.withdraw(usdc, amount, provider, sender=provider)
    assert usdc.balanceOf(provider) - before == amount - fee
    assert conserved(router, usdc, token)


def test_withdraw__refund_is_not_income__reverts(router, usdc, token, alice):
    bid, _ = book(router, token, alice, IO_RATE, 10)
    router.end_booking(bid, sender=alice)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.withdraw(token, 1, alice, sender=alice)


def test_withdraw__more_than_balance__reverts(router, usdc, alice, operator, provider, attacker):
    _worked(router, usdc, alice, operator)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.withdraw(usdc, net(3 * USDC_RATE) + 1, provider, sender=provider)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.withdraw(usdc, 1, attacker, sender=attacker)


def test_withdraw__unsupported_token__reverts(router, provider, alice):
    with ape.reverts("SettlementRouter: unsupported token"):
        router.withdraw(alice, 0, provider, sender=provider)


def test_withdraw__to_zero_address__reverts(router, usdc, provider):
    with ape.reverts("SettlementRouter: withdraw to the zero address"):
        router.withdraw(usdc, 0, ZERO, sender=provider)


def test_withdraw__zero_amount__reverts(router, usdc, alice, operator, provider):
    _worked(router, usdc, alice, operator)
    with ape.reverts("SettlementRouter: zero amount"):
        router.withdraw(usdc, 0, provider, sender=provider)


# ------------------------------------------------------------------ withdraw_refund
def test_withdraw_refund__renter_refund_in_io__pays_in_full_and_logs(router, usdc, token, alice, carol):
    bid, _ = book(router, token, alice, IO_RATE, 10)
    router.end_booking(bid, sender=alice)
    assert router.refunds(alice, token) == 9 * IO_RATE
    before = token.balanceOf(carol)
    tx = router.withdraw_refund(token, 9 * IO_RATE, carol, sender=alice)
    assert token.balanceOf(carol) == before + 9 * IO_RATE
    assert router.refunds(alice, token) == 0
    log = one_log(tx, router.RefundWithdrawn)
    assert (log.account, log.token, log.to, log.amount) == (alice.address, token.address, carol.address, 9 * IO_RATE)
    assert conserved(router, usdc, token)


def test_withdraw_refund__usdc__no_fee_at_all(router, usdc, token, alice):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    router.end_booking(bid, sender=alice)
    fees = router.fees(usdc)
    before = usdc.balanceOf(alice)
    router.withdraw_refund(usdc, 9 * USDC_RATE, alice, sender=alice)
    assert usdc.balanceOf(alice) == before + 9 * USDC_RATE
    assert router.fees(usdc) == fees
    assert conserved(router, usdc, token)


def test_withdraw_refund__income_is_not_a_refund__reverts(router, usdc, alice, operator, provider):
    _worked(router, usdc, alice, operator)
    with ape.reverts("SettlementRouter: amount exceeds balance"):
        router.withdraw_refund(usdc, 1, provider, sender=provider)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("token", "SettlementRouter: unsupported token"),
        ("to", "SettlementRouter: withdraw to the zero address"),
        ("zero", "SettlementRouter: zero amount"),
        ("too_much", "SettlementRouter: amount exceeds balance"),
    ],
)
def test_withdraw_refund__bad_input__reverts(router, usdc, alice, case, reason):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    router.end_booking(bid, sender=alice)
    token, amount, to = {
        "token": (alice, 1, alice),
        "to": (usdc, 1, ZERO),
        "zero": (usdc, 0, alice),
        "too_much": (usdc, 9 * USDC_RATE + 1, alice),
    }[case]
    with ape.reverts(reason):
        router.withdraw_refund(token, amount, to, sender=alice)


def test_withdraw_refund__blacklisted_renter__cannot_move_usdc(router, usdc, alice, owner):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    router.end_booking(bid, sender=alice)
    usdc.blacklist(alice, sender=owner)
    with ape.reverts("SettlementRouter: account is blacklisted by usdc"):
        router.withdraw_refund(usdc, USDC_RATE, alice, sender=alice)


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


def test_withdraw_fees__bad_token_recipient_or_zero__reverts(router, treasury):
    with ape.reverts("SettlementRouter: unsupported token"):
        router.withdraw_fees(treasury, 0, treasury, sender=treasury)
    with ape.reverts("SettlementRouter: withdraw to the zero address"):
        router.withdraw_fees(router.USDC(), 1, ZERO, sender=treasury)
    with ape.reverts("SettlementRouter: zero amount"):
        router.withdraw_fees(router.USDC(), 0, treasury, sender=treasury)


def test_withdraw_fees__every_fee_kind__one_balance_drawn_payment_fees_first(
    router, usdc, token, alice, operator, provider, treasury
):
    """Renter reservation + facilitation, supplier reservation and payment fees are one balance."""
    _worked(router, usdc, alice, operator, hours=4)
    gross = 4 * USDC_RATE
    renter_fees = 25_000 + 200_000  # ceil(10 USDC x 0.25 %), ceil(10 USDC x 2 %)
    router.withdraw(usdc, net(gross), provider, sender=provider)
    pay_fee = payment_fee(net(gross), True)
    assert router.fees(usdc) == renter_fees + sfee(gross) + pay_fee
    part = pay_fee + 1  # all the payment fees and one unit of the rest
    router.withdraw_fees(usdc, part, treasury, sender=treasury)
    assert router.fees(usdc) == renter_fees + sfee(gross) - 1
    router.withdraw_fees(usdc, router.fees(usdc), treasury, sender=treasury)
    assert router.fees(usdc) == 0 and usdc.balanceOf(router) == 0
    assert conserved(router, usdc, token)


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
    assert router.income(provider, usdc) == net(5 * USDC_RATE) + net(4 * USDC_RATE)
    router.withdraw(usdc, router.income(provider2, usdc), provider2, sender=provider2)
    router.withdraw_refund(usdc, 5 * USDC_RATE, alice, sender=alice)
    router.withdraw_fees(usdc, router.fees(usdc), treasury, sender=treasury)
    # the blacklisted provider's USDC stays in the router, to no address
    with ape.reverts("SettlementRouter: account is blacklisted by usdc"):
        router.withdraw(usdc, USDC_RATE, carol, sender=provider)
    assert conserved(router, usdc, token)
    usdc.unBlacklist(provider, sender=owner)
    router.withdraw(usdc, router.income(provider, usdc), carol, sender=provider)
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
    assert router.refunds(alice, usdc) == 9 * USDC_RATE
    advance(2 * HOUR)
    router.record_work(b2, 2, sender=operator)
    router.withdraw(usdc, net(2 * USDC_RATE), provider2, sender=provider2)
    assert conserved(router, usdc, token)


def test_blacklisted_recipient__only_that_withdrawal_reverts(
    router, usdc, alice, operator, owner, provider, carol, attacker
):
    _worked(router, usdc, alice, operator)
    usdc.blacklist(attacker, sender=owner)
    with ape.reverts("Blacklistable: account is blacklisted"):
        router.withdraw(usdc, USDC_RATE, attacker, sender=provider)
    router.withdraw(usdc, net(3 * USDC_RATE), carol, sender=provider)  # the same balance, to another address
    assert router.income(provider, usdc) == 0


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
    router.withdraw(token, net(4 * IO_RATE), provider2, sender=provider2)  # IO is not paused
    income = net(4 * USDC_RATE) + net((used - 4) * USDC_RATE)
    assert router.income(provider, usdc) == income
    assert router.refunds(alice, usdc) == (10 - used) * USDC_RATE
    usdc.unpause(sender=owner)
    router.withdraw(usdc, income, provider, sender=provider)
    router.withdraw_refund(usdc, (10 - used) * USDC_RATE, alice, sender=alice)
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
    router.withdraw_refund(usdc, USDC_RATE, alice, sender=alice)
    router.withdraw_fees(token, router.fees(token), treasury, sender=treasury)
    assert conserved(router, usdc, token)
    for t in (usdc, token):
        held = t.balanceOf(router)
        assert held == router.total_held(t) == router.total_escrow(t) + router.total_credited(t) + router.fees(t) > 0


def test_provider_plus_fees_equals_cost__every_payment(router, usdc, token, alice, bob, operator, provider):
    """Invariant 7: for every paid hour, provider credit + supplier fee == rate x hours (records,
    a renter's early end, a settlement), whatever the rounding of each payment."""
    rate = 1_000_003  # fees never exact
    b1, _ = book(router, usdc, alice, rate, 30)
    advance(5 * HOUR)
    paid_hours = 0
    for hours in (1, 2, 1):
        tx = router.record_work(b1, hours, sender=operator)
        log = one_log(tx, router.WorkRecorded)
        assert log.amount == rate * hours and log.supplier_fee == sfee(rate * hours)
        paid_hours += hours
    tx = router.end_booking(b1, sender=alice)
    ended = one_log(tx, router.BookingEnded)
    paid_hours += ended.hours_paid - 4
    fees_supplier = sum(sfee(rate * h) for h in (1, 2, 1)) + ended.supplier_fee
    assert router.income(provider, usdc) + fees_supplier == rate * paid_hours
    assert conserved(router, usdc, token)


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

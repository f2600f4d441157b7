"""SettlementRouter: work records (single and batch), early endings by renter and operator, the
grace-period settlement of bookings nobody ended."""

import ape
import pytest
from ape import chain

from ionet.models.settlement import END_BY_OPERATOR, END_BY_RENTER, END_COMPLETED, END_EXPIRED
from tests.conftest import advance
from tests.router_helpers import DAY, DEVICE_B, HOUR, IO_RATE, USDC_RATE, book, conserved, net, one_log, sfee

# Every test starts from alice and bob funded once for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("renters_funded_per_module")


# ------------------------------------------------------------------ record_work
def test_record_work__operator__credits_provider_and_moves_escrow(
    router, usdc, token, alice, operator, provider
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 48)
    escrow = router.total_escrow(usdc)
    advance(DAY)
    fees = router.fees(usdc)
    tx = router.record_work(bid, 24, sender=operator)
    gross = 24 * USDC_RATE
    assert sfee(gross) == 150_000  # 0.25 % of 60 USDC, charged to the supplier
    assert router.income(provider, usdc) == net(gross) == gross - 150_000
    assert router.total_credited(usdc) == net(gross)
    assert router.fees(usdc) == fees + sfee(gross)
    assert router.total_escrow(usdc) == escrow - gross
    assert router.escrow_of(bid) == 24 * USDC_RATE
    assert router.bookings(bid).hours_recorded == 24 and router.bookings(bid).open
    log = one_log(tx, router.WorkRecorded)
    assert (log.booking_id, log["provider"], log.token, log.hours, log.amount, log.supplier_fee,
            log.hours_recorded) == (bid, provider.address, usdc.address, 24, gross, sfee(gross), 24)
    assert not tx.decode_logs(router.BookingEnded)
    assert conserved(router, usdc, token)


def test_record_work__last_hour__completes_booking(router, usdc, token, alice, operator, provider):
    bid, _ = book(router, token, alice, IO_RATE, 3)
    advance(3 * HOUR)
    router.record_work(bid, 1, sender=operator)
    tx = router.record_work(bid, 2, sender=operator)
    b = router.bookings(bid)
    assert not b.open and b.hours_recorded == 3
    assert router.escrow_of(bid) == 0 and router.total_escrow(token) == 0
    assert router.income(provider, token) == net(IO_RATE) + net(2 * IO_RATE)
    ended = one_log(tx, router.BookingEnded)
    assert (ended.booking_id, ended.reason, ended.hours_paid, ended.provider_amount, ended.supplier_fee,
            ended.refund) == (bid, END_COMPLETED, 3, 0, 0, 0)
    with ape.reverts("SettlementRouter: booking not open"):
        router.record_work(bid, 1, sender=operator)
    assert conserved(router, usdc, token)


def test_record_work__not_operator__reverts(router, usdc, alice, provider):
    bid, _ = book(router, usdc, alice, USDC_RATE, 3)
    advance(HOUR)
    for who in (alice, provider):
        with ape.reverts("access_control: account is missing role"):
            router.record_work(bid, 1, sender=who)


def test_record_work__more_hours_than_booked__reverts(router, usdc, alice, operator):
    bid, _ = book(router, usdc, alice, USDC_RATE, 3)
    advance(5 * HOUR)
    with ape.reverts("SettlementRouter: hours exceed booking"):
        router.record_work(bid, 4, sender=operator)
    router.record_work(bid, 2, sender=operator)
    with ape.reverts("SettlementRouter: hours exceed booking"):
        router.record_work(bid, 2, sender=operator)


def test_record_work__hours_not_started_yet__reverts(router, usdc, alice, operator):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    # at the booking's own second no hour has started (a loaded node may let a second pass between
    # blocks, which starts the first hour: the next block is pinned to the booking's timestamp)
    ape.chain.pending_timestamp = ape.chain.blocks.head.timestamp
    with ape.reverts("SettlementRouter: hours not yet elapsed"):
        router.record_work(bid, 1, sender=operator)
    advance(HOUR + 1)  # the second hour has begun: two started hours
    with ape.reverts("SettlementRouter: hours not yet elapsed"):
        router.record_work(bid, 3, sender=operator)
    router.record_work(bid, 2, sender=operator)


def test_record_work__zero_hours__reverts(router, usdc, alice, operator):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(HOUR)
    with ape.reverts("SettlementRouter: zero hours"):
        router.record_work(bid, 0, sender=operator)


def test_record_work__unknown_booking__reverts(router, operator):
    with ape.reverts("SettlementRouter: booking not open"):
        router.record_work(99, 1, sender=operator)


# ------------------------------------------------------------------ record_work_batch
def test_record_work_batch__mixed_currencies__each_provider_credited(
    router, usdc, token, alice, bob, operator, provider, provider2
):
    b1, _ = book(router, usdc, alice, USDC_RATE, 48)
    b2, _ = book(router, token, bob, IO_RATE, 48, device=DEVICE_B)
    b3, _ = book(router, usdc, bob, USDC_RATE, 2, device=DEVICE_B)
    advance(DAY)
    tx = router.record_work_batch([b1, b2, b3], [24, 20, 2], sender=operator)
    assert router.income(provider, usdc) == net(24 * USDC_RATE)
    assert router.income(provider2, token) == net(20 * IO_RATE)
    assert router.income(provider2, usdc) == net(2 * USDC_RATE)
    assert router.total_credited(usdc) == net(24 * USDC_RATE) + net(2 * USDC_RATE)
    assert router.total_credited(token) == net(20 * IO_RATE)
    logs = tx.decode_logs(router.WorkRecorded)
    assert [(x.booking_id, x.hours, x.supplier_fee) for x in logs] == [
        (b1, 24, sfee(24 * USDC_RATE)), (b2, 20, sfee(20 * IO_RATE)), (b3, 2, sfee(2 * USDC_RATE))]
    assert [x.booking_id for x in tx.decode_logs(router.BookingEnded)] == [b3]  # b3 completed
    assert conserved(router, usdc, token)


def test_record_work_batch__one_bad_entry__whole_batch_reverts(router, usdc, alice, operator, provider):
    b1, _ = book(router, usdc, alice, USDC_RATE, 48)
    b2, _ = book(router, usdc, alice, USDC_RATE, 2)
    advance(DAY)
    with ape.reverts("SettlementRouter: hours exceed booking"):
        router.record_work_batch([b1, b2], [24, 3], sender=operator)
    assert router.income(provider, usdc) == 0


def test_record_work_batch__lengths_differ__reverts(router, operator):
    with ape.reverts("SettlementRouter: batch lengths differ"):
        router.record_work_batch([1, 2], [1], sender=operator)


def test_record_work_batch__not_operator__reverts(router, alice):
    with ape.reverts("access_control: account is missing role"):
        router.record_work_batch([1], [1], sender=alice)


def test_record_work_batch__same_booking_twice__both_count(router, usdc, alice, operator, provider):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(5 * HOUR)
    router.record_work_batch([bid, bid], [2, 3], sender=operator)
    assert router.bookings(bid).hours_recorded == 5
    assert router.income(provider, usdc) == net(2 * USDC_RATE) + net(3 * USDC_RATE)  # each record pays its fee


# ------------------------------------------------------------------ end_booking (renter)
def test_end_booking__renter_midway__started_hours_paid_rest_refunded_fees_kept(
    router, usdc, token, alice, operator, provider
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    fees = router.fees(usdc)
    advance(2 * HOUR)
    router.record_work(bid, 2, sender=operator)
    advance(3 * HOUR + 600)  # 5h10m in: six hours started
    fees = router.fees(usdc)
    tx = router.end_booking(bid, sender=alice)
    assert router.income(provider, usdc) == net(2 * USDC_RATE) + net(4 * USDC_RATE)
    assert router.refunds(alice, usdc) == 4 * USDC_RATE
    assert router.fees(usdc) == fees + sfee(4 * USDC_RATE)  # fees are not refunded; the supplier's grow
    b = router.bookings(bid)
    assert not b.open and b.hours_recorded == 6
    assert router.escrow_of(bid) == 0 and router.total_escrow(usdc) == 0
    ended = one_log(tx, router.BookingEnded)
    assert (ended.booking_id, ended.renter, ended["provider"], ended.reason, ended.ended_by) == (
        bid,
        alice.address,
        provider.address,
        END_BY_RENTER,
        alice.address,
    )
    assert (ended.hours_paid, ended.provider_amount, ended.supplier_fee, ended.refund) == (
        6, 4 * USDC_RATE, sfee(4 * USDC_RATE), 4 * USDC_RATE)
    assert conserved(router, usdc, token)


def test_end_booking__at_once__first_hour_never_refunded(router, usdc, alice, provider):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    router.end_booking(bid, sender=alice)
    assert router.income(provider, usdc) == net(USDC_RATE)
    assert router.refunds(alice, usdc) == 9 * USDC_RATE


def test_end_booking__after_its_end__provider_paid_in_full_no_refund(router, token, alice, provider):
    bid, _ = book(router, token, alice, IO_RATE, 4)
    advance(5 * HOUR)
    tx = router.end_booking(bid, sender=alice)
    assert router.income(provider, token) == net(4 * IO_RATE)
    assert router.refunds(alice, token) == 0
    assert one_log(tx, router.BookingEnded).refund == 0


def test_end_booking__twice__reverts(router, usdc, alice):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    router.end_booking(bid, sender=alice)
    with ape.reverts("SettlementRouter: booking not open"):
        router.end_booking(bid, sender=alice)


def test_end_booking__not_renter__reverts(router, usdc, alice, bob, operator, provider):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    for who in (bob, operator, provider):
        with ape.reverts("SettlementRouter: caller is not the renter"):
            router.end_booking(bid, sender=who)


def test_end_booking__unknown_booking__reverts(router, alice):
    with ape.reverts("SettlementRouter: booking not open"):
        router.end_booking(7, sender=alice)


# ------------------------------------------------------------------ operator_end_booking
def test_operator_end_booking__final_hours__recorded_hours_paid_rest_refunded(
    router, usdc, token, alice, operator, provider
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 48)
    advance(DAY)
    router.record_work(bid, 20, sender=operator)
    advance(HOUR * 5)
    tx = router.operator_end_booking(bid, 3, sender=operator)  # 23 worked hours in all, device failed
    assert router.income(provider, usdc) == net(20 * USDC_RATE) + net(3 * USDC_RATE)
    assert router.refunds(alice, usdc) == 25 * USDC_RATE
    assert [x.hours for x in tx.decode_logs(router.WorkRecorded)] == [3]
    ended = one_log(tx, router.BookingEnded)
    assert (ended.reason, ended.ended_by, ended.hours_paid, ended.provider_amount, ended.refund) == (
        END_BY_OPERATOR,
        operator.address,
        23,
        0,
        25 * USDC_RATE,
    )
    assert conserved(router, usdc, token)


def test_operator_end_booking__nothing_recorded__first_hour_still_paid(
    router, token, alice, operator, provider
):
    bid, _ = book(router, token, alice, IO_RATE, 10)
    advance(3 * HOUR)
    tx = router.operator_end_booking(bid, 0, sender=operator)
    assert router.income(provider, token) == net(IO_RATE)
    assert router.refunds(alice, token) == 9 * IO_RATE
    assert one_log(tx, router.BookingEnded).provider_amount == IO_RATE


def test_operator_end_booking__final_record_completes__ends_once(router, usdc, alice, operator, provider):
    bid, _ = book(router, usdc, alice, USDC_RATE, 3)
    advance(3 * HOUR)
    tx = router.operator_end_booking(bid, 3, sender=operator)
    ended = one_log(tx, router.BookingEnded)
    assert ended.reason == END_COMPLETED
    assert router.income(provider, usdc) == net(3 * USDC_RATE) and router.refunds(alice, usdc) == 0


def test_operator_end_booking__not_operator__reverts(router, usdc, alice):
    bid, _ = book(router, usdc, alice, USDC_RATE, 3)
    with ape.reverts("access_control: account is missing role"):
        router.operator_end_booking(bid, 0, sender=alice)


def test_operator_end_booking__twice__reverts(router, usdc, alice, operator):
    bid, _ = book(router, usdc, alice, USDC_RATE, 3)
    router.operator_end_booking(bid, 0, sender=operator)
    with ape.reverts("SettlementRouter: booking not open"):
        router.operator_end_booking(bid, 0, sender=operator)


def test_operator_end_booking__final_hours_not_elapsed__reverts(router, usdc, alice, operator):
    bid, _ = book(router, usdc, alice, USDC_RATE, 10)
    advance(HOUR)
    with ape.reverts("SettlementRouter: hours not yet elapsed"):
        router.operator_end_booking(bid, 5, sender=operator)


# ------------------------------------------------------------------ settle_expired
def test_settle_expired__after_grace__anyone_settles_provider_paid_booked_hours(
    router, usdc, token, alice, operator, provider, attacker
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 30)
    advance(DAY)
    router.record_work(bid, 24, sender=operator)
    chain.pending_timestamp = router.settleable_at(bid)
    chain.mine()
    tx = router.settle_expired(bid, sender=attacker)
    assert router.income(provider, usdc) == net(24 * USDC_RATE) + net(6 * USDC_RATE)
    assert router.refunds(alice, usdc) == 0
    assert not router.bookings(bid).open and router.total_escrow(usdc) == 0
    ended = one_log(tx, router.BookingEnded)
    assert (ended.reason, ended.ended_by, ended.hours_paid, ended.provider_amount, ended.supplier_fee,
            ended.refund) == (END_EXPIRED, attacker.address, 30, 6 * USDC_RATE, sfee(6 * USDC_RATE), 0)
    assert conserved(router, usdc, token)


def test_settle_expired__within_grace__reverts_and_operator_can_still_end(
    router, usdc, alice, operator, provider
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 2)
    advance(2 * HOUR + DAY - 60)  # end passed, grace not over
    with ape.reverts("SettlementRouter: grace period not over"):
        router.settle_expired(bid, sender=provider)
    router.operator_end_booking(bid, 1, sender=operator)  # device worked one hour only
    assert router.refunds(alice, usdc) == USDC_RATE


def test_settle_expired__twice__reverts(router, usdc, alice, provider):
    bid, _ = book(router, usdc, alice, USDC_RATE, 1)
    advance(HOUR + DAY)
    router.settle_expired(bid, sender=provider)
    with ape.reverts("SettlementRouter: booking not open"):
        router.settle_expired(bid, sender=provider)


# ------------------------------------------------------------------ invariant 2 by name
@pytest.mark.parametrize("ending", ["records", "renter", "operator", "expired"])
def test_provider_never_credited_more_than_booked__every_ending(
    router, usdc, alice, operator, provider, ending
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 5)
    advance(3 * HOUR)
    router.record_work(bid, 3, sender=operator)
    advance(10 * HOUR + DAY)
    with ape.reverts("SettlementRouter: hours exceed booking"):
        router.record_work(bid, 3, sender=operator)
    if ending == "records":
        router.record_work(bid, 2, sender=operator)
    elif ending == "renter":
        router.end_booking(bid, sender=alice)
    elif ending == "operator":
        router.operator_end_booking(bid, 2, sender=operator)
    else:
        router.settle_expired(bid, sender=provider)
    # never more than rate x booked hours, split between the provider and the supplier fee
    assert router.income(provider, usdc) == net(3 * USDC_RATE) + net(2 * USDC_RATE) <= 5 * USDC_RATE
    assert router.bookings(bid).hours_recorded == 5


# ------------------------------------------------------------------ invariant 6 by name, roles
@pytest.mark.parametrize("ending", ["renter", "operator", "expired", "completed"])
def test_closed_booking_never_reopens__escrow_zero_and_every_action_refused(
    router, usdc, alice, operator, provider, ending
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 2)
    advance(2 * HOUR + DAY + 10)
    {
        "renter": lambda: router.end_booking(bid, sender=alice),
        "operator": lambda: router.operator_end_booking(bid, 1, sender=operator),
        "expired": lambda: router.settle_expired(bid, sender=provider),
        "completed": lambda: router.record_work(bid, 2, sender=operator),
    }[ending]()
    assert not router.bookings(bid).open and router.escrow_of(bid) == 0 and router.total_escrow(usdc) == 0
    for action in (
        lambda: router.record_work(bid, 1, sender=operator),
        lambda: router.end_booking(bid, sender=alice),
        lambda: router.operator_end_booking(bid, 0, sender=operator),
        lambda: router.settle_expired(bid, sender=provider),
    ):
        with ape.reverts("SettlementRouter: booking not open"):
            action()


def test_grant_role__admin_grants_operator__new_operator_records_old_one_revoked(
    router, usdc, alice, owner, operator, carol
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 5)
    advance(2 * HOUR)
    role = router.OPERATOR_ROLE()
    tx = router.grantRole(role, carol, sender=owner)
    assert router.hasRole(role, carol) and len(tx.decode_logs(router.RoleGranted)) == 1
    router.revokeRole(role, operator, sender=owner)
    router.record_work(bid, 1, sender=carol)
    with ape.reverts("access_control: account is missing role"):
        router.record_work(bid, 1, sender=operator)
    with ape.reverts("access_control: account is missing role"):
        router.grantRole(role, operator, sender=carol)
    assert router.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl


@pytest.mark.parametrize("rate, hours", [(1, 1), (399, 1), (USDC_RATE, 24), (10**6 + 3, 7), (IO_RATE, 48)])
def test_quote_payout__any_amount__net_of_the_supplier_fee_rounded_up(router, rate, hours):
    gross = rate * hours
    assert router.quote_payout(rate, hours) == (gross, sfee(gross), net(gross))
    assert sfee(gross) * 10_000 >= gross * 25 > (sfee(gross) - 1) * 10_000  # the exact fee, rounded up
    assert router.quote_payout(1, 1) == (1, 1, 0)  # never rounded down to nothing

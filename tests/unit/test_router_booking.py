"""SettlementRouter: booking (approve, permit, EIP-3009 authorization), quotes, fees, bad input."""

import ape
import pytest
from ape import chain

from ionet.chain.signing import random_nonce, sign_authorization, sign_permit
from ionet.models.settlement import quote
from tests.router_helpers import (
    DEVICE_A,
    DEVICE_B,
    DEVICE_OFF,
    HOUR,
    IO_RATE,
    MAX,
    UNKNOWN_DEVICE,
    USDC_RATE,
    book,
    conserved,
    io_domain,
    net,
    one_log,
    total_of,
    usdc_domain,
)

# Every test starts from alice and bob funded once for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("renters_funded_per_module")


# ------------------------------------------------------------------ constructor
def test_init__configured__tokens_staking_roles_and_first_id(
    router, usdc, token, mock_staking, owner, operator, treasury
):
    assert router.USDC() == usdc.address
    assert router.IO() == token.address
    assert router.STAKING() == mock_staking.address
    assert router.SUPPLIER_RESERVATION_FEE_BPS() == 25 and router.PAYMENT_FEE_BPS() == 200
    assert router.hasRole(router.DEFAULT_ADMIN_ROLE(), owner)
    assert router.hasRole(router.OPERATOR_ROLE(), operator)
    assert router.hasRole(router.TREASURY_ROLE(), treasury)
    assert not router.hasRole(router.OPERATOR_ROLE(), owner)
    assert router.next_booking_id() == 1
    assert router.RESERVATION_FEE_BPS() == 25 and router.FACILITATION_FEE_BPS() == 200
    assert router.GRACE_SECONDS() == 86_400


def test_init__admin_other_than_deployer__admin_moves(project, scratch_deployer, operator, treasury, router_args,
                                                       alice):
    r = scratch_deployer.deploy(project.SettlementRouter, *router_args, alice, operator, treasury)
    assert r.hasRole(r.DEFAULT_ADMIN_ROLE(), alice)
    assert not r.hasRole(r.DEFAULT_ADMIN_ROLE(), scratch_deployer)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("usdc_zero", "SettlementRouter: token is the zero address"),
        ("same", "SettlementRouter: usdc and io are the same"),
        ("staking_zero", "SettlementRouter: staking is the zero address"),
        ("admin_zero", "SettlementRouter: admin is the zero address"),
        ("usdc_18_decimals", "SettlementRouter: usdc does not have 6 decimals"),
    ],
)
def test_init__bad_config__reverts(
    project, owner, scratch_deployer, operator, treasury, usdc, token, mock_staking, case, reason
):
    zero = "0x" + "00" * 20
    args = {
        "usdc_zero": (zero, token, mock_staking, owner),
        "same": (usdc, usdc, mock_staking, owner),
        "staking_zero": (usdc, token, zero, owner),
        "admin_zero": (usdc, token, mock_staking, zero),
        "usdc_18_decimals": (token, usdc, mock_staking, owner),
    }[case]
    with ape.reverts(reason):
        scratch_deployer.deploy(project.SettlementRouter, *args, operator, treasury)


# ------------------------------------------------------------------ quote and fees
@pytest.mark.parametrize("rate, hours", [(1, 1), (USDC_RATE, 10), (399, 1), (4_000, 3), (10**6 + 1, 7)])
def test_quote__any_amount__fees_rounded_up_as_model(router, usdc, token, rate, hours):
    for t, is_usdc in ((usdc, True), (token, False)):
        q = quote(rate, hours, is_usdc)
        assert router.quote(t, rate, hours) == (q.cost, q.reservation_fee, q.facilitation_fee, q.total)
    assert router.quote(usdc, 1, 1) == (1, 1, 1, 3)  # rounded up, never down to zero
    assert router.quote(token, 1, 1) == (1, 1, 0, 2)  # IO pays no facilitation fee


def test_quote__unsupported_token__reverts(router, alice):
    with ape.reverts("SettlementRouter: unsupported token"):
        router.quote(alice, 1, 1)


# ------------------------------------------------------------------ book (prior approve)
def test_book__usdc_with_approve__escrows_cost_books_fees_and_logs_every_term(
    router, usdc, token, alice, provider
):
    cost, res, fac, total = router.quote(usdc, USDC_RATE, 10)
    assert (cost, res, fac) == (25_000_000, 62_500, 500_000)
    before = usdc.balanceOf(alice)
    usdc.approve(router, total, sender=alice)
    tx = router.book(DEVICE_A, usdc, 10, USDC_RATE, total + 5, sender=alice)
    start = chain.blocks.head.timestamp
    assert usdc.balanceOf(alice) == before - total
    assert usdc.balanceOf(router) == total
    assert (
        router.total_escrow(usdc) == cost
        and router.fees(usdc) == res + fac
        and router.total_credited(usdc) == 0
    )
    b = router.bookings(1)
    assert (b.renter, b.provider, b.token) == (alice.address, provider.address, usdc.address)
    assert (b.hours, b.hours_recorded, b.rate, b.start, b.end, b.open) == (
        10,
        0,
        USDC_RATE,
        start,
        start + 36_000,
        True,
    )
    assert router.escrow_of(1) == cost
    assert router.settleable_at(1) == start + 36_000 + 86_400
    assert router.next_booking_id() == 2
    log = one_log(tx, router.Booked)
    assert log.device == DEVICE_A and log.renter == alice.address and log["provider"] == provider.address
    assert (log.booking_id, log.token, log.hours, log.rate, log.start, log.end) == (
        1,
        usdc.address,
        10,
        USDC_RATE,
        start,
        start + 36_000,
    )
    assert (log.cost, log.reservation_fee, log.facilitation_fee, log.max_total) == (cost, res, fac, total + 5)
    assert conserved(router, usdc, token)


def test_book__io__reservation_fee_only(router, usdc, token, bob, provider2):
    bid, tx = book(router, token, bob, IO_RATE, 48, device=DEVICE_B)
    cost = IO_RATE * 48
    assert router.total_escrow(token) == cost
    assert router.fees(token) == cost * 25 // 10_000  # exact here, no rounding needed
    log = one_log(tx, router.Booked)
    assert log.facilitation_fee == 0 and log["provider"] == provider2.address and log.token == token.address
    assert router.bookings(bid).token == token.address
    assert conserved(router, usdc, token)


def test_renter_never_pays_more_than_max__max_below_total__reverts(router, usdc, alice):
    total = total_of(router, usdc, USDC_RATE, 10)
    usdc.approve(router, MAX, sender=alice)
    with ape.reverts("SettlementRouter: total above maximum"):
        router.book(DEVICE_A, usdc, 10, USDC_RATE, total - 1, sender=alice)
    before = usdc.balanceOf(alice)
    router.book(DEVICE_A, usdc, 10, USDC_RATE, total, sender=alice)
    assert before - usdc.balanceOf(alice) == total  # exactly the total, which is <= max


@pytest.mark.parametrize(
    "hours, rate, device, reason",
    [
        (0, USDC_RATE, DEVICE_A, "SettlementRouter: zero hours"),
        (87_601, 1, DEVICE_A, "SettlementRouter: too many hours"),
        (1, 0, DEVICE_A, "SettlementRouter: zero rate"),
        (1, 2**96, DEVICE_A, "SettlementRouter: rate too large"),
        (1, USDC_RATE, UNKNOWN_DEVICE, "SettlementRouter: unknown device"),
        (1, USDC_RATE, DEVICE_OFF, "SettlementRouter: device not eligible"),
    ],
)
def test_book__bad_input__reverts(router, usdc, alice, hours, rate, device, reason):
    usdc.approve(router, MAX, sender=alice)
    with ape.reverts(reason):
        router.book(device, usdc, hours, rate, MAX, sender=alice)


def test_book__token_other_than_usdc_or_io__reverts(router, alice, project, scratch_deployer):
    other = scratch_deployer.deploy(project.MockUSDC)
    with ape.reverts("SettlementRouter: unsupported token"):
        router.book(DEVICE_A, other, 1, 1, MAX, sender=alice)


def test_book__device_becomes_ineligible__reverts(router, usdc, mock_staking, alice, owner):
    mock_staking.set_eligible(DEVICE_A, False, sender=owner)
    usdc.approve(router, MAX, sender=alice)
    with ape.reverts("SettlementRouter: device not eligible"):
        router.book(DEVICE_A, usdc, 1, USDC_RATE, MAX, sender=alice)


def test_book__max_hours_and_max_rate__accepted(router, token, usdc, alice, owner):
    rate = 10**18
    bid, _ = book(router, token, alice, rate, 87_600)
    assert router.bookings(bid).hours == 87_600
    usdc.mint(alice, 2**97, sender=owner)
    bid, _ = book(router, usdc, alice, 2**96 - 1, 1)
    assert router.bookings(bid).rate == 2**96 - 1


def test_book__no_allowance__reverts(router, usdc, alice):
    with ape.reverts("ERC20: transfer amount exceeds allowance"):
        router.book(DEVICE_A, usdc, 1, USDC_RATE, MAX, sender=alice)


def test_provider_fixed_at_booking__device_owner_changes__booking_still_pays_old_owner(
    router, usdc, mock_staking, alice, owner, operator, provider, attacker
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 2)
    mock_staking.set_device(DEVICE_A, attacker, attacker, "0x" + "00" * 20, 0, True, sender=owner)
    chain.pending_timestamp += HOUR
    chain.mine()
    router.record_work(bid, 1, sender=operator)
    assert router.income(provider, usdc) == net(USDC_RATE)
    assert router.income(attacker, usdc) == 0


# ------------------------------------------------------------------ pause
def test_pause__admin__new_bookings_stop_everything_else_goes_on(
    router, usdc, token, alice, owner, operator, provider
):
    bid, _ = book(router, usdc, alice, USDC_RATE, 3)
    tx = router.pause(sender=owner)
    assert router.paused()
    assert len(tx.decode_logs(router.Paused)) == 1
    usdc.approve(router, MAX, sender=alice)
    with ape.reverts("pausable: contract is paused"):
        router.book(DEVICE_A, usdc, 1, USDC_RATE, MAX, sender=alice)
    chain.pending_timestamp += HOUR
    chain.mine()
    router.record_work(bid, 1, sender=operator)
    router.end_booking(bid, sender=alice)
    router.withdraw(usdc, net(USDC_RATE), provider, sender=provider)
    router.withdraw_refund(usdc, router.refunds(alice, usdc), alice, sender=alice)
    tx = router.unpause(sender=owner)
    assert not router.paused()
    assert len(tx.decode_logs(router.Unpaused)) == 1
    router.book(DEVICE_A, usdc, 1, USDC_RATE, MAX, sender=alice)
    assert conserved(router, usdc, token)


def test_pause__not_admin__reverts(router, operator, owner):
    with ape.reverts("access_control: account is missing role"):
        router.pause(sender=operator)
    router.pause(sender=owner)
    with ape.reverts("access_control: account is missing role"):
        router.unpause(sender=operator)


def test_unpause__pauser_without_admin__reverts(router, owner, attacker):
    """A pauser (the guardian) stops new bookings; only the admin lets them in again."""
    assert router.hasRole(router.PAUSER_ROLE(), owner)
    router.grantRole(router.PAUSER_ROLE(), attacker, sender=owner)
    router.pause(sender=attacker)
    with ape.reverts("access_control: account is missing role"):
        router.unpause(sender=attacker)
    router.unpause(sender=owner)


def test_unpause__not_paused__reverts(router, owner):
    with ape.reverts("pausable: contract is not paused"):
        router.unpause(sender=owner)


# ------------------------------------------------------------------ book_with_permit
def _permit(owner_acct, token_, domain, router, value, deadline, nonce=None):
    nonce = token_.nonces(owner_acct) if nonce is None else nonce
    return sign_permit(
        owner_acct.private_key, domain, owner_acct.address, router.address, value, nonce, deadline
    )


@pytest.mark.parametrize("currency", ["usdc", "io"])
def test_book_with_permit__no_prior_approve__books(router, usdc, token, alice, currency):
    t, domain = (usdc, usdc_domain(usdc)) if currency == "usdc" else (token, io_domain(token))
    rate = USDC_RATE if currency == "usdc" else IO_RATE
    total = total_of(router, t, rate, 5)
    assert t.allowance(alice, router) == 0
    deadline = chain.pending_timestamp + HOUR
    v, r, s = _permit(alice, t, domain, router, total, deadline)
    before = t.balanceOf(alice)
    tx = router.book_with_permit(DEVICE_A, t, 5, rate, total, deadline, v, r, s, sender=alice)
    assert before - t.balanceOf(alice) == total
    assert t.allowance(alice, router) == 0
    assert one_log(tx, router.Booked).renter == alice.address
    assert router.bookings(1).open


def test_book_with_permit__permit_front_run__booking_still_succeeds(router, usdc, alice, attacker):
    total = total_of(router, usdc, USDC_RATE, 5)
    deadline = chain.pending_timestamp + HOUR
    v, r, s = _permit(alice, usdc, usdc_domain(usdc), router, total, deadline)
    usdc.permit(alice, router, total, deadline, v, r, s, sender=attacker)  # someone submits it first
    tx = router.book_with_permit(DEVICE_A, usdc, 5, USDC_RATE, total, deadline, v, r, s, sender=alice)
    assert one_log(tx, router.Booked).booking_id == 1


def test_book_with_permit__max_above_total__leftover_allowance_reusable(router, usdc, alice):
    total = total_of(router, usdc, USDC_RATE, 5)
    deadline = chain.pending_timestamp + HOUR
    v, r, s = _permit(alice, usdc, usdc_domain(usdc), router, 3 * total, deadline)
    router.book_with_permit(DEVICE_A, usdc, 5, USDC_RATE, 3 * total, deadline, v, r, s, sender=alice)
    assert usdc.allowance(alice, router) == 2 * total
    # replaying the spent permit fails, but the allowance left covers a booking: tolerated
    router.book_with_permit(DEVICE_A, usdc, 5, USDC_RATE, 3 * total, deadline, v, r, s, sender=alice)
    assert usdc.allowance(alice, router) == total


@pytest.mark.parametrize("case", ["expired", "wrong_signer", "replayed", "wrong_value"])
def test_book_with_permit__bad_permit_and_no_allowance__reverts(router, usdc, token, alice, bob, case):
    total = total_of(router, usdc, USDC_RATE, 5)
    deadline = chain.pending_timestamp + HOUR
    domain = usdc_domain(usdc)
    if case == "expired":
        deadline = chain.blocks.head.timestamp - 1
        v, r, s = _permit(alice, usdc, domain, router, total, deadline)
    elif case == "wrong_signer":
        v, r, s = sign_permit(bob.private_key, domain, alice.address, router.address, total, 0, deadline)
    elif case == "wrong_value":
        v, r, s = _permit(alice, usdc, domain, router, total - 1, deadline)
    else:
        v, r, s = _permit(alice, usdc, domain, router, total, deadline)
        router.book_with_permit(DEVICE_A, usdc, 5, USDC_RATE, total, deadline, v, r, s, sender=alice)
    with ape.reverts("SettlementRouter: permit failed and allowance too low"):
        router.book_with_permit(DEVICE_A, usdc, 5, USDC_RATE, total, deadline, v, r, s, sender=alice)


def test_book_with_permit__unsupported_token__reverts(router, alice, project, scratch_deployer):
    other = scratch_deployer.deploy(project.MockUSDC)
    with ape.reverts("SettlementRouter: unsupported token"):
        router.book_with_permit(DEVICE_A, other, 1, 1, MAX, 0, 27, b"\x00" * 32, b"\x00" * 32, sender=alice)


# ------------------------------------------------------------------ book_with_authorization
def _auth(renter, usdc, router, value, valid_after=0, valid_before=None, nonce=None, signer=None):
    valid_before = chain.pending_timestamp + HOUR if valid_before is None else valid_before
    nonce = random_nonce() if nonce is None else nonce
    v, r, s = sign_authorization(
        (signer or renter).private_key,
        usdc_domain(usdc),
        renter.address,
        router.address,
        value,
        valid_after,
        valid_before,
        nonce,
    )
    return valid_after, valid_before, nonce, v, r, s


def test_book_with_authorization__signed_receive__books_without_approve(router, usdc, token, alice, provider):
    total = total_of(router, usdc, USDC_RATE, 8)
    auth = _auth(alice, usdc, router, total)
    before = usdc.balanceOf(alice)
    tx = router.book_with_authorization(DEVICE_A, 8, USDC_RATE, total, *auth, sender=alice)
    assert before - usdc.balanceOf(alice) == total
    assert usdc.allowance(alice, router) == 0
    assert usdc.authorizationState(alice, auth[2])
    log = one_log(tx, router.Booked)
    assert (log.renter, log["provider"], log.token, log.hours) == (
        alice.address,
        provider.address,
        usdc.address,
        8,
    )
    assert len(tx.decode_logs(usdc.AuthorizationUsed)) == 1
    assert conserved(router, usdc, token)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("expired", "FiatTokenV2: authorization is expired"),
        ("not_yet_valid", "FiatTokenV2: authorization is not yet valid"),
        ("wrong_signer", "FiatTokenV2: invalid signature"),
        ("value_not_total", "FiatTokenV2: invalid signature"),
        ("replayed", "FiatTokenV2: authorization is used or canceled"),
        ("submitted_by_other", "FiatTokenV2: invalid signature"),
    ],
)
def test_book_with_authorization__bad_authorization__reverts(router, usdc, alice, bob, case, reason):
    total = total_of(router, usdc, USDC_RATE, 8)
    now = chain.pending_timestamp
    sender = alice
    if case == "expired":
        auth = _auth(alice, usdc, router, total, valid_before=now - 10)
    elif case == "not_yet_valid":
        auth = _auth(alice, usdc, router, total, valid_after=now + HOUR, valid_before=now + 2 * HOUR)
    elif case == "wrong_signer":
        auth = _auth(alice, usdc, router, total, signer=bob)
    elif case == "value_not_total":
        auth = _auth(alice, usdc, router, total + 1)
    elif case == "submitted_by_other":
        auth = _auth(alice, usdc, router, total)  # bob cannot book with alice's authorization
        sender = bob
    else:
        auth = _auth(alice, usdc, router, total)
        router.book_with_authorization(DEVICE_A, 8, USDC_RATE, total, *auth, sender=alice)
    with ape.reverts(reason):
        router.book_with_authorization(DEVICE_A, 8, USDC_RATE, total, *auth, sender=sender)


def test_book_with_authorization__max_below_total__reverts(router, usdc, alice):
    total = total_of(router, usdc, USDC_RATE, 8)
    with ape.reverts("SettlementRouter: total above maximum"):
        router.book_with_authorization(
            DEVICE_A, 8, USDC_RATE, total - 1, *_auth(alice, usdc, router, total), sender=alice
        )


def test_book_with_authorization__canceled_authorization__reverts(router, usdc, alice):
    from ionet.chain.signing import _sign

    total = total_of(router, usdc, USDC_RATE, 8)
    auth = _auth(alice, usdc, router, total)
    types = {
        "CancelAuthorization": [
            {"name": "authorizer", "type": "address"},
            {"name": "nonce", "type": "bytes32"},
        ]
    }
    cv, cr, cs = _sign(
        alice.private_key, usdc_domain(usdc), types, {"authorizer": alice.address, "nonce": auth[2]}
    )
    usdc.cancelAuthorization(alice, auth[2], cv, cr, cs, sender=alice)
    with ape.reverts("FiatTokenV2: authorization is used or canceled"):
        router.book_with_authorization(DEVICE_A, 8, USDC_RATE, total, *auth, sender=alice)

"""NodeStaking: owner stake, overflow, unstake and withdraw; co-staking offers, declines,
acceptances, exits, withdrawals; the fairness fixes of issue 9 (items 5 and 6) reproduced by name."""

import ape

from ionet import ZERO_ADDRESS as ZERO
from tests.staking_helpers import (
    DAY,
    EVIDENCE,
    H100,
    IO,
    RTX4090,
    advance,
    co_stake,
    device_id,
    fund,
    new_device,
    one,
)

NO_CO = (ZERO, 0, "none", 0, 0, 0, 0)


# ------------------------------------------------------------------ stake
def test_stake__owner__active_grows_tokens_move_and_logged(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=0)
    fund(token, owner, alice, 2_000 * IO, staking)
    held = token.balanceOf(staking)
    tx = staking.stake(d, 2_000 * IO, sender=alice)
    assert staking.owner_stake(d) == (2_000 * IO, 0, 0)
    assert token.balanceOf(staking) == held + 2_000 * IO and token.balanceOf(alice) == 0
    assert staking.is_eligible(d)
    ev = one(tx, staking.Staked)
    assert (ev.device, ev.owner, ev.amount, ev.active) == (d, alice.address, 2_000 * IO, 2_000 * IO)


def test_stake__unknown_device__reverts(staking, alice):
    with ape.reverts("NodeStaking: unknown device"):
        staking.stake(device_id("nope"), 1, sender=alice)


def test_stake__not_owner__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=0)
    with ape.reverts("NodeStaking: caller is not the owner"):
        staking.stake(d, 1, sender=bob)


def test_stake__zero__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=0)
    with ape.reverts("NodeStaking: amount is zero"):
        staking.stake(d, 0, sender=alice)


def test_stake__above_96_bits__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=0)
    with ape.reverts("NodeStaking: amount too large"):
        staking.stake(d, 2**96, sender=alice)


# ------------------------------------------------------------------ overflow
def test_withdraw_overflow__above_minimum__paid_at_once(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=2_500 * IO)
    assert staking.overflow(d) == 500 * IO
    tx = staking.withdraw_overflow(d, 500 * IO, sender=alice)
    assert staking.owner_stake(d)[0] == 2_000 * IO and token.balanceOf(alice) == 500 * IO
    assert staking.is_eligible(d) and staking.overflow(d) == 0
    ev = one(tx, staking.OverflowWithdrawn)
    assert (ev.device, ev.owner, ev.amount, ev.active) == (d, alice.address, 500 * IO, 2_000 * IO)


def test_withdraw_overflow__more_than_overflow__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=2_500 * IO)
    with ape.reverts("NodeStaking: amount exceeds overflow"):
        staking.withdraw_overflow(d, 500 * IO + 1, sender=alice)


def test_withdraw_overflow__co_cap__owner_keeps_co_amount(staking, token, owner, alice, bob):
    """co_cap: with a 1,500 IO co-stake the owner must keep 1,500 IO even though 500 would meet
    the minimum together with it."""
    d = new_device(staking, token, owner, alice, stake=3_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_500 * IO)
    assert staking.overflow(d) == 1_500 * IO
    with ape.reverts("NodeStaking: amount exceeds overflow"):
        staking.withdraw_overflow(d, 1_500 * IO + 1, sender=alice)


def test_withdraw_overflow__zero__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: amount is zero"):
        staking.withdraw_overflow(d, 0, sender=alice)


def test_withdraw_overflow__not_owner__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=3_000 * IO)
    with ape.reverts("NodeStaking: caller is not the owner"):
        staking.withdraw_overflow(d, 1, sender=bob)


# ------------------------------------------------------------------ unstake / withdraw
def test_unstake__owner__whole_stake_cools_down_and_stops_counting(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=2_500 * IO)
    tx = staking.unstake(d, sender=alice)
    release = tx.timestamp + 14 * DAY
    assert staking.owner_stake(d) == (0, 2_500 * IO, release)
    assert not staking.is_eligible(d) and staking.counting_stake(d) == 0
    ev = one(tx, staking.Unstaked)
    assert (ev.device, ev.owner, ev.amount, ev.cooldown, ev.release_at) == (
        d, alice.address, 2_500 * IO, 2_500 * IO, release)


def test_unstake__again_while_cooling__merges_and_restarts_clock(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    staking.unstake(d, sender=alice)
    advance(10 * DAY)
    fund(token, owner, alice, 100 * IO, staking)
    staking.stake(d, 100 * IO, sender=alice)
    tx = staking.unstake(d, sender=alice)
    assert staking.owner_stake(d) == (0, 2_100 * IO, tx.timestamp + 14 * DAY)


def test_unstake__nothing_staked__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=0)
    with ape.reverts("NodeStaking: nothing staked"):
        staking.unstake(d, sender=alice)


def test_unstake__not_owner__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: caller is not the owner"):
        staking.unstake(d, sender=bob)


def test_unstake__below_minimum__co_stake_pushed_into_cooldown(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    tx = staking.unstake(d, sender=alice)
    t = tx.timestamp
    assert staking.co_stake(d) == (bob.address, 4, "cooldown", 1_000 * IO, 2_000, t, t + 14 * DAY)
    assert staking.reward_split(d) == (alice.address, ZERO, 0)
    ev = one(tx, staking.CoStakeExited)
    assert (ev.co_staker, ev.amount, ev.counts_until, ev.release_at, bool(ev.forced)) == (
        bob.address, 1_000 * IO, tx.timestamp, tx.timestamp + 14 * DAY, True)
    advance(14 * DAY)
    staking.withdraw_co_stake(d, sender=bob)
    assert token.balanceOf(bob) == 1_000 * IO


def test_unstake__device_runs_on_100_pct_co_stake__co_stake_pushed_out_device_ineligible(
        staking, token, owner, operator, alice, bob):
    """Issue 9 item 6, reproduced: the owner stakes 300 on a 250 IO device, offers 300 to a
    co-staker who accepts, then unstakes and withdraws. The co-stake alone (300) would meet the
    minimum, but a co-stake never counts above the owner's active stake (co_cap): the unstake
    pushes it out, the device stops being eligible, its rewards no longer flow, and the owner
    cannot keep a device running on somebody else's stake."""
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=300 * IO)  # minimum 250
    co_stake(staking, token, owner, alice, bob, d, 300 * IO, share_bps=2_000)
    assert staking.is_eligible(d) and staking.reward_split(d) == (alice.address, bob.address, 2_000)
    tx = staking.unstake(d, sender=alice)
    ev = one(tx, staking.CoStakeExited)
    assert (ev.co_staker, ev.amount, ev.counts_until, bool(ev.forced)) == (bob.address, 300 * IO, tx.timestamp,
                                                                          True)
    assert staking.co_stake(d).state_name == "cooldown" and staking.counting_stake(d) == 0
    assert not staking.is_eligible(d) and staking.reward_split(d) == (alice.address, ZERO, 0)
    advance(14 * DAY)
    staking.withdraw(d, sender=alice)
    assert not staking.is_eligible(d)
    staking.withdraw_co_stake(d, sender=bob)
    assert token.balanceOf(bob) == 300 * IO and token.balanceOf(alice) == 300 * IO


def test_unstake__co_stake_in_its_wait__pushed_out_now(staking, token, owner, alice, bob):
    """A co-stake in its 7-day wait still counts: an unstake ends the wait at once."""
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=1_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 500 * IO)
    staking.exit_co_stake(d, sender=bob)
    advance(DAY)
    tx = staking.unstake(d, sender=alice)
    t = tx.timestamp
    assert staking.co_stake(d) == (bob.address, 4, "cooldown", 500 * IO, 2_000, t, t + 14 * DAY)
    assert bool(one(tx, staking.CoStakeExited).forced)


def test_unstake__co_stake_already_cooling__left_alone(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=1_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 500 * IO)
    exit_tx = staking.exit_co_stake(d, sender=bob)
    advance(8 * DAY)
    tx = staking.unstake(d, sender=alice)
    assert len(tx.events.filter(staking.CoStakeExited)) == 0
    assert staking.co_stake(d).counts_until == exit_tx.timestamp + 7 * DAY


def test_withdraw__after_cooldown__paid_to_staker(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    staking.unstake(d, sender=alice)
    advance(14 * DAY)
    held = token.balanceOf(staking)
    tx = staking.withdraw(d, sender=alice)
    assert token.balanceOf(alice) == 2_000 * IO and token.balanceOf(staking) == held - 2_000 * IO
    assert staking.owner_stake(d) == (0, 0, 0)
    ev = one(tx, staking.Withdrawn)
    assert (ev.device, ev.owner, ev.amount) == (d, alice.address, 2_000 * IO)


def test_withdraw__before_cooldown_end__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    staking.unstake(d, sender=alice)
    advance(14 * DAY - 10)
    with ape.reverts("NodeStaking: cooldown not over"):
        staking.withdraw(d, sender=alice)


def test_withdraw__other_wallet__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    staking.unstake(d, sender=alice)
    advance(14 * DAY)
    with ape.reverts("NodeStaking: caller is not the staker"):
        staking.withdraw(d, sender=bob)


def test_withdraw__unknown_device__reverts(staking, alice):
    with ape.reverts("NodeStaking: unknown device"):
        staking.withdraw(device_id("nope"), sender=alice)


def test_withdraw__nothing_in_cooldown__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: nothing in cooldown"):
        staking.withdraw(d, sender=alice)


# ------------------------------------------------------------------ offers
def test_offer_co_stake__owner__recorded_and_logged(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    tx = staking.offer_co_stake(d, bob, 4_000 * IO, 2_500, sender=alice)  # exactly 50 % of the total
    assert staking.co_stake(d) == (bob.address, 1, "offered", 4_000 * IO, 2_500, 0, 0)
    assert staking.offers_held(bob) == 0  # a pending offer takes none of bob's places
    assert staking.reward_split(d) == (alice.address, ZERO, 0)  # nothing deposited yet
    ev = one(tx, staking.CoStakeOffered)
    assert (ev.device, ev.co_staker, ev.amount, ev.reward_share_bps) == (d, bob.address, 4_000 * IO, 2_500)


def test_offer_co_stake__above_half__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    with ape.reverts("NodeStaking: co-stake above 50 %"):
        staking.offer_co_stake(d, bob, 4_000 * IO + 1, 2_500, sender=alice)


def test_offer_co_stake__many_pending__none_count_any_may_be_accepted(staking, token, owner, alice, bob):
    ds = [new_device(staking, token, owner, alice, name=f"d{i}", stake=2_000 * IO) for i in range(4)]
    for d in ds:
        staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    assert staking.offers_held(bob) == 0
    fund(token, owner, bob, 200 * IO, staking)
    staking.accept_co_stake(ds[3], 100 * IO, 1_000, sender=bob)
    staking.accept_co_stake(ds[0], 100 * IO, 1_000, sender=bob)
    assert staking.offers_held(bob) == 2


def test_accept_co_stake__two_held__third_reverts_until_one_withdrawn(staking, token, owner, alice, bob):
    """The published limit: a co-staker holds at most 2 co-stakes; a withdrawn one frees a place."""
    ds = [new_device(staking, token, owner, alice, name=f"d{i}", stake=2_000 * IO) for i in range(3)]
    co_stake(staking, token, owner, alice, bob, ds[0], 100 * IO)
    co_stake(staking, token, owner, alice, bob, ds[1], 100 * IO)
    staking.offer_co_stake(ds[2], bob, 100 * IO, 1_000, sender=alice)
    fund(token, owner, bob, 100 * IO, staking)
    with ape.reverts("NodeStaking: co-staker holds 2 offers"):
        staking.accept_co_stake(ds[2], 100 * IO, 1_000, sender=bob)
    staking.exit_co_stake(ds[0], sender=bob)
    advance(21 * DAY)
    assert one(staking.withdraw_co_stake(ds[0], sender=bob), staking.CoStakeWithdrawn).offers_held == 1
    staking.accept_co_stake(ds[2], 100 * IO, 1_000, sender=bob)
    assert staking.offers_held(bob) == 2


def test_accept_co_stake__blocked_for_2_wei__pending_offers_cannot_fill_the_limit(
        staking, token, owner, alice, bob, attacker):
    """Issue 9 item 5, reproduced: a stranger registers two cheap devices, stakes 1 wei on each
    and offers the victim 1 wei on both. Pending offers take none of the victim's 2 places, so
    an honest offer is still made and accepted, and the victim declines the stranger's offers."""
    junk = [new_device(staking, token, owner, attacker, name=f"junk-{i}", cls=RTX4090, stake=1) for i in range(2)]
    for d in junk:
        staking.offer_co_stake(d, bob, 1, 1, sender=attacker)
    honest = new_device(staking, token, owner, alice, name="honest", stake=4_000 * IO)
    staking.offer_co_stake(honest, bob, 1_000 * IO, 2_000, sender=alice)
    fund(token, owner, bob, 1_000 * IO, staking)
    staking.accept_co_stake(honest, 1_000 * IO, 2_000, sender=bob)
    assert staking.offers_held(bob) == 1 and staking.reward_split(honest) == (alice.address, bob.address, 2_000)
    for d in junk:
        staking.decline_co_stake(d, sender=bob)
        assert staking.co_stake(d) == NO_CO
    assert staking.offers_held(bob) == 1


def test_offer_co_stake__device_has_co_staker__reverts(staking, token, owner, alice, bob, carol):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    with ape.reverts("NodeStaking: device has a co-staker"):
        staking.offer_co_stake(d, carol, 100 * IO, 1_000, sender=alice)


def test_offer_co_stake__bad_co_staker__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    for who in (ZERO, alice.address):
        with ape.reverts("NodeStaking: bad co-staker"):
            staking.offer_co_stake(d, who, 1, 1, sender=alice)


def test_offer_co_stake__zero_amount__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: amount is zero"):
        staking.offer_co_stake(d, bob, 0, 1, sender=alice)


def test_offer_co_stake__bad_share__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    for share in (0, 10_001):
        with ape.reverts("NodeStaking: bad reward share"):
            staking.offer_co_stake(d, bob, 1, share, sender=alice)


def test_offer_co_stake__not_owner__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: caller is not the owner"):
        staking.offer_co_stake(d, bob, 1, 1, sender=bob)


def test_cancel_co_stake_offer__pending__cleared_and_logged(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    tx = staking.cancel_co_stake_offer(d, sender=alice)
    assert staking.co_stake(d) == NO_CO and staking.offers_held(bob) == 0
    ev = one(tx, staking.CoStakeOfferCancelled)
    assert (ev.device, ev.co_staker) == (d, bob.address)


def test_cancel_co_stake_offer__no_pending_offer__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: no pending offer"):
        staking.cancel_co_stake_offer(d, sender=alice)


def test_cancel_co_stake_offer__not_owner__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    with ape.reverts("NodeStaking: caller is not the owner"):
        staking.cancel_co_stake_offer(d, sender=bob)


# ------------------------------------------------------------------ decline
def test_decline_co_stake__offered_co_staker__slot_freed_and_logged(staking, token, owner, alice, bob, carol):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    tx = staking.decline_co_stake(d, sender=bob)
    assert staking.co_stake(d) == NO_CO and staking.offers_held(bob) == 0
    ev = one(tx, staking.CoStakeOfferDeclined)
    assert (ev.device, ev.co_staker) == (d, bob.address)
    staking.offer_co_stake(d, carol, 100 * IO, 1_000, sender=alice)  # the device's slot is free again


def test_decline_co_stake__while_paused__still_works(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    staking.pause(sender=owner)
    staking.decline_co_stake(d, sender=bob)
    assert staking.co_stake(d) == NO_CO


def test_decline_co_stake__not_the_offered_co_staker__reverts(staking, token, owner, alice, bob, carol):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    for who in (carol, alice):
        with ape.reverts("NodeStaking: no offer for caller"):
            staking.decline_co_stake(d, sender=who)


def test_decline_co_stake__already_accepted__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 100 * IO)
    with ape.reverts("NodeStaking: no offer for caller"):
        staking.decline_co_stake(d, sender=bob)


# ------------------------------------------------------------------ accept / exit / withdraw
def test_accept_co_stake__offered__deposited_counts_and_earns(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=1_000 * IO)  # below the 2,000 minimum
    staking.offer_co_stake(d, bob, 1_000 * IO, 2_000, sender=alice)
    fund(token, owner, bob, 1_000 * IO, staking)
    tx = staking.accept_co_stake(d, 1_000 * IO, 2_000, sender=bob)
    assert token.balanceOf(bob) == 0 and staking.offers_held(bob) == 1
    assert staking.co_stake(d) == (bob.address, 2, "active", 1_000 * IO, 2_000, 0, 0)
    assert staking.is_eligible(d) and staking.counting_stake(d) == 2_000 * IO
    assert staking.reward_split(d) == (alice.address, bob.address, 2_000)
    assert staking.totals().co_staked == 1_000 * IO
    ev = one(tx, staking.CoStakeAccepted)
    assert (ev.device, ev.co_staker, ev.amount, ev.reward_share_bps, ev.offers_held) == (
        d, bob.address, 1_000 * IO, 2_000, 1)


def test_accept_co_stake__not_offered_to_caller__reverts(staking, token, owner, alice, bob, carol):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    with ape.reverts("NodeStaking: no offer for caller"):
        staking.accept_co_stake(d, 100 * IO, 1_000, sender=carol)


def test_accept_co_stake__owner_withdrew_below_cap__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    staking.offer_co_stake(d, bob, 2_000 * IO, 1_000, sender=alice)
    staking.unstake(d, sender=alice)
    fund(token, owner, bob, 2_000 * IO, staking)
    with ape.reverts("NodeStaking: co-stake above 50 %"):
        staking.accept_co_stake(d, 2_000 * IO, 1_000, sender=bob)


def test_accept_co_stake__owner_cancels_and_reoffers_first__reverts_nothing_moves(staking, token, owner, alice, bob):
    """Issue 18 defect 1 (terms_named), the measured front-run: bob agreed to 5,000 IO at 5,000 bps
    and approved 20,000 IO. Before his acceptance executes, alice cancels and offers his whole
    approval, 20,000 IO, at 1 bps (the order a front-run gives the three transactions in one
    block). The acceptance names the terms bob saw: it reverts and nothing moves."""
    d = new_device(staking, token, owner, alice, stake=20_000 * IO)
    staking.offer_co_stake(d, bob, 5_000 * IO, 5_000, sender=alice)
    fund(token, owner, bob, 20_000 * IO, staking)
    staking.cancel_co_stake_offer(d, sender=alice)
    staking.offer_co_stake(d, bob, 20_000 * IO, 1, sender=alice)
    held, totals = token.balanceOf(staking), staking.totals()
    with ape.reverts("NodeStaking: offer terms changed"):
        staking.accept_co_stake(d, 5_000 * IO, 5_000, sender=bob)
    assert token.balanceOf(bob) == 20_000 * IO and token.balanceOf(staking) == held
    assert staking.totals() == totals and staking.offers_held(bob) == 0
    assert staking.co_stake(d) == (bob.address, 1, "offered", 20_000 * IO, 1, 0, 0)
    assert staking.reward_split(d) == (alice.address, ZERO, 0)


def test_accept_co_stake__one_term_differs__reverts(staking, token, owner, alice, bob):
    """Either term alone: the same amount at another share, or the same share for another amount."""
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    staking.offer_co_stake(d, bob, 1_000 * IO, 2_000, sender=alice)
    fund(token, owner, bob, 2_000 * IO, staking)
    for amount, share in ((1_000 * IO, 1_999), (1_000 * IO, 2_001), (1_000 * IO - 1, 2_000), (2_000 * IO, 2_000)):
        with ape.reverts("NodeStaking: offer terms changed"):
            staking.accept_co_stake(d, amount, share, sender=bob)
    staking.accept_co_stake(d, 1_000 * IO, 2_000, sender=bob)
    assert token.balanceOf(bob) == 1_000 * IO and staking.co_stake(d).state_name == "active"


def test_accept_co_stake__cancelled_and_offered_again_on_the_same_terms__accepted(staking, token, owner, alice,
                                                                                   bob):
    """The acceptance binds the terms, not one offer: a cancel and an identical new offer change
    nothing bob agreed to, so his acceptance goes through on exactly those terms."""
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    staking.offer_co_stake(d, bob, 1_000 * IO, 2_000, sender=alice)
    staking.cancel_co_stake_offer(d, sender=alice)
    staking.offer_co_stake(d, bob, 1_000 * IO, 2_000, sender=alice)
    fund(token, owner, bob, 1_000 * IO, staking)
    ev = one(staking.accept_co_stake(d, 1_000 * IO, 2_000, sender=bob), staking.CoStakeAccepted)
    assert (ev.amount, ev.reward_share_bps) == (1_000 * IO, 2_000)


def test_exit_co_stake__active__waits_7_days_counting_without_earning(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=1_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    tx = staking.exit_co_stake(d, sender=bob)
    counts_until = tx.timestamp + 7 * DAY
    assert staking.co_stake(d) == (bob.address, 3, "exiting", 1_000 * IO, 2_000, counts_until,
                                   counts_until + 14 * DAY)
    assert staking.reward_split(d) == (alice.address, ZERO, 0)
    assert staking.is_eligible(d)  # still counts during the wait
    ev = one(tx, staking.CoStakeExited)
    assert (ev.co_staker, ev.counts_until, ev.release_at, bool(ev.forced)) == (
        bob.address, counts_until, counts_until + 14 * DAY, False)
    advance(7 * DAY)
    assert not staking.is_eligible(d)  # the wait is over: cooldown, no longer counts
    assert (staking.co_stake(d).state, staking.co_stake(d).state_name) == (4, "cooldown")
    advance(14 * DAY)
    assert (staking.co_stake(d).state, staking.co_stake(d).state_name) == (5, "withdrawable")


def test_exit_co_stake__not_active__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    with ape.reverts("NodeStaking: co-stake not active"):
        staking.exit_co_stake(d, sender=bob)


def test_withdraw_co_stake__after_wait_and_cooldown__paid_and_slot_freed(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    staking.exit_co_stake(d, sender=bob)
    advance(21 * DAY)
    tx = staking.withdraw_co_stake(d, sender=bob)
    assert token.balanceOf(bob) == 1_000 * IO
    assert staking.co_stake(d) == NO_CO and staking.offers_held(bob) == 0
    assert staking.totals().co_staked == 0
    ev = one(tx, staking.CoStakeWithdrawn)
    assert (ev.device, ev.co_staker, ev.amount, ev.offers_held) == (d, bob.address, 1_000 * IO, 0)


def test_withdraw_co_stake__by_owner__paid_to_co_staker(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    staking.exit_co_stake(d, sender=bob)
    advance(21 * DAY)
    staking.withdraw_co_stake(d, sender=alice)
    assert token.balanceOf(bob) == 1_000 * IO


def test_withdraw_co_stake__before_cooldown_end__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    staking.exit_co_stake(d, sender=bob)
    advance(21 * DAY - 10)
    with ape.reverts("NodeStaking: cooldown not over"):
        staking.withdraw_co_stake(d, sender=bob)


def test_withdraw_co_stake__stranger__reverts(staking, token, owner, alice, bob, carol):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    with ape.reverts("NodeStaking: caller is not the co-staker"):
        staking.withdraw_co_stake(d, sender=carol)


def test_withdraw_co_stake__not_exiting__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    with ape.reverts("NodeStaking: co-stake not exiting"):
        staking.withdraw_co_stake(d, sender=bob)


def test_eligibility__owner_plus_co_stake__counts_both(staking, token, owner, alice, bob):
    """Invariant eligibility: owner active + counting co-stake against the minimum."""
    d = new_device(staking, token, owner, alice, name="e", cls=H100, processors=2, stake=2_000 * IO)
    assert not staking.is_eligible(d)
    co_stake(staking, token, owner, alice, bob, d, 2_000 * IO)
    assert staking.is_eligible(d)


# ------------------------------------------------------------------ co_cap (issue 9 item 6)
def test_overturn_slash__rounding_would_lift_co_stake_above_owner__co_stake_pushed_out(
        staking, token, owner, operator, alice, bob):
    """co_cap through an overturn: a 1-wei slash of equal owner and co stakes takes the wei from
    the co-stake (floor for the owner, remainder for the co part); the owner then withdraws its
    1-wei overflow, so owner active == co amount. Overturning returns the wei to the co-stake,
    which would count 1 wei more than the owner's active stake: it is pushed out."""
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=1_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    ev = one(staking.slash(d, 1, EVIDENCE, False, sender=operator), staking.Slashed)
    assert (ev.owner_active_part, ev.co_part) == (0, 1)
    assert staking.overflow(d) == 1
    staking.withdraw_overflow(d, 1, sender=alice)
    assert staking.owner_stake(d)[0] == staking.co_stake(d).amount == 1_000 * IO - 1
    tx = staking.overturn_slash(1, sender=owner)
    exited = one(tx, staking.CoStakeExited)
    assert (exited.amount, exited.counts_until, bool(exited.forced)) == (1_000 * IO, tx.timestamp, True)
    assert staking.co_stake(d).state_name == "cooldown"
    assert staking.counting_stake(d) == 1_000 * IO - 1


def test_overturn_slash__co_stake_still_within_cap__stays_active(staking, token, owner, operator, alice, bob):
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=3_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    staking.slash(d, 400 * IO, EVIDENCE, False, sender=operator)
    tx = staking.overturn_slash(1, sender=owner)
    assert len(tx.events.filter(staking.CoStakeExited)) == 0
    assert staking.co_stake(d).state_name == "active" and staking.co_stake(d).amount == 1_000 * IO


def test_counting_stake__co_cap__co_stake_never_counts_above_owner_active(staking, token, owner, alice, bob):
    """Eligibility never rests on more than 50 % co-stake: the owner's minimum-sized co-stake
    counts once, and withdraw_overflow cannot take the owner below it."""
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=125 * IO)
    co_stake(staking, token, owner, alice, bob, d, 125 * IO)
    assert staking.counting_stake(d) == 250 * IO and staking.is_eligible(d)
    assert staking.overflow(d) == 0
    with ape.reverts("NodeStaking: amount exceeds overflow"):
        staking.withdraw_overflow(d, 1, sender=alice)

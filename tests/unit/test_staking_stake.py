"""NodeStaking: owner stake, overflow, unstake and withdraw; co-staking offers, exits, withdrawals."""

import ape

from ionet import ZERO_ADDRESS as ZERO
from tests.staking_helpers import DAY, H100, IO, RTX4090, advance, co_stake, device_id, fund, new_device, one


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
    assert staking.co_stake(d) == (bob.address, 1_000 * IO, 2_000, 3, tx.timestamp)
    assert staking.reward_split(d) == (alice.address, ZERO, 0)
    ev = one(tx, staking.CoStakeExited)
    assert (ev.co_staker, ev.amount, ev.counts_until, ev.release_at, bool(ev.forced)) == (
        bob.address, 1_000 * IO, tx.timestamp, tx.timestamp + 14 * DAY, True)
    advance(14 * DAY)
    staking.withdraw_co_stake(d, sender=bob)
    assert token.balanceOf(bob) == 1_000 * IO


def test_unstake__co_stake_alone_meets_minimum__co_stake_stays(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, cls=RTX4090, stake=1_000 * IO)  # minimum 250
    co_stake(staking, token, owner, alice, bob, d, 500 * IO)
    staking.unstake(d, sender=alice)
    assert staking.co_stake(d)[3] == 2 and staking.is_eligible(d)


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


def test_withdraw__nothing_in_cooldown__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: nothing in cooldown"):
        staking.withdraw(d, sender=alice)


# ------------------------------------------------------------------ offers
def test_offer_co_stake__owner__recorded_and_logged(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    tx = staking.offer_co_stake(d, bob, 4_000 * IO, 2_500, sender=alice)  # exactly 50 % of the total
    assert staking.co_stake(d) == (bob.address, 4_000 * IO, 2_500, 1, 0)
    assert staking.offers_held(bob) == 1
    assert staking.reward_split(d) == (alice.address, ZERO, 0)  # nothing deposited yet
    ev = one(tx, staking.CoStakeOffered)
    assert (ev.device, ev.co_staker, ev.amount, ev.reward_share_bps) == (d, bob.address, 4_000 * IO, 2_500)


def test_offer_co_stake__above_half__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    with ape.reverts("NodeStaking: co-stake above 50 %"):
        staking.offer_co_stake(d, bob, 4_000 * IO + 1, 2_500, sender=alice)


def test_offer_co_stake__third_offer__reverts(staking, token, owner, alice, bob):
    ds = [new_device(staking, token, owner, alice, name=f"d{i}", stake=2_000 * IO) for i in range(3)]
    staking.offer_co_stake(ds[0], bob, 100 * IO, 1_000, sender=alice)
    staking.offer_co_stake(ds[1], bob, 100 * IO, 1_000, sender=alice)
    with ape.reverts("NodeStaking: co-staker holds 2 offers"):
        staking.offer_co_stake(ds[2], bob, 100 * IO, 1_000, sender=alice)


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
    assert staking.co_stake(d) == (ZERO, 0, 0, 0, 0) and staking.offers_held(bob) == 0
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


# ------------------------------------------------------------------ accept / exit / withdraw
def test_accept_co_stake__offered__deposited_counts_and_earns(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=1_000 * IO)  # below the 2,000 minimum
    staking.offer_co_stake(d, bob, 1_000 * IO, 2_000, sender=alice)
    fund(token, owner, bob, 1_000 * IO, staking)
    tx = staking.accept_co_stake(d, sender=bob)
    assert token.balanceOf(bob) == 0
    assert staking.co_stake(d) == (bob.address, 1_000 * IO, 2_000, 2, 0)
    assert staking.is_eligible(d) and staking.counting_stake(d) == 2_000 * IO
    assert staking.reward_split(d) == (alice.address, bob.address, 2_000)
    ev = one(tx, staking.CoStakeAccepted)
    assert (ev.device, ev.co_staker, ev.amount, ev.reward_share_bps) == (d, bob.address, 1_000 * IO, 2_000)


def test_accept_co_stake__not_offered_to_caller__reverts(staking, token, owner, alice, bob, carol):
    d = new_device(staking, token, owner, alice)
    staking.offer_co_stake(d, bob, 100 * IO, 1_000, sender=alice)
    with ape.reverts("NodeStaking: no offer for caller"):
        staking.accept_co_stake(d, sender=carol)


def test_accept_co_stake__owner_withdrew_below_cap__reverts(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    staking.offer_co_stake(d, bob, 2_000 * IO, 1_000, sender=alice)
    staking.unstake(d, sender=alice)
    fund(token, owner, bob, 2_000 * IO, staking)
    with ape.reverts("NodeStaking: co-stake above 50 %"):
        staking.accept_co_stake(d, sender=bob)


def test_exit_co_stake__active__waits_7_days_counting_without_earning(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=1_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    tx = staking.exit_co_stake(d, sender=bob)
    counts_until = tx.timestamp + 7 * DAY
    assert staking.co_stake(d) == (bob.address, 1_000 * IO, 2_000, 3, counts_until)
    assert staking.reward_split(d) == (alice.address, ZERO, 0)
    assert staking.is_eligible(d)  # still counts during the wait
    ev = one(tx, staking.CoStakeExited)
    assert (ev.co_staker, ev.counts_until, ev.release_at, bool(ev.forced)) == (
        bob.address, counts_until, counts_until + 14 * DAY, False)
    advance(7 * DAY)
    assert not staking.is_eligible(d)  # the wait is over: cooldown, no longer counts


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
    assert staking.co_stake(d) == (ZERO, 0, 0, 0, 0) and staking.offers_held(bob) == 0
    ev = one(tx, staking.CoStakeWithdrawn)
    assert (ev.device, ev.co_staker, ev.amount) == (d, bob.address, 1_000 * IO)


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

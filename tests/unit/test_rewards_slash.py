"""RewardsDistributor and slashes: what a slash holds, when held rewards are released or forfeited,
settle_slash, co-stakers, and the previews of all that (issue 9, items 1-4).

The story of most tests: alice's dev(1) is paid 30 IO under root 1, earns 5 IO more (unclaimed
when it is slashed), is slashed (not jailed, so it keeps earning) and earns 10 IO after the slash.
Root 2 commits the slash: owner_cumulative 45, owner_at_slash 35."""

from __future__ import annotations

import ape
import pytest

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from tests.rewards_helpers import (
    FINALIZED,
    OVERTURNED,
    PENDING,
    advance,
    claim_args,
    dev,
    events,
    leaf,
    publish_and_activate,
    register,
    settled,
    tree_of,
)


@pytest.fixture
def funded(distributor, fund):
    fund(distributor, 1_000 * IO)
    return distributor


@pytest.fixture
def devices(mock_staking, alice, bob, carol):
    register(mock_staking, dev(1), alice)
    register(mock_staking, dev(2), bob, co_staker=carol, share_bps=2_500)
    return mock_staking


def slash(mock, device: bytes, sender) -> int:
    """A slash of `device` in the mock (pending), returning its id."""
    mock.mark_slashed(device, sender=sender)
    return mock.last_slash_id(device)


def settled_sum(distributor, parties) -> bool:
    """settled_sum: total_paid + total_forfeited + total_held == Σ settled over `parties`."""
    total = sum(settled(distributor, d, p) for d, p in parties)
    return distributor.total_paid() + distributor.total_forfeited() + distributor.total_held() == total


@pytest.fixture
def slashed(funded, devices, operator, alice):
    """Root 1 paid alice 30; dev(1) slashed after earning 5 more; root 2 (45, at slash 35) active.
    Returns (tree 2, slash id)."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    sid = slash(devices, dev(1), operator)
    advance(60)
    t2 = tree_of([leaf(dev(1), 45 * IO, slash_id=sid, owner_at=35 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t2)
    return t2, sid


# ---------------------------------------------------------------- item 1
def test_claim__reward_earned_after_slash__paid_not_forfeited(funded, slashed, alice, attacker, token):
    """Issue 9, item 1: the 10 IO earned after the slash are paid; only the 5 IO unclaimed at the
    slash are taken (held while the slash can be appealed), nothing is forfeited yet."""
    tree, sid = slashed
    a0, balance = token.balanceOf(alice), token.balanceOf(funded)
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=attacker)
    assert token.balanceOf(alice) - a0 == 10 * IO and token.balanceOf(funded) == balance - 10 * IO
    assert funded.held_of(dev(1), ZERO) == (5 * IO, sid, PENDING)
    assert funded.settled_of(dev(1), ZERO) == (45 * IO, sid)
    assert (funded.total_paid(), funded.total_held(), funded.total_forfeited()) == (40 * IO, 5 * IO, 0)
    held = events(receipt, "RewardsHeld")[0]
    assert (held.device, held.party, held.slash_id, held.amount, held.held, held.settled) == (
        dev(1),
        ZERO,
        sid,
        5 * IO,
        5 * IO,
        35 * IO,
    )
    paid = events(receipt, "RewardsClaimed")[0]
    assert (paid.owner_amount, paid.owner_cumulative, paid.slash_id) == (10 * IO, 45 * IO, sid)
    assert not events(receipt, "RewardsForfeited") and settled_sum(funded, [(dev(1), ZERO)])


def test_claim__root_before_latest_slash__reverts_slash_committed(funded, devices, operator, alice):
    """slash_committed: once a device is slashed, a root that does not commit the slash pays it
    nothing (every reward it shows was unclaimed at the slash)."""
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    slash(devices, dev(1), operator)
    with ape.reverts("RewardsDistributor: slash after active root"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)
    assert funded.preview_claim(*claim_args(tree, dev(1))).reason == "RewardsDistributor: slash after active root"
    assert funded.claimable(*claim_args(tree, dev(1))) == 0


def test_claim__slash_pending__held_never_paid_while_pending(funded, slashed, devices, operator, alice, token):
    """held_never_paid_while_pending: later claims pay new rewards only; the held amount stays."""
    tree, sid = slashed
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    t3 = tree_of([leaf(dev(1), 52 * IO, slash_id=sid, owner_at=35 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t3)
    a0 = token.balanceOf(alice)
    receipt = funded.claim(*claim_args(t3, dev(1)), sender=alice)
    assert token.balanceOf(alice) - a0 == 7 * IO
    assert [e.event_name for e in receipt.events] == ["Transfer", "RewardsClaimed"]
    assert funded.held_of(dev(1), ZERO) == (5 * IO, sid, PENDING) and funded.total_held() == 5 * IO
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(t3, dev(1)), sender=alice)


# ---------------------------------------------------------------- item 2
def test_claim__overturned_slash__held_rewards_returned(funded, slashed, devices, alice, attacker, token):
    """Issue 9, item 2: an upheld appeal returns the slashed rewards too (release_only_when_overturned)."""
    tree, sid = slashed
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    devices.set_slash_outcome(sid, OVERTURNED, sender=attacker)
    assert funded.held_of(dev(1), ZERO) == (5 * IO, sid, OVERTURNED)
    a0 = token.balanceOf(alice)
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=attacker)  # same root: only the release
    assert token.balanceOf(alice) - a0 == 5 * IO
    ev = events(receipt, "RewardsReleased")[0]
    assert (ev.device, ev.party, ev.slash_id, ev.amount, ev.paid_to) == (dev(1), ZERO, sid, 5 * IO, alice)
    assert not events(receipt, "RewardsClaimed")
    assert (funded.total_paid(), funded.total_held(), funded.total_forfeited()) == (45 * IO, 0, 0)
    assert funded.held_of(dev(1), ZERO) == (0, 0, 0) and settled_sum(funded, [(dev(1), ZERO)])


def test_claim__finalized_slash__held_rewards_forfeited_forfeit_only_when_finalized(
    funded, slashed, devices, operator, alice, token
):
    """forfeit_only_when_finalized: the held 5 IO go back to the pool only once the slash is
    burned; no token moves for the forfeit."""
    tree, sid = slashed
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    t3 = tree_of([leaf(dev(1), 48 * IO, slash_id=sid, owner_at=35 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t3)
    a0, balance = token.balanceOf(alice), token.balanceOf(funded)
    receipt = funded.claim(*claim_args(t3, dev(1)), sender=alice)
    assert token.balanceOf(alice) - a0 == 3 * IO and token.balanceOf(funded) == balance - 3 * IO
    ev = events(receipt, "RewardsForfeited")[0]
    assert (ev.device, ev.party, ev.slash_id, ev.amount) == (dev(1), ZERO, sid, 5 * IO)
    assert (funded.total_forfeited(), funded.total_held()) == (5 * IO, 0)
    assert funded.funding_limit() == funded.total_received() + 5 * IO
    assert settled_sum(funded, [(dev(1), ZERO)])


def test_claim__slash_finalized_before_first_claim__held_then_forfeited_at_once(
    funded, slashed, devices, operator, alice, token
):
    tree, sid = slashed
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    p = funded.preview_claim(*claim_args(tree, dev(1)))
    assert (p.owner_amount, p.held, p.forfeited, p.released, p.reason) == (10 * IO, 5 * IO, 5 * IO, 0, "")
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=alice)
    names = [e.event_name for e in receipt.events]
    assert names == ["RewardsHeld", "RewardsForfeited", "Transfer", "RewardsClaimed"]
    assert (funded.total_forfeited(), funded.total_held(), funded.total_paid()) == (5 * IO, 0, 40 * IO)


def test_claim__second_slash_while_first_pending__held_merges_into_latest(
    funded, slashed, devices, operator, alice, token
):
    """Held rewards follow the device's latest slash: a still-pending held amount merges into a
    newer slash and is released or forfeited with it."""
    tree, s1 = slashed
    funded.claim(*claim_args(tree, dev(1)), sender=alice)  # 5 held by s1, settled 45
    s2 = slash(devices, dev(1), operator)  # after earning 8 more: at slash 53
    advance(60)
    t3 = tree_of([leaf(dev(1), 60 * IO, slash_id=s2, owner_at=53 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t3)
    receipt = funded.claim(*claim_args(t3, dev(1)), sender=alice)
    held = events(receipt, "RewardsHeld")[0]
    assert (held.slash_id, held.amount, held.held, held.settled) == (s2, 8 * IO, 13 * IO, 53 * IO)
    assert funded.held_of(dev(1), ZERO) == (13 * IO, s2, PENDING) and funded.total_held() == 13 * IO
    devices.set_slash_outcome(s1, FINALIZED, sender=operator)  # no effect: the amount follows s2
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(t3, dev(1)), sender=alice)
    devices.set_slash_outcome(s2, OVERTURNED, sender=operator)
    a0 = token.balanceOf(alice)
    funded.claim(*claim_args(t3, dev(1)), sender=alice)
    assert token.balanceOf(alice) - a0 == 13 * IO and funded.total_held() == 0
    assert funded.total_paid() == 60 * IO and settled_sum(funded, [(dev(1), ZERO)])


def test_claim__one_wei_held__released_when_overturned(funded, devices, operator, alice, token):
    """The smallest held amount, one wei unclaimed at the slash, is released like any other."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    sid = slash(devices, dev(1), operator)
    advance(60)
    t2 = tree_of([leaf(dev(1), 30 * IO + 1, slash_id=sid, owner_at=30 * IO + 1), leaf(dev(2), 10 * IO)])
    publish_and_activate(funded, operator, t2)
    funded.settle_slash(*claim_args(t2, dev(1)), sender=operator)
    assert funded.held_of(dev(1), ZERO) == (1, sid, PENDING)
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    a0 = token.balanceOf(alice)
    funded.claim(*claim_args(t2, dev(1)), sender=alice)
    assert token.balanceOf(alice) - a0 == 1 and funded.held_of(dev(1), ZERO) == (0, 0, 0)


def test_claim__second_slash_with_nothing_new_earned__held_amount_moves_to_it(
    funded, slashed, devices, operator, alice, token
):
    """A second slash that holds nothing new (nothing earned between the two slashes) still takes
    the pending held amount over: its amount is unchanged, its slash is now the latest."""
    tree, s1 = slashed
    funded.claim(*claim_args(tree, dev(1)), sender=alice)  # 5 held by s1, settled 45
    s2 = slash(devices, dev(1), operator)
    advance(60)
    t3 = tree_of([leaf(dev(1), 50 * IO, slash_id=s2, owner_at=45 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t3)
    a0 = token.balanceOf(alice)
    funded.claim(*claim_args(t3, dev(1)), sender=alice)  # the 5 earned after s2 are paid
    assert token.balanceOf(alice) - a0 == 5 * IO
    assert funded.held_of(dev(1), ZERO) == (5 * IO, s2, PENDING)
    devices.set_slash_outcome(s1, OVERTURNED, sender=operator)  # no effect: the amount follows s2
    devices.set_slash_outcome(s2, FINALIZED, sender=operator)
    a0 = token.balanceOf(alice)
    funded.settle_slash(*claim_args(t3, dev(1)), sender=operator)
    assert token.balanceOf(alice) == a0 and funded.total_forfeited() == 5 * IO and funded.total_held() == 0


def test_claim__second_slash_after_first_finalized__first_forfeited_then_new_held(
    funded, slashed, devices, operator, alice
):
    tree, s1 = slashed
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    devices.set_slash_outcome(s1, FINALIZED, sender=operator)
    s2 = slash(devices, dev(1), operator)
    advance(60)
    t3 = tree_of([leaf(dev(1), 60 * IO, slash_id=s2, owner_at=53 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t3)
    receipt = funded.claim(*claim_args(t3, dev(1)), sender=alice)
    held_events = ("RewardsForfeited", "RewardsHeld", "RewardsReleased")
    moves = [(e.event_name, e.slash_id, e.amount) for e in receipt.events if e.event_name in held_events]
    assert moves == [("RewardsForfeited", s1, 5 * IO), ("RewardsHeld", s2, 8 * IO)]
    assert funded.held_of(dev(1), ZERO) == (8 * IO, s2, PENDING)
    assert (funded.total_forfeited(), funded.total_held()) == (5 * IO, 8 * IO)
    assert settled_sum(funded, [(dev(1), ZERO)])


# ---------------------------------------------------------------- settle_slash
def test_settle_slash__during_appeal__nothing_forfeited(funded, slashed, attacker, alice, token):
    """Issue 9, item 2: anyone may apply a slash during its appeal window, but that only holds the
    rewards: nothing is forfeited, nothing paid, no token moves."""
    tree, sid = slashed
    balance, a0 = token.balanceOf(funded), token.balanceOf(alice)
    receipt = funded.settle_slash(*claim_args(tree, dev(1)), sender=attacker)
    assert token.balanceOf(funded) == balance and token.balanceOf(alice) == a0
    assert funded.held_of(dev(1), ZERO) == (5 * IO, sid, PENDING)
    assert funded.settled_of(dev(1), ZERO) == (35 * IO, sid)  # the 10 earned after it stay claimable
    assert (funded.total_forfeited(), funded.total_held()) == (0, 5 * IO)
    assert [e.event_name for e in receipt.events] == ["RewardsHeld"]
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*claim_args(tree, dev(1)), sender=attacker)
    assert funded.claimable(*claim_args(tree, dev(1))) == 10 * IO


def test_settle_slash__finalized__pool_gets_rewards_back_without_claim(funded, slashed, devices, operator, token):
    """The pool recovers a finalized slash's rewards without the device claiming: they count
    toward the next root's funding (root_funded), and no token moves (forfeit_only_when_finalized)."""
    tree, sid = slashed
    funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    limit, balance = funded.funding_limit(), token.balanceOf(funded)
    receipt = funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    ev = events(receipt, "RewardsForfeited")[0]
    assert (ev.device, ev.party, ev.slash_id, ev.amount) == (dev(1), ZERO, sid, 5 * IO)
    assert funded.funding_limit() == limit + 5 * IO and token.balanceOf(funded) == balance
    assert settled(funded, dev(1)) == 35 * IO  # ordinary rewards are not touched


def test_settle_slash__overturned__releases_to_owner_wallet_release_only_when_overturned(
    funded, slashed, devices, operator, alice, token
):
    """release_only_when_overturned: held while pending (nothing to settle), paid once overturned."""
    tree, sid = slashed
    funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    a0 = token.balanceOf(alice)
    receipt = funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    assert token.balanceOf(alice) - a0 == 5 * IO
    assert events(receipt, "RewardsReleased")[0].paid_to == alice
    assert (funded.total_paid(), funded.total_held()) == (35 * IO, 0)


def test_settle_slash__unslashed_device__reverts_nothing_to_settle(funded, slashed, alice):
    tree, _ = slashed
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*claim_args(tree, dev(2)), sender=alice)


def test_settle_slash__each_revert_reason(funded, devices, operator, alice):
    tree = tree_of(
        [leaf(dev(1), 30 * IO), leaf(dev(2), 2**192, slash_id=0), leaf(dev(99), IO), leaf(dev(3), IO, slash_id=9)]
    )
    register(devices, dev(3), alice)
    publish_and_activate(funded, operator, tree, total=32 * IO)
    args = claim_args(tree, dev(1))
    cases = [
        ((args[0], args[1] + 1, *args[2:]), "RewardsDistributor: invalid proof"),
        (claim_args(tree, dev(99)), "RewardsDistributor: unknown device"),
        (claim_args(tree, dev(3)), "RewardsDistributor: slash not in staking"),
        (claim_args(tree, dev(2)), "RewardsDistributor: amount too large"),
    ]
    for a, reason in cases:
        with ape.reverts(reason):
            funded.settle_slash(*a, sender=alice)
    slash(devices, dev(1), operator)
    with ape.reverts("RewardsDistributor: slash after active root"):
        funded.settle_slash(*args, sender=alice)


# ---------------------------------------------------------------- item 3: co-stakers
def test_claim__co_staker_left_before_claim__paid_for_its_active_hours(funded, devices, operator, bob, carol, token):
    """Issue 9, item 3: carol co-staked on bob's device while it earned; bob unstaked (pushing her
    out) before anyone claimed. Her share was committed per epoch in the leaf: she is paid it."""
    lf = leaf(dev(2), 30 * IO, carol, 10 * IO)
    t1 = tree_of([leaf(dev(1), IO), lf])
    publish_and_activate(funded, operator, t1)
    register(devices, dev(2), bob)  # NodeStaking now reports no co-staker
    t2 = tree_of([leaf(dev(1), 2 * IO), lf])  # the device earns nothing more
    publish_and_activate(funded, operator, t2)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    funded.claim(*claim_args(t2, lf), sender=bob)
    assert token.balanceOf(carol) - c0 == 10 * IO and token.balanceOf(bob) - b0 == 30 * IO


def test_claim__slash_hits_co_staker__co_rewards_held_too(funded, devices, operator, bob, carol, token):
    t1 = tree_of([leaf(dev(1), IO), leaf(dev(2), 25 * IO, carol, 10 * IO)])
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(2)), sender=bob)
    sid = slash(devices, dev(2), operator)
    advance(60)
    lf = leaf(dev(2), 40 * IO, carol, 20 * IO, sid, 30 * IO, 15 * IO)
    t2 = tree_of([leaf(dev(1), IO), lf])
    publish_and_activate(funded, operator, t2)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    receipt = funded.claim(*claim_args(t2, lf), sender=bob)
    assert (token.balanceOf(bob) - b0, token.balanceOf(carol) - c0) == (10 * IO, 5 * IO)
    assert funded.held_of(dev(2), ZERO) == (5 * IO, sid, PENDING)
    assert funded.held_of(dev(2), carol) == (5 * IO, sid, PENDING)
    held = [(e.party, e.amount) for e in events(receipt, "RewardsHeld")]
    assert held == [(ZERO, 5 * IO), (carol, 5 * IO)]
    assert settled_sum(funded, [(dev(2), ZERO), (dev(2), carol)])
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    c0 = token.balanceOf(carol)
    r = funded.settle_slash(*claim_args(t2, lf), sender=operator)
    assert token.balanceOf(carol) - c0 == 5 * IO
    assert [e.paid_to for e in events(r, "RewardsReleased")] == [bob, carol]


def test_claim__slash_spares_co_staker__co_paid_in_full(funded, devices, operator, bob, carol, token):
    """A slash that did not hit the co-staker's principal (co_at_slash 0) takes none of its rewards."""
    sid = slash(devices, dev(2), operator)
    advance(60)
    lf = leaf(dev(2), 40 * IO, carol, 20 * IO, sid, 30 * IO, 0)
    tree = tree_of([leaf(dev(1), IO), lf])
    publish_and_activate(funded, operator, tree)
    c0 = token.balanceOf(carol)
    funded.claim(*claim_args(tree, lf), sender=bob)
    assert token.balanceOf(carol) - c0 == 20 * IO and funded.held_of(dev(2), carol) == (0, 0, 0)
    assert funded.held_of(dev(2), ZERO) == (30 * IO, sid, PENDING)


# ---------------------------------------------------------------- item 4: views
def test_preview_claim__slash_pending__shows_held_not_paid(funded, slashed, alice):
    tree, _ = slashed
    p = funded.preview_claim(*claim_args(tree, dev(1)))
    assert (p.owner_wallet, p.owner_amount, p.co_staker, p.co_amount) == (alice, 10 * IO, ZERO, 0)
    assert (p.held, p.released, p.forfeited, p.reason) == (5 * IO, 0, 0, "")


def test_preview_claim__overturned__release_inside_owner_amount(funded, slashed, devices, operator):
    tree, sid = slashed
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    p = funded.preview_claim(*claim_args(tree, dev(1)))
    assert (p.owner_amount, p.held, p.released, p.forfeited) == (15 * IO, 5 * IO, 5 * IO, 0)
    assert funded.claimable(*claim_args(tree, dev(1))) == 15 * IO


def test_claimable__held_amounts__not_shown(funded, slashed):
    tree, _ = slashed
    assert funded.claimable(*claim_args(tree, dev(1))) == 10 * IO  # not the 5 held


def test_held_of__pending_then_finalized__amount_slash_outcome(funded, slashed, devices, operator):
    tree, sid = slashed
    assert funded.held_of(dev(1), ZERO) == (0, 0, 0)  # not applied yet: preview_claim shows it
    funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    assert funded.held_of(dev(1), ZERO) == (5 * IO, sid, PENDING)
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    assert funded.held_of(dev(1), ZERO) == (5 * IO, sid, FINALIZED)
    funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    assert funded.held_of(dev(1), ZERO) == (0, 0, 0)


def test_publish_root__forfeits_count_toward_funding__root_funded(funded, slashed, devices, operator, bob):
    """root_funded: forfeited IO can be given out again, so the bound is received + forfeited."""
    tree, sid = slashed
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    funded.settle_slash(*claim_args(tree, dev(1)), sender=operator)
    received = funded.total_received()
    assert funded.funding_limit() == received + 5 * IO
    # dev(2) gets the forfeited 5 on top: the tree's total counts them twice.
    t3 = tree_of([leaf(dev(1), 45 * IO, slash_id=sid, owner_at=35 * IO), leaf(dev(2), received - 45 * IO + 5 * IO)])
    publish_and_activate(funded, operator, t3)
    funded.claim(*claim_args(t3, dev(2)), sender=bob)
    funded.claim(*claim_args(t3, dev(1)), sender=bob)
    assert funded.total_paid() == received and funded.total_received() == received

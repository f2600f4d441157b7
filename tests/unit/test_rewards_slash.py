"""RewardsDistributor and slashes: what each slash holds, when a hold is released or forfeited,
settle_slash and its order, co-stakers, overlapping slashes (issue 18, defect 2), and the previews.

The story of most tests: alice's dev(1) is paid 30 IO under root 1, earns 5 IO more (unclaimed
when it is slashed), is slashed (not jailed, so it keeps earning) and earns 10 IO after the slash.
Root 2 commits the slash: the reward leaf has owner_cumulative 45 and slash_id = the slash; the
slash leaf has owner_at 35."""

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
    settle_args,
    settled,
    slash_leaf,
    tree_of,
)

HOLD_EVENTS = ("RewardsHeld", "RewardsReleased", "RewardsForfeited")


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


def moves(receipt) -> list[tuple]:
    return [(e.event_name, e.party, e.slash_id, e.amount) for e in receipt.events if e.event_name in HOLD_EVENTS]


@pytest.fixture
def slashed(funded, devices, operator, alice):
    """Root 1 paid alice 30; dev(1) slashed after earning 5 more; root 2 (45; slash leaf at 35)
    active. Returns (tree 2, slash id)."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    sid = slash(devices, dev(1), operator)
    advance(60)
    t2 = tree_of([leaf(dev(1), 45 * IO, slash_id=sid), slash_leaf(dev(1), sid, 35 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t2)
    return t2, sid


# ---------------------------------------------------------------- one slash
def test_settle_slash_then_claim__reward_earned_after_slash__paid_not_forfeited(
    funded, slashed, alice, attacker, token
):
    """The 10 IO earned after the slash are paid; only the 5 IO unclaimed at it are held while it
    can be appealed; nothing is forfeited yet."""
    tree, sid = slashed
    receipt = funded.settle_slash(*settle_args(tree, dev(1), sid), sender=attacker)
    held = events(receipt, "RewardsHeld")[0]
    assert (held.device, held.party, held.slash_id, held.amount, held.settled) == (dev(1), ZERO, sid, 5 * IO, 35 * IO)
    assert funded.held_of(dev(1), ZERO, sid) == (5 * IO, PENDING)
    assert funded.settled_of(dev(1), ZERO) == (35 * IO, sid)
    a0, balance = token.balanceOf(alice), token.balanceOf(funded)
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=attacker)
    assert token.balanceOf(alice) - a0 == 10 * IO and token.balanceOf(funded) == balance - 10 * IO
    paid = events(receipt, "RewardsClaimed")[0]
    assert (paid.owner_amount, paid.owner_cumulative, paid.slash_id, paid.co_slash_id) == (10 * IO, 45 * IO, sid, 0)
    assert (funded.total_paid(), funded.total_held(), funded.total_forfeited()) == (40 * IO, 5 * IO, 0)
    assert not moves(receipt) and settled_sum(funded, [(dev(1), ZERO)])


def test_claim__slash_not_settled__reverts_slash_committed(funded, slashed, alice):
    """slash_committed: a claim pays nothing to a party that has not applied the root's slash."""
    tree, _ = slashed
    with ape.reverts("RewardsDistributor: slash not settled"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)
    assert funded.preview_claim(*claim_args(tree, dev(1))).reason == "RewardsDistributor: slash not settled"
    assert funded.claimable(*claim_args(tree, dev(1))) == 0


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


def test_claim__slash_pending__held_never_paid_while_pending(funded, slashed, operator, alice, token):
    """held_never_paid_while_pending: later claims pay new rewards only; the hold stays."""
    tree, sid = slashed
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=alice)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    t3 = tree_of([leaf(dev(1), 52 * IO, slash_id=sid), slash_leaf(dev(1), sid, 35 * IO), leaf(dev(2), 20 * IO)])
    publish_and_activate(funded, operator, t3)
    a0 = token.balanceOf(alice)
    receipt = funded.claim(*claim_args(t3, dev(1)), sender=alice)
    assert token.balanceOf(alice) - a0 == 7 * IO
    assert [e.event_name for e in receipt.events] == ["Transfer", "RewardsClaimed"]
    assert funded.held_of(dev(1), ZERO, sid) == (5 * IO, PENDING) and funded.total_held() == 5 * IO
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*settle_args(t3, dev(1), sid), sender=alice)
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(t3, dev(1)), sender=alice)


def test_settle_slash__overturned__hold_returned_release_only_when_overturned(
    funded, slashed, devices, alice, attacker, token
):
    """release_only_when_overturned: held while pending (nothing to settle), paid once overturned,
    to the device's reward wallet, by anyone's call."""
    tree, sid = slashed
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=attacker)
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*settle_args(tree, dev(1), sid), sender=attacker)
    devices.set_slash_outcome(sid, OVERTURNED, sender=attacker)
    assert funded.held_of(dev(1), ZERO, sid) == (5 * IO, OVERTURNED)
    a0 = token.balanceOf(alice)
    receipt = funded.settle_slash(*settle_args(tree, dev(1), sid), sender=attacker)
    assert token.balanceOf(alice) - a0 == 5 * IO
    ev = events(receipt, "RewardsReleased")[0]
    assert (ev.device, ev.party, ev.slash_id, ev.amount, ev.paid_to) == (dev(1), ZERO, sid, 5 * IO, alice)
    assert (funded.total_paid(), funded.total_held(), funded.total_forfeited()) == (35 * IO, 0, 0)
    assert funded.held_of(dev(1), ZERO, sid) == (0, 0) and settled_sum(funded, [(dev(1), ZERO)])


def test_settle_slash__finalized__hold_forfeited_forfeit_only_when_finalized(
    funded, slashed, devices, operator, alice, token
):
    """forfeit_only_when_finalized: the held 5 IO go back to the pool only once the slash is
    burned; no token moves for the forfeit; they count toward the next root's funding."""
    tree, sid = slashed
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=operator)
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    limit, balance, a0 = funded.funding_limit(), token.balanceOf(funded), token.balanceOf(alice)
    receipt = funded.settle_slash(*settle_args(tree, dev(1), sid), sender=operator)
    ev = events(receipt, "RewardsForfeited")[0]
    assert (ev.device, ev.party, ev.slash_id, ev.amount) == (dev(1), ZERO, sid, 5 * IO)
    assert token.balanceOf(funded) == balance and token.balanceOf(alice) == a0
    assert funded.funding_limit() == limit + 5 * IO
    assert (funded.total_forfeited(), funded.total_held()) == (5 * IO, 0)
    assert settled(funded, dev(1)) == 35 * IO and settled_sum(funded, [(dev(1), ZERO)])


def test_settle_slash__finalized_before_first_settle__held_then_forfeited_at_once(
    funded, slashed, devices, operator, alice
):
    tree, sid = slashed
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    p = funded.preview_settle_slash(*settle_args(tree, dev(1), sid))
    assert (p.owner_wallet, p.owner_held, p.owner_released, p.owner_forfeited, p.outcome, p.reason) == (
        alice,
        5 * IO,
        0,
        5 * IO,
        FINALIZED,
        "",
    )
    receipt = funded.settle_slash(*settle_args(tree, dev(1), sid), sender=alice)
    assert moves(receipt) == [("RewardsHeld", ZERO, sid, 5 * IO), ("RewardsForfeited", ZERO, sid, 5 * IO)]
    assert (funded.total_forfeited(), funded.total_held(), funded.total_paid()) == (5 * IO, 0, 30 * IO)


def test_settle_slash__one_wei_held__released_when_overturned(funded, devices, operator, alice, token):
    """The smallest hold, one wei unclaimed at the slash, is released like any other."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    sid = slash(devices, dev(1), operator)
    advance(60)
    t2 = tree_of([leaf(dev(1), 30 * IO + 1, slash_id=sid), slash_leaf(dev(1), sid, 30 * IO + 1), leaf(dev(2), 10 * IO)])
    publish_and_activate(funded, operator, t2)
    funded.settle_slash(*settle_args(t2, dev(1), sid), sender=operator)
    assert funded.held_of(dev(1), ZERO, sid) == (1, PENDING)
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    a0 = token.balanceOf(alice)
    funded.settle_slash(*settle_args(t2, dev(1), sid), sender=operator)
    assert token.balanceOf(alice) - a0 == 1 and funded.held_of(dev(1), ZERO, sid) == (0, 0)


def test_settle_slash__nothing_unclaimed_at_slash__applies_with_zero_hold(funded, devices, operator, alice):
    """A slash that finds nothing unclaimed holds 0 but is applied (the party's applied slash moves,
    RewardsHeld says 0), so the claim can go on; a second call has nothing to settle."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    sid = slash(devices, dev(1), operator)
    advance(60)
    t2 = tree_of([leaf(dev(1), 40 * IO, slash_id=sid), slash_leaf(dev(1), sid, 30 * IO), leaf(dev(2), 10 * IO)])
    publish_and_activate(funded, operator, t2)
    receipt = funded.settle_slash(*settle_args(t2, dev(1), sid), sender=operator)
    assert moves(receipt) == [("RewardsHeld", ZERO, sid, 0)]
    assert funded.settled_of(dev(1), ZERO) == (30 * IO, sid) and funded.total_held() == 0
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*settle_args(t2, dev(1), sid), sender=operator)
    assert funded.claimable(*claim_args(t2, dev(1))) == 10 * IO


def test_settle_slash__each_revert_reason(funded, devices, operator, alice):
    register(devices, dev(3), alice)
    s1 = slash(devices, dev(1), operator)
    s2 = slash(devices, dev(1), operator)
    tree = tree_of(
        [
            leaf(dev(1), 30 * IO, slash_id=s2),
            slash_leaf(dev(1), s1, 10 * IO),
            slash_leaf(dev(1), s2, 20 * IO, owner_prev=s1),
            slash_leaf(dev(99), 1, IO),
            slash_leaf(dev(3), 9, IO),
            slash_leaf(dev(3), 0, IO),
            slash_leaf(dev(1), s1, 2**192),
            leaf(dev(2), IO),
        ]
    )
    publish_and_activate(funded, operator, tree, total=31 * IO)
    good = settle_args(tree, dev(1), s1)
    cases = [
        ((good[0], good[1], good[2], good[3] + 1, *good[4:]), "RewardsDistributor: invalid proof"),
        (settle_args(tree, dev(99), 1), "RewardsDistributor: unknown device"),
        (settle_args(tree, dev(3), 9), "RewardsDistributor: slash not in staking"),
        (settle_args(tree, dev(3), 0), "RewardsDistributor: slash not in staking"),
        (claim_args(tree, slash_leaf(dev(1), s1, 2**192)), "RewardsDistributor: amount too large"),
        (settle_args(tree, dev(1), s2), "RewardsDistributor: earlier slash not settled"),
    ]
    for a, reason in cases:
        assert funded.preview_settle_slash(*a).reason == reason
        with ape.reverts(reason):
            funded.settle_slash(*a, sender=alice)
    funded.settle_slash(*good, sender=alice)
    with ape.reverts("RewardsDistributor: nothing to settle"):
        funded.settle_slash(*good, sender=alice)
    assert funded.preview_settle_slash(*good).reason == "RewardsDistributor: nothing to settle"


# ---------------------------------------------------------------- overlapping slashes (issue 18, defect 2)
def _two_slashes(funded, devices, operator, alice):
    """dev(1) claimed 10; slash 1 finds 5 unclaimed (at 15), slash 2 a day later 10 (at 20); 5 more
    are earned (25). One root commits both. Returns (tree, s1, s2)."""
    t1 = tree_of({dev(1): 10 * IO, dev(2): IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    s1 = slash(devices, dev(1), operator)
    advance(86_400)
    s2 = slash(devices, dev(1), operator)
    advance(60)
    tree = tree_of(
        [
            leaf(dev(1), 25 * IO, slash_id=s2),
            slash_leaf(dev(1), s1, 15 * IO),
            slash_leaf(dev(1), s2, 20 * IO, owner_prev=s1),
            leaf(dev(2), IO),
        ]
    )
    publish_and_activate(funded, operator, tree)
    return tree, s1, s2


@pytest.mark.parametrize("resolve_order", ["first-then-second", "second-then-first"])
def test_settle_slash__overlapping_slashes__holds_follow_own_slash(
    funded, devices, operator, alice, attacker, token, resolve_order
):
    """holds_follow_own_slash (the audit's case (a)): slash 1 finalized, slash 2 overturned. Each
    slash holds its own part (5 and 5) and follows its own outcome, whoever calls and in whichever
    order: 5 forfeited, 10 paid (5 released + 5 earned after), never 15 paid and nothing forfeited."""
    tree, s1, s2 = _two_slashes(funded, devices, operator, alice)
    with ape.reverts("RewardsDistributor: earlier slash not settled"):  # slashes apply in order
        funded.settle_slash(*settle_args(tree, dev(1), s2), sender=attacker)
    funded.settle_slash(*settle_args(tree, dev(1), s1), sender=attacker)  # a stranger, while pending
    funded.settle_slash(*settle_args(tree, dev(1), s2), sender=attacker)
    assert funded.held_of(dev(1), ZERO, s1) == (5 * IO, PENDING)
    assert funded.held_of(dev(1), ZERO, s2) == (5 * IO, PENDING)
    a0 = token.balanceOf(alice)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    devices.set_slash_outcome(s1, FINALIZED, sender=operator)
    devices.set_slash_outcome(s2, OVERTURNED, sender=operator)
    order = [s1, s2] if resolve_order == "first-then-second" else [s2, s1]
    for sid in order:
        funded.settle_slash(*settle_args(tree, dev(1), sid), sender=attacker)
    assert token.balanceOf(alice) - a0 == 10 * IO
    assert (funded.total_paid(), funded.total_forfeited(), funded.total_held()) == (20 * IO, 5 * IO, 0)
    assert settled_sum(funded, [(dev(1), ZERO)])


def test_settle_slash__second_slash_pending_first_overturned__only_first_released(
    funded, devices, operator, alice, token
):
    """The owner's own calls cannot turn one slash's forfeit into a release (the audit's case (c)):
    slash 1 overturned releases exactly its 5; slash 2 finalized forfeits exactly its 5."""
    tree, s1, s2 = _two_slashes(funded, devices, operator, alice)
    devices.set_slash_outcome(s1, OVERTURNED, sender=operator)
    a0 = token.balanceOf(alice)
    r1 = funded.settle_slash(*settle_args(tree, dev(1), s1), sender=alice)
    assert moves(r1) == [("RewardsHeld", ZERO, s1, 5 * IO), ("RewardsReleased", ZERO, s1, 5 * IO)]
    r2 = funded.settle_slash(*settle_args(tree, dev(1), s2), sender=alice)
    assert moves(r2) == [("RewardsHeld", ZERO, s2, 5 * IO)]
    devices.set_slash_outcome(s2, FINALIZED, sender=operator)
    r3 = funded.settle_slash(*settle_args(tree, dev(1), s2), sender=alice)
    assert moves(r3) == [("RewardsForfeited", ZERO, s2, 5 * IO)]
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    assert token.balanceOf(alice) - a0 == 10 * IO and funded.total_forfeited() == 5 * IO


def test_settle_slash__co_staker_hold_untouched_by_slash_that_spared_it(funded, devices, operator, bob, carol, token):
    """The audit's case (b): slash 1 holds 100 IO of carol's rewards; carol leaves; slash 2 hits
    only the owner; a stranger settles both while slash 1 is pending; slash 1 overturned, slash 2
    finalized: carol gets 160 (100 released + 60), bob 250 (200 released + 50) and 100 forfeited."""
    s1 = slash(devices, dev(2), operator)  # hits bob (200 unclaimed) and carol (100 unclaimed)
    advance(86_400)
    register(devices, dev(2), bob)  # carol's co-stake is gone
    s2 = slash(devices, dev(2), operator)  # hits bob only
    advance(60)
    tree = tree_of(
        [
            leaf(dev(2), 350 * IO, carol, 160 * IO, slash_id=s2, co_slash_id=s1),
            slash_leaf(dev(2), s1, 200 * IO, co_staker=carol, co_at=100 * IO),
            slash_leaf(dev(2), s2, 300 * IO, owner_prev=s1),
            leaf(dev(1), IO),
        ]
    )
    fund_total = 511 * IO
    publish_and_activate(funded, operator, tree, total=fund_total)
    funded.settle_slash(*settle_args(tree, dev(2), s1), sender=operator)
    funded.settle_slash(*settle_args(tree, dev(2), s2), sender=operator)
    assert funded.held_of(dev(2), carol, s1) == (100 * IO, PENDING)
    assert funded.held_of(dev(2), carol, s2) == (0, 0)
    devices.set_slash_outcome(s1, OVERTURNED, sender=operator)
    devices.set_slash_outcome(s2, FINALIZED, sender=operator)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    funded.settle_slash(*settle_args(tree, dev(2), s2), sender=operator)
    funded.settle_slash(*settle_args(tree, dev(2), s1), sender=operator)
    funded.claim(*claim_args(tree, dev(2), carol), sender=operator)
    assert token.balanceOf(carol) - c0 == 160 * IO and token.balanceOf(bob) - b0 == 250 * IO
    assert (funded.total_forfeited(), funded.total_held()) == (100 * IO, 0)
    assert settled_sum(funded, [(dev(2), ZERO), (dev(2), carol)])


# ---------------------------------------------------------------- co-stakers
def test_claim__co_staker_left_before_claim__paid_for_its_active_hours(funded, devices, operator, bob, carol, token):
    """carol co-staked on bob's device while it earned; bob unstaked (pushing her out) before
    anyone claimed. Her share was committed per epoch in the leaf: she is paid it."""
    lf = leaf(dev(2), 30 * IO, carol, 10 * IO)
    t1 = tree_of([leaf(dev(1), IO), lf])
    publish_and_activate(funded, operator, t1)
    register(devices, dev(2), bob)  # NodeStaking now reports no co-staker
    t2 = tree_of([leaf(dev(1), 2 * IO), lf])  # the device earns nothing more
    publish_and_activate(funded, operator, t2)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    funded.claim(*claim_args(t2, lf), sender=bob)
    assert token.balanceOf(carol) - c0 == 10 * IO and token.balanceOf(bob) - b0 == 30 * IO


def test_settle_slash__hits_co_staker__both_held_both_released(funded, devices, operator, bob, carol, token):
    t1 = tree_of([leaf(dev(1), IO), leaf(dev(2), 25 * IO, carol, 10 * IO)])
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(2)), sender=bob)
    sid = slash(devices, dev(2), operator)
    advance(60)
    lf = leaf(dev(2), 40 * IO, carol, 20 * IO, slash_id=sid, co_slash_id=sid)
    t2 = tree_of([leaf(dev(1), IO), lf, slash_leaf(dev(2), sid, 30 * IO, co_staker=carol, co_at=15 * IO)])
    publish_and_activate(funded, operator, t2)
    with ape.reverts("RewardsDistributor: slash not settled"):
        funded.claim(*claim_args(t2, lf), sender=bob)
    receipt = funded.settle_slash(*settle_args(t2, dev(2), sid), sender=bob)
    assert [(e.party, e.amount) for e in events(receipt, "RewardsHeld")] == [(ZERO, 5 * IO), (carol, 5 * IO)]
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    funded.claim(*claim_args(t2, lf), sender=bob)
    assert (token.balanceOf(bob) - b0, token.balanceOf(carol) - c0) == (10 * IO, 5 * IO)
    assert funded.held_of(dev(2), ZERO, sid) == (5 * IO, PENDING)
    assert funded.held_of(dev(2), carol, sid) == (5 * IO, PENDING)
    assert settled_sum(funded, [(dev(2), ZERO), (dev(2), carol)])
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    c0 = token.balanceOf(carol)
    r = funded.settle_slash(*settle_args(t2, dev(2), sid), sender=operator)
    assert token.balanceOf(carol) - c0 == 5 * IO
    assert [e.paid_to for e in events(r, "RewardsReleased")] == [bob, carol]


def test_settle_slash__hits_co_staker__finalized__both_holds_forfeited_and_counted(
    funded, devices, operator, bob, carol, token
):
    """A finalized slash that hit the co-staker forfeits both parties' holds (3 IO of the owner's,
    2 of the co-staker's): total_forfeited grows by their sum, nothing stays held, no token
    moves, and the forfeit counts toward the next root's funding."""
    t1 = tree_of([leaf(dev(1), IO), leaf(dev(2), 25 * IO, carol, 10 * IO)])
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(2)), sender=bob)
    sid = slash(devices, dev(2), operator)
    advance(60)
    lf = leaf(dev(2), 28 * IO, carol, 12 * IO, slash_id=sid, co_slash_id=sid)
    t2 = tree_of([leaf(dev(1), IO), lf, slash_leaf(dev(2), sid, 28 * IO, co_staker=carol, co_at=12 * IO)])
    publish_and_activate(funded, operator, t2)
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    limit, balances = funded.funding_limit(), [token.balanceOf(a) for a in (funded, bob, carol)]
    receipt = funded.settle_slash(*settle_args(t2, dev(2), sid), sender=operator)
    assert [(e.party, e.amount) for e in events(receipt, "RewardsForfeited")] == [(ZERO, 3 * IO), (carol, 2 * IO)]
    assert (funded.total_forfeited(), funded.total_held()) == (5 * IO, 0)
    assert [token.balanceOf(a) for a in (funded, bob, carol)] == balances
    assert funded.funding_limit() == limit + 5 * IO
    assert settled_sum(funded, [(dev(2), ZERO), (dev(2), carol)])


def test_settle_slash__one_wei_held_each__owner_and_co_staker_released_when_overturned(
    funded, devices, operator, bob, carol, token
):
    """The smallest holds, one wei of the owner's and one of the co-staker's unclaimed at a slash
    that hit both, are released to each like any other."""
    t1 = tree_of([leaf(dev(1), IO), leaf(dev(2), 25 * IO, carol, 10 * IO)])
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(2)), sender=bob)
    sid = slash(devices, dev(2), operator)
    advance(60)
    lf = leaf(dev(2), 25 * IO + 1, carol, 10 * IO + 1, slash_id=sid, co_slash_id=sid)
    t2 = tree_of([leaf(dev(1), IO), lf, slash_leaf(dev(2), sid, 25 * IO + 1, co_staker=carol, co_at=10 * IO + 1)])
    publish_and_activate(funded, operator, t2)
    funded.settle_slash(*settle_args(t2, dev(2), sid), sender=bob)
    assert funded.held_of(dev(2), ZERO, sid) == (1, PENDING) and funded.held_of(dev(2), carol, sid) == (1, PENDING)
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    funded.settle_slash(*settle_args(t2, dev(2), sid), sender=operator)
    assert (token.balanceOf(bob) - b0, token.balanceOf(carol) - c0) == (1, 1)
    assert funded.held_of(dev(2), ZERO, sid) == (0, 0) and funded.held_of(dev(2), carol, sid) == (0, 0)


def test_claim__slash_spares_co_staker__co_paid_in_full(funded, devices, operator, bob, carol, token):
    """A slash that did not hit the co-staker's principal (no co-staker in its leaf) takes none of
    its rewards; the owner's part is held."""
    sid = slash(devices, dev(2), operator)
    advance(60)
    lf = leaf(dev(2), 40 * IO, carol, 20 * IO, slash_id=sid)
    tree = tree_of([leaf(dev(1), IO), lf, slash_leaf(dev(2), sid, 30 * IO)])
    publish_and_activate(funded, operator, tree)
    funded.settle_slash(*settle_args(tree, dev(2), sid), sender=bob)
    c0 = token.balanceOf(carol)
    funded.claim(*claim_args(tree, lf), sender=bob)
    assert token.balanceOf(carol) - c0 == 20 * IO and funded.held_of(dev(2), carol, sid) == (0, 0)
    assert funded.held_of(dev(2), ZERO, sid) == (30 * IO, PENDING)


# ---------------------------------------------------------------- views
def test_preview_settle_slash__overturned__shows_release(funded, slashed, devices, operator, alice):
    tree, sid = slashed
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=operator)
    devices.set_slash_outcome(sid, OVERTURNED, sender=operator)
    p = funded.preview_settle_slash(*settle_args(tree, dev(1), sid))
    assert (p.owner_wallet, p.owner_held, p.owner_released, p.owner_forfeited, p.co_staker, p.outcome, p.reason) == (
        alice,
        0,
        5 * IO,
        0,
        ZERO,
        OVERTURNED,
        "",
    )
    assert funded.claimable(*claim_args(tree, dev(1))) == 10 * IO  # a hold is never shown as claimable


def test_held_of__pending_then_finalized__amount_and_outcome(funded, slashed, devices, operator):
    tree, sid = slashed
    assert funded.held_of(dev(1), ZERO, sid) == (0, 0)  # not applied yet: preview_settle_slash shows it
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=operator)
    assert funded.held_of(dev(1), ZERO, sid) == (5 * IO, PENDING)
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    assert funded.held_of(dev(1), ZERO, sid) == (5 * IO, FINALIZED)
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=operator)
    assert funded.held_of(dev(1), ZERO, sid) == (0, 0)


def test_publish_root__forfeits_count_toward_funding__root_funded(funded, slashed, devices, operator, bob):
    """root_funded: forfeited IO can be given out again, so the bound is received + forfeited."""
    tree, sid = slashed
    devices.set_slash_outcome(sid, FINALIZED, sender=operator)
    funded.settle_slash(*settle_args(tree, dev(1), sid), sender=operator)
    received = funded.total_received()
    assert funded.funding_limit() == received + 5 * IO
    # dev(2) gets the forfeited 5 on top: the tree's total counts them twice.
    t3 = tree_of(
        [
            leaf(dev(1), 45 * IO, slash_id=sid),
            slash_leaf(dev(1), sid, 35 * IO),
            leaf(dev(2), received - 45 * IO + 5 * IO),
        ]
    )
    publish_and_activate(funded, operator, t3)
    funded.claim(*claim_args(t3, dev(2)), sender=bob)
    funded.claim(*claim_args(t3, dev(1)), sender=bob)
    assert funded.total_paid() == received and funded.total_received() == received

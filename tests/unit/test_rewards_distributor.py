"""RewardsDistributor: roots (publish, activate, cancel), ordinary claims with and without a
co-staker, the views, every revert reason of those functions. Slashes: test_rewards_slash.py."""

from __future__ import annotations

import ape
import pytest
from ape import chain

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from tests.rewards_helpers import (
    DELAY,
    advance,
    claim_args,
    dev,
    events,
    leaf,
    publish,
    publish_and_activate,
    register,
    settled,
    total_of,
    tree_of,
)


@pytest.fixture
def funded(distributor, fund):
    fund(distributor, 1_000 * IO)
    return distributor


@pytest.fixture
def devices(mock_staking, alice, bob, carol):
    """dev(1) owned by alice (no co-staker), dev(2) by bob (carol co-stakes on it in the leaves)."""
    register(mock_staking, dev(1), alice)
    register(mock_staking, dev(2), bob, co_staker=carol, share_bps=2_500)
    return mock_staking


# ---------------------------------------------------------------- constructor
def test_init__valid__sets_immutables_and_roles(distributor, token, mock_staking, owner, operator):
    assert distributor.token() == token.address
    assert distributor.staking() == mock_staking.address
    assert distributor.ACTIVATION_DELAY_SECONDS() == DELAY
    assert distributor.hasRole(distributor.ORACLE_ROLE(), operator)
    assert distributor.hasRole(distributor.CANCELLER_ROLE(), owner)
    assert distributor.hasRole(distributor.DEFAULT_ADMIN_ROLE(), owner)
    assert not distributor.hasRole(distributor.ORACLE_ROLE(), owner)
    assert not distributor.hasRole(distributor.CANCELLER_ROLE(), operator)
    assert distributor.active().root == b"\x00" * 32 and distributor.pending().root == b"\x00" * 32
    assert (distributor.total_paid(), distributor.total_forfeited(), distributor.total_held()) == (0, 0, 0)


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("token", "RewardsDistributor: token is the zero address"),
        ("staking", "RewardsDistributor: staking is the zero address"),
        ("delay", "RewardsDistributor: delay too long"),
        ("canceller", "RewardsDistributor: canceller is the zero address"),
        ("oracle", "RewardsDistributor: oracle is the zero address"),
    ],
)
def test_init__bad_argument__reverts(project, owner, operator, token, mock_staking, bad, reason, scratch_deployer):
    args = {
        "token": token.address,
        "staking": mock_staking.address,
        "delay": DELAY,
        "canceller": owner.address,
        "oracle": operator.address,
    }
    args[bad] = 30 * 86_400 + 1 if bad == "delay" else ZERO
    with ape.reverts(reason):
        scratch_deployer.deploy(project.RewardsDistributor, *args.values())


# ---------------------------------------------------------------- publish_root
def test_publish_root__oracle_funded__pending_and_event(funded, operator):
    tree = tree_of({dev(1): 10 * IO})
    t = chain.blocks.head.timestamp
    receipt = funded.publish_root(tree.root, 10 * IO, 7, t, sender=operator)
    p = funded.pending()
    assert (p.root, p.total, p.through_epoch, p.through_time, p.root_id) == (tree.root, 10 * IO, 7, t, 1)
    assert p.published_at == receipt.timestamp
    assert funded.root_count() == 1 and funded.active().root == b"\x00" * 32
    ev = receipt.events[0]
    assert ev.event_name == "RootPublished"
    assert (ev.root_id, ev.root, ev.total, ev.through_epoch, ev.through_time) == (1, tree.root, 10 * IO, 7, t)
    assert ev.activates_at == receipt.timestamp + DELAY


def test_publish_root__not_oracle__reverts(funded, owner, attacker):
    tree = tree_of({dev(1): IO})
    for who in (owner, attacker):
        with ape.reverts("access_control: account is missing role"):
            publish(funded, who, tree)


def test_publish_root__empty_root__reverts(funded, operator):
    with ape.reverts("RewardsDistributor: empty root"):
        funded.publish_root(b"\x00" * 32, IO, 1, chain.blocks.head.timestamp, sender=operator)


def test_publish_root__pending_not_due__reverts(funded, operator):
    publish(funded, operator, tree_of({dev(1): IO}))
    advance(DELAY - 10)
    with ape.reverts("RewardsDistributor: root pending"):
        publish(funded, operator, tree_of({dev(1): 2 * IO}))


def test_publish_root__pending_due__activates_it_first(funded, operator):
    first = tree_of({dev(1): IO})
    publish(funded, operator, first)
    advance(DELAY)
    second = tree_of({dev(1): 2 * IO})
    receipt = publish(funded, operator, second)
    assert funded.active().root == first.root and funded.active().root_id == 1
    assert funded.pending().root == second.root and funded.pending().root_id == 2
    assert [e.event_name for e in receipt.events] == ["RootActivated", "RootPublished"]


def test_publish_root__through_time_in_future__reverts(funded, operator):
    with ape.reverts("RewardsDistributor: through time in the future"):
        publish(funded, operator, tree_of({dev(1): IO}), through_time=chain.pending_timestamp + 100)


def test_publish_root__through_time_not_after_active__reverts(funded, operator):
    publish_and_activate(funded, operator, tree_of({dev(1): IO}))
    t = funded.active().through_time
    with ape.reverts("RewardsDistributor: through time not after active root"):
        publish(funded, operator, tree_of({dev(1): 2 * IO}), through_time=t)


def test_publish_root__total_below_active__reverts(funded, operator):
    publish_and_activate(funded, operator, tree_of({dev(1): 5 * IO}))
    with ape.reverts("RewardsDistributor: total below active root"):
        publish(funded, operator, tree_of({dev(1): 4 * IO}))


def test_publish_root__total_above_funding__reverts_root_funded(funded, operator):
    """root_funded: a root whose total exceeds what the distributor received is rejected."""
    assert funded.funding_limit() == 1_000 * IO
    with ape.reverts("RewardsDistributor: total exceeds funding"):
        publish(funded, operator, tree_of({dev(1): 1_000 * IO + 1}))
    publish(funded, operator, tree_of({dev(1): 1_000 * IO}))  # exactly the funding is fine


# ---------------------------------------------------------------- activate_root
def test_activate_root__after_delay__active_and_event(funded, operator, attacker):
    tree = tree_of({dev(1): IO})
    publish(funded, operator, tree, epoch=24)
    through = funded.pending().through_time
    advance(DELAY)
    receipt = funded.activate_root(sender=attacker)  # anyone
    a = funded.active()
    assert a.root == tree.root and a.total == IO and a.root_id == 1 and a.through_time == through
    assert funded.pending().root == b"\x00" * 32
    ev = receipt.events[0]
    assert ev.event_name == "RootActivated" and (ev.root_id, ev.root, ev.total) == (1, tree.root, IO)


def test_root_activated__event__carries_through_time(funded, operator):
    """Issue 9, item 4: RootActivated carries the root's through_epoch and through_time, so a
    front end knows which hours the active root pays without another call."""
    tree = tree_of({dev(1): IO})
    t = chain.blocks.head.timestamp - 600
    publish(funded, operator, tree, epoch=31, through_time=t)
    advance(DELAY)
    ev = events(funded.activate_root(sender=operator), "RootActivated")[0]
    assert (ev.through_epoch, ev.through_time) == (31, t)


def test_activate_root__before_delay__reverts_delay(funded, operator):
    """delay: a root is not active before ACTIVATION_DELAY_SECONDS have passed."""
    publish(funded, operator, tree_of({dev(1): IO}))
    advance(DELAY - 5)
    with ape.reverts("RewardsDistributor: activation delay not passed"):
        funded.activate_root(sender=operator)


def test_activate_root__nothing_pending__reverts(funded, operator):
    with ape.reverts("RewardsDistributor: no pending root"):
        funded.activate_root(sender=operator)


# ---------------------------------------------------------------- cancel_root
def test_cancel_root__canceller__pending_cleared_and_event_delay(funded, operator, owner):
    """delay: a cancelled root never becomes active."""
    tree = tree_of({dev(1): IO})
    publish(funded, operator, tree)
    receipt = funded.cancel_root(sender=owner)
    assert funded.pending().root == b"\x00" * 32
    ev = receipt.events[0]
    assert ev.event_name == "RootCancelled" and (ev.root_id, ev.root, ev.cancelled_by) == (1, tree.root, owner)
    advance(DELAY)
    with ape.reverts("RewardsDistributor: no pending root"):
        funded.activate_root(sender=operator)


def test_cancel_root__not_canceller__reverts(funded, operator):
    publish(funded, operator, tree_of({dev(1): IO}))
    with ape.reverts("access_control: account is missing role"):
        funded.cancel_root(sender=operator)


def test_cancel_root__nothing_pending__reverts(funded, owner):
    with ape.reverts("RewardsDistributor: no pending root"):
        funded.cancel_root(sender=owner)


# ---------------------------------------------------------------- claim (no slash)
def test_claim__no_co_staker__pays_owner_wallet(funded, devices, operator, attacker, alice, token):
    tree = tree_of({dev(1): 30 * IO, dev(2): 50 * IO})
    publish_and_activate(funded, operator, tree)
    before = token.balanceOf(alice)
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=attacker)  # anyone may submit
    assert token.balanceOf(alice) - before == 30 * IO
    assert funded.settled_of(dev(1), ZERO) == (30 * IO, 0) and funded.total_paid() == 30 * IO
    assert token.balanceOf(funded) == 970 * IO and funded.total_received() == 1_000 * IO
    ev = events(receipt, "RewardsClaimed")[0]
    assert (ev.device, ev.owner_wallet, ev.co_staker) == (dev(1), alice, ZERO)
    assert (ev.owner_amount, ev.co_staker_amount, ev.owner_cumulative, ev.co_cumulative) == (30 * IO, 0, 30 * IO, 0)
    assert ev.slash_id == 0
    assert [e.event_name for e in receipt.events] == ["Transfer", "RewardsClaimed"]


def test_claim__co_staker__pays_each_party_its_cumulative(funded, devices, operator, bob, carol, token):
    lf = leaf(dev(2), 37 * IO + 3, carol, 13 * IO)
    tree = tree_of([leaf(dev(1), 30 * IO), lf])
    publish_and_activate(funded, operator, tree)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    receipt = funded.claim(*claim_args(tree, lf), sender=bob)
    assert token.balanceOf(bob) - b0 == 37 * IO + 3 and token.balanceOf(carol) - c0 == 13 * IO
    assert settled(funded, dev(2)) == 37 * IO + 3 and settled(funded, dev(2), carol) == 13 * IO
    assert funded.total_paid() == 50 * IO + 3
    ev = events(receipt, "RewardsClaimed")[0]
    assert (ev.owner_wallet, ev.co_staker, ev.owner_amount, ev.co_staker_amount) == (bob, carol, 37 * IO + 3, 13 * IO)
    assert (ev.owner_cumulative, ev.co_cumulative) == (37 * IO + 3, 13 * IO)


def test_claim__one_wei_each__owner_wallet_and_co_staker_each_get_their_wei(
    funded, devices, operator, bob, carol, token
):
    """The smallest claim, one wei for the owner and one for the co-staker, is transferred like
    any other (no amount is too small to pay)."""
    lf = leaf(dev(2), 1, carol, 1)
    tree = tree_of([leaf(dev(1), IO), lf])
    publish_and_activate(funded, operator, tree)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    funded.claim(*claim_args(tree, lf), sender=bob)
    assert (token.balanceOf(bob) - b0, token.balanceOf(carol) - c0) == (1, 1)
    assert funded.total_paid() == 2 and token.balanceOf(funded) == 1_000 * IO - 2


def test_claim__two_co_stakers_over_time__owner_paid_once_each_co_its_own(
    funded, devices, operator, bob, carol, attacker, token
):
    """A device whose co-staker changed has one leaf per co-staker, each with the owner's
    cumulative: the owner is paid once, each co-staker its own cumulative."""
    first, second = leaf(dev(2), 60 * IO, carol, 10 * IO), leaf(dev(2), 60 * IO, attacker, 5 * IO)
    tree = tree_of([leaf(dev(1), IO), first, second])
    assert total_of(tree) == 76 * IO
    publish_and_activate(funded, operator, tree)
    b0, c0, a0 = token.balanceOf(bob), token.balanceOf(carol), token.balanceOf(attacker)
    funded.claim(*claim_args(tree, first), sender=bob)
    r = funded.claim(*claim_args(tree, second), sender=bob)
    assert token.balanceOf(bob) - b0 == 60 * IO
    assert (token.balanceOf(carol) - c0, token.balanceOf(attacker) - a0) == (10 * IO, 5 * IO)
    ev = events(r, "RewardsClaimed")[0]
    assert (ev.owner_amount, ev.co_staker, ev.co_staker_amount) == (0, attacker, 5 * IO)
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(tree, first), sender=bob)


def test_claim__later_root__pays_only_the_difference_settled_le_cumulative(funded, devices, operator, alice, token):
    """settled_le_cumulative: a party is paid its cumulative amount, never more."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    t2 = tree_of({dev(1): 45 * IO, dev(2): 20 * IO})
    publish_and_activate(funded, operator, t2)
    before = token.balanceOf(alice)
    assert funded.claimable(*claim_args(t2, dev(1))) == 15 * IO
    funded.claim(*claim_args(t2, dev(1)), sender=alice)
    assert token.balanceOf(alice) - before == 15 * IO and settled(funded, dev(1)) == 45 * IO
    assert funded.claimable(*claim_args(t2, dev(1))) == 0


def test_claim__cumulative_below_settled__nothing_to_claim(funded, devices, operator, alice):
    """settled_le_cumulative: a (faulty) root giving a party less than it settled pays nothing and
    never lowers what it settled."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    t2 = tree_of({dev(1): 20 * IO, dev(2): 40 * IO})
    publish_and_activate(funded, operator, t2)
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(t2, dev(1)), sender=alice)
    assert settled(funded, dev(1)) == 30 * IO


def test_claim__wrong_proof__reverts(funded, devices, operator, alice, carol):
    lf = leaf(dev(2), 50 * IO, carol, 5 * IO)
    tree = tree_of([leaf(dev(1), 30 * IO), lf, leaf(dev(3), 1)])
    publish_and_activate(funded, operator, tree)
    args = list(claim_args(tree, dev(1)))
    for i, bad in [(1, 30 * IO + 1), (2, carol.address), (3, 1), (4, 1), (5, 1), (0, dev(2))]:
        wrong = list(args)
        wrong[i] = bad
        with ape.reverts("RewardsDistributor: invalid proof"):
            funded.claim(*wrong, sender=alice)  # any field changed
    with ape.reverts("RewardsDistributor: invalid proof"):
        funded.claim(*args[:-1], claim_args(tree, lf)[-1], sender=alice)  # someone else's proof


def test_claim__unregistered_device__reverts(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(99): 10 * IO})  # dev(99) is not in staking
    publish_and_activate(funded, operator, tree)
    with ape.reverts("RewardsDistributor: unknown device"):
        funded.claim(*claim_args(tree, dev(99)), sender=alice)


def test_claim__no_active_root__reverts(funded, devices, alice):
    tree = tree_of({dev(1): 30 * IO})
    with ape.reverts("RewardsDistributor: invalid proof"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_claim__twice_same_root__reverts_nothing_to_claim_settled_sum(funded, devices, operator, alice):
    """settled_sum: total_paid + total_forfeited + total_held == Σ settled."""
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    funded.claim(*claim_args(tree, dev(2)), sender=alice)
    total = settled(funded, dev(1)) + settled(funded, dev(2))
    assert funded.total_paid() + funded.total_forfeited() + funded.total_held() == total == 40 * IO
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_claim__slash_id_unknown_to_staking__reverts(funded, devices, operator, alice):
    """A leaf naming a slash NodeStaking does not know for the device (an oracle error)."""
    tree = tree_of([leaf(dev(1), 30 * IO, slash_id=4), leaf(dev(2), IO)])
    publish_and_activate(funded, operator, tree)
    with ape.reverts("RewardsDistributor: slash not in staking"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_claim__amount_above_192_bits__reverts(funded, devices, operator, alice):
    """An amount a packed word cannot hold (only a broken root can have it) is refused."""
    tree = tree_of([leaf(dev(1), 2**192), leaf(dev(2), IO)])
    publish_and_activate(funded, operator, tree, total=IO)
    with ape.reverts("RewardsDistributor: amount too large"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_claim__leaves_sum_above_total__token_reverts_paid_le_received(funded, devices, operator, alice, bob):
    """paid_le_received: even a root whose leaves sum above its declared total cannot pay out
    more than the distributor holds: the last claim fails in the token."""
    tree = tree_of({dev(1): 800 * IO, dev(2): 800 * IO})
    publish_and_activate(funded, operator, tree, total=1_000 * IO)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    with ape.reverts("erc20: transfer amount exceeds balance"):
        funded.claim(*claim_args(tree, dev(2)), sender=bob)
    assert funded.total_paid() == 800 * IO <= funded.total_received()


# ---------------------------------------------------------------- views
def test_total_received__after_claim__balance_plus_paid_le_received(funded, devices, operator, alice, fund):
    """paid_le_received: received = balance + paid, and it only grows."""
    assert funded.total_received() == 1_000 * IO
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    fund(funded, 5 * IO)
    assert funded.total_received() == 1_005 * IO and funded.funding_limit() == 1_005 * IO
    assert funded.total_paid() <= funded.total_received()


def test_claimable__bad_proof_or_settled__zero(funded, devices, operator, alice, carol):
    lf = leaf(dev(2), 7 * IO, carol, 3 * IO)
    tree = tree_of([leaf(dev(1), 30 * IO), lf])
    publish_and_activate(funded, operator, tree)
    args = claim_args(tree, dev(1))
    assert funded.claimable(*args) == 30 * IO
    assert funded.claimable(*claim_args(tree, lf)) == 10 * IO  # owner + co-staker
    assert funded.claimable(args[0], args[1] + 1, *args[2:]) == 0
    funded.claim(*args, sender=alice)
    assert funded.claimable(*args) == 0


@pytest.mark.parametrize("owner_io, co_io", [(7, 3), (3, 7)])  # the co-staker's share may be the larger
def test_preview_claim__ordinary_claim__matches_what_claim_does(funded, devices, operator, bob, carol, owner_io, co_io):
    lf = leaf(dev(2), owner_io * IO, carol, co_io * IO)
    tree = tree_of([leaf(dev(1), 30 * IO), lf])
    publish_and_activate(funded, operator, tree)
    p = funded.preview_claim(*claim_args(tree, lf))
    assert (p.owner_wallet, p.owner_amount, p.co_staker, p.co_amount) == (bob, owner_io * IO, carol, co_io * IO)
    assert p.reason == ""
    ev = events(funded.claim(*claim_args(tree, lf), sender=bob), "RewardsClaimed")[0]
    assert (ev.owner_amount, ev.co_staker_amount) == (p.owner_amount, p.co_amount)
    after = funded.preview_claim(*claim_args(tree, lf))
    assert after.reason == "RewardsDistributor: nothing to claim" and after.owner_amount == after.co_amount == 0


def test_preview_claim__would_revert__exact_reason_and_zero_amounts(funded, devices, operator, alice):
    tree = tree_of([leaf(dev(1), 30 * IO), leaf(dev(2), 2**192), leaf(dev(99), IO), leaf(dev(3), IO, slash_id=9)])
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
        p = funded.preview_claim(*a)
        assert p.reason == reason and p.owner_amount == p.co_amount == 0
        assert funded.claimable(*a) == 0
        with ape.reverts(reason):
            funded.claim(*a, sender=alice)


def test_preview_claim__balance_too_low__token_reason(funded, devices, operator, alice):
    """A view never shows an amount that would not be paid: with a broken root (leaves above the
    balance) the preview gives the token's revert reason and claimable 0."""
    tree = tree_of({dev(1): 1_200 * IO, dev(2): IO})
    publish_and_activate(funded, operator, tree, total=IO)
    p = funded.preview_claim(*claim_args(tree, dev(1)))
    assert p.reason == "erc20: transfer amount exceeds balance" and p.owner_amount == 0
    assert funded.claimable(*claim_args(tree, dev(1))) == 0
    with ape.reverts(p.reason):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_preview_claim__owner_and_co_staker_together_above_balance__token_reason(funded, devices, operator, bob, carol):
    """The balance must cover the owner's and the co-staker's amounts together (1,300 of 1,000 IO),
    though either alone fits."""
    tree = tree_of([leaf(dev(1), IO), leaf(dev(2), 700 * IO, carol, 600 * IO)])
    publish_and_activate(funded, operator, tree, total=IO)
    p = funded.preview_claim(*claim_args(tree, dev(2)))
    assert p.reason == "erc20: transfer amount exceeds balance" and p.owner_amount == p.co_amount == 0
    with ape.reverts(p.reason):
        funded.claim(*claim_args(tree, dev(2)), sender=bob)


def test_settled_of__fresh_party__zero(funded, alice):
    assert funded.settled_of(dev(1), ZERO) == (0, 0) and funded.settled_of(dev(1), alice) == (0, 0)


def test_held_of__never_slashed__zero(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    assert funded.held_of(dev(1), ZERO, 0) == (0, 0) and funded.held_of(dev(1), ZERO, 1) == (0, 0)

"""RewardsDistributor: every external function, every revert reason, the forfeit rule."""

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
    publish,
    publish_and_activate,
    register,
    tree_of,
)


@pytest.fixture
def funded(distributor, fund):
    fund(distributor, 1_000 * IO)
    return distributor


@pytest.fixture
def devices(mock_staking, alice, bob, carol):
    """dev(1) owned by alice (no co-staker), dev(2) by bob with carol co-staking at 25 %."""
    register(mock_staking, dev(1), alice)
    register(mock_staking, dev(2), bob, co_staker=carol, share_bps=2_500)
    return mock_staking


# ---------------------------------------------------------------- constructor
def test_init__valid__sets_immutables_and_roles(distributor, token, mock_staking, owner, operator):
    assert distributor.token() == token.address
    assert distributor.staking() == mock_staking.address
    assert distributor.ACTIVATION_DELAY_SECONDS() == DELAY
    assert distributor.hasRole(distributor.ORACLE_ROLE(), operator)
    assert distributor.hasRole(distributor.GOVERNANCE_ROLE(), owner)
    assert distributor.hasRole(distributor.DEFAULT_ADMIN_ROLE(), owner)
    assert not distributor.hasRole(distributor.ORACLE_ROLE(), owner)
    assert distributor.active().root == b"\x00" * 32 and distributor.pending().root == b"\x00" * 32


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("token", "RewardsDistributor: token is the zero address"),
        ("staking", "RewardsDistributor: staking is the zero address"),
        ("delay", "RewardsDistributor: delay too long"),
        ("governance", "RewardsDistributor: governance is the zero address"),
        ("oracle", "RewardsDistributor: oracle is the zero address"),
    ],
)
def test_init__bad_argument__reverts(project, owner, operator, token, mock_staking, bad, reason, scratch_deployer):
    args = {
        "token": token.address,
        "staking": mock_staking.address,
        "delay": DELAY,
        "governance": owner.address,
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
    publish(funded, operator, tree)
    advance(DELAY)
    receipt = funded.activate_root(sender=attacker)  # anyone
    a = funded.active()
    assert a.root == tree.root and a.total == IO and a.root_id == 1
    assert funded.pending().root == b"\x00" * 32
    ev = receipt.events[0]
    assert ev.event_name == "RootActivated" and (ev.root_id, ev.root, ev.total) == (1, tree.root, IO)


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
def test_cancel_root__governance__pending_cleared_and_event(funded, operator, owner):
    tree = tree_of({dev(1): IO})
    publish(funded, operator, tree)
    receipt = funded.cancel_root(sender=owner)
    assert funded.pending().root == b"\x00" * 32
    ev = receipt.events[0]
    assert ev.event_name == "RootCancelled" and (ev.root_id, ev.root, ev.cancelled_by) == (
        1,
        tree.root,
        owner,
    )
    advance(DELAY)
    with ape.reverts("RewardsDistributor: no pending root"):
        funded.activate_root(sender=operator)


def test_cancel_root__not_governance__reverts(funded, operator):
    publish(funded, operator, tree_of({dev(1): IO}))
    with ape.reverts("access_control: account is missing role"):
        funded.cancel_root(sender=operator)


def test_cancel_root__nothing_pending__reverts(funded, owner):
    with ape.reverts("RewardsDistributor: no pending root"):
        funded.cancel_root(sender=owner)


# ---------------------------------------------------------------- claim
def test_claim__no_co_staker__pays_owner_wallet(funded, devices, operator, attacker, alice, token):
    tree = tree_of({dev(1): 30 * IO, dev(2): 50 * IO})
    publish_and_activate(funded, operator, tree)
    before = token.balanceOf(alice)
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=attacker)  # anyone may submit
    assert token.balanceOf(alice) - before == 30 * IO
    assert funded.claimed(dev(1)) == 30 * IO and funded.total_paid() == 30 * IO
    assert token.balanceOf(funded) == 970 * IO and funded.total_received() == 1_000 * IO
    ev = [e for e in receipt.events if e.event_name == "RewardsClaimed"][0]
    assert (ev.device, ev.owner_wallet, ev.co_staker) == (dev(1), alice, ZERO)
    assert (ev.owner_amount, ev.co_staker_amount, ev.cumulative) == (30 * IO, 0, 30 * IO)


def test_claim__co_staker__split_by_share(funded, devices, operator, bob, carol, token):
    tree = tree_of({dev(1): 30 * IO, dev(2): 50 * IO + 3})
    publish_and_activate(funded, operator, tree)
    b0, c0 = token.balanceOf(bob), token.balanceOf(carol)
    receipt = funded.claim(*claim_args(tree, dev(2)), sender=bob)
    co = (50 * IO + 3) * 2_500 // 10_000  # floored
    assert token.balanceOf(carol) - c0 == co
    assert token.balanceOf(bob) - b0 == 50 * IO + 3 - co
    ev = [e for e in receipt.events if e.event_name == "RewardsClaimed"][0]
    assert (ev.owner_wallet, ev.co_staker, ev.owner_amount, ev.co_staker_amount) == (
        bob,
        carol,
        50 * IO + 3 - co,
        co,
    )


def test_claim__later_root__pays_only_the_difference_claimed_le_cumulative(
    funded, devices, operator, alice, token
):
    """claimed_le_cumulative: a device is paid its cumulative amount, never more."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    t2 = tree_of({dev(1): 45 * IO, dev(2): 20 * IO})
    publish_and_activate(funded, operator, t2)
    before = token.balanceOf(alice)
    assert funded.claimable(*claim_args(t2, dev(1))) == 15 * IO
    funded.claim(*claim_args(t2, dev(1)), sender=alice)
    assert token.balanceOf(alice) - before == 15 * IO and funded.claimed(dev(1)) == 45 * IO
    assert funded.claimable(*claim_args(t2, dev(1))) == 0


def test_claim__wrong_proof__reverts(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(2): 50 * IO, dev(3): 1})
    publish_and_activate(funded, operator, tree)
    d, amount, proof = claim_args(tree, dev(1))
    with ape.reverts("RewardsDistributor: invalid proof"):
        funded.claim(d, amount + 1, proof, sender=alice)  # inflated amount
    with ape.reverts("RewardsDistributor: invalid proof"):
        funded.claim(d, amount, claim_args(tree, dev(2))[2], sender=alice)  # someone else's proof
    with ape.reverts("RewardsDistributor: invalid proof"):
        funded.claim(dev(2), amount, proof, sender=alice)  # another device


def test_claim__cumulative_below_claimed__reverts(funded, devices, operator, alice):
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    funded.claim(*claim_args(t1, dev(1)), sender=alice)
    # A (faulty) later root gives dev(1) less than it was already paid.
    t2 = tree_of({dev(1): 20 * IO, dev(2): 40 * IO})
    publish_and_activate(funded, operator, t2)
    with ape.reverts("RewardsDistributor: cumulative below claimed"):
        funded.claim(*claim_args(t2, dev(1)), sender=alice)


def test_claim__twice_same_root__reverts(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    funded.claim(*claim_args(tree, dev(2)), sender=alice)
    settled = funded.claimed(dev(1)) + funded.claimed(dev(2))
    assert funded.total_paid() + funded.total_forfeited() == settled == 40 * IO  # settled_sum
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_claim__unregistered_device__reverts(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(99): 10 * IO})  # dev(99) is not in staking
    publish_and_activate(funded, operator, tree)
    with ape.reverts("RewardsDistributor: unknown device"):
        funded.claim(*claim_args(tree, dev(99)), sender=alice)


def test_claim__no_active_root__reverts(funded, devices, alice):
    tree = tree_of({dev(1): 30 * IO})
    with ape.reverts("RewardsDistributor: invalid proof"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


# ---------------------------------------------------------------- forfeit on slash
def test_claim__slashed_after_root__forfeit_stays_in_pool(funded, devices, operator, alice, token):
    """forfeit_stays_in_pool: a slashed device's unclaimed rewards return to the pool, no token moves."""
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    devices.mark_slashed(dev(1), sender=operator)
    balance, alice0 = token.balanceOf(funded), token.balanceOf(alice)
    receipt = funded.claim(*claim_args(tree, dev(1)), sender=alice)
    assert token.balanceOf(funded) == balance and token.balanceOf(alice) == alice0
    assert (
        funded.claimed(dev(1)) == 30 * IO and funded.total_forfeited() == 30 * IO and funded.total_paid() == 0
    )
    slashed_at = devices.last_slashed_at(dev(1))
    ev = [e for e in receipt.events if e.event_name == "RewardsForfeited"][0]
    assert (ev.device, ev.amount, ev.cumulative, ev.slashed_at) == (dev(1), 30 * IO, 30 * IO, slashed_at)
    # The active root was computed before the slash, so the slash is not settled yet: rewards
    # accrued between the root's through time and the slash are forfeited under the next root.
    assert funded.active().through_time < slashed_at
    assert not ev.slash_settled and funded.slash_cleared(dev(1)) == 0


def test_claim__slash_inside_next_root__forfeited_then_settled(funded, devices, operator, alice, token):
    """Slash after root 1's through time: root 1's unclaimed rewards are forfeited (slash not yet
    settled); root 2 (through time after the slash) forfeits the rest and settles; root 3 pays."""
    t1 = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, t1)
    devices.mark_slashed(dev(1), sender=operator)
    slashed_at = devices.last_slashed_at(dev(1))
    r = funded.claim(*claim_args(t1, dev(1)), sender=alice)
    assert [e for e in r.events if e.event_name == "RewardsForfeited"][0].slash_settled == 0
    assert funded.slash_cleared(dev(1)) == 0
    advance(60)
    t2 = tree_of({dev(1): 40 * IO, dev(2): 20 * IO})  # 10 more accrued before the slash
    publish_and_activate(funded, operator, t2)
    assert funded.active().through_time >= slashed_at
    r = funded.claim(*claim_args(t2, dev(1)), sender=alice)
    ev = [e for e in r.events if e.event_name == "RewardsForfeited"][0]
    assert ev.amount == 10 * IO and ev.slash_settled
    assert funded.slash_cleared(dev(1)) == slashed_at and funded.total_forfeited() == 40 * IO
    # After the slash is settled, new rewards are paid normally.
    t3 = tree_of({dev(1): 47 * IO, dev(2): 20 * IO})
    publish_and_activate(funded, operator, t3)
    before = token.balanceOf(alice)
    funded.claim(*claim_args(t3, dev(1)), sender=alice)
    assert token.balanceOf(alice) - before == 7 * IO and funded.total_paid() == 7 * IO


def test_claim__slashed_device_claims_again__reverts_settled_sum(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    devices.mark_slashed(dev(1), sender=operator)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    with ape.reverts("RewardsDistributor: nothing to claim"):
        funded.claim(*claim_args(tree, dev(1)), sender=alice)


def test_publish_root__forfeits_count_toward_funding__root_funded(funded, devices, operator, alice):
    """root_funded: forfeited IO can be given out again, so the bound is received + forfeited."""
    tree = tree_of({dev(1): 600 * IO, dev(2): 400 * IO})
    publish_and_activate(funded, operator, tree)
    devices.mark_slashed(dev(1), sender=operator)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    assert funded.funding_limit() == 1_600 * IO and funded.total_received() == 1_000 * IO
    # dev(2) gets the 600 forfeited on top of its 400: tree total 1,600 (600 counted twice).
    t2 = tree_of({dev(1): 600 * IO, dev(2): 1_000 * IO})
    publish_and_activate(funded, operator, t2)
    funded.claim(*claim_args(t2, dev(2)), sender=alice)
    assert funded.total_paid() == 1_000 * IO and funded.total_received() == 1_000 * IO


# ---------------------------------------------------------------- views
def test_total_received__after_claim__balance_plus_paid_le_received(
    funded, devices, operator, alice, fund
):
    assert funded.total_received() == 1_000 * IO
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    funded.claim(*claim_args(tree, dev(1)), sender=alice)
    fund(funded, 5 * IO)
    assert funded.total_received() == 1_005 * IO and funded.funding_limit() == 1_005 * IO


def test_claimable__bad_proof_or_settled__zero(funded, devices, operator, alice):
    tree = tree_of({dev(1): 30 * IO, dev(2): 10 * IO})
    publish_and_activate(funded, operator, tree)
    d, a, p = claim_args(tree, dev(1))
    assert funded.claimable(d, a, p) == 30 * IO
    assert funded.claimable(d, a + 1, p) == 0
    funded.claim(d, a, p, sender=alice)
    assert funded.claimable(d, a, p) == 0

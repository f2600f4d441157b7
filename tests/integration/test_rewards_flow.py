"""The whole rewards flow on the deployed suite (real NodeStaking, EmissionSchedule, IOToken):
devices -> emission -> engine (with NodeStaking's Slashed events) -> root -> activation -> claims.

1. co-stakers split per epoch; a device slashed without jail keeps what it earns after the slash;
   what it had not claimed at the slash is held during the appeal, returned when the slash is
   overturned, forfeited (and recycled by the engine) when it is finalized; every wei adds up.
2. a co-staker forced out by the owner's unstake is paid, later, for the hours it was active.
"""

from __future__ import annotations

import pytest

from ionet import ZERO_ADDRESS
from ionet.chain.economy import Economy
from ionet.chain.rewards_ops import claim_from_file, oracle_round, previews, settle_from_file
from ionet.chain.rewards_setup import ensure_device, stake_above_minimum
from ionet.engines.merkle import SlashLeaf
from ionet.engines.rewards import RewardsEngine, address, devices_from_chain, read_claims, slash_claims_of
from ionet.models import emission as model

DAY = 86_400
HOUR = 3_600
APPEAL = 30 * DAY
PENDING, OVERTURNED, FINALIZED = 1, 2, 3


@pytest.fixture
def eco(suite):
    return Economy(suite=suite)


def _claim_all(dist, data, devices, sender) -> list:
    receipts = []
    for d in devices:
        receipts += claim_from_file(dist, data, d, sender)
    return receipts


def test_rewards_flow__slash_without_jail__earned_after_paid_held_then_returned_or_forfeited(eco, suite, tmp_path):
    dist, sched, staking, token = suite.RewardsDistributor, suite.EmissionSchedule, suite.NodeStaking, suite.IOToken
    assert sched.reward_recipient() == dist.address and dist.staking() == staking.address
    solo = ensure_device(eco, "it/h100", eco.provider_a, None, 0, "H100", 8)
    shared = ensure_device(eco, "it/a100", eco.provider_b, eco.co_staker, 2_000, "A100-80GB", 4)
    burnt = ensure_device(eco, "it/4090", eco.provider_c, None, 0, "RTX 4090", 2)
    saved = ensure_device(eco, "it/l40s", eco.renter_y, None, 0, "L40S", 2)
    devices = [solo, shared, burnt, saved]
    co = address(eco.co_staker)
    wallets = [eco.provider_a, eco.provider_b, eco.co_staker, eco.provider_c, eco.renter_y]
    before = {w.address: token.balanceOf(w) for w in wallets}
    delay = dist.ACTIVATION_DELAY_SECONDS()

    # ---- root 1 (epochs 1-24), every device claims
    engine = RewardsEngine(start_time=sched.START_TIME())
    eco.advance_to(sched.START_TIME() + DAY)
    r1 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)
    assert r1.tree.through_epoch == 24 and r1.tree.total == model.cumulative_through(24)
    assert {d.device_id for d in devices_from_chain(staking)} == set(devices)
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)
    _claim_all(dist, read_claims(r1.path), devices, eco.renter_x)
    assert token.balanceOf(eco.co_staker) - before[co] == engine.co_cumulative[shared][co] > 0
    paid1 = {d: engine.owner_cumulative[d] for d in devices}

    # ---- two slashes without jail, 6 h later: the devices stay eligible and keep earning
    eco.advance_to(sched.START_TIME() + 2 * DAY + 6 * HOUR + 1_200)
    for d, who in ((burnt, eco.provider_c), (saved, eco.renter_y)):
        stake_above_minimum(eco, d, who, staking.min_stake(d) // 5)
        staking.slash(d, staking.min_stake(d) // 10, b"\x02" * 32, False, sender=eco.operator)
        assert staking.is_eligible(d)
    burnt_id, saved_id = staking.last_slash_id(burnt), staking.last_slash_id(saved)
    data1 = read_claims(r1.path)
    for d in (burnt, saved):  # root 1 predates the slash: nothing may be paid under it
        ((_, _, p),) = previews(dist, data1, d)
        assert p.reason == "RewardsDistributor: slash after active root" and p.owner_amount == 0

    # ---- root 2 through epoch 72 commits the slashes (read from NodeStaking's Slashed events)
    eco.advance_to(sched.START_TIME() + 3 * DAY)
    r2 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)
    assert r2.new_slashes == 2 and r2.tree.through_epoch == 72
    assert [m.slash_id for m in engine.slashes[burnt]] == [burnt_id]
    (m,) = engine.slashes[burnt]
    assert m.owner_at_slash > paid1[burnt] and (m.owner_prev, m.co_staker) == (0, ZERO_ADDRESS)
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)
    data2 = read_claims(r2.path)
    for d, sid in ((burnt, burnt_id), (saved, saved_id)):
        # the reward leaf commits the slash; the slash leaf carries the checkpoint; a claim
        # before the slash is settled pays nothing
        ((leaf, _, p),) = previews(dist, data2, d)
        assert (leaf.slash_id, leaf.co_slash_id) == (sid, 0)
        assert p.reason == "RewardsDistributor: slash not settled" and p.owner_amount == 0
        ((sl, _),) = slash_claims_of(data2, d)
        assert sl == SlashLeaf(d, sid, 0, engine.slashes[d][0].owner_at_slash, ZERO_ADDRESS, 0, 0)
    c0 = token.balanceOf(eco.provider_c)
    receipts = _claim_all(dist, data2, devices, eco.renter_x)  # settles each slash leaf, then claims
    assert [e.slash_id for r in receipts for e in r.events if e.event_name == "RewardsHeld"] == [burnt_id, saved_id]
    # earned after the slash: paid; unclaimed at the slash: held for the appeal window
    assert token.balanceOf(eco.provider_c) - c0 == engine.owner_cumulative[burnt] - m.owner_at_slash > 0
    assert dist.held_of(burnt, ZERO_ADDRESS, burnt_id) == (m.owner_at_slash - paid1[burnt], PENDING)
    held_saved = engine.slashes[saved][0].owner_at_slash - paid1[saved]
    assert dist.held_of(saved, ZERO_ADDRESS, saved_id) == (held_saved, PENDING)
    assert dist.total_held() == m.owner_at_slash - paid1[burnt] + held_saved and dist.total_forfeited() == 0
    assert settle_from_file(dist, data2, burnt, eco.renter_x) == []  # pending: nothing to settle

    # ---- governance upholds the appeal of one slash; the other is finalized after 30 days
    staking.overturn_slash(saved_id, sender=eco.admin)
    y0 = token.balanceOf(eco.renter_y)
    (receipt,) = settle_from_file(dist, data2, saved, eco.renter_x)
    assert token.balanceOf(eco.renter_y) - y0 == held_saved
    assert [e.event_name for e in receipt.events if e.event_name.startswith("Rewards")] == ["RewardsReleased"]
    eco.advance(APPEAL)
    staking.finalize_slash(burnt_id, sender=eco.renter_x)
    (receipt,) = settle_from_file(dist, data2, burnt, eco.renter_x)  # the pool takes them back
    forfeited = m.owner_at_slash - paid1[burnt]
    assert [e.event_name for e in receipt.events if e.event_name.startswith("Rewards")] == ["RewardsForfeited"]
    assert dist.total_forfeited() == forfeited and dist.total_held() == 0
    assert dist.held_of(burnt, ZERO_ADDRESS, burnt_id) == (0, 0) == dist.held_of(saved, ZERO_ADDRESS, saved_id)

    # ---- root 3 recycles the forfeit; every device claims; every wei adds up
    r3 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path, through_epoch=96)
    assert r3.recycled == forfeited and r3.tree.total == model.cumulative_through(96) + forfeited
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)
    _claim_all(dist, read_claims(r3.path), devices, eco.renter_x)
    received = sum(token.balanceOf(w) - before[w.address] for w in wallets)
    assert received == dist.total_paid() == model.cumulative_through(96)
    assert token.balanceOf(dist) + dist.total_paid() == sched.total_emitted()
    assert dist.settled_of(burnt, ZERO_ADDRESS)[0] == engine.owner_cumulative[burnt]


def test_rewards_flow__co_staker_forced_out_by_owner_unstake__paid_for_its_active_hours(eco, suite, tmp_path):
    dist, sched, staking, token = suite.RewardsDistributor, suite.EmissionSchedule, suite.NodeStaking, suite.IOToken
    ensure_device(eco, "it/h100-b", eco.provider_a, None, 0, "H100", 8)
    shared = ensure_device(eco, "it/a100-b", eco.provider_b, eco.co_staker, 2_500, "A100-80GB", 4)
    co = address(eco.co_staker)
    engine = RewardsEngine(start_time=sched.START_TIME())
    eco.advance_to(sched.START_TIME() + DAY)
    oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)  # nobody claims root 1
    earned = engine.co_cumulative[shared][co]
    assert earned > 0
    staking.unstake(shared, sender=eco.provider_b)  # the co-stake is pushed out with it
    assert staking.reward_split(shared)[1] == ZERO_ADDRESS and not staking.is_eligible(shared)
    eco.advance_to(sched.START_TIME() + 2 * DAY + 600)  # root 1 is due: publishing activates it first
    r2 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path, through_epoch=48)
    assert r2.activated_pending
    assert engine.co_cumulative[shared][co] == earned  # nothing more after it left
    eco.advance(dist.ACTIVATION_DELAY_SECONDS())
    dist.activate_root(sender=eco.renter_x)
    c0, b0 = token.balanceOf(eco.co_staker), token.balanceOf(eco.provider_b)
    (receipt,) = claim_from_file(dist, read_claims(r2.path), shared, eco.renter_x)
    assert token.balanceOf(eco.co_staker) - c0 == earned
    assert token.balanceOf(eco.provider_b) - b0 == engine.owner_cumulative[shared]
    ev = [e for e in receipt.events if e.event_name == "RewardsClaimed"][0]
    assert (ev.co_staker, ev.co_staker_amount, ev.co_cumulative) == (co, earned, earned)

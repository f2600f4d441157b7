"""The whole rewards flow on the deployed suite: NodeStaking devices -> emission -> engine ->
root -> activation -> claims with a co-staker split -> a real slash forfeits -> recycled."""

from __future__ import annotations

import ape
import pytest

from ionet import emission as model
from ionet.chain.economy import Economy
from ionet.chain.rewards_ops import claim_from_file, oracle_round
from ionet.chain.rewards_setup import ensure_device
from ionet.rewards import RewardsEngine, devices_from_chain, read_claims

DAY = 86_400


@pytest.fixture
def eco(suite):
    return Economy(suite=suite)


def test_rewards_flow__staking_emission_engine_claims__sums_to_emitted(eco, suite, tmp_path):
    dist, sched, staking, token = (
        suite.RewardsDistributor,
        suite.EmissionSchedule,
        suite.NodeStaking,
        suite.IOToken,
    )
    assert sched.reward_recipient() == dist.address and dist.staking() == staking.address
    solo = ensure_device(eco, "it/h100", eco.provider_a, None, 0, "H100", 8)
    shared = ensure_device(eco, "it/a100", eco.provider_b, eco.co_staker, 2_000, "A100-80GB", 4)
    victim = ensure_device(eco, "it/4090", eco.provider_c, None, 0, "RTX 4090", 2)
    wallets = [eco.provider_a, eco.provider_b, eco.co_staker, eco.provider_c]
    before = {w.address: token.balanceOf(w) for w in wallets}

    engine = RewardsEngine(start_time=sched.START_TIME())
    eco.advance_to(sched.START_TIME() + DAY)
    r1 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)
    assert r1.tree.through_epoch == 24 and r1.tree.total == model.cumulative_through(24)
    assert {d.device_id for d in devices_from_chain(staking)} == {solo, shared, victim}
    # the root waits for its delay (governance could cancel it meanwhile), then anyone activates it
    with ape.reverts("RewardsDistributor: activation delay not passed"):
        dist.activate_root(sender=eco.renter_x)
    staking.slash(victim, staking.min_stake(victim) // 10, b"\x02" * 32, True, sender=eco.operator)
    eco.advance(dist.ACTIVATION_DELAY_SECONDS())
    dist.activate_root(sender=eco.renter_x)
    data = read_claims(r1.path)
    for d in (solo, shared, victim):
        claim_from_file(dist, data, d, eco.renter_x)
    assert dist.total_forfeited() == engine.cumulative[victim] > 0
    share = engine.cumulative[shared] * 2_000 // 10_000
    assert token.balanceOf(eco.co_staker) - before[eco.co_staker.address] == share

    r2 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path, through_epoch=48)
    assert r2.recycled == dist.total_forfeited()
    eco.advance(dist.ACTIVATION_DELAY_SECONDS())
    dist.activate_root(sender=eco.renter_x)
    data = read_claims(r2.path)
    for d in (solo, shared, victim):
        claim_from_file(dist, data, d, eco.renter_x)
    received = sum(token.balanceOf(w) - before[w.address] for w in wallets)
    # paid + pool == emitted; every wei of epochs 1-48 reached a wallet (the forfeit went on to others)
    assert received == dist.total_paid() == model.cumulative_through(48)
    assert token.balanceOf(dist) + dist.total_paid() == sched.total_emitted()
    assert dist.claimed(victim) == engine.cumulative[victim]  # forfeited, never claimable again

"""Issue 18, defect 7: the slasher key cannot freeze a device's rewards for a few wei.

A claim under a root that does not commit the device's latest slash reverts ("slash after active
root"). Before NodeStaking's slash interval, a 1-wei slash just before each pending root activated
kept every root of the device unclaimable, root after root. Now a device is slashed at most once
per MIN_SLASH_INTERVAL_SECONDS (3 days locally, the activation delay 1 day, one root a day), so a
root that commits the slash activates before the next slash is allowed and claims pay in between.
On the real suite (NodeStaking, RewardsDistributor, EmissionSchedule, the oracle's round).
"""

from __future__ import annotations

import pytest
from ape.exceptions import ContractLogicError

from ionet.chain.economy import Economy
from ionet.chain.rewards_ops import claim_from_file, oracle_round, previews, settle_from_file
from ionet.chain.rewards_setup import ensure_device, stake_above_minimum
from ionet.engines.rewards import RewardsEngine, read_claims

DAY = 86_400
FROZEN = "RewardsDistributor: slash after active root"
TOO_SOON = "NodeStaking: slashed too recently"


@pytest.fixture
def eco(suite):
    return Economy(suite=suite)


def test_slash__one_wei_before_each_of_three_roots_activates__claim_window_remains(eco, suite, tmp_path):
    """The issue's attack on three pending roots in a row: the slasher tries a 1-wei slash 60 s
    before each activates (the oracle publishes a root 10 minutes after each day's last epoch,
    through that day). Only the first attempt goes through, so the third root, which commits that
    slash, pays the device's rewards. (On main all three attempts went through and all three roots
    reverted the claim: "three roots in a row were frozen for 3 wei".)"""
    dist, sched, staking = suite.RewardsDistributor, suite.EmissionSchedule, suite.NodeStaking
    delay, interval = dist.ACTIVATION_DELAY_SECONDS(), staking.MIN_SLASH_INTERVAL_SECONDS()
    assert (delay, interval) == (DAY, 3 * DAY)
    d = ensure_device(eco, "freeze/4090", eco.provider_c, None, 0, "RTX 4090", 1)
    stake_above_minimum(eco, d, eco.provider_c, 10**18)  # 1-wei slashes leave it eligible: it keeps earning
    engine = RewardsEngine(start_time=sched.START_TIME())
    outcomes = []  # (root, the slash attempt before it activated, the claim's preview under it)
    rnd, attempt, due = None, "", 0
    for day in range(1, 5):
        eco.advance_to(max(sched.START_TIME() + day * DAY + 600, due))
        if rnd is not None:  # the previous root's delay is over: anyone activates it
            dist.activate_root(sender=eco.renter_x)
            data = read_claims(rnd.path)
            settle_from_file(dist, data, d, eco.renter_x)  # a root's slash leaves first (none if it commits none)
            ((_, _, p),) = previews(dist, data, d)
            outcomes.append((rnd.root_id, attempt, p.reason))
            if p.reason == "":
                assert p.owner_amount > 0 and claim_from_file(dist, data, d, eco.renter_x)
        if day == 4:
            break
        rnd = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)
        due = dist.pending().published_at + delay
        eco.advance_to(due - 60)  # 60 s before the root may activate
        try:
            staking.slash(d, 1, b"\x07" * 32, False, sender=eco.operator)
            attempt = "slashed"
        except ContractLogicError as e:
            attempt = str(e)
    assert outcomes == [
        (1, "slashed", FROZEN),  # slash 1, just before root 1 activates: root 1 does not commit it
        (2, TOO_SOON, FROZEN),  # a day later: refused; root 2 ran through a time before slash 1
        (3, TOO_SOON, ""),  # two days later: refused; root 3 commits slash 1 and pays: the claim window
    ]
    assert staking.slash_count() == 1

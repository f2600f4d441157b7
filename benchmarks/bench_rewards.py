"""Gas of RewardsDistributor on a 1,000,000-leaf tree (20-level proofs), beside Synthetix getReward.

The distributor is funded the way it is in production (EmissionSchedule.mint_due after a day of
epochs); the tree holds 1,000,000 leaves (six-field reward leaves, and a seven-field slash leaf per
slash) whose cumulative amounts sum to less than that. Four devices are real (registered in the
suite's NodeStaking): one without a co-staker, one with a 25 % co-staker, and two that are slashed
(without jail) between the two roots. Each slash leaf is settled in the appeal window (the 20 IO the
device had not claimed at the slash are held) and the device then claims the 30 IO it earned after
the slash; then the first slash is finalized and `settle_slash` forfeits its hold, the second is
overturned and `settle_slash` pays its hold to the device's wallet. The goals are for a device's
usual claim (it has claimed before, its wallets hold IO, as Synthetix's getReward anchor); first
claims (zero -> nonzero storage) and the slash paths are listed without a goal.
"""

from __future__ import annotations

import random
import time
from typing import Any

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO
from ionet.chain.rewards_setup import ensure_device
from ionet.engines.merkle import MerkleTree, RewardLeaf, SlashLeaf, keccak
from ionet.engines.rewards import address
from ionet.models.emission import EPOCH_SECONDS

N_LEAVES = 1_000_000
SYNTHETIX = ("Synthetix getReward 90,719", 90_719)
APPEAL_SECONDS = 30 * 86_400


def big_tree(special: list[RewardLeaf | SlashLeaf], seed: int) -> MerkleTree:
    """N_LEAVES leaves: the special leaves plus filler devices of up to 0.01 IO each."""
    rng = random.Random(seed)
    entries = [
        RewardLeaf(keccak(b"filler" + i.to_bytes(8, "big")), rng.randrange(1, 10**16))
        for i in range(N_LEAVES - len(special))
    ]
    entries += special
    return MerkleTree(entries)


def total_of(tree: MerkleTree) -> int:
    """Σ owner cumulatives (once per device) + Σ co cumulatives, over the reward leaves."""
    rewards = [leaf for leaf in tree.entries if isinstance(leaf, RewardLeaf)]
    owners = {leaf.device: leaf.owner_cumulative for leaf in rewards}
    return sum(owners.values()) + sum(leaf.co_cumulative for leaf in rewards)


def claim_args(tree: MerkleTree, leaf: RewardLeaf | SlashLeaf) -> tuple:
    """(*leaf, proof): the arguments of `claim` (a reward leaf) or `settle_slash` (a slash leaf)."""
    i = len(tree.entries) - 1
    while tree.entries[i] != leaf:  # the special leaves are at the end
        i -= 1
    return (*leaf, tree.proof(i))


def measure(eco: Any) -> list[GasRow]:
    dist, sched, staking = eco.suite.RewardsDistributor, eco.suite.EmissionSchedule, eco.suite.NodeStaking
    oracle = eco.operator
    rows: list[GasRow] = []
    with isolated():
        solo = ensure_device(eco, "bench-solo-h100", eco.provider_a, None, 0)
        shared = ensure_device(eco, "bench-shared-a100", eco.provider_b, eco.co_staker, 2_500)
        burnt = ensure_device(eco, "bench-slashed-l40s", eco.provider_c, None, 0, "L40S", 2)
        saved = ensure_device(eco, "bench-appealed-4090", eco.renter_y, None, 0, "RTX 4090", 1)
        co = address(eco.co_staker)
        eco.advance_to(sched.START_TIME() + 24 * EPOCH_SECONDS)
        sched.mint_due(sender=oracle)
        for who in (eco.provider_a, eco.provider_b, eco.co_staker, eco.provider_c, eco.renter_y):
            if eco.suite.IOToken.balanceOf(who) == 0:  # wallets that hold IO already
                eco.fund(who, IO)
        leaves1 = [
            RewardLeaf(solo, 100 * IO),
            RewardLeaf(shared, 150 * IO, co, 50 * IO),
            RewardLeaf(burnt, 80 * IO),
            RewardLeaf(saved, 40 * IO),
        ]
        t0 = time.monotonic()
        tree1 = big_tree(leaves1, seed=1)
        build_s = time.monotonic() - t0
        total1 = total_of(tree1)
        assert total1 <= dist.funding_limit(), "bench tree exceeds the day's emission"
        depth = len(claim_args(tree1, leaves1[0])[-1])
        eco.advance(60)
        rows.append(
            GasRow(
                "RewardsDistributor",
                f"publish_root ({N_LEAVES:,}-leaf tree, built in {build_s:.1f} s)",
                gas_of(dist.publish_root(tree1.root, total1, 24, eco.now(), sender=oracle)),
            )
        )
        eco.advance(dist.ACTIVATION_DELAY_SECONDS())
        rows.append(GasRow("RewardsDistributor", "activate_root", gas_of(dist.activate_root(sender=oracle))))
        rows.append(
            GasRow(
                "RewardsDistributor",
                f"claim, first of a device, no co-staker ({depth}-hash proof)",
                gas_of(dist.claim(*claim_args(tree1, leaves1[0]), sender=eco.provider_a)),
            )
        )
        rows.append(
            GasRow(
                "RewardsDistributor",
                "claim, first of a device, co-staker split (first of both parties)",
                gas_of(dist.claim(*claim_args(tree1, leaves1[1]), sender=eco.provider_b)),
            )
        )
        for leaf in leaves1[2:]:
            dist.claim(*claim_args(tree1, leaf), sender=eco.provider_c)
        # Both slashed devices earned 20 IO more before their slash (unclaimed: held) and 30 IO after.
        staking.slash(burnt, staking.min_stake(burnt) // 10, b"\x01" * 32, False, sender=oracle)
        burnt_id = staking.last_slash_id(burnt)
        staking.slash(saved, staking.min_stake(saved) // 10, b"\x02" * 32, False, sender=oracle)
        saved_id = staking.last_slash_id(saved)
        leaves2 = [
            RewardLeaf(solo, 150 * IO),
            RewardLeaf(shared, 225 * IO, co, 75 * IO),
            RewardLeaf(burnt, 130 * IO, slash_id=burnt_id),
            RewardLeaf(saved, 90 * IO, slash_id=saved_id),
            SlashLeaf(burnt, burnt_id, owner_at=100 * IO),
            SlashLeaf(saved, saved_id, owner_at=60 * IO),
        ]
        tree2 = big_tree(leaves2, seed=2)
        eco.advance(60)
        dist.publish_root(tree2.root, total_of(tree2), 25, eco.now(), sender=oracle)
        eco.advance(dist.ACTIVATION_DELAY_SECONDS())
        dist.activate_root(sender=oracle)
        args = claim_args(tree2, leaves2[0])
        rows.append(
            at_most(
                "RewardsDistributor",
                f"claim, no co-staker ({len(args[-1])}-hash proof, 1M leaves)",
                gas_of(dist.claim(*args, sender=eco.provider_a)),
                80_000,
                *SYNTHETIX,
            )
        )
        args = claim_args(tree2, leaves2[1])
        rows.append(
            at_most(
                "RewardsDistributor",
                f"claim, co-staker split ({len(args[-1])}-hash proof, 1M leaves)",
                gas_of(dist.claim(*args, sender=eco.provider_b)),
                100_000,
                *SYNTHETIX,
            )
        )
        rows.append(
            GasRow(
                "RewardsDistributor",
                "settle_slash in the appeal window (held: the 20 IO unclaimed at the slash)",
                gas_of(dist.settle_slash(*claim_args(tree2, leaves2[4]), sender=eco.renter_x)),
            )
        )
        dist.settle_slash(*claim_args(tree2, leaves2[5]), sender=eco.renter_x)
        assert dist.total_held() == 40 * IO
        rows.append(
            GasRow(
                "RewardsDistributor",
                "claim after the slash is settled (the 30 IO earned after it)",
                gas_of(dist.claim(*claim_args(tree2, leaves2[2]), sender=eco.provider_c)),
            )
        )
        dist.claim(*claim_args(tree2, leaves2[3]), sender=eco.renter_y)
        staking.overturn_slash(saved_id, sender=eco.admin)
        eco.advance(APPEAL_SECONDS)
        staking.finalize_slash(burnt_id, sender=eco.renter_x)
        rows.append(
            GasRow(
                "RewardsDistributor",
                "settle_slash after the slash is finalized (forfeited: 20 IO back to the pool)",
                gas_of(dist.settle_slash(*claim_args(tree2, leaves2[4]), sender=eco.renter_x)),
            )
        )
        rows.append(
            GasRow(
                "RewardsDistributor",
                "settle_slash after overturn (released: 20 IO paid to the wallet)",
                gas_of(dist.settle_slash(*claim_args(tree2, leaves2[5]), sender=eco.renter_x)),
            )
        )
        assert (dist.total_held(), dist.total_forfeited()) == (0, 20 * IO)
    return rows

"""Gas of RewardsDistributor on a 1,000,000-leaf tree (20-level proofs), beside Synthetix getReward.

The distributor is funded the way it is in production (EmissionSchedule.mint_due after a day of
epochs); the tree holds 1,000,000 devices whose cumulative amounts sum to less than that. Two
devices are real (registered in staking): one without a co-staker, one with a 25 % co-staker.
The goals are for a device's usual claim (it has claimed before, its wallets hold IO, as
Synthetix's getReward anchor); the first claim of a device (zero -> nonzero storage) is listed
without a goal.
"""

from __future__ import annotations

import random
import time
from typing import Any

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO
from ionet.chain.rewards_setup import ensure_device
from ionet.emission import EPOCH_SECONDS
from ionet.merkle import MerkleTree, keccak

N_LEAVES = 1_000_000
SYNTHETIX = ("Synthetix getReward 90,719", 90_719)


def big_tree(special: dict[bytes, int], seed: int) -> MerkleTree:
    """N_LEAVES leaves: the special devices plus filler devices of up to 0.01 IO each."""
    rng = random.Random(seed)
    entries = [
        (keccak(b"filler" + i.to_bytes(8, "big")), rng.randrange(1, 10**16))
        for i in range(N_LEAVES - len(special))
    ]
    entries += list(special.items())
    return MerkleTree(entries)


def claim_args(tree: MerkleTree, device: bytes) -> tuple[bytes, int, list[bytes]]:
    i = [d for d, _ in tree.entries].index(device)
    return device, tree.entries[i][1], tree.proof(i)


def measure(eco: Any) -> list[GasRow]:
    dist, sched = eco.suite.RewardsDistributor, eco.suite.EmissionSchedule
    oracle = eco.operator
    rows: list[GasRow] = []
    with isolated():
        solo = ensure_device(eco, "bench-solo-h100", eco.provider_a, None, 0)
        shared = ensure_device(eco, "bench-shared-a100", eco.provider_b, eco.co_staker, 2_500)
        eco.advance_to(sched.START_TIME() + 24 * EPOCH_SECONDS)
        sched.mint_due(sender=oracle)
        for who in (eco.provider_a, eco.provider_b, eco.co_staker):  # wallets that hold IO already
            if eco.suite.IOToken.balanceOf(who) == 0:
                eco.fund(who, IO)
        t0 = time.monotonic()
        tree1 = big_tree({solo: 100 * IO, shared: 200 * IO}, seed=1)
        build_s = time.monotonic() - t0
        total1 = sum(a for _, a in tree1.entries)
        assert total1 <= dist.funding_limit(), "bench tree exceeds the day's emission"
        depth = len(claim_args(tree1, solo)[2])
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
                gas_of(dist.claim(*claim_args(tree1, solo), sender=eco.provider_a)),
            )
        )
        rows.append(
            GasRow(
                "RewardsDistributor",
                "claim, first of a device, co-staker split",
                gas_of(dist.claim(*claim_args(tree1, shared), sender=eco.provider_b)),
            )
        )
        tree2 = big_tree({solo: 150 * IO, shared: 300 * IO}, seed=2)
        eco.advance(60)
        dist.publish_root(tree2.root, sum(a for _, a in tree2.entries), 25, eco.now(), sender=oracle)
        eco.advance(dist.ACTIVATION_DELAY_SECONDS())
        dist.activate_root(sender=oracle)
        args = claim_args(tree2, solo)
        rows.append(
            at_most(
                "RewardsDistributor",
                f"claim, no co-staker ({len(args[2])}-hash proof, 1M leaves)",
                gas_of(dist.claim(*args, sender=eco.provider_a)),
                80_000,
                *SYNTHETIX,
            )
        )
        args = claim_args(tree2, shared)
        rows.append(
            at_most(
                "RewardsDistributor",
                f"claim, co-staker split ({len(args[2])}-hash proof, 1M leaves)",
                gas_of(dist.claim(*args, sender=eco.provider_b)),
                100_000,
                *SYNTHETIX,
            )
        )
    return rows

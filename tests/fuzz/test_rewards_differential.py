"""Differential: Python against the contract.

1. the Merkle builder (ionet.engines.merkle): every proof of a random tree of reward leaves (six fields)
   and slash leaves (seven fields) verifies on chain (`preview_claim` / `preview_settle_slash`,
   and `claim` / `settle_slash`), a flipped byte or a changed field does not;
2. the engine (ionet.engines.rewards) and the distributor model (ionet.models.distributor) against the chain: a
   random run of epochs with co-staker changes and overlapping slashes (overturned, finalized or
   pending; decided when their root is out or a round later), published as roots, every slash
   leaf settled in a random order (out-of-order calls revert as the model says) and every reward
   leaf claimed, pays every party exactly what the model says; each (party, slash) hold is the
   model's, and the model's settled amounts are the engine's cumulatives.
"""

from __future__ import annotations

import json
import random

import pytest
from ape import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.engines.merkle import MerkleTree, RewardLeaf, SlashLeaf
from ionet.engines.rewards import Device, RewardsEngine, SlashRecord, address
from ionet.manifest import ROOT
from ionet.models.distributor import DistributorError, DistributorModel
from tests.fuzz.helpers import chain_snapshot
from tests.rewards_helpers import DELAY, FINALIZED, OVERTURNED, PENDING, advance, dev, events, register

INVALID = "RewardsDistributor: invalid proof"
EARLIER = "RewardsDistributor: earlier slash not settled"
NOTHING = "RewardsDistributor: nothing to settle"
HOUR = 3_600
REWARD_NUMBERS = ("owner_cumulative", "co_cumulative", "slash_id", "co_slash_id")
SLASH_NUMBERS = ("slash_id", "owner_prev", "owner_at", "co_prev", "co_at")


def _views(distributor):
    """The distributor's views as a plain web3 contract: they read several times faster than
    through ape (hundreds of previews per example)."""
    abi = json.loads((ROOT / "abi" / "RewardsDistributor.json").read_text())
    return chain.provider.web3.eth.contract(address=distributor.address, abi=abi).functions


@settings(
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.lists(
        st.tuples(st.integers(1, 10**22), st.booleans(), st.integers(0, 10**22), st.integers(0, 3)),
        min_size=1,
        max_size=60,
    ),
    pick=st.integers(0, 10**6),
    flip=st.integers(0, 255),
)
def test_differential__random_trees__contract_accepts_every_python_proof(
    distributor, token, mock_staking, owner, operator, alice, carol, fund, fields, pick, flip
):
    """For a random tree of both leaf kinds (a slashed entry has a reward leaf and a slash leaf),
    every leaf and proof from Python passes the contract's proof check (the previews never say
    "invalid proof"), a proof with one flipped byte or a leaf with one number changed does not (on
    every other leaf); real calls (the inlined loops of claim and settle_slash) pay, and hold, the
    leaves' amounts."""
    with chain_snapshot():
        co = address(carol)
        rewards = [
            RewardLeaf(dev(1_000 + i), a, co if has_co else ZERO, c if has_co else 0, s, s if has_co else 0)
            for i, (a, has_co, c, s) in enumerate(fields)
        ]
        slashes = [
            SlashLeaf(lf.device, lf.slash_id, 0, lf.owner_cumulative // 2, lf.co_staker, 0, lf.co_cumulative // 2)
            for lf in rewards
            if lf.slash_id
        ]
        values = [*rewards, *slashes]
        tree = MerkleTree(values)
        total = sum(v.owner_cumulative + v.co_cumulative for v in rewards)
        fund(distributor, total)
        distributor.publish_root(tree.root, total, 1, chain.blocks.head.timestamp, sender=operator)
        advance(DELAY)
        distributor.activate_root(sender=operator)
        views = _views(distributor)

        def reason(leaf, proof) -> str:  # the preview's reason (the last field of either struct)
            preview = views.preview_settle_slash if isinstance(leaf, SlashLeaf) else views.preview_claim
            return preview(*leaf, proof).call()[-1]

        for i, lf in enumerate(values):
            proof = tree.proof(i)
            assert reason(lf, proof) != INVALID  # unknown device, for now
            if (i + flip) % 2:  # the forgeries on every other leaf (a third of the calls fewer)
                continue
            numbers = SLASH_NUMBERS if isinstance(lf, SlashLeaf) else REWARD_NUMBERS
            name = numbers[flip % len(numbers)]
            assert reason(lf._replace(**{name: getattr(lf, name) + 1}), proof) == INVALID
            if proof:
                bad = bytearray(proof[0])
                bad[flip % 32] ^= 1 + flip % 255
                assert reason(lf, [bytes(bad)] + proof[1:]) == INVALID
        # claim's inlined loop agrees with snekmate's _verify: real claims on up to 2 never-slashed leaves
        unslashed = [i for i, lf in enumerate(rewards) if lf.slash_id == 0]
        picked = {unslashed[pick % len(unslashed)], unslashed[(pick // 7) % len(unslashed)]} if unslashed else set()
        for i in sorted(picked):
            lf = values[i]
            register(mock_staking, lf.device, alice)
            a0, c0 = token.balanceOf(alice), token.balanceOf(carol)
            distributor.claim(*lf, tree.proof(i), sender=owner)
            assert token.balanceOf(alice) - a0 == lf.owner_cumulative
            assert token.balanceOf(carol) - c0 == lf.co_cumulative
        # and so does settle_slash's: a real settle of one slash leaf holds its amounts
        if slashes:
            sl = min(slashes, key=lambda x: x.slash_id)  # the fewest mock slashes to make first
            register(mock_staking, sl.device, alice)
            while mock_staking.last_slash_id(sl.device) < sl.slash_id:
                mock_staking.mark_slashed(sl.device, sender=owner)
            receipt = distributor.settle_slash(*sl, tree.proof(values.index(sl)), sender=owner)
            held = [(e.party, e.slash_id, e.amount) for e in events(receipt, "RewardsHeld")]
            assert held == [(ZERO, sl.slash_id, sl.owner_at)] + (
                [(co, sl.slash_id, sl.co_at)] if sl.co_staker != ZERO else []
            )
            assert distributor.total_held() == sl.owner_at + sl.co_at


@settings(
    deadline=None,
    max_examples=5,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(
        st.tuples(
            st.integers(0, 2),  # which device's co-staker changes this epoch (2: none changes)
            st.integers(0, 2),  # to whom (0: nobody)
            st.integers(0, 3),  # which device is slashed in this epoch (3: none)
            st.booleans(),  # does the slash hit the co-staker
            st.integers(0, 2),  # its outcome: 0 pending, 1 overturned, 2 finalized
            st.booleans(),  # decided once its root is out (False) or a round later (True)
        ),
        min_size=12,
        max_size=12,
    ),
    order=st.integers(0, 2**32),  # the order of settle_slash calls and who makes them
)
def test_differential__engine_and_model_vs_chain__every_party_paid_what_the_model_says(
    distributor, token, mock_staking, owner, operator, alice, bob, carol, attacker, fund, plan, order
):
    """Three rounds of four epochs: the engine's roots, each slash leaf settled in a random order
    by a random caller (then oldest first), each reward leaf claimed, pay each party what the
    distributor model predicts, with its events (and revert with its reasons); at the end each
    (party, slash) hold is the model's, each party's settled amount is its cumulative and the
    chain's totals are the model's. (Over the 5 derandomized examples: STATS.)"""
    with chain_snapshot():
        rng = random.Random(order)
        fund(distributor, 200_000 * IO)
        devices = [dev(900 + i) for i in range(3)]
        wallet = {devices[0]: alice.address, devices[1]: bob.address, devices[2]: alice.address}
        cos = [ZERO, address(carol), address(attacker)]
        for d in devices:
            register(mock_staking, d, alice if wallet[d] == alice.address else bob)
        start = chain.blocks.head.timestamp - 12 * HOUR  # 12 epochs already ended
        engine = RewardsEngine(start_time=start)
        model = DistributorModel()
        co_now = {d: ZERO for d in devices}
        outcomes: dict[int, int] = {}
        decide_at: dict[int, int] = {}
        decided: dict[int, int] = {}
        last: dict[bytes, int] = {d: 0 for d in devices}
        slash_count = mock_staking.slash_count()
        gains = {a: 0 for a in [alice.address, bob.address, *cos[1:]]}
        starts = {a: token.balanceOf(a) for a in gains}
        for r in range(3):
            for e in range(4 * r, 4 * r + 4):
                who, to, slashed, hit, outcome, late = plan[e]
                if who < 3:
                    co_now[devices[who]] = cos[to]
                if slashed < 3:  # a slash in the middle of epoch e + 1 (the engine is told that time)
                    d = devices[slashed]
                    mock_staking.mark_slashed(d, sender=owner)
                    sid = last[d] = slash_count = slash_count + 1  # the mock's ids: 1, 2, ...
                    engine.record_slash(SlashRecord(sid, d, start + e * HOUR + 1_800, co_now[d] if hit else ZERO))
                    outcomes[sid] = (PENDING, OVERTURNED, FINALIZED)[outcome]
                    decide_at[sid] = r + late
                engine.run_epoch(
                    [
                        Device(d, 10_000 * (i + 1), 2, co_staker=co_now[d], co_share_bps=3_000)
                        for i, d in enumerate(devices)
                    ]
                )
            built = engine.build()
            distributor.publish_root(built.root, built.total, built.through_epoch, built.through_time, sender=operator)
            advance(DELAY)
            distributor.activate_root(sender=operator)
            model.activate([*built.leaves, *built.slash_leaves])
            for sid, o in outcomes.items():  # a decided slash is decided once its root (or the next) is out
                if decide_at[sid] == r:
                    mock_staking.set_slash_outcome(sid, o, sender=owner)
                    decided[sid] = o
            for d in devices:
                first = built.leaves_of(d)[0]
                if model.party(d).applied != first.slash_id:  # claiming before settling pays nothing
                    with pytest.raises(DistributorError, match="slash not settled"):
                        model.claim(first, wallet[d], last[d])
                    reason = distributor.preview_claim(*first, built.proof(d, first.co_staker)).reason
                    assert reason == "RewardsDistributor: slash not settled"
                slash_leaves = built.slash_leaves_of(d)
                tries = rng.sample(slash_leaves, len(slash_leaves))  # a random order; out-of-order ones retried
                for sl in tries:
                    args = built.settle_args(d, sl.slash_id)
                    try:
                        fx = model.settle(sl, wallet[d], last[d], lambda s: decided.get(s, PENDING))
                    except DistributorError as err:
                        if err.reason == EARLIER and len(tries) < 4 * len(slash_leaves):
                            tries.append(sl)
                        if err.reason != NOTHING or rng.random() < 0.25:  # a sample of the many idle calls
                            assert distributor.preview_settle_slash(*args).reason == err.reason
                        continue
                    p = distributor.preview_settle_slash(*args)
                    assert (p.reason, p.owner_wallet, p.co_staker, p.outcome) == (
                        "",
                        wallet[d],
                        sl.co_staker,
                        decided.get(sl.slash_id, PENDING),
                    )
                    assert (p.owner_held, p.owner_released, p.owner_forfeited) == (
                        fx.owner.locked,
                        fx.owner.released,
                        fx.owner.forfeited,
                    )
                    assert (p.co_held, p.co_released, p.co_forfeited) == (fx.co.locked, fx.co.released, fx.co.forfeited)
                    receipt = distributor.settle_slash(*args, sender=rng.choice([alice, bob, carol, attacker]))
                    moved = [
                        (e.event_name, e.party, e.slash_id, e.amount)
                        for e in receipt.events
                        if e.event_name in ("RewardsHeld", "RewardsReleased", "RewardsForfeited")
                    ]
                    expected = [(f"Rewards{n}", ZERO, s, a) for n, s, a in fx.owner.events]
                    expected += [(f"Rewards{n}", sl.co_staker, s, a) for n, s, a in fx.co.events]
                    assert moved == expected
                    gains[wallet[d]] += fx.owner.transferred
                    if sl.co_staker != ZERO:
                        gains[sl.co_staker] += fx.co.transferred
                for lf in built.leaves_of(d):
                    args = (*lf, built.proof(d, lf.co_staker))
                    try:
                        fx = model.claim(lf, wallet[d], last[d])
                    except DistributorError as err:
                        assert distributor.preview_claim(*args).reason == err.reason
                        continue
                    if rng.random() < 0.3:  # a sample: the claim's transfers are checked below
                        p = distributor.preview_claim(*args)
                        assert (p.reason, p.owner_amount, p.co_amount) == ("", fx.owner.paid, fx.co.paid)
                    distributor.claim(*args, sender=owner)
                    gains[wallet[d]] += fx.owner.transferred
                    if lf.co_staker != ZERO:
                        gains[lf.co_staker] += fx.co.transferred
        for a, g in gains.items():
            assert token.balanceOf(a) - starts[a] == g
        assert (distributor.total_paid(), distributor.total_forfeited(), distributor.total_held()) == (
            model.total_paid,
            model.total_forfeited,
            model.total_held,
        )
        for sl in built.slash_leaves:  # every (party, slash) hold is the model's
            for party in {ZERO, sl.co_staker}:
                held = model.held(sl.device, party, sl.slash_id)
                assert distributor.held_of(sl.device, party, sl.slash_id) == (
                    (held, decided.get(sl.slash_id, PENDING)) if held else (0, 0)
                )
        for d in devices:  # every party settled its whole cumulative (paid, held or forfeited)
            assert distributor.settled_of(d, ZERO) == (engine.owner_cumulative[d], last[d])
            assert model.party(d).settled == engine.owner_cumulative[d]
            for c, amount in engine.co_cumulative.get(d, {}).items():
                assert model.party(d, c).settled == distributor.settled_of(d, c)[0] == amount

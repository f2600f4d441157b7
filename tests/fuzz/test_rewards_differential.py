"""Differential: Python against the contract.

1. the Merkle builder (ionet.merkle): every proof of a random tree of seven-field leaves verifies
   on chain (views and claim), a flipped byte or a changed field does not;
2. the engine (ionet.rewards) and the distributor model (ionet.distributor) against the chain: a
   random run of epochs with co-staker changes and slashes (overturned, finalized or pending),
   published as roots and claimed leaf by leaf, pays every party exactly what the model says, and
   the model's settled amounts are the engine's cumulatives less what slashes took.
"""

from __future__ import annotations

from ape import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.distributor import DistributorError, DistributorModel
from ionet.merkle import MerkleTree, RewardLeaf
from ionet.rewards import Device, RewardsEngine, SlashRecord, address
from tests.fuzz.helpers import chain_snapshot
from tests.rewards_helpers import DELAY, FINALIZED, OVERTURNED, advance, dev, register

INVALID = "RewardsDistributor: invalid proof"
HOUR = 3_600


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
    """For a random tree, every leaf and proof from Python passes the contract's proof check
    (preview_claim never says "invalid proof"), a proof with one flipped byte or a leaf with one
    field changed does not; real claims (claim's inlined loop) pay the leaves' amounts."""
    with chain_snapshot():
        co = address(carol)
        values = [
            RewardLeaf(dev(1_000 + i), a, co if has_co else ZERO, c if has_co else 0, s, a // 2 if s else 0, 0)
            for i, (a, has_co, c, s) in enumerate(fields)
        ]
        tree = MerkleTree(values)
        total = sum(v.owner_cumulative + v.co_cumulative for v in values)
        fund(distributor, total)
        distributor.publish_root(tree.root, total, 1, chain.blocks.head.timestamp, sender=operator)
        advance(DELAY)
        distributor.activate_root(sender=operator)
        for i, lf in enumerate(values):
            proof = tree.proof(i)
            assert distributor.preview_claim(*lf, proof).reason != INVALID  # unknown device, for now
            assert distributor.preview_claim(*lf._replace(co_at_slash=lf.co_at_slash + 1), proof).reason == INVALID
            if proof:
                bad = bytearray(proof[0])
                bad[flip % 32] ^= 1 + flip % 255
                assert distributor.preview_claim(*lf, [bytes(bad)] + proof[1:]).reason == INVALID
        # claim's inlined loop agrees with snekmate's _verify: real claims on up to 2 never-slashed leaves
        unslashed = [i for i, lf in enumerate(values) if lf.slash_id == 0]
        picked = {unslashed[pick % len(unslashed)], unslashed[(pick // 7) % len(unslashed)]} if unslashed else set()
        for i in sorted(picked):
            lf = values[i]
            register(mock_staking, lf.device, alice)
            a0, c0 = token.balanceOf(alice), token.balanceOf(carol)
            distributor.claim(*lf, tree.proof(i), sender=owner)
            assert token.balanceOf(alice) - a0 == lf.owner_cumulative
            assert token.balanceOf(carol) - c0 == lf.co_cumulative


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
        ),
        min_size=12,
        max_size=12,
    )
)
def test_differential__engine_and_model_vs_chain__every_party_paid_what_the_model_says(
    distributor, token, mock_staking, owner, operator, alice, bob, carol, attacker, fund, plan
):
    """Three rounds of four epochs: the engine's roots, claimed leaf by leaf on chain, pay each
    party what the distributor model predicts (and revert with its reasons); at the end each
    party's settled amount is its cumulative and the chain's totals are the model's. (Over the 5
    derandomized examples: 59 claims, of which 25 hold, 5 release, 13 forfeit, 39 pay a co-staker.)"""
    with chain_snapshot():
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
        last: dict[bytes, int] = {d: 0 for d in devices}
        gains = {a: 0 for a in [alice.address, bob.address, *cos[1:]]}
        starts = {a: token.balanceOf(a) for a in gains}
        for r in range(3):
            for e in range(4 * r, 4 * r + 4):
                who, to, slashed, hit, outcome = plan[e]
                if who < 3:
                    co_now[devices[who]] = cos[to]
                if slashed < 3:  # a slash in the middle of epoch e + 1 (the engine is told that time)
                    d = devices[slashed]
                    mock_staking.mark_slashed(d, sender=owner)
                    sid = mock_staking.last_slash_id(d)
                    last[d] = sid
                    engine.record_slash(SlashRecord(sid, d, start + e * HOUR + 1_800, co_now[d] if hit else ZERO))
                    outcomes[sid] = (1, OVERTURNED, FINALIZED)[outcome]
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
            model.activate(built.leaves)
            for sid, o in outcomes.items():  # decided slashes are decided once their root is out
                mock_staking.set_slash_outcome(sid, o, sender=owner)
            for d in devices:
                for lf in built.leaves_of(d):
                    args = (*lf, built.proof(d, lf.co_staker))
                    try:
                        fx = model.apply(lf, wallet[d], last[d], lambda s: outcomes.get(s, 0))
                    except DistributorError as err:
                        assert distributor.preview_claim(*args).reason == err.reason
                        continue
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
        for d in devices:  # every party settled its whole cumulative (paid, held or forfeited)
            assert model.party(d).settled == distributor.settled_of(d, ZERO)[0] == engine.owner_cumulative[d]
            for c, amount in engine.co_cumulative.get(d, {}).items():
                assert model.party(d, c).settled == distributor.settled_of(d, c)[0] == amount

"""Differential: the Python Merkle tree (ionet.merkle) and the contract agree on every proof."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionet.merkle import MerkleTree
from tests.fuzz.helpers import chain_snapshot
from tests.rewards_helpers import dev, publish_and_activate, register


@settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amounts=st.lists(st.integers(1, 10**24), min_size=1, max_size=70),
    pick=st.integers(0, 10**6),
    flip=st.integers(0, 255),
)
def test_differential__random_trees__contract_accepts_every_python_proof(
    distributor, token, mock_staking, owner, operator, alice, fund, amounts, pick, flip
):
    """For a random tree, every (device, amount, proof) from Python verifies on chain (claimable ==
    amount); a proof with one flipped byte, or an amount off by one, does not; real claims pay."""
    with chain_snapshot():
        values = [(dev(1_000 + i), a) for i, a in enumerate(amounts)]
        tree = MerkleTree(values)
        total = sum(amounts)
        if total:
            fund(distributor, total)
        publish_and_activate(distributor, operator, tree)
        for i, (d, a) in enumerate(values):
            proof = tree.proof(i)
            assert distributor.claimable(d, a, proof) == a
            assert distributor.claimable(d, a + 1, proof) == 0
            if proof:
                bad = bytearray(proof[0])
                bad[flip % 32] ^= 1 + flip % 255
                assert distributor.claimable(d, a, [bytes(bad)] + proof[1:]) == 0
        # claim's inlined loop agrees with snekmate's _verify: real claims on up to 3 leaves
        for i in sorted({pick % len(values), (pick // 7) % len(values), (pick // 49) % len(values)}):
            d, a = values[i]
            register(mock_staking, d, alice)
            before = token.balanceOf(alice)
            distributor.claim(d, a, tree.proof(i), sender=alice)
            assert token.balanceOf(alice) - before == a

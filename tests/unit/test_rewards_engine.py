"""The Python rewards engine and Merkle builder (no chain): exact splits, OZ encoding, proofs."""

from __future__ import annotations

import random

from eth_abi import encode
from eth_hash.auto import keccak as eth_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ionet import IO
from ionet import emission as model
from ionet.merkle import MerkleTree, hash_pair, leaf_hash, process_proof
from ionet.rewards import (
    Device,
    RewardsEngine,
    device_score,
    devices_from_file,
    devices_to_file,
    read_claims,
    split_pro_rata,
)
from tests.rewards_helpers import dev


# ---------------------------------------------------------------- score and split
def test_device_score__published_formula__multiplier_times_processors():
    assert device_score(Device(dev(1), 100_000, 8)) == 800_000  # 8 x H100 (10x)
    assert device_score(Device(dev(1), 12_500, 1)) == 12_500  # RTX 4090 (1.25x)
    assert device_score(Device(dev(1), 100_000, 8, eligible=False)) == 0
    assert device_score(Device(dev(1), 0, 8)) == 0  # unsupported class


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(0, 10**30), scores=st.lists(st.integers(0, 10**9), min_size=1, max_size=40))
def test_split_pro_rata__sums_exactly_and_is_proportional(amount, scores):
    by_dev = {dev(i): s for i, s in enumerate(scores)}
    shares = split_pro_rata(amount, by_dev)
    total_score = sum(scores)
    if total_score == 0:
        assert shares == {}
        return
    assert sum(shares.values()) == amount
    for d, s in by_dev.items():
        exact_floor = amount * s // total_score
        assert exact_floor <= shares.get(d, 0) <= exact_floor + 1
        if s == 0:
            assert d not in shares


def test_engine__epochs__cumulative_sums_to_emission():
    devices = [
        Device(dev(1), 100_000, 8),
        Device(dev(2), 50_000, 4),
        Device(dev(3), 12_500, 1),
        Device(dev(4), 30_000, 8, eligible=False),
    ]
    eng = RewardsEngine(start_time=1_000)
    eng.run_until(48, devices)
    assert eng.total == model.cumulative_through(48)
    assert dev(4) not in eng.cumulative
    # weights 800k : 200k : 12.5k
    assert eng.cumulative[dev(1)] * 200_000 // 800_000 - eng.cumulative[dev(2)] in range(-48, 49)
    assert eng.through_time() == 1_000 + 48 * 3_600


def test_engine__no_eligible_device__carries_to_next_epoch():
    eng = RewardsEngine(start_time=0)
    eng.run_until(2, lambda e: [Device(dev(1), 10_000, 1, eligible=e > 1)])
    assert eng.cumulative[dev(1)] == model.cumulative_through(2) and eng.carried == 0
    eng.run_until(3, [Device(dev(1), 10_000, 1, eligible=False)])
    assert eng.carried == model.emission_of(3) and eng.total == model.cumulative_through(2)


def test_engine__recycled_forfeit__added_once():
    eng = RewardsEngine(start_time=0)
    eng.run_until(3, [Device(dev(1), 10_000, 1), Device(dev(2), 10_000, 1)], forfeited_to_recycle=5 * IO)
    assert eng.total == model.cumulative_through(3) + 5 * IO and eng.recycled == 5 * IO


def test_engine__save_load__roundtrip(tmp_path):
    eng = RewardsEngine(start_time=7)
    eng.run_until(5, [Device(dev(1), 10_000, 3), Device(dev(2), 20_000, 1)])
    eng.save(tmp_path / "state.json")
    back = RewardsEngine.load(tmp_path / "state.json")
    assert (back.cumulative, back.through_epoch, back.start_time) == (eng.cumulative, 5, 7)


def test_devices_file__roundtrip(tmp_path):
    devices = [Device(dev(1), 100_000, 8, True, "h100"), Device(dev(2), 0, 1, False, "old")]
    devices_to_file(devices, tmp_path / "devices.json")
    assert devices_from_file(tmp_path / "devices.json") == devices


# ---------------------------------------------------------------- Merkle tree
def oz_reference_tree(values: list[tuple[bytes, int]]) -> tuple[bytes, list[list[bytes]]]:
    """A slow, independent StandardMerkleTree (eth_abi encoding, eth_hash keccak), written from
    OpenZeppelin's merkle-tree source: sorted leaf hashes, array tree, leaves at the end."""
    leaves = [
        (eth_keccak(eth_keccak(encode(["bytes32", "uint256"], [d, a]))), i) for i, (d, a) in enumerate(values)
    ]
    leaves.sort()
    n = len(leaves)
    tree: list[bytes] = [b""] * (2 * n - 1)
    for j, (h, _) in enumerate(leaves):
        tree[len(tree) - 1 - j] = h
    for k in range(len(tree) - 1 - n, -1, -1):
        a, b = tree[2 * k + 1], tree[2 * k + 2]
        tree[k] = eth_keccak(b"".join(sorted([a, b])))
    proofs: list[list[bytes]] = [[] for _ in values]
    for j, (_, i) in enumerate(leaves):
        k = len(tree) - 1 - j
        while k > 0:
            proofs[i].append(tree[k - (-1) ** (k % 2)])
            k = (k - 1) // 2
    return tree[0], proofs


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(st.integers(0, 2**256 - 1), min_size=1, max_size=33))
def test_merkle__matches_independent_oz_reference(amounts):
    values = [(dev(i), a) for i, a in enumerate(amounts)]
    tree = MerkleTree(values)
    root, proofs = oz_reference_tree(values)
    assert tree.root == root
    assert [tree.proof(i) for i in range(len(values))] == proofs


def test_merkle__10000_leaves__every_proof_verifies():
    rng = random.Random(5)
    values = [(dev(i), rng.randrange(10**25)) for i in range(10_000)]
    tree = MerkleTree(values)
    hashes, lengths = tree.all_proofs()
    assert set(lengths.tolist()) == {13, 14}  # 2**13 < 10,000 <= 2**14
    for i, (d, a) in enumerate(values):
        proof = [bytes(hashes[i, j]) for j in range(int(lengths[i]))]
        assert process_proof(leaf_hash(d, a), proof) == tree.root
        if i % 1_000 == 0:
            assert proof == tree.proof(i)
            assert process_proof(leaf_hash(d, a + 1), proof) != tree.root


def test_merkle__single_leaf__root_is_leaf():
    tree = MerkleTree([(dev(1), 5)])
    assert tree.root == leaf_hash(dev(1), 5) and tree.proof(0) == []


def test_hash_pair__sorted__order_free():
    a, b = dev(1), dev(2)
    assert hash_pair(a, b) == hash_pair(b, a)


def test_rewards_tree__json__root_total_and_proofs(tmp_path):
    eng = RewardsEngine(start_time=0)
    eng.run_until(10, [Device(dev(i), 10_000 * (i + 1), i + 1) for i in range(7)])
    built = eng.build()
    data = read_claims(built.write(tmp_path / "rewards.json"))
    assert data["root"] == "0x" + built.root.hex() and int(data["total"]) == model.cumulative_through(10)
    assert data["through_epoch"] == 10 and data["through_time"] == 36_000
    for d_hex, c in data["claims"].items():
        proof = [bytes.fromhex(p[2:]) for p in c["proof"]]
        assert process_proof(leaf_hash(bytes.fromhex(d_hex[2:]), int(c["amount"])), proof) == built.root

"""The Python rewards engine and Merkle builder (no chain): exact splits, co-stakers per epoch,
slash checkpoints, reward and slash leaves in the OZ encoding, proofs, files."""

from __future__ import annotations

import random

import pytest
from eth_abi import encode
from eth_hash.auto import keccak as eth_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ionet import IO
from ionet.engines.merkle import (
    LEAF_TYPES,
    SLASH_LEAF_TYPES,
    ZERO_ADDRESS,
    MerkleTree,
    RewardLeaf,
    SlashLeaf,
    encode_leaf,
    hash_pair,
    leaf_hash,
    process_proof,
)
from ionet.engines.rewards import (
    Device,
    RewardsEngine,
    SlashRecord,
    address,
    claims_of,
    device_score,
    devices_from_chain,
    devices_from_file,
    devices_to_file,
    read_claims,
    slash_claims_of,
    slashes_from_file,
    split_pro_rata,
)
from ionet.models import emission as model
from tests.rewards_helpers import dev

CO_A = address("0x" + "aa" * 20)
CO_B = address("0x" + "bb" * 20)
HOUR = 3_600


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
    eng.record_slash(SlashRecord(3, dev(1), 7 + 2 * HOUR, CO_A))
    eng.record_slash(SlashRecord(4, dev(2), 7 + 9 * HOUR))  # still queued after epoch 5
    eng.run_until(5, [Device(dev(1), 10_000, 3, co_staker=CO_A, co_share_bps=1_000), Device(dev(2), 20_000, 1)])
    eng.save(tmp_path / "state.json")
    back = RewardsEngine.load(tmp_path / "state.json")
    assert (back.owner_cumulative, back.co_cumulative, back.through_epoch, back.start_time) == (
        eng.owner_cumulative,
        eng.co_cumulative,
        5,
        7,
    )
    assert back.slashes == eng.slashes and back.queued_slashes == eng.queued_slashes
    assert back.last_slash_id == 4 and back.build().root == eng.build().root


def test_engine__load_old_format__refused(tmp_path):
    (tmp_path / "state.json").write_text('{"start_time": 0, "through_epoch": 1, "cumulative": {}}')
    with pytest.raises(ValueError, match="engine state format"):
        RewardsEngine.load(tmp_path / "state.json")


def test_devices_file__roundtrip(tmp_path):
    devices = [
        Device(dev(1), 100_000, 8, True, "h100", CO_A, 2_500),
        Device(dev(2), 0, 1, False, "old"),
    ]
    devices_to_file(devices, tmp_path / "devices.json")
    assert devices_from_file(tmp_path / "devices.json") == devices


class FakeStaking:
    """A NodeStaking stand-in with the views devices_from_chain reads."""

    def __init__(self):
        self.ids = [dev(1), dev(2)]

    def device_count(self):
        return len(self.ids)

    def device_at(self, i):
        return self.ids[i - 1]

    def device_info(self, d):
        return ZERO_ADDRESS, b"H100".ljust(32, b"\0"), 8 if d == dev(1) else 2, ZERO_ADDRESS, 1

    def class_multiplier(self, cls):
        return 100_000

    def is_eligible(self, d):
        return d == dev(1)

    def reward_split(self, d):
        return ZERO_ADDRESS, ("0x" + "aa" * 20 if d == dev(1) else ZERO_ADDRESS), (2_000 if d == dev(1) else 0)


def test_devices_from_chain__reads_co_staker_and_share_from_reward_split():
    got = devices_from_chain(FakeStaking())
    assert got == [
        Device(dev(1), 100_000, 8, True, "H100", CO_A, 2_000),
        Device(dev(2), 100_000, 2, False, "H100", ZERO_ADDRESS, 0),
    ]


# ---------------------------------------------------------------- co-stakers and slashes
def test_engine__co_staker_in_force_each_epoch__split_per_epoch():
    """The co-staker and its share are sampled per epoch: a change of co-staker mid-run credits
    each one only the epochs it was in force; owner + co-stakers == the device's share, exactly."""
    by_epoch = {1: (CO_A, 2_500), 2: (CO_A, 2_500), 3: (CO_B, 5_000), 4: (ZERO_ADDRESS, 0)}

    def devices(e):
        co, share = by_epoch[e]
        return [Device(dev(1), 10_000, 1, co_staker=co, co_share_bps=share), Device(dev(2), 10_000, 1)]

    eng = RewardsEngine(start_time=0)
    shares = []
    for e in range(1, 5):
        shares.append(eng.run_epoch(devices(e))[dev(1)])
    assert eng.co_cumulative[dev(1)] == {
        CO_A: shares[0] * 2_500 // 10_000 + shares[1] * 2_500 // 10_000,
        CO_B: shares[2] * 5_000 // 10_000,
    }
    assert eng.device_total(dev(1)) == sum(shares) and eng.total == model.cumulative_through(4)
    leaves = eng.leaves()
    mine = [lf for lf in leaves if lf.device == dev(1)]
    assert [lf.co_staker for lf in mine] == sorted([CO_A, CO_B])
    assert {lf.owner_cumulative for lf in mine} == {eng.owner_cumulative[dev(1)]}  # every leaf carries it
    assert [lf for lf in leaves if lf.device == dev(2)] == [RewardLeaf(dev(2), eng.owner_cumulative[dev(2)])]
    built = eng.build()
    assert (
        built.total
        == eng.total
        == sum({lf.device: lf.owner_cumulative for lf in leaves}.values()) + sum(lf.co_cumulative for lf in leaves)
    )


def test_engine__slash_checkpoint__through_last_epoch_ended_at_or_before_it():
    devs = [Device(dev(1), 10_000, 1, co_staker=CO_A, co_share_bps=1_000), Device(dev(2), 10_000, 1)]
    eng = RewardsEngine(start_time=1_000)
    eng.record_slash(SlashRecord(7, dev(1), 1_000 + 2 * HOUR + 1_800, CO_A))  # inside epoch 3
    eng.record_slash(SlashRecord(8, dev(2), 1_000 + 3 * HOUR))  # exactly at the end of epoch 3
    assert len(eng.queued_slashes) == 2 and not eng.slashes
    owner_after, co_after = {}, {}
    for e in range(1, 6):
        eng.run_epoch(devs)
        owner_after[e] = dict(eng.owner_cumulative)
        co_after[e] = eng.co_cumulative[dev(1)][CO_A]
    (m1,), (m2,) = eng.slashes[dev(1)], eng.slashes[dev(2)]
    assert (m1.slash_id, m1.owner_at_slash, m1.co_at_slash) == (7, owner_after[2][dev(1)], co_after[2])
    assert (m2.slash_id, m2.owner_at_slash, m2.co_at_slash) == (8, owner_after[3][dev(2)], 0)
    leaves = {lf.device: lf for lf in eng.leaves()}
    assert leaves[dev(1)] == RewardLeaf(dev(1), owner_after[5][dev(1)], CO_A, co_after[5], 7, 7)
    assert (leaves[dev(2)].slash_id, leaves[dev(2)].co_slash_id) == (8, 0)
    assert eng.slash_leaves() == [
        SlashLeaf(dev(1), 7, 0, owner_after[2][dev(1)], CO_A, 0, co_after[2]),
        SlashLeaf(dev(2), 8, 0, owner_after[3][dev(2)], ZERO_ADDRESS, 0, 0),
    ]


def test_engine__overlapping_slashes__each_keeps_its_own_checkpoints_and_predecessors():
    """Issue 18, defect 2: every slash of a device gets its own slash leaf (its checkpoint, the
    device's slash before it, the co-staker it hit and that co-staker's slash before it), so a root
    that commits several slashes lets each hold exactly its own part."""
    devs = [Device(dev(1), 10_000, 1, co_staker=CO_A, co_share_bps=2_000)]
    eng = RewardsEngine(start_time=0)
    eng.run_until(1, devs)
    eng.record_slash(SlashRecord(1, dev(1), HOUR, CO_A))
    at1 = (eng.owner_cumulative[dev(1)], eng.co_cumulative[dev(1)][CO_A])
    eng.run_until(2, devs)
    eng.record_slash(SlashRecord(2, dev(1), 2 * HOUR))  # spares the co-staker
    at2 = eng.owner_cumulative[dev(1)]
    eng.run_until(3, devs)
    eng.record_slash(SlashRecord(3, dev(1), 3 * HOUR, CO_A))
    at3 = (eng.owner_cumulative[dev(1)], eng.co_cumulative[dev(1)][CO_A])
    eng.run_until(4, devs)
    assert eng.slash_leaves() == [
        SlashLeaf(dev(1), 1, 0, at1[0], CO_A, 0, at1[1]),
        SlashLeaf(dev(1), 2, 1, at2, ZERO_ADDRESS, 0, 0),
        SlashLeaf(dev(1), 3, 2, at3[0], CO_A, 1, at3[1]),
    ]
    (lf,) = eng.leaves()
    assert (lf.slash_id, lf.co_slash_id) == (3, 3)
    built = eng.build()
    for sl in eng.slash_leaves():
        args = built.settle_args(dev(1), sl.slash_id)
        assert tuple(args[:-1]) == tuple(sl) and process_proof(leaf_hash(sl), args[-1]) == built.root


def test_engine__slash_after_through_time__not_in_leaves_until_reached():
    eng = RewardsEngine(start_time=0)
    eng.run_until(2, [Device(dev(1), 10_000, 1)])
    eng.record_slash(SlashRecord(1, dev(1), 2 * HOUR + 10))
    assert eng.leaves()[0].slash_id == 0  # a root through epoch 2 does not commit it
    eng.run_until(3, [Device(dev(1), 10_000, 1)])
    assert eng.leaves()[0].slash_id == 1 and eng.slashes[dev(1)][0].owner_at_slash == model.cumulative_through(2)


def test_engine__slash_at_through_time__applied_at_once():
    eng = RewardsEngine(start_time=0)
    eng.run_until(2, [Device(dev(1), 10_000, 1)])
    assert eng.record_slash(SlashRecord(1, dev(1), 2 * HOUR))
    assert eng.leaves()[0].slash_id == 1 and eng.slash_leaves()[0].owner_at == model.cumulative_through(2)


def test_engine__slash_spares_co_staker__co_at_slash_zero():
    devs = [Device(dev(1), 10_000, 1, co_staker=CO_A, co_share_bps=3_000)]
    eng = RewardsEngine(start_time=0)
    eng.run_until(2, devs)
    eng.record_slash(SlashRecord(1, dev(1), 2 * HOUR))  # Slashed.co_staker empty: co part was 0
    eng.run_until(3, devs)
    (lf,) = eng.leaves()
    (sl,) = eng.slash_leaves()
    assert lf.co_staker == CO_A and lf.slash_id == 1 and lf.co_slash_id == 0
    assert sl.co_staker == ZERO_ADDRESS and sl.co_at == 0 and sl.owner_at > 0


def test_engine__slash_recorded_late__raises_and_duplicates_ignored():
    eng = RewardsEngine(start_time=0)
    eng.run_until(3, [Device(dev(1), 10_000, 1)])
    with pytest.raises(ValueError, match="before the engine's through time"):
        eng.record_slash(SlashRecord(1, dev(1), HOUR))
    assert eng.record_slashes([SlashRecord(2, dev(1), 3 * HOUR), SlashRecord(2, dev(1), 3 * HOUR)]) == 1
    assert not eng.record_slash(SlashRecord(1, dev(1), 3 * HOUR))  # an id already passed
    assert [m.slash_id for m in eng.slashes[dev(1)]] == [2]


# ---------------------------------------------------------------- Merkle tree
def oz_reference_tree(values: list[RewardLeaf | SlashLeaf]) -> tuple[bytes, list[list[bytes]]]:
    """A slow, independent StandardMerkleTree (eth_abi encoding, eth_hash keccak), written from
    OpenZeppelin's merkle-tree source: sorted leaf hashes, array tree, leaves at the end."""
    leaves = [
        (eth_keccak(eth_keccak(encode(SLASH_LEAF_TYPES if isinstance(v, SlashLeaf) else LEAF_TYPES, list(v)))), i)
        for i, v in enumerate(values)
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


U256 = st.integers(0, 2**256 - 1)
LEAVES = st.lists(
    st.one_of(
        st.tuples(U256, st.sampled_from([ZERO_ADDRESS, CO_A, CO_B]), U256, U256, U256),
        st.tuples(U256, U256, U256, st.sampled_from([ZERO_ADDRESS, CO_A, CO_B]), U256, U256),
    ),
    min_size=1,
    max_size=33,
)


@settings(max_examples=100, deadline=None)
@given(fields=LEAVES)
def test_merkle__matches_independent_oz_reference(fields):
    """Both leaf kinds in one tree, each encoded as OpenZeppelin's StandardMerkleTree.of would
    with its own types."""
    values = [(RewardLeaf if len(f) == 5 else SlashLeaf)(dev(i), *f) for i, f in enumerate(fields)]
    tree = MerkleTree(values)
    root, proofs = oz_reference_tree(values)
    assert tree.root == root
    assert [tree.proof(i) for i in range(len(values))] == proofs


def test_merkle__10000_leaves__every_proof_verifies():
    rng = random.Random(5)
    values = [RewardLeaf(dev(i), rng.randrange(10**25), CO_A, rng.randrange(10**24), i % 3) for i in range(10_000)]
    tree = MerkleTree(values)
    hashes, lengths = tree.all_proofs()
    assert set(lengths.tolist()) == {13, 14}  # 2**13 < 10,000 <= 2**14
    for i, lf in enumerate(values):
        proof = [bytes(hashes[i, j]) for j in range(int(lengths[i]))]
        assert process_proof(leaf_hash(lf), proof) == tree.root
        if i % 1_000 == 0:
            assert proof == tree.proof(i) and tree.verify(i)
            assert process_proof(leaf_hash(lf._replace(co_slash_id=lf.co_slash_id + 1)), proof) != tree.root


def test_merkle__single_leaf__root_is_leaf():
    tree = MerkleTree([RewardLeaf(dev(1), 5)])
    assert tree.root == leaf_hash(RewardLeaf(dev(1), 5)) and tree.proof(0) == []


def test_encode_leaf__bad_fields__value_error():
    assert len(encode_leaf(RewardLeaf(dev(1), 5, CO_A, 1, 2, 3))) == 6 * 32
    assert len(encode_leaf(SlashLeaf(dev(1), 5, 1, 2, CO_A, 3, 4))) == 7 * 32
    for bad in (
        RewardLeaf(b"short", 1),
        RewardLeaf(dev(1), -1),
        RewardLeaf(dev(1), 2**256),
        RewardLeaf(dev(1), 1, "0x12"),
        SlashLeaf(dev(1), -1),
        SlashLeaf(dev(1), 1, 0, 2**256),
        SlashLeaf(dev(1), 1, 0, 0, "0x12"),
    ):
        with pytest.raises(ValueError):
            encode_leaf(bad)


def test_hash_pair__sorted__order_free():
    a, b = dev(1), dev(2)
    assert hash_pair(a, b) == hash_pair(b, a)


def test_rewards_tree__json__root_total_and_every_leaf_with_its_proof(tmp_path):
    eng = RewardsEngine(start_time=0)
    eng.record_slash(SlashRecord(1, dev(2), 4 * HOUR, CO_A))

    def devices(e):
        co = CO_A if e <= 5 else CO_B
        return [
            Device(dev(i), 10_000 * (i + 1), i + 1, co_staker=co if i == 2 else ZERO_ADDRESS, co_share_bps=2_000)
            for i in range(7)
        ]

    eng.run_until(10, devices)
    built = eng.build()
    data = read_claims(built.write(tmp_path / "rewards.json"))
    assert data["format"] == "ionet-rewards-v3" and data["leaf_encoding"] == LEAF_TYPES
    assert data["slash_leaf_encoding"] == SLASH_LEAF_TYPES
    ((sl, sproof),) = slash_claims_of(data, dev(2))
    assert sl == built.slash_leaves[0] and process_proof(leaf_hash(sl), sproof) == built.root
    assert built.settle_args(dev(2), 1) == (*sl, sproof) and slash_claims_of(data, dev(1)) == []
    assert data["root"] == "0x" + built.root.hex() and int(data["total"]) == model.cumulative_through(10)
    assert data["through_epoch"] == 10 and data["through_time"] == 36_000
    got = [lf for d_hex in data["claims"] for lf, _ in claims_of(data, bytes.fromhex(d_hex[2:]))]
    assert sorted(got) == sorted(built.leaves) and len(claims_of(data, dev(2))) == 2
    for d_hex in data["claims"]:
        for lf, proof in claims_of(data, bytes.fromhex(d_hex[2:])):
            assert process_proof(leaf_hash(lf), proof) == built.root
            assert built.claim_args(lf.device, lf.co_staker) == (*lf, proof)
    assert claims_of(data, dev(99)) == []


def test_read_claims__old_format__refused(tmp_path):
    (tmp_path / "old.json").write_text('{"format": "ionet-rewards-v2", "claims": {}}')
    with pytest.raises(ValueError, match="ionet-rewards-v3"):
        read_claims(tmp_path / "old.json")


def test_slashes_from_file__list__records_in_id_order(tmp_path):
    (tmp_path / "slashes.json").write_text(
        '[{"slash_id": 5, "device": "0x' + dev(2).hex() + '", "time": 7200},'
        ' {"slash_id": 4, "device": "0x' + dev(1).hex() + '", "time": 3600, "co_staker": "0x' + "aa" * 20 + '"}]'
    )
    recs = slashes_from_file(tmp_path / "slashes.json")
    assert recs == [SlashRecord(5, dev(2), 7_200, ZERO_ADDRESS), SlashRecord(4, dev(1), 3_600, CO_A)]
    eng = RewardsEngine(start_time=0)
    assert eng.record_slashes(recs) == 2 and eng.last_slash_id == 5
    devices = [Device(dev(1), 10_000, 1, co_staker=CO_A, co_share_bps=5_000), Device(dev(2), 10_000, 1)]
    eng.run_until(1, devices)
    own1, co1 = eng.owner_cumulative[dev(1)], eng.co_cumulative[dev(1)][CO_A]
    eng.run_until(2, devices)
    own2 = eng.owner_cumulative[dev(2)]
    eng.run_until(3, devices)
    (m1,), (m2,) = eng.slashes[dev(1)], eng.slashes[dev(2)]
    assert (m1.slash_id, m1.owner_at_slash, m1.co_at_slash) == (4, own1, co1)
    assert (m2.slash_id, m2.owner_at_slash) == (5, own2)

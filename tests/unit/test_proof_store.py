"""The proof store (ionet/serve/proofs.py): a rewards tree in SQLite gives the same leaves and the
same proofs as ionet.engines.merkle, read with one primary-key lookup per level (no chain)."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from ionet.engines.merkle import ZERO_ADDRESS, leaf_hash, process_proof
from ionet.engines.rewards import Device, RewardsEngine, SlashRecord, address
from ionet.serve.proofs import ProofStore, UnknownRoot, level_index, sibling_path
from tests.rewards_helpers import dev

CO_A = address("0x" + "aa" * 20)
CO_B = address("0x" + "bb" * 20)
HOUR = 3_600


def _engine(n_devices: int = 37) -> RewardsEngine:
    """Devices with and without co-stakers, one co-staker on two devices, overlapping slashes."""
    rng = random.Random(5)
    devs = [
        Device(
            dev(i),
            rng.choice([10_000, 30_000, 100_000]),
            rng.randint(1, 8),
            co_staker=(CO_A if i % 5 == 0 else CO_B if i % 7 == 0 else ZERO_ADDRESS),
            co_share_bps=(2_000 if i % 5 == 0 or i % 7 == 0 else 0),
        )
        for i in range(n_devices)
    ]
    eng = RewardsEngine(start_time=0)
    eng.run_until(2, devs)
    eng.record_slash(SlashRecord(1, dev(0), 2 * HOUR, CO_A))
    eng.record_slash(SlashRecord(2, dev(3), 2 * HOUR))
    eng.run_until(3, devs)
    eng.record_slash(SlashRecord(3, dev(0), 3 * HOUR))
    eng.run_until(5, devs)
    return eng


def test_level_index__heap_order__levels_left_to_right():
    assert [level_index(k) for k in range(7)] == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3)]
    assert sibling_path(0) == [] and sibling_path(5) == [6, 1]


def test_store__every_leaf_and_proof__equal_ionet_merkle(tmp_path):
    built = _engine().build()
    store = ProofStore(tmp_path / "p.sqlite")
    rid = store.add_tree(built)
    assert store.add_tree(built) == rid  # idempotent
    info = store.root_info(built.root)
    assert info["total"] == built.total and info["leaves"] == len(built.leaves) == 37 + 0 + 0 + 0
    assert info["slash_leaves"] == len(built.slash_leaves) == 3
    for i, lf in enumerate(built.leaves):
        ((got, node),) = store.reward_leaves(built.root, device=lf.device, party=lf.co_staker)
        assert got == lf and store.proof(built.root, node) == built.tree.proof(i)
        assert process_proof(leaf_hash(got), store.proof(built.root, node)) == built.root
    for d in built.devices:  # every leaf of a device, in the tree's order
        assert [lf for lf, _ in store.reward_leaves(built.root, device=d)] == built.leaves_of(d)
        assert [sl for sl, _ in store.slash_leaves(built.root, d)] == built.slash_leaves_of(d)
        for sl, node in store.slash_leaves(built.root, d):
            assert store.proof(built.root, node) == built.settle_args(d, sl.slash_id)[-1]
    co_a = store.reward_leaves(built.root, party=CO_A)
    assert {lf.device for lf, _ in co_a} == {lf.device for lf in built.leaves if lf.co_staker == CO_A} != set()
    assert store.reward_leaves(built.root, device=dev(999)) == []
    with pytest.raises(UnknownRoot):
        store.reward_leaves(b"\x01" * 32, device=dev(0))
    # a node row tampered with: the proof read from SQLite no longer leads to the root
    lf, node = store.reward_leaves(built.root, device=dev(1))[0]
    s = sibling_path(node)[0]
    level, idx = level_index(s)
    db = sqlite3.connect(tmp_path / "p.sqlite")
    with db:
        db.execute("UPDATE nodes SET hash = ? WHERE level = ? AND idx = ?", (b"\x00" * 32, level, idx))
    fresh = ProofStore(tmp_path / "p.sqlite", readonly=True)
    assert process_proof(leaf_hash(lf), fresh.proof(built.root, node)) != built.root


def test_store__from_rewards_json__same_root_and_proofs_and_wrong_root_refused(tmp_path):
    built = _engine(12).build()
    path = built.write(tmp_path / "rewards.json")
    store = ProofStore(tmp_path / "p.sqlite")
    store.add_json(path)
    for i, lf in enumerate(built.leaves):
        ((_, node),) = store.reward_leaves(built.root, device=lf.device, party=lf.co_staker)
        assert store.proof(built.root, node) == built.tree.proof(i)
    data = json.loads(path.read_text())
    data["root"] = "0x" + "11" * 32
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="the leaves make root"):
        ProofStore(tmp_path / "q.sqlite").add_json(path)

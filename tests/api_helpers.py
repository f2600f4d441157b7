"""Shared by the API's tests (tests/integration/test_api.py, test_dashboard_browser.py): a demo-like
economy on the session's suite, indexed and loaded into a proof store, and uvicorn in a thread.

    from tests.api_helpers import Server, demo_like_economy  # the fixture restored_suite: tests/integration/conftest.py
"""

from __future__ import annotations

import copy
import importlib
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from ape import chain

from ionet.chain.economy import Economy
from ionet.chain.rewards_ops import oracle_round
from ionet.chain.rewards_setup import ensure_device, stake_above_minimum
from ionet.engines.rewards import RewardsEngine
from ionet.serve.indexer import Indexer
from ionet.serve.proofs import ProofStore

DAY = 86_400


@pytest.fixture
def restored_suite(suite):
    """The suite, with its records restored after the test (the demo sections add to them)."""
    saved = (
        dict(vars(suite)),
        dict(suite.contracts),
        {name: copy.copy(record) for name, record in suite.manifest.contracts.items()},
    )
    yield suite
    vars(suite).clear()
    vars(suite).update(saved[0])
    suite.contracts.clear()
    suite.contracts.update(saved[1])
    suite.manifest.contracts.clear()
    suite.manifest.contracts.update(saved[2])


class Server:
    """uvicorn in a thread on a free loopback port."""

    def __init__(self, app) -> None:  # noqa: ANN001
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.http = requests.Session()

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.server.should_exit = True
        self.thread.join(5)

    def get(self, path: str, status: int = 200) -> dict:
        r = self.http.get(f"{self.url}{path}", timeout=30)
        assert r.status_code == status, (path, r.status_code, r.text[:500])
        return r.json()


def v(a: dict) -> int:
    """The integer of an API amount ({"value": "<decimal string>", ...})."""
    return int(a["value"])


@dataclass
class DemoLike:
    """What demo_like_economy made: the economy, three devices, two reward rounds (r1 active, r2
    pending), the co-staker, the index (synced) and the proof store (both roots)."""

    eco: Economy
    solo: bytes
    shared: bytes
    slashed: bytes
    co_staker: Any
    r1: Any
    r2: Any
    indexer: Indexer
    index_path: Path
    store: ProofStore
    proofs_path: Path


def demo_like_economy(suite, tmp_path: Path, roots: bool = True) -> DemoLike:  # noqa: ANN001
    """The demo's staking and settlement sections, three devices (one co-staked, one slashed), then two
    reward roots (#1 active with a co-staker and a slash to settle first, #2 pending; not with
    roots=False: r1 and r2 are None then), then the demo's vesting and IDE sections; indexed into
    tmp_path/index.sqlite, the trees in tmp_path/proofs.sqlite."""
    dist, sched, staking = suite.RewardsDistributor, suite.EmissionSchedule, suite.NodeStaking
    eco = Economy(suite=suite)
    for name in ("_demo_staking", "_demo_router"):
        importlib.import_module(f"scripts.{name}").run(eco)
    co_staker = eco.renter_y  # the demo's co-staker holds the most co-stakes one may

    solo = ensure_device(eco, "api/h100", eco.provider_a, None, 0, "H100", 8)
    shared = ensure_device(eco, "api/a100", eco.provider_b, co_staker, 2_000, "A100-80GB", 4)
    slashed = ensure_device(eco, "api/4090", eco.provider_c, None, 0, "RTX 4090", 2)
    engine = RewardsEngine(start_time=sched.START_TIME())
    eco.advance(DAY)
    stake_above_minimum(eco, slashed, eco.provider_c, staking.min_stake(slashed) // 5)
    staking.slash(slashed, staking.min_stake(slashed) // 10, b"\x02" * 32, False, sender=eco.operator)
    eco.advance(3_600)
    r1 = r2 = None
    if roots:
        r1 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)
        eco.advance(dist.ACTIVATION_DELAY_SECONDS())
        dist.activate_root(sender=eco.renter_x)
        eco.advance(DAY)
        r2 = oracle_round(dist, sched, staking, engine, eco.operator, tmp_path)
        assert dist.pending().root == r2.tree.root and dist.active().root == r1.tree.root
    for name in ("_demo_vesting", "_demo_ide"):  # after the roots: vesting moves the clock 4 years on
        importlib.import_module(f"scripts.{name}").run(eco)

    index_path, proofs_path = tmp_path / "index.sqlite", tmp_path / "proofs.sqlite"
    idx = Indexer(chain.provider.web3, suite.manifest, index_path)
    idx.sync()
    store = ProofStore(proofs_path)
    if roots:
        store.add_tree(r1.tree)
        store.add_json(r2.path)
    return DemoLike(eco, solo, shared, slashed, co_staker, r1, r2, idx, index_path, store, proofs_path)

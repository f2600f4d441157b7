"""The indexer follows the head safely (issue 20): after Anvil reorganises or rolls back blocks it had
indexed, its events and state equal a fresh index of the canonical chain and the contracts' views
(ionet/serve/index_check.py), nothing is duplicated, and `--follow` survives being killed and restarted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ape import chain

from ionet import IO
from ionet.manifest import ROOT
from ionet.serve.index_check import compare
from ionet.serve.indexer import Indexer, amount


def _rpc(method: str, *params):  # noqa: ANN202
    response = chain.provider.web3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response.get("result")


def _transfer_tx(token, sender, to, value) -> dict:  # noqa: ANN001
    """A transfer as a transaction request Anvil signs itself (for anvil_reorg's new blocks)."""
    return {"from": sender.address, "to": token.address, "data": "0x" + token.transfer.encode_input(to, value).hex(),
            "gas": hex(200_000)}


def _reorg(depth: int, txs: list[tuple[dict, int]]) -> None:
    """anvil_reorg: the last `depth` blocks are replaced by `depth` new blocks holding `txs`
    (each with its block's offset from the common ancestor); the replaced blocks' transactions are gone."""
    head = chain.blocks.head.number
    old = chain.provider.web3.eth.get_block(head)["hash"]
    _rpc("anvil_reorg", depth, [[tx, offset] for tx, offset in txs])
    assert chain.blocks.head.number == head and chain.provider.web3.eth.get_block(head)["hash"] != old


def _events(idx: Indexer) -> list[tuple]:
    return idx.query("SELECT block, log_index, tx, contract, event, args FROM events ORDER BY block, log_index")


def _balance(idx: Indexer, token, who) -> int:  # noqa: ANN001
    rows = idx.query("SELECT balance FROM token_balances WHERE token = ? AND account = ?", [token.address, who.address])
    return amount(rows[0][0]) if rows else 0


def _assert_canonical(idx: Indexer, suite, tmp_path: Path) -> None:  # noqa: ANN001
    """The index == a fresh index of the same chain (same confirmations) == the contracts' views, and
    every recent indexed event is in its transaction's canonical block."""
    fresh = Indexer(chain.provider.web3, suite.manifest, tmp_path / f"fresh-{time.monotonic_ns()}.sqlite",
                    confirmations=idx.confirmations)
    fresh.sync()
    assert idx.last_block() == fresh.last_block() == chain.blocks.head.number - idx.confirmations
    assert _events(idx) == _events(fresh)
    assert idx.state() == fresh.state()
    w3 = chain.provider.web3
    for block, tx in idx.query("SELECT DISTINCT block, tx FROM events WHERE block > ?", [idx.last_block() - 20]):
        assert w3.eth.get_transaction_receipt(tx)["blockNumber"] == block, tx
    if idx.confirmations == 0:
        result = compare(idx, suite.contracts, chain.blocks.head.timestamp)
        assert result.problems == [], "\n".join(result.problems[:20])
        assert result.checked > 10
    fresh.close()


def test_reorg__replaced_blocks__dropped_and_new_events_equal_a_fresh_index_and_the_views(
        suite, fund, alice, bob, carol, tmp_path):
    token = suite.IOToken
    fund(alice, 1_000 * IO)
    idx = Indexer(chain.provider.web3, suite.manifest, tmp_path / "index.sqlite")
    token.transfer(bob, 100 * IO, sender=alice)
    token.transfer(carol, 50 * IO, sender=alice)
    token.transfer(carol, 10 * IO, sender=bob)
    idx.sync()
    assert (_balance(idx, token, bob), _balance(idx, token, carol)) == (90 * IO, 60 * IO)
    # the three transfers' blocks replaced: one other transfer in the first new block, one in the third
    _reorg(3, [(_transfer_tx(token, alice, carol, 7 * IO), 0), (_transfer_tx(token, alice, bob, 1 * IO), 2)])
    idx.sync()
    assert (_balance(idx, token, bob), _balance(idx, token, carol)) == (1 * IO, 7 * IO)
    assert _balance(idx, token, alice) == token.balanceOf(alice) == 992 * IO
    assert [(r.fork, r.replayed) for r in idx.reorgs] == [(chain.blocks.head.number - 3, False)]
    _assert_canonical(idx, suite, tmp_path)
    idx.close()


def test_rollback__chain_shorter_than_the_index__rolled_back_then_follows_the_new_blocks(
        suite, fund, alice, bob, carol, tmp_path):
    token = suite.IOToken
    fund(alice, 1_000 * IO)
    idx = Indexer(chain.provider.web3, suite.manifest, tmp_path / "index.sqlite")
    for i in range(4):
        token.transfer(bob, (i + 1) * IO, sender=alice)
    idx.sync()
    indexed = idx.last_block()
    _rpc("anvil_rollback", 3)  # the last three transfers are gone, the chain is 3 blocks shorter
    assert chain.blocks.head.number == indexed - 3
    assert idx.sync() == 0
    assert idx.last_block() == indexed - 3 and idx.reorgs[-1].events == 3
    assert _balance(idx, token, bob) == token.balanceOf(bob) == 1 * IO
    _assert_canonical(idx, suite, tmp_path)
    token.transfer(carol, 5 * IO, sender=alice)  # a new block at a height indexed before
    token.transfer(carol, 1 * IO, sender=bob)
    assert idx.sync() == 2
    assert _balance(idx, token, carol) == 6 * IO and _balance(idx, token, bob) == 0
    _assert_canonical(idx, suite, tmp_path)
    idx.close()


def test_reorg__deeper_than_the_confirmations_and_the_undo_log__rolled_back_and_replayed(
        suite, fund, alice, bob, carol, tmp_path):
    token = suite.IOToken
    fund(alice, 1_000 * IO)
    w3 = chain.provider.web3
    # two confirmations: the undo log covers the reorg / no undo log (undo_blocks=0): a replay of the events
    logged = Indexer(w3, suite.manifest, tmp_path / "logged.sqlite", confirmations=2)
    unlogged = Indexer(w3, suite.manifest, tmp_path / "unlogged.sqlite", confirmations=2, undo_blocks=0)
    for i in range(6):
        token.transfer(bob if i % 2 else carol, (i + 1) * IO, sender=alice)
    for idx in (logged, unlogged):
        idx.sync()
        assert idx.last_block() == chain.blocks.head.number - 2
    assert logged.query("SELECT COUNT(*) FROM undo_log")[0][0] > 0
    assert unlogged.query("SELECT COUNT(*) FROM undo_log")[0][0] == 0
    # five blocks replaced (three of them indexed, two not yet confirmed): bob gets 3 IO, carol 4 IO
    _reorg(5, [(_transfer_tx(token, alice, bob, 3 * IO), 1), (_transfer_tx(token, alice, carol, 4 * IO), 3)])
    chain.mine(2)  # the new blocks confirmed: the index reaches them, the views hold at the head
    for idx, replayed in ((logged, False), (unlogged, True)):
        idx.sync()
        assert [r.replayed for r in idx.reorgs] == [replayed]
        assert idx.reorgs[0].events == 3  # the transfers of the three indexed blocks that were replaced
        _assert_canonical(idx, suite, tmp_path)
        idx.confirmations = 0  # the two empty blocks too: the views at the head apply
        idx.sync()
        _assert_canonical(idx, suite, tmp_path)
        assert _balance(idx, token, bob) == token.balanceOf(bob) == 3 * IO
        assert _balance(idx, token, carol) == token.balanceOf(carol) == 1 * IO + 4 * IO
        idx.close()


def test_reorg__a_file_indexed_before_hashes_were_kept__rolled_back_by_a_replay(suite, fund, alice, bob, tmp_path):
    """A file of the previous indexer (events and state, no block hashes, no undo log) continues: its last
    block is taken as canonical, and a reorg below it is replayed from its events, not 'undone' from an
    empty log."""
    token = suite.IOToken
    fund(alice, 1_000 * IO)
    token.transfer(bob, 10 * IO, sender=alice)
    token.transfer(bob, 20 * IO, sender=alice)
    path = tmp_path / "old.sqlite"
    idx = Indexer(chain.provider.web3, suite.manifest, path)
    idx.sync()
    with idx.db:  # what the previous version left
        idx.db.execute("DELETE FROM blocks")
        idx.db.execute("DELETE FROM undo_log")
        idx.db.execute("DELETE FROM meta WHERE key = 'undo_floor'")
    idx.close()
    idx = Indexer(chain.provider.web3, suite.manifest, path)
    _reorg(2, [(_transfer_tx(token, alice, bob, 1 * IO), 1)])
    idx.sync()
    assert [r.replayed for r in idx.reorgs] == [True]
    assert _balance(idx, token, bob) == token.balanceOf(bob) == 1 * IO
    _assert_canonical(idx, suite, tmp_path)
    idx.close()


def test_decode__every_log_of_the_deployment__the_same_args_as_web3(suite):
    """The indexer reads logs raw and decodes static words itself (for speed): every event of the
    deployed suite (tokens, vaults, staking, router, pools, Safe, ...) has web3's values, types and order."""
    from ionet.serve.indexer import _plain

    w3 = chain.provider.web3
    idx = Indexer(w3, suite.manifest, ":memory:")
    head = chain.blocks.head.number
    formatted = w3.eth.get_logs({"fromBlock": 0, "toBlock": head, "address": list(idx._contracts)})
    raw = idx._logs(0, head, list(idx._contracts))
    kinds = set()
    assert len(raw) == len(formatted)
    for log, web3_log in zip(raw, formatted, strict=True):
        ev = idx._decode(log)
        if ev is None:
            continue
        abi = idx._contracts[ev.address][2]
        web3_args = _plain(dict(getattr(w3.eth.contract(address=ev.address, abi=abi).events, ev.name)()
                                .process_log(web3_log)["args"]))
        assert list(ev.args.items()) == list(web3_args.items()), ev.name
        assert [type(v) for v in ev.args.values()] == [type(v) for v in web3_args.values()], ev.name
        assert (ev.tx, ev.log_index) == ("0x" + bytes(web3_log["transactionHash"]).hex(), web3_log["logIndex"])
        kinds.add((ev.kind, ev.name))
    assert len(kinds) > 20, kinds
    idx.close()


# ---------------------------------------------------------------- follow mode in a subprocess
def _follower(manifest: Path, db: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "ionet.serve.indexer", "--rpc", chain.provider.web3.provider.endpoint_uri, "--manifest",
         str(manifest), "--db", str(db), "--follow", "--interval", "0.1", "--confirmations", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_cli__python_m_ionet_indexer__builds_the_state_as_the_library_does(suite, fund, alice, tmp_path):
    """`python -m ionet.serve.indexer` ran as `__main__`, whose reducer registry was empty: it stored the events
    and built no state (on main: token_balances empty)."""
    fund(alice, 1_000 * IO)
    manifest, db = tmp_path / "manifest.json", tmp_path / "cli.sqlite"
    manifest.write_text(suite.manifest.to_json())
    done = subprocess.run(
        [sys.executable, "-m", "ionet.serve.indexer", "--rpc", chain.provider.web3.provider.endpoint_uri, "--manifest",
         str(manifest), "--db", str(db)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
        text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    idx = Indexer(chain.provider.web3, suite.manifest, db)
    assert _balance(idx, suite.IOToken, alice) == 1_000 * IO
    _assert_canonical(idx, suite, tmp_path)
    idx.close()


def _caught_up(db: Path, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Wait until the follower's file holds the chain's head block (by number and hash)."""
    w3 = chain.provider.web3
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        head = w3.eth.get_block("latest")
        try:
            with sqlite3.connect(db, timeout=5) as con:
                row = con.execute("SELECT b.hash FROM meta m JOIN blocks b ON b.number = CAST(m.value AS INTEGER) "
                                  "WHERE m.key = 'last_block'").fetchone()
        except sqlite3.OperationalError:  # the follower has not made its tables yet
            row = None
        if row and row[0] == "0x" + bytes(head["hash"]).hex():
            return
        time.sleep(0.1)
    raise AssertionError("the follower did not catch up")


def _started(proc: subprocess.Popen) -> str:
    """Wait for the follower's first line (it handles SIGINT/SIGTERM from then on)."""
    line = proc.stdout.readline()
    assert line.startswith("following "), line + proc.stdout.read()
    return line


def _stop(proc: subprocess.Popen, sig: int) -> str:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    return out


def test_follow__killed_restarted_and_reorganised__stops_cleanly_and_equals_a_fresh_index(
        suite, fund, alice, bob, carol, tmp_path):
    token = suite.IOToken
    fund(alice, 1_000 * IO)
    manifest, db = tmp_path / "manifest.json", tmp_path / "follow.sqlite"
    manifest.write_text(suite.manifest.to_json())

    first = _follower(manifest, db)
    _caught_up(db, first)
    token.transfer(bob, 10 * IO, sender=alice)
    token.transfer(carol, 20 * IO, sender=alice)
    _caught_up(db, first)
    first.kill()  # no chance to clean up: every range is one transaction
    first.wait(timeout=30)

    # while it is down: the last two blocks replaced, and one new block
    _reorg(2, [(_transfer_tx(token, alice, carol, 3 * IO), 1)])
    token.transfer(bob, 4 * IO, sender=alice)
    second = _follower(manifest, db)
    _started(second)
    _caught_up(db, second)
    _reorg(1, [(_transfer_tx(token, alice, bob, 5 * IO), 0)])  # while it runs
    _caught_up(db, second)
    out = _stop(second, signal.SIGTERM)
    assert second.returncode == 0, out
    assert "reorg: blocks" in out and "stopped:" in out, out

    third = _follower(manifest, db)  # Ctrl-C
    _started(third)
    _caught_up(db, third)
    out = _stop(third, signal.SIGINT)
    assert third.returncode == 0 and "stopped:" in out, out

    idx = Indexer(chain.provider.web3, suite.manifest, db, confirmations=0)
    assert _balance(idx, token, bob) == token.balanceOf(bob) == 5 * IO
    assert _balance(idx, token, carol) == token.balanceOf(carol) == 3 * IO
    _assert_canonical(idx, suite, tmp_path)
    idx.close()

"""Speed of the event indexer (issue 20): a full index of a chain of 100,000+ events, and the rollback
of a deep reorganisation, timed on this machine.

    python -m benchmarks.bench_indexer                     # make index-bench; writes benchmarks/indexer.md
    python -m benchmarks.bench_indexer --events 20000 --no-write

The bench starts its own Anvil (a free port; `--rpc URL` uses a running one), deploys an IOToken
(the whole genesis to the bench's account) and the load generator contracts/mocks/BenchTransferSpray.vy,
which makes `--per-tx` IOToken transfers per transaction (one block each): `--events` Transfer events,
each a state change of two balances. It then times, with web3.py over HTTP as `python -m ionet.serve.indexer`:

- a full index near the head (every change written to the undo log: the default within 1,024 blocks
  of the head) and one far behind it (`undo_blocks=0`: no undo log, as for old history);
- the rollback of a reorganisation of the last `--reorg-blocks` blocks (Anvil's `anvil_reorg`, new
  blocks empty): through the undo log, and by the fallback (a replay of the stored events) on the
  index without one; then the re-index of the canonical (empty) blocks.

Events per second = events / wall seconds of that step. Not part of `make test` (minutes of CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ionet.manifest import ROOT, ContractRecord, Manifest
from ionet.serve.indexer import Indexer

OUT = Path(__file__).resolve().parent / "indexer.md"
GENESIS = 500_000_000 * 10**18


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bytecode(name: str) -> str:
    """A compiled contract's deployment bytecode from ape's build (`ape compile` makes it)."""
    types = json.loads((ROOT / ".build" / "__local__.json").read_text())["contractTypes"]
    if name not in types:
        raise SystemExit(f"{name} is not compiled: run `ape compile` first")
    return types[name]["deploymentBytecode"]["bytecode"]


def _deploy(w3, name: str, abi: list, *args) -> tuple[object, dict]:  # noqa: ANN001
    factory = w3.eth.contract(abi=abi, bytecode=_bytecode(name))
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact())
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi), receipt


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    sqlite = __import__("sqlite3").sqlite_version
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite}"


def build_chain(w3, events: int, per_tx: int) -> tuple[Manifest, int]:  # noqa: ANN001
    """The token, the generator, and `events` transfers; returns the manifest and the events made."""
    me = w3.eth.accounts[0]
    w3.eth.default_account = me
    token_abi = json.loads((ROOT / "abi" / "IOToken.json").read_text())
    token, receipt = _deploy(w3, "IOToken", token_abi, [me], [GENESIS])
    spray_abi = [{"type": "function", "name": "spray", "stateMutability": "nonpayable", "outputs": [],
                  "inputs": [{"name": "token", "type": "address"}, {"name": "recipients", "type": "address[]"},
                             {"name": "count", "type": "uint256"}, {"name": "amount", "type": "uint256"}]}]
    spray, _ = _deploy(w3, "BenchTransferSpray", spray_abi)
    token.functions.transfer(spray.address, 10**9).transact()
    recipients = [w3.to_checksum_address(f"0x{i + 1:040x}") for i in range(32)]
    made = 1
    while made < events:
        count = min(per_tx, events - made)
        w3.eth.wait_for_transaction_receipt(
            spray.functions.spray(token.address, recipients, count, 1).transact({"gas": 40_000 + 15_000 * count}))
        made += count
    manifest = Manifest(chain_id=int(w3.eth.chain_id), network="bench", deployer=me, contracts={
        "IOToken": ContractRecord(address=token.address, tx="0x" + bytes(receipt["transactionHash"]).hex(),
                                  block=int(receipt["blockNumber"]), abi="abi/IOToken.json")})
    return manifest, made


def _count(idx: Indexer) -> int:
    return idx.query("SELECT COUNT(*) FROM events")[0][0]


def run(rpc: str, events: int, per_tx: int, reorg_blocks: int, chunk: int) -> tuple[list[tuple[str, ...]], dict]:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 600}))
    t0 = time.perf_counter()
    manifest, made = build_chain(w3, events, per_tx)
    build_s = time.perf_counter() - t0
    rows: list[tuple[str, ...]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-indexer-"))
    try:
        indexes = {}
        for label, undo_blocks in (("full index, near the head (undo log)", 1_024),
                                   ("full index, far behind the head (no undo log)", 0)):
            idx = Indexer(w3, manifest, work / f"{undo_blocks}.sqlite", confirmations=0, undo_blocks=undo_blocks)
            t = time.perf_counter()
            n = idx.sync(chunk=chunk)
            s = time.perf_counter() - t
            assert n == _count(idx) >= made, (n, made)  # the transfers and the token's deployment events
            made = n
            rows.append((label, f"{n:,}", f"{s:.1f}", f"{n / s:,.0f}"))
            indexes[undo_blocks] = idx
        head = int(w3.eth.block_number)
        removed = indexes[1_024].query("SELECT COUNT(*) FROM events WHERE block > ?", [head - reorg_blocks])[0][0]
        w3.provider.make_request("anvil_reorg", [reorg_blocks, []])
        for label, undo_blocks in ((f"rollback of a {reorg_blocks}-block reorg (undo log)", 1_024),
                                   (f"rollback of a {reorg_blocks}-block reorg (replay of the stored events)", 0)):
            idx = indexes[undo_blocks]
            t = time.perf_counter()
            reorg = idx.check_reorg()
            s = time.perf_counter() - t
            assert reorg is not None and reorg.events == removed and reorg.replayed == (undo_blocks == 0), reorg
            kept = _count(idx)
            what = f"{removed:,} removed" + (f", {kept:,} replayed" if reorg.replayed else "")
            rows.append((label, what, f"{s:.1f}", f"{removed / s:,.0f}"))
            idx.sync(chunk=chunk)
            assert idx.last_block() == head and _count(idx) == made - removed
        a, b = indexes[1_024].state(), indexes[0].state()
        assert a == b, "the two indexes differ after the reorg"
        for idx in indexes.values():
            idx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = {"events": made, "blocks": head, "build_s": build_s, "per_tx": per_tx, "chunk": chunk}
    return rows, info


def render(rows: list[tuple[str, ...]], info: dict) -> str:
    lines = [
        "# Indexer speed (issue 20)",
        "",
        "Written by `python -m benchmarks.bench_indexer` (`make index-bench`); not part of `make test`.",
        "",
        f"- Machine: {_machine()}; Anvil on loopback, web3.py over HTTP. The machine is shared with other",
        "  jobs: figures vary by up to ~2x between runs (a run under heavier load gave 8,600 events/s indexed).",
        f"- Chain: {info['events']:,} indexable events (IOToken `Transfer`s, {info['per_tx']:,} per transaction by "
        f"contracts/mocks/BenchTransferSpray.vy, one block each; {info['blocks']} blocks; built in "
        f"{info['build_s']:.0f} s). `eth_getLogs` over {info['chunk']} blocks per call.",
        "- Method: `Indexer.sync()` from an empty file (fetch logs, decode, store each event, apply the reducers, one",
        "  SQLite transaction per block range, WAL); then `anvil_reorg` replaces the last blocks by empty ones and",
        "  `Indexer.check_reorg()` is timed (walk back the stored hashes, roll back events and state).",
        "  Events per second = events / wall seconds of the step.",
        "",
        "| Step | Events | Seconds | Events / s |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    lines += [
        "",
        "The undo log costs the index near the head its triggers' writes (two balance rows per transfer); far",
        "behind the head (more than `undo_blocks`, default 1,024) nothing is logged. A reorg within the log is",
        "undone at the speed above, independent of the history's length; a deeper one (past the log) replays",
        "every stored event, O(history).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=100_000, help="indexable events on the chain (default 100,000)")
    p.add_argument("--per-tx", type=int, default=5_000, help="transfers per transaction (one block each)")
    p.add_argument("--reorg-blocks", type=int, default=10, help="depth of the timed reorg, in blocks")
    p.add_argument("--chunk", type=int, default=2, help="blocks per eth_getLogs call")
    p.add_argument("--rpc", default=None, help="a running Anvil (default: start one on a free port)")
    p.add_argument("--no-write", action="store_true", help="print the table, do not write benchmarks/indexer.md")
    args = p.parse_args(argv)
    anvil = None
    rpc = args.rpc
    if rpc is None:
        port = _free_port()
        anvil = subprocess.Popen([shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil"), "--port",
                                  str(port), "--silent", "--disable-block-gas-limit", "--max-persisted-states", "0"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rpc = f"http://127.0.0.1:{port}"
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
    try:
        rows, info = run(rpc, args.events, args.per_tx, args.reorg_blocks, args.chunk)
    finally:
        if anvil is not None:
            anvil.terminate()
            anvil.wait(timeout=30)
    text = render(rows, info)
    print(text)
    if not args.no_write:
        OUT.write_text(text)
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

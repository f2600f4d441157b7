"""An event indexer for ABI consumers: the state of every contract of a manifest, rebuilt from its
events alone (no contract calls) into a SQLite file, incrementally.

    python -m ionet.indexer --rpc http://127.0.0.1:8545 --manifest .build/deployment-ethereum-local.json \
        --db index.sqlite
    ape run index --manifest ... --db ...          # the same through ape's provider

Only web3.py, the committed ABIs (`abi/`, or the path each manifest record names) and the manifest
are needed. Every run continues from the last indexed block (`meta.last_block`), fetches logs in
chunks of blocks, decodes them with the ABIs, stores each one in `events` and applies it to the
state tables through the reducers of `ionet.index_state` (one function per event kind). Amounts are
stored as decimal TEXT (they exceed SQLite's 64-bit integers); `amount(...)` reads them back.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ionet.manifest import ROOT, Manifest

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL, contract TEXT NOT NULL,
    address TEXT NOT NULL, event TEXT NOT NULL, args TEXT NOT NULL, PRIMARY KEY (block, log_index));
"""


@dataclass(frozen=True)
class Event:
    """One decoded log: which manifest contract (key and kind = its ABI's name) and its arguments
    (addresses checksummed, bytes as 0x-hex, ints as int)."""

    block: int
    log_index: int
    tx: str
    contract: str  # manifest key, e.g. "VestingVault.seed"
    kind: str  # ABI name, e.g. "VestingVault"
    address: str
    name: str
    args: dict[str, Any]
    timestamp: int = 0


Reducer = Callable[[sqlite3.Connection, Event], None]
REDUCERS: dict[tuple[str, str], list[Reducer]] = {}


def reducer(kind: str, *names: str) -> Callable[[Reducer], Reducer]:
    """Register `fn(db, event)` for the events `names` of contracts whose ABI is `kind`."""

    def wrap(fn: Reducer) -> Reducer:
        for name in names:
            REDUCERS.setdefault((kind, name), []).append(fn)
        return fn

    return wrap


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def amount(value: Any) -> int:
    """An amount column (decimal TEXT) as int; NULL as 0."""
    return 0 if value is None else int(value)


class Indexer:
    def __init__(self, w3: Any, manifest: Manifest, db_path: str | Path, abi_root: Path = ROOT) -> None:
        from ionet import index_state  # noqa: F401  (registers the reducers)

        self.w3 = w3
        self.manifest = manifest
        self.db = sqlite3.connect(str(db_path))
        self.db.executescript(SCHEMA)
        index_state.create_tables(self.db)
        self._contracts: dict[str, tuple[str, str, Any]] = {}  # address -> (key, kind, web3 contract)
        self._topics: dict[tuple[str, bytes], str] = {}  # (address, topic0) -> event name
        for key, rec in manifest.contracts.items():
            abi_path = abi_root / rec.abi
            if not abi_path.exists():
                continue  # e.g. a test double's ABI under .build/ that is not there
            abi = json.loads(abi_path.read_text())
            if isinstance(abi, dict):  # a published artifact (Uniswap, Safe): its "abi" field
                abi = abi["abi"]
            address = w3.to_checksum_address(rec.address)
            contract = w3.eth.contract(address=address, abi=abi)
            kind = Path(rec.abi).stem
            self._contracts[address] = (key, kind, contract)
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    sig = f"{item['name']}({','.join(_type(i) for i in item['inputs'])})"
                    self._topics[(address, bytes(w3.keccak(text=sig)))] = item["name"]
        self._start = min((rec.block for rec in manifest.contracts.values()), default=0)

    # ------------------------------------------------------------ meta
    def last_block(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_block'").fetchone()
        return int(row[0]) if row else self._start - 1

    def _set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    # ------------------------------------------------------------ sync
    def sync(self, to_block: int | None = None, chunk: int = 2_000,
             progress: Callable[[int, int, int], None] | None = None) -> int:
        """Index every block after the last indexed one up to `to_block` (default: the head).
        Calls `progress(done_block, to_block, events_so_far)` after each chunk. Returns the number
        of events indexed in this run."""
        head = self.w3.eth.block_number if to_block is None else to_block
        start = self.last_block() + 1
        added = 0
        addresses = list(self._contracts)
        block = start
        while block <= head:
            stop = min(head, block + chunk - 1)
            query = {"fromBlock": block, "toBlock": stop, "address": addresses}
            logs = self.w3.eth.get_logs(query) if addresses else []
            events = [e for e in (self._decode(log) for log in logs) if e is not None]
            events.sort(key=lambda e: (e.block, e.log_index))
            with self.db:
                for ev in events:
                    self._apply(ev)
                self._set_meta("last_block", stop)
            added += len(events)
            if progress:
                progress(stop, head, added)
            block = stop + 1
        return added

    def _decode(self, log: Any) -> Event | None:
        address = self.w3.to_checksum_address(log["address"])
        if not log["topics"]:
            return None
        name = self._topics.get((address, bytes(log["topics"][0])))
        if name is None:
            return None
        key, kind, contract = self._contracts[address]
        decoded = getattr(contract.events, name)().process_log(log)
        return Event(
            block=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            tx="0x" + bytes(log["transactionHash"]).hex(),
            contract=key,
            kind=kind,
            address=address,
            name=name,
            args=_plain(dict(decoded["args"])),
            timestamp=self._timestamp(int(log["blockNumber"])),
        )

    def _timestamp(self, block: int) -> int:
        cache = self.__dict__.setdefault("_ts", {})
        if block not in cache:
            cache[block] = int(self.w3.eth.get_block(block)["timestamp"])
        return cache[block]

    def _apply(self, ev: Event) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO events (block, log_index, tx, contract, address, event, args) "
            "VALUES (?,?,?,?,?,?,?)",
            (ev.block, ev.log_index, ev.tx, ev.contract, ev.address, ev.name, json.dumps(ev.args, default=str)),
        )
        for fn in REDUCERS.get((ev.kind, ev.name), []):
            fn(self.db, ev)

    # ------------------------------------------------------------ reading
    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        return self.db.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        self.db.close()


def _type(item: dict[str, Any]) -> str:
    """The canonical ABI type of an event input (tuples expanded)."""
    t = item["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in item["components"]) + ")" + t[len("tuple"):]
    return t


def main(argv: list[str] | None = None) -> int:
    from web3 import Web3

    p = argparse.ArgumentParser(description="Rebuild the suite's state from its events into SQLite.")
    p.add_argument("--rpc", required=True, help="JSON-RPC URL")
    p.add_argument("--manifest", required=True, help="deployment manifest (JSON)")
    p.add_argument("--db", required=True, help="SQLite file (created or continued)")
    p.add_argument("--chunk", type=int, default=2_000, help="blocks per eth_getLogs call")
    args = p.parse_args(argv)
    w3 = Web3(Web3.HTTPProvider(args.rpc))
    manifest = Manifest.from_json(Path(args.manifest).read_text())
    idx = Indexer(w3, manifest, args.db)
    n = idx.sync(chunk=args.chunk, progress=lambda b, h, e: print(f"\rblock {b:,}/{h:,}  events {e:,}", end=""))
    print(f"\nindexed {n:,} new events through block {idx.last_block():,} into {args.db}")
    idx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

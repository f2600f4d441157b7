"""The operator's journal: every action is an intent with an idempotency key, written before it is
sent, so that nothing is done twice or lost whatever fails (the deploy's journal, ionet/chain/journal.py,
applies the same ideas to one deployer; this one serves many roles and runs forever).

Life of an intent (status):

    planned   written by the plan (key unique: the same key never makes a second intent); its
              `items` (e.g. the booking-hours a record covers) are claimed by it while it is live
    signed    a transaction is signed for it: sender, nonce, fee, hash and raw bytes recorded
              BEFORE it is broadcast (a crash right after broadcasting loses nothing: the hash is
              known and looked up on restart)
    sent      broadcast
    mined     its receipt succeeded in block n (hash recorded)
    confirmed mined and `confirmations` blocks deep, the block still on the canonical chain
    failed    its receipt reverted: the reason is kept, its items released, it is never sent again
              unless someone calls `retry` on purpose
    dropped   never mined and its nonce taken by another transaction: nothing happened; its items
              are released and the plan may re-arm it (the same intent, sent again, `attempts` + 1)

A replacement (same nonce, a fee at least REPLACEMENT_BUMP higher) adds a transaction to the
intent; whichever of its transactions is mined is the one recorded.

`reconcile(view)` on restart (and on every cycle) settles every signed/sent/mined intent against
the chain: receipt by any of its hashes -> mined or failed; no receipt and the sender's mined nonce
past the intent's -> dropped; no receipt and the nonce not yet used -> still pending (the raw
transaction can be broadcast again, it is the same transaction); a mined intent whose block left the
canonical chain (reorg) goes back to sent.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SCHEMA_VERSION = 1
REPLACEMENT_BUMP_BPS = 1_000  # a replacement's fee must be >= 110 % of the replaced one's (nodes' rule)

PLANNED, SIGNED, SENT, MINED, CONFIRMED, FAILED, DROPPED = (
    "planned",
    "signed",
    "sent",
    "mined",
    "confirmed",
    "failed",
    "dropped",
)
LIVE = (PLANNED, SIGNED, SENT, MINED, CONFIRMED)  # statuses whose items are claimed
IN_FLIGHT = (SIGNED, SENT, MINED)

_DDL = """
CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    role TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    sender TEXT, nonce INTEGER, tx_hash TEXT,
    block_number INTEGER, block_hash TEXT,
    reason TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS intents_status ON intents (status);
CREATE TABLE IF NOT EXISTS txs (
    intent_id INTEGER NOT NULL REFERENCES intents (id),
    attempt INTEGER NOT NULL,
    tx_hash TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL, nonce INTEGER NOT NULL, max_fee INTEGER NOT NULL,
    raw TEXT,
    signed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    item TEXT NOT NULL,
    intent_id INTEGER NOT NULL REFERENCES intents (id),
    live INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS items_live ON items (item) WHERE live = 1;
CREATE INDEX IF NOT EXISTS items_intent ON items (intent_id);
"""


class JournalError(RuntimeError):
    pass


class DuplicateItem(JournalError):
    """An item (e.g. a booking-hour) is already claimed by a live intent."""


@dataclass(frozen=True)
class Intent:
    """An action the plan wants done. `key` is its idempotency key; `items` the units of work it
    covers (claimed while it is live, so no other intent can cover them)."""

    kind: str  # the contract call, e.g. "record_work_batch"
    key: str
    role: str  # oracle | operator | keeper | governance
    payload: dict[str, Any] = field(default_factory=dict)
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    id: int
    key: str
    kind: str
    role: str
    payload: dict[str, Any]
    status: str
    attempts: int
    sender: str | None
    nonce: int | None
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    reason: str | None


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    status: bool  # True: success
    block_number: int
    block_hash: str
    revert_reason: str | None = None


class ChainView(Protocol):
    """What reconciling needs from the chain (an RPC client, or a fake in tests)."""

    def receipt(self, tx_hash: str) -> Receipt | None: ...

    def nonce(self, account: str) -> int:  # transactions mined from `account` (the 'latest' count)
        ...

    def head(self) -> int: ...

    def block_hash(self, number: int) -> str | None: ...


@dataclass(frozen=True)
class Outcome:
    key: str
    outcome: str  # mined | confirmed | failed | dropped | pending | reorged
    detail: str = ""


_COLUMNS = "id, key, kind, role, payload, status, attempts, sender, nonce, tx_hash, block_number, block_hash, reason"


def _entry(row: tuple) -> Entry:
    return Entry(row[0], row[1], row[2], row[3], json.loads(row[4]), *row[5:])


class Journal:
    def __init__(self, path: str | Path, confirmations: int = 2, clock=time.time, durable: bool = True) -> None:
        self.path = str(path)
        self.confirmations = confirmations
        self.clock = clock
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")  # OFF: tests only
        self.db.executescript(_DDL)
        version = self.db.execute("SELECT value FROM journal_meta WHERE key = 'schema_version'").fetchone()
        if version is None:
            self.db.execute("INSERT INTO journal_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(version[0]) != SCHEMA_VERSION:
            raise JournalError(f"journal schema version {version[0]}, this code knows {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ reading
    def get(self, key: str) -> Entry | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM intents WHERE key = ?", (key,)).fetchone()
        return None if row is None else _entry(row)

    def entries(self, statuses: Iterable[str] | None = None, kind: str | None = None) -> list[Entry]:
        sql, args = f"SELECT {_COLUMNS} FROM intents WHERE 1=1", []
        if statuses is not None:
            st = list(statuses)
            sql += f" AND status IN ({','.join('?' * len(st))})"
            args += st
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        return [_entry(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def keys_of(self, kind: str, statuses: Iterable[str]) -> list[str]:
        """Keys of the intents of `kind` in `statuses`, oldest first (no payload decoded)."""
        st = list(statuses)
        rows = self.db.execute(
            f"SELECT key FROM intents WHERE kind = ? AND status IN ({','.join('?' * len(st))}) ORDER BY id", (kind, *st)
        )
        return [k for (k,) in rows]

    def keys(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT key FROM intents")}

    def live_items(self, prefix: str = "") -> set[str]:
        """Items claimed by live intents (planned .. confirmed), optionally those starting with `prefix`."""
        rows = self.db.execute(
            "SELECT item FROM items WHERE live = 1 AND item >= ? AND item < ?", (prefix, prefix + "\U0010ffff")
        )
        return {i for (i,) in rows}

    def live_items_under(self, prefixes: Iterable[str]) -> set[str]:
        """`live_items` for many prefixes (e.g. one per open booking), each an indexed range query."""
        out: set[str] = set()
        for prefix in prefixes:
            out.update(
                i
                for (i,) in self.db.execute(
                    "SELECT item FROM items WHERE live = 1 AND item >= ? AND item < ?", (prefix, prefix + "\U0010ffff")
                )
            )
        return out

    def items_of(self, key: str) -> list[str]:
        return [
            i
            for (i,) in self.db.execute(
                "SELECT item FROM items JOIN intents ON intents.id = items.intent_id "
                "WHERE intents.key = ? ORDER BY item",
                (key,),
            )
        ]

    def transactions(self, key: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT t.attempt, t.tx_hash, t.sender, t.nonce, t.max_fee, t.raw "
            "FROM txs t JOIN intents ON intents.id = t.intent_id WHERE intents.key = ? ORDER BY t.rowid",
            (key,),
        )
        return [dict(zip(("attempt", "tx_hash", "sender", "nonce", "max_fee", "raw"), r, strict=True)) for r in rows]

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM intents GROUP BY status"))

    # ------------------------------------------------------------ writing
    def _tx(self):
        journal = self

        class _T:
            def __enter__(self):
                journal.db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *_):
                journal.db.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _T()

    def write(self, intent: Intent) -> tuple[Entry, bool]:
        """Record `intent` before anything is sent. Returns (entry, created). An existing key is never
        a second intent: it is returned as it is (created False), except a DROPPED one, which is
        re-armed (proved never mined: same intent, sent again with the new payload, attempts + 1).
        DuplicateItem if one of its items is claimed by another live intent (nothing written)."""
        now = self.clock()
        with self._tx():
            existing = self.get(intent.key)
            if existing is not None and existing.status != DROPPED:
                return existing, False
            try:
                if existing is None:
                    cur = self.db.execute(
                        "INSERT INTO intents (key, kind, role, payload, status, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            intent.key,
                            intent.kind,
                            intent.role,
                            json.dumps(intent.payload, sort_keys=True),
                            PLANNED,
                            now,
                            now,
                        ),
                    )
                    intent_id = cur.lastrowid
                else:
                    intent_id = existing.id
                    self.db.execute(
                        "UPDATE intents SET payload = ?, status = ?, attempts = attempts + 1, sender = NULL, "
                        "nonce = NULL, tx_hash = NULL, block_number = NULL, block_hash = NULL, reason = NULL, "
                        "updated_at = ? WHERE id = ?",
                        (json.dumps(intent.payload, sort_keys=True), PLANNED, now, intent_id),
                    )
                    self.db.execute("DELETE FROM items WHERE intent_id = ?", (intent_id,))
                self.db.executemany(
                    "INSERT INTO items (item, intent_id) VALUES (?, ?)", [(i, intent_id) for i in intent.items]
                )
            except sqlite3.IntegrityError as err:
                raise DuplicateItem(f"{intent.key}: an item is already claimed by a live intent ({err})") from err
        entry = self.get(intent.key)
        assert entry is not None
        return entry, True

    def _set(self, key: str, expect: Iterable[str], **values: Any) -> Entry:
        entry = self.get(key)
        if entry is None:
            raise JournalError(f"no intent {key}")
        if entry.status not in tuple(expect):
            raise JournalError(f"{key} is {entry.status}, not {'/'.join(expect)}")
        values["updated_at"] = self.clock()
        cols = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE intents SET {cols} WHERE id = ?", (*values.values(), entry.id))
        out = self.get(key)
        assert out is not None
        return out

    def signed(self, key: str, sender: str, nonce: int, tx_hash: str, max_fee: int, raw: str | None = None) -> Entry:
        """A transaction for a planned intent is signed: recorded before it is broadcast."""
        with self._tx():
            entry = self._set(key, (PLANNED,), status=SIGNED, sender=sender, nonce=nonce, tx_hash=tx_hash)
            self.db.execute(
                "INSERT INTO txs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.id, entry.attempts, tx_hash, sender, nonce, max_fee, raw, self.clock()),
            )
        return entry

    def sent(self, key: str) -> Entry:
        return self._set(key, (SIGNED,), status=SENT)

    def replaced(self, key: str, tx_hash: str, max_fee: int, raw: str | None = None) -> Entry:
        """A stuck transaction is replaced: same sender and nonce, a fee at least 10 % higher."""
        entry = self.get(key)
        if entry is None or entry.status not in (SIGNED, SENT):
            raise JournalError(f"{key}: only a signed or sent intent can be replaced")
        last = self.transactions(key)[-1]
        if max_fee * 10_000 < last["max_fee"] * (10_000 + REPLACEMENT_BUMP_BPS):
            raise JournalError(f"{key}: replacement fee {max_fee} is not 10 % above {last['max_fee']}")
        with self._tx():
            self.db.execute(
                "INSERT INTO txs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.id, entry.attempts, tx_hash, entry.sender, entry.nonce, max_fee, raw, self.clock()),
            )
            return self._set(key, (SIGNED, SENT), status=SENT, tx_hash=tx_hash)

    def mined(self, key: str, receipt: Receipt) -> Entry:
        """Record a receipt of one of the intent's transactions: success -> mined, revert -> failed."""
        if receipt.tx_hash not in {t["tx_hash"] for t in self.transactions(key)}:
            raise JournalError(f"{key}: {receipt.tx_hash} is not one of its transactions")
        if not receipt.status:
            return self.failed(key, receipt.revert_reason or "reverted (no reason)", receipt)
        return self._set(
            key,
            (SIGNED, SENT, MINED),
            status=MINED,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
            block_hash=receipt.block_hash,
        )

    def failed(self, key: str, reason: str, receipt: Receipt | None = None) -> Entry:
        """The action reverted (or was refused before sending): failed for good, its items released."""
        with self._tx():
            extra: dict[str, Any] = {}
            if receipt is not None:
                extra = dict(tx_hash=receipt.tx_hash, block_number=receipt.block_number, block_hash=receipt.block_hash)
            entry = self._set(key, (PLANNED, SIGNED, SENT, MINED), status=FAILED, reason=reason, **extra)
            self.db.execute("UPDATE items SET live = 0 WHERE intent_id = ?", (entry.id,))
        return entry

    def dropped(self, key: str, detail: str) -> Entry:
        with self._tx():
            entry = self._set(
                key, (SIGNED, SENT, MINED), status=DROPPED, reason=detail, block_number=None, block_hash=None
            )
            self.db.execute("UPDATE items SET live = 0 WHERE intent_id = ?", (entry.id,))
        return entry

    def retry(self, key: str) -> Entry:
        """An operator's deliberate decision to try a failed intent again (never automatic)."""
        with self._tx():
            entry = self._set(
                key,
                (FAILED,),
                status=PLANNED,
                attempts=self.get(key).attempts + 1,  # type: ignore[union-attr]
                sender=None,
                nonce=None,
                tx_hash=None,
                block_number=None,
                block_hash=None,
            )
            try:
                self.db.execute("UPDATE items SET live = 1 WHERE intent_id = ?", (entry.id,))
            except sqlite3.IntegrityError as err:
                raise DuplicateItem(f"{key}: its items were claimed again meanwhile") from err
        return entry

    # ------------------------------------------------------------ the chain
    def reconcile(self, view: ChainView) -> list[Outcome]:
        """Settle every signed, sent or mined intent against the chain (see the module doc)."""
        out: list[Outcome] = []
        head = view.head()
        for e in self.entries(IN_FLIGHT):
            if e.status == MINED:
                if view.block_hash(e.block_number) != e.block_hash or view.receipt(e.tx_hash) is None:  # type: ignore[arg-type]
                    e = self._set(e.key, (MINED,), status=SENT, block_number=None, block_hash=None)
                    out.append(Outcome(e.key, "reorged", "its block left the canonical chain"))
                else:
                    if head - e.block_number + 1 >= self.confirmations:  # type: ignore[operator]
                        self._set(e.key, (MINED,), status=CONFIRMED)
                        out.append(Outcome(e.key, "confirmed"))
                    continue
            receipt = None
            for tx in reversed(self.transactions(e.key)):
                if tx["attempt"] == e.attempts:
                    receipt = view.receipt(tx["tx_hash"])
                    if receipt is not None:
                        break
            if receipt is not None:
                e = self.mined(e.key, receipt)
                if e.status == FAILED:
                    out.append(Outcome(e.key, "failed", e.reason or ""))
                elif head - receipt.block_number + 1 >= self.confirmations:
                    self._set(e.key, (MINED,), status=CONFIRMED)
                    out.append(Outcome(e.key, "confirmed", f"block {receipt.block_number}"))
                else:
                    out.append(Outcome(e.key, "mined", f"block {receipt.block_number}"))
            elif view.nonce(e.sender) > e.nonce:  # type: ignore[arg-type,operator]
                self.dropped(e.key, f"nonce {e.nonce} of {e.sender} used by another transaction")
                out.append(Outcome(e.key, "dropped", f"nonce {e.nonce} taken"))
            else:
                out.append(Outcome(e.key, "pending", f"nonce {e.nonce} not yet used: rebroadcast the raw transaction"))
        return out

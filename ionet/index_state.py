"""The state tables the indexer rebuilds from events, and one reducer per event kind.

Each table mirrors a view of a contract (the integration test compares them): a reducer applies
one event to the tables; nothing here calls a contract. Amounts are decimal TEXT (`_add` keeps
them exact).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ionet.indexer import Event, amount, reducer

ZERO = "0x" + "00" * 20

TABLES = """
CREATE TABLE IF NOT EXISTS token_balances (token TEXT, account TEXT, balance TEXT, PRIMARY KEY (token, account));
CREATE TABLE IF NOT EXISTS token_totals (token TEXT PRIMARY KEY, supply TEXT, minted TEXT, burned TEXT);
CREATE TABLE IF NOT EXISTS emission (contract TEXT PRIMARY KEY, recipient TEXT, total_emitted TEXT,
                                     through_epoch INTEGER);
"""


def create_tables(db: sqlite3.Connection) -> None:
    db.executescript(TABLES)


def _add(db: sqlite3.Connection, table: str, keys: dict[str, Any], column: str, delta: int) -> None:
    """table[keys].column += delta (the row is created at 0 when missing)."""
    where = " AND ".join(f"{k} = ?" for k in keys)
    row = db.execute(f"SELECT {column} FROM {table} WHERE {where}", tuple(keys.values())).fetchone()
    if row is None:
        cols = ", ".join([*keys, column])
        marks = ", ".join("?" * (len(keys) + 1))
        db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", (*keys.values(), str(delta)))
    else:
        db.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (str(amount(row[0]) + delta), *keys.values()))


def _set(db: sqlite3.Connection, table: str, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Upsert one row: keys identify it, values are written (ints as decimal TEXT)."""
    cols = {**keys, **{k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                       for k, v in values.items()}}
    names = ", ".join(cols)
    marks = ", ".join("?" * len(cols))
    updates = ", ".join(f"{k} = excluded.{k}" for k in values)
    conflict = ", ".join(keys)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
               tuple(cols.values()))


# ---------------------------------------------------------------- IOToken
@reducer("IOToken", "Transfer")
def _token_transfer(db: sqlite3.Connection, ev: Event) -> None:
    sender, receiver, value = ev.args["sender"], ev.args["receiver"], int(ev.args["value"])
    if sender != ZERO:
        _add(db, "token_balances", {"token": ev.address, "account": sender}, "balance", -value)
    else:
        _add(db, "token_totals", {"token": ev.address}, "minted", value)
        _add(db, "token_totals", {"token": ev.address}, "supply", value)
    if receiver != ZERO:
        _add(db, "token_balances", {"token": ev.address, "account": receiver}, "balance", value)
    else:
        _add(db, "token_totals", {"token": ev.address}, "burned", value)
        _add(db, "token_totals", {"token": ev.address}, "supply", -value)


# ---------------------------------------------------------------- EmissionSchedule
@reducer("EmissionSchedule", "RewardRecipientUpdated")
def _emission_recipient(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "emission", {"contract": ev.contract}, {"recipient": ev.args["new_recipient"]})


@reducer("EmissionSchedule", "EmissionMinted")
def _emission_minted(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "emission", {"contract": ev.contract},
         {"total_emitted": int(ev.args["total_emitted"]), "through_epoch": int(ev.args["through_epoch"])})

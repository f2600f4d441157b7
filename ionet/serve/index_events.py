"""What the indexer's reducers see and how they register: one decoded event, and the registry of
reducers per (contract kind, event name). Its own module so that the reducers (index_state) and the
indexer that runs them import it without importing each other."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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


def amount(value: Any) -> int:
    """An amount column (decimal TEXT) as int; NULL as 0."""
    return 0 if value is None else int(value)

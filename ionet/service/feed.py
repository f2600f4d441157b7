"""The usage feed: what the network's monitoring observed, one row per device per hour
(docs/usage-feed.md is the documented contract; this module is its only reader and writer).

    device_hours(device TEXT, hour INTEGER, up INTEGER, booking_id INTEGER NULL)   PK (device, hour)
    feed_meta(key TEXT PK, value TEXT)    schema_version, origin, complete_through

* `device`: the NodeStaking device id, '0x' + 64 lowercase hex digits.
* `hour`: the chain-time hour index, floor((block timestamp - origin) / 3600), where `origin` is
  the EmissionSchedule's START_TIME (so hourly emission epochs and IDE epochs fall on whole hours).
* `up`: 1 when the device served (or could serve) the whole hour, 0 when it was down in it.
* `booking_id`: the router booking the device served in that hour, NULL when idle. A rented device
  that goes down has one row (up = 0, booking_id = the booking) for the hour it failed in.
* `complete_through` (meta): the last hour for which every device's row is written. Readers never
  look past it: an hour without complete data is not stated, recorded or ended.

Writes are idempotent upserts: writing a row again for the same (device, hour) replaces it.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS feed_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS device_hours (
    device     TEXT    NOT NULL CHECK (length(device) = 66 AND substr(device, 1, 2) = '0x'),
    hour       INTEGER NOT NULL CHECK (hour >= 0),
    up         INTEGER NOT NULL CHECK (up IN (0, 1)),
    booking_id INTEGER CHECK (booking_id IS NULL OR booking_id > 0),
    PRIMARY KEY (device, hour)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS device_hours_booking ON device_hours (booking_id, hour) WHERE booking_id IS NOT NULL;
-- by hour, covering: an epoch's eligible hours per device are read from this index alone (3x faster than
-- the table at a million devices), whatever the feed's history
DROP INDEX IF EXISTS device_hours_hour;
CREATE INDEX IF NOT EXISTS device_hours_by_hour ON device_hours (hour, device, up);
"""


class FeedError(ValueError):
    """A feed that cannot be read as documented (wrong schema version, origin, bad row)."""


def device_key(device: bytes | str) -> str:
    """The feed's spelling of a device id: '0x' + 64 lowercase hex digits."""
    if isinstance(device, bytes | bytearray):
        if len(device) != 32:
            raise FeedError(f"a device id is 32 bytes, not {len(device)}")
        return "0x" + bytes(device).hex()
    text = device.lower()
    if not text.startswith("0x") or len(text) != 66:
        raise FeedError(f"not a device id: {device!r}")
    int(text, 16)
    return text


@dataclass(frozen=True)
class Row:
    device: str
    hour: int
    up: bool
    booking_id: int | None = None


class Feed:
    """One feed database. `origin` is required when creating it and checked when opening it."""

    def __init__(self, path: str | Path, origin: int | None = None, durable: bool = True) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a power cut may lose the last hours written (the monitor rewrites them: upserts);
        # OFF (durable=False) for tests and throwaway local feeds
        self.db.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
        self.db.executescript(_DDL)
        meta = self.meta()
        if "schema_version" not in meta:
            if origin is None:
                raise FeedError("a new feed needs its origin (the EmissionSchedule's START_TIME)")
            self._set_meta(schema_version=SCHEMA_VERSION, origin=origin, complete_through=-1)
        elif int(meta["schema_version"]) != SCHEMA_VERSION:
            raise FeedError(f"feed schema version {meta['schema_version']}, this reader knows {SCHEMA_VERSION}")
        elif origin is not None and int(meta["origin"]) != origin:
            raise FeedError(f"feed origin {meta['origin']} is not this network's {origin}")

    # ------------------------------------------------------------ meta
    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM feed_meta"))

    def _set_meta(self, **values: object) -> None:
        self.db.executemany(
            "INSERT INTO feed_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, str(v)) for k, v in values.items()],
        )

    @property
    def origin(self) -> int:
        return int(self.meta()["origin"])

    @property
    def complete_through(self) -> int:
        """The last hour whose rows are all written (-1: none)."""
        return int(self.meta()["complete_through"])

    def hour_of(self, timestamp: int) -> int:
        """The hour index of a chain timestamp."""
        return (timestamp - self.origin) // 3_600

    def hour_start(self, hour: int) -> int:
        return self.origin + hour * 3_600

    # ------------------------------------------------------------ writing (monitoring, the simulator)
    def write(self, rows: Iterable[Row], complete_through: int | None = None) -> int:
        """Upsert rows (same (device, hour) -> replaced) in one transaction, and optionally move the
        completeness mark (never backwards). Returns the number of rows written."""
        data = [(device_key(r.device), int(r.hour), 1 if r.up else 0, r.booking_id) for r in rows]
        for _d, hour, _u, b in data:
            if hour < 0 or (b is not None and b <= 0):
                raise FeedError(f"bad row at hour {hour} (booking {b})")
        self.db.execute("BEGIN")
        try:
            self.db.executemany(
                "INSERT INTO device_hours (device, hour, up, booking_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(device, hour) DO UPDATE SET up = excluded.up, booking_id = excluded.booking_id",
                data,
            )
            if complete_through is not None and complete_through > self.complete_through:
                self._set_meta(complete_through=complete_through)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(data)

    # ------------------------------------------------------------ reading (the operator)
    def horizon(self, before_hour: int) -> int:
        """The first hour not to read when acting before `before_hour`: min(before_hour,
        complete_through + 1). Hours at or after it are either not over or not fully written."""
        return min(before_hour, self.complete_through + 1)

    def booking_hours(self, before_hour: int, bookings: Iterable[int] | None = None) -> dict[int, list[int]]:
        """Booking -> the hours (ascending) its device was up serving it, for hours < the horizon.
        These are the booking-hours to record: the operator records each once."""
        out: dict[int, list[int]] = defaultdict(list)
        for b, h in self._by_booking(
            "SELECT booking_id, hour FROM device_hours WHERE booking_id IS NOT NULL AND up = 1 AND hour < ? {} "
            "ORDER BY booking_id, hour",
            before_hour,
            bookings,
        ):
            out[b].append(h)
        return dict(out)

    def _by_booking(self, sql: str, before_hour: int, bookings: Iterable[int] | None) -> list[tuple[int, int]]:
        end = self.horizon(before_hour)
        if bookings is None:
            return list(self.db.execute(sql.format(""), (end,)))
        ids = sorted(set(bookings))
        out: list[tuple[int, int]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            out += self.db.execute(sql.format(f"AND booking_id IN ({','.join('?' * len(chunk))})"), (end, *chunk))
        return out

    def booking_down_hour(self, before_hour: int, bookings: Iterable[int] | None = None) -> dict[int, int]:
        """Booking -> the first hour (< the horizon) in which its device was down while serving it:
        the bookings the operator ends early."""
        return dict(
            self._by_booking(
                "SELECT booking_id, MIN(hour) FROM device_hours "
                "WHERE booking_id IS NOT NULL AND up = 0 AND hour < ? {} GROUP BY booking_id",
                before_hour,
                bookings,
            )
        )

    def booking_devices(self, before_hour: int, bookings: Iterable[int] | None = None) -> dict[int, set[str]]:
        """Booking -> the devices the feed says served it (one, unless the feed is wrong)."""
        out: dict[int, set[str]] = defaultdict(set)
        for b, d in self._by_booking(
            "SELECT booking_id, device FROM device_hours WHERE booking_id IS NOT NULL AND hour < ? {} "
            "GROUP BY booking_id, device",
            before_hour,
            bookings,
        ):
            out[b].add(d)
        return dict(out)

    def eligible_hours(self, first_hour: int, hours: int) -> dict[str, int] | None:
        """Device -> hours up in [first_hour, first_hour + hours) (an IDE epoch: a day), or None while
        the feed is not complete through the range's last hour (nothing is stated on missing data)."""
        last = first_hour + hours - 1
        if self.complete_through < last:
            return None
        rows = self.db.execute(
            "SELECT device, SUM(up) FROM device_hours WHERE hour BETWEEN ? AND ? GROUP BY device ORDER BY device",
            (first_hour, last),
        )
        return {d: int(n) for d, n in rows}

    def down_in(self, hour: int) -> list[str]:
        """Devices with a row saying they were down in `hour`."""
        return [
            d
            for (d,) in self.db.execute(
                "SELECT device FROM device_hours WHERE hour = ? AND up = 0 ORDER BY device", (hour,)
            )
        ]

    def rows(self, device: str | bytes | None = None) -> list[Row]:
        if device is None:
            cur = self.db.execute("SELECT device, hour, up, booking_id FROM device_hours ORDER BY device, hour")
        else:
            cur = self.db.execute(
                "SELECT device, hour, up, booking_id FROM device_hours WHERE device = ? ORDER BY hour",
                (device_key(device),),
            )
        return [Row(d, h, bool(u), b) for d, h, u, b in cur]

    def close(self) -> None:
        self.db.close()

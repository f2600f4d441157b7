"""The usage feed's readers and the fleet simulator (no chain)."""

from __future__ import annotations

import pytest

from ionet.service.feed import Feed, FeedError, Row
from ionet.service.fleet import FleetSim

D1, D2, D3 = ("0x" + c * 64 for c in "abc")


@pytest.fixture
def feed(tmp_path):
    return Feed(tmp_path / "feed.db", origin=1_000, durable=False)


def test_feed_open__wrong_origin_or_schema__refused(tmp_path):
    with pytest.raises(FeedError, match="needs its origin"):
        Feed(tmp_path / "new.db")
    Feed(tmp_path / "f.db", origin=5).close()
    with pytest.raises(FeedError, match="origin 5 is not this network's 6"):
        Feed(tmp_path / "f.db", origin=6)
    f = Feed(tmp_path / "f.db")
    assert f.origin == 5 and f.complete_through == -1 and f.hour_of(5 + 7_200) == 2
    f.db.execute("UPDATE feed_meta SET value = '99' WHERE key = 'schema_version'")
    f.close()
    with pytest.raises(FeedError, match="schema version 99"):
        Feed(tmp_path / "f.db")


def test_feed_write__bad_rows__refused_nothing_written(feed):
    with pytest.raises(FeedError):
        feed.write([Row("0x12", 0, True)])
    with pytest.raises(FeedError):
        feed.write([Row(D1, -1, True)])
    with pytest.raises(FeedError):
        feed.write([Row(D1, 0, True, 0)])
    assert feed.rows() == []


def test_feed_write__same_hour_again__replaced_and_mark_never_back(feed):
    feed.write([Row(D1, 0, True, 7), Row(D2, 0, True)], complete_through=0)
    feed.write([Row(D1, 0, True, 7), Row(D2, 0, False)], complete_through=0)  # same hour again: replaced
    assert feed.rows() == [Row(D1, 0, True, 7), Row(D2, 0, False, None)]
    feed.write([], complete_through=5)
    feed.write([], complete_through=3)
    assert feed.complete_through == 5


def test_feed_readers__rows_past_the_horizon__never_read(feed):
    # booking 7 on D1: hours 0..3 up, down in hour 4; booking 8 on D2 hours 2..5 up; D3 idle, down in hour 3
    rows = [Row(D1, h, True, 7) for h in range(4)] + [Row(D1, 4, False, 7), Row(D1, 5, True)]
    rows += [Row(D2, h, True, 8 if h >= 2 else None) for h in range(6)]
    rows += [Row(D3, h, h != 3) for h in range(6)]
    feed.write(rows, complete_through=4)  # hour 5 written but not complete
    assert feed.booking_hours(10) == {7: [0, 1, 2, 3], 8: [2, 3, 4]}  # nothing past the completeness mark
    assert feed.booking_hours(3) == {7: [0, 1, 2], 8: [2]}  # nothing at or after the current hour
    assert feed.booking_hours(10, [8]) == {8: [2, 3, 4]}
    assert feed.booking_down_hour(10) == {7: 4}
    assert feed.booking_devices(10) == {7: {D1}, 8: {D2}}
    assert feed.booking_down_hour(4) == {}
    assert feed.down_in(3) == [D3] and feed.down_in(4) == [D1]
    assert feed.eligible_hours(0, 5) == {D1: 4, D2: 5, D3: 4}
    assert feed.eligible_hours(0, 6) is None  # hour 5 not complete: no statement on missing data


def _run(tmp_path, seed, hours, devices=20, name="f.db"):
    feed = Feed(tmp_path / name, origin=0, durable=False)
    sim = FleetSim(feed, devices_count=devices, seed=seed)
    next_id = 1
    log = []
    for h in range(hours):
        books, ends = sim.begin_hour(h)
        log.append(("ends", [e.booking_id for e in ends]))
        for r in books:
            if r.request_id % 7 == 0:
                sim.declined(r)  # the caller could not book it
                continue
            sim.booked(r, next_id)
            log.append(("book", r.device, r.hours, next_id))
            next_id += 1
        sim.end_hour(h)
    return feed, sim, log


def test_fleet_sim__same_seed__same_feed_and_requests(tmp_path):
    a, sa, la = _run(tmp_path, 7, 120, name="a.db")
    b, sb, lb = _run(tmp_path, 7, 120, name="b.db")
    c, _, lc = _run(tmp_path, 8, 120, name="c.db")
    assert la == lb and a.rows() == b.rows() and sa.stats == sb.stats
    assert la != lc


def test_fleet_sim__ten_days__bookings_contiguous_on_one_device(tmp_path):
    feed, sim, _ = _run(tmp_path, 3, 24 * 10)
    assert feed.complete_through == 24 * 10 - 1
    rows = feed.rows()
    assert len(rows) == 20 * 240
    by_booking: dict[int, list[Row]] = {}
    for r in rows:
        if r.booking_id is not None:
            by_booking.setdefault(r.booking_id, []).append(r)
    for b, rs in by_booking.items():
        assert len({r.device for r in rs}) == 1, f"booking {b} on two devices"
        hours = sorted(r.hour for r in rs)
        assert hours == list(range(hours[0], hours[0] + len(hours))), f"booking {b} not contiguous"
        downs = [r for r in rs if not r.up]
        assert len(downs) <= 1 and (not downs or downs[0].hour == hours[-1]), "a booking ends in the hour it failed"
    s = sim.stats
    assert s.bookings == len(by_booking)
    assert s.ended_down == sum(1 for rs in by_booking.values() if not rs[-1].up)


def test_fleet_sim__a_month_of_40_devices__realistic_uptime_and_rentals(tmp_path):
    """30 days of 40 devices: availability near the configured ~98.6 %, failures and repairs in
    balance, utilization in a plausible band, some renters ending early, some bookings ended by a failure."""
    _feed, sim, _ = _run(tmp_path, 11, 24 * 30, devices=40)
    s = sim.stats
    configured = sim.mean_availability()
    assert 0.97 < configured < 0.995
    assert abs(s.availability - configured) < 0.015, (s.availability, configured)
    assert 15 <= s.failures <= 150 and abs(s.failures - s.repairs) <= 40
    assert 0.2 < s.utilization < 0.9, s.utilization
    assert s.ended_early > 5 and s.ended_down >= 1 and s.completed > 20

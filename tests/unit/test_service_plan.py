"""The operator's decisions, one by one (pure functions of snapshot, feed and journal; no chain)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ionet.engines.rewards import RewardsEngine
from ionet.models.staking import CLASS_MULTIPLIERS
from ionet.service.feed import Feed, Row
from ionet.service.journal import Intent, Journal, Receipt
from ionet.service.plan import (
    APPEAL_SECONDS,
    MAX_BATCH,
    BookingState,
    DeviceState,
    DistributorState,
    EngineState,
    SlashSettlement,
    SlashState,
    Snapshot,
    plan_cycle,
    plan_due,
    plan_emission,
    plan_epochs,
    plan_expired,
    plan_records,
    plan_rewards,
)

HOUR, DAY = 3_600, 86_400
ORIGIN = 1_000_000 * HOUR
DEV = ["0x" + f"{i:064x}" for i in range(1, 130)]


@pytest.fixture
def feed(tmp_path):
    return Feed(tmp_path / "feed.db", origin=ORIGIN, durable=False)


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path / "journal.db", durable=False)


def snap(hour, bookings=(), devices=(), engine=None, **kw):
    return Snapshot(
        now=ORIGIN + hour * HOUR + 30,
        block=hour,
        origin=ORIGIN,
        bookings={b.booking_id: b for b in bookings},
        devices={d.device: d for d in devices},
        engine=engine,
        usd_targets=CLASS_MULTIPLIERS,
        **kw,
    )


def confirm(journal, intents):
    for i, intent in enumerate(intents):
        journal.write(intent)
        journal.signed(intent.key, "0xs", i, f"0x{intent.key}", 1)
        journal.mined(intent.key, Receipt(f"0x{intent.key}", True, 1, "0xb"))


def test_plan_records__120_bookings__batches_of_at_most_50_once(feed, journal):
    bookings = [BookingState(b, DEV[b], 10, 0, ORIGIN) for b in range(1, 121)]
    feed.write([Row(DEV[b], h, True, b) for b in range(1, 121) for h in range(3)], complete_through=2)
    p = plan_records(snap(3, bookings), feed, journal)
    assert [len(i.payload["booking_ids"]) for i in p.intents] == [50, 50, 20]
    assert all(n <= MAX_BATCH for i in p.intents for n in [len(i.payload["booking_ids"])])
    assert all(h == 3 for i in p.intents for h in i.payload["hours"])
    items = [x for i in p.intents for x in i.items]
    assert len(items) == len(set(items)) == 360
    assert plan_records(snap(3, bookings), feed, journal).keys() == p.keys()  # deterministic
    for i in p.intents:
        journal.write(i)
    assert plan_records(snap(3, bookings), feed, journal).intents == []  # in flight: nothing again
    assert plan_records(snap(9, bookings), feed, journal).intents == []  # later hours, nothing new in the feed


def test_plan_records__unfinished_or_incomplete_hours__not_recorded_and_capped(feed, journal):
    b = BookingState(1, DEV[1], 2, 0, ORIGIN)
    feed.write([Row(DEV[1], h, True, 1) for h in range(4)], complete_through=1)
    assert plan_records(snap(1, [b]), feed, journal).intents[0].payload["hours"] == [1]  # hour 1 not over
    assert plan_records(snap(5, [b]), feed, journal).intents[0].payload["hours"] == [2]  # hours 2, 3 not complete
    feed.write([], complete_through=3)
    p = plan_records(snap(5, [b]), feed, journal)  # 4 rows, 2 booked hours
    assert p.intents[0].payload["hours"] == [2] and "capped" in p.notes[0]
    p = plan_records(snap(5, [replace(b, recorded=1)]), feed, journal)  # the chain knows one already
    assert p.intents[0].payload["hours"] == [1]


def test_plan_records__closed_or_misattributed_booking__not_recorded(feed, journal):
    feed.write([Row(DEV[1], 0, True, 1), Row(DEV[2], 0, True, 2)], complete_through=0)
    p = plan_records(snap(1, [BookingState(1, DEV[1], 5, 0, ORIGIN, open=False)]), feed, journal)
    assert p.intents == []
    feed.write([Row(DEV[3], 1, True, 1)], complete_through=1)  # booking 1 is DEV[1]'s
    p = plan_records(snap(2, [BookingState(1, DEV[1], 5, 0, ORIGIN)]), feed, journal)
    assert p.intents == [] and "the feed is wrong" in p.notes[0]


def test_plan_records__device_down_while_rented__operator_end_with_final_hours(feed, journal):
    b = BookingState(1, DEV[1], 10, 0, ORIGIN)
    feed.write([Row(DEV[1], h, True, 1) for h in range(3)] + [Row(DEV[1], 3, False, 1)], complete_through=3)
    confirm(journal, plan_records(snap(2, [b]), feed, journal).intents)  # hours 0, 1 recorded
    p = plan_records(snap(4, [replace(b, recorded=2)]), feed, journal)
    [end] = p.intents
    assert end.kind == "operator_end_booking" and end.key == "operator_end_booking:1"
    assert end.payload == {"booking_id": 1, "final_hours": 1, "down_hour": 3} and end.role == "operator"
    assert set(end.items) == {"record_work:1:2", "end:1"}
    journal.write(end)
    assert plan_records(snap(5, [replace(b, recorded=2)]), feed, journal).intents == []


def test_plan_expired__past_end_and_grace__settled_once(journal):
    journal.write(Intent("operator_end_booking", "operator_end_booking:12", "operator", {}, ("end:12",)))
    b = BookingState(1, DEV[1], 2, 0, ORIGIN)  # (booking 12's end does not hide booking 1's)
    assert plan_expired(snap(2 + 23, [b]), journal).intents == []
    [i] = plan_expired(snap(2 + 24, [b]), journal).intents
    assert i.key == "settle_expired:1" and i.role == "keeper"
    journal.write(i)
    assert plan_expired(snap(2 + 30, [b]), journal).intents == []


def test_plan_emission__mintable__once_an_hour_through_the_engine_once_active(journal):
    assert plan_emission(snap(5, mintable=0), journal).intents == []
    [i] = plan_emission(snap(5, mintable=7), journal).intents
    assert i.key == "mint_due:5"
    journal.write(i)
    assert plan_emission(snap(5, mintable=7), journal).intents == []
    eng = EngineState(True, ORIGIN, DAY, 0, 0)
    assert plan_emission(snap(6, mintable=7, engine=eng), journal).keys() == ["sync_emission:6"]


def _fleet(feed, days, down=()):
    devices = [DeviceState(DEV[1], "H100", 8, True, 100_000), DeviceState(DEV[2], "RTX 4090", 1, True, 12_500)]
    rows = [Row(d.device, h, (d.device, h) not in down) for d in devices for h in range(days * 24)]
    feed.write(rows, complete_through=days * 24 - 1)
    return devices


def test_plan_epochs__a_day_of_feed__usd_is_target_x_processors_x_up_hours(feed, journal):
    devices = _fleet(feed, 1, down={(DEV[2], 5), (DEV[2], 6)})
    eng = EngineState(True, ORIGIN, DAY, 0, 0)
    [i] = plan_epochs(snap(24, devices=devices, engine=eng), feed, journal).intents
    assert i.key == "state_epoch:1" and i.role == "oracle"
    assert i.payload["devices"] == {DEV[1]: 100_000 * 8 * 24, DEV[2]: 12_500 * 1 * 22}
    assert i.payload["usd_owed"] == 100_000 * 8 * 24 + 12_500 * 22


def test_plan_epochs__ended_epochs__stated_in_order_once_then_settled_once(feed, journal):
    devices = _fleet(feed, 3)
    eng = EngineState(True, ORIGIN, DAY, 0, 0)
    assert plan_epochs(snap(23, devices=devices, engine=eng), feed, journal).intents == []  # not ended
    p = plan_epochs(snap(3 * 24, devices=devices, engine=eng), feed, journal)
    assert p.keys() == ["state_epoch:1", "state_epoch:2", "state_epoch:3"]  # catch-up, in order
    for i in p.intents:
        journal.write(i)
    assert plan_epochs(snap(3 * 24, devices=devices, engine=eng), feed, journal).intents == []
    # settle only what the chain has stated (a settle beside its statement could be mined first)
    eng = replace(eng, last_stated=2)
    assert plan_epochs(snap(3 * 24, devices=devices, engine=eng), feed, journal).keys() == ["settle:1", "settle:2"]
    eng = replace(eng, last_stated=3, last_settled=2)
    journal.write(Intent("settle", "settle:1", "keeper"))
    journal.write(Intent("settle", "settle:2", "keeper"))
    assert plan_epochs(snap(3 * 24, devices=devices, engine=eng), feed, journal).keys() == ["settle:3"]


def test_plan_epochs__missing_data_unknown_device_or_above_max__not_stated(feed, journal):
    devices = _fleet(feed, 1)
    eng = EngineState(True, ORIGIN, DAY, 0, 0)
    p = plan_epochs(snap(48, devices=devices, engine=eng), feed, journal)  # epoch 2: the feed stopped
    assert p.keys() == ["state_epoch:1"] and "no data, no statement" in p.notes[-1]
    feed.write([Row(DEV[9], h, True) for h in range(24)])
    p = plan_epochs(snap(24, devices=devices, engine=eng), feed, journal)
    assert any("unknown device" in n for n in p.notes) and DEV[9] not in p.intents[0].payload["devices"]
    p = plan_epochs(snap(24, devices=devices, engine=replace(eng, max_usd_per_epoch=1)), feed, journal)
    assert p.intents == [] and "above the engine's maximum" in p.notes[-1]
    assert plan_epochs(snap(24, devices=devices, engine=replace(eng, paused=True)), feed, journal).intents == []
    journal.write(p_one := Intent("state_epoch", "state_epoch:1", "oracle"))
    journal.failed(p_one.key, "IncentiveEngine: zero price")
    p = plan_epochs(snap(48, devices=devices, engine=eng), feed, journal)
    assert p.intents == [] and "failed" in p.notes[0]  # never retried by the plan


def test_plan_rewards__settled_epochs__root_from_stated_usd_then_activation(feed, journal):
    devices = _fleet(feed, 2)
    eng = EngineState(True, ORIGIN, DAY, 2, 2, released={1: 10**21, 2: 2 * 10**21})
    statements = plan_epochs(
        snap(48, devices=devices, engine=replace(eng, last_stated=0, last_settled=0)), feed, journal
    ).intents
    confirm(journal, statements)
    dist = DistributorState(DAY)
    rewards = RewardsEngine(start_time=ORIGIN)
    [pub] = plan_rewards(snap(49, devices=devices, engine=eng, distributor=dist), journal, rewards).intents
    assert pub.key == "publish_root:2" and pub.role == "oracle" and set(pub.items) == {"root_epoch:1", "root_epoch:2"}
    assert pub.payload["total"] == 3 * 10**21 and pub.payload["through_time"] == ORIGIN + 2 * DAY
    assert rewards.ide_through_epoch == 0  # the caller's engine untouched
    # a pending root still in its delay: wait; past it: publishing activates it (no separate activation)
    pending = DistributorState(DAY, pending_root_id=4, pending_published_at=ORIGIN + 40 * HOUR)
    p = plan_rewards(snap(49, devices=devices, engine=eng, distributor=pending), journal, rewards)
    assert p.intents == [] and "activation delay" in p.notes[0]
    p = plan_rewards(snap(64, devices=devices, engine=eng, distributor=pending), journal, rewards)
    assert p.keys() == ["publish_root:2"]
    # the publication written but not yet mined (its process killed): no activation beside it (it would
    # be sent after the publication, which activates the due root and leaves a fresh one pending: a revert)
    journal.write(p.intents[0])
    p = plan_rewards(snap(64, devices=devices, engine=eng, distributor=pending), journal, rewards)
    assert p.intents == [] and p.notes == ["publish_root:2 in flight (planned): no separate activation"]
    caught_up = RewardsEngine(start_time=ORIGIN)
    caught_up.ide_through_epoch = 2
    p = plan_rewards(snap(64, devices=devices, engine=eng, distributor=pending), journal, caught_up)
    assert p.keys() == ["activate_root:4"]


def test_plan_due__slashes_burn_retirement__planned_when_due(journal):
    eng = EngineState(True, ORIGIN, DAY, 3, 3, last_burn_epoch=2, burn_possible=True, retirable=5)
    slashes = (
        SlashState(1, DEV[1], ORIGIN, "pending"),
        SlashState(2, DEV[2], ORIGIN + DAY, "pending"),
        SlashState(3, DEV[3], ORIGIN, "finalized"),
    )
    s = snap(30 * 24, engine=eng, slashes=slashes, slash_settlements=(SlashSettlement(1, "pending", (1, 2)),))
    assert s.now >= ORIGIN + APPEAL_SECONDS
    p = plan_due(s, journal)
    assert p.keys() == ["settle_slash:1:pending", "finalize_slash:1", "buyback_and_burn:3"]  # no retirement
    p = plan_due(replace(s, retire_enabled=True), journal)
    assert p.keys()[-1] == "retire:3" and p.intents[-1].role == "governance"
    assert plan_due(replace(s, engine=replace(eng, last_burn_epoch=3)), journal).keys() == [
        "settle_slash:1:pending",
        "finalize_slash:1",
    ]


def test_plan_cycle__feed_of_another_network__nothing_planned(feed, journal):
    s = replace(snap(5, mintable=3), origin=ORIGIN + HOUR)
    p = plan_cycle(s, feed, journal)
    assert p.intents == [] and "origin" in p.notes[0]

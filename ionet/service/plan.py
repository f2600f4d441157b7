"""The operator's decisions as pure functions of (chain snapshot, usage feed, journal): each returns
the intents to write (with deterministic idempotency keys) and notes saying what it did not do and
why. Nothing here sends anything or changes any input; the rewards engine passed in is copied.

Keys and items (the journal refuses a second intent with the same key, and an item claimed by two
live intents):

    sync_emission:<hour> / mint_due:<hour>        emission due, once an hour at most (keeper)
    record_work_batch:h<hour>:<digest>            <= MAX_BATCH bookings (operator); items
                                                  record_work:<booking>:<feed hour>, one per booking-hour
    operator_end_booking:<booking>                the device went down while rented (operator); items
                                                  the final hours' record_work items and end:<booking>
    settle_expired:<booking>                      open past end + grace (keeper)
    state_epoch:<epoch>                           USD owed from the feed (oracle); payload keeps the
                                                  per-device USD, which the rewards tree needs later
    settle:<epoch>                                (keeper)
    publish_root:<last epoch>                     the cumulative tree through that IDE epoch (oracle);
                                                  items root_epoch:<e> for every epoch it adds
    activate_root:<root id>                       once the activation delay has passed (keeper)
    settle_slash:<slash id>:<phase>               a slash leaf with something to do (keeper)
    finalize_slash:<slash id>                     after the appeal window (keeper)
    buyback_and_burn:<last settled epoch>         (keeper)
    retire:<last settled epoch>                   only when governance enabled it (governance)

An intent whose key is in the journal is not planned again unless the journal says it was dropped
(proved never mined): a failed (reverted) intent is never retried by the plan.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ionet.engines.rewards import Device, RewardsEngine, device_usd_owed
from ionet.service.feed import Feed
from ionet.service.journal import DROPPED, FAILED, PLANNED, SENT, SIGNED, Intent, Journal

HOUR = 3_600
MAX_BATCH = 50  # bookings per record_work_batch transaction (the router takes up to 256)
GRACE_SECONDS = 86_400  # SettlementRouter.GRACE_SECONDS
APPEAL_SECONDS = 30 * 86_400  # NodeStaking.APPEAL_SECONDS

ROLES = {
    "record_work_batch": "operator",
    "operator_end_booking": "operator",
    "state_epoch": "oracle",
    "publish_root": "oracle",
    "retire": "governance",
}


def role_of(kind: str) -> str:
    return ROLES.get(kind, "keeper")


# ------------------------------------------------------------------ the chain, as the plan sees it
@dataclass(frozen=True)
class BookingState:
    booking_id: int
    device: str  # feed key
    hours: int  # booked
    recorded: int  # hours recorded so far
    start: int  # timestamp
    open: bool = True

    @property
    def end(self) -> int:
        return self.start + self.hours * HOUR


@dataclass(frozen=True)
class DeviceState:
    device: str  # feed key
    cls: str
    processors: int
    eligible: bool = True
    multiplier_bps: int = 0
    co_staker: str = "0x0000000000000000000000000000000000000000"
    co_share_bps: int = 0

    def rewards_device(self) -> Device:
        return Device(
            bytes.fromhex(self.device[2:]),
            self.multiplier_bps,
            self.processors,
            self.eligible,
            self.cls,
            self.co_staker,
            self.co_share_bps,
        )


@dataclass(frozen=True)
class EngineState:
    """IncentiveEngine."""

    active: bool
    start_time: int
    epoch_seconds: int
    last_stated: int
    last_settled: int
    last_burn_epoch: int = 0
    max_usd_per_epoch: int = 10**18
    paused: bool = False
    burn_possible: bool = False  # reserves(): usdc_to_buy or io_to_burn > 0
    retirable: int = 0
    released: Mapping[int, int] = field(default_factory=dict)  # settled epoch -> EpochSettled io released

    def epoch_end(self, epoch: int) -> int:
        return self.start_time + epoch * self.epoch_seconds

    def ended_epochs(self, now: int) -> int:
        return max(0, (now - self.start_time) // self.epoch_seconds) if self.active else 0


@dataclass(frozen=True)
class DistributorState:
    """RewardsDistributor."""

    activation_delay: int
    pending_root_id: int = 0  # 0: no pending root
    pending_published_at: int = 0
    active_through_time: int = 0
    funding_limit: int = 2**256 - 1


@dataclass(frozen=True)
class SlashState:
    slash_id: int
    device: str
    created_at: int
    outcome: str  # pending | overturned | finalized


@dataclass(frozen=True)
class SlashSettlement:
    """A slash leaf of the active tree whose `preview_settle_slash` has nothing against it."""

    slash_id: int
    phase: str  # the slash's outcome when previewed: pending | overturned | finalized
    args: tuple = ()  # settle_slash's arguments (device, slash_id, ..., proof)


@dataclass(frozen=True)
class Snapshot:
    now: int  # head block timestamp
    block: int
    origin: int  # EmissionSchedule START_TIME: hour 0 of the feed
    mintable: int = 0  # EmissionSchedule.mintable()
    bookings: Mapping[int, BookingState] = field(default_factory=dict)  # open bookings (others may be absent)
    devices: Mapping[str, DeviceState] = field(default_factory=dict)
    engine: EngineState | None = None
    distributor: DistributorState | None = None
    slashes: tuple[SlashState, ...] = ()
    slash_settlements: tuple[SlashSettlement, ...] = ()
    usd_targets: Mapping[str, int] = field(default_factory=dict)  # class -> USD per processor-hour (6 dp)
    retire_enabled: bool = False

    @property
    def hour(self) -> int:
        """The current (unfinished) hour index; hours before it are over."""
        return (self.now - self.origin) // HOUR


@dataclass
class Plan:
    intents: list[Intent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __iadd__(self, other: Plan) -> Plan:
        self.intents += other.intents
        self.notes += other.notes
        return self

    def keys(self) -> list[str]:
        return [i.key for i in self.intents]


def _wanted(journal: Journal, key: str) -> bool:
    """Plan `key` only if the journal has no such intent, or has it dropped (never mined)."""
    entry = journal.get(key)
    return entry is None or entry.status == DROPPED


def _intent(kind: str, key: str, payload: dict[str, Any], items: tuple[str, ...] = ()) -> Intent:
    return Intent(kind, key, role_of(kind), payload, items)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


# ------------------------------------------------------------------ every hour
def plan_emission(s: Snapshot, journal: Journal) -> Plan:
    """Mint the emission due (through the engine's `sync_emission` once it is active)."""
    p = Plan()
    if s.mintable <= 0:
        return p
    kind = "sync_emission" if s.engine is not None and s.engine.active else "mint_due"
    key = f"{kind}:{s.hour}"
    if _wanted(journal, key):
        p.intents.append(_intent(kind, key, {"mintable": s.mintable}))
    return p


def record_item(booking_id: int, hour: int) -> str:
    return f"record_work:{booking_id}:{hour}"


def plan_records(s: Snapshot, feed: Feed, journal: Journal) -> Plan:
    """Record every open booking's booking-hours from the feed that no live intent covers (hours
    before the current one and the feed's completeness mark), in batches of at most MAX_BATCH
    bookings; end early (`operator_end_booking`, with the final hours) the bookings whose device
    went down while rented."""
    p = Plan()
    open_ids = [b for b, bk in s.bookings.items() if bk.open]
    hours = feed.booking_hours(s.hour, open_ids)
    downs = feed.booking_down_hour(s.hour, open_ids)
    served_by = feed.booking_devices(s.hour, open_ids)
    claimed = journal.live_items_under(f"record_work:{b}:" for b in open_ids)
    claimed_by: dict[int, int] = {}
    for item in claimed:
        b = int(item.split(":")[1])
        claimed_by[b] = claimed_by.get(b, 0) + 1
    batch: list[tuple[int, list[int]]] = []
    for b in sorted(s.bookings):
        bk = s.bookings[b]
        if not bk.open:
            continue
        if served_by.get(b, {bk.device}) != {bk.device}:
            p.notes.append(
                f"booking {b} is on device {bk.device} but the feed has it served by "
                f"{sorted(served_by[b])}: not recorded nor ended (the feed is wrong)"
            )
            continue
        todo = [h for h in hours.get(b, []) if record_item(b, h) not in claimed]
        room = bk.hours - max(bk.recorded, claimed_by.get(b, 0))
        if len(todo) > room:
            p.notes.append(f"booking {b}: {len(todo)} hours in the feed, room for {max(room, 0)}: capped")
            todo = todo[: max(room, 0)]
        if b in downs:
            key = f"operator_end_booking:{b}"
            if _wanted(journal, key) and f"end:{b}" not in journal.live_items(f"end:{b}"):
                items = tuple(record_item(b, h) for h in todo) + (f"end:{b}",)
                p.intents.append(
                    _intent(
                        "operator_end_booking",
                        key,
                        {"booking_id": b, "final_hours": len(todo), "down_hour": downs[b]},
                        items,
                    )
                )
            continue
        if todo:
            batch.append((b, todo))
    for i in range(0, len(batch), MAX_BATCH):
        chunk = batch[i : i + MAX_BATCH]
        items = tuple(record_item(b, h) for b, hs in chunk for h in hs)
        key = f"record_work_batch:h{s.hour}:{_digest(list(items))}"
        if _wanted(journal, key):
            p.intents.append(
                _intent(
                    "record_work_batch",
                    key,
                    {"booking_ids": [b for b, _ in chunk], "hours": [len(hs) for _, hs in chunk]},
                    items,
                )
            )
    return p


def plan_expired(s: Snapshot, journal: Journal) -> Plan:
    """`settle_expired` every open booking past its end + grace (nobody sent its final record)."""
    p = Plan()
    for b, bk in sorted(s.bookings.items()):
        if bk.open and s.now >= bk.end + GRACE_SECONDS:
            key = f"settle_expired:{b}"
            if _wanted(journal, key) and f"end:{b}" not in journal.live_items(f"end:{b}"):
                p.intents.append(_intent("settle_expired", key, {"booking_id": b}, (f"end:{b}",)))
    return p


# ------------------------------------------------------------------ every IDE epoch
def epoch_usd_owed(s: Snapshot, feed: Feed, epoch: int) -> tuple[dict[str, int] | None, list[str]]:
    """Device -> USD owed for IDE epoch `epoch`: class target x processors x eligible (up) hours
    from the feed; None (and why) when the feed is not complete through the epoch or the epoch does
    not fall on whole hours of the feed."""
    e = s.engine
    assert e is not None
    offset = e.start_time - s.origin
    if offset % HOUR or e.epoch_seconds % HOUR:
        return None, [f"epoch {epoch}: the engine's epochs do not fall on the feed's hours"]
    per = e.epoch_seconds // HOUR
    first = offset // HOUR + (epoch - 1) * per
    up = feed.eligible_hours(first, per)
    if up is None:
        return None, [
            f"epoch {epoch}: the feed is complete through hour {feed.complete_through}, the epoch ends "
            f"with hour {first + per - 1}: not stated (no data, no statement)"
        ]
    notes, owed = [], {}
    # device_usd_owed is target x processors x hours (0 when ineligible): linear in the hours, so
    # each kind of device's USD for one hour is worked out once (1,000,000 devices: ~10 s less)
    per_hour: dict[tuple[str, int, bool], int] = {}
    for device, n in up.items():
        d = s.devices.get(device)
        if d is None:
            notes.append(f"epoch {epoch}: feed rows for unknown device {device}: ignored")
            continue
        kind = (d.cls, d.processors, d.eligible)
        if kind not in per_hour:
            per_hour[kind] = device_usd_owed(d.rewards_device(), s.usd_targets, 1)
        usd = per_hour[kind] * n
        if usd > 0:
            owed[device] = usd
    return owed, notes


def plan_epochs(s: Snapshot, feed: Feed, journal: Journal) -> Plan:
    """`state_epoch` every ended epoch after the last stated (in order, stopping at the first it
    cannot state), then `settle` every stated, unsettled epoch (in order)."""
    p = Plan()
    e = s.engine
    if e is None or not e.active:
        return p
    ended = e.ended_epochs(s.now)
    for epoch in range(e.last_stated + 1, ended + 1):
        key = f"state_epoch:{epoch}"
        entry = journal.get(key)
        if entry is not None and entry.status != DROPPED:
            if entry.status == FAILED:
                p.notes.append(f"{key} failed ({entry.reason}): later epochs wait for an operator")
                break
            continue  # in flight
        if e.paused:
            p.notes.append("the engine is paused: nothing stated")
            break
        owed, notes = epoch_usd_owed(s, feed, epoch)
        p.notes += notes
        if owed is None:
            break
        total = sum(owed.values())
        if total > e.max_usd_per_epoch:
            p.notes.append(
                f"epoch {epoch}: USD owed {total} above the engine's maximum {e.max_usd_per_epoch}: "
                "not stated (governance must raise the maximum or the feed is wrong)"
            )
            break
        p.intents.append(_intent("state_epoch", key, {"epoch": epoch, "usd_owed": total, "devices": owed}))
    # only what the chain says is stated: a settle sent beside its statement (another key, another
    # nonce sequence) could be mined first and revert
    for epoch in range(e.last_settled + 1, e.last_stated + 1):
        key = f"settle:{epoch}"
        if _wanted(journal, key):
            p.intents.append(_intent("settle", key, {"epoch": epoch}))
    return p


def plan_rewards(s: Snapshot, journal: Journal, rewards: RewardsEngine) -> Plan:
    """The rewards engine's cumulative tree through the last settled IDE epoch -> `publish_root`
    (the per-device USD of each epoch from its `state_epoch` intent, the IO it released from the
    chain), once the pending root, if any, may be replaced; `activate_root` once the delay passed."""
    p = Plan()
    e, dist = s.engine, s.distributor
    if dist is None:
        return p
    due = dist.pending_root_id and s.now >= dist.pending_published_at + dist.activation_delay
    if e is not None and e.active and e.last_settled > rewards.ide_through_epoch:
        last = e.last_settled
        key = f"publish_root:{last}"
        in_flight = journal.get(key)
        if in_flight is not None and in_flight.status in (PLANNED, SIGNED, SENT):
            # written by a process killed before it was mined: sending it activates the due root itself
            p.notes.append(f"{key} in flight ({in_flight.status}): no separate activation")
            return p
        if dist.pending_root_id and not due:
            p.notes.append(f"root {dist.pending_root_id} still in its activation delay: epoch {last}'s root waits")
        elif _wanted(journal, key):
            engine = copy.deepcopy(rewards)
            devices = [d.rewards_device() for d in s.devices.values()]
            epochs = []
            for epoch in range(rewards.ide_through_epoch + 1, last + 1):
                stated = journal.get(f"state_epoch:{epoch}")
                if stated is None or stated.status not in ("mined", "confirmed"):
                    p.notes.append(f"epoch {epoch} was not stated through this journal: no per-device USD, no root")
                    return p
                owed = {bytes.fromhex(d[2:]): usd for d, usd in stated.payload["devices"].items()}
                released = e.released.get(epoch, 0)
                engine.run_ide_epoch(epoch, e.epoch_end(epoch), devices, owed, released)
                epochs.append(
                    {
                        "epoch": epoch,
                        "end_time": e.epoch_end(epoch),
                        "io_released": released,
                        "devices": stated.payload["devices"],
                    }
                )
            tree = engine.build()
            if tree.total > dist.funding_limit:
                p.notes.append(f"tree total {tree.total} exceeds the distributor's funding {dist.funding_limit}")
                return p
            p.intents.append(
                _intent(
                    "publish_root",
                    key,
                    {
                        "root": "0x" + bytes(tree.root).hex(),
                        "total": tree.total,
                        "through_epoch": tree.through_epoch,
                        "through_time": tree.through_time,
                        "epochs": epochs,
                    },
                    tuple(f"root_epoch:{x['epoch']}" for x in epochs),
                )
            )
            return p  # publishing activates a due pending root itself
    if due:
        key = f"activate_root:{dist.pending_root_id}"
        if _wanted(journal, key):
            p.intents.append(_intent("activate_root", key, {"root_id": dist.pending_root_id}))
    return p


def replay_rewards(rewards: RewardsEngine, journal: Journal, devices: list[Device]) -> RewardsEngine:
    """Bring `rewards` up to the journal's confirmed roots: each mined/confirmed `publish_root`
    intent's epochs, in order (the journal is the engine's durable state)."""
    for key in journal.keys_of("publish_root", ("mined", "confirmed")):
        if int(key.split(":")[1]) <= rewards.ide_through_epoch:
            continue  # already in the engine (the key is the root's last epoch)
        entry = journal.get(key)
        assert entry is not None
        for ep in entry.payload["epochs"]:
            if ep["epoch"] <= rewards.ide_through_epoch:
                continue
            owed = {bytes.fromhex(d[2:]): usd for d, usd in ep["devices"].items()}
            rewards.run_ide_epoch(ep["epoch"], ep["end_time"], devices, owed, ep["io_released"])
    return rewards


# ------------------------------------------------------------------ whenever due
def plan_due(s: Snapshot, journal: Journal) -> Plan:
    """Slash settlements and finalizations, the buyback, retirement when governance enabled it."""
    p = Plan()
    for st in s.slash_settlements:
        key = f"settle_slash:{st.slash_id}:{st.phase}"
        if _wanted(journal, key):
            p.intents.append(_intent("settle_slash", key, {"slash_id": st.slash_id, "args": list(st.args)}))
    for sl in s.slashes:
        if sl.outcome == "pending" and s.now >= sl.created_at + APPEAL_SECONDS:
            key = f"finalize_slash:{sl.slash_id}"
            if _wanted(journal, key):
                p.intents.append(_intent("finalize_slash", key, {"slash_id": sl.slash_id}))
    e = s.engine
    if e is not None and e.active and e.last_settled:
        if e.burn_possible and e.last_stated == e.last_settled and e.last_burn_epoch < e.last_settled:
            key = f"buyback_and_burn:{e.last_settled}"
            if _wanted(journal, key):
                p.intents.append(_intent("buyback_and_burn", key, {"epoch": e.last_settled}))
        if s.retire_enabled and e.retirable > 0:
            key = f"retire:{e.last_settled}"
            if _wanted(journal, key):
                p.intents.append(_intent("retire", key, {"amount": e.retirable}))
    return p


def plan_cycle(s: Snapshot, feed: Feed, journal: Journal, rewards: RewardsEngine | None = None) -> Plan:
    """Everything due now, in sending order: emission, records and ends, expiries, epochs, rewards,
    the rest."""
    p = Plan()
    if feed.origin != s.origin:
        p.notes.append(f"the feed's origin {feed.origin} is not the chain's {s.origin}: nothing planned")
        return p
    p += plan_emission(s, journal)
    p += plan_records(s, feed, journal)
    p += plan_expired(s, journal)
    p += plan_epochs(s, feed, journal)
    if rewards is not None:
        p += plan_rewards(s, journal, rewards)
    p += plan_due(s, journal)
    return p

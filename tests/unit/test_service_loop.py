"""A simulated month: the fleet simulator writes the feed, the plan decides, the journal records,
and a fake chain (the contracts' rules that matter here, nothing else) applies what is mined.
Crashes between write and send and between send and record, a reverted batch and a nonce taken by
another sender: every booking-hour is recorded once, every epoch stated, settled and rooted once."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

import pytest

from ionet.engines.rewards import RewardsEngine
from ionet.models.staking import CLASS_MULTIPLIERS
from ionet.service.feed import Feed
from ionet.service.fleet import FleetSim
from ionet.service.journal import CONFIRMED, DROPPED, FAILED, Journal, Receipt
from ionet.service.plan import (
    BookingState,
    DeviceState,
    DistributorState,
    EngineState,
    Snapshot,
    plan_cycle,
    replay_rewards,
)

HOUR, DAY = 3_600, 86_400
ORIGIN = 1_700_000_000 - 1_700_000_000 % HOUR
IO = 10**18
PRICE = 400_000  # USDC units per IO


class Revert(Exception):
    pass


@dataclass
class FakeChain:
    """Blocks, nonces, receipts, a mempool, and the state the plan reads."""

    now: int = ORIGIN
    blocks: list[str] = field(default_factory=lambda: ["0xgenesis"])
    nonces: Counter = field(default_factory=Counter)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    mempool: dict[str, dict] = field(default_factory=dict)  # hash -> tx
    bookings: dict[int, dict] = field(default_factory=dict)
    next_booking: int = 1
    last_stated: int = 0
    last_settled: int = 0
    stated: dict[int, int] = field(default_factory=dict)
    released: dict[int, int] = field(default_factory=dict)
    pending_root: dict | None = None
    active_root: dict | None = None
    root_count: int = 0
    applied: list[str] = field(default_factory=list)  # intent keys whose transaction succeeded
    fail_next: dict[str, str] = field(default_factory=dict)  # kind -> reason to revert once
    steal: set[str] = field(default_factory=set)  # senders whose next nonce another process takes at the next block

    # ---------------------------------------------------------- ChainView
    def receipt(self, tx_hash):
        return self.receipts.get(tx_hash)

    def nonce(self, account):
        return self.nonces[account]

    def pending_nonce(self, account):
        queued = [t["nonce"] for t in self.mempool.values() if t["sender"] == account]
        return max([self.nonces[account] - 1, *queued]) + 1

    def head(self):
        return len(self.blocks) - 1

    def block_hash(self, number):
        return self.blocks[number] if number < len(self.blocks) else None

    # ---------------------------------------------------------- transactions
    def broadcast(self, tx):
        if tx["nonce"] >= self.nonces[tx["sender"]]:
            self.mempool[tx["hash"]] = tx

    def mine(self):
        number = len(self.blocks)
        block = f"0xblock{number}"
        self.blocks.append(block)
        for sender in self.steal:
            self.nonces[sender] += 1
        self.steal.clear()
        for tx in sorted(self.mempool.values(), key=lambda t: (t["sender"], t["nonce"])):
            if tx["nonce"] != self.nonces[tx["sender"]]:
                continue
            self.nonces[tx["sender"]] += 1
            before = {b: dict(bk) for b, bk in self.bookings.items() if bk["open"]}
            try:
                self.apply(tx)
                self.receipts[tx["hash"]] = Receipt(tx["hash"], True, number, block)
                self.applied.append(tx["key"])
            except Revert as err:
                self.bookings.update(before)  # all or nothing, as the contract
                self.receipts[tx["hash"]] = Receipt(tx["hash"], False, number, block, str(err))
        self.mempool.clear()

    def apply(self, tx):
        kind, p = tx["kind"], tx["payload"]
        if kind in self.fail_next:
            raise Revert(self.fail_next.pop(kind))
        if kind == "record_work_batch":
            assert len(p["booking_ids"]) <= 50
            for b, h in zip(p["booking_ids"], p["hours"], strict=True):
                self._record(b, h)
        elif kind == "operator_end_booking":
            bk = self._open(p["booking_id"])
            if p["final_hours"]:
                self._record(p["booking_id"], p["final_hours"])
            bk["open"] = False
        elif kind == "settle_expired":
            bk = self._open(p["booking_id"])
            if self.now < bk["start"] + bk["hours"] * HOUR + DAY:
                raise Revert("SettlementRouter: grace period not over")
            bk["open"] = False
        elif kind == "state_epoch":
            e = p["epoch"]
            if e <= self.last_stated:
                raise Revert("IncentiveEngine: epoch already stated")
            if e != self.last_stated + 1:
                raise Revert("IncentiveEngine: epoch out of order")
            if self.now < ORIGIN + e * DAY:
                raise Revert("IncentiveEngine: epoch not ended")
            self.last_stated, self.stated[e] = e, p["usd_owed"]
        elif kind == "settle":
            e = p["epoch"]
            if e <= self.last_settled:
                raise Revert("IncentiveEngine: epoch already settled")
            if e > self.last_stated:
                raise Revert("IncentiveEngine: epoch not stated")
            self.last_settled, self.released[e] = e, self.stated[e] * IO // PRICE
        elif kind == "publish_root":
            if self.pending_root:
                if self.now < self.pending_root["published_at"] + DAY:
                    raise Revert("RewardsDistributor: root pending")
                self.active_root, self.pending_root = self.pending_root, None
            if self.active_root and p["through_time"] <= self.active_root["through_time"]:
                raise Revert("RewardsDistributor: through time not after active root")
            self.root_count += 1
            self.pending_root = {**p, "published_at": self.now, "root_id": self.root_count}
        elif kind == "activate_root":
            if not self.pending_root or self.now < self.pending_root["published_at"] + DAY:
                raise Revert("RewardsDistributor: activation delay not passed")
            self.active_root, self.pending_root = self.pending_root, None
        # mint_due / sync_emission: nothing to check here

    def _open(self, b):
        bk = self.bookings.get(b)
        if bk is None or not bk["open"]:
            raise Revert("SettlementRouter: booking not open")
        return bk

    def _record(self, b, hours):
        bk = self._open(b)
        started = -(-(self.now - bk["start"]) // HOUR)
        if bk["recorded"] + hours > min(bk["hours"], started):
            raise Revert("SettlementRouter: hours exceed the booking")
        bk["recorded"] += hours
        if bk["recorded"] == bk["hours"]:
            bk["open"] = False

    # ---------------------------------------------------------- renters
    def book(self, device, hours):
        b = self.next_booking
        self.next_booking += 1
        self.bookings[b] = {
            "device": device,
            "hours": hours,
            "recorded": 0,
            "start": self.now,
            "open": True,
            "ended_by_renter": False,
        }
        return b

    def end_booking(self, b):
        bk = self._open(b)
        bk["open"], bk["ended_by_renter"] = False, True
        bk["started"] = min(bk["hours"], max(1, -(-(self.now - bk["start"]) // HOUR)))

    def snapshot(self, devices):
        return Snapshot(
            now=self.now,
            block=self.head(),
            origin=ORIGIN,
            mintable=1,
            bookings={
                b: BookingState(b, bk["device"], bk["hours"], bk["recorded"], bk["start"], True)
                for b, bk in self.bookings.items()
                if bk["open"]
            },
            devices=devices,
            engine=EngineState(True, ORIGIN, DAY, self.last_stated, self.last_settled, released=dict(self.released)),
            distributor=DistributorState(
                DAY,
                self.pending_root["root_id"] if self.pending_root else 0,
                self.pending_root["published_at"] if self.pending_root else 0,
            ),
            usd_targets=CLASS_MULTIPLIERS,  # the published USD targets per processor-hour: the same figures
        )


class Crash(Exception):
    pass


ROLE_KEYS = {"operator": "0xop", "oracle": "0xoracle", "keeper": "0xkeeper", "governance": "0xgov"}


@dataclass
class Operator:
    """The loop the chain-driving service will run, over the fake chain: reconcile, plan, write,
    sign (recorded), broadcast, mark sent. `crash` names a point to die at once."""

    chain: FakeChain
    journal_path: object
    feed: Feed
    devices: dict
    journal: Journal = None  # type: ignore[assignment]
    rewards: RewardsEngine = None  # type: ignore[assignment]
    crash: str | None = None
    restarts: int = 0

    def __post_init__(self):
        self.restart()

    def restart(self):
        if self.journal is not None:
            self.journal.close()
            self.restarts += 1
        self.journal = Journal(self.journal_path, confirmations=2, clock=lambda: 0.0, durable=False)
        self.rewards = RewardsEngine(start_time=ORIGIN)

    def _die(self, point):
        if self.crash == point:
            self.crash = None
            raise Crash(point)

    def cycle(self):
        j, c = self.journal, self.chain
        for out in j.reconcile(c):
            if out.outcome == "pending":  # signed, maybe never broadcast: the same raw transaction again
                tx = j.transactions(out.key)[-1]
                c.broadcast(_decode(tx["raw"]))
        replay_rewards(self.rewards, j, [d.rewards_device() for d in self.devices.values()])
        plan = plan_cycle(c.snapshot(self.devices), self.feed, j, self.rewards)
        for intent in plan.intents:
            j.write(intent)
        self._die("after write")
        for e in j.entries(["planned"]):
            sender = ROLE_KEYS[e.role]
            nonce = c.pending_nonce(sender)
            tx = {"key": e.key, "kind": e.kind, "payload": e.payload, "sender": sender, "nonce": nonce}
            tx["hash"] = "0x" + hashlib.sha256(repr(sorted(tx.items())).encode()).hexdigest()
            j.signed(e.key, sender, nonce, tx["hash"], 1_000, raw=_encode(tx))
            self._die("before broadcast")
            c.broadcast(tx)
            self._die("after broadcast")
            j.sent(e.key)
        c.mine()
        j.reconcile(c)


def _encode(tx):
    import json

    return json.dumps(tx, sort_keys=True)


def _decode(raw):
    import json

    return json.loads(raw)


def run_month(tmp_path, days=30, devices=16, seed=5, crashes=(), hooks=None):
    """Drive `days` simulated days; `crashes` maps an hour to a crash point; `hooks` an hour to a
    callable(chain, operator) run before the operator's cycle."""
    chain = FakeChain()
    feed = Feed(tmp_path / "feed.db", origin=ORIGIN, durable=False)
    sim = FleetSim(feed, devices_count=devices, seed=seed)
    devs = {
        d.device: DeviceState(d.device, d.profile.cls, d.profile.processors, True, CLASS_MULTIPLIERS[d.profile.cls])
        for d in sim.devices
    }
    op = Operator(chain, tmp_path / "journal.db", feed, devs)
    crashes = dict(crashes)
    for h in range(days * 24 + 2):
        chain.now = ORIGIN + h * HOUR + 60
        if hooks and h in hooks:
            hooks[h](chain, op)
        if h in crashes:
            op.crash = crashes[h]
        try:
            op.cycle()
        except Crash:
            op.restart()  # kill -9: a new process on the same journal
        if h >= days * 24:
            continue
        chain.now += 60
        books, ends = sim.begin_hour(h)
        for e in ends:
            if chain.bookings[e.booking_id]["open"]:
                chain.end_booking(e.booking_id)
        for r in books:
            sim.booked(r, chain.book(r.device, r.hours))
        sim.end_hour(h)
    for _ in range(26):  # the last records confirmed, the last root past its predecessor's delay
        chain.now += HOUR
        op.cycle()
    return chain, feed, sim, op


def check_once(chain, feed, op):
    j = op.journal
    confirmed_items = Counter(i for e in j.entries([CONFIRMED]) for i in j.items_of(e.key))
    assert all(n == 1 for n in confirmed_items.values())
    assert Counter(chain.applied) == Counter(set(chain.applied)), "an intent applied twice"
    up = feed.booking_hours(10**9)
    for b, bk in chain.bookings.items():
        recorded = {i for i in confirmed_items if i.startswith(f"record_work:{b}:")}
        assert len(recorded) == bk["recorded"], b
        assert recorded <= {f"record_work:{b}:{h}" for h in up.get(b, [])}
        if not bk["ended_by_renter"]:
            assert bk["recorded"] == len(up.get(b, [])), f"booking {b}: not every booking-hour recorded"
    return confirmed_items


def check_epochs(chain, days):
    assert chain.last_stated == days and chain.last_settled == days
    assert sorted(k for k in chain.applied if k.startswith("state_epoch:")) == sorted(
        f"state_epoch:{e}" for e in range(1, days + 1)
    )
    assert sorted(k for k in chain.applied if k.startswith("settle:")) == sorted(
        f"settle:{e}" for e in range(1, days + 1)
    )
    rooted = [k for k in chain.applied if k.startswith("publish_root:")]
    assert len(rooted) == len(set(rooted)) >= days // 2
    root = chain.pending_root or chain.active_root
    assert root["epochs"][-1]["epoch"] == days


def test_operator_loop__a_month__every_booking_hour_and_epoch_once(tmp_path):
    chain, feed, sim, op = run_month(tmp_path, days=30, devices=10)
    items = check_once(chain, feed, op)
    check_epochs(chain, 30)
    assert len(items) > 1_000 and sim.stats.ended_down >= 1 and sim.stats.ended_early >= 1
    assert any(k.startswith("operator_end_booking:") for k in chain.applied)
    assert op.journal.counts().get(FAILED, 0) == 0


def test_operator_loop__21_crashes_in_a_week__nothing_lost_nothing_twice(tmp_path):
    points = ("after write", "before broadcast", "after broadcast")
    crashes = {h: points[h % 3] for h in range(5, 7 * 24, 8)}
    chain, feed, _sim, op = run_month(tmp_path, days=7, devices=10, crashes=crashes)
    assert op.restarts == len(crashes) >= 20
    check_once(chain, feed, op)
    check_epochs(chain, 7)


def test_operator_loop__reverted_batch__failed_never_retried_rest_recorded(tmp_path):
    def fail(chain, op):
        chain.fail_next["record_work_batch"] = "SettlementRouter: booking not open"

    chain, feed, _sim, op = run_month(tmp_path, days=3, devices=10, hooks={30: fail, 31: fail})
    failed = op.journal.entries([FAILED])
    assert len(failed) == 2 and all(e.reason == "SettlementRouter: booking not open" for e in failed)
    assert all(e.key not in chain.applied for e in failed)
    assert all(op.journal.get(e.key).status == FAILED for e in failed)  # never sent again
    check_once(chain, feed, op)  # their hours were recorded by later batches under new keys
    check_epochs(chain, 3)


def test_operator_loop__nonce_taken_by_another_sender__dropped_and_redone_once(tmp_path):
    def steal(chain, op):  # another process with the operator's key takes the nonce of its next batch
        chain.steal.add("0xop")

    chain, feed, _sim, op = run_month(tmp_path, days=3, hooks={20: steal, 45: steal})
    dropped = op.journal.entries([DROPPED])
    assert len(dropped) == 2 and all(e.kind == "record_work_batch" for e in dropped)
    assert all(e.key not in chain.applied for e in dropped)
    # their booking-hours were released and recorded once by the next hour's batches
    redone = {i for e in dropped for i in op.journal.items_of(e.key)}
    confirmed = check_once(chain, feed, op)
    kept = {i for i in redone if not chain.bookings[int(i.split(":")[1])]["ended_by_renter"]}
    assert kept and all(confirmed[i] == 1 for i in kept)  # (a renter's end pays the others)
    check_epochs(chain, 3)


@pytest.mark.parametrize("point", ["after write", "before broadcast", "after broadcast"])
def test_operator_loop__crash_at_one_point__nothing_lost_nothing_twice(tmp_path, point):
    chain, feed, _sim, op = run_month(tmp_path, days=2, crashes={h: point for h in (3, 24, 25, 40)})
    assert op.restarts == 4
    check_once(chain, feed, op)
    check_epochs(chain, 2)

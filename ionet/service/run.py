"""The operator's cycle, driven by chain time, and the local network it runs on (`ape run operate`).

`Operator.cycle()`: reconcile the journal with the chain (rebroadcast what is signed but unseen,
replace what is stuck), read a snapshot, bring the rewards engine up to the journal's roots, plan,
write the intents, send them; up to `passes` times while a pass sends something (a statement, then
its settlement, then the root, within the same hour). The operator keeps no state of its own
outside the journal and the feed: a fresh `Operator` on the same files (a process killed with
kill -9 and started again) carries on without repeating or losing anything.

`LocalNetwork` drives a local Anvil: deploy the suite (the deploy code of `ape run deploy`), put the
fleet simulator's devices on NodeStaking, fund its renters, activate the IncentiveEngine (as the demo
does), optionally hand every role to governance, then hour by hour: move Anvil's clock to the hour,
run the operator's cycle, let the simulator's renters book and end, write the hour to the feed.

Why a plain loop on chain time and not Silverback (yet). Silverback's cron tasks follow the wall
clock; on Anvil the clock is moved by the caller (a simulated month in minutes), so a cron job
cannot mean "every chain hour". Its new-block handler could: `@app.on_(chain.blocks)` sees every
block and its timestamp, and the same `Operator.cycle()` can run there when a block crosses an hour
(the cycle is idempotent, so running it on every block is harmless, only wasteful). On the local
network the simulator must also write the feed between hours, in step with the clock it moves,
which a bot reacting to blocks cannot do for it. So: this loop now, for the local network and the
tests; a Silverback app whose block handler calls `Operator.cycle()` for live networks next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionet.engines.rewards import RewardsEngine
from ionet.service.chain import ChainReader, Web3ChainView, web3_contracts
from ionet.service.executor import Executor
from ionet.service.feed import Feed
from ionet.service.health import LOW_BALANCE_WEI, Health, health_of
from ionet.service.journal import CONFIRMED, FAILED, MINED, DuplicateItem, Journal
from ionet.service.plan import HOUR, plan_cycle, replay_rewards

MARGIN = 60  # seconds into each hour at which the cycle runs
CYCLE_ATTEMPTS = 5  # starts of one hour's cycle when the RPC fails past its retries
ROLES = ("operator", "oracle", "keeper")
KEYS = ("SettlementRouter", "NodeStaking", "IncentiveEngine", "RewardsDistributor", "EmissionSchedule")


@dataclass
class Operator:
    """One operator process: journal + feed + role keys + the chain."""

    w3: Any
    contracts: dict[str, Any]
    journal_path: Path
    feed: Feed
    signers: dict[str, Any]
    usd_targets: dict[str, int]
    from_block: int = 0
    confirmations: int = 2
    passes: int = 3
    log: Callable[[str], None] = lambda _m: None
    notes: list[str] = field(default_factory=list)
    low_balance_wei: int = LOW_BALANCE_WEI
    health: Health | None = None  # after each cycle (ionet/service/health.py serves it)
    cycles: int = 0

    def __post_init__(self) -> None:
        missing = [r for r in ROLES if r not in self.signers]
        if missing:
            raise SystemExit(f"no key for role(s) {', '.join(missing)}: the operator needs one key per role")
        check_roles(self.contracts, self.signers)
        self.journal = Journal(self.journal_path, confirmations=self.confirmations)
        self.view = Web3ChainView(self.w3)
        addresses = {k: str(c.address) for k, c in self.contracts.items()}
        self.reader = ChainReader(self.w3, web3_contracts(self.w3, addresses), self.usd_targets, self.from_block)
        self.executor = Executor(self.w3, self.journal, self.signers, self.contracts)
        self.rewards: RewardsEngine | None = None

    def close(self) -> None:
        self.journal.close()

    def reconcile(self) -> None:
        for out in self.journal.reconcile(self.view):
            if out.outcome == "pending":
                self.executor.rebroadcast(out.key)
            elif out.outcome in ("failed", "dropped", "reorged"):
                self.log(f"{out.key}: {out.outcome} {out.detail}")
        self.executor.bump_stuck()

    def cycle(self) -> int:
        """One cycle; returns the number of intents sent."""
        self.reconcile()
        sent = 0
        snap = None
        for _ in range(self.passes):
            snap = self.reader.snapshot()
            if self.rewards is None:
                self.rewards = RewardsEngine(start_time=snap.origin)
            replay_rewards(self.rewards, self.journal, [d.rewards_device() for d in snap.devices.values()])
            plan = plan_cycle(snap, self.feed, self.journal, self.rewards)
            self.notes = plan.notes
            for intent in plan.intents:
                try:
                    self.journal.write(intent)
                except DuplicateItem as err:
                    self.log(str(err))
            keys = self.executor.send_planned()
            sent += len(keys)
            self.journal.reconcile(self.view)
            if not keys:
                break
        else:
            snap = self.reader.snapshot()  # the last pass sent: what the chain says now
        self.cycles += 1
        self.health = self._health(snap, sent)
        return sent

    def _health(self, snap: Any, sent: int) -> Health:
        failed_by_kind = Counter(e.kind for e in self.journal.entries([FAILED]))
        balances = {role: int(self.w3.eth.get_balance(s.address)) for role, s in self.signers.items()}
        h = health_of(snap, self.journal.counts(), failed_by_kind, self.executor.failures, balances, self.notes,
                      self.low_balance_wei, self.cycles, self.executor.sent_count)
        for role in h.low_balance:
            self.log(f"low balance: the {role} key {self.signers[role].address} holds {balances[role]} wei, "
                     f"under {self.low_balance_wei}: fund it before it stops sending")
        return h

    def status(self) -> dict[str, Any]:
        counts = self.journal.counts()
        return {
            "pending": sum(counts.get(s, 0) for s in ("planned", "signed", "sent", MINED)),
            "confirmed": counts.get(CONFIRMED, 0),
            "failed": counts.get(FAILED, 0),
            "open bookings": len(self.reader.open_bookings()),
        }


def check_roles(contracts: dict[str, Any], signers: dict[str, Any]) -> None:
    """Refuse to start (naming what is missing) when a role's key does not hold its role on chain."""
    from ionet.chain.roles import role_hash

    needed = [
        ("operator", "SettlementRouter", "OPERATOR_ROLE"),
        ("oracle", "IncentiveEngine", "ORACLE_ROLE"),
        ("oracle", "RewardsDistributor", "ORACLE_ROLE"),
    ]
    missing = [
        f"the {role} key {signers[role].address} lacks {name} on {key}"
        for role, key, name in needed
        if not contracts[key].hasRole(role_hash(name), signers[role].address)
    ]
    if missing:
        raise SystemExit("; ".join(missing))


# ---------------------------------------------------------------------- the local network
def role_keys(seed: int = 0) -> dict[str, Any]:
    """Deterministic local keys, one per role (never for a live network)."""
    from eth_account import Account
    from eth_utils import keccak

    return {r: Account.from_key(keccak(text=f"ionet-operator:{r}:{seed}")) for r in ROLES}


def fund_eth(w3: Any, address: str, wei: int = 10**21) -> None:
    w3.provider.make_request("anvil_setBalance", [address, hex(wei)])


def grant_roles(suite: Any, signers: dict[str, Any]) -> None:
    """Give the role keys their roles (the deployer still admin): OPERATOR_ROLE on the router,
    ORACLE_ROLE on the engine and the distributor. Nothing is sent for a role already held."""
    from ionet.chain.roles import role_hash

    wanted = [
        (suite.SettlementRouter, "OPERATOR_ROLE", signers["operator"].address),
        (suite.IncentiveEngine, "ORACLE_ROLE", signers["oracle"].address),
        (suite.RewardsDistributor, "ORACLE_ROLE", signers["oracle"].address),
    ]
    for contract, role, who in wanted:
        if not contract.hasRole(role_hash(role), who):
            contract.grantRole(role_hash(role), who, sender=suite.deployer)


def put_fleet_on_chain(suite: Any, sim: Any, owners: list[Any]) -> None:
    """Register and stake every simulated device (owners round-robin, stake from the Community vault)."""
    from ionet.chain.devices import _top_up
    from ionet.models.staking import device_class

    staking, token = suite.NodeStaking, suite.IOToken
    for i, d in enumerate(sim.devices):
        owner = owners[i % len(owners)]
        device = bytes.fromhex(d.device[2:])
        staking.register_device(device, device_class(d.profile.cls), d.profile.processors, owner, sender=owner)
        need = staking.min_stake(device)
        _top_up(suite, owner, need)
        token.approve(staking, need, sender=owner)
        staking.stake(device, need, sender=owner)


@dataclass
class LocalNetwork:
    """A suite on a local Anvil, the fleet simulator and its renters, and the operator."""

    suite: Any
    workdir: Path
    devices: int = 6
    seed: int = 1
    signers: dict[str, Any] = field(default_factory=role_keys)
    log: Callable[[str], None] = lambda _m: None
    confirmations: int = 2  # blocks after which the operator takes a transaction as final (deepest reorg survived)
    operator_rpc: str | None = None  # the operator's own RPC URL (e.g. a fault proxy); None: ape's connection
    renter_accounts: list[Any] = field(default_factory=list)
    booking_renter: dict[int, Any] = field(default_factory=dict)
    ended_by_renter: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        from ape import accounts, chain

        from ionet.chain.deploy_ide import ide_config
        from ionet.service.fleet import FleetSim

        self.chain = chain
        self.w3 = chain.provider.web3
        self.workdir = Path(self.workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.contracts = {k: self.suite.contracts[k] for k in KEYS}
        self.origin = int(self.suite.EmissionSchedule.START_TIME())
        self.feed = Feed(self.workdir / "feed.db", origin=self.origin)
        self.sim = FleetSim(self.feed, devices_count=self.devices, seed=self.seed, renters=3)
        self.renter_accounts = [accounts.test_accounts[i] for i in (7, 8, 6)]
        self.usd_targets = {k: int(v) for k, v in ide_config(self.suite)["usd_target_per_processor_hour_usd6"].items()}
        self.from_block = int(self.suite.manifest.contracts["SettlementRouter"].block)
        self.operator: Operator | None = None
        self.restarts = 0

    # ------------------------------------------------------------ setting up
    def prepare(self, governance: dict[str, Any] | None = None) -> None:
        """Role keys funded and granted, the fleet staked, the renters funded, the engine active
        (and, with `governance`, every admin role handed to the Safes and the timelock)."""
        from ape import accounts

        from ionet.chain.deploy_ide import activate_ide

        s = self.suite
        for signer in self.signers.values():
            fund_eth(self.w3, signer.address)
        grant_roles(s, self.signers)
        put_fleet_on_chain(s, self.sim, [accounts.test_accounts[i] for i in (3, 4, 5)])
        for renter in self.renter_accounts:
            s.USDC.mint(renter, 10**15, sender=s.deployer)
            s.USDC.approve(s.SettlementRouter, 2**256 - 1, sender=renter)
        activate_ide(s)
        if governance is not None:
            from ionet.chain.governance import wire_governance

            wire_governance(s, governance)
        self.start_hour = -(-(int(s.IncentiveEngine.start_time()) - self.origin) // HOUR)
        self.log(f"engine active, epoch 1 starts at hour {self.start_hour} of the feed")

    def start_operator(self) -> Operator:
        if self.operator is not None:
            self.operator.close()
            self.restarts += 1
        from ionet.service.rpc import connect

        self.operator = Operator(
            connect(self.operator_rpc) if self.operator_rpc else self.w3,
            self.contracts,
            self.workdir / "journal.db",
            Feed(self.workdir / "feed.db", origin=self.origin),
            self.signers,
            self.usd_targets,
            self.from_block,
            confirmations=self.confirmations,
            log=self.log,
        )
        return self.operator

    def rooted_through(self) -> int:
        """The IDE epochs the latest published root (pending or active) covers."""
        engine, dist = self.suite.IncentiveEngine, self.suite.RewardsDistributor
        through = max(int(dist.pending().through_time), int(dist.active().through_time))
        start, length = int(engine.start_time()), int(engine.EPOCH_SECONDS())
        return max(0, (through - start) // length)

    def sim_bookings(self) -> list[int]:
        return sorted(self.booking_renter)

    # ------------------------------------------------------------ one hour
    def hour_start(self, h: int) -> int:
        return self.origin + h * HOUR

    def move_to(self, h: int) -> None:
        from ionet.chain import clock

        clock.advance_to(self.hour_start(h) + MARGIN)

    def renters_act(self, h: int) -> None:
        """The simulator's hour `h`: renters end and book (during the hour), then the feed row."""
        from ionet.models.settlement import quote

        s, router = self.suite, self.suite.SettlementRouter
        books, ends = self.sim.begin_hour(h)
        for e in ends:
            if router.bookings(e.booking_id).open:
                router.end_booking(e.booking_id, sender=self.booking_renter[e.booking_id])
                self.ended_by_renter.add(e.booking_id)
        for r in books:
            if self.chain.pending_timestamp >= self.hour_start(h + 1) - 30:
                self.sim.declined(r)
                continue
            renter = self.renter_accounts[r.renter % len(self.renter_accounts)]
            q = quote(r.rate, r.hours, True)
            receipt = router.book(bytes.fromhex(r.device[2:]), s.USDC, r.hours, r.rate, q.total, sender=renter)
            [ev] = router.Booked.from_receipt(receipt)
            self.sim.booked(r, int(ev.booking_id))
            self.booking_renter[int(ev.booking_id)] = renter
        self.sim.end_hour(h)

    def run(
        self,
        days: int,
        on_hour: Callable[[int, LocalNetwork], None] | None = None,
        kill_at: dict[int, str] | None = None,
        drain_hours: int = 26,
        after_kill: Callable[[int, Operator], None] | None = None,
    ) -> None:
        """`days` simulated days from the engine's epoch 1, then at most `drain_hours` with the feed
        stopped, until a root covers epoch `days` (one root a day at most: the last may wait for its
        predecessor's activation delay). `kill_at`: hour -> crash point (the operator dies there and
        a fresh one starts on the same journal); `after_kill(hour, dead operator)` runs between the
        two (what happens while the operator is down)."""
        from ionet.service.executor import Crash

        op = self.operator or self.start_operator()
        first, last = self.start_hour, self.start_hour + days * 24
        for h in range(first, last + drain_hours):
            self.move_to(h)
            if kill_at and h in kill_at:
                op.executor.crash = kill_at[h]
            try:
                self.cycle(op, h)
            except Crash as crash:
                self.log(f"hour {h}: killed {crash}; a fresh operator starts on the same journal")
                if after_kill is not None:
                    after_kill(h, op)
                op = self.start_operator()
                self.cycle(op, h)
            if h < last:
                self.renters_act(h)
            if on_hour is not None:
                on_hour(h - first, self)
            if h >= last and self.rooted_through() >= days:
                break
        for _ in range(self.operator.confirmations if self.operator else 2):  # the last ones confirmed
            self.chain.mine()
        self.cycle(op, h, lambda: op.reconcile())

    def cycle(self, op: Operator, h: int, step: Callable[[], Any] | None = None) -> None:
        """The operator's cycle (or `step`), started again when the RPC fails past its own retries
        (ionet/service/rpc.py): the journal makes a second start safe. After CYCLE_ATTEMPTS the hour
        is left to the next one, which catches up."""
        from ionet.service.rpc import is_transient

        for attempt in range(1, CYCLE_ATTEMPTS + 1):
            try:
                (step or op.cycle)()
                return
            except Exception as err:
                if not is_transient(err):
                    raise
                op.executor.failures["rpc"] = op.executor.failures.get("rpc", 0) + 1
                self.log(f"hour {h}: the RPC failed ({type(err).__name__}), attempt {attempt}: cycle again")


# ---------------------------------------------------------------------- the final report
@dataclass
class Report:
    booking_hours: int
    bookings: int
    recorded_twice: list[str]
    unrecorded: dict[int, tuple[int, int]]  # booking -> (feed hours, recorded)
    epochs_stated: Counter
    epochs_settled: Counter
    rooted_through: int
    root_matches_model: bool
    failed: list[tuple[str, str]]

    def problems(self, days: int) -> list[str]:
        out = []
        if self.recorded_twice:
            out.append(f"booking-hours recorded twice: {self.recorded_twice[:5]}")
        if self.unrecorded:
            out.append(f"bookings whose feed hours != recorded: {dict(list(self.unrecorded.items())[:5])}")
        want = {e: 1 for e in range(1, days + 1)}
        for name, c in (("stated", self.epochs_stated), ("settled", self.epochs_settled)):
            if {e: n for e, n in c.items() if e <= days} != want:
                out.append(f"epochs {name}: {dict(c)} (want each of 1..{days} once)")
        if self.rooted_through < days:
            out.append(f"rewards root through epoch {self.rooted_through}, not {days}")
        if not self.root_matches_model:
            out.append("the published root is not the rewards engine's")
        return out


def report(net: LocalNetwork) -> Report:
    """Chain (events) against the feed and the journal."""
    s, op = net.suite, net.operator
    assert op is not None
    router, engine, dist = s.SettlementRouter, s.IncentiveEngine, s.RewardsDistributor
    start = net.from_block
    head = net.chain.blocks.head.number
    recorded: Counter = Counter()
    for ev in router.WorkRecorded.range(start, head + 1):
        recorded[int(ev.booking_id)] += int(ev.hours)
    items = Counter(
        i
        for e in op.journal.entries([CONFIRMED, MINED])
        for i in op.journal.items_of(e.key)
        if i.startswith("record_work:")
    )
    twice = [i for i, n in items.items() if n > 1]
    feed_hours = net.feed.booking_hours(10**9)
    unrecorded = {}
    for b in net.sim_bookings():
        bk = router.bookings(b)
        want = len(feed_hours.get(b, []))
        if b in net.ended_by_renter:  # the renter's end pays the hours started (the current one too)
            ok = recorded[b] <= want
        else:
            ok = int(bk.hours_recorded) == want == recorded[b]
        if not ok:
            unrecorded[b] = (want, int(bk.hours_recorded))
    stated = Counter(int(ev.epoch) for ev in engine.EpochStated.range(start, head + 1))
    settled = Counter(int(ev.epoch) for ev in engine.EpochSettled.range(start, head + 1))
    roots = list(dist.RootPublished.range(start, head + 1))
    # a root's through_epoch counts the hourly (pre-IDE) epochs; the IDE epochs it covers end by its through_time
    through_time = max((int(r.through_time) for r in roots), default=0)
    e_start, e_len = int(engine.start_time()), int(engine.EPOCH_SECONDS())
    through = max(0, (through_time - e_start) // e_len) if through_time >= e_start else 0
    matches = False
    if roots and op.rewards is not None:
        # the engine as the journal has it now: a root mined in the last cycle is replayed by the
        # next cycle only, so bring the engine up to every mined root first
        snap = op.reader.snapshot()
        replay_rewards(op.rewards, op.journal, [d.rewards_device() for d in snap.devices.values()])
        tree = op.rewards.build()
        last = roots[-1]
        released = sum(
            int(ev.from_reward_vault) + int(ev.from_fee_io) + int(ev.from_fee_usdc_swap)
            for ev in engine.EpochSettled.range(start, head + 1)
            if int(ev.epoch) <= through
        )
        matches = bytes(last.root) == bytes(tree.root) and int(last.total) == tree.total == released
    failed = [(e.key, e.reason or "") for e in op.journal.entries([FAILED])]
    return Report(
        sum(len(v) for v in feed_hours.values()),
        len(net.sim_bookings()),
        twice,
        unrecorded,
        stated,
        settled,
        through,
        matches,
        failed,
    )

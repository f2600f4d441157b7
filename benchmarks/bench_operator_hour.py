"""`make operator-bench` (second part): one hourly cycle of the operator with 10,000 open bookings on
Anvil: gas per booking-hour and wall time (issue 19, performance).

    ape run operator_bench                       # 10,000 bookings, writes benchmarks/operator_hour.md
    ape run operator_bench --bookings 500 --out -    # smaller, print only

Set-up (timed apart, not part of the cycle): the suite deployed as `ape run deploy` does, the IDE
active, the operator's three role keys granted; 10,000 devices registered and staked (the fleet
simulator's five profiles in turn, three owners); each booked for 48 hours in USDC by one of five
renters; the usage feed says every device was up and serving its booking through the hour. The
set-up sends its 30,000 transactions as raw eth_sendTransaction requests from Anvil's unlocked
accounts, 1,000 to a block (ape takes ~25 ms a transaction, and Anvil slows down block by block as
its state grows: a block a transaction took over 7 minutes for half of them; this way, ~1 minute).

Then the clock moves past the hour and the operator runs one cycle, unchanged (ionet/service/run.py
`Operator.cycle`): reconcile the journal, read the snapshot (every open booking read at the head
block, in JSON-RPC batches), plan (the feed's booking-hours, batches of 50), sign and send each
`record_work_batch`, wait for its receipt, read the chain again. Timed by phase; gas from the
receipts. Checked after it: every booking has exactly its hour recorded, once.
"""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from ionet.models.settlement import quote
from ionet.models.staking import device_class
from ionet.service.feed import Row, device_key
from ionet.service.fleet import PROFILES
from ionet.service.journal import CONFIRMED, MINED
from ionet.service.rpc import View

OUT = Path(__file__).resolve().parent / "operator_hour.md"
HOUR = 3_600
HOURS_BOOKED = 48
GOAL = "gas per booking-hour and wall time of one hourly cycle at 10,000 open bookings (issue 19)"


class Sender:
    """Transactions from Anvil's unlocked accounts through web3, without ape's per-transaction work,
    many to a block: Anvil recomputes its state root over the whole state for every block, so at
    10,000 devices a block a transaction would take most of an hour to set up."""

    def __init__(self, w3: Any, per_block: int = 1_000) -> None:
        self.w3 = w3
        self.per_block = per_block
        self.pending = 0
        self.count = 0
        self.fns: dict[tuple[str, str], View] = {}

    def __enter__(self) -> Sender:
        rpc = self.w3.provider.make_request
        rpc("evm_setAutomine", [False])
        rpc("evm_setBlockGasLimit", [hex(2_000_000_000)])
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.mine()
        rpc = self.w3.provider.make_request
        rpc("evm_setBlockGasLimit", [hex(30_000_000)])
        rpc("evm_setAutomine", [True])

    def send(self, sender: str, contract: Any, fn: str, *args: Any, gas: int = 1_500_000) -> None:
        key = (contract.address, fn)
        if key not in self.fns:
            self.fns[key] = View(contract, fn)
        # Anvil here charges no gas price (base fee 0): nothing for web3 to fill in
        data = self.fns[key].data(*args)
        tx = {"from": sender, "to": contract.address, "data": data, "gas": hex(gas), "gasPrice": "0x0"}
        answer = self.w3.provider.make_request("eth_sendTransaction", [tx])
        assert "result" in answer, answer
        self.count += 1
        self.pending += 1
        if self.pending >= self.per_block:
            self.mine()

    def mine(self) -> None:
        if self.pending:
            self.w3.provider.make_request("evm_mine", [])
            self.pending = 0


def set_up(suite: Any, bookings: int, log: Any) -> tuple[Any, Any, int]:
    """The suite with `bookings` devices staked and booked; returns (network, feed, booked hour)."""
    from ape import accounts

    from ionet.chain.economy import fund_from_community
    from ionet.service.chain import web3_contracts
    from ionet.service.run import MARGIN, LocalNetwork

    net = LocalNetwork(suite, Path(tempfile.mkdtemp(prefix="ionet-hour-bench-")), devices=1, seed=1)
    net.prepare()  # role keys, the (one-device) fleet, renters funded, the engine active
    w3 = net.w3
    c = web3_contracts(w3, {k: str(suite.contracts[k].address) for k in ("NodeStaking", "SettlementRouter")})
    staking, router = c["NodeStaking"], c["SettlementRouter"]
    owners = [accounts.test_accounts[i] for i in (3, 4, 5)]
    renters = [accounts.test_accounts[i] for i in (9, 10, 11, 12, 13)]

    # what each profile's device must stake: 200 IO x max(1, multiplier) x processors
    min_stake: dict[tuple[str, int], int] = {}
    for p in PROFILES:
        mult = int(suite.NodeStaking.class_multiplier(device_class(p.cls)))
        min_stake[(p.cls, p.processors)] = 200 * 10**18 * max(10_000, mult) // 10_000 * p.processors
    profiles = [PROFILES[i % len(PROFILES)] for i in range(bookings)]
    need = [0, 0, 0]
    for i, p in enumerate(profiles):
        need[i % 3] += min_stake[(p.cls, p.processors)]
    for owner, amount in zip(owners, need, strict=True):
        fund_from_community(suite, owner, amount)
        suite.IOToken.approve(suite.NodeStaking, amount, sender=owner)
    for renter in renters:
        suite.USDC.mint(renter, 10**15, sender=suite.deployer)
        suite.USDC.approve(suite.SettlementRouter, 2**256 - 1, sender=renter)

    t = time.perf_counter()
    devices = [bytes.fromhex(f"{0xB0000000 + i:064x}") for i in range(bookings)]
    with Sender(w3) as tx:
        for i, (d, p) in enumerate(zip(devices, profiles, strict=True)):
            owner = owners[i % 3].address
            tx.send(owner, staking, "register_device", d, device_class(p.cls), p.processors, owner, gas=400_000)
            tx.send(owner, staking, "stake", d, min_stake[(p.cls, p.processors)], gas=400_000)
    log(f"  {bookings:,} devices registered and staked in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    with Sender(w3) as tx:
        for i, (d, p) in enumerate(zip(devices, profiles, strict=True)):
            rate = p.rent_per_processor_hour * p.processors
            total = quote(rate, HOURS_BOOKED, True).total
            renter = renters[i % len(renters)].address
            tx.send(renter, router, "book", d, suite.USDC.address, HOURS_BOOKED, rate, total, gas=600_000)
    log(f"  {bookings:,} bookings made in {time.perf_counter() - t:.1f} s")

    # the bookings as the chain has them (Booked events: one for each device shows that each device's
    # registration, stake and booking succeeded), the feed for the hour they were made in
    head = w3.eth.block_number
    events = router.events.Booked.get_logs(from_block=net.from_block, to_block=head)
    ids = {bytes(ev["args"]["device"]): int(ev["args"]["booking_id"]) for ev in events}
    assert all(d in ids for d in devices), "a booking is missing (its device's registration, stake or booking failed)"
    now = int(w3.eth.get_block("latest")["timestamp"])
    hour = (now - net.origin) // HOUR
    feed = net.feed
    feed.write([Row(device_key(d), hour, True, ids[d]) for d in devices], complete_through=hour)
    # the clock past the hour: the cycle runs MARGIN seconds into the next one
    from ionet.chain import clock

    clock.advance_to(net.origin + (hour + 1) * HOUR + MARGIN)
    return net, ids, hour


def measure(net: Any, ids: dict[bytes, int], hour: int) -> dict[str, Any]:
    """One operator cycle, timed by phase; gas per booking-hour from the receipts."""
    op = net.start_operator()
    phases: dict[str, list[float]] = {"snapshot": [], "plan + journal": [], "send + receipts": []}
    orig_snapshot, orig_send = op.reader.snapshot, op.executor.send_planned

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name].append(time.perf_counter() - t)

        return wrapper

    op.reader.snapshot = timed("snapshot", orig_snapshot)
    op.executor.send_planned = timed("send + receipts", orig_send)
    t0, c0 = time.perf_counter(), time.process_time()
    op.cycle()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    phases["plan + journal"] = [wall - sum(phases["snapshot"]) - sum(phases["send + receipts"])]

    entries = [e for e in op.journal.entries([MINED, CONFIRMED]) if e.kind == "record_work_batch"]
    w3 = net.w3
    gas = [int(w3.eth.get_transaction_receipt(e.tx_hash)["gasUsed"]) for e in entries]
    recorded = sum(len(e.payload["booking_ids"]) for e in entries)
    router = net.suite.SettlementRouter
    sample = list(ids.values())[:: max(1, len(ids) // 50)]
    assert all(int(router.bookings(b).hours_recorded) == 1 for b in sample), "a booking's hour is not recorded once"
    assert recorded == len(ids), (recorded, len(ids))
    return {
        "bookings": len(ids),
        "transactions": len(entries),
        "gas_total": sum(gas),
        "gas_per_booking_hour": sum(gas) / recorded,
        "gas_per_tx_max": max(gas),
        "wall": wall,
        "cpu": cpu,
        "phases": {k: sum(v) for k, v in phases.items()},
        "snapshots": len(phases["snapshot"]),
        "hour": hour,
    }


def table(r: dict[str, Any], setup_s: float) -> str:
    ph = r["phases"]
    lines = [
        "# One hourly operator cycle at 10,000 open bookings",
        "",
        f"Goal: {GOAL}. Written by `make operator-bench` (`ape run operator_bench`,",
        "benchmarks/bench_operator_hour.py); the method is in that file's docstring.",
        "",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        "Anvil (automine) on the same 2 cores.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| open bookings, each with one booking-hour due | {r['bookings']:,} |",
        f"| `record_work_batch` transactions (50 bookings each at most) | {r['transactions']:,} |",
        f"| gas, all of them | {r['gas_total']:,} |",
        f"| **gas per booking-hour** | **{r['gas_per_booking_hour']:,.0f}** |",
        f"| gas of the largest transaction | {r['gas_per_tx_max']:,} |",
        f"| **wall time of the cycle** | **{r['wall']:.1f} s** |",
        f"| CPU time of the operator process | {r['cpu']:.1f} s |",
        f"| reading the chain ({r['snapshots']} snapshots: each reads every open booking at its head block) | "
        f"{ph['snapshot']:.1f} s |",
        f"| planning from the feed and writing the journal | {ph['plan + journal']:.1f} s |",
        f"| signing, sending and waiting for each receipt | {ph['send + receipts']:.1f} s |",
        f"| set-up (not in the cycle): devices, stakes and bookings | {setup_s:.0f} s |",
        "",
        "Checked: every booking's hour recorded exactly once (the journal's batches cover every booking;",
        "a sample of 50 read back from the chain has `hours_recorded == 1`).",
        "",
        "The devices here have three owners, so a batch credits three providers: their balance slots are",
        "warm after the first booking of each. With 50 different providers a batch (benchmarks/gas.md),",
        "a booking-hour costs 18,708 gas. Of the wall time, most is Anvil executing and mining the 200",
        "transactions one at a time (estimate, send, receipt): the operator's own CPU is the second figure.",
        "",
    ]
    return "\n".join(lines)

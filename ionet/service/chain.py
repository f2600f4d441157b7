"""The chain as the operator reads it: a `Snapshot` (ionet.service.plan) of the deployed contracts
and a `ChainView` (ionet.service.journal) over web3.

`ChainReader` reads through the operator's own connection (ionet.service.rpc: every request retried
when the RPC drops, delays or fails it), with web3 contracts made from the committed ABIs. It keeps
what it learns from events (the bookings' devices from `Booked`, the IO each IDE epoch released from
`EpochSettled`) and scans only the blocks it has not seen, in ranges of `log_blocks` (public RPCs cap
eth_getLogs ranges); a fresh reader (a restarted process) scans again from the router's deployment
block. Everything else is read from the contracts' views at the head block, all of a snapshot's
views at that one block, in JSON-RPC batches: the engine's, distributor's and emission's state in one
request, the open bookings in one request per 500 (10,000 open bookings: 20 requests, not 10,000),
and the registered devices (when their count changes, and once before each epoch is stated) the same
way.

Not read yet (the plan supports them; the local fleet has none): slashes and their settlements
(`Snapshot.slashes`, `slash_settlements` stay empty), retirement (`retire_enabled` False).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionet.engines.rewards import device_of
from ionet.service.feed import device_key
from ionet.service.journal import Receipt
from ionet.service.plan import BookingState, DeviceState, DistributorState, EngineState, Snapshot
from ionet.service.rpc import BATCH_SIZE, View, batch_call

ZERO_ROOT = b"\0" * 32
ABI_ROOT = Path(__file__).resolve().parents[2] / "abi"


def web3_contracts(w3: Any, addresses: Mapping[str, str], abi_root: Path = ABI_ROOT) -> dict[str, Any]:
    """web3 contracts on `w3` at the manifest's addresses, from the committed ABIs (abi/<Name>.json).
    (Not web3's `decode_tuples=True`: with it web3 7.16 decodes a function of several unnamed outputs,
    such as NodeStaking.device_info, as its first value alone. Structs are named by `View.struct`.)"""
    from web3 import Web3

    return {
        name: w3.eth.contract(
            address=Web3.to_checksum_address(str(addr)),
            abi=json.loads((abi_root / f"{name}.json").read_text()),
        )
        for name, addr in addresses.items()
    }


class _Views:
    """`views.bookings(7)`: a call of the contract's view `bookings` for `batch_call` (Views made once)."""

    def __init__(self, contract: Any) -> None:
        self._contract = contract

    def __getattr__(self, name: str) -> View:
        if name.startswith("_"):
            raise AttributeError(name)
        view = View(self._contract, name)
        setattr(self, name, view)
        return view


@dataclass
class ChainReader:
    """Reads a `Snapshot` from the suite's contracts: web3 contracts (`web3_contracts`) keyed as in the
    manifest: SettlementRouter, NodeStaking, IncentiveEngine, RewardsDistributor, EmissionSchedule."""

    w3: Any
    contracts: Mapping[str, Any]
    usd_targets: Mapping[str, int]
    from_block: int = 0  # the router's deployment block: nothing before it
    batch_size: int = BATCH_SIZE
    log_blocks: int = 5_000  # blocks an eth_getLogs request covers at most
    _scanned: int = -1
    _bookings: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # id -> (device, hours, start)
    _open: set[int] = field(default_factory=set)
    _released: dict[int, int] = field(default_factory=dict)
    _devices: dict[str, DeviceState] = field(default_factory=dict)
    _device_count: int = -1
    _devices_for_epoch: int = -1
    _static: dict[str, Any] = field(default_factory=dict)
    _views: dict[str, Any] = field(default_factory=dict)
    _scanned_hash: str = ""
    reorgs: int = 0  # reorganisations seen below the last block read

    def __post_init__(self) -> None:
        self._scanned = max(self._scanned, self.from_block - 1)

    def fn(self, name: str) -> Any:
        """The view functions of contract `name`, as `View`s (ionet.service.rpc) for `batch_call`."""
        if name not in self._views:
            self._views[name] = _Views(self.contracts[name])
        return self._views[name]

    def _batch(self, calls: list[Any], block: int) -> list[Any]:
        return batch_call(self.w3, calls, block, self.batch_size)

    # ------------------------------------------------------------ events
    def _scan(self, head: int, head_hash: str) -> None:
        """Read the new blocks' events. A reorg below the last block read (its hash changed, or the
        chain is shorter) drops everything read and reads again from the router's deployment."""
        if self._scanned >= self.from_block and (
            head < self._scanned or block_hash(self.w3, self._scanned) != self._scanned_hash
        ):
            self._scanned = self.from_block - 1
            self._bookings.clear()
            self._open.clear()
            self._released.clear()
            self.reorgs += 1
        if head <= self._scanned:
            return
        router, engine = self.contracts["SettlementRouter"], self.contracts["IncentiveEngine"]
        for lo in range(self._scanned + 1, head + 1, self.log_blocks):
            hi = min(head, lo + self.log_blocks - 1)
            for ev in router.events.Booked.get_logs(from_block=lo, to_block=hi):
                a = ev["args"]
                b = int(a["booking_id"])
                self._bookings[b] = (device_key(bytes(a["device"])), int(a["hours"]), int(a["start"]))
                self._open.add(b)
            for ev in engine.events.EpochSettled.get_logs(from_block=lo, to_block=hi):
                a = ev["args"]
                self._released[int(a["epoch"])] = int(a["from_reward_vault"]) + int(a["from_fee_io"]) + int(
                    a["from_fee_usdc_swap"]
                )
        self._scanned = head
        self._scanned_hash = head_hash

    # ------------------------------------------------------------ the snapshot
    def snapshot(self) -> Snapshot:
        """What the chain says at the head block (every view read at that block)."""
        head = self.w3.eth.get_block("latest")
        number, now = int(head["number"]), int(head["timestamp"])
        self._scan(number, _hex(head["hash"]))
        router, engine, dist, emission, staking = (
            self.fn("SettlementRouter"),
            self.fn("IncentiveEngine"),
            self.fn("RewardsDistributor"),
            self.fn("EmissionSchedule"),
            self.fn("NodeStaking"),
        )
        if not self._static:
            epoch_seconds, delay, origin = self._batch(
                [engine.EPOCH_SECONDS(), dist.ACTIVATION_DELAY_SECONDS(), emission.START_TIME()], number
            )
            self._static = {"EPOCH_SECONDS": int(epoch_seconds), "ACTIVATION_DELAY_SECONDS": int(delay),
                            "START_TIME": int(origin)}
        (active, start_time, last_stated, last_settled, last_burn, max_usd, paused, pending, active_root,
         funding_limit, mintable, device_count) = self._batch(
            [engine.active(), engine.start_time(), engine.last_stated(), engine.last_settled(),
             engine.last_burn_epoch(), engine.max_usd_per_epoch(), engine.paused(), dist.pending(), dist.active(),
             dist.funding_limit(), emission.mintable(), staking.device_count()],
            number,
        )
        ids = sorted(self._open)
        bookings: dict[int, BookingState] = {}
        for b, value in zip(ids, self._batch([router.bookings(b) for b in ids], number), strict=True):
            bk = router.bookings.struct(value)
            if not bk.open:
                self._open.discard(b)
                continue
            device, _hours, _start = self._bookings[b]
            bookings[b] = BookingState(b, device, int(bk.hours), int(bk.hours_recorded), int(bk.start), True)
        last_stated, last_settled, last_burn = int(last_stated), int(last_settled), int(last_burn)
        burn_possible = False
        if active and last_settled > last_burn and last_stated == last_settled:
            try:
                [value] = self._batch([engine.reserves()], number)
                r = engine.reserves.struct(value)
                burn_possible = int(r.usdc_to_buy) > 0 or int(r.io_to_burn) > 0
            except Exception:  # noqa: BLE001 (no TWAP yet: nothing to burn at a price)
                burn_possible = False
        eng = EngineState(
            active=bool(active),
            start_time=int(start_time) if active else 0,
            epoch_seconds=self._static["EPOCH_SECONDS"],
            last_stated=last_stated,
            last_settled=last_settled,
            last_burn_epoch=last_burn,
            max_usd_per_epoch=int(max_usd),
            paused=bool(paused),
            burn_possible=burn_possible,
            released=dict(self._released),
        )
        pending, active_root = dist.pending.struct(pending), dist.active.struct(active_root)
        has_pending = bytes(pending.root) != ZERO_ROOT
        distributor = DistributorState(
            activation_delay=self._static["ACTIVATION_DELAY_SECONDS"],
            pending_root_id=int(pending.root_id) if has_pending else 0,
            pending_published_at=int(pending.published_at) if has_pending else 0,
            active_through_time=int(active_root.through_time),
            funding_limit=int(funding_limit),
        )
        epoch_due = eng.ended_epochs(now) > last_stated
        return Snapshot(
            now=now,
            block=number,
            origin=self._static["START_TIME"],
            mintable=int(mintable),
            bookings=bookings,
            devices=self.devices(int(device_count), number, epoch_due, last_stated),
            engine=eng,
            distributor=distributor,
            usd_targets=dict(self.usd_targets),
        )

    def devices(self, count: int, block: int, epoch_due: bool = False, last_stated: int = 0) -> dict[str, DeviceState]:
        """Every registered device (re-read when the count changes, and once before each epoch is
        stated: eligibility and co-stakes change over time), in batches."""
        if count != self._device_count or (epoch_due and self._devices_for_epoch != last_stated):
            staking = self.fn("NodeStaking")
            ids = [bytes(d) for d in self._batch([staking.device_at(i) for i in range(1, count + 1)], block)]
            views = self._batch(
                [c for d in ids for c in (staking.device_info(d), staking.reward_split(d), staking.is_eligible(d))],
                block,
            )
            infos, splits, eligible = views[0::3], views[1::3], views[2::3]
            classes = sorted({bytes(info[1]) for info in infos})
            multiplier = dict(zip(classes, self._batch([staking.class_multiplier(c) for c in classes], block),
                                  strict=True))
            self._devices = {}
            for d, info, split, ok in zip(ids, infos, splits, eligible, strict=True):
                dev = device_of(d, info, split, ok, multiplier[bytes(info[1])])
                key = device_key(dev.device_id)
                self._devices[key] = DeviceState(key, dev.label, dev.processors, dev.eligible, dev.multiplier_bps,
                                                 dev.co_staker, dev.co_share_bps)
            self._device_count = count
            if epoch_due:
                self._devices_for_epoch = last_stated
        return dict(self._devices)

    def open_bookings(self) -> set[int]:
        return set(self._open)

    def booking_device(self, booking_id: int) -> str | None:
        entry = self._bookings.get(booking_id)
        return entry[0] if entry else None


class Web3ChainView:
    """`ChainView` over a web3 connection: receipts (with the revert reason of a failed one, found by
    replaying its call on the state before its block), nonces, the head and block hashes."""

    def __init__(self, w3: Any) -> None:
        self.w3 = w3

    def receipt(self, tx_hash: str) -> Receipt | None:
        from web3.exceptions import TransactionNotFound

        try:
            r = self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        if r is None or r.get("blockNumber") is None:
            return None
        ok = int(r["status"]) == 1
        return Receipt(
            tx_hash=_hex(r["transactionHash"]),
            status=ok,
            block_number=int(r["blockNumber"]),
            block_hash=_hex(r["blockHash"]),
            revert_reason=None if ok else self.revert_reason(tx_hash, int(r["blockNumber"])),
        )

    def revert_reason(self, tx_hash: str, block_number: int) -> str:
        tx = self.w3.eth.get_transaction(tx_hash)
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "value": tx["value"], "gas": tx["gas"]}
        try:
            self.w3.eth.call(call, block_number - 1)
        except Exception as err:  # noqa: BLE001 (web3's ContractLogicError and friends)
            return revert_message(err)
        return "reverted (no reason: the call succeeds on the state before its block)"

    def nonce(self, account: str) -> int:
        return int(self.w3.eth.get_transaction_count(account, "latest"))

    def pending_nonce(self, account: str) -> int:
        return int(self.w3.eth.get_transaction_count(account, "pending"))

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        return block_hash(self.w3, number)


def block_hash(w3: Any, number: int) -> str | None:
    """The hash of block `number`; None when the chain has no such block (a reorg made it shorter)."""
    from web3.exceptions import BlockNotFound

    try:
        block = w3.eth.get_block(number)
    except BlockNotFound:
        return None
    return None if block is None else _hex(block["hash"])


def revert_message(err: Exception) -> str:
    """'<Contract>: <reason>' out of web3's and ape's revert errors."""
    for attr in ("message", "revert_message"):
        value = getattr(err, attr, None)
        if isinstance(value, str) and value:
            return value.removeprefix("execution reverted: ")
    text = str(err.args[0]) if err.args else str(err)
    return text.removeprefix("execution reverted: ")


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()

"""The chain as the operator reads it: a `Snapshot` (ionet.service.plan) of the deployed contracts
and a `ChainView` (ionet.service.journal) over web3.

`ChainReader` keeps what it learns from events (the bookings' devices from `Booked`, the IO each
IDE epoch released from `EpochSettled`) and scans only the blocks it has not seen; a fresh reader
(a restarted process) scans again from the router's deployment block. Everything else is read
from the contracts' views at the head block, so a snapshot is what the chain says now.

Not read yet (the plan supports them; the local fleet has none): slashes and their settlements
(`Snapshot.slashes`, `slash_settlements` stay empty), retirement (`retire_enabled` False).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ionet.engines.rewards import devices_from_chain
from ionet.service.feed import device_key
from ionet.service.journal import Receipt
from ionet.service.plan import BookingState, DeviceState, DistributorState, EngineState, Snapshot

ZERO_ROOT = b"\0" * 32


@dataclass
class ChainReader:
    """Reads a `Snapshot` from the suite's contracts (ape contract instances, keyed as in the
    manifest: SettlementRouter, NodeStaking, IncentiveEngine, RewardsDistributor, EmissionSchedule)."""

    contracts: Mapping[str, Any]
    usd_targets: Mapping[str, int]
    from_block: int = 0  # the router's deployment block: nothing before it
    _scanned: int = -1
    _bookings: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # id -> (device, hours, start)
    _open: set[int] = field(default_factory=set)
    _released: dict[int, int] = field(default_factory=dict)
    _devices: dict[str, DeviceState] = field(default_factory=dict)
    _device_count: int = -1
    _devices_for_epoch: int = -1
    _static: dict[str, Any] = field(default_factory=dict)
    _scanned_hash: str = ""
    reorgs: int = 0  # reorganisations seen below the last block read

    def __post_init__(self) -> None:
        self._scanned = max(self._scanned, self.from_block - 1)

    def c(self, name: str) -> Any:
        return self.contracts[name]

    def _const(self, name: str, fn: Any) -> Any:
        if name not in self._static:
            self._static[name] = fn()
        return self._static[name]

    # ------------------------------------------------------------ events
    def _scan(self, head: int, head_hash: str) -> None:
        """Read the new blocks' events. A reorg below the last block read (its hash changed, or the
        chain is shorter) drops everything read and reads again from the router's deployment."""
        from ape import chain

        if self._scanned >= self.from_block and (
            head < self._scanned or _hex(chain.blocks[self._scanned].hash) != self._scanned_hash
        ):
            self._scanned = self.from_block - 1
            self._bookings.clear()
            self._open.clear()
            self._released.clear()
            self.reorgs += 1
        if head <= self._scanned:
            return
        start, router, engine = self._scanned + 1, self.c("SettlementRouter"), self.c("IncentiveEngine")
        for ev in router.Booked.range(start, head + 1):
            b = int(ev.booking_id)
            self._bookings[b] = (device_key(bytes(ev.device)), int(ev.hours), int(ev.start))
            self._open.add(b)
        for ev in engine.EpochSettled.range(start, head + 1):
            self._released[int(ev.epoch)] = int(ev.from_reward_vault) + int(ev.from_fee_io) + int(ev.from_fee_usdc_swap)
        self._scanned = head
        self._scanned_hash = head_hash

    # ------------------------------------------------------------ the snapshot
    def snapshot(self, block: Any | None = None) -> Snapshot:
        from ape import chain

        head = block if block is not None else chain.blocks.head
        number, now = int(head.number), int(head.timestamp)
        self._scan(number, _hex(head.hash))
        router, engine, dist, emission = (
            self.c("SettlementRouter"),
            self.c("IncentiveEngine"),
            self.c("RewardsDistributor"),
            self.c("EmissionSchedule"),
        )
        bookings: dict[int, BookingState] = {}
        for b in sorted(self._open):
            bk = router.bookings(b)
            if not bk.open:
                self._open.discard(b)
                continue
            device, _hours, _start = self._bookings[b]
            bookings[b] = BookingState(b, device, int(bk.hours), int(bk.hours_recorded), int(bk.start), True)
        active = bool(engine.active())
        start_time = int(engine.start_time()) if active else 0
        epoch_seconds = int(self._const("EPOCH_SECONDS", engine.EPOCH_SECONDS))
        last_stated, last_settled = int(engine.last_stated()), int(engine.last_settled())
        last_burn = int(engine.last_burn_epoch())
        burn_possible = False
        if active and last_settled > last_burn and last_stated == last_settled:
            try:
                r = engine.reserves()
                burn_possible = int(r.usdc_to_buy) > 0 or int(r.io_to_burn) > 0
            except Exception:  # noqa: BLE001 (no TWAP yet: nothing to burn at a price)
                burn_possible = False
        eng = EngineState(
            active=active,
            start_time=start_time,
            epoch_seconds=epoch_seconds,
            last_stated=last_stated,
            last_settled=last_settled,
            last_burn_epoch=last_burn,
            max_usd_per_epoch=int(engine.max_usd_per_epoch()),
            paused=bool(engine.paused()),
            burn_possible=burn_possible,
            released=dict(self._released),
        )
        pending = dist.pending()
        has_pending = bytes(pending.root) != ZERO_ROOT
        distributor = DistributorState(
            activation_delay=int(self._const("ACTIVATION_DELAY_SECONDS", dist.ACTIVATION_DELAY_SECONDS)),
            pending_root_id=int(pending.root_id) if has_pending else 0,
            pending_published_at=int(pending.published_at) if has_pending else 0,
            active_through_time=int(dist.active().through_time),
            funding_limit=int(dist.funding_limit()),
        )
        return Snapshot(
            now=now,
            block=number,
            origin=int(self._const("START_TIME", emission.START_TIME)),
            mintable=int(emission.mintable()),
            bookings=bookings,
            devices=self.devices(eng.ended_epochs(now) > last_stated, last_stated),
            engine=eng,
            distributor=distributor,
            usd_targets=dict(self.usd_targets),
        )

    def devices(self, epoch_due: bool = False, last_stated: int = 0) -> dict[str, DeviceState]:
        """Every registered device (re-read when the count changes, and once before each epoch is
        stated: eligibility and co-stakes change over time)."""
        staking = self.c("NodeStaking")
        count = int(staking.device_count())
        if count != self._device_count or (epoch_due and self._devices_for_epoch != last_stated):
            self._devices = {
                device_key(d.device_id): DeviceState(
                    device_key(d.device_id),
                    d.label,
                    d.processors,
                    d.eligible,
                    d.multiplier_bps,
                    d.co_staker,
                    d.co_share_bps,
                )
                for d in devices_from_chain(staking)
            }
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
        """None when the chain has no such block (a reorg made it shorter)."""
        from web3.exceptions import BlockNotFound

        try:
            block = self.w3.eth.get_block(number)
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

"""Journal intents -> transactions, one key per role (oracle, operator, keeper).

For each planned intent, in the journal's order:

1. its call is encoded from the contract's ABI (`call_of`); a role without a key is refused (the
   intent is marked failed, "no key for role ...");
2. its gas is estimated: a call that reverts now is recorded failed with the contract's reason and
   never sent (the plan never retries a failed intent blindly);
3. it is signed with the role's key at the sender's next nonce (`NonceManager`: the node's pending
   count, never below the journal's own highest nonce + 1) and an EIP-1559 fee (2 x base fee +
   tip); the signed transaction (hash, nonce, fee, raw bytes) is written to the journal BEFORE it
   is broadcast, so a process killed right after broadcasting loses nothing;
4. it is broadcast and marked sent; with `wait`, the executor waits for its receipt (a revert is
   recorded with its reason by `Journal.mined`).

`bump_stuck()` replaces a sent transaction that has waited `stuck_seconds` without a receipt and
whose nonce is still the sender's next one (a base-fee spike) by the same call at the same nonce
with a fee `BUMP_BPS` higher (at least the node's 10 % rule) and above twice the current base fee.
`rebroadcast(key)` sends a signed transaction again as it is (`reconcile` said it is pending).

`Signer` is anything with `address` and `sign_transaction(dict) -> signed` (eth_account's
LocalAccount; `signer_of(ape_account)` adapts an ape test account). `crash` names a point at which
a test makes the process die (kill -9 style): "after sign" (signed, recorded, never broadcast),
"after broadcast" (broadcast, not marked sent).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ionet.service.chain import Web3ChainView, _hex, revert_message
from ionet.service.journal import FAILED, PLANNED, SENT, SIGNED, Entry, Journal

BUMP_BPS = 2_500  # a replacement pays 125 % of the stuck transaction's fees (nodes want >= 110 %)
GAS_MARGIN_BPS = 2_000  # gas limit = estimate + 20 %


class Signer(Protocol):
    address: str

    def sign_transaction(self, tx: dict[str, Any]) -> Any: ...


class Crash(Exception):
    """A test's kill -9 at a named point."""


def is_revert(err: Exception) -> bool:
    """The node ran the call and it reverted (web3's ContractLogicError, or ape's revert errors), as
    opposed to an RPC that failed (a dropped connection, an HTTP 5xx, a timeout): only a revert marks
    an intent failed."""
    from web3.exceptions import ContractLogicError

    if isinstance(err, ContractLogicError):
        return True
    try:
        from ape.exceptions import ContractLogicError as ApeLogicError
    except ImportError:  # pragma: no cover (ape is always installed here)
        return False
    return isinstance(err, ApeLogicError)


def signer_of(account: Any) -> Any:
    """An eth_account LocalAccount for an ape test account (it exposes its private key)."""
    from eth_account import Account

    return Account.from_key(account.private_key)


def call_of(kind: str, payload: Mapping[str, Any], contracts: Mapping[str, Any]) -> tuple[Any, Any, tuple]:
    """(contract, method, args) of an intent."""
    router, engine = contracts["SettlementRouter"], contracts["IncentiveEngine"]
    dist, emission, staking = contracts["RewardsDistributor"], contracts["EmissionSchedule"], contracts["NodeStaking"]
    p = payload
    table: dict[str, tuple[Any, str, tuple]] = {
        "mint_due": (emission, "mint_due", ()),
        "sync_emission": (engine, "sync_emission", ()),
        "record_work_batch": (router, "record_work_batch", (list(p.get("booking_ids", [])), list(p.get("hours", [])))),
        "operator_end_booking": (router, "operator_end_booking", (p.get("booking_id"), p.get("final_hours"))),
        "settle_expired": (router, "settle_expired", (p.get("booking_id"),)),
        "state_epoch": (engine, "state_epoch", (p.get("epoch"), p.get("usd_owed"))),
        "settle": (engine, "settle", (p.get("epoch"),)),
        "publish_root": (
            dist,
            "publish_root",
            (p.get("root"), p.get("total"), p.get("through_epoch"), p.get("through_time")),
        ),
        "activate_root": (dist, "activate_root", ()),
        "settle_slash": (dist, "settle_slash", tuple(p.get("args", ()))),
        "finalize_slash": (staking, "finalize_slash", (p.get("slash_id"),)),
        "buyback_and_burn": (engine, "buyback_and_burn", ()),
        "retire": (engine, "retire", (p.get("amount"),)),
    }
    if kind not in table:
        raise KeyError(f"no call for intent kind {kind!r}")
    contract, method, args = table[kind]
    return contract, getattr(contract, method), args


@dataclass
class NonceManager:
    """Next nonce per sender: the node's pending count, never below what the journal has signed."""

    view: Web3ChainView
    journal: Journal

    def next(self, sender: str) -> int:
        row = self.journal.db.execute("SELECT MAX(nonce) FROM txs WHERE lower(sender) = lower(?)", (sender,)).fetchone()
        signed = -1 if row is None or row[0] is None else int(row[0])
        return max(self.view.pending_nonce(sender), signed + 1)


@dataclass
class Executor:
    w3: Any
    journal: Journal
    signers: Mapping[str, Any]  # role -> Signer
    contracts: Mapping[str, Any]
    wait: bool = True  # wait for each receipt (a local chain mines at once)
    receipt_timeout: float = 30.0
    stuck_seconds: float = 60.0
    crash: str | None = None
    clock: Callable[[], float] = time.time
    sent_count: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # kind of failure -> count

    def __post_init__(self) -> None:
        self.view = Web3ChainView(self.w3)
        self.nonces = NonceManager(self.view, self.journal)
        self.chain_id = int(self.w3.eth.chain_id)

    def _die(self, point: str) -> None:
        if self.crash == point:
            self.crash = None
            raise Crash(point)

    def _fail(self, key: str, kind: str, reason: str) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + 1
        self.journal.failed(key, reason)

    # ------------------------------------------------------------ fees
    def fees(self) -> tuple[int, int]:
        """(max fee, tip) per gas: twice the head's base fee plus the tip."""
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas") or 0)
        try:
            tip = int(self.w3.eth.max_priority_fee)
        except Exception:  # noqa: BLE001 (a node without eth_maxPriorityFeePerGas)
            tip = 10**9
        return 2 * base + tip, tip

    # ------------------------------------------------------------ sending
    def send_planned(self) -> list[str]:
        """Sign, record and broadcast every planned intent (oldest first). Returns their keys."""
        done = []
        for entry in self.journal.entries([PLANNED]):
            self.send(entry)
            done.append(entry.key)
        return done

    def send(self, entry: Entry) -> None:
        signer = self.signers.get(entry.role)
        if signer is None:
            self._fail(entry.key, "no_key", f"no key for role {entry.role}: not sent")
            return
        contract, method, args = call_of(entry.kind, entry.payload, self.contracts)
        data = _hex(bytes(method.encode_input(*args)))
        tx: dict[str, Any] = {"from": signer.address, "to": contract.address, "data": data, "value": 0}
        try:
            gas = int(self.w3.eth.estimate_gas(tx))
        except Exception as err:  # noqa: BLE001
            if not is_revert(err):
                raise  # the RPC failed, not the call: the intent stays planned for the next cycle
            self._fail(entry.key, "revert", revert_message(err))  # recorded, never sent
            return
        max_fee, tip = self.fees()
        tx.update(
            gas=gas * (10_000 + GAS_MARGIN_BPS) // 10_000,
            maxFeePerGas=max_fee,
            maxPriorityFeePerGas=tip,
            nonce=self.nonces.next(signer.address),
            chainId=self.chain_id,
            type=2,
        )
        tx.pop("from")
        signed = signer.sign_transaction(tx)
        raw = _hex(signed.raw_transaction)
        tx_hash = _hex(signed.hash)
        self.journal.signed(entry.key, signer.address, tx["nonce"], tx_hash, max_fee, raw)  # before broadcast
        self._die("after sign")
        self._broadcast(raw)
        self._die("after broadcast")
        self.journal.sent(entry.key)
        self.sent_count += 1
        if self.wait:
            self.wait_receipt(entry.key, tx_hash)

    def _broadcast(self, raw: str) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as err:  # noqa: BLE001
            text = str(err).lower()
            if "already known" in text or "already imported" in text or "nonce too low" in text:
                return  # the node has it, or its nonce is used: reconcile says which
            raise

    def rebroadcast(self, key: str) -> None:
        """Send the intent's last signed transaction again, as it is (reconcile said: pending)."""
        txs = self.journal.transactions(key)
        if txs and txs[-1]["raw"]:
            self._broadcast(txs[-1]["raw"])
            entry = self.journal.get(key)
            if entry is not None and entry.status == SIGNED:
                self.journal.sent(key)

    def wait_receipt(self, key: str, tx_hash: str) -> None:
        deadline = time.monotonic() + self.receipt_timeout
        while time.monotonic() < deadline:
            receipt = self.view.receipt(tx_hash)
            if receipt is not None:
                entry = self.journal.mined(key, receipt)
                if entry.status == FAILED:
                    self.failures["revert"] = self.failures.get("revert", 0) + 1
                return
            time.sleep(0.05)
        # still pending: reconcile will find it (or bump_stuck will replace it)

    # ------------------------------------------------------------ stuck transactions
    def bump_stuck(self) -> list[str]:
        """Replace every sent transaction stuck for `stuck_seconds` at its sender's next nonce."""
        bumped = []
        now = self.clock()
        for entry in self.journal.entries([SENT, SIGNED]):
            txs = self.journal.transactions(entry.key)
            if not txs or now - _signed_at(self.journal, txs[-1]["tx_hash"]) < self.stuck_seconds:
                continue
            if self.view.receipt(txs[-1]["tx_hash"]) is not None:
                continue
            if self.view.nonce(entry.sender) != entry.nonce:  # type: ignore[arg-type]
                continue  # an earlier nonce holds it up, or it is used (reconcile)
            self.replace(entry)
            bumped.append(entry.key)
        return bumped

    def replace(self, entry: Entry) -> str:
        """The same call at the same nonce, fees raised by BUMP_BPS (and above 2 x the base fee)."""
        signer = self.signers[entry.role]
        old = decode_raw(self.journal.transactions(entry.key)[-1]["raw"])  # the node may have evicted it
        max_fee, tip = self.fees()
        new_tip = max(tip, -(-old["maxPriorityFeePerGas"] * (10_000 + BUMP_BPS) // 10_000))
        new_fee = max(max_fee, -(-old["maxFeePerGas"] * (10_000 + BUMP_BPS) // 10_000), new_tip)
        tx = {**old, "maxFeePerGas": new_fee, "maxPriorityFeePerGas": new_tip}
        signed = signer.sign_transaction(tx)
        raw, tx_hash = _hex(signed.raw_transaction), _hex(signed.hash)
        self.journal.replaced(entry.key, tx_hash, new_fee, raw)  # recorded before broadcast
        self._broadcast(raw)
        self.failures["stuck_replaced"] = self.failures.get("stuck_replaced", 0) + 1
        return tx_hash


def decode_raw(raw: str) -> dict[str, Any]:
    """The fields of a signed EIP-1559 transaction (type 2), to sign it again at the same nonce."""
    import rlp
    from eth_utils import to_checksum_address

    data = bytes.fromhex(raw.removeprefix("0x"))
    if data[0] != 2:
        raise ValueError("not an EIP-1559 transaction")
    chain_id, nonce, tip, fee, gas, to, value, calldata = rlp.decode(data[1:])[:8]

    def num(b: bytes) -> int:
        return int.from_bytes(b, "big")

    return {
        "chainId": num(chain_id),
        "nonce": num(nonce),
        "maxPriorityFeePerGas": num(tip),
        "maxFeePerGas": num(fee),
        "gas": num(gas),
        "to": to_checksum_address("0x" + bytes(to).hex()),
        "value": num(value),
        "data": "0x" + bytes(calldata).hex(),
        "type": 2,
    }


def _signed_at(journal: Journal, tx_hash: str) -> float:
    row = journal.db.execute("SELECT signed_at FROM txs WHERE tx_hash = ?", (tx_hash,)).fetchone()
    return float(row[0]) if row else 0.0

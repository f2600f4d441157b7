"""The deploy's journal: every transaction the deployer sends, recorded in the manifest, so that a
deploy that stopped halfway (an RPC failure, a rejected transaction, a stop on purpose) resumes
from its partial manifest without sending anything twice.

Each action (a contract deployment or a wiring call) has a key that is the same in every run of
the same deploy: `deploy:<manifest key>` or `<contract>.<method>(<digest of the arguments>)`.
Before sending, the journal writes `pending = {key, nonce, block}`; once mined, `journal[key] =
{tx, block, gas}`. On resume:

* an action already in the journal is not sent again: its receipt is fetched by hash, so the step
  code reads events and addresses exactly as the first time;
* a pending action whose nonce has since been used is looked up in the blocks mined after it (so a
  crash between sending and recording loses nothing); an unused nonce means it was never mined,
  and it is sent again;
* every recorded contract must still have code with the recorded code hash.

The deployer key must not be used for anything else while a deploy is unfinished.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ape import chain
from eth_utils import keccak, to_checksum_address

from ionet.manifest import Manifest


class DeployStopped(RuntimeError):
    """The deploy stopped before its end; running it again resumes it."""


class ResumeError(RuntimeError):
    """The partial manifest does not match the chain: it cannot be resumed."""


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, int | bool) or value is None:
        return value
    address = getattr(value, "address", None)
    return str(address if address is not None else value)


def digest(args: Any) -> str:
    return hashlib.sha256(json.dumps(_plain(args), sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Journal:
    manifest: Manifest
    save: Callable[[], None] = lambda: None
    stop_after: int | None = None  # stop (DeployStopped) before the (n+1)-th transaction of this run
    sent: int = 0  # transactions sent by this run
    gas_used: int = 0
    _seen: Counter = field(default_factory=Counter)

    def key(self, base: str) -> str:
        """A run-stable key: the n-th identical action of a run gets '#n'."""
        self._seen[base] += 1
        n = self._seen[base]
        return base if n == 1 else f"{base}#{n}"

    def done(self, key: str) -> bool:
        return key in self.manifest.journal

    def receipt(self, key: str) -> Any:
        return chain.provider.get_receipt(self.manifest.journal[key]["tx"])

    def run(
        self, key: str, nonce: int, send: Callable[[], Any], to: str | None = None, calldata: bytes | None = None
    ) -> Any:
        """Send once: the recorded receipt if `key` is done, else send and record. `to` and
        `calldata` (None for a deployment) identify the transaction if it must be found on chain."""
        if self.done(key):
            return self.receipt(key)
        if self.stop_after is not None and self.sent >= self.stop_after:
            raise DeployStopped(f"stopped after {self.sent} transactions as asked (IONET_DEPLOY_STOP_AFTER)")
        self.manifest.pending = {
            "key": key,
            "nonce": nonce,
            "block": chain.blocks.head.number,
            "to": to,
            "input_hash": "0x" + keccak(calldata).hex() if calldata is not None else None,
        }
        self.save()
        receipt = send()
        self.record(key, receipt)
        return receipt

    def record(self, key: str, receipt: Any) -> None:
        self.manifest.journal[key] = {
            "tx": str(receipt.txn_hash),
            "block": receipt.block_number,
            "gas": int(receipt.gas_used),
        }
        self.manifest.pending = None
        self.sent += 1
        self.gas_used += int(receipt.gas_used)
        self.save()


# ------------------------------------------------------------------ resuming
def verify_recorded_contracts(manifest: Manifest) -> None:
    """Every contract of a partial manifest must have code, and the code recorded at deployment."""
    web3 = chain.provider.web3
    for key, record in manifest.contracts.items():
        code = bytes(web3.eth.get_code(to_checksum_address(record.address)))
        if not code:
            raise ResumeError(
                f"{key}: no code at {record.address}; this manifest belongs to another chain "
                "(deploy afresh with --fresh)"
            )
        if record.code_hash and "0x" + keccak(code).hex() != record.code_hash:
            raise ResumeError(f"{key}: the code at {record.address} is not the code recorded at deployment")


def resolve_pending(manifest: Manifest, deployer: str) -> str | None:
    """Settle the action that was in flight when the last run stopped. Returns what happened."""
    pending = manifest.pending
    if not pending:
        return None
    web3 = chain.provider.web3
    latest = web3.eth.get_transaction_count(deployer, "latest")
    waiting = web3.eth.get_transaction_count(deployer, "pending")
    if waiting > latest:
        raise DeployStopped(
            f"a transaction of the deployer (nonce {latest}) is still waiting to be mined; "
            "run the deploy again once it is"
        )
    if latest <= pending["nonce"]:
        manifest.pending = None
        return f"{pending['key']} was never mined: it will be sent again"
    head = web3.eth.block_number
    for number in range(int(pending["block"]), head + 1):
        block = web3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if to_checksum_address(tx["from"]) == deployer and tx["nonce"] == pending["nonce"]:
                if not _is_the_pending_one(tx, pending):
                    raise ResumeError(
                        f"nonce {pending['nonce']} of the deployer was used by a transaction this deploy did not "
                        f"send ({'0x' + bytes(tx['hash']).hex()}); resume is unsafe, deploy afresh"
                    )
                receipt = chain.provider.get_receipt("0x" + bytes(tx["hash"]).hex())
                manifest.pending = None
                if receipt.failed:
                    return f"{pending['key']} was mined but reverted: it will be sent again"
                manifest.journal[pending["key"]] = {
                    "tx": str(receipt.txn_hash),
                    "block": receipt.block_number,
                    "gas": int(receipt.gas_used),
                }
                return f"{pending['key']} was mined in block {receipt.block_number} before the stop: recorded"
    raise ResumeError(
        f"nonce {pending['nonce']} of the deployer was used by a transaction this deploy did not "
        f"send (searched blocks {pending['block']}..{head}); resume is unsafe, deploy afresh"
    )


def _is_the_pending_one(tx: Any, pending: dict[str, Any]) -> bool:
    """Does the mined transaction with the pending nonce match what the deploy was sending?"""
    to = tx.get("to")
    if pending.get("to") is None:
        return to is None  # a deployment creates a contract
    if to is None or to_checksum_address(to) != to_checksum_address(pending["to"]):
        return False
    expected = pending.get("input_hash")
    return expected is None or "0x" + keccak(bytes(tx["input"])).hex() == expected

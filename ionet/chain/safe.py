"""A Safe (Gnosis Safe) 1.4.1 client in plain Python: the official artifacts, Safe transactions,
their EIP-712 hash and owner signatures, and the `execTransaction` call that carries them.

The Safe contracts are never recompiled: `load_artifact` reads the Hardhat artifacts that
`@safe-global/safe-contracts` 1.4.1 publishes on npm (pinned exactly in package.json), whose runtime
code equals the code Safe deployed on mainnet. The hash is computed here exactly as the contract's
`getTransactionHash` does (and, as a check, equals eth-account's EIP-712 hash of `typed_data`):

    domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, chainId, safe))
    safeTxHash      = keccak256(abi.encode(SAFE_TX_TYPEHASH, to, value, keccak256(data), operation,
                                           safeTxGas, baseGas, gasPrice, gasToken, refundReceiver, nonce))
    txHash          = keccak256(0x19 || 0x01 || domainSeparator || safeTxHash)

Owners sign `txHash` as EIP-712 typed data (v = 27/28); `execTransaction` takes the signatures
concatenated as r || s || v in ascending order of the owners' addresses (otherwise the Safe
reverts GS026; fewer than the threshold: GS020). `typed_data` is the message a hardware wallet or
Safe{Wallet} shows, so owners can sign anywhere and hand back the 65-byte signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from ionet import ZERO_ADDRESS

ROOT = Path(__file__).resolve().parents[2]  # the project
PACKAGE = ROOT / "node_modules" / "@safe-global" / "safe-contracts"
SAFE_VERSION = "1.4.1"

# Hardhat artifacts under build/artifacts/contracts/ (`*.dbg.json` ignored).
ARTIFACT_PATHS = {
    "Safe": "Safe.sol/Safe.json",
    "SafeL2": "SafeL2.sol/SafeL2.json",
    "SafeProxyFactory": "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    "SafeProxy": "proxies/SafeProxy.sol/SafeProxy.json",
    "CompatibilityFallbackHandler": "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
    "MultiSendCallOnly": "libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
}

# Where Safe deployed 1.4.1 on every supported network (safe-deployments, deterministic
# addresses). A deploy reuses a contract there only if its runtime code equals the artifact's.
CANONICAL_ADDRESSES = {
    "Safe": "0x41675C099F32341bf84BFc5382aF534df5C7461a",
    "SafeL2": "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762",
    "SafeProxyFactory": "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67",
    "CompatibilityFallbackHandler": "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99",
    "MultiSendCallOnly": "0x9641d764fc13c8B624c04430C7356C1C7C8102e2",
}

DOMAIN_TYPEHASH = keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)")
SAFE_TX_TYPEHASH = keccak(
    text="SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,"
    "uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)
SAFE_TX_FIELDS = [
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "data", "type": "bytes"},
    {"name": "operation", "type": "uint8"},
    {"name": "safeTxGas", "type": "uint256"},
    {"name": "baseGas", "type": "uint256"},
    {"name": "gasPrice", "type": "uint256"},
    {"name": "gasToken", "type": "address"},
    {"name": "refundReceiver", "type": "address"},
    {"name": "nonce", "type": "uint256"},
]
CALL, DELEGATE_CALL = 0, 1

# The Safe's own revert codes (contracts/base/*.sol, docs/error_codes.md of safe-contracts).
GS_ERRORS = {
    "GS013": "the inner call failed (safeTxGas and gasPrice are 0)",
    "GS020": "fewer signatures than the threshold",
    "GS025": "the hash was not approved by an owner",
    "GS026": "a signature is not from an owner, or owners are not in ascending order (or duplicated)",
}


class SafeArtifactError(RuntimeError):
    pass


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes  # creation code
    deployed_bytecode: bytes  # runtime code
    path: str  # relative to the project root, for manifests

    @property
    def code_hash(self) -> str:
        return "0x" + keccak(self.deployed_bytecode).hex()


def installed_version() -> str:
    path = PACKAGE / "package.json"
    if not path.exists():
        raise SafeArtifactError(f"{PACKAGE} is missing: run `npm ci` (package.json pins safe-contracts {SAFE_VERSION})")
    return json.loads(path.read_text())["version"]


def load_artifact(name: str) -> Artifact:
    """One of ARTIFACT_PATHS from the installed npm package, after checking it is exactly 1.4.1."""
    version = installed_version()
    if version != SAFE_VERSION:
        raise SafeArtifactError(f"@safe-global/safe-contracts {version} installed, {SAFE_VERSION} expected")
    path = PACKAGE / "build" / "artifacts" / "contracts" / ARTIFACT_PATHS[name]
    raw = json.loads(path.read_text())
    if raw.get("linkReferences") or raw.get("deployedLinkReferences"):
        raise SafeArtifactError(f"{name} needs linking; 1.4.1's artifacts do not")
    return Artifact(
        name=name,
        abi=raw["abi"],
        bytecode=bytes.fromhex(raw["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(raw["deployedBytecode"].removeprefix("0x")),
        path=str(path.relative_to(ROOT)),
    )


# ------------------------------------------------------------------ Safe transactions
@dataclass(frozen=True)
class SafeTx:
    """A Safe transaction: what the owners sign. Defaults: a plain call, no gas refund, so the
    submitter pays the gas and a failing inner call reverts the whole transaction (GS013)."""

    to: str
    data: bytes = b""
    value: int = 0
    nonce: int = 0
    operation: int = CALL
    safe_tx_gas: int = 0
    base_gas: int = 0
    gas_price: int = 0
    gas_token: str = ZERO_ADDRESS
    refund_receiver: str = ZERO_ADDRESS

    def with_nonce(self, nonce: int) -> SafeTx:
        return replace(self, nonce=nonce)

    def message(self) -> dict[str, Any]:
        return {
            "to": to_checksum_address(self.to),
            "value": self.value,
            "data": self.data,
            "operation": self.operation,
            "safeTxGas": self.safe_tx_gas,
            "baseGas": self.base_gas,
            "gasPrice": self.gas_price,
            "gasToken": to_checksum_address(self.gas_token),
            "refundReceiver": to_checksum_address(self.refund_receiver),
            "nonce": self.nonce,
        }


def domain_separator(chain_id: int, safe: str) -> bytes:
    return keccak(encode(["bytes32", "uint256", "address"], [DOMAIN_TYPEHASH, chain_id, to_checksum_address(safe)]))


def safe_tx_struct_hash(tx: SafeTx) -> bytes:
    return keccak(
        encode(
            [
                "bytes32",
                "address",
                "uint256",
                "bytes32",
                "uint8",
                "uint256",
                "uint256",
                "uint256",
                "address",
                "address",
                "uint256",
            ],
            [
                SAFE_TX_TYPEHASH,
                to_checksum_address(tx.to),
                tx.value,
                keccak(tx.data),
                tx.operation,
                tx.safe_tx_gas,
                tx.base_gas,
                tx.gas_price,
                to_checksum_address(tx.gas_token),
                to_checksum_address(tx.refund_receiver),
                tx.nonce,
            ],
        )
    )


def safe_tx_hash(chain_id: int, safe: str, tx: SafeTx) -> bytes:
    """The hash the owners sign, exactly as Safe's `getTransactionHash(...)`."""
    return keccak(b"\x19\x01" + domain_separator(chain_id, safe) + safe_tx_struct_hash(tx))


def typed_data(chain_id: int, safe: str, tx: SafeTx) -> dict[str, Any]:
    """The EIP-712 message (what a wallet displays and signs)."""
    return {
        "types": {
            "EIP712Domain": [{"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "SafeTx": SAFE_TX_FIELDS,
        },
        "primaryType": "SafeTx",
        "domain": {"chainId": chain_id, "verifyingContract": to_checksum_address(safe)},
        "message": tx.message(),
    }


def sign(private_key: str | bytes, chain_id: int, safe: str, tx: SafeTx) -> tuple[str, bytes]:
    """An owner's EIP-712 signature of the Safe transaction: (owner address, r || s || v)."""
    signed = Account.sign_typed_data(private_key, full_message=typed_data(chain_id, safe, tx))
    owner = Account.from_key(private_key).address
    return owner, signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def recover(chain_id: int, safe: str, tx: SafeTx, signature: bytes) -> str:
    """The address that made `signature` over this Safe transaction."""
    return Account.recover_message(encode_typed_data(full_message=typed_data(chain_id, safe, tx)), signature=signature)


def pack_signatures(signatures: dict[str, bytes] | list[tuple[str, bytes]]) -> bytes:
    """Signatures concatenated in ascending order of the owners' addresses (as the Safe requires).
    Pass a list to keep duplicates (tests of a duplicated signature)."""
    items = list(signatures.items()) if isinstance(signatures, dict) else list(signatures)
    for owner, sig in items:
        if len(sig) != 65:
            raise ValueError(f"signature of {owner} is {len(sig)} bytes, not 65")
    return b"".join(sig for _owner, sig in sorted(items, key=lambda item: int(item[0], 16)))


def exec_transaction_args(tx: SafeTx, signatures: bytes) -> list[Any]:
    """Arguments of `execTransaction(to, value, data, operation, safeTxGas, baseGas, gasPrice,
    gasToken, refundReceiver, signatures)`; the nonce is the Safe's own, not an argument."""
    return [
        to_checksum_address(tx.to),
        tx.value,
        tx.data,
        tx.operation,
        tx.safe_tx_gas,
        tx.base_gas,
        tx.gas_price,
        to_checksum_address(tx.gas_token),
        to_checksum_address(tx.refund_receiver),
        signatures,
    ]


def selector(signature: str) -> bytes:
    return function_signature_to_4byte_selector(signature)


def encode_exec_transaction(tx: SafeTx, signatures: bytes) -> bytes:
    """Calldata of `execTransaction` (for a raw transaction or a relayer)."""
    types = ["address", "uint256", "bytes", "uint8", "uint256", "uint256", "uint256", "address", "address", "bytes"]
    return selector(f"execTransaction({','.join(types)})") + encode(types, exec_transaction_args(tx, signatures))


def encode_setup(owners: list[str], threshold: int, fallback_handler: str) -> bytes:
    """Calldata of `setup(owners, threshold, to=0, data=b"", fallbackHandler, paymentToken=0,
    payment=0, paymentReceiver=0)`, the initializer a new Safe proxy runs."""
    if not 1 <= threshold <= len(owners):
        raise ValueError(f"threshold {threshold} with {len(owners)} owners")
    types = ["address[]", "uint256", "address", "bytes", "address", "address", "uint256", "address"]
    args = [
        [to_checksum_address(o) for o in owners],
        threshold,
        ZERO_ADDRESS,
        b"",
        to_checksum_address(fallback_handler),
        ZERO_ADDRESS,
        0,
        ZERO_ADDRESS,
    ]
    return selector(f"setup({','.join(types)})") + encode(types, args)

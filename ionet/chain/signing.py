"""Off-chain signatures the contracts accept: EIP-2612 permits and EIP-3009 authorizations.

Plain eth-account; used by tests, the demo and any front end that wants to book without an
`approve` transaction. Every function returns `(v, r, s)` ready for the contract call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_typed_data

PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}

_AUTH_FIELDS = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]
TRANSFER_AUTH_TYPES = {"TransferWithAuthorization": _AUTH_FIELDS}
RECEIVE_AUTH_TYPES = {"ReceiveWithAuthorization": _AUTH_FIELDS}


@dataclass(frozen=True)
class Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract}


@dataclass(frozen=True)
class Signature:
    v: int
    r: bytes
    s: bytes

    def __iter__(self):
        return iter((self.v, self.r, self.s))


def _sign(private_key: str | bytes, domain: Domain, types: dict, message: dict) -> Signature:
    signable = encode_typed_data(domain.as_dict(), types, message)
    signed = Account.sign_message(signable, private_key)
    return Signature(signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))


def sign_permit(private_key: str | bytes, domain: Domain, owner: str, spender: str, value: int,
                nonce: int, deadline: int) -> Signature:
    """EIP-2612 `permit(owner, spender, value, deadline, v, r, s)` signature."""
    message = {"owner": owner, "spender": spender, "value": value, "nonce": nonce, "deadline": deadline}
    return _sign(private_key, domain, PERMIT_TYPES, message)


def random_nonce() -> bytes:
    """EIP-3009 nonces are random 32-byte values, not counters."""
    return os.urandom(32)


def sign_authorization(private_key: str | bytes, domain: Domain, sender: str, to: str, value: int,
                       valid_after: int, valid_before: int, nonce: bytes, receive: bool = True) -> Signature:
    """EIP-3009 `receiveWithAuthorization` (default) or `transferWithAuthorization` signature."""
    message = {"from": sender, "to": to, "value": value, "validAfter": valid_after,
               "validBefore": valid_before, "nonce": nonce}
    return _sign(private_key, domain, RECEIVE_AUTH_TYPES if receive else TRANSFER_AUTH_TYPES, message)

"""Timelock operations in plain Python: their ids exactly as snekmate's `timelock_controller`
computes them (`hash_operation`, `hash_operation_batch`), so the Safe owners can check what they
sign and anyone can watch for an id in the Timelock's `CallScheduled` events.

    id       = keccak256(abi.encode(target, amount, payload, predecessor, salt))
    batch id = keccak256(abi.encode(targets, amounts, payloads, predecessor, salt))

A payload is at most 8,192 bytes and a batch holds at most 16 calls (the contract's
`MAX_PAYLOAD_BYTES` and `MAX_BATCH_CALLS`); each operation needs a fresh salt (an id can be scheduled
once). `chunked` splits a longer list of calls into batches that run in order, each the predecessor
of the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

ZERO32 = b"\x00" * 32
MAX_PAYLOAD_BYTES = 8_192  # Timelock.MAX_PAYLOAD_BYTES
MAX_BATCH_CALLS = 10  # Timelock.MAX_BATCH_CALLS
DAY = 86_400


def salt_of(text: str) -> bytes:
    """A readable, unique salt: keccak256 of a description ("multiplier H100 -> 1.2x, 2026-11-26")."""
    return keccak(text=text)


@dataclass(frozen=True)
class Operation:
    target: str
    payload: bytes
    value: int = 0
    predecessor: bytes = ZERO32
    salt: bytes = ZERO32

    def __post_init__(self) -> None:
        if len(self.payload) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload of {len(self.payload)} bytes: the timelock takes at most {MAX_PAYLOAD_BYTES}")

    @property
    def id(self) -> bytes:
        return keccak(
            encode(
                ["address", "uint256", "bytes", "bytes32", "bytes32"],
                [to_checksum_address(self.target), self.value, self.payload, self.predecessor, self.salt],
            )
        )

    def schedule_args(self, delay: int) -> list:
        return [self.target, self.value, self.payload, self.predecessor, self.salt, delay]

    def execute_args(self) -> list:
        return [self.target, self.value, self.payload, self.predecessor, self.salt]


@dataclass(frozen=True)
class BatchOperation:
    targets: tuple[str, ...]
    payloads: tuple[bytes, ...]
    values: tuple[int, ...] = field(default=())
    predecessor: bytes = ZERO32
    salt: bytes = ZERO32

    def __post_init__(self) -> None:
        if not self.values:
            object.__setattr__(self, "values", tuple(0 for _ in self.targets))
        if not len(self.targets) == len(self.payloads) == len(self.values):
            raise ValueError("targets, payloads and values differ in length")
        if len(self.targets) > MAX_BATCH_CALLS:
            raise ValueError(f"a batch of {len(self.targets)} calls: the timelock takes at most {MAX_BATCH_CALLS}")
        for payload in self.payloads:
            if len(payload) > MAX_PAYLOAD_BYTES:
                raise ValueError(f"a payload of {len(payload)} bytes: the timelock takes at most {MAX_PAYLOAD_BYTES}")

    @property
    def id(self) -> bytes:
        return keccak(
            encode(
                ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
                [
                    [to_checksum_address(t) for t in self.targets],
                    list(self.values),
                    list(self.payloads),
                    self.predecessor,
                    self.salt,
                ],
            )
        )

    def schedule_args(self, delay: int) -> list:
        return [list(self.targets), list(self.values), list(self.payloads), self.predecessor, self.salt, delay]

    def execute_args(self) -> list:
        return [list(self.targets), list(self.values), list(self.payloads), self.predecessor, self.salt]

    def to_json(self) -> dict:
        return {
            "id": "0x" + self.id.hex(),
            "targets": list(self.targets),
            "values": list(self.values),
            "payloads": ["0x" + p.hex() for p in self.payloads],
            "predecessor": "0x" + self.predecessor.hex(),
            "salt": "0x" + self.salt.hex(),
        }

    @classmethod
    def from_json(cls, raw: dict) -> BatchOperation:
        return cls(
            targets=tuple(raw["targets"]),
            values=tuple(raw["values"]),
            payloads=tuple(bytes.fromhex(p.removeprefix("0x")) for p in raw["payloads"]),
            predecessor=bytes.fromhex(raw["predecessor"].removeprefix("0x")),
            salt=bytes.fromhex(raw["salt"].removeprefix("0x")),
        )


def chunked(
    targets: list[str],
    payloads: list[bytes],
    salt: str,
    predecessor: bytes = ZERO32,
    size: int = MAX_BATCH_CALLS,
) -> list[BatchOperation]:
    """Calls split into batches of at most `size` calls that run in their order: each batch's
    predecessor is the batch before it (the first one's is `predecessor`), so the timelock executes
    them only in order. The salt is `salt_of(salt)` when one batch suffices (the same id as a
    single `BatchOperation`), else `salt_of(f"{salt} #{i}")` for batch i = 1, 2, ..."""
    if len(targets) != len(payloads):
        raise ValueError("targets and payloads differ in length")
    if not 1 <= size <= MAX_BATCH_CALLS:
        raise ValueError(f"a batch size of {size}: between 1 and {MAX_BATCH_CALLS}")
    starts = range(0, len(targets), size)
    ops: list[BatchOperation] = []
    for i, start in enumerate(starts, 1):
        op = BatchOperation(
            targets=tuple(targets[start : start + size]),
            payloads=tuple(payloads[start : start + size]),
            predecessor=ops[-1].id if ops else predecessor,
            salt=salt_of(salt if len(starts) == 1 else f"{salt} #{i}"),
        )
        ops.append(op)
    return ops

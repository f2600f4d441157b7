"""Node staking: ids and the plain-Python reference model of contracts/NodeStaking.vy."""

from __future__ import annotations

IO = 10**18
BPS = 10_000
BASE_STAKE = 200 * IO


def device_class(name: str) -> bytes:
    """A device class as the contract stores it: the ASCII name right-padded with zero bytes."""
    raw = name.encode("ascii")
    if not 0 < len(raw) <= 32:
        raise ValueError(f"device class name must be 1..32 ASCII bytes: {name!r}")
    return raw.ljust(32, b"\0")


def device_id(text: str) -> bytes:
    """A device id: keccak256 of a text (e.g. a serial number or the network's device uuid)."""
    from eth_utils import keccak

    return keccak(text=text)

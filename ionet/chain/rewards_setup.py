"""Put devices into the suite's staking contract for the rewards demo and gas bench.

With the NodeStaking test double (local chains before the staking area is merged) a device is
set directly; with the real NodeStaking it is registered, staked to its minimum and, when asked,
co-staked by the co-staker at the given reward share.
"""

from __future__ import annotations

from typing import Any

from ionet.merkle import keccak

ZERO = "0x" + "00" * 20


def device_id(name: str) -> bytes:
    return keccak(name.encode())


def is_mock(staking: Any) -> bool:
    return hasattr(staking, "set_device")


def ensure_device(eco: Any, name: str, owner: Any, co_staker: Any | None, share_bps: int,
                  multiplier_bps: int = 100_000, processors: int = 8) -> bytes:
    """Register (and stake) a device owned by `owner`; returns its id. Eligible afterwards."""
    staking = eco.suite.NodeStaking
    device = device_id(name)
    if is_mock(staking):
        co = co_staker.address if co_staker is not None else ZERO
        staking.set_device(device, owner, owner, co, share_bps, True, sender=owner)
        return device
    raise NotImplementedError("real NodeStaking wiring comes with the staking merge")

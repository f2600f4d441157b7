"""Put devices into the suite's NodeStaking for the rewards demo and gas bench (a thin wrapper of
`ionet.chain.devices.ensure_eligible_device`, in the argument order the rewards code uses)."""

from __future__ import annotations

from typing import Any

from ionet.chain.devices import ensure_eligible_device


def ensure_device(
    eco: Any,
    name: str,
    owner: Any,
    co_staker: Any | None,
    share_bps: int,
    class_name: str = "H100",
    processors: int = 8,
) -> bytes:
    """Register, stake and optionally co-stake a device owned by `owner`; returns its id."""
    return ensure_eligible_device(eco.suite, name, owner, class_name, processors, co_staker, share_bps)

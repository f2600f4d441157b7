"""Put devices into the suite's NodeStaking for the rewards demo, gas bench and tests (a thin wrapper
of `ionet.chain.devices.ensure_eligible_device`, in the argument order the rewards code uses)."""

from __future__ import annotations

from typing import Any

from ionet.chain.devices import ensure_eligible_device
from ionet.chain.economy import fund_from_community


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


def stake_above_minimum(eco: Any, device: bytes, owner: Any, extra: int) -> None:
    """Stake `extra` IO more on `device` (paid to `owner` out of the Community vault first), so that
    a slash of up to `extra` leaves it eligible."""
    staking = eco.suite.NodeStaking
    fund_from_community(eco.suite, owner, extra)
    eco.suite.IOToken.approve(staking, extra, sender=owner)
    staking.stake(device, extra, sender=owner)

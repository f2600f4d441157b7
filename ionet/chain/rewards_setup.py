"""Put devices into the suite's NodeStaking for the rewards demo and gas bench.

A device is registered by its owner, staked to its minimum and, when asked, co-staked by the
co-staker at the given reward share (the offer's amount is a tenth of the minimum, within the
50 % cap). The owner and co-staker are funded from the Community vault (`Economy.fund`) when short.
"""

from __future__ import annotations

from typing import Any

from ionet.staking import device_class, device_id


def _fund(eco: Any, who: Any, amount: int) -> None:
    token = eco.suite.IOToken
    short = amount - token.balanceOf(who)
    if short > 0:
        eco.fund(who, short)


def ensure_device(
    eco: Any,
    name: str,
    owner: Any,
    co_staker: Any | None,
    share_bps: int,
    class_name: str = "H100",
    processors: int = 8,
) -> bytes:
    """Register, stake and optionally co-stake a device owned by `owner`; returns its id. The
    device is eligible afterwards (stake at its minimum, class supported, not jailed)."""
    staking, token = eco.suite.NodeStaking, eco.suite.IOToken
    device = device_id(name)
    if staking.device_owner(device) == "0x" + "00" * 20:
        staking.register_device(device, device_class(class_name), processors, owner, sender=owner)
    need = staking.min_stake(device)
    own = staking.owner_stake(device)[0]
    if own < need:
        _fund(eco, owner, need - own)
        token.approve(staking, need - own, sender=owner)
        staking.stake(device, need - own, sender=owner)
    if co_staker is not None and staking.co_stake(device)[0] == "0x" + "00" * 20:
        amount = need // 10
        staking.offer_co_stake(device, co_staker, amount, share_bps, sender=owner)
        _fund(eco, co_staker, amount)
        token.approve(staking, amount, sender=co_staker)
        staking.accept_co_stake(device, sender=co_staker)
    assert staking.is_eligible(device), f"{name} is not eligible after staking"
    return device

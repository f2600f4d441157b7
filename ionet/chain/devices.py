"""Make a device eligible on the suite's NodeStaking: the one helper the demo sections, gas
benches and integration tests use to put providers on the network."""

from __future__ import annotations

from typing import Any

from ionet import ZERO_ADDRESS as ZERO
from ionet.chain.economy import fund_from_community
from ionet.models.staking import device_class, device_id


def ensure_eligible_device(suite: Any, name: str, owner: Any, class_name: str = "H100", processors: int = 8,
                           co_staker: Any | None = None, share_bps: int = 0) -> bytes:
    """Register `name` (device id = keccak of it) for `owner` unless it is registered, top its owner
    stake up to the minimum (the IO paid out of the Community vault) and, when `co_staker` is given
    and the device has no co-stake (nor a pending offer), have it co-stake a tenth of the minimum
    (within the 50 % cap: never more than the owner's active stake) at `share_bps`. Returns the
    device id; the device is eligible afterwards."""
    staking, token = suite.NodeStaking, suite.IOToken
    device = device_id(name)
    if staking.device_owner(device) == ZERO:
        staking.register_device(device, device_class(class_name), processors, owner, sender=owner)
    need = staking.min_stake(device)
    own = staking.owner_stake(device)[0]
    if own < need:
        _top_up(suite, owner, need - own)
        token.approve(staking, need - own, sender=owner)
        staking.stake(device, need - own, sender=owner)
    if co_staker is not None and staking.co_stake(device).state_name == "none":
        amount = need // 10
        staking.offer_co_stake(device, co_staker, amount, share_bps, sender=owner)
        _top_up(suite, co_staker, amount)
        token.approve(staking, amount, sender=co_staker)
        staking.accept_co_stake(device, amount, share_bps, sender=co_staker)
    assert staking.is_eligible(device), f"{name} is not eligible after staking"
    return device


def _top_up(suite: Any, who: Any, amount: int) -> None:
    short = amount - suite.IOToken.balanceOf(who)
    if short > 0:
        fund_from_community(suite, who, short)

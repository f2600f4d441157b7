"""Chain helpers shared by the router's demo section, gas bench and integration test: make a
device eligible on the real NodeStaking (register + stake its minimum) and fund renters."""

from __future__ import annotations

from typing import Any

from ionet.chain.economy import fund_from_community
from ionet.staking import device_class, device_id


def register_eligible_device(
    suite: Any, admin: Any, owner: Any, name: str, class_name: str = "RTX 4090", processors: int = 1
) -> bytes:
    """Registers `name` (device id = keccak of it) for `owner` and stakes its minimum, paid to it out
    of the Community vault. Returns the device id; the device is eligible afterwards."""
    staking, io = suite.NodeStaking, suite.IOToken
    device = device_id(name)
    staking.register_device(device, device_class(class_name), processors, owner, sender=owner)
    need = staking.min_stake(device)
    fund_from_community(suite, owner, need)
    io.approve(staking, need, sender=owner)
    staking.stake(device, need, sender=owner)
    assert staking.is_eligible(device), f"{name} not eligible after staking its minimum"
    return device


def fund(suite: Any, admin: Any, account: Any, usdc: int = 0, io: int = 0) -> None:
    """Mints USDC (MockUSDC only: the admin is its minter) and pays IO out of the Community vault."""
    if usdc:
        suite.USDC.mint(account, usdc, sender=admin)
    if io:
        fund_from_community(suite, account, io)

"""Chain helpers shared by the router's demo section, gas bench and integration test: make a
device eligible on the real NodeStaking (register + stake its minimum) and fund renters."""

from __future__ import annotations

from typing import Any

from ionet.chain.devices import ensure_eligible_device
from ionet.chain.economy import fund_from_community


def register_eligible_device(
    suite: Any, admin: Any, owner: Any, name: str, class_name: str = "RTX 4090", processors: int = 1
) -> bytes:
    """Registers `name` for `owner` and stakes its minimum (see `ensure_eligible_device`); returns
    the device id. `admin` is kept for the callers' argument order; the IO comes from the vault."""
    return ensure_eligible_device(suite, name, owner, class_name, processors)


def fund(suite: Any, admin: Any, account: Any, usdc: int = 0, io: int = 0) -> None:
    """Mints USDC (MockUSDC only: the admin is its minter) and pays IO out of the Community vault."""
    if usdc:
        suite.USDC.mint(account, usdc, sender=admin)
    if io:
        fund_from_community(suite, account, io)

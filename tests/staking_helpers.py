"""Shared helpers of the staking tests (plain functions; fixtures live in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from ionet import IO
from ionet.chain.clock import advance  # noqa: F401  (re-exported for the tests)
from ionet.models.staking import device_class, device_id

DAY = 86_400
H100 = device_class("H100")
RTX4090 = device_class("RTX 4090")
EVIDENCE = b"\x5e" * 32


# Pays IO out of the Community vault (`Economy.fund`); set by the `staking` fixture in conftest.
BANK: Any = None


def fund(token: Any, admin: Any, who: Any, amount: int, staking: Any) -> None:
    """Give `who` IO (out of the Community vault; after deployment nobody else holds genesis IO)
    and approve the staking contract for all of it."""
    if amount:  # the vault grants no zero amounts
        BANK(who, amount)
    token.approve(staking, 2**256 - 1, sender=who)


def new_device(staking: Any, token: Any, admin: Any, who: Any, name: str = "dev-1", cls: bytes = H100,
               processors: int = 1, stake: int | None = None) -> bytes:
    """Register a device for `who` and stake `stake` (default: its minimum) on it."""
    d = device_id(name)
    staking.register_device(d, cls, processors, who, sender=who)
    amount = staking.min_stake(d) if stake is None else stake
    if amount:
        fund(token, admin, who, amount, staking)
        staking.stake(d, amount, sender=who)
    return d


def co_stake(staking: Any, token: Any, admin: Any, dev_owner: Any, co: Any, d: bytes, amount: int,
             share_bps: int = 2_000) -> None:
    """Offer `amount` to `co` and have it accepted."""
    staking.offer_co_stake(d, co, amount, share_bps, sender=dev_owner)
    fund(token, admin, co, amount, staking)
    staking.accept_co_stake(d, amount, share_bps, sender=co)




def one(receipt: Any, event: Any) -> Any:
    """The single `event` log of a receipt."""
    logs = receipt.events.filter(event)
    assert len(logs) == 1, logs
    return logs[0]


__all__ = ["DAY", "EVIDENCE", "H100", "IO", "RTX4090", "advance", "co_stake", "device_class", "device_id",
           "fund", "new_device", "one"]


def io_held(staking: Any) -> int:
    """Invariant io_held's right side, as anyone reads it: the running totals of `totals()` plus
    every device's owner stake in cooldown (kept per device only: `owner_stake` over `device_at`)."""
    t = staking.totals()
    cooldown = sum(staking.owner_stake(staking.device_at(i))[1] for i in range(1, t.device_count + 1))
    return t.owner_active + cooldown + t.co_staked + t.escrowed + t.refunds_owed

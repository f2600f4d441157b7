"""The Incentive Dynamic Engine in tests: activate the suite's engine, make the router accrue fees
(renters book a device), move the clock clear of epoch boundaries, and read the engine's state in
the reference model's terms (ionet/models/ide.py) so that the two can be compared to the wei."""

from __future__ import annotations

from typing import Any

from ape import chain

from ionet import IO, USDC
from ionet.chain import clock
from ionet.chain.deploy_ide import activation_calls
from ionet.chain.devices import ensure_eligible_device
from ionet.chain.economy import fund_from_community
from ionet.models import ide as model
from ionet.models.settlement import quote

MAX = 2**256 - 1
MARGIN = 60  # seconds clear of a boundary: Anvil stamps blocks with the wall clock


def activate(suite: Any, admin: Any) -> Any:
    """The deployer (every admin role before governance) switches the network to the IDE (the
    pool must serve the TWAP window: the `market` fixture makes it so)."""
    for fn, args in activation_calls(suite):
        fn(*args, sender=admin)
    return suite.IncentiveEngine


def fee_device(suite: Any, provider: Any) -> bytes:
    return ensure_eligible_device(suite, "ide fee device", provider, "H100", 8)


def book_fees(
    suite: Any, admin: Any, renter: Any, device: bytes, usdc_cost: int = 0, io_cost: int = 0
) -> tuple[int, int]:
    """The renter books `device` for one hour costing `usdc_cost` USDC and/or `io_cost` IO: the
    router accrues the renter-side fees. Returns the fees accrued (USDC, IO)."""
    router = suite.SettlementRouter
    fees_usdc = fees_io = 0
    if usdc_cost:
        q = quote(usdc_cost, 1, True)
        suite.USDC.mint(renter, q.total, sender=admin)
        suite.USDC.approve(router, q.total, sender=renter)
        router.book(device, suite.USDC, 1, usdc_cost, q.total, sender=renter)
        fees_usdc = q.fees
    if io_cost:
        q = quote(io_cost, 1, False)
        fund_from_community(suite, renter, q.total)
        suite.IOToken.approve(router, q.total, sender=renter)
        router.book(device, suite.IOToken, 1, io_cost, q.total, sender=renter)
        fees_io = q.fees
    return fees_usdc, fees_io


def epoch_end(engine: Any, epoch: int) -> int:
    return int(engine.start_time()) + epoch * int(engine.EPOCH_SECONDS())


def after_epoch(engine: Any, epoch: int) -> None:
    """Move the clock clear past the end of `epoch` (never exactly onto the boundary)."""
    clock.advance_to(epoch_end(engine, epoch) + MARGIN)


def now() -> int:
    return int(chain.blocks.head.timestamp)


_W3_CONTRACTS: dict[str, Any] = {}


def _w3(engine: Any) -> Any:
    """The engine as a plain web3 contract: its views read several times faster than through ape."""
    import json

    from ionet.manifest import ROOT

    if engine.address not in _W3_CONTRACTS:
        raw = json.loads((ROOT / "abi" / "IncentiveEngine.json").read_text())
        abi = raw["abi"] if isinstance(raw, dict) else raw
        _W3_CONTRACTS[engine.address] = chain.provider.web3.eth.contract(address=engine.address, abi=abi)
    return _W3_CONTRACTS[engine.address].functions


TOTALS = (
    "emitted_in released_from_reward released_from_fee_io released_from_swap released fee_usdc_in fee_io_in "
    "fee_usd_in usdc_spent_topup io_bought_topup usdc_spent_buyback burned_by_buyback burned_fee_io retired burned "
    "burned_elsewhere shortfall_usd_total shortfall_epochs"
).split()
COMPARED_TOTALS = [
    "emitted_in", "fee_usdc_in", "fee_io_in", "fee_usd_in", "released_from_reward", "released_from_fee_io",
    "released_from_swap", "usdc_spent_topup", "io_bought_topup", "usdc_spent_buyback", "burned_by_buyback",
    "burned_fee_io", "retired", "shortfall_usd_total", "shortfall_epochs",
]  # fmt: skip


def chain_state(engine: Any) -> dict[str, int]:
    """Every figure the model holds, read from the engine's views."""
    f = _w3(engine)
    t = dict(zip(TOTALS, f.totals().call(), strict=True))
    n, usd_owed, fee_usd, io_needed = f.trailing().call()
    state = {
        "reward_vault": f.reward_vault().call(),
        "fee_usdc": f.fee_usdc().call(),
        "fee_io": f.fee_io().call(),
        "pending_fee_usd": f.pending_fee_usd().call(),
        "last_stated": f.last_stated().call(),
        "last_settled": f.last_settled().call(),
        "last_burn_epoch": f.last_burn_epoch().call(),
        "trailing_count": n,
        "trailing_usd_owed": usd_owed,
        "trailing_fee_usd": fee_usd,
        "trailing_io_needed": io_needed,
        **{k: t[k] for k in COMPARED_TOTALS},
        "sustainability_ratio_bps": f.sustainability_ratio_bps().call(),
        "reserve_target_usd": f.reserve_target_usd().call(),
        "retire_buffer_io": f.retire_buffer_io().call(),
        "retirable": f.retirable().call(),
        "burn_share_bps": f.burn_share_bps().call(),
    }
    return {k: int(v) for k, v in state.items()}


def model_state(ide: model.IncentiveEngine) -> dict[str, int]:
    return {
        "reward_vault": ide.reward_vault,
        "fee_usdc": ide.fee_usdc,
        "fee_io": ide.fee_io,
        "pending_fee_usd": ide.pending_fee_usd,
        "last_stated": ide.last_stated,
        "last_settled": ide.last_settled,
        "last_burn_epoch": ide.last_burn_epoch,
        "trailing_count": ide.trailing_count,
        "trailing_usd_owed": ide.trailing_usd_owed,
        "trailing_fee_usd": ide.trailing_fee_usd,
        "trailing_io_needed": ide.trailing_io_needed,
        "emitted_in": ide.emitted_in,
        "fee_usdc_in": ide.fee_usdc_in,
        "fee_io_in": ide.fee_io_in,
        "fee_usd_in": ide.fee_usd_in,
        "released_from_reward": ide.released_from_reward,
        "released_from_fee_io": ide.released_from_fee_io,
        "released_from_swap": ide.released_from_swap,
        "usdc_spent_topup": ide.usdc_spent_topup,
        "io_bought_topup": ide.io_bought_topup,
        "usdc_spent_buyback": ide.usdc_spent_buyback,
        "burned_by_buyback": ide.burned_by_buyback,
        "burned_fee_io": ide.burned_fee_io,
        "retired": ide.retired,
        "shortfall_usd_total": ide.shortfall_usd_total,
        "shortfall_epochs": ide.shortfall_epochs,
        "sustainability_ratio_bps": ide.sustainability_ratio_bps(),
        "reserve_target_usd": ide.reserve_target_usd(),
        "retire_buffer_io": ide.retire_buffer_io(),
        "retirable": ide.retirable(),
        "burn_share_bps": ide.params.burn_share_bps,
    }


def price_of(engine: Any, market: Any) -> model.Price:
    """The pool's TWAP quote of one IO over the window ending now, as the engine reads it."""
    from ionet.models import market as m

    mean = market.mean_tick(window=int(engine.twap_window()))
    return model.Price(twap=m.quote_at_tick(mean, IO, market.io.address, market.usdc.address))


def close_twap(engine: Any, market: Any, epoch: int) -> int | None:
    """The pool's TWAP over the window that ended at `epoch`'s close (what its statement reads), or
    None when the pool's history no longer reaches back to it."""
    from ionet.models import market as m

    window = int(engine.twap_window())
    ago = now() - epoch_end(engine, epoch)
    try:
        mean = market.mean_tick_at(window=window, ago=ago)
    except Exception:  # noqa: BLE001 (Uniswap's "OLD")
        return None
    return m.quote_at_tick(mean, IO, market.io.address, market.usdc.address)


__all__ = ["IO", "USDC", "MAX", "activate", "book_fees", "fee_device", "after_epoch", "chain_state", "model_state"]

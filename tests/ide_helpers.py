"""The Incentive Dynamic Engine in tests: activate the suite's engine, make the router accrue fees
(renters book a device), move the clock clear of epoch boundaries, and read the engine's state in
the reference model's terms (ionet/ide.py) so that the two can be compared to the wei."""

from __future__ import annotations

from typing import Any

from ape import chain

from ionet import IO, USDC
from ionet import ide as model
from ionet.chain import clock
from ionet.chain.deploy_ide import activation_calls
from ionet.chain.devices import ensure_eligible_device
from ionet.chain.economy import fund_from_community
from ionet.settlement import quote

MAX = 2**256 - 1
MARGIN = 60  # seconds clear of a boundary: Anvil stamps blocks with the wall clock


def activate(suite: Any, admin: Any) -> Any:
    """The deployer (every admin role before governance) switches the network to the IDE."""
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


def chain_state(engine: Any) -> dict[str, int]:
    """Every figure the model holds, read from the engine's views."""
    t = engine.totals()
    n, usd_owed, fee_usd, io_needed = engine.trailing()
    return {
        "reward_vault": int(engine.reward_vault()),
        "fee_usdc": int(engine.fee_usdc()),
        "fee_io": int(engine.fee_io()),
        "pending_fee_usd": int(engine.pending_fee_usd()),
        "last_stated": int(engine.last_stated()),
        "last_settled": int(engine.last_settled()),
        "last_burn_epoch": int(engine.last_burn_epoch()),
        "trailing_count": int(n),
        "trailing_usd_owed": int(usd_owed),
        "trailing_fee_usd": int(fee_usd),
        "trailing_io_needed": int(io_needed),
        "emitted_in": int(t.emitted_in),
        "fee_usdc_in": int(t.fee_usdc_in),
        "fee_io_in": int(t.fee_io_in),
        "fee_usd_in": int(t.fee_usd_in),
        "released_from_reward": int(t.released_from_reward),
        "released_from_fee_io": int(t.released_from_fee_io),
        "released_from_swap": int(t.released_from_swap),
        "usdc_spent_topup": int(t.usdc_spent_topup),
        "io_bought_topup": int(t.io_bought_topup),
        "usdc_spent_buyback": int(t.usdc_spent_buyback),
        "burned_by_buyback": int(t.burned_by_buyback),
        "burned_fee_io": int(t.burned_fee_io),
        "retired": int(t.retired),
        "shortfall_usd_total": int(t.shortfall_usd_total),
        "shortfall_epochs": int(t.shortfall_epochs),
        "sustainability_ratio_bps": int(engine.sustainability_ratio_bps()),
        "reserve_target_usd": int(engine.reserve_target_usd()),
        "retire_buffer_io": int(engine.retire_buffer_io()),
        "retirable": int(engine.retirable()),
        "burn_share_bps": int(engine.burn_share_bps()),
    }


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
    """The pool's TWAP quote of one IO as the engine reads it, and its deviation as the engine
    measures it (ticks), for the model."""
    from ionet import market as m

    mean = market.mean_tick()
    twap = m.quote_at_tick(mean, IO, market.io.address, market.usdc.address)
    spot_tick = market.spot_tick()
    return model.Price(twap=twap, spot=twap, deviation=m.deviation_bps(spot_tick, mean))


__all__ = ["IO", "USDC", "MAX", "activate", "book_fees", "fee_device", "after_epoch", "chain_state", "model_state"]

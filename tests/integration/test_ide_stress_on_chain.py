"""The published stress scenarios of `make ide-sim` replayed on Anvil: chain == model to the wei.

`ionet/studies/ide_sim.py` shows the three published stress tests of the Incentive Dynamic Engine (demand
−55 %, price −50 %, both) on the reference model alone. Here each one is replayed on the suite's real
contracts (IncentiveEngine, FeeVaultDesk, SettlementRouter, EmissionSchedule) and the real IO/USDC
Uniswap V3 pool, for 30 daily epochs, with the shared differential harness (tests/ide_harness.py):
every operation runs on the chain first, then on the model (its trades filled with the pool's own
fills as the FeeVaultDesk logs them), and after every step every view of the engine, the engine's
IO and the desk's USDC equal the model's ledgers, and the model's invariants hold.

Which 30 days: the simulator's paths are the baseline's until the shock day (day 120), so its first
30 days are the same in every scenario. The replay takes the simulator's own scenario definitions
and paths (`ide_sim.SCENARIOS`, `ide_sim.paths`) over the 30 days from the shock day: the shock's
ramp (14 days to its full size) and 16 days at full size.

Each epoch, as the simulator's day:
1. an outside trader trades the pool to the day's path price (Uniswap's SwapRouter, exact input up
   to a sqrtPriceLimitX96 inside the price's tick) and nobody trades until after the close, so the
   TWAP of the window ending at the close (the statement's price) is the day's price, to the tick;
2. renters book a device so that the router's fees are the simulator's fees of the day (the
   published fee table over the day's rentals, which follow the scenario's demand), scaled by the
   local pool's USDC side over the simulator's (2M / 5M): the engine's buybacks then move the local
   pool as much as the simulator's move its pool; anyone collects them into the Fee Vault;
3. after the close anyone syncs the day's emission (24 hourly epochs of the chain's own schedule), the
   oracle states the simulator's USD owed of the day (not scaled: the IO it needs against the
   emission is what the scenario is about), anyone settles and triggers the buyback-and-burn;
   governance retires the Reward Vault's excess on the simulator's retirement days.

The Fee Vault starts where the simulator's stood on the eve of the shock (its USDC and IO at the end
of day 119: the 30-day reserve and the surplus above it), booked as fees before the first epoch; the
Reward Vault starts empty (only the emission fills it, as on chain it must).

What the scenarios are about, asserted day by day against the simulator's own run: every supplier is
paid its full USD target (no shortfall, as in the simulator), all of it from the Reward Vault (the
Fee Vault is never drawn, the engine never sells IO), each epoch's price is the day's price to the
tick and never clamped; the Fee Vault's 30-day reserve stays whole while its surplus is bought back
and burned every day; a price drop doubles the IO needed, a demand drop cuts the fees and the
burns, by the simulator's factors.
"""

from __future__ import annotations

import os
from dataclasses import replace
from fractions import Fraction
from functools import cache

import pytest
from ape import chain

from ionet import IO, USDC
from ionet.chain import clock
from ionet.chain.economy import fund_from_community
from ionet.config import load_config
from ionet.models import ide as model
from ionet.models import market as m
from ionet.models.settlement import FACILITATION_FEE_BPS, RESERVATION_FEE_BPS
from ionet.studies import ide_sim as sim
from tests.ide_harness import Run
from tests.ide_helpers import activate, epoch_end, fee_device

EPOCHS = 30
BPS = 10_000
MAX = 2**256 - 1
STRESS = [s for s in sim.SCENARIOS if s.published and (s.demand_drop_bps or s.price_drop_bps)]
A = sim.Assumptions()
FIRST_DAY = A.shock_day  # epoch 1 replays this day of the simulator
DAYS = range(FIRST_DAY, FIRST_DAY + EPOCHS)


@cache
def simulated(key: str) -> sim.Run:
    """The simulator's own run of the scenario, through the last replayed day."""
    cfg = load_config("local")
    s = next(s for s in STRESS if s.key == key)
    return sim.run_scenario(s, sim.engine_params(cfg), sim.usd_targets(cfg), replace(A, days=DAYS[-1]))


def tick_price(price: int, market) -> tuple[int, int]:
    """(the pool's sqrtPriceX96 in the middle of the tick holding `price`, that tick's quote of one
    IO): a pool held there has the tick's quote as its TWAP."""
    io, usdc = market.io.address, market.usdc.address
    tick = m.tick_at_sqrt_ratio(m.sqrt_price_x96_for(Fraction(price, USDC), io, 18, usdc, 6))
    sqrt = (m.sqrt_ratio_at_tick(tick) + m.sqrt_ratio_at_tick(tick + 1)) // 2
    return sqrt, m.quote_at_tick(tick, IO, io, usdc)


class StressRun(Run):
    """The shared harness with the scenario's outside trader and renters."""

    def move_to(self, price: int) -> int:
        """An outside trader trades the pool into the tick of `price` (exact input up to that
        price, the rest of the input left unspent); returns the tick's quote of one IO."""
        mk = self.market
        target, quote = tick_price(price, mk)
        now = int(mk.io_pool.slot0().sqrtPriceX96)
        if now != target:
            token0, token1 = m.sort_tokens(mk.io.address, mk.usdc.address)
            zero_for_one = target < now
            token_in, token_out = (token0, token1) if zero_for_one else (token1, token0)
            amount = mk.io.balanceOf(mk.trader) if token_in == mk.io.address else mk.usdc.balanceOf(mk.trader)
            chain.pending_timestamp = chain.blocks.head.timestamp + 12
            mk.swap_router.exactInputSingle(
                (token_in, token_out, int(mk.io_pool.fee()), mk.trader.address, chain.pending_timestamp + 3_600,
                 amount, 0, target),
                sender=mk.trader,
            )
            self.moved = True
        assert int(mk.io_pool.slot0().sqrtPriceX96) == target
        return quote

    def book_fees(self, usdc_fee: int, io_fee: int) -> None:
        """The renter books the device for an hour in USDC and another in IO, at the costs whose
        renter fees (reservation 0.25 % + facilitation 2 % in USDC, reservation 0.25 % in IO,
        each rounded up) are `usdc_fee` and `io_fee`, to a base unit."""
        router = self.suite.SettlementRouter
        before = int(router.fees(self.suite.USDC)), int(router.fees(self.suite.IOToken))
        if usdc_fee:
            cost = usdc_fee * BPS // (RESERVATION_FEE_BPS + FACILITATION_FEE_BPS)
            router.book(self.device, self.suite.USDC, 1, cost, MAX, sender=self.renter)
        if io_fee:
            cost = io_fee * BPS // RESERVATION_FEE_BPS
            router.book(self.device, self.suite.IOToken, 1, cost, MAX, sender=self.renter)
        usdc_in = int(router.fees(self.suite.USDC)) - before[0]
        io_in = int(router.fees(self.suite.IOToken)) - before[1]
        assert abs(usdc_in - usdc_fee) <= 2 and io_in == io_fee


@pytest.fixture
def run(suite, market, owner, operator, alice, bob, carol):
    activate(suite, owner)
    device = fee_device(suite, bob)
    renter = carol
    suite.USDC.mint(renter, 40_000_000 * USDC, sender=owner)
    fund_from_community(suite, renter, 8_000_000 * IO)
    suite.USDC.approve(suite.SettlementRouter, MAX, sender=renter)
    suite.IOToken.approve(suite.SettlementRouter, MAX, sender=renter)
    return StressRun(suite, market, owner, operator, alice, renter, device)


# `make test` replays the scenario that combines both shocks (about 40 s); `make ide-stress` (and
# IONET_IDE_STRESS=all) replays all three published ones (about 2 min).
_ALL = os.environ.get("IONET_IDE_STRESS") == "all"
_DEFAULT = [s.key for s in STRESS if s.demand_drop_bps and s.price_drop_bps][:1]


@pytest.mark.parametrize("key", [
    pytest.param(s.key, marks=() if (_ALL or s.key in _DEFAULT) else pytest.mark.skip(
        reason="replayed by `make ide-stress` (IONET_IDE_STRESS=all): make test replays the combined shock only"))
    for s in STRESS])
def test_published_stress_scenario__30_epochs_on_anvil__chain_equals_model_to_the_wei(run, key):
    r = run
    day_run = simulated(key)
    s = day_run.scenario
    prices, demand = sim.paths(A, s)
    sim_days = {d.day: d for d in day_run.days}
    r.check("activated")
    # the simulator's engine and the suite's: the same parameters (config/deploy.local.json `ide`)
    p = r.ide.params
    assert (p.max_usd_per_epoch, p.burn_share_bps, p.reserve_epochs, p.retire_buffer_epochs, p.max_swap_usdc,
            p.max_slippage_bps, p.max_price_move_bps) == tuple(
        getattr(day_run.engine.params, k) for k in ("max_usd_per_epoch", "burn_share_bps", "reserve_epochs",
                                                    "retire_buffer_epochs", "max_swap_usdc", "max_slippage_bps",
                                                    "max_price_move_bps"))
    # fees scaled to the local pool: its USDC side over the simulator's
    scale_bps = r.suite.USDC.balanceOf(r.market.io_pool) * BPS // A.pool_usdc
    assert 3_900 <= scale_bps <= 4_100, scale_bps  # the local deploy's 2M USDC side
    # the Fee Vault as the simulator's stood on the eve of the shock (collected with epoch 1's fees)
    eve = sim_days[FIRST_DAY - 1]
    r.book_fees(eve.fee_usdc, eve.fee_io)
    pre_fill_usd = eve.fee_usdc + eve.fee_io * r.price().twap // IO

    days: list[tuple[sim.Day, model.Settlement, int, model.Burn | None]] = []
    for epoch, day in enumerate(DAYS, start=1):
        want = sim_days[day]
        price = prices[day - 1]
        assert price == want.price
        # 1. the pool to the day's price, held through the close
        quote = r.move_to(price)
        assert abs(quote - price) * BPS <= price, (day, quote, price)  # within the tick (1 bp)
        # 2. the day's rentals leave the simulator's fees (scaled) in the router; anyone collects
        fee_usdc, fee_io = sim.fees_of_day(A, sim.rentals_usd(A, demand[day - 1]), price)
        r.book_fees(fee_usdc * scale_bps // BPS, fee_io * scale_bps // BPS)
        fee_usd = r.collect()
        assert fee_usd is not None
        # 3. after the close: the emission, the statement, the settlement, the buyback
        clock.advance_to(epoch_end(r.engine, epoch) + 60)
        assert r.sync() > 0
        r.state(epoch, want.usd_owed)
        epoch_price, flag = r.ide.prices[epoch]
        assert epoch_price == quote and flag == model.PRICE_AT_TWAP == want.price_flag, (day, epoch_price, flag)
        st = r.settle(epoch)
        assert st is not None and r.ide.last_settled == epoch
        if st.io_bought:  # the engine's top-up moved the pool: the trader brings it back
            r.move_to(price)
        b = r.burn()
        if day % A.retire_every == 0 and r.ide.retirable() > 0:
            r.retire(r.ide.retirable())
        days.append((want, st, fee_usd, b))

        # what the scenario is about, this day, against the simulator's day
        assert st.shortfall_usd == want.shortfall_usd == 0 and st.usd_paid == st.usd_owed == want.usd_owed
        assert st.io_needed == st.usd_owed * IO // epoch_price
        assert st.from_reward_vault == st.io_needed  # the Reward Vault pays it all
        assert st.from_fee_io == st.from_fee_usdc_swap == st.usdc_spent == 0 == want.from_fee_io == want.from_swap
        assert abs(st.io_needed - want.from_reward) * BPS <= want.from_reward  # the day's IO, to the tick
        # the day's fees are the simulator's, scaled (its IO valued at the tick's quote)
        want_fee = want.fee_usd * scale_bps // BPS + (pre_fill_usd if epoch == 1 else 0)
        assert abs(fee_usd - want_fee) * 1_000 <= want_fee, (day, fee_usd, want_fee)
        # the 30-day reserve stays whole while the surplus above it is burned, every day
        assert b is not None and b.io_burned > 0
        assert r.ide.fee_usdc >= r.ide.reserve_target_usd() == r.ide.params.reserve_epochs * want.usd_owed

    e = r.ide
    assert e.last_settled == e.last_stated == e.last_burn_epoch == EPOCHS
    assert e.shortfall_epochs == e.shortfall_usd_total == 0
    assert e.released_from_fee_io == e.released_from_swap == e.usdc_spent_topup == 0
    assert e.released_from_reward == sum(st.io_needed for _w, st, _f, _b in days)
    assert sum(r.seen.get(f"price flag {f}", 0) for f in (model.PRICE_CLAMPED_UP, model.PRICE_CLAMPED_DOWN)) == 0
    # every day's surplus USDC bought IO in full, within the price limit (as the simulator's buybacks)
    assert r.seen["buyback_and_burn exact_input"] == EPOCHS
    assert "partial fill" not in r.seen and "no fill at the limit" not in r.seen and "settle exact_output" not in r.seen
    first, last = days[0], days[-1]
    if s.price_drop_bps:  # the price halves: the IO each USD needs doubles, and the emission pays it
        assert last[1].io_needed * 10 >= first[1].io_needed * 19
        sim_ratio = Fraction(last[0].from_reward, first[0].from_reward)
        assert abs(Fraction(last[1].io_needed, first[1].io_needed) - sim_ratio) <= sim_ratio / 1_000
    else:  # the price holds: so does the IO needed
        assert last[1].io_needed * 10 <= first[1].io_needed * 11
    fees = [f for _w, _st, f, _b in days[1:]]  # (epoch 1 carries the pre-filled Fee Vault)
    sim_fees = [w.fee_usd for w, _st, _f, _b in days[1:]]
    if s.demand_drop_bps:  # rentals fall 55 %: so do the fees, and the surplus burned
        assert fees[-1] * 10 < fees[0] * 6
        assert abs(Fraction(fees[-1], fees[0]) - Fraction(sim_fees[-1], sim_fees[0])) <= Fraction(1, 500)
        assert days[-1][3].usdc_spent * 3 < days[1][3].usdc_spent * 2
    else:
        assert fees[-1] * 10 >= fees[0] * 8

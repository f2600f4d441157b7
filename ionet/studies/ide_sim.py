"""`make ide-sim`: the Incentive Dynamic Engine over a year of daily epochs, under stress.

    python -m ionet.studies.ide_sim            # writes docs/ide-simulation.md and docs/ide/*.png

The engine is `ionet.models.ide.IncentiveEngine`, the contract's reference model, unchanged: the simulator
only feeds it, day after day (epoch d = day d):

1. the emission of the day's 24 hourly epochs (`ionet.models.emission`) enters the Reward Vault;
2. the day's fees (the published fee table applied to the day's rentals) enter the Fee Vault;
3. outside traders move the pool to the day's path price and leave it there for the TWAP window, so
   the TWAP of the window ending at the day's close is the day's price;
4. the oracle states the USD owed to suppliers (class USD target × processors × eligible hours); the
   statement fixes the epoch's price: that close TWAP, clamped to within `max_price_move_bps` (10 %)
   of the previous epoch's price (day 0: the price at activation);
5. anyone settles the epoch at the epoch's price (Reward Vault, then Fee Vault IO, then Fee Vault
   USDC bought into IO at the current TWAP, up to the price limit);
6. outside traders bring the pool back to the path price; anyone triggers the buyback-and-burn;
7. every 30 days governance retires the Reward Vault's IO above the 90-day buffer.

The pool is a constant-product IO/USDC pool with the 0.3 % fee (a Uniswap V3 full-range position is
exactly x·y = k within its range), with the FeeVaultDesk's price limit: the engine's own purchases
move its price and pay its fee, and stop where the pool's marginal price reaches
twap · 1.0001^slippage_ticks (the desk's sqrtPriceLimitX96): a purchase fills partly, or not at
all, and never fails. Every amount is an integer in base units; the random noise (seeded, the same in
every scenario) is drawn as integer basis points.

Scenarios: baseline; demand −55 %; price −50 %; both (the stress tests published with the IDE); and,
beyond them, price −75 % with demand −55 %, to show what happens when reserves run out, and price −50 %
overnight, to show the clamp of the epoch's price (the engine's price follows in steps of at most
`max_price_move_bps` a day, and suppliers are paid less than their target at the market's price while it
does). Each shock starts on day `shock_day` (after the reserves have filled), reaches its full size over
`shock_ramp_days` (one day overnight) and lasts to the end of the year.
"""

from __future__ import annotations

import random
import sys
import textwrap
from dataclasses import dataclass, field
from math import isqrt
from pathlib import Path
from typing import Any

from ionet.config import ROOT, load_config
from ionet.models import emission
from ionet.models.ide import (
    BPS,
    EXACT_INPUT,
    EXACT_OUTPUT,
    IO,
    PRICE_CLAMPED_DOWN,
    PRICE_CLAMPED_UP,
    USD,
    USDC_TO_IO,
    Fill,
    IncentiveEngine,
    Params,
    Price,
    SwapRequest,
    ceil_div,
    slippage_ticks,
)

HOURS_PER_DAY = 24
FEE_PPM = Params().pool_fee  # the pool's 0.3 % fee tier (hundredths of a bp)
PPM = 1_000_000
# The FeeVaultDesk's price limit at the default slippage (1 %) and fee: 68 ticks above the TWAP.
DEFAULT_SLIPPAGE_TICKS = slippage_ticks(Params().max_slippage_bps, FEE_PPM)
RESERVATION_FEE_BPS = 25  # published: renter 0.25 % on every booking; supplier 0.25 % on payment
FACILITATION_FEE_BPS = 200  # published: renter 2 % when paying in USDC
SUPPLIER_PAYMENT_FEE_BPS = 200  # published: supplier 2 % when withdrawing income in USDC


# ------------------------------------------------------------------ configuration
def engine_params(cfg: dict[str, Any]) -> Params:
    """The engine's parameters from the `ide` key of a deploy config (a market bound the config does
    not give takes the model's default)."""
    ide = cfg["ide"]
    d = Params()
    return Params(
        epoch_seconds=int(ide["epoch_seconds"]),
        max_usd_per_epoch=int(ide["max_usd_per_epoch_usd6"]),
        burn_share_bps=int(ide["burn_share_bps"]),
        reserve_epochs=int(ide["reserve_epochs"]),
        retire_buffer_epochs=int(ide["retire_buffer_epochs"]),
        max_swap_usdc=int(ide["max_swap_usdc_usd6"]),
        max_slippage_bps=int(ide["max_slippage_bps"]),
        twap_window_seconds=int(ide.get("twap_window_seconds", d.twap_window_seconds)),
        max_price_move_bps=int(ide.get("max_price_move_bps", d.max_price_move_bps)),
    )


def usd_targets(cfg: dict[str, Any]) -> dict[str, int]:
    """USD target per processor-hour by device class, in USD base units (governance parameter)."""
    return {k: int(v) for k, v in cfg["ide"]["usd_target_per_processor_hour_usd6"].items()}


@dataclass(frozen=True)
class ClassFleet:
    """Simulation assumption (our default): a device class's fleet and its rental market."""

    processors: int  # processors online (eligible) in the class
    rent_usd6_per_hour: int  # what a renter pays per processor-hour, USD base units
    utilization_bps: int  # share of processor-hours rented


# Our defaults for the simulation (not deployment parameters): a fleet of ~25,000 processors.
DEFAULT_FLEET: dict[str, ClassFleet] = {
    "H100": ClassFleet(3_000, 2_000_000, 5_000),
    "H200": ClassFleet(800, 2_600_000, 4_500),
    "B200": ClassFleet(200, 4_500_000, 4_000),
    "A100-80GB": ClassFleet(2_500, 1_200_000, 4_500),
    "A100-40GB": ClassFleet(1_500, 800_000, 3_500),
    "L40S": ClassFleet(1_500, 850_000, 3_500),
    "RTX 6000 Ada": ClassFleet(800, 750_000, 3_000),
    "RTX 4080": ClassFleet(3_000, 250_000, 2_500),
    "RTX 4090": ClassFleet(10_000, 350_000, 3_500),
    "M4 Max": ClassFleet(2_000, 200_000, 1_500),
}


@dataclass(frozen=True)
class Assumptions:
    """Everything the simulator assumes beyond the engine's parameters (all our defaults)."""

    days: int = 365
    seed: int = 2026_06_11
    fleet: dict[str, ClassFleet] = field(default_factory=lambda: dict(DEFAULT_FLEET))
    eligible_bps: int = 9_500  # share of hours a device is online and eligible
    renter_usdc_bps: int = 8_000  # bookings paid in USDC (the rest in IO)
    supplier_usdc_bps: int = 6_000  # supplier income withdrawn in USDC (the rest taken in IO)
    start_price: int = 400_000  # 0.40 USDC per IO (the local market's initial price)
    pool_usdc: int = 5_000_000 * USD  # the pool's USDC side at the start (full range)
    price_noise_bps: int = 300  # daily price shock, uniform in ±this, mean-reverting (AR 0.9)
    demand_noise_bps: int = 1_000  # daily demand factor, uniform in ±this
    shock_day: int = 120  # first day of the stress (reserves have filled by then)
    shock_ramp_days: int = 14  # the shock reaches its full size linearly over these days
    retire_every: int = 30  # governance retires the Reward Vault's excess every 30 days


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    demand_drop_bps: int = 0
    price_drop_bps: int = 0
    published: bool = True  # one of the published stress tests (else: beyond them)
    ramp_days: int = 0  # days the shock takes to reach its full size (0: Assumptions.shock_ramp_days)


SCENARIOS = (
    Scenario("baseline", "Baseline"),
    Scenario("demand-55", "Demand −55 %", demand_drop_bps=5_500),
    Scenario("price-50", "Price −50 %", price_drop_bps=5_000),
    Scenario("both", "Demand −55 % and price −50 %", demand_drop_bps=5_500, price_drop_bps=5_000),
    Scenario("severe", "Demand −55 % and price −75 % (beyond the published tests)", demand_drop_bps=5_500,
             price_drop_bps=7_500, published=False),
    Scenario("overnight", "Price −50 % overnight (beyond the published tests)", price_drop_bps=5_000,
             published=False, ramp_days=1),
)


# ------------------------------------------------------------------ the pool
@dataclass(frozen=True)
class Trade:
    """One purchase the engine ordered: what it asked (IO for EXACT_OUTPUT, USDC for EXACT_INPUT),
    what the pool did, and whether the pool stopped at the price limit (a partial fill, or none)."""

    kind: str
    asked: int
    usdc_paid: int
    io_received: int
    at_limit: bool


@dataclass
class Pool:
    """A constant-product IO/USDC pool with a 0.3 % input fee that stays in the pool, traded by the
    engine through the FeeVaultDesk: every purchase stops where the pool's marginal price reaches
    the limit twap · 1.0001^slippage_ticks (the desk's sqrtPriceLimitX96), filling partly or not at
    all; it never raises for a market reason."""

    io: int  # wei
    usdc: int  # USDC base units
    slippage_ticks: int = DEFAULT_SLIPPAGE_TICKS
    fee_ppm: int = FEE_PPM
    engine_trades: list[Trade] = field(default_factory=list)
    outside_volume_usdc: int = 0

    @classmethod
    def at_price(cls, price: int, usdc: int, **kw: Any) -> Pool:
        return cls(io=usdc * IO // price, usdc=usdc, **kw)

    @property
    def price(self) -> int:
        """Spot price: USDC base units per 10**18 wei."""
        return self.usdc * IO // self.io

    def move_to(self, price: int) -> None:
        """Outside traders trade the pool to `price` (at constant k; their fees left out)."""
        k = self.io * self.usdc
        new_io = isqrt(k * IO // price)
        new_usdc = k // new_io
        self.outside_volume_usdc += abs(new_usdc - self.usdc)
        self.io, self.usdc = new_io, new_usdc

    def limit_price(self, twap: int) -> tuple[int, int]:
        """The price limit twap · 1.0001^t as an exact fraction (numerator, denominator)."""
        t = self.slippage_ticks
        return twap * 10_001**t, 10_000**t

    def gross(self, net: int) -> int:
        """USDC paid for `net` USDC reaching the curve: the fee on top, rounded up (Uniswap's
        mulDivRoundingUp(amountIn, fee, 1e6 - fee) when a step stops at a price)."""
        return net + ceil_div(net * self.fee_ppm, PPM - self.fee_ppm)

    def _out(self, net: int) -> int:
        """IO out for `net` USDC on the curve, rounded down (x·y = k never falls)."""
        return self.io * net // (self.usdc + net)

    def _within_limit(self, paid: int, out: int, num: int, den: int) -> bool:
        """Whether the pool's spot price after the trade, (usdc + paid) / (io - out), its fee
        included, is at or below the limit num / den (exact)."""
        return out < self.io and (self.usdc + paid) * IO * den <= (self.io - out) * num

    def net_to_limit(self, twap: int) -> int:
        """The most USDC (net of the fee) the curve takes before the spot price, the fee included,
        would pass the limit: exact in integers. The curve alone reaches the limit when the USDC
        side is y_lim = floor(sqrt(k · P_lim / 10**18)) (floor(sqrt(floor(z))) == floor(sqrt(z)));
        the fee staying in the pool lowers that a little: the largest net <= y_lim - usdc (+1 for the
        rounding of the IO out) whose whole trade stays at or below the limit, by bisection (the
        spot after a trade rises with its size). 0 when the spot is already at or beyond it."""
        num, den = self.limit_price(twap)
        hi = max(0, isqrt(self.io * self.usdc * num // (IO * den)) - self.usdc) + 1
        lo = 0
        if not self._within_limit(0, 0, num, den):
            return 0
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._within_limit(self.gross(mid), self._out(mid), num, den):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def swap(self, req: SwapRequest) -> Fill:
        """The engine's trade (always USDC → IO) up to the price limit of `req.twap`: EXACT_OUTPUT
        buys up to `req.amount` IO, EXACT_INPUT sells up to `req.amount` USDC; partial at the limit,
        (0, 0) when the spot price is already at or beyond it. Never raises for a market reason."""
        assert req.direction == USDC_TO_IO, "the engine never sells IO"
        num, den = self.limit_price(req.twap)
        if req.kind == EXACT_INPUT:
            net = req.amount * (PPM - self.fee_ppm) // PPM  # the fee taken on input, rounded up
            paid, out = req.amount, self._out(net)
        else:
            assert req.kind == EXACT_OUTPUT
            out = req.amount
            net = ceil_div(self.usdc * out, self.io - out) if out < self.io else 0
            paid = self.gross(net)
        at_limit = not self._within_limit(paid, out, num, den)
        if at_limit:  # the pool stops at the limit: the part of the trade up to it
            net = self.net_to_limit(req.twap)
            paid, out = self.gross(net), self._out(net)
            if out == 0:
                paid = 0
        # The desk's callback refuses more than max_in: the price limit keeps every fill below it.
        assert paid <= req.max_in, f"the desk would revert: {paid} > {req.max_in}"
        self.usdc += paid
        self.io -= out
        self.engine_trades.append(Trade(req.kind, req.amount, paid, out, at_limit))
        return Fill(paid, out)


# ------------------------------------------------------------------ paths
def _ramp(day: int, a: Assumptions, drop_bps: int, ramp_days: int = 0) -> int:
    """The multiplier (bps) a shock of `drop_bps` applies on `day`: 10_000 before the shock day,
    reaching 10_000 − drop_bps linearly over the ramp (`ramp_days`, else the assumptions')."""
    ramp = ramp_days or a.shock_ramp_days
    if drop_bps == 0 or day < a.shock_day:
        return BPS
    done = min(day - a.shock_day + 1, ramp)
    return BPS - drop_bps * done // ramp


def paths(a: Assumptions, s: Scenario) -> tuple[list[int], list[int]]:
    """(price per day, demand factor in bps per day), index 0 = day 1. The same seed gives every
    scenario the same noise: scenarios differ only by their shocks."""
    rng = random.Random(a.seed)
    prices, demand = [], []
    z = 0
    for day in range(1, a.days + 1):
        z = z * 9 // 10 + rng.randint(-a.price_noise_bps, a.price_noise_bps)
        anchor = a.start_price * _ramp(day, a, s.price_drop_bps, s.ramp_days) // BPS
        prices.append(anchor * (BPS + z) // BPS)
        noise = BPS + rng.randint(-a.demand_noise_bps, a.demand_noise_bps)
        demand.append(_ramp(day, a, s.demand_drop_bps, s.ramp_days) * noise // BPS)
    return prices, demand


# ------------------------------------------------------------------ supply and demand
def usd_owed_per_day(a: Assumptions, targets: dict[str, int]) -> int:
    """What the oracle states each day: Σ class target × processors × eligible hours."""
    total = 0
    for cls, f in a.fleet.items():
        eligible_hours = f.processors * HOURS_PER_DAY * a.eligible_bps // BPS
        total += targets[cls] * eligible_hours
    return total


def rentals_usd(a: Assumptions, demand_bps: int) -> int:
    """Rental revenue of the day (GMV), USD base units."""
    total = 0
    for f in a.fleet.values():
        rented_hours = f.processors * HOURS_PER_DAY * f.utilization_bps * demand_bps // (BPS * BPS)
        total += rented_hours * f.rent_usd6_per_hour
    return total


def fees_of_day(a: Assumptions, gmv: int, price: int) -> tuple[int, int]:
    """(USDC fees, IO fees in wei) of a day's rentals, from the published fee table (fees rounded up):
    renter 0.25 % on every booking + 2 % on USDC bookings; supplier 0.25 % of the reservation cost,
    in the booking's currency, + 2 % on the income withdrawn in USDC."""
    gmv_usdc = gmv * a.renter_usdc_bps // BPS
    gmv_io = gmv - gmv_usdc
    usdc = 2 * ceil_div(gmv_usdc * RESERVATION_FEE_BPS, BPS) + ceil_div(gmv_usdc * FACILITATION_FEE_BPS, BPS)
    usdc += ceil_div(gmv * a.supplier_usdc_bps // BPS * SUPPLIER_PAYMENT_FEE_BPS, BPS)
    io_usd = 2 * ceil_div(gmv_io * RESERVATION_FEE_BPS, BPS)
    return usdc, io_usd * IO // price


# ------------------------------------------------------------------ one run
@dataclass
class Day:
    day: int
    price: int  # the day's TWAP (the path price)
    epoch_price: int  # the epoch's price the statement fixed (the TWAP clamped to the move bound)
    price_flag: int  # ide.PRICE_AT_TWAP / _CLAMPED_UP / _CLAMPED_DOWN / _CARRIED
    emission: int
    gmv: int
    fee_usd: int
    usd_owed: int
    usd_paid: int
    from_reward: int
    from_fee_io: int
    from_swap: int
    usdc_topup: int
    usdc_buyback: int
    io_bought_burned: int
    io_fee_burned: int
    retired: int
    reward_vault: int
    fee_usdc: int
    fee_io: int
    reserve_target: int
    ratio_bps: int
    shortfall_usd: int
    usd_at_twap: int  # what the IO released is worth at the day's TWAP (the suppliers' market value)
    topup_at_limit: bool  # the top-up stopped at the price limit (a partial fill)

    @property
    def clamped(self) -> bool:
        return self.price_flag in (PRICE_CLAMPED_UP, PRICE_CLAMPED_DOWN)


@dataclass
class Run:
    scenario: Scenario
    engine: IncentiveEngine
    pool: Pool
    days: list[Day]

    @property
    def emitted(self) -> int:
        return self.engine.emitted_in

    @property
    def net_supply_change(self) -> int:
        return self.engine.emitted_in - self.engine.burned

    def fee_vault_usd(self) -> int:
        return self.engine.fee_vault_usd(self.days[-1].price)


def run_scenario(s: Scenario, params: Params, targets: dict[str, int], a: Assumptions | None = None) -> Run:
    a = a or Assumptions()
    gov, oracle = "governance", "oracle"
    # Active from day 0: the reference price of epoch 0 is the price at activation.
    eng = IncentiveEngine(governance=gov, oracle=oracle, start_time=0, params=Params(**vars(params)),
                          reference_price=a.start_price)
    prices, demand = paths(a, s)
    pool = Pool.at_price(prices[0], a.pool_usdc, slippage_ticks=eng.slippage_ticks, fee_ppm=eng.params.pool_fee)
    owed = usd_owed_per_day(a, targets)
    out: list[Day] = []
    for day in range(1, a.days + 1):
        p = prices[day - 1]
        now = day * eng.params.epoch_seconds
        minted = emission.cumulative_through(day * HOURS_PER_DAY) - emission.cumulative_through(
            (day - 1) * HOURS_PER_DAY)
        eng.receive_emission(minted)
        pool.move_to(p)  # and held there: the TWAP of the window ending at the close is p
        price = Price(twap=p, spot=pool.price)
        gmv = rentals_usd(a, demand[day - 1])
        fee_usdc, fee_io = fees_of_day(a, gmv, p)
        fee_usd = eng.collect_fees(fee_usdc, fee_io, price)
        eng.state_epoch(oracle, day, owed, now, close_twap=p)
        trades = len(pool.engine_trades)
        st = eng.settle(day, pool.swap)
        at_limit = any(t.at_limit for t in pool.engine_trades[trades:])
        pool.move_to(p)
        usdc_bb = bought = io_burn = 0
        if eng.can_burn() and any(eng.burn_amounts(p)):
            b = eng.buyback_and_burn(pool.swap)
            if b is not None:
                usdc_bb, bought, io_burn = b.usdc_spent, b.io_bought_burned, b.io_fee_burned
            pool.move_to(p)
        retired = 0
        if day % a.retire_every == 0 and eng.retirable() > 0:
            retired = eng.retirable()
            eng.retire(gov, retired)
        eng.check_invariants()
        epoch_price, flag = eng.prices[day]
        out.append(Day(day, p, epoch_price, flag, minted, gmv, fee_usd, st.usd_owed, st.usd_paid, st.from_reward_vault,
                       st.from_fee_io, st.from_fee_usdc_swap, st.usdc_spent, usdc_bb, bought, io_burn, retired,
                       eng.reward_vault, eng.fee_usdc, eng.fee_io, eng.reserve_target_usd(),
                       eng.sustainability_ratio_bps(), st.shortfall_usd, st.io_released * p // IO, at_limit))
    return Run(s, eng, pool, out)


def run_all(cfg: dict[str, Any] | None = None, a: Assumptions | None = None) -> list[Run]:
    cfg = cfg or load_config("local")
    return [run_scenario(s, engine_params(cfg), usd_targets(cfg), a) for s in SCENARIOS]


# ------------------------------------------------------------------ the table
def _io(wei: int) -> str:
    return f"{wei / IO / 1e6:,.2f}M"


def _usd(units: int) -> str:
    v = units / USD
    return f"${v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"${v / 1e3:,.1f}k"


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.2f} %" if den else "–"


def summary_rows(runs: list[Run]) -> list[tuple[str, list[str]]]:
    def row(label: str, f) -> tuple[str, list[str]]:  # noqa: ANN001
        return label, [f(r) for r in runs]

    def tot(r: Run, attr: str) -> int:
        return sum(getattr(d, attr) for d in r.days)

    def low(r: Run, attr: str) -> int:
        """The lowest day's share of its target, bps rounded to the nearest."""
        return min((2 * getattr(d, attr) * BPS + d.usd_owed) // (2 * d.usd_owed) for d in r.days)

    return [
        row("supplier income / target at the epoch's price, whole year",
            lambda r: _pct(tot(r, "usd_paid"), tot(r, "usd_owed"))),
        row("lowest day at the epoch's price", lambda r: f"{low(r, 'usd_paid') / 100:.2f} %"),
        row("supplier income / target at the day's TWAP, whole year",
            lambda r: _pct(tot(r, "usd_at_twap"), tot(r, "usd_owed"))),
        row("lowest day at the day's TWAP", lambda r: f"{low(r, 'usd_at_twap') / 100:.2f} %"),
        row("days the epoch's price was clamped", lambda r: str(sum(d.clamped for d in r.days))),
        row("days with a shortfall", lambda r: str(r.engine.shortfall_epochs)),
        row("first day with a shortfall",
            lambda r: next((str(d.day) for d in r.days if d.shortfall_usd), "–")),
        row("top-ups stopped at the price limit", lambda r: str(sum(d.topup_at_limit for d in r.days))),
        row("USD owed to suppliers", lambda r: _usd(tot(r, "usd_owed"))),
        row("IO released from the Reward Vault", lambda r: _io(r.engine.released_from_reward)),
        row("IO released from the Fee Vault's IO", lambda r: _io(r.engine.released_from_fee_io)),
        row("IO released, bought with Fee Vault USDC", lambda r: _io(r.engine.released_from_swap)),
        row("USDC spent topping payouts up", lambda r: _usd(r.engine.usdc_spent_topup)),
        row("IO bought back and burned", lambda r: _io(r.engine.burned_by_buyback)),
        row("USDC spent on buybacks", lambda r: _usd(r.engine.usdc_spent_buyback)),
        row("fee IO burned without a trade", lambda r: _io(r.engine.burned_fee_io)),
        row("IO retired (unneeded emission)", lambda r: _io(r.engine.retired)),
        row("IO emitted into the Reward Vault", lambda r: _io(r.emitted)),
        row("net supply change (emitted − burned)", lambda r: _io(r.net_supply_change)),
        row("Reward Vault at the end", lambda r: _io(r.engine.reward_vault)),
        row("Fee Vault at the end (USDC + IO at the TWAP)", lambda r: _usd(r.fee_vault_usd())),
        row("  of which USDC", lambda r: _usd(r.engine.fee_usdc)),
        row("reserve target at the end", lambda r: _usd(r.days[-1].reserve_target)),
        row("fee revenue", lambda r: _usd(r.engine.fee_usd_in)),
        row("sustainability ratio, whole year", lambda r: _pct(r.engine.fee_usd_in, tot(r, "usd_owed"))),
        row("sustainability ratio, last 30 days", lambda r: f"{r.days[-1].ratio_bps / 100:.2f} %"),
        row("IO price at the end", lambda r: f"${r.days[-1].price / USD:.3f}"),
    ]


def markdown_table(runs: list[Run]) -> str:
    head = "| | " + " | ".join(r.scenario.title for r in runs) + " |"
    sep = "|---|" + "---:|" * len(runs)
    lines = [head, sep]
    for label, cells in summary_rows(runs):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def assumptions_table(a: Assumptions, params: Params, targets: dict[str, int]) -> str:
    lines = ["| class | processors | USD target / processor-hour | rent / hour | utilization |",
             "|---|---:|---:|---:|---:|"]
    for cls, f in a.fleet.items():
        lines.append(f"| {cls} | {f.processors:,} | ${targets[cls] / USD:.4f} | ${f.rent_usd6_per_hour / USD:.2f} | "
                     f"{f.utilization_bps / 100:.0f} % |")
    return "\n".join(lines)


def _bullet(text: str) -> str:
    return textwrap.fill(text, 102, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)


def _by_key(runs: list[Run], key: str) -> Run | None:
    return next((r for r in runs if r.scenario.key == key), None)


def clamp_story(runs: list[Run]) -> str:
    """What the clamp of the epoch's price did, in words, from the runs."""
    parts = []
    published = [r for r in runs if r.scenario.published and r.scenario.price_drop_bps]
    if published and not any(d.clamped for r in published for d in r.days):
        parts.append("The published price crash ramps over its days by less than the bound a day, so its "
                     "epochs' prices follow the TWAP and are never clamped.")
    for r in runs:
        clamped = [d for d in r.days if d.clamped]
        if not clamped or r.scenario.published:
            continue
        first, last = clamped[0].day, clamped[-1].day
        lost = sum(d.usd_owed - d.usd_at_twap for d in clamped)
        low = min(d.usd_at_twap * BPS // d.usd_owed for d in clamped)
        daily = r.days[0].usd_owed
        parts.append(
            f"{r.scenario.title.split(' (')[0]}: the crash reaches the engine's price in {len(clamped)} steps "
            f"(days {first}–{last}, each at most the bound below the last); on those days every supplier is "
            f"paid its full target at the epoch's price, which is worth {low / 100:.0f} % of it at the market's "
            f"price on the first day, rising to {clamped[-1].usd_at_twap * 100 // clamped[-1].usd_owed} % on the "
            f"last: {_usd(lost)} less in market value in all, {lost / daily:.1f} days of payouts, never made up "
            f"(the epochs are final; the IO not released stays in the Reward Vault).")
    return " ".join(parts)


def partial_story(runs: list[Run]) -> str:
    r = _by_key(runs, "severe")
    if r is None:
        return "–"
    n = sum(d.topup_at_limit for d in r.days)
    return f"{n} of the {sum(1 for d in r.days if d.usdc_topup)} days with a top-up in that scenario"


def write_markdown(runs: list[Run], a: Assumptions, cfg: dict[str, Any], path: Path, charts: list[Path]) -> Path:
    params, targets = engine_params(cfg), usd_targets(cfg)
    owed = usd_owed_per_day(a, targets)
    gmv = rentals_usd(a, BPS)
    fu, fi = fees_of_day(a, gmv, a.start_price)
    ticks = slippage_ticks(params.max_slippage_bps, params.pool_fee)
    clamp_text = _bullet("**An epoch's price is fixed by its statement** (the TWAP of the window ending at the "
                         f"epoch's close, at most {params.max_price_move_bps / 100:.0f} % from the previous epoch's "
                         f"price). {clamp_story(runs)}")
    severe_partial = _bullet(
        "**Beyond the published tests** (price −75 % with demand −55 %) the IO needed exceeds the emission by far: "
        "the Reward Vault's buffer goes first, then the Fee Vault's IO, then its USDC buys IO up to the price limit "
        f"(a purchase that would pay more than {params.max_slippage_bps / 100:.0f} % above the TWAP, fee included, "
        f"stops there and fills partly: {partial_story(runs)}); what is still missing is recorded as a shortfall "
        "(never minted, never borrowed), and suppliers are paid pro rata to what was funded.")
    rel = [c.relative_to(path.parent).as_posix() for c in charts]
    text = f"""# The Incentive Dynamic Engine, simulated

Written by `make ide-sim` (`ionet/studies/ide_sim.py`), from the engine's reference model `ionet/models/ide.py`
(the rules of `docs/incentive-engine.md`), seed {a.seed}: deterministic, the same figures on every run.
{a.days} daily epochs; each day the emission of its 24 hourly epochs (`ionet/models/emission.py`, year 1 of the
published schedule: day 1 is the emission's first day, as on a fresh local chain) enters the Reward
Vault; each shock starts on day {a.shock_day} and reaches its full size over {a.shock_ramp_days} days, then
lasts to the end of the year.

## Results

{markdown_table(runs)}

What the table shows:

- **Supplier income holds in both published stress tests** (demand −55 %, price −50 %, and both at
  once): every day is paid its full USD target. A demand drop does not touch payouts at all (they are
  owed per eligible hour, not per rented hour): it only slows the Fee Vault's growth and its burns.
  A price drop doubles the IO each USD needs; the Reward Vault's buffer (emission kept back instead of
  being retired) pays it first, so the engine draws on reserves and never sells IO.
{clamp_text}
{severe_partial}
- In the baseline the emission needs about half of what is minted, so the unneeded half is retired
  (on the path of the published target of retiring 115M of the remaining emission) and the fees,
  once the 30-day reserve is full, are bought back and burned.
- The sustainability ratio (fee revenue over supplier payouts) stays well below 1: the published fee
  table (0.25 % + 2 % on each side) yields about 3.3 % of the rentals, so fees alone replace the
  subsidy only when rentals reach about 30 times the USD paid to suppliers.

"Income at the epoch's price" is what the engine pays (the USD owed less the recorded shortfall,
valued at the price the statement fixed); "income at the day's TWAP" values the same IO at the
market's price of the day: the two differ only on the days the epoch's price was clamped.

## Charts

One figure per scenario (price, supplier income against target, IO released by source, reserves,
burns, sustainability ratio), and one comparing the scenarios:

""" + "\n".join(f"![{Path(c).stem}]({c})" for c in rel) + f"""

## Assumptions (all our defaults, in `ionet/studies/ide_sim.py` and `config/deploy.local.json` → `ide`)

Engine parameters: epoch {params.epoch_seconds:,} s, burn share {params.burn_share_bps / 100:.0f} %, reserve
{params.reserve_epochs} days of trailing payouts, retirement buffer {params.retire_buffer_epochs} days, at most
{_usd(params.max_usd_per_epoch)} owed per epoch, at most {_usd(params.max_swap_usdc)} per trade, an epoch's price
at most {params.max_price_move_bps / 100:.0f} % from the previous epoch's, trades at most
{params.max_slippage_bps / 100:.0f} % above the TWAP, fee included (the FeeVaultDesk's price limit:
{ticks} ticks above the TWAP's, with the pool's {params.pool_fee / 10_000:.1f} % fee).

{assumptions_table(a, params, targets)}

- Devices are eligible {a.eligible_bps / 100:.0f} % of the hours: the oracle states {_usd(owed)} a day.
- Rentals at full demand: {_usd(gmv)} a day (±{a.demand_noise_bps / 100:.0f} % daily noise);
  {a.renter_usdc_bps / 100:.0f} % paid in USDC, {a.supplier_usdc_bps / 100:.0f} % of supplier income withdrawn
  in USDC; fees {_usd(fu)} in USDC and {fi / IO:,.0f} IO a day at the start.
- Price: {a.start_price / USD:.2f} USDC per IO, ±{a.price_noise_bps / 100:.0f} % a day mean-reverting noise.
  The pool holds {_usd(a.pool_usdc)} of USDC at the start (full range, 0.3 % fee); outside traders
  move it to the day's price before each of the engine's price reads and hold it there, so the TWAP
  over the window ending at the epoch's close, and over the window ending at the settlement, is the
  day's price; the engine's own purchases move the pool and pay the fee, up to the price limit.
  The engine is active from day 0, with the start price as epoch 0's reference.
- The price −50 % overnight scenario (beyond the published tests) is the published price crash with
  no ramp: the whole drop on day {a.shock_day}, to show the clamp of the epoch's price.
- Governance retires the Reward Vault's IO above the buffer every {a.retire_every} days.
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ------------------------------------------------------------------ charts
COLORS = {"reward": "#4C72B0", "fee_io": "#DD8452", "swap": "#C44E52", "buyback": "#55A868",
          "fee_burn": "#8172B3", "retired": "#937860"}
SCENARIO_COLORS = ["#4C72B0", "#55A868", "#DD8452", "#C44E52", "#8172B3", "#937860"]
# Scenarios that coincide on a panel (e.g. demand does not change payouts) stay visible: the
# earlier ones are drawn wider, the later ones dashed on top of them.
SCENARIO_STYLES = [(3.2, "-"), (1.6, "--"), (3.2, "-"), (1.6, "--"), (1.6, "-"), (1.6, ":")]


def _mark_shock(ax, a: Assumptions, s: Scenario) -> None:  # noqa: ANN001
    if s.demand_drop_bps or s.price_drop_bps:
        ax.axvspan(a.shock_day, a.days, color="grey", alpha=0.08, linewidth=0)


def _save(fig: Any, out: Path) -> Path:
    """Lay out, write and close a chart."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def draw_scenario(run: Run, a: Assumptions, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = run.days
    x = [r.day for r in d]
    fig, axes = plt.subplots(3, 2, figsize=(13, 11), dpi=100, sharex=True)
    (a1, a2), (a3, a4), (a5, a6) = axes

    a1.plot(x, [r.price / USD for r in d], color="black", linewidth=1.2, label="TWAP of the day")
    a1.plot(x, [r.epoch_price / USD for r in d], color="#C44E52", linewidth=1.2, linestyle="--",
            label="epoch's price (clamped to 10 % a day)")
    clamped = [r for r in d if r.clamped]
    if clamped:
        a1.scatter([r.day for r in clamped], [r.epoch_price / USD for r in clamped], color="#C44E52", s=12,
                   zorder=3, label=f"clamped ({len(clamped)} days)")
    a1.legend(loc="lower left", fontsize=8)
    a1.set_title("IO price, USDC: the day's TWAP and the epoch's price")
    a1.set_ylim(0, max(r.price for r in d) / USD * 1.15)

    a2.plot(x, [r.usd_owed / USD / 1e3 for r in d], color="grey", alpha=0.45, linewidth=5, label="target (owed)")
    a2.plot(x, [r.usd_paid / USD / 1e3 for r in d], color="#4C72B0", linewidth=1.2,
            label="paid (IO at the epoch's price)")
    a2.plot(x, [r.usd_at_twap / USD / 1e3 for r in d], color="#C44E52", linewidth=1, linestyle="--",
            label="paid, valued at the day's TWAP")
    a2.plot(x, [r.fee_usd / USD / 1e3 for r in d], color="#55A868", linewidth=1, label="fee revenue")
    a2.set_title("supplier income against its USD target, and fees (thousand USD a day)")
    a2.set_ylim(0, max(r.usd_owed for r in d) / USD / 1e3 * 1.25)
    a2.legend(loc="lower left", fontsize=8)

    k = 1e3 * IO
    a3.stackplot(x, [r.from_reward / k for r in d], [r.from_fee_io / k for r in d], [r.from_swap / k for r in d],
                 labels=["Reward Vault", "Fee Vault IO", "bought with Fee Vault USDC"],
                 colors=[COLORS["reward"], COLORS["fee_io"], COLORS["swap"]], linewidth=0)
    a3.plot(x, [r.emission / k for r in d], color="black", linewidth=1, label="emission of the day")
    top = max(max(r.from_reward + r.from_fee_io + r.from_swap, r.emission) for r in d) / k
    a3.set_ylim(0, top * 1.5)
    a3.set_title("IO released to suppliers a day, by source (thousand IO)")
    a3.legend(loc="upper left", fontsize=8)

    a4.plot(x, [r.reward_vault / IO / 1e6 for r in d], color=COLORS["reward"], linewidth=1.4,
            label="Reward Vault (M IO)")
    a4.set_ylabel("million IO")
    a4b = a4.twinx()
    fee_usd = [(r.fee_usdc + r.fee_io * r.price // IO) / USD / 1e6 for r in d]
    a4b.plot(x, fee_usd, color=COLORS["fee_io"], linewidth=1.4, label="Fee Vault (M USD)")
    a4b.plot(x, [r.reserve_target / USD / 1e6 for r in d], color=COLORS["fee_io"], linestyle=":", linewidth=1.2,
             label="reserve target (M USD)")
    a4b.set_ylabel("million USD")
    a4.set_ylim(bottom=0)
    a4b.set_ylim(bottom=0)
    h1, l1 = a4.get_legend_handles_labels()
    h2, l2 = a4b.get_legend_handles_labels()
    a4.legend(h1 + h2, l1 + l2, loc="lower right", fontsize=8, framealpha=0.95)
    a4.set_title("reserves at the end of each day")

    cum = [0, 0, 0]
    series: list[list[float]] = [[], [], []]
    for r in d:
        cum[0] += r.io_bought_burned
        cum[1] += r.io_fee_burned
        cum[2] += r.retired
        for i in range(3):
            series[i].append(cum[i] / IO / 1e6)
    a5.stackplot(x, *series, labels=["bought back and burned", "fee IO burned", "emission retired"],
                 colors=[COLORS["buyback"], COLORS["fee_burn"], COLORS["retired"]], linewidth=0)
    a5.set_title("IO burned, cumulative (million IO)")
    a5.legend(loc="upper left", fontsize=8)
    a5.set_xlabel("day")

    a6.plot(x, [r.ratio_bps / 100 for r in d], color="#8172B3", linewidth=1.4)
    a6.axhline(100, color="grey", linestyle="--", linewidth=1)
    a6.text(3, 96, "1.0 = fees pay every supplier", color="grey", fontsize=8, va="top")
    a6.set_ylim(0, 110)
    a6.set_title("sustainability ratio, trailing 30 days (%)")
    a6.set_xlabel("day")

    for ax in (a1, a2, a3, a4, a5, a6):
        _mark_shock(ax, a, run.scenario)
        ax.grid(alpha=0.3)
        ax.set_xlim(1, a.days)
    fig.suptitle(f"Incentive Dynamic Engine, {a.days} daily epochs: {run.scenario.title}"
                 + ("  (shaded: the shock)" if run.scenario.demand_drop_bps or run.scenario.price_drop_bps else ""),
                 fontsize=13)
    return _save(fig, out)


def draw_comparison(runs: list[Run], a: Assumptions, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5), dpi=100, sharex=True)
    (a1, a2), (a3, a4) = axes
    for run, color, (width, style) in zip(runs, SCENARIO_COLORS, SCENARIO_STYLES, strict=False):
        x = [r.day for r in run.days]
        kw = {"color": color, "linewidth": width, "linestyle": style, "label": run.scenario.title}
        a1.plot(x, [100 * r.usd_at_twap / r.usd_owed for r in run.days], **kw)
        a2.plot(x, [(r.fee_usdc + r.fee_io * r.price // IO) / USD / 1e6 for r in run.days], **kw)
        cum, net = 0, []
        for r in run.days:
            cum += r.emission - r.io_bought_burned - r.io_fee_burned - r.retired
            net.append(cum / IO / 1e6)
        a3.plot(x, net, **kw)
        a4.plot(x, [r.reward_vault / IO / 1e6 for r in run.days], **kw)
    a1.set_title("supplier income valued at the day's TWAP, % of the USD target")
    a1.set_ylim(0, 115)
    a2.set_title("Fee Vault (USDC + IO at the TWAP), million USD: it stays at its reserve target\n"
                 "(30 days of payouts) while the surplus above it is burned", fontsize=10)
    a3.set_title("net supply change since day 0 (emitted − burned), million IO")
    a4.set_title("Reward Vault, million IO")
    for ax in (a1, a2, a3, a4):
        ax.axvspan(a.shock_day, a.days, color="grey", alpha=0.08, linewidth=0)
        ax.grid(alpha=0.3)
        ax.set_xlim(1, a.days)
    a3.set_xlabel("day")
    a4.set_xlabel("day")
    a1.legend(loc="lower left", fontsize=8)
    fig.suptitle(f"Incentive Dynamic Engine: the scenarios side by side (shaded: shocks from day {a.shock_day})",
                 fontsize=13)
    return _save(fig, out)


TABLE_BEGIN = "<!-- ide-sim table: written by `make ide-sim`, do not edit -->"
TABLE_END = "<!-- end of ide-sim table -->"


def update_table_in(path: Path, runs: list[Run]) -> bool:
    """Replace the table between TABLE_BEGIN and TABLE_END in `path` (docs/incentive-engine.md).
    Returns False when the file or its markers are missing."""
    if not path.exists():
        return False
    text = path.read_text()
    if TABLE_BEGIN not in text or TABLE_END not in text:
        return False
    head, rest = text.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    path.write_text(f"{head}{TABLE_BEGIN}\n{markdown_table(runs)}\n{TABLE_END}{tail}")
    return True


# ------------------------------------------------------------------ entry point
def main(argv: list[str]) -> int:
    cfg = load_config("local")
    a = Assumptions()
    runs = run_all(cfg, a)
    docs = ROOT / "docs"
    charts = [draw_comparison(runs, a, docs / "ide" / "compare.png")]
    charts += [draw_scenario(r, a, docs / "ide" / f"{r.scenario.key}.png") for r in runs]
    md = write_markdown(runs, a, cfg, docs / "ide-simulation.md", charts)
    if update_table_in(docs / "incentive-engine.md", runs):
        print("updated the table in docs/incentive-engine.md")
    for label, cells in summary_rows(runs):
        print(f"{label:48s} " + " | ".join(f"{c:>12s}" for c in cells))
    print(f"wrote {md.relative_to(ROOT)} and {len(charts)} charts in docs/ide/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))


"""ionet.studies.ide_sim (plain Python): the year-long simulation of the Incentive Dynamic Engine.

The scenarios are tested for their published outcomes (docs/economy.md §9): supplier USD income held
through a 55 % demand drop and a 50 % price crash, the engine drawing on reserves rather than dumping
tokens; beyond them, a shortfall only once both vaults are empty or the pool stops at the price limit,
and an overnight crash that reaches the engine's price in steps of at most 10 % a day. The pool fills
partly at the FeeVaultDesk's price limit and never raises.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionet.config import ROOT, load_config
from ionet.models import emission, ide
from ionet.models.ide import (
    BPS,
    EXACT_INPUT,
    EXACT_OUTPUT,
    IO,
    MIN_SWAP_USDC,
    USD,
    Fill,
    Params,
    SwapRequest,
    within_bound,
)
from ionet.studies.ide_sim import (
    DEFAULT_SLIPPAGE_TICKS,
    SCENARIOS,
    Assumptions,
    Pool,
    engine_params,
    fees_of_day,
    markdown_table,
    paths,
    rentals_usd,
    run_scenario,
    usd_owed_per_day,
    usd_targets,
    write_markdown,
)

A = Assumptions()


@pytest.fixture(scope="module")
def cfg():
    return load_config("local")


@pytest.fixture(scope="module")
def runs(cfg):
    params, targets = engine_params(cfg), usd_targets(cfg)
    return {s.key: run_scenario(s, params, targets, A) for s in SCENARIOS}


# ------------------------------------------------------------------ configuration and inputs
def test_engine_params__local_config__the_documented_defaults(cfg):
    assert engine_params(cfg) == Params()


def test_usd_targets__local_config__one_cent_per_multiplier_unit_for_every_staking_class(cfg):
    """Our default: a class's USD target per processor-hour is $0.01 per unit of its multiplier, so
    the IDE pays the classes in the proportions of the pre-IDE score."""
    targets, multipliers = usd_targets(cfg), cfg["staking"]["class_multipliers"]
    assert set(targets) == set(multipliers) == set(A.fleet)
    assert all(targets[c] == multipliers[c] for c in targets)  # bps of multiplier == micro-USD
    assert targets["H100"] == 100_000  # $0.10 per H100-hour


def test_usd_owed_per_day__default_fleet__target_x_processors_x_eligible_hours(cfg):
    targets = usd_targets(cfg)
    expected = sum(targets[c] * (f.processors * 24 * 9_500 // BPS) for c, f in A.fleet.items())
    assert usd_owed_per_day(A, targets) == expected
    assert 20_000 * USD < expected < 22_000 * USD


def test_fees_of_day__one_million_usd_of_rentals__published_fee_table():
    """Renter 0.25 % on every booking + 2 % on USDC bookings; supplier 0.25 % + 2 % on USDC withdrawals."""
    usdc, io = fees_of_day(A, 1_000_000 * USD, 400_000)
    # USDC bookings 800k: 2 x 0.25 % + 2 % = 20,000 + 2,000 ... ; supplier withdrawals in USDC 600k x 2 %
    assert usdc == (2_000 + 2_000 + 16_000 + 12_000) * USD
    assert io == 2 * 500 * USD * IO // 400_000  # the IO bookings' two 0.25 % fees, at 0.40


def test_rentals_usd__demand_factor__scales_linearly():
    assert rentals_usd(A, BPS // 2) * 2 == pytest.approx(rentals_usd(A, BPS), rel=1e-6)


def test_paths__shock__ramps_to_its_full_size_then_holds():
    crash = next(s for s in SCENARIOS if s.key == "both")
    base_p, base_d = paths(A, SCENARIOS[0])
    p, d = paths(A, crash)
    day = A.shock_day
    assert p[: day - 1] == base_p[: day - 1] and d[: day - 1] == base_d[: day - 1]  # same noise before
    full = day - 1 + A.shock_ramp_days
    assert all(p[i] == base_p[i] // 2 or abs(p[i] - base_p[i] // 2) <= 1 for i in range(full, A.days))
    assert all(abs(d[i] - base_d[i] * 4_500 // BPS) <= 1 for i in range(full, A.days))


# ------------------------------------------------------------------ the pool
P = 400_000  # 0.40 USDC per IO


def spot_fraction(pool: Pool) -> Fraction:
    return Fraction(pool.usdc * IO, pool.io)


def limit_fraction(pool: Pool, twap: int) -> Fraction:
    return Fraction(*pool.limit_price(twap))


def test_pool__default_desk__68_ticks_for_one_percent_and_the_fee():
    assert DEFAULT_SLIPPAGE_TICKS == ide.slippage_ticks(100, 3_000) == 68
    assert Pool(io=1, usdc=1).slippage_ticks == 68


def test_pool_swap__exact_input_within_the_limit__all_of_it_constant_product_with_the_fee():
    pool = Pool.at_price(P, 1_000_000 * USD)
    k = pool.io * pool.usdc
    fill = pool.swap(SwapRequest(EXACT_INPUT, 1_000 * USD, 1_000 * USD, P))
    net = 1_000 * USD * 997 // 1000
    assert fill == Fill(1_000 * USD, (k // (1_000_000 * USD)) * net // (1_000_000 * USD + net))
    assert fill.io_received < 2_500 * IO * 997 // 1000  # the fee and the price impact
    assert pool.io * pool.usdc >= k and pool.price > P  # the purchase moved the price up
    assert not pool.engine_trades[-1].at_limit and within_bound(fill, P, 100)


def test_pool_swap__exact_output_within_the_limit__exactly_the_io_asked():
    pool = Pool.at_price(P, 1_000_000 * USD)
    fill = pool.swap(SwapRequest(EXACT_OUTPUT, 2_500 * IO, 1_010 * USD, P))
    assert fill.io_received == 2_500 * IO and 1_000 * USD < fill.usdc_paid <= 1_010 * USD
    assert not pool.engine_trades[-1].at_limit


def test_pool_swap__exact_output_beyond_the_limit__partial_fill_stopped_at_the_limit():
    pool = Pool.at_price(P, 1_000_000 * USD)
    want = 100_000 * IO  # 4 % of the pool: far beyond 1 % above the TWAP
    fill = pool.swap(SwapRequest(EXACT_OUTPUT, want, 40_400 * USD, P))
    assert 0 < fill.io_received < want and 0 < fill.usdc_paid < 40_400 * USD
    assert pool.engine_trades[-1].at_limit
    assert spot_fraction(pool) <= limit_fraction(pool, P)  # the spot, its fee included, stops at the limit
    assert within_bound(fill, P, 100)


def test_pool_swap__exact_input_beyond_the_limit__sells_only_what_reaches_the_limit():
    pool = Pool.at_price(P, 1_000_000 * USD)
    room = pool.net_to_limit(P)
    fill = pool.swap(SwapRequest(EXACT_INPUT, 40_000 * USD, 40_000 * USD, P))
    assert fill.usdc_paid == pool.gross(room) < 40_000 * USD and fill.io_received > 0
    assert pool.engine_trades[-1].at_limit and within_bound(fill, P, 100)
    assert spot_fraction(pool) <= limit_fraction(pool, P)
    # a further purchase at the same TWAP finds the pool at the limit: nothing, no raise, no change
    before = (pool.io, pool.usdc)
    assert pool.swap(SwapRequest(EXACT_INPUT, 5 * USD, 5 * USD, P)) == Fill(0, 0)
    assert (pool.io, pool.usdc) == before and pool.engine_trades[-1].at_limit


def test_pool_net_to_limit__one_more_unit__would_pass_the_limit():
    pool = Pool.at_price(P, 5_000_000 * USD)
    n = pool.net_to_limit(P)
    num, den = pool.limit_price(P)
    assert pool._within_limit(pool.gross(n), pool._out(n), num, den)
    assert not pool._within_limit(pool.gross(n + 1), pool._out(n + 1), num, den)
    # about 0.34 % of the USDC side: the marginal price rises 0.68 % (68 ticks) over the trade
    assert 16_000 * USD < n < 17_500 * USD


def test_pool_swap__spot_already_above_the_limit__no_trade_and_no_change():
    pool = Pool.at_price(P, 1_000_000 * USD)
    pool.move_to(P * 102 // 100)  # an outside push of 2 %: beyond 1.0001^68 above the TWAP
    before = (pool.io, pool.usdc)
    for kind, amount in ((EXACT_INPUT, 1_000 * USD), (EXACT_OUTPUT, 1_000 * IO)):
        assert pool.swap(SwapRequest(kind, amount, 10_000 * USD, P)) == Fill(0, 0)
    assert (pool.io, pool.usdc) == before


@settings(max_examples=200, deadline=None, derandomize=True)
@given(usdc=st.integers(10_000 * USD, 10**8 * USD), twap=st.integers(10_000, 10 * USD),
       push_bps=st.integers(-2_000, 200), exact_output=st.booleans(), amount_bps=st.integers(1, 50_000),
       slippage=st.integers(40, 500))
def test_pool_swap__any_pool_and_push__fill_within_bound_and_spot_never_past_the_limit(
        usdc, twap, push_bps, exact_output, amount_bps, slippage):
    """twap_bound on the simulator's pool: whatever the pool's state, a fill pays at most
    twap · (1 + slippage) per IO, fee included, never more than max_in, and never raises."""
    pool = Pool.at_price(twap, usdc, slippage_ticks=ide.slippage_ticks(slippage, 3_000))
    pool.move_to(max(1, twap * (BPS + push_bps) // BPS))
    budget = usdc * amount_bps // (BPS * 100) + MIN_SWAP_USDC
    if exact_output:  # as the engine asks: the IO whose bounded cost the budget covers
        io = budget * IO * BPS // (twap * (BPS + slippage))
        assert ide.twap_cost_max_in(io, twap, slippage) <= budget
        req = SwapRequest(EXACT_OUTPUT, io, budget, twap)
    else:
        req = SwapRequest(EXACT_INPUT, budget, budget, twap)
    fill = pool.swap(req)
    assert 0 <= fill.usdc_paid <= req.max_in and fill.io_received >= 0
    assert within_bound(fill, twap, slippage)
    if fill.io_received:
        assert spot_fraction(pool) <= limit_fraction(pool, twap)


def test_pool_move_to__outside_traders__reach_the_price():
    pool = Pool.at_price(P, 1_000_000 * USD)
    pool.move_to(200_000)
    assert abs(pool.price - 200_000) <= 1


# ------------------------------------------------------------------ the published outcomes
@pytest.mark.parametrize("key", ["demand-55", "price-50", "both"])
def test_scenario_stress__supplier_usd_income__held_every_day(runs, key):
    """Published: supplier income held through a 55 % demand drop, a 50 % price crash, and both:
    at the epoch's price, and (the crash ramping by less than 10 % a day, never clamped) at the
    day's TWAP too, to a base unit."""
    run = runs[key]
    assert run.engine.shortfall_epochs == 0
    assert all(d.usd_paid == d.usd_owed for d in run.days)
    assert run.engine.shortfall_usd_total == 0
    assert not any(d.clamped for d in run.days)
    assert all(d.epoch_price == d.price and d.usd_owed - 1 <= d.usd_at_twap <= d.usd_owed for d in run.days)


def test_scenario_overnight__crash__reaches_the_epoch_price_in_steps_of_ten_percent(runs):
    """Price −50 % in one day: each epoch's price is the previous one less 10 % (rounded up,
    PRICE_CLAMPED_UP) until the TWAP is within the bound; suppliers are paid their target at the
    epoch's price, worth less at the market's while it is clamped, and the full target after."""
    run = runs["overnight"]
    clamped = [d for d in run.days if d.clamped]
    assert [d.day for d in clamped] == list(range(A.shock_day, A.shock_day + len(clamped)))
    assert 5 <= len(clamped) <= 7  # 0.9^6 = 0.53, 0.9^7 = 0.48: about six steps to halve
    prev = run.days[A.shock_day - 2].epoch_price
    for d in clamped:
        assert d.price_flag == ide.PRICE_CLAMPED_UP and d.epoch_price == -(-prev * 9_000 // BPS) > d.price
        assert d.usd_paid == d.usd_owed and d.usd_at_twap < d.usd_owed
        prev = d.epoch_price
    assert clamped[0].usd_at_twap * 100 < 60 * clamped[0].usd_owed  # day one: worth ~56 % of the target
    after = run.days[clamped[-1].day]
    assert after.price_flag == ide.PRICE_AT_TWAP and after.epoch_price == after.price
    assert all(d.usd_at_twap >= d.usd_owed - 1 for d in run.days if not d.clamped)
    assert run.engine.shortfall_epochs == 0


def test_scenario_price_50__engine_draws_on_reserves__released_above_emission(runs):
    """The crash needs more IO than is emitted; the Reward Vault's buffer pays the difference."""
    run = runs["price-50"]
    crash = [d for d in run.days if d.day >= A.shock_day + A.shock_ramp_days]
    assert sum(d.from_reward for d in crash) > sum(d.emission for d in crash)
    assert run.days[-1].reward_vault < max(d.reward_vault for d in run.days)
    assert run.engine.released <= run.engine.emitted_in + run.engine.fee_io_in + run.engine.io_bought


@pytest.mark.parametrize("key", [s.key for s in SCENARIOS])
def test_scenarios__engine_never_sells_io__and_releases_at_most_the_usd_target(runs, key):
    """Rather than dumping tokens: every trade of the engine buys IO within the bound, and no epoch
    releases more IO than its USD owed buys at the epoch's price."""
    run = runs[key]
    trades = run.pool.engine_trades
    assert trades and all(t.kind in (EXACT_INPUT, EXACT_OUTPUT) for t in trades)
    assert all(t.usdc_paid > 0 and t.io_received > 0 for t in trades)  # USDC in, IO out
    for s in run.engine.settlements.values():
        assert s.twap == run.engine.epoch_price(s.epoch)
        assert s.io_released <= s.usd_owed * IO // s.twap


def test_scenario_severe__shortfall__only_once_both_vaults_are_exhausted(runs):
    """Beyond the published tests: a shortfall happens only when the Reward Vault and the Fee Vault's
    IO are empty and its USDC is spent to the trade cap, below the smallest trade, or as far as the
    pool fills up to the price limit (a partial fill: the settlement never fails)."""
    run = runs["severe"]
    cap = run.engine.params.max_swap_usdc
    short = [d for d in run.days if d.shortfall_usd]
    assert short, "the severe scenario must exhaust the reserves"
    for d in short:
        assert d.reward_vault == 0 and d.fee_io == 0
        assert d.usdc_topup == cap or d.fee_usdc < MIN_SWAP_USDC or d.topup_at_limit
    assert any(d.topup_at_limit and d.usdc_topup < cap and d.fee_usdc >= MIN_SWAP_USDC for d in short)
    first = short[0].day
    assert all(d.usd_paid == d.usd_owed for d in run.days if d.day < first)
    assert run.engine.usdc_spent_topup > 0 and run.engine.released_from_swap > 0


@pytest.mark.parametrize("key", [s.key for s in SCENARIOS])
def test_scenarios__supply__emitted_less_burned_and_every_day_consistent(runs, key):
    run = runs[key]
    e = run.engine
    assert e.emitted_in == emission.cumulative_through(A.days * 24)
    assert run.net_supply_change == e.emitted_in - e.burned_by_buyback - e.burned_fee_io - e.retired
    assert sum(d.from_reward + d.from_fee_io + d.from_swap for d in run.days) == e.released
    e.check_invariants()


def test_scenario_baseline__surplus_burned_and_unneeded_emission_retired(runs):
    run = runs["baseline"]
    e = run.engine
    assert e.burned_by_buyback > 0 and e.burned_fee_io > 0 and e.retired > 0
    assert e.released_from_fee_io == e.released_from_swap == 0  # the emission alone pays
    last = run.days[-1]
    assert last.reserve_target <= run.fee_vault_usd() <= last.reserve_target + 2 * max(d.fee_usd for d in run.days)
    assert e.retired + e.reward_vault + e.released_from_reward == e.emitted_in


def test_scenario_demand_55__fees_fall__payouts_unchanged(runs):
    base, low = runs["baseline"], runs["demand-55"]
    assert [d.usd_paid for d in low.days] == [d.usd_paid for d in base.days]
    assert low.engine.fee_usd_in < base.engine.fee_usd_in
    assert low.engine.burned_by_buyback < base.engine.burned_by_buyback


def test_run_scenario__same_seed__same_figures(cfg):
    s = SCENARIOS[3]
    short = Assumptions(days=60)
    a = run_scenario(s, engine_params(cfg), usd_targets(cfg), short)
    b = run_scenario(s, engine_params(cfg), usd_targets(cfg), short)
    assert a.days == b.days and a.engine == b.engine


def test_write_markdown__results__table_with_every_scenario(runs, cfg, tmp_path):
    ordered = [runs[s.key] for s in SCENARIOS]
    table = markdown_table(ordered)
    assert all(s.title in table.splitlines()[0] for s in SCENARIOS)
    assert "| days with a shortfall | 0 | 0 | 0 | 0 |" in table
    assert "| days the epoch's price was clamped | 0 | 0 | 0 | 0 |" in table
    path = write_markdown(ordered, A, cfg, tmp_path / "sim.md", [tmp_path / "ide" / "x.png"])
    text = path.read_text()
    assert table in text and "![x](ide/x.png)" in text


def test_docs__simulation_tables__match_the_model(runs):
    """docs/ide-simulation.md and docs/incentive-engine.md carry the table `make ide-sim` writes
    (rerun it after changing the model, the config or the assumptions)."""
    table = markdown_table([runs[s.key] for s in SCENARIOS])
    for name in ("ide-simulation.md", "incentive-engine.md"):
        text = (ROOT / "docs" / name).read_text()
        assert table in text, f"docs/{name} is stale: run `make ide-sim`"

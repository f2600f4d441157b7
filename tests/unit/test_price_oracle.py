"""IOPriceOracle and the uniswap_twap module it is built on: Uniswap's tick maths reproduced exactly
(checked against the pool's own slot0 and TickMath, the Python model and Decimal 1.0001^tick), the
TWAP over the window (never the spot price), the spot-to-TWAP deviation, and its reverts.
Invariants of IOPriceOracle.vy's @dev: 1 twap_only, 2 exact_tick_math, 3 mean_tick_floor."""

from __future__ import annotations

from decimal import Decimal

import ape
import pytest
from ape import chain

from ionet import IO, USDC
from ionet.chain import clock
from ionet.chain.uniswap import at, create_pool
from ionet.models import market as m
from tests.market_helpers import WINDOW

ZERO = "0x" + "00" * 20
# Ticks of every kind: zero, both signs, each bit of TickMath's table, the IO/USDC range, the bounds.
TICKS = sorted(
    {
        0,
        1,
        -1,
        2,
        -2,
        3,
        -3,
        50,
        -50,
        -285_488,
        285_488,
        -285_487,
        443_636,
        443_637,
        -443_637,
        m.MIN_TICK,
        m.MAX_TICK,
        m.MIN_TICK + 1,
        m.MAX_TICK - 1,
    }
    | {1 << b for b in range(20)}
    | {-(1 << b) for b in range(20)}
    | {(1 << b) - 1 for b in range(1, 20)}
)
A_TOKEN = "0x" + "11" * 20  # two addresses standing for tokens (quote_at_tick only orders them)
B_TOKEN = "0x" + "ee" * 20


# ------------------------------------------------------------------ tick maths (invariant 2)
def test_exact_tick_math__every_kind_of_tick__equals_model_and_decimal(suite):
    oracle = suite.IOPriceOracle
    for tick in TICKS:
        got = oracle.sqrt_ratio_at_tick(tick)
        assert got == m.sqrt_ratio_at_tick(tick), tick
        exact = m.sqrt_ratio_decimal(tick)
        # v3-core's constants carry ~1e-20 relative precision; the result is rounded up to 1 unit
        assert abs(Decimal(got) - exact) <= 1 + exact / 10**19, tick
    assert oracle.sqrt_ratio_at_tick(m.MIN_TICK) == m.MIN_SQRT_RATIO
    assert oracle.sqrt_ratio_at_tick(m.MAX_TICK) == m.MAX_SQRT_RATIO
    assert oracle.sqrt_ratio_at_tick(0) == 2**96


@pytest.mark.parametrize("tick", [m.MIN_TICK - 1, m.MAX_TICK + 1])
def test_sqrt_ratio_at_tick__beyond_the_bounds__reverts(suite, tick):
    with ape.reverts("uniswap_twap: tick out of range"):
        suite.IOPriceOracle.sqrt_ratio_at_tick(tick)


def test_exact_tick_math__pools_initialized_on_it__uniswap_reads_back_the_same_tick(suite, owner):
    """exact_tick_math against Uniswap itself: a pool initialized at our sqrt ratio of tick t sits at
    tick t (v3-core's getTickAtSqrtRatio), and one unit below it at tick t - 1."""
    factory = suite.uniswap.factory
    oracle = suite.IOPriceOracle
    ticks = [-887_000, -443_637, -285_488, -1, 0, 1, 60, 123_457, 443_637, 887_000]
    for i, tick in enumerate(ticks):
        sqrt_price = oracle.sqrt_ratio_at_tick(tick)
        for j, price in enumerate((sqrt_price, sqrt_price - 1)):
            a, b = f"0x{0x1000 + 2 * i:040x}", f"0x{0x2000 + 2 * i + j:040x}"  # any two addresses
            pool, _ = create_pool(factory, a, b, 3000, price, owner)
            assert pool.slot0().sqrtPriceX96 == price
            assert pool.slot0().tick == tick - j, (tick, j)


def test_exact_tick_math__pool_after_trades__brackets_the_pools_own_slot0(suite, market):
    """exact_tick_math against the live pool: at every price the trades reach,
    sqrt_ratio(slot0.tick) <= slot0.sqrtPriceX96 < sqrt_ratio(slot0.tick + 1)."""
    oracle = suite.IOPriceOracle
    seen = set()
    for usdc_in, io_in in ((50_000, 0), (0, 400_000), (200_000, 0), (0, 1_000_000), (3_000, 0), (0, 7)):
        if usdc_in:
            market.push_io_price(usdc_in * USDC)
        if io_in:
            market.dump_io(io_in * IO)
        s = market.io_pool.slot0()
        seen.add(int(s.tick))
        assert oracle.sqrt_ratio_at_tick(s.tick) <= s.sqrtPriceX96 < oracle.sqrt_ratio_at_tick(s.tick + 1)
        assert oracle.spot_tick() == s.tick
    assert len(seen) >= 5


# ------------------------------------------------------------------ quote_at_tick
@pytest.mark.parametrize("tick", [-887_000, -443_637, -285_488, -1, 0, 1, 285_488, 443_636, 443_637, 887_000])
@pytest.mark.parametrize("amount", [1, 10**6, 10**18, 2**128 - 1])
def test_quote_at_tick__both_branches_both_orders__equals_model(suite, tick, amount):
    """getQuoteAtTick's two branches (sqrt ratio below / above 2^128, i.e. |tick| below / above
    443,636) and both token orders, up to the largest base amount (2^128 - 1)."""
    oracle = suite.IOPriceOracle
    for base, quote in ((A_TOKEN, B_TOKEN), (B_TOKEN, A_TOKEN)):
        assert oracle.quote_at_tick(tick, amount, base, quote) == m.quote_at_tick(tick, amount, base, quote)


def test_quote_at_tick__amount_above_128_bits__reverts(suite):
    with ape.reverts("uniswap_twap: amount too large"):
        suite.IOPriceOracle.quote_at_tick(0, 2**128, A_TOKEN, B_TOKEN)


def test_quote_at_tick__io_usdc_tick__is_the_configured_price(suite):
    """The pool was initialized at 0.40 USDC per IO: its tick prices one IO at 0.3999xx USDC."""
    usdc, io = suite.USDC.address, suite.IOToken.address
    tick = suite.manifest.contracts["UniswapV3Pool.IO/USDC"].args["initial_tick"]
    one_io = suite.IOPriceOracle.quote_at_tick(tick, IO, io, usdc)
    assert 399_960 <= one_io <= 400_000  # within one tick (0.01 %) below 0.40
    assert one_io == m.price_of(tick, io, 18, usdc)


# ------------------------------------------------------------------ the TWAP (invariants 1 and 3)
def test_price__quiet_window__the_pool_price_and_views_agree(suite, market):
    oracle = suite.IOPriceOracle
    mean = market.mean_tick()
    assert oracle.mean_tick() == mean == market.spot_tick()  # nobody traded: TWAP == spot
    assert oracle.price() == m.quote_at_tick(mean, IO, suite.IOToken.address, suite.USDC.address)
    assert oracle.quote_io_to_usdc(1_000 * IO) == m.quote_at_tick(
        mean, 1_000 * IO, suite.IOToken.address, suite.USDC.address
    )
    assert oracle.quote_usdc_to_io(400 * USDC) == m.quote_at_tick(
        mean, 400 * USDC, suite.USDC.address, suite.IOToken.address
    )
    assert oracle.deviation_bps() == 0
    assert (oracle.POOL(), oracle.IO(), oracle.USDC(), oracle.WINDOW_SECONDS()) == (
        market.io_pool.address,
        suite.IOToken.address,
        suite.USDC.address,
        WINDOW,
    )


def test_twap_only__after_a_push__twap_moves_slowly_spot_at_once(suite, market):
    """twap_only: a trade moves the spot price now and the TWAP by a window-weighted part of it."""
    oracle = suite.IOPriceOracle
    before = oracle.price()
    market.push_io_price(100_000 * USDC)
    chain.mine()
    spot_price = m.quote_at_tick(market.spot_tick(), IO, suite.IOToken.address, suite.USDC.address)
    assert spot_price > before * 1.05  # the spot jumped
    assert before <= oracle.price() < before * 1.001  # 1 s of 1,800 at the new price
    assert oracle.mean_tick() == market.mean_tick()
    assert oracle.deviation_bps() == m.deviation_bps(market.spot_tick(), market.mean_tick()) > 500
    market.settle()
    assert oracle.mean_tick() == market.spot_tick() and oracle.deviation_bps() == 0


def test_mean_tick_floor__negative_inexact_delta__rounded_toward_negative_infinity(suite, market):
    """mean_tick_floor: the IO/USDC tick is negative, so after a trade at an odd moment the
    cumulative delta is negative and not a multiple of the window: the mean is floored, one below
    what a truncating division gives."""
    oracle = suite.IOPriceOracle
    market.dump_io(10_000 * IO, wait=7)
    clock.advance(13)
    cumulatives, _ = market.io_pool.observe([WINDOW, 0])
    delta = int(cumulatives[1]) - int(cumulatives[0])
    assert delta < 0 and delta % WINDOW != 0
    truncated = -(-delta // WINDOW) if delta < 0 else delta // WINDOW  # toward zero
    assert oracle.mean_tick() == delta // WINDOW == truncated - 1 == market.mean_tick()


def test_deviation_bps__model_and_decimal__agree(suite):
    for spot, mean in ((0, 0), (198, 0), (199, 0), (0, 199), (-285_488, -285_290), (10, 400_020)):
        got = m.deviation_bps(spot, mean)
        exact = m.deviation_decimal(spot, mean)
        if abs(spot - mean) <= m.MAX_DEVIATION_TICKS:
            assert exact <= got < exact + 1  # rounded up, from the exact ratio
    assert m.deviation_bps(198, 0) == 200 and m.deviation_bps(199, 0) == 201  # 2 % is 198 ticks


# ------------------------------------------------------------------ history (never the spot price)
def test_price__pool_younger_than_window__reverts_then_serves(suite, owner, scratch_deployer, market):
    """A fresh IO/USDC pool (another fee tier) cannot serve the window: every price view reverts
    with the oracle's own reason (not the pool's "OLD"); once the window has passed, it serves."""
    factory = suite.uniswap.factory
    io, usdc = suite.IOToken.address, suite.USDC.address
    pool, _ = create_pool(factory, io, usdc, 500, market.io_pool.slot0().sqrtPriceX96, owner)
    oracle = scratch_deployer.deploy(_oracle_container(), pool, io, usdc, WINDOW)
    for view in (oracle.price, oracle.mean_tick, oracle.deviation_bps):
        with ape.reverts("IOPriceOracle: pool history shorter than window"):
            view()
    with ape.reverts("IOPriceOracle: pool history shorter than window"):
        oracle.quote_io_to_usdc(IO)
    with ape.reverts("IOPriceOracle: pool history shorter than window"):
        oracle.quote_usdc_to_io(USDC)
    assert oracle.spot_tick() == pool.slot0().tick  # the spot is readable, the TWAP is not
    clock.advance(WINDOW - 20)
    with ape.reverts("IOPriceOracle: pool history shorter than window"):
        oracle.price()
    clock.advance(30)
    assert oracle.mean_tick() == pool.slot0().tick


def test_price__ring_overwritten_within_window__reverts(suite, owner, scratch_deployer, market):
    """A pool whose ring (cardinality 1) is rewritten by a trade no longer reaches a window back."""
    factory = suite.uniswap.factory
    io, usdc = suite.IOToken.address, suite.USDC.address
    pool, _ = create_pool(factory, io, usdc, 10_000, market.io_pool.slot0().sqrtPriceX96, owner)
    oracle = scratch_deployer.deploy(_oracle_container(), pool, io, usdc, WINDOW)
    clock.advance(WINDOW + 1)
    assert oracle.mean_tick() == pool.slot0().tick
    from ionet.chain.uniswap import mint_full_range

    u = suite.uniswap
    suite.IOToken.approve(u.position_manager, 2**256 - 1, sender=market.trader)
    suite.USDC.approve(u.position_manager, 2**256 - 1, sender=market.trader)
    amounts = (1_000 * IO, 400 * USDC) if int(io, 16) < int(usdc, 16) else (400 * USDC, 1_000 * IO)
    mint_full_range(u.position_manager, pool, *amounts, market.trader.address, market.trader)  # writes one
    with ape.reverts("IOPriceOracle: pool history shorter than window"):
        oracle.price()


# ------------------------------------------------------------------ constructor
@pytest.mark.parametrize(
    "case, reason",
    [
        ("window_short", "IOPriceOracle: window out of bounds"),
        ("window_long", "IOPriceOracle: window out of bounds"),
        ("no_code", "IOPriceOracle: pool has no code"),
        ("other_pair", "IOPriceOracle: pool is not io/usdc"),
    ],
)
def test_init__bad_config__reverts(suite, scratch_deployer, market_pools, case, reason):
    io, usdc = suite.IOToken.address, suite.USDC.address
    io_pool, weth_pool = market_pools
    args = {
        "window_short": (io_pool, io, usdc, 299),
        "window_long": (io_pool, io, usdc, 86_401),
        "no_code": (scratch_deployer.address, io, usdc, WINDOW),
        "other_pair": (weth_pool, io, usdc, WINDOW),
    }[case]
    with ape.reverts(reason):
        scratch_deployer.deploy(_oracle_container(), *args)


@pytest.mark.parametrize("pair", ["token0_and_other", "other_and_token1", "token1_and_other", "other_and_token0"])
def test_init__one_token_of_the_pool_and_another__reverts(suite, scratch_deployer, market_pools, pair):
    """The pair must be the pool's two tokens: one of them with a third token (WETH), on either side
    and in either position, is refused (each half of the check is needed)."""
    io_pool, weth_pool = market_pools
    t0, t1, other = io_pool.token0(), io_pool.token1(), weth_pool.token0()
    other = other if other not in (t0, t1) else weth_pool.token1()
    io, usdc = {"token0_and_other": (t0, other), "other_and_token1": (other, t1),
                "token1_and_other": (t1, other), "other_and_token0": (other, t0)}[pair]
    with ape.reverts("IOPriceOracle: pool is not io/usdc"):
        scratch_deployer.deploy(_oracle_container(), io_pool, io, usdc, WINDOW)


def test_init__pool_tokens_in_either_order__accepted(suite, scratch_deployer, market_pools):
    io_pool = market_pools[0]
    for io, usdc in ((io_pool.token0(), io_pool.token1()), (io_pool.token1(), io_pool.token0())):
        oracle = scratch_deployer.deploy(_oracle_container(), io_pool, io, usdc, WINDOW)
        assert (oracle.IO(), oracle.USDC()) == (io, usdc)


def test_init__bounds__accepted(suite, scratch_deployer, market_pools):
    io, usdc = suite.IOToken.address, suite.USDC.address
    for window in (300, 86_400):
        oracle = scratch_deployer.deploy(_oracle_container(), market_pools[0], io, usdc, window)
        assert oracle.WINDOW_SECONDS() == window
    assert oracle.MIN_WINDOW_SECONDS() == 300 and oracle.MAX_WINDOW_SECONDS() == 86_400


def _oracle_container():
    from ape import project

    return project.IOPriceOracle


def test_deploy_step__oracle_recorded__over_the_io_pool(suite):
    record = suite.manifest.contracts["IOPriceOracle"]
    assert record.address == suite.IOPriceOracle.address
    assert record.args["pool"] == suite.manifest.contracts["UniswapV3Pool.IO/USDC"].address
    assert record.args["window_seconds"] == WINDOW
    assert at("UniswapV3Pool", record.args["pool"]).fee() == 3000

# pragma version ~=0.4.3
"""
@title IO Price Oracle
@custom:contract-name IOPriceOracle
@license GNU Affero General Public License v3.0 only
@notice The price of IO in USDC as the time-weighted average (TWAP) of the IO/USDC Uniswap V3
        pool over a fixed window (default 1,800 s), read with the pool's own `observe` and
        Uniswap's own tick maths (modules/uniswap_twap.vy). It never falls back to the spot
        price: when the pool's history does not cover the window, every price view reverts
        ("IOPriceOracle: pool history shorter than window"). `deviation_bps` tells how far the
        spot price is from the TWAP, so a caller can refuse to act on a pushed price.
@dev Invariants (tests/unit/test_price_oracle.py and tests/fuzz/test_market_properties.py name them):
     1. twap_only: every price is getQuoteAtTick(mean tick over WINDOW_SECONDS); no view reads the
        spot price except `spot_tick` and `deviation_bps`.
     2. exact_tick_math: the sqrt ratio of a tick equals v3-core's getSqrtRatioAtTick (checked
        against the pool's own slot0 and the Python model ionet/market.py).
     3. mean_tick_floor: the mean tick is floor(delta tickCumulative / window), also when negative.
"""

from interfaces import IUniswapV3Pool

from modules import uniswap_twap


# @dev Bounds of the window.
MIN_WINDOW_SECONDS: public(constant(uint32)) = 300
MAX_WINDOW_SECONDS: public(constant(uint32)) = 86_400
# @dev One whole IO (18 decimals): the base of `price`.
ONE_IO: public(constant(uint256)) = 10**18


# @dev The IO/USDC Uniswap V3 pool.
POOL: public(immutable(address))
# @dev The two tokens.
IO: public(immutable(address))
USDC: public(immutable(address))
# @dev Seconds the price is averaged over.
WINDOW_SECONDS: public(immutable(uint32))


@deploy
def __init__(pool: address, io: address, usdc: address, window_seconds: uint32):
    """
    @notice Binds the oracle to the IO/USDC pool and its window.
    @param pool A Uniswap V3 pool whose tokens are exactly `io` and `usdc`.
    @param io The IO token.
    @param usdc The USDC token.
    @param window_seconds The TWAP window, MIN_WINDOW_SECONDS..MAX_WINDOW_SECONDS.
    """
    assert window_seconds >= MIN_WINDOW_SECONDS and window_seconds <= MAX_WINDOW_SECONDS, "IOPriceOracle: window out of bounds"
    assert pool.is_contract, "IOPriceOracle: pool has no code"
    t0: address = staticcall IUniswapV3Pool(pool).token0()
    t1: address = staticcall IUniswapV3Pool(pool).token1()
    assert (t0 == io and t1 == usdc) or (t0 == usdc and t1 == io), "IOPriceOracle: pool is not io/usdc"
    POOL = pool
    IO = io
    USDC = usdc
    WINDOW_SECONDS = window_seconds


@external
@view
def price() -> uint256:
    """
    @notice The TWAP price of one IO, in USDC base units (6 decimals).
    @return uint256 USDC base units per 10^18 IO wei.
    """
    mean: int256 = uniswap_twap._mean_tick(POOL, WINDOW_SECONDS)
    assert mean != uniswap_twap.NO_TICK, "IOPriceOracle: pool history shorter than window"
    return uniswap_twap._quote_at_tick(convert(mean, int24), ONE_IO, IO, USDC)


@external
@view
def quote_io_to_usdc(io_amount: uint256) -> uint256:
    """
    @notice What `io_amount` IO is worth in USDC at the TWAP (floored, as getQuoteAtTick).
    @param io_amount IO wei, below 2^128.
    @return uint256 USDC base units.
    """
    return uniswap_twap._quote_at_tick(self._mean(), io_amount, IO, USDC)


@external
@view
def quote_usdc_to_io(usdc_amount: uint256) -> uint256:
    """
    @notice What `usdc_amount` USDC is worth in IO at the TWAP (floored, as getQuoteAtTick).
    @param usdc_amount USDC base units, below 2^128.
    @return uint256 IO wei.
    """
    return uniswap_twap._quote_at_tick(self._mean(), usdc_amount, USDC, IO)


@external
@view
def mean_tick() -> int24:
    """
    @notice The pool's arithmetic mean tick over the window (rounded toward negative infinity).
    @return int24 The tick; the pool's price is token1 per token0 = 1.0001^tick.
    """
    return self._mean()


@external
@view
def spot_tick() -> int24:
    """
    @notice The pool's current tick (slot0): the spot price, for comparison only.
    @return int24 The tick.
    """
    return uniswap_twap._spot_tick(POOL)


@external
@view
def deviation_bps() -> uint256:
    """
    @notice How far the spot price is from the TWAP: ceil((1.0001^|spot - mean| - 1) * 10,000).
    @return uint256 Basis points (saturating for a price ratio beyond 10^17).
    """
    return uniswap_twap._deviation_bps(uniswap_twap._spot_tick(POOL), self._mean())


@external
@pure
def sqrt_ratio_at_tick(tick: int24) -> uint256:
    """
    @notice Uniswap's TickMath.getSqrtRatioAtTick, as this oracle computes it.
    @param tick A tick, |tick| <= 887,272.
    @return uint256 sqrt(1.0001^tick) * 2^96, rounded up.
    """
    return uniswap_twap._sqrt_ratio_at_tick(tick)


@external
@pure
def quote_at_tick(tick: int24, base_amount: uint256, base_token: address, quote_token: address) -> uint256:
    """
    @notice Uniswap's OracleLibrary.getQuoteAtTick, as this oracle computes it.
    @param tick The tick.
    @param base_amount Base units of `base_token`, below 2^128.
    @param base_token The token priced.
    @param quote_token The token it is priced in.
    @return uint256 Base units of `quote_token`.
    """
    return uniswap_twap._quote_at_tick(tick, base_amount, base_token, quote_token)


@internal
@view
def _mean() -> int24:
    mean: int256 = uniswap_twap._mean_tick(POOL, WINDOW_SECONDS)
    assert mean != uniswap_twap.NO_TICK, "IOPriceOracle: pool history shorter than window"
    return convert(mean, int24)

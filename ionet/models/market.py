"""The IO market (docs/economy.md, tokenomics §6-7): Uniswap V3's price maths in exact integers.

This is the model the contracts are tested against, bit for bit:

* `sqrt_ratio_at_tick` is Uniswap v3-core's `TickMath.getSqrtRatioAtTick`: sqrt(1.0001^tick) as a
  Q64.96 number, built from the same 20 magic constants (sqrt(1.0001^-(2^i)) in Q128.128), rounded
  up from Q128.128 to Q64.96. `Decimal` (`sqrt_ratio_decimal`) is the independent reference.
* `mean_tick` is v3-periphery's `OracleLibrary.consult`: the arithmetic mean tick over a window,
  floor(Δ tickCumulative / window), rounded toward negative infinity also when Δ is negative (Python's
  `//` already floors; Solidity's and Vyper's signed `/` truncate, hence their explicit `- 1`).
* `quote_at_tick` is `OracleLibrary.getQuoteAtTick` with its two branches (ratio squared in Q192
  when the sqrt ratio fits 128 bits, else in Q128), each division `FullMath.mulDiv` (floor).
* `deviation_bps` is how far a spot tick is from a mean tick, orientation-free:
  ceil((1.0001^|Δtick| - 1) x 10,000), computed from `sqrt_ratio_at_tick(|Δtick|)`.
* `min_out` / `max_in` are the TWAP bound of every trade: at least the TWAP value less the maximum
  slippage (rounded up: stricter), at most the TWAP cost plus the slippage (rounded down: stricter).

Prices are the pool's: token1 base units per token0 base unit, tokens sorted by address.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from math import isqrt

MIN_TICK = -887_272
MAX_TICK = 887_272
MIN_SQRT_RATIO = 4_295_128_739
MAX_SQRT_RATIO = 1_461_446_703_485_210_103_287_273_052_203_988_822_378_723_970_342
Q96 = 1 << 96
Q128 = 1 << 128
Q192 = 1 << 192
BPS = 10_000
# Ticks beyond which `deviation_bps` saturates (1.0001^400,000 is about 2.3e17: "far").
MAX_DEVIATION_TICKS = 400_000
UINT128_MAX = (1 << 128) - 1

# sqrt(1.0001^-(2^i)) in Q128.128 for i = 1..19 (v3-core TickMath), bit 0 is the start value.
_TICK_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)
_TICK_BIT0 = 0xFFFCB933BD6FAD37AA2D162D1A594001


class MarketError(Exception):
    """A computation the contracts would revert."""


def mul_div(x: int, y: int, d: int, round_up: bool = False) -> int:
    """FullMath.mulDiv (floor) / mulDivRoundingUp, with its overflow check on the result."""
    q, r = divmod(x * y, d)
    if round_up and r:
        q += 1
    if q >= 1 << 256:
        raise MarketError("mul_div overflow")
    return q


def sqrt_ratio_at_tick(tick: int) -> int:
    """TickMath.getSqrtRatioAtTick: sqrt(1.0001^tick) * 2^96, exactly as v3-core computes it."""
    abs_tick = abs(tick)
    if abs_tick > MAX_TICK:
        raise MarketError("tick out of range")
    ratio = _TICK_BIT0 if abs_tick & 1 else Q128
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = ((1 << 256) - 1) // ratio
    return (ratio >> 32) + (1 if ratio % (1 << 32) else 0)


def sqrt_ratio_decimal(tick: int, digits: int = 80) -> Decimal:
    """The reference: sqrt(1.0001^tick) * 2^96 in `digits`-digit Decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = digits
        return (Decimal("1.0001") ** tick).sqrt() * Decimal(Q96)


def tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is <= `sqrt_price_x96` (TickMath.getTickAtSqrtRatio's
    definition), by bisection over `sqrt_ratio_at_tick`."""
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise MarketError("sqrt price out of range")
    lo, hi = MIN_TICK, MAX_TICK
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sqrt_ratio_at_tick(mid) <= sqrt_price_x96:
            lo = mid
        else:
            hi = mid - 1
    return lo


def mean_tick(tick_cumulative_then: int, tick_cumulative_now: int, window: int) -> int:
    """OracleLibrary.consult's arithmetic mean tick, rounded toward negative infinity."""
    if window == 0:
        raise MarketError("zero window")
    return (tick_cumulative_now - tick_cumulative_then) // window


def quote_at_tick(tick: int, base_amount: int, base_token: str, quote_token: str) -> int:
    """OracleLibrary.getQuoteAtTick: `base_amount` of `base_token` in `quote_token` at `tick`
    (tokens compared as addresses, as the pool sorts them)."""
    if not 0 <= base_amount <= UINT128_MAX:
        raise MarketError("amount too large")
    sqrt_ratio = sqrt_ratio_at_tick(tick)
    base_is_token0 = int(base_token, 16) < int(quote_token, 16)
    if sqrt_ratio <= UINT128_MAX:
        ratio_x192 = sqrt_ratio * sqrt_ratio
        if base_is_token0:
            return mul_div(ratio_x192, base_amount, Q192)
        return mul_div(Q192, base_amount, ratio_x192)
    ratio_x128 = mul_div(sqrt_ratio, sqrt_ratio, 1 << 64)
    if base_is_token0:
        return mul_div(ratio_x128, base_amount, Q128)
    return mul_div(Q128, base_amount, ratio_x128)


def deviation_bps(spot: int, mean: int) -> int:
    """ceil((1.0001^|spot - mean| - 1) x 10,000) from the Q64.96 sqrt ratio, the same in either price
    orientation; saturates at MAX_DEVIATION_TICKS."""
    delta = min(abs(spot - mean), MAX_DEVIATION_TICKS)
    r = sqrt_ratio_at_tick(delta)
    return mul_div(r * r - Q192, BPS, Q192, round_up=True)


def deviation_decimal(spot: int, mean: int) -> Decimal:
    """The reference: (1.0001^|spot - mean| - 1) x 10,000."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal("1.0001") ** abs(spot - mean) - 1) * BPS


def min_out(twap_value: int, slippage_bps: int) -> int:
    """The least a trade must yield: the TWAP value less the slippage, rounded up."""
    return mul_div(twap_value, BPS - slippage_bps, BPS, round_up=True)


def max_in(twap_cost: int, slippage_bps: int) -> int:
    """The most a trade may take: the TWAP cost plus the slippage, rounded down."""
    return mul_div(twap_cost, BPS + slippage_bps, BPS)


# ------------------------------------------------------------------ pool set-up
def sort_tokens(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def sqrt_price_x96_for(
    price: Fraction | Decimal | str, base: str, base_decimals: int, quote: str, quote_decimals: int
) -> int:
    """`sqrtPriceX96` of a pool where one whole `base` token costs `price` whole `quote` tokens:
    isqrt(floor(P_raw * 2^192)), P_raw = token1 base units per token0 base unit."""
    p = Fraction(str(price)) if not isinstance(price, Fraction) else price
    raw = p * Fraction(10**quote_decimals, 10**base_decimals)  # quote base units per base base unit
    if int(base, 16) > int(quote, 16):  # base is token1: the pool's price is the inverse
        raw = 1 / raw
    return isqrt(raw.numerator * Q192 // raw.denominator)


def price_of(tick: int, base: str, base_decimals: int, quote: str) -> int:
    """One whole `base` token in `quote` base units at `tick` (getQuoteAtTick of 10^decimals)."""
    return quote_at_tick(tick, 10**base_decimals, base, quote)


def full_range(tick_spacing: int) -> tuple[int, int]:
    """The widest ticks a position with this spacing can use."""
    lo = -(MAX_TICK // tick_spacing) * tick_spacing
    return lo, -lo

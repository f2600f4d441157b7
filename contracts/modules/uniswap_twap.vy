# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title Uniswap V3 price maths and TWAP reads
@custom:contract-name uniswap_twap
@license GNU Affero General Public License v3.0 only
@notice Uniswap V3's own price maths, reproduced exactly, for contracts that price a token from a
        V3 pool's time-weighted average (TWAP). Stateless: `import` it (no `initializes:` needed)
        and call its internal functions.

        API (every function `@internal`):
        - `_sqrt_ratio_at_tick(tick) -> uint256`: v3-core `TickMath.getSqrtRatioAtTick`,
          sqrt(1.0001^tick) * 2^96, rounded up from Q128.128 exactly as v3-core does.
          Reverts "uniswap_twap: tick out of range" when |tick| > 887,272.
        - `_quote_at_tick(tick, base_amount, base_token, quote_token) -> uint256`: v3-periphery
          `OracleLibrary.getQuoteAtTick`: what `base_amount` of `base_token` is worth in
          `quote_token` at `tick` (both branches: ratio in Q192 when the sqrt ratio fits 128 bits,
          else in Q128), every division floored like `FullMath.mulDiv`. `base_amount` must fit
          128 bits ("uniswap_twap: amount too large").
        - `_mean_tick(pool, window) -> int256`: `OracleLibrary.consult`'s arithmetic mean tick
          over the last `window` seconds from `pool.observe([window, 0])`, rounded toward
          negative infinity (convert it to int24 after the check below). Answers NO_TICK instead
          of reverting when the pool cannot serve the window (Uniswap's "OLD": its observations do
          not reach that far back; "I": not initialized), so that each caller reverts with its
          own reason: `assert mean != uniswap_twap.NO_TICK, "<Contract>: ..."`. Never the spot
          price.
        - `_mean_tick_at(pool, window, ago) -> int256`: the same over the window that ended `ago`
          seconds ago (`observe([ago + window, ago])`): a price fixed by a past moment (the
          IncentiveEngine prices an epoch over the window that ends at its close).
        - `_spot_tick(pool) -> int24`: the current tick from `slot0`.
        - `_deviation_bps(spot, mean) -> uint256`: how far the spot price is from the mean price,
          ceil((1.0001^|spot - mean| - 1) * 10,000), the same whichever token is the base;
          saturates at MAX_DEVIATION_TICKS (a price ratio above 10^17).
@dev Ranges (why no 512-bit product is needed except where `math._mul_div` is used):
     - in `_sqrt_ratio_at_tick`, `ratio` stays below 2^128 + 1 and every factor below 2^128, so each
       product is below 2^256;
     - in `_quote_at_tick` the products ratio * amount can reach 2^384: snekmate's `_mul_div`
       (512-bit, floor) is used for every division, as v3-periphery uses FullMath;
     - in `_deviation_bps` |delta| <= 400,000 ticks, so the sqrt ratio is below 2^125 and its square
       below 2^250; the scaling by 10,000 goes through `_mul_div`.
     The Python model is ionet/market.py (tested against this module bit for bit, and both against
     Decimal(1.0001) ** tick and the pool's own slot0).
"""


from snekmate.utils import math


# @dev TickMath's bounds: log base 1.0001 of 2^-128 and 2^128.
MIN_TICK: constant(int24) = -887_272
MAX_TICK: constant(int24) = 887_272
# @dev getSqrtRatioAtTick(MIN_TICK) and getSqrtRatioAtTick(MAX_TICK).
MIN_SQRT_RATIO: constant(uint256) = 4_295_128_739
MAX_SQRT_RATIO: constant(uint256) = 1_461_446_703_485_210_103_287_273_052_203_988_822_378_723_970_342
# @dev Basis points denominator.
BPS: constant(uint256) = 10_000
# @dev What `_mean_tick` answers when the pool cannot serve the window (no tick is that large).
NO_TICK: constant(int256) = max_value(int256)
# @dev Tick distance at which `_deviation_bps` saturates.
MAX_DEVIATION_TICKS: constant(uint256) = 400_000
_Q128: constant(uint256) = 1 << 128
_Q192: constant(uint256) = 1 << 192
_UINT128_MAX: constant(uint256) = (1 << 128) - 1


@internal
@pure
def _sqrt_ratio_at_tick(tick: int24) -> uint256:
    """
    @dev TickMath.getSqrtRatioAtTick: sqrt(1.0001^tick) * 2^96. Each factor is
         sqrt(1.0001^-(2^i)) in Q128.128; their product over the bits of |tick| is
         sqrt(1.0001^-|tick|), inverted for a positive tick, then rounded up to Q64.96.
    """
    abs_tick: uint256 = convert(abs(convert(tick, int256)), uint256)
    assert abs_tick <= convert(MAX_TICK, uint256), "uniswap_twap: tick out of range"
    ratio: uint256 = _Q128
    if abs_tick & 1 != 0:
        ratio = 340265354078544963557816517032075149313  # 0xfffcb933bd6fad37aa2d162d1a594001
    # Every `unsafe_mul` below: ratio <= 2^128 and the factor < 2^128, so the product < 2^256.
    if abs_tick & 2 != 0:
        ratio = unsafe_mul(ratio, 340248342086729790484326174814286782778) >> 128  # 0xfff97272373d413259a46990580e213a
    if abs_tick & 4 != 0:
        ratio = unsafe_mul(ratio, 340214320654664324051920982716015181260) >> 128  # 0xfff2e50f5f656932ef12357cf3c7fdcc
    if abs_tick & 8 != 0:
        ratio = unsafe_mul(ratio, 340146287995602323631171512101879684304) >> 128  # 0xffe5caca7e10e4e61c3624eaa0941cd0
    if abs_tick & 16 != 0:
        ratio = unsafe_mul(ratio, 340010263488231146823593991679159461444) >> 128  # 0xffcb9843d60f6159c9db58835c926644
    if abs_tick & 32 != 0:
        ratio = unsafe_mul(ratio, 339738377640345403697157401104375502016) >> 128  # 0xff973b41fa98c081472e6896dfb254c0
    if abs_tick & 64 != 0:
        ratio = unsafe_mul(ratio, 339195258003219555707034227454543997025) >> 128  # 0xff2ea16466c96a3843ec78b326b52861
    if abs_tick & 128 != 0:
        ratio = unsafe_mul(ratio, 338111622100601834656805679988414885971) >> 128  # 0xfe5dee046a99a2a811c461f1969c3053
    if abs_tick & 256 != 0:
        ratio = unsafe_mul(ratio, 335954724994790223023589805789778977700) >> 128  # 0xfcbe86c7900a88aedcffc83b479aa3a4
    if abs_tick & 512 != 0:
        ratio = unsafe_mul(ratio, 331682121138379247127172139078559817300) >> 128  # 0xf987a7253ac413176f2b074cf7815e54
    if abs_tick & 1024 != 0:
        ratio = unsafe_mul(ratio, 323299236684853023288211250268160618739) >> 128  # 0xf3392b0822b70005940c7a398e4b70f3
    if abs_tick & 2048 != 0:
        ratio = unsafe_mul(ratio, 307163716377032989948697243942600083929) >> 128  # 0xe7159475a2c29b7443b29c7fa6e889d9
    if abs_tick & 4096 != 0:
        ratio = unsafe_mul(ratio, 277268403626896220162999269216087595045) >> 128  # 0xd097f3bdfd2022b8845ad8f792aa5825
    if abs_tick & 8192 != 0:
        ratio = unsafe_mul(ratio, 225923453940442621947126027127485391333) >> 128  # 0xa9f746462d870fdf8a65dc1f90e061e5
    if abs_tick & 16384 != 0:
        ratio = unsafe_mul(ratio, 149997214084966997727330242082538205943) >> 128  # 0x70d869a156d2a1b890bb3df62baf32f7
    if abs_tick & 32768 != 0:
        ratio = unsafe_mul(ratio, 66119101136024775622716233608466517926) >> 128  # 0x31be135f97d08fd981231505542fcfa6
    if abs_tick & 65536 != 0:
        ratio = unsafe_mul(ratio, 12847376061809297530290974190478138313) >> 128  # 0x9aa508b5b7a84e1c677de54f3e99bc9
    if abs_tick & 131072 != 0:
        ratio = unsafe_mul(ratio, 485053260817066172746253684029974020) >> 128  # 0x5d6af8dedb81196699c329225ee604
    if abs_tick & 262144 != 0:
        ratio = unsafe_mul(ratio, 691415978906521570653435304214168) >> 128  # 0x2216e584f5fa1ea926041bedfe98
    if abs_tick & 524288 != 0:
        ratio = unsafe_mul(ratio, 1404880482679654955896180642) >> 128  # 0x48a170391f7dc42444e8fa2
    if tick > 0:
        # ratio > 0: the smallest product above is still far from zero.
        ratio = unsafe_div(max_value(uint256), ratio)
    # Q128.128 -> Q64.96, rounded up (so that getTickAtSqrtRatio of the result is the tick).
    if ratio % (1 << 32) != 0:
        return unsafe_add(ratio >> 32, 1)
    return ratio >> 32


@internal
@pure
def _quote_at_tick(tick: int24, base_amount: uint256, base_token: address, quote_token: address) -> uint256:
    """
    @dev OracleLibrary.getQuoteAtTick: `base_amount` of `base_token` in `quote_token` at `tick`.
         The pool's price is token1 per token0 (tokens sorted by address).
    """
    assert base_amount <= _UINT128_MAX, "uniswap_twap: amount too large"
    sqrt_ratio: uint256 = self._sqrt_ratio_at_tick(tick)
    base_is_token0: bool = convert(base_token, uint256) < convert(quote_token, uint256)
    if sqrt_ratio <= _UINT128_MAX:
        # sqrt_ratio < 2^128, so its square < 2^256.
        ratio_x192: uint256 = unsafe_mul(sqrt_ratio, sqrt_ratio)
        if base_is_token0:
            # FullMath.mulDiv(ratio_x192, base_amount, 2^192); when the product fits 256 bits the
            # division by a power of two is a shift (the same floor). ratio_x192 > 0: sqrt_ratio
            # >= MIN_SQRT_RATIO.
            if base_amount <= unsafe_div(max_value(uint256), ratio_x192):
                return unsafe_mul(ratio_x192, base_amount) >> 192
            return math._mul_div(ratio_x192, base_amount, _Q192, False)
        if base_amount < (1 << 64):
            # 2^192 * base_amount < 2^256; ratio_x192 > 0 (sqrt_ratio >= MIN_SQRT_RATIO).
            return unsafe_div(base_amount << 192, ratio_x192)
        return math._mul_div(_Q192, base_amount, ratio_x192, False)
    ratio_x128: uint256 = math._mul_div(sqrt_ratio, sqrt_ratio, 1 << 64, False)
    if base_is_token0:
        return math._mul_div(ratio_x128, base_amount, _Q128, False)
    return math._mul_div(_Q128, base_amount, ratio_x128, False)


@internal
@view
def _mean_tick(pool: address, window: uint32) -> int256:
    """
    @dev OracleLibrary.consult's arithmetic mean tick over the last `window` seconds (window > 0),
         or NO_TICK when `observe` reverts (history shorter than the window) or answers nothing
         decodable.
    """
    return self._mean_tick_at(pool, window, 0)


@internal
@view
def _mean_tick_at(pool: address, window: uint32, ago: uint32) -> int256:
    """
    @dev The arithmetic mean tick over the `window` seconds that ended `ago` seconds before now
         (`observe([ago + window, ago])`), rounded toward negative infinity, or NO_TICK when the
         pool's observations do not reach back that far (or `ago + window` does not fit 32 bits).
    """
    if convert(ago, uint256) + convert(window, uint256) > convert(max_value(uint32), uint256):
        return NO_TICK
    ok: bool = False
    response: Bytes[256] = b""
    # observe([ago + window, ago]): the array's offset, its length, then its two items.
    ok, response = raw_call(
        pool,
        abi_encode(convert(32, uint256), convert(2, uint256), convert(ago + window, uint256), convert(ago, uint256),
                   method_id=method_id("observe(uint32[])")),
        max_outsize=256,
        is_static_call=True,
        revert_on_failure=False,
    )
    # The answer is abi-encoded (int56[] tickCumulatives, uint160[] secondsPerLiquidity), each of
    # length 2: [offset 0x40][offset 0xa0][2][tc0][tc1][2][spl0][spl1] (the pool's canonical
    # encoding: 256 bytes). Only tc0 and tc1 are used.
    if not ok or len(response) != 256:
        return NO_TICK
    # int56 values: the difference and the quotient cannot overflow int256.
    delta: int256 = extract32(response, 128, output_type=int256) - extract32(response, 96, output_type=int256)
    w: int256 = convert(window, int256)
    mean: int256 = delta // w  # truncates toward zero, as Solidity's signed division
    if delta < 0 and delta % w != 0:
        mean -= 1  # round toward negative infinity, as OracleLibrary.consult
    return mean


@internal
@view
def _spot_tick(pool: address) -> int24:
    """
    @dev The pool's current tick (slot0).
    """
    # slot0() answers (uint160 sqrtPriceX96, int24 tick, ...): the tick is the second word; the
    # conversion to int24 reverts on anything out of its range.
    response: Bytes[224] = raw_call(pool, method_id("slot0()"), max_outsize=224, is_static_call=True)
    return convert(extract32(response, 32, output_type=int256), int24)


@internal
@pure
def _deviation_bps(spot: int24, mean: int24) -> uint256:
    """
    @dev ceil((1.0001^|spot - mean| - 1) * 10,000) from the Q64.96 sqrt ratio: with r the sqrt ratio
         at |spot - mean|, (r^2 - 2^192) * 10,000 / 2^192, rounded up (a stricter check).
    """
    delta: uint256 = min(
        convert(abs(convert(spot, int256) - convert(mean, int256)), uint256), MAX_DEVIATION_TICKS
    )
    r: uint256 = self._sqrt_ratio_at_tick(convert(delta, int24))
    # delta <= 400,000: r < 2^125, r^2 < 2^250, and r >= 2^96 so r^2 >= 2^192.
    return math._mul_div(unsafe_sub(unsafe_mul(r, r), _Q192), BPS, _Q192, True)

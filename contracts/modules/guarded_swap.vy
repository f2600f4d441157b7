# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title Swaps on a Uniswap V3 pool bounded by its TWAP
@custom:contract-name guarded_swap
@license GNU Affero General Public License v3.0 only
@notice Trades directly against a Uniswap V3 pool (its `swap`, paid in `uniswapV3SwapCallback`),
        each one bounded by the pool's time-weighted average price over `twap_window` seconds:
        - it reverts when the spot price is more than `max_deviation_bps` from the TWAP (a price
          pushed away just before the trade, e.g. the front half of a sandwich);
        - an exact-input trade must yield at least the TWAP value of its input less
          `max_slippage_bps`, and at least the caller's own minimum;
        - an exact-output trade may take at most the TWAP cost of its output plus
          `max_slippage_bps`, and at most the caller's own maximum.
        So a trade never loses more than the slippage against the TWAP, and it never falls back to
        the spot price: when the pool's history is shorter than the window it reverts.

        How to use it (Vyper 0.4):
            from modules import guarded_swap
            initializes: guarded_swap
            exports: (guarded_swap.uniswapV3SwapCallback, guarded_swap.twap_window,
                      guarded_swap.max_deviation_bps, guarded_swap.max_slippage_bps)
            ... in __init__: guarded_swap.__init__(window_seconds, max_deviation_bps, max_slippage_bps)
        The callback MUST be exported (the pool calls it). Internal API:
        - `_swap_exact_input(pool, token_in, token_out, amount_in, min_out, recipient, payer)
              -> (amount_out, twap_out, bound)`: sells exactly `amount_in`; `recipient` receives
              `amount_out` >= bound = max(min_out, TWAP value * (1 - slippage)).
        - `_swap_exact_output(pool, token_in, token_out, amount_out, max_in, recipient, payer)
              -> (amount_in, twap_in, bound)`: buys exactly `amount_out` for
              `amount_in` <= bound = min(max_in, TWAP cost * (1 + slippage)).
          `payer` is the account the input is taken from, in the callback: this contract itself
          (a `transfer`) or an account that approved it (a `transferFrom` straight to the pool, so
          no input is ever left unspent in this contract).
        - `_checked_mean_tick(pool) -> int24`: the TWAP tick, after the history and deviation
          checks (for a caller that prices without trading).
        - `_twap_quote(pool, amount, base, quote) -> uint256`: the TWAP value, history checked only.
        - `_set_twap_window(seconds)`, `_set_max_deviation_bps(bps)`, `_set_max_slippage_bps(bps)`:
          bounded setters that log `<Thing>Updated(old, new)`; access control is the caller's.
        The using contract checks that `pool` is a pool it trusts (a configured one) and that
        `token_in`/`token_out` are its two tokens: the module trusts the pool's answers.
@dev The callback pays only while a swap of this module is under way: `_swap_*` writes the pool, the
     token sold, the payer and the most it may pay into transient storage, calls `pool.swap`, and
     clears them. The callback requires msg.sender to be that pool (any other caller, or any call
     outside a swap, finds the zero address and is refused), requires the pool to ask for the token
     sold and nothing else, and pays at most the bound.
     Rounding: the TWAP value is floored (getQuoteAtTick); the minimum output is rounded up and the
     maximum input down, each against the trader (the stricter bound).
"""

from ethereum.ercs import IERC20

from ..interfaces import IUniswapV3Pool

from snekmate.utils import math

from . import uniswap_twap


# @dev Basis points denominator.
BPS: constant(uint256) = 10_000
# @dev Bounds of the governance-settable parameters.
MIN_TWAP_WINDOW: constant(uint32) = 300
MAX_TWAP_WINDOW: constant(uint32) = 86_400
MAX_DEVIATION_LIMIT_BPS: constant(uint256) = 1_000
MAX_SLIPPAGE_LIMIT_BPS: constant(uint256) = 500


# @dev Seconds over which the pool's TWAP is averaged.
twap_window: public(uint32)
# @dev The most the spot price may be away from the TWAP when a trade starts (bps).
max_deviation_bps: public(uint256)
# @dev The most a trade may lose against the TWAP (bps).
max_slippage_bps: public(uint256)

# @dev The swap under way (transient: empty outside a swap of this module).
_swap_pool: transient(address)
_swap_token_in: transient(address)
_swap_in_is_token0: transient(bool)
_swap_payer: transient(address)
_swap_max_in: transient(uint256)


# @dev The TWAP window changed.
event TwapWindowUpdated:
    old_seconds: uint32
    new_seconds: uint32


# @dev The maximum spot-to-TWAP deviation changed.
event MaxDeviationUpdated:
    old_bps: uint256
    new_bps: uint256


# @dev The maximum slippage against the TWAP changed.
event MaxSlippageUpdated:
    old_bps: uint256
    new_bps: uint256


@deploy
def __init__(window_seconds: uint32, deviation_bps: uint256, slippage_bps: uint256):
    """
    @dev Sets the three bounds (each checked as its setter checks it).
    """
    self._set_twap_window(window_seconds)
    self._set_max_deviation_bps(deviation_bps)
    self._set_max_slippage_bps(slippage_bps)


@external
def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[32]):
    """
    @notice Pays the pool the input of the swap under way. Only the pool of that swap may call it,
            and only during it.
    @param amount0Delta What the pool is owed (> 0) or paid out (< 0) of token0.
    @param amount1Delta The same of token1.
    @param data Unused (empty).
    """
    pool: address = self._swap_pool
    assert msg.sender == pool and pool != empty(address), "guarded_swap: callback from unexpected caller"
    token_in: address = self._swap_token_in
    owed: int256 = amount1Delta
    other: int256 = amount0Delta
    if self._swap_in_is_token0:
        owed = amount0Delta
        other = amount1Delta
    assert owed > 0 and other <= 0, "guarded_swap: unexpected payment request"
    amount: uint256 = convert(owed, uint256)
    assert amount <= self._swap_max_in, "guarded_swap: input above maximum"
    payer: address = self._swap_payer
    if payer == self:
        assert extcall IERC20(token_in).transfer(pool, amount, default_return_value=True)
    else:
        assert extcall IERC20(token_in).transferFrom(payer, pool, amount, default_return_value=True)


@internal
@view
def _checked_mean_tick(pool: address) -> int24:
    """
    @dev The pool's mean tick over the window; reverts when the pool cannot serve the window or
         when the spot tick is more than `max_deviation_bps` from it.
    """
    mean: int24 = self._mean_tick(pool)
    spot: int24 = uniswap_twap._spot_tick(pool)
    assert uniswap_twap._deviation_bps(spot, mean) <= self.max_deviation_bps, "guarded_swap: spot price too far from twap"
    return mean


@internal
@view
def _twap_quote(pool: address, amount: uint256, base: address, quote: address) -> uint256:
    """
    @dev `amount` of `base` in `quote` at the pool's TWAP (history checked, deviation not).
    """
    return uniswap_twap._quote_at_tick(self._mean_tick(pool), amount, base, quote)


@internal
@view
def _mean_tick(pool: address) -> int24:
    mean: int256 = uniswap_twap._mean_tick(pool, self.twap_window)
    assert mean != uniswap_twap.NO_TICK, "guarded_swap: pool history shorter than window"
    return convert(mean, int24)


@internal
@view
def _min_out(twap_out: uint256) -> uint256:
    # TWAP value less the slippage, rounded up.
    return math._mul_div(twap_out, BPS - self.max_slippage_bps, BPS, True)


@internal
@view
def _max_in(twap_in: uint256) -> uint256:
    # TWAP cost plus the slippage, rounded down.
    return math._mul_div(twap_in, BPS + self.max_slippage_bps, BPS, False)


@internal
def _swap_exact_input(pool: address, token_in: address, token_out: address, amount_in: uint256, min_out: uint256,
                      recipient: address, payer: address) -> (uint256, uint256, uint256):
    """
    @dev Sells exactly `amount_in` of `token_in` on `pool`; returns (amount_out, twap_out, bound).
    """
    mean: int24 = self._checked_mean_tick(pool)
    twap_out: uint256 = uniswap_twap._quote_at_tick(mean, amount_in, token_in, token_out)
    bound: uint256 = max(self._min_out(twap_out), min_out)
    zero_for_one: bool = convert(token_in, uint256) < convert(token_out, uint256)
    paid: int256 = 0
    received: int256 = 0
    paid, received = self._swap(pool, token_in, payer, amount_in, zero_for_one, convert(amount_in, int256), recipient)
    assert paid == convert(amount_in, int256), "guarded_swap: input not fully spent"
    amount_out: uint256 = convert(-received, uint256)
    assert amount_out >= bound, "guarded_swap: output below minimum"
    return amount_out, twap_out, bound


@internal
def _swap_exact_output(pool: address, token_in: address, token_out: address, amount_out: uint256, max_in: uint256,
                       recipient: address, payer: address) -> (uint256, uint256, uint256):
    """
    @dev Buys exactly `amount_out` of `token_out` on `pool`; returns (amount_in, twap_in, bound).
    """
    mean: int24 = self._checked_mean_tick(pool)
    twap_in: uint256 = uniswap_twap._quote_at_tick(mean, amount_out, token_out, token_in)
    bound: uint256 = min(self._max_in(twap_in), max_in)
    zero_for_one: bool = convert(token_in, uint256) < convert(token_out, uint256)
    paid: int256 = 0
    received: int256 = 0
    paid, received = self._swap(pool, token_in, payer, bound, zero_for_one, -convert(amount_out, int256), recipient)
    assert -received == convert(amount_out, int256), "guarded_swap: output not fully delivered"
    # paid <= bound: the callback refuses to pay more.
    return convert(paid, uint256), twap_in, bound


@internal
def _swap(pool: address, token_in: address, payer: address, max_in: uint256, zero_for_one: bool,
          amount_specified: int256, recipient: address) -> (int256, int256):
    """
    @dev One `pool.swap` with the callback armed; returns (paid in token_in, received in token_out
         as a negative number), from the pool's own deltas.
    """
    assert amount_specified != 0, "guarded_swap: zero amount"
    self._swap_pool = pool
    self._swap_token_in = token_in
    self._swap_in_is_token0 = zero_for_one
    self._swap_payer = payer
    self._swap_max_in = max_in
    limit: uint160 = convert(uniswap_twap.MAX_SQRT_RATIO - 1, uint160)
    if zero_for_one:
        limit = convert(uniswap_twap.MIN_SQRT_RATIO + 1, uint160)
    amount0: int256 = 0
    amount1: int256 = 0
    amount0, amount1 = extcall IUniswapV3Pool(pool).swap(recipient, zero_for_one, amount_specified, limit, b"")
    self._swap_pool = empty(address)
    self._swap_token_in = empty(address)
    self._swap_in_is_token0 = False
    self._swap_payer = empty(address)
    self._swap_max_in = 0
    if zero_for_one:
        return amount0, amount1
    return amount1, amount0


@internal
def _set_twap_window(seconds: uint32):
    assert seconds >= MIN_TWAP_WINDOW and seconds <= MAX_TWAP_WINDOW, "guarded_swap: window out of bounds"
    log TwapWindowUpdated(old_seconds=self.twap_window, new_seconds=seconds)
    self.twap_window = seconds


@internal
def _set_max_deviation_bps(bps: uint256):
    assert bps != 0 and bps <= MAX_DEVIATION_LIMIT_BPS, "guarded_swap: deviation out of bounds"
    log MaxDeviationUpdated(old_bps=self.max_deviation_bps, new_bps=bps)
    self.max_deviation_bps = bps


@internal
def _set_max_slippage_bps(bps: uint256):
    assert bps != 0 and bps <= MAX_SLIPPAGE_LIMIT_BPS, "guarded_swap: slippage out of bounds"
    log MaxSlippageUpdated(old_bps=self.max_slippage_bps, new_bps=bps)
    self.max_slippage_bps = bps

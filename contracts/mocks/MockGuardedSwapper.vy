# pragma version ~=0.4.3
"""
@title MockGuardedSwapper
@notice Test harness of modules/guarded_swap.vy, used the way another contract (the Incentive
        Engine) will use it: `initializes: guarded_swap`, exports the callback and the bounds.
        Sells its own tokens (payer = itself) or buys for the caller (payer = the caller, who
        approved it). Never deployed by scripts.
"""

from ..modules import guarded_swap

initializes: guarded_swap

exports: (
    guarded_swap.uniswapV3SwapCallback,
    guarded_swap.twap_window,
    guarded_swap.max_deviation_bps,
    guarded_swap.max_slippage_bps,
)


@deploy
def __init__(window_seconds: uint32, deviation_bps: uint256, slippage_bps: uint256):
    guarded_swap.__init__(window_seconds, deviation_bps, slippage_bps)


@external
def sell(pool: address, token_in: address, token_out: address, amount_in: uint256, min_out: uint256,
         recipient: address) -> (uint256, uint256, uint256):
    return guarded_swap._swap_exact_input(pool, token_in, token_out, amount_in, min_out, recipient, self)


@external
def buy(pool: address, token_in: address, token_out: address, amount_out: uint256, max_in: uint256,
        recipient: address) -> (uint256, uint256, uint256):
    return guarded_swap._swap_exact_output(pool, token_in, token_out, amount_out, max_in, recipient, msg.sender)


@external
@view
def twap_quote(pool: address, amount: uint256, base: address, quote: address) -> uint256:
    return guarded_swap._twap_quote(pool, amount, base, quote)


@external
@view
def checked_mean_tick(pool: address) -> int24:
    return guarded_swap._checked_mean_tick(pool)

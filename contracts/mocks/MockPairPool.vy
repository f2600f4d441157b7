# pragma version ~=0.4.3
"""
@title MockPairPool
@notice Test double of a Uniswap V3 pool that only names its tokens, its fee and a price (never
        deployed by scripts): any pair in any order, any fee tier, for the pool-pairing checks of
        MarketDesk.set_asset_pool and the FeeVaultDesk constructor (a token of the pair with a third
        token, on either side), and for the FeeVaultDesk's price limit and its no-trade rule in both
        token orders. It has no `swap`: a test that reaches one has gone wrong.
"""

# @dev The pool's two tokens, as given.
token0: public(address)
token1: public(address)
# @dev The fee tier the pool reports (hundredths of a bp).
fee: public(uint24)
# @dev The price `slot0` reports (Q64.96 sqrt of token1 per token0).
sqrt_price_x96: public(uint160)


@deploy
def __init__(t0: address, t1: address, fee_tier: uint24, sqrt_price_x96: uint160):
    """
    @notice A pool of `t0` and `t1` (in that order).
    @param t0 token0.
    @param t1 token1.
    @param fee_tier The fee `fee()` reports.
    @param sqrt_price_x96 The price `slot0()` reports.
    """
    self.token0 = t0
    self.token1 = t1
    self.fee = fee_tier
    self.sqrt_price_x96 = sqrt_price_x96


@external
@view
def slot0() -> (uint160, int24, uint16, uint16, uint16, uint8, bool):
    """
    @notice The price as Uniswap's slot0 gives it; the other fields are zero (unlocked).
    @return (uint160, int24, uint16, uint16, uint16, uint8, bool) sqrtPriceX96 and zeros.
    """
    return self.sqrt_price_x96, 0, 0, 0, 0, 0, True

# pragma version ~=0.4.3
"""
@title MockPairPool
@notice Test double of a Uniswap V3 pool that only names its tokens and fee (never deployed by
        scripts): any pair in any order, for the pool-pairing checks of MarketDesk.set_asset_pool
        and the FeeVaultDesk constructor (a token of the pair with a third token, on either side).
"""

# @dev The pool's two tokens, as given.
token0: public(address)
token1: public(address)
# @dev The fee tier the pool reports (hundredths of a bp).
fee: public(uint24)


@deploy
def __init__(t0: address, t1: address):
    """
    @notice A pool of `t0` and `t1` (in that order), fee tier 3,000.
    @param t0 token0.
    @param t1 token1.
    """
    self.token0 = t0
    self.token1 = t1
    self.fee = 3_000

# pragma version ~=0.4.3
"""
@title MockEvilPool
@notice Test double of a Uniswap V3 pool that misbehaves in `swap` (never deployed by scripts). It
        answers token0/token1/fee/slot0/observe as the real pool it wraps (so the TWAP checks
        pass), and in `swap` calls the caller's `uniswapV3SwapCallback` with a request chosen by
        `mode`, then returns its own deltas:
          1 both tokens asked for;  2 the token bought asked for instead of the one sold;
          3 one unit more than the input;  4 an exact input only partly taken;
          5 an exact output only partly delivered.
"""


interface IPool:
    def token0() -> address: view
    def token1() -> address: view
    def fee() -> uint24: view
    def slot0() -> (uint160, int24, uint16, uint16, uint16, uint8, bool): view
    def observe(secondsAgos: DynArray[uint32, 2]) -> (DynArray[int56, 2], DynArray[uint160, 2]): view


interface ICallback:
    def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[32]): nonpayable


REAL: public(immutable(address))
mode: public(uint256)


@deploy
def __init__(real: address, mode: uint256):
    REAL = real
    self.mode = mode


@external
@view
def token0() -> address:
    return staticcall IPool(REAL).token0()


@external
@view
def token1() -> address:
    return staticcall IPool(REAL).token1()


@external
@view
def fee() -> uint24:
    return staticcall IPool(REAL).fee()


@external
@view
def slot0() -> (uint160, int24, uint16, uint16, uint16, uint8, bool):
    return staticcall IPool(REAL).slot0()


@external
@view
def observe(secondsAgos: DynArray[uint32, 2]) -> (DynArray[int56, 2], DynArray[uint160, 2]):
    return staticcall IPool(REAL).observe(secondsAgos)


@external
def swap(recipient: address, zeroForOne: bool, amountSpecified: int256, sqrtPriceLimitX96: uint160,
         data: Bytes[32]) -> (int256, int256):
    ask_in: int256 = 0  # what the callback is asked of the token sold
    ask_out: int256 = 0  # ... of the token bought (a proper pool pays it out: negative)
    ret_in: int256 = 0
    ret_out: int256 = 0
    exact_input: bool = amountSpecified > 0
    requested: int256 = amountSpecified if exact_input else -amountSpecified
    if self.mode == 1:
        ask_in = 1
        ask_out = 1
        ret_in = 1
        ret_out = 1
    elif self.mode == 2:
        ask_in = 0
        ask_out = requested
        ret_in = 0
        ret_out = requested
    elif self.mode == 3:
        ask_in = requested + 1
        ask_out = -1
        ret_in = requested + 1
        ret_out = -1
    elif self.mode == 4:
        ask_in = requested - 1
        ask_out = -1
        ret_in = requested - 1
        ret_out = -1
    else:
        ask_in = 1
        ask_out = -(requested - 1)
        ret_in = 1
        ret_out = -(requested - 1)
    if zeroForOne:
        extcall ICallback(msg.sender).uniswapV3SwapCallback(ask_in, ask_out, data)
        return ret_in, ret_out
    extcall ICallback(msg.sender).uniswapV3SwapCallback(ask_out, ask_in, data)
    return ret_out, ret_in

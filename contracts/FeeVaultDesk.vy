# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title IO Fee Vault Desk
@custom:contract-name FeeVaultDesk
@license GNU Affero General Public License v3.0 only
@notice Holds the USDC of the Incentive Dynamic Engine's Fee Vault and trades it for IO on the
        IO/USDC Uniswap V3 pool, on the engine's order only. The engine keeps the ledgers (how much
        USDC the Fee Vault holds, what it spent, on what); this contract keeps the coins and the
        one thing that must live next to them: a swap that stops at a price instead of reverting.
        The router pays the Fee Vault's USDC here (`collect_fees` sends it straight to this
        contract); the engine asks `top_up` (IO for an epoch's payout) or `buy_back` (IO to burn)
        to spend some of it, bounded by the price the engine names (the epoch's price: the TWAP of
        the window that ended at its close, clamped), and the IO goes where the engine says. This contract owns the trading rules: the slippage bound and the price
        limit it makes, and the choice between an exact-output and an exact-input trade. Nothing
        else can move a unit: there is no other function that transfers, no owner, no admin (the
        engine's governance sets the slippage through the engine's `set_market_bounds`).
@dev Every trade buys IO with USDC through the pool's own `swap` with a `sqrtPriceLimitX96` at the
     engine's price p (USDC base units per 10**18 IO wei) moved `slippage_ticks` in the direction
     buying IO moves the pool, where
         slippage_ticks = floor(lower bound of ln((1 + s) * (1 - fee)) / ln(1.0001)) - 1
     (s = max_slippage_bps, fee = the pool's fee; see `_slippage_ticks`): every IO bought costs at
     most p * (1 + s), the fee included, whatever the pool's state. The pool's sqrt price of p is
     isqrt(p * 2^192 / 10^18) (IO token0) or isqrt(10^18 * 2^192 / p) (USDC token0), each rounded
     toward the stricter side. The pool fills up to that
     price and stops, so a trade never reverts because the market moved, it fills less (or
     nothing). When the spot price is already at or beyond the limit nothing is traded (the pool
     would refuse a limit on the wrong side of its price).
     A top-up of `missing` IO with `budget` USDC at the engine's price p:
         max_in = floor(floor(missing * p / 10**18) * (10_000 + s) / 10_000)
         max_in < MIN_SWAP_USDC or budget < MIN_SWAP_USDC:  no trade (dust)
         max_in <= budget:  exact output `missing` IO, straight to the recipient
         max_in >  budget:  exact input `budget` USDC, the IO to the engine (what exceeds
                            `missing` stays in the Fee Vault)
     A buyback sells exactly its USDC (exact input, partial at the limit), the IO to the engine.
     Invariants (tests/unit/test_incentive_engine_market.py names them):
     1. engine_only: only the bound engine orders a trade; the engine is bound once, by the
        deployer, and the deployer keeps no power after it.
     2. pays_at_most_max_in: the callback pays only the pool of the trade under way, only in USDC,
        at most `max_in`, and only during `buy_io`; the USDC leaves this contract only that way.
     3. never_past_the_limit: the pool's price after a trade is never beyond the engine's limit
        (Uniswap V3 guarantees it for a swap with a price limit), so the IO bought never costs
        more than the engine's bound.
     4. fee_vault_custody: this contract's USDC balance equals the engine's `fee_usdc` ledger
        (plus whatever anyone sent here outside the engine, which no rule ever moves).
"""

from ethereum.ercs import IERC20

from interfaces import IUniswapV3Pool

from modules import uniswap_twap

from snekmate.utils import math


# @dev Basis points denominator.
BPS: constant(uint256) = 10_000
# @dev Wei per IO: a price is the quote of this many wei.
ONE_IO: constant(uint256) = 10**18
# @dev No trade below this many USDC base units (dust would fail the pool's rounding).
MIN_SWAP_USDC: public(constant(uint256)) = 10**6
# @dev The most the slippage may be (bps).
MAX_SLIPPAGE_LIMIT_BPS: public(constant(uint256)) = 500
# @dev ln(1.0001) rounded up, in 10**-12 units (9.9995000333e-5).
_LN_TICK_E12: constant(uint256) = 99_995_001
_E12: constant(uint256) = 10**12
_Q96: constant(uint256) = 1 << 96
_Q192: constant(uint256) = 1 << 192


# @dev The IO/USDC pool every trade goes through.
POOL: public(immutable(address))
# @dev USDC (the Fee Vault's stable half, held here) and IO (what is bought).
USDC: public(immutable(address))
IO: public(immutable(address))
# @dev The pool's fee (hundredths of a bp): part of every trade's bound.
POOL_FEE: public(immutable(uint256))
# @dev True when USDC is the pool's token0 (buying IO then moves the pool's price down).
_USDC_IS_TOKEN0: immutable(bool)

# @dev The most a trade pays per IO above the TWAP, the pool's fee included (bps).
max_slippage_bps: public(uint256)
# @dev The same as a price limit in ticks from the TWAP's mean tick.
slippage_ticks: public(uint256)

# @dev The engine that orders trades (zero until bound).
engine: public(address)
# @dev Who may bind the engine, once (the deployer; zero after binding).
_binder: address

# @dev The trade under way (transient: empty outside `buy_io`).
_max_in: transient(uint256)
_trading: transient(bool)


# @dev The engine was bound: from now on it alone orders trades.
event EngineBound:
    engine: indexed(address)


# @dev A trade for the engine: its USDC paid, the IO received and by whom, the price it was bounded
#      by (USDC base units per 10**18 IO wei) and the pool price limit that made (the engine logs
#      what the trade was for).
event IOBought:
    recipient: indexed(address)
    exact_output: bool
    amount: uint256
    usdc_paid: uint256
    io_received: uint256
    price: uint256
    sqrt_price_limit_x96: uint160


# @dev The slippage bound changed (through the engine's governance).
event MaxSlippageUpdated:
    old_bps: uint256
    new_bps: uint256
    slippage_ticks: uint256


@deploy
def __init__(usdc: address, io: address, pool: address, max_slippage_bps: uint256):
    """
    @notice Deploys the desk unbound; the deployer binds the engine once (`bind_engine`).
    @param usdc The network's USDC.
    @param io The IO token.
    @param pool The IO/USDC Uniswap V3 pool.
    @param max_slippage_bps The slippage bound: above the pool's fee, at most 500.
    """
    assert usdc != empty(address) and io != empty(address) and pool != empty(address), "FeeVaultDesk: zero address"
    t0: address = staticcall IUniswapV3Pool(pool).token0()
    t1: address = staticcall IUniswapV3Pool(pool).token1()
    assert (t0 == io and t1 == usdc) or (t0 == usdc and t1 == io), "FeeVaultDesk: pool does not pair io and usdc"
    POOL = pool
    USDC = usdc
    IO = io
    POOL_FEE = convert(staticcall IUniswapV3Pool(pool).fee(), uint256)
    _USDC_IS_TOKEN0 = t0 == usdc
    self._binder = msg.sender
    self._set_max_slippage_bps(max_slippage_bps)


@external
def bind_engine(engine: address):
    """
    @notice Names the engine that alone may order trades and set the slippage. Once, by the
            deployer.
    @param engine The IncentiveEngine.
    """
    assert msg.sender == self._binder and msg.sender != empty(address), "FeeVaultDesk: caller is not the binder"
    assert engine != empty(address), "FeeVaultDesk: zero address"
    self.engine = engine
    self._binder = empty(address)
    log EngineBound(engine=engine)


@external
def set_max_slippage_bps(bps: uint256):
    """
    @notice The slippage bound of every trade. Only the engine (its governance's
            `set_market_bounds`).
    @param bps Above the pool's fee by at least two ticks, at most 500.
    """
    assert msg.sender == self.engine, "FeeVaultDesk: caller is not the engine"
    self._set_max_slippage_bps(bps)


@external
def top_up(missing: uint256, budget: uint256, price: uint256, recipient: address) -> (uint256, uint256, bool):
    """
    @notice Buys up to `missing` IO for an epoch's payout with at most `budget` USDC, within the
            bound of `price` (see the @dev rules). Only the engine.
    @param missing IO (wei) the epoch still needs.
    @param budget The most USDC to spend (the Fee Vault's, capped by the engine's max_swap_usdc).
    @param price The epoch's price: USDC base units per 10**18 IO wei (> 0).
    @param recipient Receives the IO of an exact-output trade (the RewardsDistributor).
    @return (uint256, uint256, bool) (USDC paid, IO received, whether the IO went to `recipient`
            rather than to the engine).
    """
    assert msg.sender == self.engine, "FeeVaultDesk: caller is not the engine"
    if budget < MIN_SWAP_USDC:
        return 0, 0, False
    max_in: uint256 = missing * price // ONE_IO * (BPS + self.max_slippage_bps) // BPS
    if max_in < MIN_SWAP_USDC:
        return 0, 0, False
    paid: uint256 = 0
    received: uint256 = 0
    if max_in <= budget:
        paid, received = self._buy(True, missing, budget, price, recipient)
        return paid, received, True
    paid, received = self._buy(False, budget, budget, price, msg.sender)
    return paid, received, False


@external
def buy_back(usdc_amount: uint256, price: uint256) -> (uint256, uint256):
    """
    @notice Sells up to `usdc_amount` USDC for IO within the bound of `price`, the IO to the engine
            (which burns it). Only the engine.
    @param usdc_amount USDC base units (> 0).
    @param price The last settled epoch's price: USDC base units per 10**18 IO wei (> 0).
    @return (uint256, uint256) (USDC paid, IO received): less, or nothing, when the pool reaches
            the limit first.
    """
    assert msg.sender == self.engine, "FeeVaultDesk: caller is not the engine"
    return self._buy(False, usdc_amount, usdc_amount, price, msg.sender)


@external
@view
def price_limit(price: uint256) -> uint160:
    """
    @notice The sqrtPriceX96 a purchase bounded by `price` may not pass.
    @param price USDC base units per 10**18 IO wei (> 0).
    @return uint160 Q64.96.
    """
    return self._limit(price)


@external
def uniswapV3SwapCallback(amount0Delta: int256, amount1Delta: int256, data: Bytes[32]):
    """
    @notice Pays the pool the USDC of the trade under way. Only the pool, only during `buy_io`.
    @param amount0Delta What the pool is owed (> 0) or paid out (<= 0) of token0.
    @param amount1Delta The same of token1.
    @param data Unused.
    """
    assert msg.sender == POOL and self._trading, "FeeVaultDesk: callback from unexpected caller"
    owed: int256 = amount1Delta
    other: int256 = amount0Delta
    if _USDC_IS_TOKEN0:
        owed = amount0Delta
        other = amount1Delta
    assert owed >= 0 and other <= 0, "FeeVaultDesk: unexpected payment request"
    amount: uint256 = convert(owed, uint256)
    assert amount <= self._max_in, "FeeVaultDesk: input above maximum"
    if amount != 0:
        assert extcall IERC20(USDC).transfer(POOL, amount, default_return_value=True)


@internal
def _buy(exact_output: bool, amount: uint256, max_in: uint256, price: uint256, recipient: address) -> (uint256,
                                                                                                      uint256):
    """
    @dev One purchase of IO on the pool up to the price limit; (USDC paid, IO received), (0, 0)
         when the spot price is already at or beyond the limit.
    """
    limit: uint160 = self._limit(price)
    spot: uint160 = (staticcall IUniswapV3Pool(POOL).slot0())[0]
    # Buying IO moves the price toward the limit: down when USDC is token0 (zero for one), up
    # otherwise. A limit at or behind the spot price would make the pool revert ("SPL").
    if _USDC_IS_TOKEN0:
        if limit >= spot:
            return 0, 0
    elif limit <= spot:
        return 0, 0
    specified: int256 = convert(amount, int256)
    if exact_output:
        specified = -specified
    self._max_in = max_in
    self._trading = True
    amount0: int256 = 0
    amount1: int256 = 0
    amount0, amount1 = extcall IUniswapV3Pool(POOL).swap(recipient, _USDC_IS_TOKEN0, specified, limit, b"")
    self._trading = False
    self._max_in = 0
    paid: int256 = amount1
    received: int256 = amount0
    if _USDC_IS_TOKEN0:
        paid = amount0
        received = amount1
    # The pool's deltas: what it was paid (>= 0) and what it paid out (<= 0).
    usdc_paid: uint256 = convert(paid, uint256)
    io_received: uint256 = convert(-received, uint256)
    log IOBought(recipient=recipient, exact_output=exact_output, amount=amount, usdc_paid=usdc_paid,
                 io_received=io_received, price=price, sqrt_price_limit_x96=limit)
    return usdc_paid, io_received


@internal
@view
def _limit(price: uint256) -> uint160:
    """
    @dev The pool's sqrt price of `price`, moved `slippage_ticks` in the direction buying IO moves
         the pool, rounded toward the stricter side, inside Uniswap's range.
    """
    assert price != 0, "FeeVaultDesk: zero price"
    r: uint256 = uniswap_twap._sqrt_ratio_at_tick(convert(convert(self.slippage_ticks, int256), int24))
    limit: uint256 = 0
    if _USDC_IS_TOKEN0:
        # P = IO per USDC = 10^18 / price; buying IO lowers it: the limit is sqrt(P) / r, rounded up
        x: uint256 = math._mul_div(ONE_IO, _Q192, price, True)
        root: uint256 = isqrt(x)
        if root * root < x:
            root += 1
        limit = max(math._mul_div(root, _Q96, r, True), uniswap_twap.MIN_SQRT_RATIO + 1)
    else:
        # P = USDC per IO = price / 10^18; buying IO raises it: the limit is sqrt(P) * r, rounded down
        limit = min(math._mul_div(isqrt(math._mul_div(price, _Q192, ONE_IO, False)), r, _Q96, False),
                    uniswap_twap.MAX_SQRT_RATIO - 1)
    return convert(limit, uint160)


@internal
@view
def _slippage_ticks(slippage_bps: uint256) -> uint256:
    """
    @dev Whole ticks t with 1.0001^t <= (1 + s) * (1 - f), s the slippage and f the pool's fee,
         less one tick of margin for the pool's rounding. From a lower bound of the logarithm
         (ln(1 + s) >= s - s^2 / 2 for s >= 0, ln(1 - f) >= -f - f^2 for 0 <= f <= 1/2) over
         ln(1.0001) rounded up, so t never exceeds the exact bound (and is at most one tick below
         it). In 10^-12 units: s = bps * 10^8, f = fee * 10^6. Reverts when the slippage leaves
         fewer than two ticks above the fee.
    """
    s: uint256 = slippage_bps * 10**8
    f: uint256 = POOL_FEE * 10**6
    gain: uint256 = s - s * s // (2 * _E12)
    cost: uint256 = f + (f * f + _E12 - 1) // _E12
    assert gain >= cost + 2 * _LN_TICK_E12, "FeeVaultDesk: slippage not above the pool fee"
    return unsafe_sub((gain - cost) // _LN_TICK_E12, 1)  # >= 1: gain - cost >= 2 ticks


@internal
def _set_max_slippage_bps(bps: uint256):
    assert bps != 0 and bps <= MAX_SLIPPAGE_LIMIT_BPS, "FeeVaultDesk: slippage out of bounds"
    ticks: uint256 = self._slippage_ticks(bps)
    log MaxSlippageUpdated(old_bps=self.max_slippage_bps, new_bps=bps, slippage_ticks=ticks)
    self.max_slippage_bps = bps
    self.slippage_ticks = ticks

# pragma version ~=0.4.3
"""
@title IO Market Desk
@custom:contract-name MarketDesk
@license GNU Affero General Public License v3.0 only
@notice The settlement router's trading desk: every trade of the settlement side happens here, on
        Uniswap V3 pools, under the pool's TWAP bound (modules/guarded_swap.vy), so that the
        router (contracts/SettlementRouter.vy) keeps only bookings, escrow, credits and fees.
        - `book_with_asset`: a renter pays a USDC booking with another asset that has a configured
          pool into USDC (WETH). The desk asks the router what the booking costs (and whether it
          may be booked at all), buys exactly that USDC on the pool, the renter's asset going
          straight from the renter to the pool (approve the desk) and the USDC straight from the
          pool to the router, then books it on the router for the renter (`desk_book`): an
          ordinary USDC booking, with the router's `Booked` event, refunded and paid in USDC.
        - `withdraw_as_io`: a provider takes its USDC income as IO with no payment fee. The router
          hands that income to the desk (`desk_withdraw`, logged there as a `Withdrawn` with no
          fee) and the desk sells all of it on the IO/USDC pool in the same call, the IO going to
          the provider's recipient.
        Every trade reverts when the pool's spot price is more than `max_deviation_bps` from its
        TWAP or when the pool cannot serve the window, and yields at least (costs at most) the TWAP
        value less (plus) `max_slippage_bps`, on top of the caller's own bound. Trades go straight
        to the pool (`swap` + `uniswapV3SwapCallback`): nothing of Uniswap but the pool is needed.
        The desk holds MARKET_DESK_ROLE on the router and nothing else; governance (the timelock,
        DEFAULT_ADMIN_ROLE here) sets the pools and the bounds.
@dev Invariants (tests/unit/test_market_desk.py and tests/unit/test_router_market.py name them;
     the router's own are in SettlementRouter.vy):
     1. desk_holds_nothing: after any call the desk holds no token (no USDC, IO or any asset): an
        asset booking's input goes from the renter to the pool, its output from the pool to the
        router; a provider's USDC comes from the router and is sold whole in the same call (an
        exact-input trade reverts unless the pool took all of it), the IO going to the recipient.
        (Tokens sent to the desk outside its calls are the only balance it can ever have; nothing
        uses them.)
     2. only_the_payer_books_and_only_the_provider_withdraws: the renter of a desk booking is the
        caller who paid the pool (`transferFrom` of the caller only), and the income the desk takes
        from the router is its caller's own; no argument names another account.
     3. renter_never_pays_more_than_max: an asset booking takes at most the caller's
        max_asset_in and at most TWAP cost * (1 + max_slippage_bps), and the router books it at
        exactly the USDC bought (its quoted total, fees included).
     4. trades_within_twap_bound: no trade executes when the pool's spot price is more than
        max_deviation_bps from its TWAP, or when the pool cannot serve the window; an IO payout is
        at least TWAP value * (1 - max_slippage_bps) and at least the caller's minimum.
     5. conservation (the router's invariant 1) holds across the two contracts: the USDC a desk
        booking adds to the router's books arrived from the pool before the router booked it
        (the router checks its balance), and the income a desk withdrawal removes left the router
        to the desk and then to the pool, to the wei.
"""

from ethereum.ercs import IERC20

from interfaces import IDeskRouter
from interfaces import IUniswapV3Pool

from modules import guarded_swap

from snekmate.auth import access_control

initializes: access_control
initializes: guarded_swap

exports: (
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    guarded_swap.uniswapV3SwapCallback,
    guarded_swap.twap_window,
    guarded_swap.max_deviation_bps,
    guarded_swap.max_slippage_bps,
)


# @dev Most pools the constructor takes.
MAX_POOLS: public(constant(uint256)) = 8


# @dev The settlement router the desk trades for (it holds the router's MARKET_DESK_ROLE).
ROUTER: public(immutable(IDeskRouter))
# @dev The router's two currencies, read from it at deployment.
USDC: public(immutable(address))
IO: public(immutable(address))


# @dev The Uniswap V3 pool pairing each supported asset with USDC (IO's is the IO/USDC pool).
asset_pools: public(HashMap[address, address])


# @dev A USDC booking paid with another asset: `usdc_out` bought on `pool` for `asset_in` of
#      `asset`, paid to the router, which logged the booking's `Booked` with the same id.
event BookedWithAsset:
    booking_id: indexed(uint256)
    renter: indexed(address)
    asset: indexed(address)
    pool: address
    asset_in: uint256
    usdc_out: uint256
    twap_asset_in: uint256
    max_asset_in: uint256


# @dev A provider took `usdc_amount` of its USDC income as IO, sold on the IO/USDC pool; the
#      router logged the same amount as a `Withdrawn` to this desk with no payment fee.
event WithdrawnAsIO:
    account: indexed(address)
    to: indexed(address)
    usdc: address
    usdc_amount: uint256
    io_amount: uint256
    twap_io: uint256
    min_io: uint256


# @dev The pool an asset is swapped on changed (empty: the asset is no longer accepted).
event AssetPoolUpdated:
    asset: indexed(address)
    old_pool: address
    new_pool: address


@deploy
def __init__(router: address, pools: DynArray[address, MAX_POOLS], twap_window: uint32, max_deviation_bps: uint256,
             max_slippage_bps: uint256, admin: address):
    """
    @notice Configures the router, the pools and the TWAP bounds, and grants the admin role. The
            router's admin then grants this desk MARKET_DESK_ROLE.
    @param router The settlement router (its USDC and IO are read from it).
    @param pools Uniswap V3 pools, each pairing an asset with USDC; one must be the IO/USDC pool
           (income taken as IO is sold there), the others make their asset payable
           (`book_with_asset`).
    @param twap_window Seconds of the TWAP every trade is bounded by (300..86,400).
    @param max_deviation_bps The most the spot price may be from the TWAP when trading (1..1,000).
    @param max_slippage_bps The most a trade may lose against the TWAP (1..500).
    @param admin Holder of DEFAULT_ADMIN_ROLE (sets the pools and the market bounds).
    """
    access_control.__init__()
    guarded_swap.__init__(twap_window, max_deviation_bps, max_slippage_bps)
    assert router.is_contract, "MarketDesk: router has no code"
    assert admin != empty(address), "MarketDesk: admin is the zero address"
    ROUTER = IDeskRouter(router)
    USDC = staticcall IDeskRouter(router).USDC()
    IO = staticcall IDeskRouter(router).IO()
    for pool: address in pools:
        assert pool.is_contract, "MarketDesk: pool has no code"
        asset: address = staticcall IUniswapV3Pool(pool).token0()
        if asset == USDC:
            asset = staticcall IUniswapV3Pool(pool).token1()
        self._set_asset_pool(asset, pool)
    assert self.asset_pools[IO] != empty(address), "MarketDesk: no io/usdc pool"
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)


# ------------------------------------------------------------------ bookings paid with an asset
@external
@view
def quote_book_with_asset(asset: address, rate: uint256, hours: uint256) -> (uint256, uint256, uint256):
    """
    @notice What a USDC booking paid with `asset` would cost at the asset pool's TWAP.
    @param asset An asset with a configured pool (`asset_pools`).
    @param rate Hourly rate in USDC base units.
    @param hours Hours booked.
    @return (usdc_total, twap_asset_cost, max_asset_in): the USDC the booking costs (fees included,
            the router's `quote`), its TWAP value in the asset, and the most `book_with_asset` may
            take for it (TWAP plus the maximum slippage). What it takes depends on the pool when it
            runs, never above max_asset_in nor the caller's own maximum.
    """
    pool: address = self._pool_of(asset)
    cost: uint256 = 0
    reservation: uint256 = 0
    facilitation: uint256 = 0
    total: uint256 = 0
    cost, reservation, facilitation, total = staticcall ROUTER.quote(USDC, rate, hours)
    twap_in: uint256 = guarded_swap._twap_quote(pool, total, USDC, asset)
    return total, twap_in, guarded_swap._max_in(twap_in)


@external
@nonreentrant
def book_with_asset(device: bytes32, asset: address, hours: uint256, rate: uint256, max_asset_in: uint256) -> uint256:
    """
    @notice Books `device` in USDC on the router, paid with `asset`: the desk buys exactly the
            booking's total (fees included, the USDC facilitation fee too) on the asset's Uniswap
            V3 pool, taking the asset from the caller (approve the desk beforehand) straight to the
            pool and paying the USDC straight to the router, at most `max_asset_in` and at most the
            TWAP cost plus the maximum slippage; it reverts when the pool's spot price is too far
            from its TWAP. The booking is the caller's, an ordinary USDC booking of the router
            (refunds, payouts and endings in USDC). Anyone may book, unless the router is paused;
            not an account USDC blacklisted (the router's reasons).
    @param device The device id in node staking; it must be eligible.
    @param asset A token with a configured pool into USDC (`asset_pools`).
    @param hours Hours booked, 1..MAX_HOURS.
    @param rate Hourly rate in USDC base units, 1..MAX_RATE.
    @param max_asset_in The most of `asset` the caller accepts to pay.
    @return uint256 The router's booking id.
    """
    pool: address = self._pool_of(asset)
    # The router's checks first (paused, terms, eligibility, blacklist), with its own reasons.
    total: uint256 = staticcall ROUTER.quote_desk_booking(device, msg.sender, hours, rate)
    asset_in: uint256 = 0
    twap_in: uint256 = 0
    bound: uint256 = 0
    asset_in, twap_in, bound = guarded_swap._swap_exact_output(pool, asset, USDC, total, max_asset_in,
                                                               ROUTER.address, msg.sender)
    booking_id: uint256 = extcall ROUTER.desk_book(device, msg.sender, hours, rate, total)
    log BookedWithAsset(booking_id=booking_id, renter=msg.sender, asset=asset, pool=pool, asset_in=asset_in,
                        usdc_out=total, twap_asset_in=twap_in, max_asset_in=bound)
    return booking_id


# ------------------------------------------------------------------ income taken as IO
@external
@view
def quote_withdraw_as_io(amount: uint256) -> (uint256, uint256):
    """
    @notice What `withdraw_as_io` of `amount` USDC income would yield, at the IO/USDC pool's TWAP.
    @param amount USDC base units taken from the income.
    @return (twap_io, min_io): the TWAP value of `amount` in IO wei, and the least the payout may
            be (TWAP value less the maximum slippage, rounded up). The payout is what the pool
            gives when it runs, never below min_io nor the caller's own minimum (else it reverts).
    """
    twap_io: uint256 = guarded_swap._twap_quote(self._pool_of(IO), amount, USDC, IO)
    return twap_io, guarded_swap._min_out(twap_io)


@external
@nonreentrant
def withdraw_as_io(amount: uint256, min_io_out: uint256, to: address) -> uint256:
    """
    @notice Takes `amount` of the caller's USDC income on the router as IO: the router hands it to
            the desk with no payment fee, the desk sells all of it on the IO/USDC pool and `to`
            receives the IO. The trade reverts when the pool's spot price is more than
            max_deviation_bps from its TWAP, when its history is shorter than the window, or when
            it would yield less than `min_io_out` or less than the TWAP value less
            max_slippage_bps. Anyone with a USDC income on the router, not an account USDC
            blacklisted (the router's reasons).
    @param amount USDC base units taken from the income.
    @param min_io_out The least IO (wei) the caller accepts (0: the TWAP bound alone).
    @param to The recipient of the IO.
    @return uint256 The IO paid to `to`, in wei.
    """
    assert to != empty(address), "MarketDesk: withdraw to the zero address"
    pool: address = self._pool_of(IO)
    extcall ROUTER.desk_withdraw(msg.sender, amount)
    io_out: uint256 = 0
    twap_io: uint256 = 0
    bound: uint256 = 0
    io_out, twap_io, bound = guarded_swap._swap_exact_input(pool, USDC, IO, amount, min_io_out, to, self)
    log WithdrawnAsIO(account=msg.sender, to=to, usdc=USDC, usdc_amount=amount, io_amount=io_out, twap_io=twap_io,
                      min_io=bound)
    return io_out


# ------------------------------------------------------------------ admin
@external
def set_asset_pool(asset: address, pool: address):
    """
    @notice Sets the Uniswap V3 pool that pairs `asset` with USDC (IO: the pool income taken as IO
            is sold on; another asset: the pool `book_with_asset` buys USDC on), or removes it (the
            zero address). Only DEFAULT_ADMIN_ROLE. The pool must hold history for the TWAP window
            before it can serve trades (raise its observation cardinality first).
    @param asset The asset (not USDC).
    @param pool A pool whose two tokens are `asset` and USDC, or the zero address.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    self._set_asset_pool(asset, pool)


@external
def set_market_bounds(twap_window: uint32, max_deviation_bps: uint256, max_slippage_bps: uint256):
    """
    @notice Sets the TWAP bound of every trade: the window (logs TwapWindowUpdated), how far the spot
            price may be from the TWAP for a trade to run (MaxDeviationUpdated) and how much a trade
            may lose against the TWAP (MaxSlippageUpdated). Only DEFAULT_ADMIN_ROLE.
    @param twap_window Seconds, 300..86,400; every configured pool must keep history for it.
    @param max_deviation_bps 1..1,000.
    @param max_slippage_bps 1..500.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    guarded_swap._set_twap_window(twap_window)
    guarded_swap._set_max_deviation_bps(max_deviation_bps)
    guarded_swap._set_max_slippage_bps(max_slippage_bps)


# ------------------------------------------------------------------ internal
@internal
@view
def _pool_of(asset: address) -> address:
    pool: address = self.asset_pools[asset]
    assert pool != empty(address), "MarketDesk: asset has no pool"
    return pool


@internal
def _set_asset_pool(asset: address, pool: address):
    assert asset != empty(address) and asset != USDC, "MarketDesk: asset cannot have a pool"
    if pool != empty(address):
        assert pool.is_contract, "MarketDesk: pool has no code"
        t0: address = staticcall IUniswapV3Pool(pool).token0()
        t1: address = staticcall IUniswapV3Pool(pool).token1()
        assert (t0 == asset and t1 == USDC) or (t0 == USDC and t1 == asset), \
            "MarketDesk: pool does not pair the asset with usdc"
    log AssetPoolUpdated(asset=asset, old_pool=self.asset_pools[asset], new_pool=pool)
    self.asset_pools[asset] = pool

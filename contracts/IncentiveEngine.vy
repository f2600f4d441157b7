# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title IO Incentive Dynamic Engine
@custom:contract-name IncentiveEngine
@license GNU Affero General Public License v3.0 only
@notice Pays the network's suppliers a stable US-dollar target instead of a fixed number of IO
        (the IDE, live since 2026-06-11; docs/incentive-engine.md). Two vaults, two ledgers of this
        contract:
          - the Reward Vault (IO) receives the hourly emission: the engine is the EmissionSchedule's
            recipient, and `sync_emission` credits the rise of the schedule's `total_emitted`;
          - the Fee Vault (USDC and IO) receives every fee the settlement router collects: the
            engine holds the router's TREASURY_ROLE and `collect_fees` pulls both currencies.
        Once per epoch (one day) the reward oracle states the USD owed to eligible suppliers, at
        most `max_usd_per_epoch`, and the statement fixes the epoch's price: the pool's TWAP over
        the window that ended at the epoch's close, moved at most `max_price_move_bps` from the
        previous epoch's price. Anyone then settles the epoch: the IO the USD buys at that price
        is taken from the Reward Vault first, then from the Fee Vault's IO, then bought with the
        Fee Vault's USDC (held by the FeeVaultDesk) up to a price limit of the epoch's price plus
        the slippage, and sent to the RewardsDistributor; what cannot be covered is recorded as a
        shortfall, never minted or borrowed. A settlement never reverts for a market reason: a
        trade that cannot fill within the bound fills what it can. Once every stated epoch is
        settled, anyone may burn `burn_share_bps` (at least 50 %) of the Fee Vault's surplus above
        its reserve (30 days of trailing payouts), valued at the last settled epoch's price:
        surplus USDC buys IO on the pool up to that price plus the slippage and every IO bought is
        burned; surplus fee IO is burned without a trade.
        Governance may retire (burn) Reward Vault IO above a buffer of 90 days of trailing
        payouts. The engine never sells IO. Tokens that reach this contract any other way are in
        no ledger and never paid out.
@dev The integer reference model is ionet/ide.py (`IncentiveEngine`): this contract holds its state
     and does, operation for operation, what it does (same arithmetic, rounding, order of checks
     and reasons); tests/unit/test_incentive_engine.py and tests/fuzz/test_ide_differential.py
     compare the two to the wei.
     Units: USD and USDC in 6-decimal base units; IO in wei; a price is the quote of 10**18 wei in
     USDC base units (0.40 USDC per IO = 400,000) at a mean tick of the pool
     (`uniswap_twap._quote_at_tick`).
     The price of epoch e (fixed once, by `state_epoch`, whoever states and whenever):
         twap_e  = the pool's TWAP over [close_e - twap_window, close_e], close_e = start + e * L
         ref     = the price of epoch e - 1 (epoch 0: the TWAP at activation, or none when the pool
                   could not serve the window then: epoch 1 pays at its close TWAP unclamped, and a
                   statement with neither a reference nor the close window reverts)
         price_e = min(max(twap_e, ceil(ref * (10_000 - m) / 10_000)), floor(ref * (10_000 + m) / 10_000)),
                   m = max_price_move_bps; PRICE_CLAMPED_UP / _DOWN records which bound held;
                   when the pool's history no longer reaches back to close_e (the statement came
                   later than the pool's ring covers), price_e = ref (PRICE_CARRIED): never a
                   spot price, never a price chosen by the caller's moment.
     So moving the pool and holding it for a whole window before a close changes that epoch's
     payout by at most m, and the next epoch's reference is the clamped price: an attacker pays
     for a full window's hold per step of m (docs/incentive-engine.md, "The epoch's price").
     Settlement of epoch e (in order, each once, after the oracle stated it), at price_e:
         need        = floor(usd_owed * 10**18 / price_e)
         (the emission is synced first when need > reward_vault)
         from_reward = min(need, reward_vault);  from_fee_io = min(rest, fee_io)
         budget      = min(fee_usdc, max_swap_usdc); the rest is bought only when budget >=
                       MIN_SWAP_USDC, by the FeeVaultDesk, bounded by price_e itself:
         max_in      = floor(floor(missing * price_e / 10**18) * (10_000 + slippage) / 10_000)
         MIN_SWAP_USDC <= max_in <= budget:  exact-output `missing` IO, straight to the
                                             RewardsDistributor
         max_in > budget:                    exact-input `budget` USDC; IO beyond `missing`
                                             stays in the Fee Vault
         every trade with a sqrtPriceLimitX96 at price_e moved slippage_ticks, the largest whole
         number of ticks with 1.0001^t <= (1 + slippage) * (1 - pool fee), less one tick of margin
         for the pool's rounding: each IO costs at most price_e * (1 + slippage), the fee
         included, and the pool fills up to that price and stops (FeeVaultDesk). So the Fee Vault
         never pays more for an IO than the price the suppliers' IO is valued at, plus the
         slippage: pushing the pool after the close (held or not) cannot make it overpay, and a
         settlement reads no price from the pool at all.
         shortfall_usd = min(usd_owed, ceil(shortfall_io * price_e / 10**18))
     Burn, at the last settled epoch's price p (again no pool read): reserve target =
     ceil(reserve_epochs * trailing USD owed / n), held in USDC first then IO at p (rounded up);
     each currency's burn = floor(surplus * burn_share_bps / 10_000), the USDC leg capped at
     max_swap_usdc and skipped below MIN_SWAP_USDC, bought up to p * (1 + slippage) (partially, or
     not at all); a call that could neither buy nor burn anything changes nothing and may be
     repeated. Retirement buffer = ceil(retire_buffer_epochs * trailing IO needed / n). Every
     rounding favours the protocol (docs/incentive-engine.md).
     Invariants (tests/unit/test_incentive_engine.py and tests/fuzz/test_ide_differential.py
     name them):
     1. released_le_sources: IO released <= IO emitted + IO fees + IO bought; exactly, reward_vault
        + fee_io + released + burned by the engine == emitted_in + fee_io_in + IO bought.
     2. reward_vault_first: a settlement takes Fee Vault IO only when the Reward Vault (synced with
        the emission) is empty, and Fee Vault USDC only when the Fee Vault's IO is empty too.
     3. burns_accounted: every burn lowers the IO supply by exactly its amount and is counted once
        (burned_by_buyback + burned_fee_io + retired); the token's total_minted never changes.
     4. twap_bound: every trade pays at most p * (1 + max_slippage_bps) per IO, fee included, p
        the epoch's price (a burn: the last settled epoch's), itself the TWAP of the window that
        ended at that epoch's close, clamped; no trade reverts.
     5. fee_vault_covered: the Fee Vault never goes below zero (fee_usdc == USDC in - USDC spent
        == the FeeVaultDesk's USDC); a burn happens only when every stated epoch is settled and
        never takes the vault below its reserve target.
     6. burn_share_ge_half: 5,000 <= burn_share_bps <= 10,000, always.
     7. emission_ceiling: released from the Reward Vault + retired + reward_vault == emitted_in,
        and emitted_in never exceeds what the schedule minted to this contract since activation.
     8. ordered_epochs: last_burn_epoch <= last_settled <= last_stated; epochs are stated and
        settled in order, each once; a statement is at most max_usd_per_epoch.
     9. price_fixed_by_epoch: an epoch's price is written once, by its statement, from the window
        ending at its close; it is within max_price_move_bps of the previous epoch's price.
     10. settle_is_live: `settle` of a stated epoch and `buyback_and_burn` after a settled one never
        revert for a market reason (price, liquidity, the pool's history: neither reads the pool)
        or a governance bound.
     Storage is packed by hand (Vyper does not pack); each word is read only through its unpack
     helper and written only through its pack helper, which range-checks every field (a value
     outside its field reverts instead of spilling into the next):
         _vaults:    reward_vault (0-95) | fee_io (96-191) | last_stated (192-223) |
                     last_burn_epoch (224-255)
         _settled:   last_settled (0-31) | trailing USD owed (32-103) | trailing fee USD (104-247) |
                     live (255)
         _trailing:  trailing IO needed (0-127) | live (255)
         _released:  IO released from fee IO (0-95) | IO bought and released (96-191) |
                     epochs with a shortfall (192-223) | live (255)
         _epochs[e]: usd_owed (0-63) | price (64-151) | price flag (152-159) | fee USD (160-255);
                     the oracle writes usd_owed and the price, `collect_fees` adds the fee USD
                     booked to the next epoch settled; `_epochs[0]` holds the activation price
         _emission:  baseline (0-95) | seen (96-191) | start_time (192-231) | active (232-239)
         _buyback:   usdc_spent_buyback plus one (0-63) | burned_by_buyback (64-159) |
                     burned_fee_io (160-255)
     `activate` writes _settled, _trailing, _released and _buyback once (their live bit, or the
     buyback's plus one, keeps each word non-zero for ever after): a settlement or a burn never pays
     EIP-2200's 20,000 gas for writing a zero slot, the first of its kind included.
         _market:    twap_window (0-31) | max_price_move_bps (32-47)
     The other cumulative counters each have a word of their own (unpacked).
     IO fields of 96 bits hold at most the IO supply (8e26 < 2**96); usd_owed <= MAX_USD_PER_EPOCH_LIMIT
     (1e18 < 2**64), so 30 of them fit 72 bits; a price above 2**88 (3e20 USDC per IO), an epoch's fee
     USD above 2**96 (7.9e22 USDC) or more than 2**64 - 2 USDC units (1.8e13 USDC) spent on buybacks in
     all cannot occur with real tokens.
     The totals a dashboard shows that the model stores but this contract derives:
         released_from_reward = emitted_in - retired - reward_vault
         usdc_spent_topup     = fee_usdc_in - fee_usdc - usdc_spent_buyback
         io_bought_topup      = fee_io + from_fee_io + from_swap + burned_fee_io - fee_io_in
     Roles (snekmate access_control): DEFAULT_ADMIN_ROLE (governance: the timelock) activates,
     sets the parameters, retires, unpauses and grants roles; ORACLE_ROLE (the reward oracle, an
     operational key) states epochs; PAUSER_ROLE (the guardian) pauses new statements only:
     what is stated is always settled, and settling, burning, collecting and syncing never stop.
"""

from ethereum.ercs import IERC20

from interfaces import IEmissionSchedule
from interfaces import IIOToken
from interfaces import ISettlementRouter
from interfaces import IUniswapV3Pool

from modules import uniswap_twap

from snekmate.auth import access_control
from snekmate.utils import pausable

initializes: access_control
initializes: pausable

exports: (
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    pausable.paused,
)


interface IFeeVaultDesk:
    def engine() -> address: view
    def top_up(missing: uint256, budget: uint256, price: uint256, recipient: address) -> (uint256, uint256,
                                                                                       bool): nonpayable
    def buy_back(usdc_amount: uint256, price: uint256) -> (uint256, uint256): nonpayable
    def set_max_slippage_bps(bps: uint256): nonpayable


# @dev States the USD owed per epoch (the reward oracle).
ORACLE_ROLE: public(constant(bytes32)) = keccak256("ORACLE_ROLE")
# @dev Pauses new statements (the guardian); only DEFAULT_ADMIN_ROLE unpauses.
PAUSER_ROLE: public(constant(bytes32)) = keccak256("PAUSER_ROLE")
# @dev Basis points denominator.
BPS: public(constant(uint256)) = 10_000
# @dev Wei per IO; a price is the TWAP quote of this many wei.
ONE_IO: constant(uint256) = 10**18
# @dev Settled epochs the trailing statistics cover.
TRAILING_EPOCHS: public(constant(uint256)) = 30
# @dev The least share of the surplus a burn takes (published: at least 50 %).
MIN_BURN_SHARE_BPS: public(constant(uint256)) = 5_000
# @dev Published target: retire at least 115M of the 231M IO of the emission not yet emitted.
RETIREMENT_TARGET: public(constant(uint256)) = 115_000_000 * 10**18
# @dev No trade below this many USDC base units (dust would fail the pool's rounding).
MIN_SWAP_USDC: public(constant(uint256)) = 10**6
# @dev Bounds of the governance parameters.
MAX_RESERVE_EPOCHS: public(constant(uint256)) = 365
MAX_RETIRE_BUFFER_EPOCHS: public(constant(uint256)) = 730
MAX_USD_PER_EPOCH_LIMIT: public(constant(uint256)) = 10**18
MIN_TWAP_WINDOW: constant(uint256) = 300
MAX_TWAP_WINDOW: constant(uint256) = 86_400
MIN_PRICE_MOVE_BPS: constant(uint256) = 10
MAX_PRICE_MOVE_BPS: constant(uint256) = 5_000
# @dev How an epoch's price was fixed (`epoch_info(e).price_flag`, `EpochStated.price_flag`): 0 at the
#      TWAP of the window ending at its close, 1 clamped up, 2 clamped down, 3 carried (the previous
#      price, the pool's history no longer reaching the close).
PRICE_AT_TWAP: constant(uint256) = 0
PRICE_CLAMPED_UP: constant(uint256) = 1
PRICE_CLAMPED_DOWN: constant(uint256) = 2
PRICE_CARRIED: constant(uint256) = 3

# Field masks and positions of the packed words (used only by the pack/unpack helpers).
_MASK8: constant(uint256) = (1 << 8) - 1
_MASK16: constant(uint256) = (1 << 16) - 1
_MASK32: constant(uint256) = (1 << 32) - 1
_MASK40: constant(uint256) = (1 << 40) - 1
_MASK64: constant(uint256) = (1 << 64) - 1
_MASK72: constant(uint256) = (1 << 72) - 1
_MASK88: constant(uint256) = (1 << 88) - 1
_MASK96: constant(uint256) = (1 << 96) - 1
_MASK128: constant(uint256) = (1 << 128) - 1
_MASK144: constant(uint256) = (1 << 144) - 1
# @dev Bit 255 of the counters' words, set at activation: a word is never zero afterwards, so no
#      settlement or burn pays EIP-2200's 20,000 gas for writing a zero slot (a live one costs 2,900).
_LIVE: constant(uint256) = 1 << 255


# @dev The IO token (paid out, burned) and USDC (fees, spent on IO).
IO: public(immutable(IIOToken))
USDC: public(immutable(address))
# @dev The IO/USDC Uniswap V3 pool: every price and every trade.
POOL: public(immutable(address))
# @dev Holds the Fee Vault's USDC and trades it on this contract's orders.
DESK: public(immutable(IFeeVaultDesk))
# @dev The emission schedule (this contract is its recipient once active).
EMISSION: public(immutable(IEmissionSchedule))
# @dev The settlement router (this contract holds its TREASURY_ROLE once active).
ROUTER: public(immutable(ISettlementRouter))
# @dev Where released IO goes: the suppliers claim it there by Merkle proof.
DISTRIBUTOR: public(immutable(address))
# @dev Length of an epoch in seconds (one day).
EPOCH_SECONDS: public(immutable(uint256))
# @dev The emission schedule's hourly grid (epoch 1 of the engine starts on it).
_EMISSION_START: immutable(uint256)
_EMISSION_EPOCH_SECONDS: immutable(uint256)
_EMISSION_EPOCH_COUNT: immutable(uint256)


# @dev `_vaults` decoded.
struct Vaults:
    reward_vault: uint256
    fee_io: uint256
    last_stated: uint256
    last_burn_epoch: uint256


# @dev `_settled` decoded.
struct Settled:
    last_settled: uint256
    trailing_usd_owed: uint256
    trailing_fee_usd: uint256


# @dev `_buyback` decoded.
struct Buyback:
    usdc_spent: uint256
    io_burned: uint256
    burned_fee_io: uint256


# @dev `_released` decoded.
struct Released:
    from_fee_io: uint256
    from_swap: uint256
    shortfall_epochs: uint256


# @dev `_epochs[e]` decoded.
struct EpochRecord:
    usd_owed: uint256
    price: uint256
    price_flag: uint256
    fee_usd: uint256


# @dev `_market` decoded.
struct Market:
    twap_window: uint256
    max_price_move_bps: uint256


# @dev `_emission` decoded.
struct Emission:
    baseline: uint256
    seen: uint256
    start_time: uint256
    active: bool


# @dev What `epoch_info` returns.
struct EpochInfo:
    usd_owed: uint256
    twap_price: uint256
    price_flag: uint256
    io_needed: uint256
    fee_usd: uint256
    stated: bool
    settled: bool


# @dev What `totals` returns: every cumulative figure of the dashboard, in base units.
struct Totals:
    emitted_in: uint256
    released_from_reward: uint256
    released_from_fee_io: uint256
    released_from_swap: uint256
    released: uint256
    fee_usdc_in: uint256
    fee_io_in: uint256
    fee_usd_in: uint256
    usdc_spent_topup: uint256
    io_bought_topup: uint256
    usdc_spent_buyback: uint256
    burned_by_buyback: uint256
    burned_fee_io: uint256
    retired: uint256
    burned: uint256
    burned_elsewhere: uint256
    shortfall_usd_total: uint256
    shortfall_epochs: uint256


# @dev What `reserves` returns: both vaults valued at the TWAP, the Fee Vault's reserve target and
#      how it is held, and the buyback-and-burn a call would make now.
struct Reserves:
    twap_price: uint256
    reward_vault: uint256
    reward_vault_usd: uint256
    fee_usdc: uint256
    fee_io: uint256
    fee_io_usd: uint256
    fee_vault_usd: uint256
    reserve_target_usd: uint256
    usdc_reserved: uint256
    io_reserved: uint256
    can_burn: bool
    usdc_to_buy: uint256
    io_to_burn: uint256


# @dev Reward Vault IO | Fee Vault IO | last stated epoch | last epoch a burn was made for.
_vaults: uint256
# @dev Last settled epoch | trailing USD owed | trailing fee USD (the last 30 settled epochs).
_settled: uint256
# @dev Trailing IO needed (the last 30 settled epochs), at the prices they were settled at | live bit.
_trailing: uint256
# @dev Per epoch: USD owed | its price | how the price was fixed | fee USD booked to it.
_epochs: HashMap[uint256, uint256]
# @dev Emission baseline at activation | total emitted seen at the last sync | start of epoch 1 | active.
_emission: uint256
# @dev USDC in the Fee Vault (base units).
fee_usdc: public(uint256)
# @dev Cumulative counters (never decrease; `totals()` shows them): USDC, IO and their USD value ever
#      collected as fees; IO ever released from the Fee Vault's IO and bought with its USDC; USDC
#      ever spent on buybacks and the IO they bought (all of it burned); fee IO burned without a
#      trade; Reward Vault IO retired; the USD of every shortfall and the epochs that had one.
_fee_usdc_in: uint256
_fee_io_in: uint256
_fee_usd_in: uint256
# @dev IO released from the Fee Vault's IO | IO bought and released | epochs with a shortfall | live bit.
_released: uint256
# @dev USDC ever spent on buybacks | IO they bought (all of it burned) | fee IO burned | live bit.
_buyback: uint256
_retired: uint256
_shortfall_usd_total: uint256
# @dev The most the oracle may state for one epoch (USD base units).
max_usd_per_epoch: public(uint256)
# @dev The largest single trade (USDC base units).
max_swap_usdc: public(uint256)
# @dev The share of the surplus a burn takes (bps, at least 5,000).
burn_share_bps: public(uint256)
# @dev The Fee Vault's reserve target, in epochs of trailing payouts.
reserve_epochs: public(uint256)
# @dev The Reward Vault's retirement buffer, in epochs of trailing IO needed.
retire_buffer_epochs: public(uint256)
# @dev TWAP window | max price move (bps).
_market: uint256


# @dev The engine became the network's reward engine: its epoch 1 starts at `start_time` (the end
#      of hourly emission epoch `emission_epoch`); the emission through then (`emission_baseline`)
#      belongs to the RewardsDistributor, which received `forwarded_to_distributor` of it from here.
event Activated:
    start_time: uint256
    emission_baseline: uint256
    emission_epoch: uint256
    forwarded_to_distributor: uint256
    reference_price: uint256


# @dev Emission entered the Reward Vault (`total_emitted_in`: since activation).
event EmissionReceived:
    amount: uint256
    reward_vault: uint256
    total_emitted_in: uint256


# @dev Fees entered the Fee Vault, valued in USD at the TWAP (IO) and at par (USDC).
event FeesCollected:
    usdc: uint256
    io: uint256
    usd_value: uint256
    fee_usdc: uint256
    fee_io: uint256


# @dev The oracle stated the USD owed to eligible suppliers for an epoch, which fixed its price:
#      the TWAP of the window that ended at its close (`twap_price`, 0 when the pool no longer
#      reached back to it), the reference (the previous epoch's price) and the price it pays at.
event EpochStated:
    epoch: indexed(uint256)
    usd_owed: uint256
    twap_price: uint256
    reference_price: uint256
    price: uint256
    price_flag: uint256


# @dev An epoch was settled: its price, where its IO came from, the vaults after it.
event EpochSettled:
    epoch: indexed(uint256)
    usd_owed: uint256
    twap_price: uint256
    io_needed: uint256
    from_reward_vault: uint256
    from_fee_io: uint256
    from_fee_usdc_swap: uint256
    usdc_spent: uint256
    io_bought: uint256
    shortfall_io: uint256
    shortfall_usd: uint256
    fee_usd: uint256
    reward_vault: uint256
    fee_usdc: uint256
    fee_io: uint256


# @dev A settled epoch could not be fully covered (logged after its EpochSettled).
event ShortfallRecorded:
    epoch: indexed(uint256)
    shortfall_usd: uint256
    shortfall_io: uint256
    total_shortfall_usd: uint256


# @dev Part of the Fee Vault's surplus was bought back and burned (and fee IO burned).
event BoughtBackAndBurned:
    epoch: indexed(uint256)
    twap_price: uint256
    reserve_target_usd: uint256
    usdc_spent: uint256
    io_bought_burned: uint256
    io_fee_burned: uint256
    fee_usdc: uint256
    fee_io: uint256


# @dev Governance retired (burned) Reward Vault IO above the buffer.
event EmissionRetired:
    amount: uint256
    reward_vault: uint256
    total_retired: uint256


# @dev Governance changed a parameter.
event MaxUsdPerEpochUpdated:
    old: uint256
    new: uint256


event MaxSwapUsdcUpdated:
    old: uint256
    new: uint256


event BurnShareBpsUpdated:
    old: uint256
    new: uint256


event ReserveEpochsUpdated:
    old: uint256
    new: uint256


event RetireBufferEpochsUpdated:
    old: uint256
    new: uint256


event TwapWindowUpdated:
    old_seconds: uint32
    new_seconds: uint32


event MaxPriceMoveUpdated:
    old: uint256
    new: uint256


@deploy
def __init__(io: address, usdc: address, pool: address, desk: address, emission: address, router: address,
             distributor: address, epoch_seconds: uint256, max_usd_per_epoch: uint256, max_swap_usdc: uint256,
             burn_share_bps: uint256, reserve_epochs: uint256, retire_buffer_epochs: uint256,
             twap_window_seconds: uint32, max_price_move_bps: uint256, admin: address, oracle: address):
    """
    @notice Deploys the engine inactive (see `activate`), with its parameters and roles.
    @param io The IO token.
    @param usdc The network's USDC (6 decimals).
    @param pool The IO/USDC Uniswap V3 pool (every price and trade).
    @param desk The FeeVaultDesk (holds the Fee Vault's USDC, trades it on this engine's orders).
    @param emission The EmissionSchedule (the engine becomes its recipient).
    @param router The SettlementRouter (the engine becomes its treasury).
    @param distributor The RewardsDistributor (released IO goes there).
    @param epoch_seconds Length of an epoch (one day), fixed.
    @param max_usd_per_epoch The most the oracle may state per epoch (1..MAX_USD_PER_EPOCH_LIMIT).
    @param max_swap_usdc The largest single trade, USDC base units (> 0).
    @param burn_share_bps Share of the surplus burned (5,000..10,000).
    @param reserve_epochs Fee Vault reserve in epochs of trailing payouts (1..365).
    @param retire_buffer_epochs Reward Vault buffer in epochs of trailing IO needed (1..730).
    @param twap_window_seconds TWAP window of every price (300..86,400).
    @param max_price_move_bps Most an epoch's price may move from the previous one (10..5,000).
    @param admin Holder of DEFAULT_ADMIN_ROLE and, at first, PAUSER_ROLE (governance).
    @param oracle Holder of ORACLE_ROLE (the reward oracle).
    """
    access_control.__init__()
    pausable.__init__()
    assert io != empty(address) and usdc != empty(address) and pool != empty(address), \
        "IncentiveEngine: zero address"
    assert emission != empty(address) and router != empty(address) and distributor != empty(address), \
        "IncentiveEngine: zero address"
    assert admin != empty(address) and oracle != empty(address) and desk != empty(address), \
        "IncentiveEngine: zero address"
    t0: address = staticcall IUniswapV3Pool(pool).token0()
    t1: address = staticcall IUniswapV3Pool(pool).token1()
    assert (t0 == io and t1 == usdc) or (t0 == usdc and t1 == io), "IncentiveEngine: pool does not pair io and usdc"
    # The model's order of checks (ionet/ide.py, IncentiveEngine.__post_init__).
    assert epoch_seconds != 0, "IncentiveEngine: zero epoch length"
    self._set_parameters(max_usd_per_epoch, max_swap_usdc, burn_share_bps, reserve_epochs, retire_buffer_epochs)
    IO = IIOToken(io)
    USDC = usdc
    POOL = pool
    DESK = IFeeVaultDesk(desk)
    EMISSION = IEmissionSchedule(emission)
    ROUTER = ISettlementRouter(router)
    DISTRIBUTOR = distributor
    EPOCH_SECONDS = epoch_seconds
    _EMISSION_START = staticcall IEmissionSchedule(emission).START_TIME()
    _EMISSION_EPOCH_SECONDS = staticcall IEmissionSchedule(emission).EPOCH_SECONDS()
    _EMISSION_EPOCH_COUNT = staticcall IEmissionSchedule(emission).EPOCH_COUNT()
    self._set_market(Market(twap_window=0, max_price_move_bps=0), convert(twap_window_seconds, uint256),
                     max_price_move_bps)
    access_control._grant_role(ORACLE_ROLE, oracle)
    access_control._grant_role(PAUSER_ROLE, admin)
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)


# ------------------------------------------------------------------ activation
@external
def activate():
    """
    @notice Switches the network to the IDE, once. DEFAULT_ADMIN_ROLE, after making this contract
            the EmissionSchedule's recipient. Mints what is due (to this contract, the recipient
            now), forwards every IO it holds to the RewardsDistributor (all of it emission of the
            hourly epochs before the switch: the pre-IDE rewards), starts epoch 1 at the end of
            the last completed hourly epoch, and takes the pool's TWAP now as the reference price
            of epoch 1's clamp (none when the pool cannot serve the window yet, e.g. a pool created
            with the token: epoch 1 then pays at its close TWAP unclamped); from then on the
            emission is the Reward Vault's.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    em: Emission = self._unpack_emission(self._emission)
    assert not em.active, "IncentiveEngine: already active"
    assert staticcall EMISSION.reward_recipient() == self, "IncentiveEngine: not the emission recipient"
    assert staticcall DESK.engine() == self, "IncentiveEngine: desk not bound to this engine"
    reference: uint256 = 0
    mean: int256 = uniswap_twap._mean_tick(POOL, convert(self._unpack_market(self._market).twap_window, uint32))
    if mean != uniswap_twap.NO_TICK:
        reference = self._quote(convert(mean, int24))
    extcall EMISSION.mint_due()
    total: uint256 = staticcall EMISSION.total_emitted()
    completed: uint256 = staticcall EMISSION.completed_epochs()
    start: uint256 = block.timestamp
    if completed < _EMISSION_EPOCH_COUNT:
        start = _EMISSION_START + completed * _EMISSION_EPOCH_SECONDS
    forwarded: uint256 = staticcall IO.balanceOf(self)
    self._emission = self._pack_emission(Emission(baseline=total, seen=total, start_time=start, active=True))
    self._epochs[0] = self._pack_epoch(EpochRecord(usd_owed=0, price=reference, price_flag=PRICE_AT_TWAP, fee_usd=0))
    # The counters' words go live (never zero again): no payout pays a zero slot's first write.
    self._settled = self._pack_settled(Settled(last_settled=0, trailing_usd_owed=0, trailing_fee_usd=0))
    self._trailing = self._pack_trailing(0)
    self._released = self._pack_released(Released(from_fee_io=0, from_swap=0, shortfall_epochs=0))
    self._buyback = self._pack_buyback(Buyback(usdc_spent=0, io_burned=0, burned_fee_io=0))
    if forwarded != 0:
        assert extcall IO.transfer(DISTRIBUTOR, forwarded)
    log Activated(start_time=start, emission_baseline=total, emission_epoch=completed,
                  forwarded_to_distributor=forwarded, reference_price=reference)


# ------------------------------------------------------------------ inflows (anyone)
@external
def sync_emission() -> uint256:
    """
    @notice Mints the emission due (to this contract) and credits the Reward Vault with the rise of
            the schedule's total since the last sync. Anyone. Nothing is credited while this
            contract is not the schedule's recipient.
    @return uint256 The IO credited, in wei.
    """
    assert self._unpack_emission(self._emission).active, "IncentiveEngine: not active"
    v: Vaults = self._unpack_vaults(self._vaults)
    amount: uint256 = self._sync(v.reward_vault)
    if amount != 0:
        v.reward_vault += amount
        self._vaults = self._pack_vaults(v)
    return amount


@external
def collect_fees() -> uint256:
    """
    @notice Pulls every fee the settlement router holds into the Fee Vault: the USDC to the
            FeeVaultDesk, the IO to this contract (this contract holds the router's TREASURY_ROLE).
            Anyone. The fees are valued in USD as they arrive (USDC at par, IO at the TWAP, history
            checked, rounded down) and booked to the next epoch settled. Nothing to collect:
            nothing happens.
    @return uint256 The USD value collected, base units.
    """
    assert self._unpack_emission(self._emission).active, "IncentiveEngine: not active"
    usdc: uint256 = staticcall ROUTER.fees(USDC)
    io: uint256 = staticcall ROUTER.fees(IO.address)
    if usdc == 0 and io == 0:
        return 0
    usd: uint256 = usdc
    if io != 0:
        usd += io * self._twap() // ONE_IO
    if usdc != 0:
        extcall ROUTER.withdraw_fees(USDC, usdc, DESK.address)
    if io != 0:
        extcall ROUTER.withdraw_fees(IO.address, io, self)
    fee_usdc: uint256 = self.fee_usdc
    if usdc != 0:
        fee_usdc += usdc
        self.fee_usdc = fee_usdc
        self._fee_usdc_in += usdc
    v: Vaults = self._unpack_vaults(self._vaults)
    if io != 0:
        v.fee_io += io
        self._vaults = self._pack_vaults(v)
        self._fee_io_in += io
    self._fee_usd_in += usd
    nxt: uint256 = self._unpack_settled(self._settled).last_settled + 1
    rec: EpochRecord = self._unpack_epoch(self._epochs[nxt])
    rec.fee_usd += usd
    self._epochs[nxt] = self._pack_epoch(rec)
    log FeesCollected(usdc=usdc, io=io, usd_value=usd, fee_usdc=fee_usdc, fee_io=v.fee_io)
    return usd


# ------------------------------------------------------------------ the oracle
@external
def state_epoch(epoch: uint256, usd_owed: uint256):
    """
    @notice States the USD owed to eligible suppliers for an epoch that has ended: in order, once,
            at most `max_usd_per_epoch`. The statement fixes the epoch's price: the TWAP of the
            window that ended at the epoch's close, at most `max_price_move_bps` from the previous
            epoch's price (the previous price when the pool's history no longer reaches back to
            the close). ORACLE_ROLE; not while paused.
    @param epoch The epoch (1-based): the one after the last stated.
    @param usd_owed USD base units.
    """
    access_control._check_role(ORACLE_ROLE, msg.sender)
    em: Emission = self._unpack_emission(self._emission)
    assert em.active, "IncentiveEngine: not active"
    pausable._require_not_paused()
    v: Vaults = self._unpack_vaults(self._vaults)
    assert epoch > v.last_stated, "IncentiveEngine: epoch already stated"
    assert epoch == v.last_stated + 1, "IncentiveEngine: epoch out of order"
    close: uint256 = em.start_time + epoch * EPOCH_SECONDS
    assert block.timestamp >= close, "IncentiveEngine: epoch not ended"
    assert usd_owed <= self.max_usd_per_epoch, "IncentiveEngine: usd owed above maximum"
    mk: Market = self._unpack_market(self._market)
    reference: uint256 = self._unpack_epoch(self._epochs[unsafe_sub(epoch, 1)]).price
    # The window [close - twap_window, close], however late the statement (`ago` saturates at the
    # largest uint32, which no pool's history serves: the price is then carried).
    ago: uint256 = min(block.timestamp - close, convert(max_value(uint32), uint256))
    mean: int256 = uniswap_twap._mean_tick_at(POOL, convert(mk.twap_window, uint32), convert(ago, uint32))
    twap: uint256 = 0
    price: uint256 = reference
    flag: uint256 = PRICE_CARRIED
    if mean == uniswap_twap.NO_TICK:
        # nothing to carry before the first price (no reference at activation): no price at all
        assert reference != 0, "IncentiveEngine: pool history cannot serve the epoch's window"
    elif reference == 0:
        twap = self._quote(convert(mean, int24))
        price = twap
        flag = PRICE_AT_TWAP
    else:
        twap = uniswap_twap._quote_at_tick(convert(mean, int24), ONE_IO, IO.address, USDC)
        low: uint256 = (reference * (BPS - mk.max_price_move_bps) + BPS - 1) // BPS
        high: uint256 = reference * (BPS + mk.max_price_move_bps) // BPS
        price = twap
        flag = PRICE_AT_TWAP
        if twap < low:
            price = low
            flag = PRICE_CLAMPED_UP
        elif twap > high:
            price = high
            flag = PRICE_CLAMPED_DOWN
    rec: EpochRecord = self._unpack_epoch(self._epochs[epoch])
    rec.usd_owed = usd_owed
    rec.price = price
    rec.price_flag = flag
    self._epochs[epoch] = self._pack_epoch(rec)
    v.last_stated = epoch
    self._vaults = self._pack_vaults(v)
    log EpochStated(epoch=epoch, usd_owed=usd_owed, twap_price=twap, reference_price=reference, price=price,
                    price_flag=flag)


# ------------------------------------------------------------------ settlement (anyone)
@external
def settle(epoch: uint256) -> uint256:
    """
    @notice Pays a stated epoch's USD owed in IO at the epoch's price (fixed by its statement):
            from the Reward Vault first (the emission is synced first when it is short), then from
            the Fee Vault's IO, then IO bought with the Fee Vault's USDC up to the TWAP bound's
            price limit; the IO goes to the RewardsDistributor. What cannot be covered (the vaults
            are short, or the pool does not fill within the bound) is recorded as a shortfall.
            Never reverts for a market reason. Anyone; epochs in order, each once.
    @param epoch The epoch: the one after the last settled.
    @return uint256 The IO released, in wei.
    """
    s: Settled = self._unpack_settled(self._settled)
    assert epoch > s.last_settled, "IncentiveEngine: epoch already settled"
    assert epoch == s.last_settled + 1, "IncentiveEngine: epoch out of order"
    v: Vaults = self._unpack_vaults(self._vaults)
    assert epoch <= v.last_stated, "IncentiveEngine: epoch not stated"
    rec: EpochRecord = self._unpack_epoch(self._epochs[epoch])
    owed: uint256 = rec.usd_owed
    price: uint256 = rec.price
    # floor: never more IO than the USD owed buys at the epoch's price
    need: uint256 = owed * ONE_IO // price
    if need > v.reward_vault:
        v.reward_vault += self._sync(v.reward_vault)
    from_reward: uint256 = min(need, v.reward_vault)
    # need >= from_reward, missing >= from_fee_io, missing >= from_swap: the subtractions hold.
    missing: uint256 = unsafe_sub(need, from_reward)
    from_fee_io: uint256 = min(missing, v.fee_io)
    missing = unsafe_sub(missing, from_fee_io)
    usdc_spent: uint256 = 0
    bought: uint256 = 0
    from_swap: uint256 = 0
    bought_to_distributor: bool = False
    if missing != 0:
        fee_usdc: uint256 = self.fee_usdc
        budget: uint256 = min(fee_usdc, self.max_swap_usdc)
        if budget >= MIN_SWAP_USDC:
            usdc_spent, bought, bought_to_distributor = extcall DESK.top_up(missing, budget, price, DISTRIBUTOR)
        from_swap = min(bought, missing)
        missing = unsafe_sub(missing, from_swap)
        if usdc_spent != 0:
            self.fee_usdc = fee_usdc - usdc_spent
    if from_fee_io != 0 or from_swap != 0 or missing != 0:
        r: Released = self._unpack_released(self._released)
        r.from_fee_io += from_fee_io
        r.from_swap += from_swap
        if missing != 0:
            r.shortfall_epochs += 1
        self._released = self._pack_released(r)
    v.reward_vault = unsafe_sub(v.reward_vault, from_reward)
    # an exact-input fill beyond the need stays in the Fee Vault
    v.fee_io = v.fee_io + bought - from_swap - from_fee_io
    shortfall_usd: uint256 = 0
    if missing != 0:
        shortfall_usd = min(owed, (missing * price + ONE_IO - 1) // ONE_IO)
    fee_usd: uint256 = rec.fee_usd
    # the trailing window: the epoch that leaves it out, this one in
    io_trailing: uint256 = self._unpack_trailing(self._trailing)
    if epoch > TRAILING_EPOCHS:
        old: EpochRecord = self._unpack_epoch(self._epochs[unsafe_sub(epoch, TRAILING_EPOCHS)])
        s.trailing_usd_owed -= old.usd_owed
        s.trailing_fee_usd -= old.fee_usd
        io_trailing -= old.usd_owed * ONE_IO // old.price
    s.trailing_usd_owed += owed
    s.trailing_fee_usd += fee_usd
    s.last_settled = epoch
    self._trailing = self._pack_trailing(io_trailing + need)
    self._settled = self._pack_settled(s)
    self._vaults = self._pack_vaults(v)
    total_shortfall: uint256 = 0
    if missing != 0:
        total_shortfall = self._shortfall_usd_total + shortfall_usd
        self._shortfall_usd_total = total_shortfall
    released: uint256 = from_reward + from_fee_io + from_swap
    to_send: uint256 = released
    if bought_to_distributor:
        to_send = unsafe_sub(released, from_swap)  # the pool paid it to the distributor directly
    if to_send != 0:
        assert extcall IO.transfer(DISTRIBUTOR, to_send)
    log EpochSettled(epoch=epoch, usd_owed=owed, twap_price=price, io_needed=need, from_reward_vault=from_reward,
                     from_fee_io=from_fee_io, from_fee_usdc_swap=from_swap, usdc_spent=usdc_spent, io_bought=bought,
                     shortfall_io=missing, shortfall_usd=shortfall_usd, fee_usd=fee_usd,
                     reward_vault=v.reward_vault, fee_usdc=self.fee_usdc, fee_io=v.fee_io)
    if missing != 0:
        log ShortfallRecorded(epoch=epoch, shortfall_usd=shortfall_usd, shortfall_io=missing,
                              total_shortfall_usd=total_shortfall)
    return released


# ------------------------------------------------------------------ buyback and burn (anyone)
@external
def buyback_and_burn() -> uint256:
    """
    @notice Burns `burn_share_bps` of the Fee Vault's surplus above its reserve target: the surplus
            USDC's share buys IO on the pool (exact input, at most `max_swap_usdc`, up to the TWAP
            bound's price limit: it may fill partly or not at all) and every IO bought is burned;
            the surplus fee IO's share is burned without a trade. Anyone, once per settled epoch,
            only when every stated epoch is settled. A call that could neither buy nor burn
            anything (the pool at or beyond the limit, no fee IO to burn) changes nothing.
    @return uint256 The IO burned, in wei.
    """
    s: Settled = self._unpack_settled(self._settled)
    v: Vaults = self._unpack_vaults(self._vaults)
    assert s.last_settled != 0 and v.last_stated == s.last_settled, "IncentiveEngine: epoch not settled"
    assert v.last_burn_epoch < s.last_settled, "IncentiveEngine: already burned this epoch"
    # the last settled epoch's price: the reserve's valuation and the trade's bound (no pool read)
    twap: uint256 = self._unpack_epoch(self._epochs[s.last_settled]).price
    fee_usdc: uint256 = self.fee_usdc
    target: uint256 = self._reserve_target(s)
    usdc_reserved: uint256 = 0
    io_reserved: uint256 = 0
    usdc_to_buy: uint256 = 0
    io_to_burn: uint256 = 0
    usdc_reserved, io_reserved, usdc_to_buy, io_to_burn = self._burn_amounts(twap, target, fee_usdc, v.fee_io)
    assert usdc_to_buy != 0 or io_to_burn != 0, "IncentiveEngine: no surplus"
    spent: uint256 = 0
    bought: uint256 = 0
    if usdc_to_buy != 0:
        spent, bought = extcall DESK.buy_back(usdc_to_buy, twap)
    if spent == 0 and io_to_burn == 0:
        return 0  # the pool is at or beyond the limit: nothing bought, nothing to burn, nothing changed
    if spent != 0:
        fee_usdc = unsafe_sub(fee_usdc, spent)  # spent <= usdc_to_buy <= fee_usdc - usdc_reserved
        self.fee_usdc = fee_usdc
    bb: Buyback = self._unpack_buyback(self._buyback)
    bb.usdc_spent += spent
    bb.io_burned += bought
    bb.burned_fee_io += io_to_burn
    self._buyback = self._pack_buyback(bb)
    v.fee_io = unsafe_sub(v.fee_io, io_to_burn)  # io_to_burn <= fee_io - io_reserved
    v.last_burn_epoch = s.last_settled
    self._vaults = self._pack_vaults(v)
    extcall IO.burn(bought + io_to_burn)
    log BoughtBackAndBurned(epoch=s.last_settled, twap_price=twap, reserve_target_usd=target,
                            usdc_spent=spent, io_bought_burned=bought, io_fee_burned=io_to_burn,
                            fee_usdc=fee_usdc, fee_io=v.fee_io)
    return bought + io_to_burn


# ------------------------------------------------------------------ governance
@external
def retire(amount: uint256):
    """
    @notice Burns Reward Vault IO that payouts did not need, above the retirement buffer
            (`retirable`), toward the published target of retiring 115M IO. DEFAULT_ADMIN_ROLE.
    @param amount Wei, at most `retirable()`.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert amount != 0, "IncentiveEngine: zero amount"
    v: Vaults = self._unpack_vaults(self._vaults)
    assert amount <= self._retirable(self._unpack_settled(self._settled), v.reward_vault), \
        "IncentiveEngine: amount above retirable"
    v.reward_vault = unsafe_sub(v.reward_vault, amount)  # amount <= retirable <= reward_vault
    self._vaults = self._pack_vaults(v)
    retired: uint256 = self._retired + amount
    self._retired = retired
    extcall IO.burn(amount)
    log EmissionRetired(amount=amount, reward_vault=v.reward_vault, total_retired=retired)


@external
def pause():
    """
    @notice Stops new statements (a compromised oracle key). PAUSER_ROLE (the guardian). Settling
            what is stated, burning, collecting, syncing and retiring go on.
    """
    access_control._check_role(PAUSER_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    """
    @notice Allows statements again. DEFAULT_ADMIN_ROLE.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    pausable._unpause()


@external
def set_max_usd_per_epoch(new_value: uint256):
    """
    @notice The most the oracle may state per epoch. DEFAULT_ADMIN_ROLE.
    @param new_value USD base units, 1..MAX_USD_PER_EPOCH_LIMIT.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert new_value != 0, "IncentiveEngine: zero maximum"
    assert new_value <= MAX_USD_PER_EPOCH_LIMIT, "IncentiveEngine: maximum too large"
    log MaxUsdPerEpochUpdated(old=self.max_usd_per_epoch, new=new_value)
    self.max_usd_per_epoch = new_value


@external
def set_max_swap_usdc(new_value: uint256):
    """
    @notice The largest single trade. DEFAULT_ADMIN_ROLE.
    @param new_value USDC base units, > 0.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert new_value != 0, "IncentiveEngine: zero maximum"
    log MaxSwapUsdcUpdated(old=self.max_swap_usdc, new=new_value)
    self.max_swap_usdc = new_value


@external
def set_burn_share_bps(new_value: uint256):
    """
    @notice The share of the surplus a burn takes. DEFAULT_ADMIN_ROLE.
    @param new_value Bps, 5,000..10,000 (never below half: published).
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert new_value >= MIN_BURN_SHARE_BPS, "IncentiveEngine: burn share below minimum"
    assert new_value <= BPS, "IncentiveEngine: burn share above maximum"
    log BurnShareBpsUpdated(old=self.burn_share_bps, new=new_value)
    self.burn_share_bps = new_value


@external
def set_reserve_epochs(new_value: uint256):
    """
    @notice The Fee Vault's reserve target in epochs of trailing payouts. DEFAULT_ADMIN_ROLE.
    @param new_value 1..365.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert new_value != 0 and new_value <= MAX_RESERVE_EPOCHS, "IncentiveEngine: reserve epochs out of bounds"
    log ReserveEpochsUpdated(old=self.reserve_epochs, new=new_value)
    self.reserve_epochs = new_value


@external
def set_retire_buffer_epochs(new_value: uint256):
    """
    @notice The Reward Vault's retirement buffer in epochs of trailing IO needed. DEFAULT_ADMIN_ROLE.
    @param new_value 1..730.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert new_value != 0 and new_value <= MAX_RETIRE_BUFFER_EPOCHS, "IncentiveEngine: retire buffer out of bounds"
    log RetireBufferEpochsUpdated(old=self.retire_buffer_epochs, new=new_value)
    self.retire_buffer_epochs = new_value


@external
def set_market_bounds(twap_window: uint32, max_slippage_bps: uint256, max_price_move_bps: uint256):
    """
    @notice Sets the market bounds of every price and trade: the TWAP window (logs
            TwapWindowUpdated), the most a trade may pay above the TWAP, the pool's fee included
            (the FeeVaultDesk's bound: it logs MaxSlippageUpdated with the price limit in ticks),
            and the most an epoch's price may move from the previous epoch's (MaxPriceMoveUpdated).
            DEFAULT_ADMIN_ROLE.
    @param twap_window Seconds, 300..86,400; the pool must keep history for it.
    @param max_slippage_bps Above the pool's fee by at least two ticks, at most 500.
    @param max_price_move_bps 10..5,000.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    self._set_market(self._unpack_market(self._market), convert(twap_window, uint256), max_price_move_bps)
    extcall DESK.set_max_slippage_bps(max_slippage_bps)


# ------------------------------------------------------------------ views
@external
@view
def active() -> bool:
    """
    @notice True once governance activated the engine (the network runs the IDE).
    @return bool Active or not.
    """
    return self._unpack_emission(self._emission).active


@external
@view
def start_time() -> uint256:
    """
    @notice The start of epoch 1 (0 before activation).
    @return uint256 Unix seconds.
    """
    return self._unpack_emission(self._emission).start_time


@external
@view
def last_stated() -> uint256:
    """
    @notice The last epoch the oracle stated.
    @return uint256 The epoch (0: none).
    """
    return self._unpack_vaults(self._vaults).last_stated


@external
@view
def last_settled() -> uint256:
    """
    @notice The last epoch settled.
    @return uint256 The epoch (0: none).
    """
    return self._unpack_settled(self._settled).last_settled


@external
@view
def last_burn_epoch() -> uint256:
    """
    @notice The last settled epoch a buyback-and-burn was made for.
    @return uint256 The epoch (0: none).
    """
    return self._unpack_vaults(self._vaults).last_burn_epoch


@external
@view
def reward_vault() -> uint256:
    """
    @notice IO in the Reward Vault (synced emission not yet released or retired).
    @return uint256 Wei.
    """
    return self._unpack_vaults(self._vaults).reward_vault


@external
@view
def fee_io() -> uint256:
    """
    @notice IO in the Fee Vault.
    @return uint256 Wei.
    """
    return self._unpack_vaults(self._vaults).fee_io


@external
@view
def pending_fee_usd() -> uint256:
    """
    @notice Fee USD collected since the last settlement (booked to the next epoch settled).
    @return uint256 USD base units.
    """
    return self._unpack_epoch(self._epochs[self._unpack_settled(self._settled).last_settled + 1]).fee_usd


@external
@view
def epoch_info(epoch: uint256) -> EpochInfo:
    """
    @notice An epoch's record: the USD owed, its price, how the price was fixed (PRICE_AT_TWAP,
            PRICE_CLAMPED_UP, PRICE_CLAMPED_DOWN, PRICE_CARRIED) and the IO it needs (once stated),
            the fee USD booked to it. Epoch 0's price is the reference taken at activation.
    @param epoch The epoch.
    @return EpochInfo The record.
    """
    rec: EpochRecord = self._unpack_epoch(self._epochs[epoch])
    stated: bool = epoch != 0 and epoch <= self._unpack_vaults(self._vaults).last_stated
    need: uint256 = 0
    if stated:
        need = rec.usd_owed * ONE_IO // rec.price
    return EpochInfo(usd_owed=rec.usd_owed, twap_price=rec.price, price_flag=rec.price_flag, io_needed=need,
                     fee_usd=rec.fee_usd, stated=stated,
                     settled=epoch != 0 and epoch <= self._unpack_settled(self._settled).last_settled)


@external
@view
def trailing() -> (uint256, uint256, uint256, uint256):
    """
    @notice The trailing statistics over the last 30 settled epochs.
    @return (uint256, uint256, uint256, uint256) (epochs counted, USD owed, fee USD, IO needed).
    """
    s: Settled = self._unpack_settled(self._settled)
    return min(s.last_settled, TRAILING_EPOCHS), s.trailing_usd_owed, s.trailing_fee_usd, self._unpack_trailing(
        self._trailing)


@external
@view
def sustainability_ratio_bps() -> uint256:
    """
    @notice Fee revenue in USD over the USD owed to suppliers, last 30 settled epochs, in bps,
            rounded down (10,000 = the fees alone would pay every supplier); 0 without payouts.
    @return uint256 Bps.
    """
    s: Settled = self._unpack_settled(self._settled)
    if s.trailing_usd_owed == 0:
        return 0
    return s.trailing_fee_usd * BPS // s.trailing_usd_owed


@external
@view
def reserve_target_usd() -> uint256:
    """
    @notice The Fee Vault's reserve target: reserve_epochs x the trailing average USD owed, rounded up.
    @return uint256 USD base units.
    """
    return self._reserve_target(self._unpack_settled(self._settled))


@external
@view
def retire_buffer_io() -> uint256:
    """
    @notice The Reward Vault's retirement buffer: retire_buffer_epochs x the trailing average IO
            needed, rounded up (the whole vault before the first settlement).
    @return uint256 Wei.
    """
    return self._retire_buffer(self._unpack_settled(self._settled), self._unpack_vaults(self._vaults).reward_vault)


@external
@view
def retirable() -> uint256:
    """
    @notice Reward Vault IO governance may retire now (above the buffer).
    @return uint256 Wei.
    """
    return self._retirable(self._unpack_settled(self._settled), self._unpack_vaults(self._vaults).reward_vault)


@external
@view
def retirement_progress_bps() -> uint256:
    """
    @notice IO retired so far over the published target of 115M, in bps (rounded down).
    @return uint256 Bps.
    """
    return self._retired * BPS // RETIREMENT_TARGET


@external
@view
def totals() -> Totals:
    """
    @notice Every cumulative figure of the dashboard: emission received, IO released by source,
            fees collected, USDC spent and IO bought (top-ups and buybacks), IO burned (bought
            back, fee IO, retired, and by slashing in NodeStaking), shortfalls.
    @return Totals The totals, in base units.
    """
    return self._totals()


@external
@view
def price() -> uint256:
    """
    @notice The TWAP price of one IO over the window ending now (history checked): what fees in IO
            are valued at, what a burn values the reserve at, and the centre of every trade's
            price limit. An epoch pays at its own price (`epoch_info`).
    @return uint256 USDC base units per 10**18 wei.
    """
    return self._twap()


@external
@view
def twap_window() -> uint32:
    """
    @notice Seconds over which every TWAP is averaged.
    @return uint32 Seconds.
    """
    return convert(self._unpack_market(self._market).twap_window, uint32)


@external
@view
def max_price_move_bps() -> uint256:
    """
    @notice The most an epoch's price may move from the previous epoch's price.
    @return uint256 Bps.
    """
    return self._unpack_market(self._market).max_price_move_bps


@external
@view
def reserves() -> Reserves:
    """
    @notice Both vaults in IO and USDC and their USD value at the last settled epoch's price
            (`twap_price`, rounded down; activation's reference before any settlement), the Fee
            Vault's reserve target and how it is held (USDC first, then IO at that price), and
            what `buyback_and_burn` would take now, valued as it values them (the USDC leg buys up
            to that price plus the slippage: it may spend less when the pool reaches the limit).
    @return Reserves The reserves; can_burn is false (and the burn amounts 0) while a stated epoch
            is unsettled, the last settled epoch was burned for, or there is no surplus.
    """
    s: Settled = self._unpack_settled(self._settled)
    twap: uint256 = self._unpack_epoch(self._epochs[s.last_settled]).price
    v: Vaults = self._unpack_vaults(self._vaults)
    fee_usdc: uint256 = self.fee_usdc
    target: uint256 = self._reserve_target(s)
    usdc_reserved: uint256 = 0
    io_reserved: uint256 = 0
    usdc_to_buy: uint256 = 0
    io_to_burn: uint256 = 0
    if twap != 0:
        usdc_reserved, io_reserved, usdc_to_buy, io_to_burn = self._burn_amounts(twap, target, fee_usdc, v.fee_io)
    if s.last_settled == 0 or v.last_stated != s.last_settled or v.last_burn_epoch >= s.last_settled:
        usdc_to_buy = 0
        io_to_burn = 0
    fee_io_usd: uint256 = v.fee_io * twap // ONE_IO
    return Reserves(twap_price=twap, reward_vault=v.reward_vault, reward_vault_usd=v.reward_vault * twap // ONE_IO,
                    fee_usdc=fee_usdc, fee_io=v.fee_io, fee_io_usd=fee_io_usd, fee_vault_usd=fee_usdc + fee_io_usd,
                    reserve_target_usd=target, usdc_reserved=usdc_reserved, io_reserved=io_reserved,
                    can_burn=usdc_to_buy != 0 or io_to_burn != 0, usdc_to_buy=usdc_to_buy, io_to_burn=io_to_burn)


# ------------------------------------------------------------------ internal
@internal
def _sync(reward_vault: uint256) -> uint256:
    """
    @dev Mints the emission due and returns the rise of the schedule's total since the last sync
         (recorded as seen). While this contract is not the recipient nothing is minted or
         credited: `seen` follows the total (that emission went elsewhere).
    """
    em: Emission = self._unpack_emission(self._emission)
    if staticcall EMISSION.reward_recipient() != self:
        total_elsewhere: uint256 = staticcall EMISSION.total_emitted()
        if total_elsewhere != em.seen:
            em.seen = total_elsewhere
            self._emission = self._pack_emission(em)
        return 0
    extcall EMISSION.mint_due()
    total: uint256 = staticcall EMISSION.total_emitted()
    amount: uint256 = total - em.seen
    if amount == 0:
        return 0
    em.seen = total
    self._emission = self._pack_emission(em)
    log EmissionReceived(amount=amount, reward_vault=reward_vault + amount, total_emitted_in=total - em.baseline)
    return amount


@internal
@view
def _twap() -> uint256:
    """
    @dev The TWAP price of one IO over the window ending now (see `_mean_tick`, `_quote`).
    """
    return self._quote(self._mean_tick())


@internal
@view
def _mean_tick() -> int24:
    """
    @dev The pool's mean tick over the TWAP window ending now; reverts when the pool's history does
         not cover it (never a spot price).
    """
    mean: int256 = uniswap_twap._mean_tick(POOL, convert(self._unpack_market(self._market).twap_window, uint32))
    assert mean != uniswap_twap.NO_TICK, "IncentiveEngine: pool history shorter than window"
    return convert(mean, int24)


@internal
@view
def _quote(tick: int24) -> uint256:
    """
    @dev The price of one IO at a tick, in USDC base units; never zero.
    """
    price: uint256 = uniswap_twap._quote_at_tick(tick, ONE_IO, IO.address, USDC)
    assert price != 0, "IncentiveEngine: zero price"
    return price


@internal
def _set_parameters(max_usd_per_epoch: uint256, max_swap_usdc: uint256, burn_share_bps: uint256,
                    reserve_epochs: uint256, retire_buffer_epochs: uint256):
    """
    @dev Checks (in the model's order) and writes the five economic parameters at deployment,
         logging each (old = 0); each has its own setter afterwards, with the same checks.
    """
    assert max_usd_per_epoch != 0, "IncentiveEngine: zero maximum"
    assert max_swap_usdc != 0, "IncentiveEngine: zero maximum"
    assert burn_share_bps >= MIN_BURN_SHARE_BPS, "IncentiveEngine: burn share below minimum"
    assert burn_share_bps <= BPS, "IncentiveEngine: burn share above maximum"
    assert reserve_epochs != 0 and reserve_epochs <= MAX_RESERVE_EPOCHS, "IncentiveEngine: reserve epochs out of bounds"
    assert retire_buffer_epochs != 0 and retire_buffer_epochs <= MAX_RETIRE_BUFFER_EPOCHS, \
        "IncentiveEngine: retire buffer out of bounds"
    assert max_usd_per_epoch <= MAX_USD_PER_EPOCH_LIMIT, "IncentiveEngine: maximum too large"
    log MaxUsdPerEpochUpdated(old=self.max_usd_per_epoch, new=max_usd_per_epoch)
    log MaxSwapUsdcUpdated(old=self.max_swap_usdc, new=max_swap_usdc)
    log BurnShareBpsUpdated(old=self.burn_share_bps, new=burn_share_bps)
    log ReserveEpochsUpdated(old=self.reserve_epochs, new=reserve_epochs)
    log RetireBufferEpochsUpdated(old=self.retire_buffer_epochs, new=retire_buffer_epochs)
    self.max_usd_per_epoch = max_usd_per_epoch
    self.max_swap_usdc = max_swap_usdc
    self.burn_share_bps = burn_share_bps
    self.reserve_epochs = reserve_epochs
    self.retire_buffer_epochs = retire_buffer_epochs


@internal
def _set_market(old: Market, window: uint256, move_bps: uint256):
    """
    @dev Checks and writes the engine's two market bounds, logging each change.
    """
    assert window >= MIN_TWAP_WINDOW and window <= MAX_TWAP_WINDOW, "IncentiveEngine: window out of bounds"
    assert move_bps >= MIN_PRICE_MOVE_BPS and move_bps <= MAX_PRICE_MOVE_BPS, "IncentiveEngine: price move out of bounds"
    self._market = self._pack_market(Market(twap_window=window, max_price_move_bps=move_bps))
    log TwapWindowUpdated(old_seconds=convert(old.twap_window, uint32), new_seconds=convert(window, uint32))
    log MaxPriceMoveUpdated(old=old.max_price_move_bps, new=move_bps)


@internal
@view
def _reserve_target(s: Settled) -> uint256:
    n: uint256 = min(s.last_settled, TRAILING_EPOCHS)
    if n == 0:
        return 0
    return (self.reserve_epochs * s.trailing_usd_owed + n - 1) // n


@internal
@view
def _retire_buffer(s: Settled, reward_vault: uint256) -> uint256:
    n: uint256 = min(s.last_settled, TRAILING_EPOCHS)
    if n == 0:
        return reward_vault
    return (self.retire_buffer_epochs * self._unpack_trailing(self._trailing) + n - 1) // n


@internal
@view
def _retirable(s: Settled, reward_vault: uint256) -> uint256:
    buffer: uint256 = self._retire_buffer(s, reward_vault)
    if reward_vault <= buffer:
        return 0
    return unsafe_sub(reward_vault, buffer)


@internal
@view
def _burn_amounts(twap: uint256, target: uint256, fee_usdc: uint256, fee_io: uint256) -> (uint256, uint256,
                                                                                          uint256, uint256):
    """
    @dev (usdc_reserved, io_reserved, usdc_to_buy, io_to_burn): the reserve held in USDC first, then
         IO at the TWAP (rounded up); burn_share of each surplus (rounded down), the USDC leg capped
         at max_swap_usdc and dropped below MIN_SWAP_USDC.
    """
    usdc_reserved: uint256 = min(fee_usdc, target)
    io_reserved: uint256 = min(fee_io, ((target - usdc_reserved) * ONE_IO + twap - 1) // twap)
    share: uint256 = self.burn_share_bps
    usdc_to_buy: uint256 = min((fee_usdc - usdc_reserved) * share // BPS, self.max_swap_usdc)
    if usdc_to_buy < MIN_SWAP_USDC:
        usdc_to_buy = 0
    io_to_burn: uint256 = (fee_io - io_reserved) * share // BPS
    return usdc_reserved, io_reserved, usdc_to_buy, io_to_burn


@internal
@view
def _totals() -> Totals:
    v: Vaults = self._unpack_vaults(self._vaults)
    em: Emission = self._unpack_emission(self._emission)
    fee_usdc_in: uint256 = self._fee_usdc_in
    fee_io_in: uint256 = self._fee_io_in
    r: Released = self._unpack_released(self._released)
    rel_fee_io: uint256 = r.from_fee_io
    rel_swap: uint256 = r.from_swap
    bb: Buyback = self._unpack_buyback(self._buyback)
    spent_bb: uint256 = bb.usdc_spent
    burned_bb: uint256 = bb.io_burned
    burned_fee_io: uint256 = bb.burned_fee_io
    retired: uint256 = self._retired
    emitted_in: uint256 = em.seen - em.baseline
    from_reward: uint256 = emitted_in - retired - v.reward_vault
    burned: uint256 = burned_bb + burned_fee_io + retired
    # Every burn of IO lowers its supply and leaves total_minted alone: what the supply lost beyond
    # this engine's burns was burned elsewhere (NodeStaking's finalized slashes, holders' own burns).
    burned_all: uint256 = staticcall IO.total_minted() - staticcall IO.totalSupply()
    return Totals(emitted_in=emitted_in, released_from_reward=from_reward, released_from_fee_io=rel_fee_io,
                  released_from_swap=rel_swap, released=from_reward + rel_fee_io + rel_swap,
                  fee_usdc_in=fee_usdc_in, fee_io_in=fee_io_in, fee_usd_in=self._fee_usd_in,
                  usdc_spent_topup=fee_usdc_in - self.fee_usdc - spent_bb,
                  io_bought_topup=v.fee_io + rel_fee_io + rel_swap + burned_fee_io - fee_io_in,
                  usdc_spent_buyback=spent_bb, burned_by_buyback=burned_bb, burned_fee_io=burned_fee_io,
                  retired=retired, burned=burned, burned_elsewhere=burned_all - min(burned, burned_all),
                  shortfall_usd_total=self._shortfall_usd_total, shortfall_epochs=r.shortfall_epochs)


# ------------------------------------------------------------------ packed words
@internal
@pure
def _pack_vaults(v: Vaults) -> uint256:
    return (convert(convert(v.reward_vault, uint96), uint256)
            | (convert(convert(v.fee_io, uint96), uint256) << 96)
            | (convert(convert(v.last_stated, uint32), uint256) << 192)
            | (convert(convert(v.last_burn_epoch, uint32), uint256) << 224))


@internal
@pure
def _unpack_vaults(word: uint256) -> Vaults:
    return Vaults(reward_vault=word & _MASK96, fee_io=(word >> 96) & _MASK96, last_stated=(word >> 192) & _MASK32,
                  last_burn_epoch=word >> 224)


@internal
@pure
def _pack_settled(s: Settled) -> uint256:
    return (convert(convert(s.last_settled, uint32), uint256)
            | (convert(convert(s.trailing_usd_owed, uint72), uint256) << 32)
            | (convert(convert(s.trailing_fee_usd, uint144), uint256) << 104) | _LIVE)


@internal
@pure
def _unpack_settled(word: uint256) -> Settled:
    return Settled(last_settled=word & _MASK32, trailing_usd_owed=(word >> 32) & _MASK72,
                   trailing_fee_usd=(word >> 104) & _MASK144)


@internal
@pure
def _pack_trailing(io_needed: uint256) -> uint256:
    return convert(convert(io_needed, uint128), uint256) | _LIVE


@internal
@pure
def _unpack_trailing(word: uint256) -> uint256:
    return word & _MASK128


@internal
@pure
def _pack_released(r: Released) -> uint256:
    return (convert(convert(r.from_fee_io, uint96), uint256) | (convert(convert(r.from_swap, uint96), uint256) << 96)
            | (convert(convert(r.shortfall_epochs, uint32), uint256) << 192) | _LIVE)


@internal
@pure
def _unpack_released(word: uint256) -> Released:
    return Released(from_fee_io=word & _MASK96, from_swap=(word >> 96) & _MASK96,
                    shortfall_epochs=(word >> 192) & _MASK32)


@internal
@pure
def _pack_epoch(r: EpochRecord) -> uint256:
    return (convert(convert(r.usd_owed, uint64), uint256) | (convert(convert(r.price, uint88), uint256) << 64)
            | (convert(convert(r.price_flag, uint8), uint256) << 152)
            | (convert(convert(r.fee_usd, uint96), uint256) << 160))


@internal
@pure
def _unpack_epoch(word: uint256) -> EpochRecord:
    return EpochRecord(usd_owed=word & _MASK64, price=(word >> 64) & _MASK88, price_flag=(word >> 152) & _MASK8,
                       fee_usd=word >> 160)


@internal
@pure
def _pack_emission(e: Emission) -> uint256:
    return (convert(convert(e.baseline, uint96), uint256) | (convert(convert(e.seen, uint96), uint256) << 96)
            | (convert(convert(e.start_time, uint40), uint256) << 192) | (convert(e.active, uint256) << 232))


@internal
@pure
def _unpack_emission(word: uint256) -> Emission:
    return Emission(baseline=word & _MASK96, seen=(word >> 96) & _MASK96, start_time=(word >> 192) & _MASK40,
                    active=(word >> 232) & 1 == 1)


@internal
@pure
def _pack_buyback(b: Buyback) -> uint256:
    # usdc_spent is stored plus one: the word is never zero once written (at activation)
    return (convert(convert(b.usdc_spent + 1, uint64), uint256)
            | (convert(convert(b.io_burned, uint96), uint256) << 64)
            | (convert(convert(b.burned_fee_io, uint96), uint256) << 160))


@internal
@pure
def _unpack_buyback(word: uint256) -> Buyback:
    # minus the one stored with it (a word never written, before activation, holds nothing)
    return Buyback(usdc_spent=(word & _MASK64) - convert(word != 0, uint256), io_burned=(word >> 64) & _MASK96,
                   burned_fee_io=word >> 160)


@internal
@pure
def _pack_market(m: Market) -> uint256:
    return convert(convert(m.twap_window, uint32), uint256) | (convert(convert(m.max_price_move_bps, uint16), uint256) << 32)


@internal
@pure
def _unpack_market(word: uint256) -> Market:
    return Market(twap_window=word & _MASK32, max_price_move_bps=(word >> 32) & _MASK16)

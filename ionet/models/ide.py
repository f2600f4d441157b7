"""The Incentive Dynamic Engine (IDE): the integer reference model, written as the contract's specification.

`contracts/IncentiveEngine.vy` must hold exactly the state of `IncentiveEngine` below and do, operation
for operation, what its methods do: same arithmetic, same rounding, same checks in the same order, same
revert reasons (the `IDEError` messages). Read it as the engine's rules (docs/incentive-engine.md says
them in plain words; docs/economy.md §9 gives the published figures).

Units (integers only):
    USD and USDC       6-decimal base units (1 USD = 1_000_000); a USD amount is paid in USDC 1:1.
    IO                 wei (1 IO = 10**18).
    price              USDC base units per 10**18 wei: the pool's TWAP quote of one IO (0.40 USDC/IO
                       = 400_000). The contract reads it from the IO/USDC pool over the TWAP window.

The rules in one place (each is argued in docs/incentive-engine.md):

0. Activation. The contract is deployed inactive. Governance makes it the EmissionSchedule's
   recipient and then calls `activate` (once): epoch 1 starts at the end of the last completed hourly
   emission epoch, every emission minted before that moment belongs to the RewardsDistributor (the
   engine forwards what reached it), every emission after it to the Reward Vault. Before activation
   nothing can be stated, collected or synced ("not active").

1. Two vaults, two ledgers of one contract. The Reward Vault (`reward_vault`, IO) receives the
   hourly emission and nothing else: `sync_emission` (anyone) calls the schedule's `mint_due` and
   credits the rise of its `total_emitted` since the last sync; `settle` syncs first whenever the
   Reward Vault holds less than the epoch needs. The Fee Vault (`fee_usdc`, `fee_io`) receives every
   fee the router collects (`collect_fees`, anyone: the engine holds the router's TREASURY_ROLE).
   Tokens that reach the engine any other way are not in any ledger and never paid.

2. Epochs. Epoch e (1-based) covers [start + (e-1)·L, start + e·L), L = `epoch_seconds` (one day).
   After it ends the oracle states the USD owed to eligible suppliers for it (at most
   `max_usd_per_epoch`, itself at most MAX_USD_PER_EPOCH_LIMIT); epochs are stated in order, each
   once. The guardian may pause new statements (never settling, burning, collecting or retiring).
   The statement fixes the epoch's price (rule 7). Anyone then settles the epochs, in order:

       io_needed   = floor(usd_owed · 10**18 / price_e)     never more IO than the USD buys at its price
       from_reward = min(io_needed, reward_vault)            the Reward Vault first
       from_fee_io = min(rest, fee_io)                       then the Fee Vault's IO
       from_swap   : the Fee Vault's USDC (held by the FeeVaultDesk) buys the IO still missing,
                     bounded by the epoch's own price (no pool read):
                     budget  = min(fee_usdc, max_swap_usdc)        (no trade below MIN_SWAP_USDC)
                     max_in  = floor(floor(missing · price_e / 10**18) · (1 + slippage))
                     if MIN_SWAP_USDC <= max_in <= budget: EXACT-OUTPUT `missing` IO
                     elif max_in > budget:                 EXACT-INPUT `budget` USDC; IO beyond
                                                           `missing` stays in fee_io
                     else: no trade (dust)
                     every trade stops at the price limit price_e · (1 + slippage), the pool's fee
                     included: it fills what it can and never reverts for a market reason; the Fee
                     Vault never pays more for an IO than the price the epoch is valued at
       shortfall_io  = what is still missing;  shortfall_usd = ceil(shortfall_io · price_e / 10**18) (<= usd_owed)
       io_released = from_reward + from_fee_io + from_swap, sent to the RewardsDistributor at once.

   A shortfall is recorded (event, view), never minted, borrowed or carried as a debt: the epoch
   is final, and the rewards engine splits what was released pro rata to each device's USD.

3. Fee revenue in USD. Each collection is valued when it arrives: usdc + floor(io · twap / 10**18);
   the USD collected since the previous settlement is booked to the epoch being settled.

4. Trailing statistics (the last TRAILING_EPOCHS = 30 settled epochs): the sums of USD owed, of
   fee USD and of IO needed, and their count n = min(settled epochs, 30).

       sustainability_ratio_bps = floor(trailing_fee_usd · 10_000 / trailing_usd_owed)  (0 if no payouts)
       reserve_target_usd       = ceil(reserve_epochs · trailing_usd_owed / n)           (0 if n == 0)
       retire_buffer_io         = ceil(retire_buffer_epochs · trailing_io_needed / n)    (all of it if n == 0)

   i.e. `reserve_epochs` (30) times the trailing average daily payout, in USD; and
   `retire_buffer_epochs` (90) times the trailing average daily IO need, in IO at the prices the
   epochs were actually settled at (no price read when retiring).

5. Buyback-and-burn of the surplus, anyone, once per settled epoch, only when every stated epoch is
   settled. The reserve is held in USDC first (the stable half is the counter-cyclical buffer):

       usdc_reserved = min(fee_usdc, reserve_target_usd)
       io_reserved   = min(fee_io, ceil((reserve_target_usd - usdc_reserved) · 10**18 / twap))
       usdc_to_buy   = min(floor((fee_usdc - usdc_reserved) · burn_share_bps / 10_000), max_swap_usdc)
                       (no trade below MIN_SWAP_USDC: it waits for a later epoch)
       io_to_burn    = floor((fee_io - io_reserved) · burn_share_bps / 10_000)

   `usdc_to_buy` buys IO (EXACT-INPUT up to the price limit: partly, or not at all) and everything
   bought is burned; `io_to_burn` is burned without a trade. A burn that could neither buy nor burn
   anything changes nothing (it may be called again). Price adaptivity by construction: a
   fixed USD amount buys more IO when the price is low, and the IO kept in reserve is valued at the
   TWAP, so a lower price keeps more IO back.

6. Retirement: governance burns Reward Vault IO above the retirement buffer (`retirable()`).

7. Prices. An epoch's price is fixed by its statement, whoever states and whenever: the pool's TWAP
   over the window that ended at the epoch's close, clamped to within `max_price_move_bps` of the
   previous epoch's price (epoch 0: the TWAP at activation); when the pool's history no longer reaches
   back to the close, the previous price is carried (PRICE_CARRIED), never a spot price. An engine
   activated before its pool could serve the window has no reference: epoch 1 pays at its close TWAP
   unclamped, and its statement is refused while the pool cannot serve that window either. A top-up
   trades at most at its epoch's price plus the slippage, a buyback at the last settled epoch's
   (which also values the reserve): neither reads the pool. Only collecting fee IO and the `price`
   view read the TWAP of the window ending now ("pool history shorter than window" when the pool
   cannot serve it). No deviation check: a trade's price limit bounds it instead. The engine never sells IO: every trade
   buys IO with USDC.

Swaps are injected (`Swap`): a callable that performs the trade the engine asks for and returns the
pool's fill (USDC paid, IO received), possibly partial, never raising for a market reason. The
simulator passes its constant-product pool; the chain differential test passes the real pool's
results. The model checks every fill against its bound itself (invariant 4).

Invariants (the contract's @dev lists the same, tested by name in tests/unit/test_ide_model.py):
    1. released_le_sources: IO released <= IO emitted + IO fees + IO bought; exactly:
       reward_vault + fee_io + released + burned + retired == emitted + fee_io_in + bought.
    2. reward_vault_first: a settlement takes Fee Vault IO only when the Reward Vault is empty, and
       Fee Vault USDC only when the Fee Vault's IO is empty too.
    3. burns_accounted: every burn lowers the supply by exactly its amount and is counted once
       (burned_by_buyback + burned_fee_io + retired == the engine's burns); total minted never changes.
    4. twap_bound: every trade pays at most p · (1 + slippage) per IO, fee included, p the epoch's
       price (a burn: the last settled epoch's).
    5. fee_vault_covered: fee_usdc, fee_io >= 0; USDC spent == USDC in - fee_usdc; no burn while a
       stated epoch is unsettled (a settled epoch is paid in the settlement, nothing stays owed).
    6. burn_share_ge_half: 5_000 <= burn_share_bps <= 10_000, always.
    7. emission_ceiling: released_from_reward + retired + reward_vault == emitted.
    8. ordered_epochs: last_settled <= last_stated; every stated usd_owed <= max_usd_per_epoch then.
    9. price_fixed_by_epoch: each epoch's price is written once, at its statement, within
       max_price_move_bps of the previous epoch's price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BPS = 10_000
IO = 10**18  # wei per IO; also the base of a price (USDC units per 10**18 wei)
USD = 10**6  # USD/USDC base units per dollar

TRAILING_EPOCHS = 30
MIN_BURN_SHARE_BPS = 5_000
RETIREMENT_TARGET = 115_000_000 * IO  # published: retire at least 115M of the 231M not yet emitted
MIN_SWAP_USDC = 1 * USD  # below this the engine does not trade (dust would fail the pool's rounding)
MAX_RESERVE_EPOCHS = 365
MAX_RETIRE_BUFFER_EPOCHS = 730
# The most governance may allow the oracle to state per epoch: $1 trillion, so that a stated amount
# always fits its 64-bit field on chain (the contract's storage layout).
MAX_USD_PER_EPOCH_LIMIT = 10**12 * USD
# The market bounds: the engine's window and price move, the FeeVaultDesk's slippage.
MIN_TWAP_WINDOW = 300
MAX_TWAP_WINDOW = 86_400
MAX_SLIPPAGE_LIMIT_BPS = 500
MIN_PRICE_MOVE_BPS = 10
MAX_PRICE_MOVE_BPS = 5_000
LN_TICK_E12 = 99_995_001  # ln(1.0001) rounded up, in 1e-12 units
E12 = 10**12

# How an epoch's price was fixed (the contract's PRICE_* constants).
PRICE_AT_TWAP = 0
PRICE_CLAMPED_UP = 1
PRICE_CLAMPED_DOWN = 2
PRICE_CARRIED = 3

# Swap kinds. The engine only ever buys IO with USDC.
EXACT_INPUT = "exact_input"
EXACT_OUTPUT = "exact_output"
USDC_TO_IO = "usdc_to_io"

# Revert reasons (exactly the contract's).
R_MISSING_ROLE = "access_control: account is missing role"
R_PAUSED = "pausable: contract is paused"
R_NOT_PAUSED = "pausable: contract is not paused"
R_WINDOW_BOUNDS = "IncentiveEngine: window out of bounds"
R_MOVE_BOUNDS = "IncentiveEngine: price move out of bounds"
R_HISTORY = "IncentiveEngine: pool history shorter than window"
R_SLIPPAGE_BOUNDS = "FeeVaultDesk: slippage out of bounds"
R_SLIPPAGE_FEE = "FeeVaultDesk: slippage not above the pool fee"
R_DESK_NOT_BOUND = "IncentiveEngine: desk not bound to this engine"
R_NO_CLOSE_WINDOW = "IncentiveEngine: pool history cannot serve the epoch's window"
R_ZERO_PRICE = "IncentiveEngine: zero price"
R_ALREADY_STATED = "IncentiveEngine: epoch already stated"
R_OUT_OF_ORDER = "IncentiveEngine: epoch out of order"
R_NOT_ENDED = "IncentiveEngine: epoch not ended"
R_ABOVE_MAX = "IncentiveEngine: usd owed above maximum"
R_ALREADY_SETTLED = "IncentiveEngine: epoch already settled"
R_NOT_STATED = "IncentiveEngine: epoch not stated"
R_NOT_SETTLED = "IncentiveEngine: epoch not settled"
R_ALREADY_BURNED = "IncentiveEngine: already burned this epoch"
R_NO_SURPLUS = "IncentiveEngine: no surplus"
R_ZERO_AMOUNT = "IncentiveEngine: zero amount"
R_ABOVE_RETIRABLE = "IncentiveEngine: amount above retirable"
R_ZERO_MAXIMUM = "IncentiveEngine: zero maximum"
R_MAXIMUM_TOO_LARGE = "IncentiveEngine: maximum too large"
R_SHARE_BELOW_MIN = "IncentiveEngine: burn share below minimum"
R_SHARE_ABOVE_MAX = "IncentiveEngine: burn share above maximum"
R_RESERVE_BOUNDS = "IncentiveEngine: reserve epochs out of bounds"
R_BUFFER_BOUNDS = "IncentiveEngine: retire buffer out of bounds"
R_ZERO_EPOCH_LENGTH = "IncentiveEngine: zero epoch length"
R_NOT_ACTIVE = "IncentiveEngine: not active"
R_ALREADY_ACTIVE = "IncentiveEngine: already active"
R_NOT_RECIPIENT = "IncentiveEngine: not the emission recipient"
# Construction on chain only (addresses the model does not hold):
R_ZERO_ADDRESS = "IncentiveEngine: zero address"
R_WRONG_POOL = "IncentiveEngine: pool does not pair io and usdc"

# Roles (snekmate access_control): governance (the timelock) holds DEFAULT_ADMIN_ROLE; the reward
# oracle ORACLE_ROLE; the guardian PAUSER_ROLE (it stops new statements, nothing else).
GOVERNANCE = "DEFAULT_ADMIN_ROLE"
ORACLE = "ORACLE_ROLE"
PAUSER = "PAUSER_ROLE"


class IDEError(Exception):
    """A call the contract would revert; the message is the contract's reason string."""


def _require(cond: bool, reason: str) -> None:
    if not cond:
        raise IDEError(reason)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# ------------------------------------------------------------------ prices and swaps
@dataclass(frozen=True)
class Price:
    """What the pool says when the engine asks for the TWAP of the window ending now: the quote of
    one IO in USDC base units per 10**18 wei. `history_ok` is False when the pool's observations do
    not cover the window (the contract then has no TWAP at all). `spot` is informational (the
    simulator's pool price); the engine never reads it."""

    twap: int
    spot: int | None = None
    history_ok: bool = True


@dataclass(frozen=True)
class SwapRequest:
    """A trade the engine asks the FeeVaultDesk for, always USDC for IO, bounded by the TWAP
    `twap` (the price limit: twap · (1 + slippage) per IO, fee included). EXACT_OUTPUT: buy up to
    `amount` IO (wei); EXACT_INPUT: sell up to `amount` USDC. `max_in` is the most USDC the trade
    may take."""

    kind: str
    amount: int
    max_in: int
    twap: int
    direction: str = USDC_TO_IO


@dataclass(frozen=True)
class Fill:
    """What the pool did: USDC paid and IO received (either may be less than asked, or zero)."""

    usdc_paid: int
    io_received: int


# The pool: given a request, returns its fill (partial at the price limit, never raising for a
# market reason).
Swap = Callable[[SwapRequest], Fill]


def twap_cost_max_in(io_amount: int, twap: int, slippage_bps: int) -> int:
    """The most USDC a purchase of `io_amount` may cost: its TWAP cost plus the slippage, each step
    rounded down (the FeeVaultDesk's `max_in`)."""
    return io_amount * twap // IO * (BPS + slippage_bps) // BPS


def within_bound(fill: Fill, twap: int, slippage_bps: int) -> bool:
    """Invariant 4 (twap_bound): the fill paid at most twap · (1 + slippage) per IO, fee included
    (one base unit of the pool's rounding allowed)."""
    return fill.usdc_paid <= ceil_div(fill.io_received * twap * (BPS + slippage_bps), IO * BPS) + 1


def slippage_ticks(slippage_bps: int, pool_fee: int) -> int:
    """The FeeVaultDesk's price limit in ticks (its `_slippage_ticks`): a lower bound of
    ln((1 + s)(1 - fee)) / ln(1.0001), less one tick of margin; refuses a slippage that leaves
    fewer than two ticks above the fee."""
    s = slippage_bps * 10**8
    f = pool_fee * 10**6
    gain = s - s * s // (2 * E12)
    cost = f + ceil_div(f * f, E12)
    _require(gain >= cost + 2 * LN_TICK_E12, R_SLIPPAGE_FEE)
    return (gain - cost) // LN_TICK_E12 - 1


def clamp_price(twap: int | None, reference: int, max_move_bps: int) -> tuple[int, int]:
    """An epoch's (price, flag): the close-window TWAP within max_move_bps of the reference (the
    previous epoch's price), or the reference carried when the pool could not serve the window."""
    if twap is None:
        return reference, PRICE_CARRIED
    low = ceil_div(reference * (BPS - max_move_bps), BPS)
    high = reference * (BPS + max_move_bps) // BPS
    if twap < low:
        return low, PRICE_CLAMPED_UP
    if twap > high:
        return high, PRICE_CLAMPED_DOWN
    return twap, PRICE_AT_TWAP


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class Settlement:
    """One settled epoch: what was owed, at which price, where the IO came from."""

    epoch: int
    usd_owed: int
    twap: int
    io_needed: int
    from_reward_vault: int
    from_fee_io: int
    from_fee_usdc_swap: int
    usdc_spent: int
    io_bought: int
    shortfall_io: int
    shortfall_usd: int
    fee_usd: int

    @property
    def io_released(self) -> int:
        return self.from_reward_vault + self.from_fee_io + self.from_fee_usdc_swap

    @property
    def usd_paid(self) -> int:
        """The USD value of what was released (the target less the shortfall)."""
        return self.usd_owed - self.shortfall_usd


@dataclass(frozen=True)
class Burn:
    epoch: int
    twap: int
    reserve_target_usd: int
    usdc_spent: int
    io_bought_burned: int
    io_fee_burned: int

    @property
    def io_burned(self) -> int:
        return self.io_bought_burned + self.io_fee_burned


@dataclass
class Params:
    """Governance parameters and their defaults (docs/incentive-engine.md: published / our default)."""

    epoch_seconds: int = 86_400  # our default: one day (immutable)
    max_usd_per_epoch: int = 100_000 * USD  # our default: a compromised oracle drains at most this a day
    burn_share_bps: int = 5_000  # published: at least 50 % of the surplus
    reserve_epochs: int = 30  # our default: 30 days of trailing payouts
    retire_buffer_epochs: int = 90  # our default: 90 days of trailing payouts
    max_swap_usdc: int = 25_000 * USD  # our default: the most one trade may spend (the price limit may stop it sooner)
    max_slippage_bps: int = 100  # our default (market): a trade pays at most 1 % above the TWAP, fee included
    twap_window_seconds: int = 1_800  # our default (market): the TWAP is averaged over 30 minutes
    max_price_move_bps: int = 1_000  # our default: an epoch's price moves at most 10 % from the last
    pool_fee: int = 3_000  # the IO/USDC pool's fee tier (hundredths of a bp): 0.3 %


# ------------------------------------------------------------------ the engine
@dataclass
class IncentiveEngine:
    """The contract's state and operations. Roles: `governance` (DEFAULT_ADMIN_ROLE), `oracle`
    (ORACLE_ROLE) and `pauser` (PAUSER_ROLE, default: governance); every other operation is open to
    anyone.

    `start_time` is the start of epoch 1. The contract is deployed inactive and learns it at
    `activate` (the moment it becomes the EmissionSchedule's recipient: the end of the last hourly
    emission epoch that went to the RewardsDistributor); `start_time=None` models that inactive
    engine, any other value an engine already active."""

    governance: str
    oracle: str
    start_time: int | None
    params: Params = field(default_factory=Params)
    pauser: str = ""
    paused: bool = False
    # the activation's reference price (epoch 0's price) of an engine modelled as already active
    reference_price: int = 0

    # vault ledgers
    reward_vault: int = 0  # IO
    fee_usdc: int = 0  # USDC
    fee_io: int = 0  # IO
    pending_fee_usd: int = 0  # fee USD collected since the last settlement
    # epochs
    last_stated: int = 0
    last_settled: int = 0
    last_burn_epoch: int = 0
    usd_owed: dict[int, int] = field(default_factory=dict)  # stated epochs
    # epoch -> (price, flag), written by the statement; epoch 0: the reference taken at activation
    prices: dict[int, tuple[int, int]] = field(default_factory=dict)
    settlements: dict[int, Settlement] = field(default_factory=dict)
    # trailing sums over the last TRAILING_EPOCHS settled epochs
    trailing_usd_owed: int = 0
    trailing_fee_usd: int = 0
    trailing_io_needed: int = 0
    # cumulative counters (never decrease)
    emitted_in: int = 0
    fee_usdc_in: int = 0
    fee_io_in: int = 0
    fee_usd_in: int = 0
    released_from_reward: int = 0
    released_from_fee_io: int = 0
    released_from_swap: int = 0
    usdc_spent_topup: int = 0
    io_bought_topup: int = 0
    usdc_spent_buyback: int = 0
    burned_by_buyback: int = 0  # = IO bought back (all of it is burned)
    burned_fee_io: int = 0
    retired: int = 0
    shortfall_usd_total: int = 0
    shortfall_epochs: int = 0
    # what the contract would log, in order: (event name, fields)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        p = self.params
        _require(p.epoch_seconds > 0, R_ZERO_EPOCH_LENGTH)
        _require(p.max_usd_per_epoch > 0, R_ZERO_MAXIMUM)
        _require(p.max_swap_usdc > 0, R_ZERO_MAXIMUM)
        _require(p.burn_share_bps >= MIN_BURN_SHARE_BPS, R_SHARE_BELOW_MIN)
        _require(p.burn_share_bps <= BPS, R_SHARE_ABOVE_MAX)
        _require(0 < p.reserve_epochs <= MAX_RESERVE_EPOCHS, R_RESERVE_BOUNDS)
        _require(0 < p.retire_buffer_epochs <= MAX_RETIRE_BUFFER_EPOCHS, R_BUFFER_BOUNDS)
        _require(p.max_usd_per_epoch <= MAX_USD_PER_EPOCH_LIMIT, R_MAXIMUM_TOO_LARGE)
        _require(MIN_TWAP_WINDOW <= p.twap_window_seconds <= MAX_TWAP_WINDOW, R_WINDOW_BOUNDS)
        _require(MIN_PRICE_MOVE_BPS <= p.max_price_move_bps <= MAX_PRICE_MOVE_BPS, R_MOVE_BOUNDS)
        _require(0 < p.max_slippage_bps <= MAX_SLIPPAGE_LIMIT_BPS, R_SLIPPAGE_BOUNDS)
        self.slippage_ticks = slippage_ticks(p.max_slippage_bps, p.pool_fee)
        if self.start_time is not None:  # modelled as already active: its activation's reference price
            self.prices[0] = (self.reference_price, PRICE_AT_TWAP)  # 0: none (the pool had no history)
        self.roles = {GOVERNANCE: {self.governance}, ORACLE: {self.oracle}, PAUSER: {self.pauser or self.governance}}

    @property
    def active(self) -> bool:
        return self.start_time is not None

    # ------------------------------------------------------------ helpers
    def _only(self, role: str, caller: str) -> None:
        _require(caller in self.roles[role], R_MISSING_ROLE)

    def _log(self, name: str, **fields: Any) -> None:
        self.events.append((name, fields))

    def _checked_twap(self, price: Price | None) -> int:
        """The TWAP of the window ending now, in the contract's order: history, zero."""
        _require(price is not None and price.history_ok, R_HISTORY)
        assert price is not None
        _require(price.twap > 0, R_ZERO_PRICE)
        return price.twap

    def _trade(self, swap: Swap, kind: str, amount: int, max_in: int, twap: int) -> Fill:
        """One purchase through the FeeVaultDesk; the fill is checked against every bound."""
        fill = swap(SwapRequest(kind, amount, max_in, twap))
        assert 0 <= fill.usdc_paid <= max_in, f"trade took {fill.usdc_paid} > {max_in}"
        if kind == EXACT_OUTPUT:
            assert fill.io_received <= amount, "exact output delivered more than asked"
        assert within_bound(fill, twap, self.params.max_slippage_bps), f"trade outside the TWAP bound: {fill}"
        return fill

    def epoch_price(self, epoch: int) -> int:
        """The price an epoch pays at (0 for an epoch not stated; epoch 0: the activation reference)."""
        return self.prices.get(epoch, (0, 0))[0]

    def epoch_end(self, epoch: int) -> int:
        _require(self.start_time is not None, R_NOT_ACTIVE)
        assert self.start_time is not None
        return self.start_time + epoch * self.params.epoch_seconds

    # ------------------------------------------------------------ activation and pause
    def activate(self, caller: str, start_time: int, reference: Price | None = None, is_recipient: bool = True) -> None:
        """Governance switches the network to the IDE, once, after making the engine the
        EmissionSchedule's recipient (`is_recipient`). The contract fixes `start_time` itself: the end
        of the last completed hourly emission epoch (what was emitted before it belongs to the
        RewardsDistributor, and the engine forwards it there; from then on the emission is the
        Reward Vault's)."""
        self._only(GOVERNANCE, caller)
        _require(not self.active, R_ALREADY_ACTIVE)
        _require(is_recipient, R_NOT_RECIPIENT)
        ref = 0  # no reference when the pool cannot serve the window yet: epoch 1 then pays unclamped
        if reference is not None and reference.history_ok:
            ref = self._checked_twap(reference)
        self.start_time = start_time
        self.prices[0] = (ref, PRICE_AT_TWAP)
        self._log("Activated", start_time=start_time, reference_price=ref)

    def pause(self, caller: str) -> None:
        """The guardian stops new statements (a compromised oracle key); everything already stated
        is still settled, and settling, burning, collecting and retiring go on."""
        self._only(PAUSER, caller)
        _require(not self.paused, R_PAUSED)
        self.paused = True
        self._log("Paused", account=caller)

    def unpause(self, caller: str) -> None:
        self._only(GOVERNANCE, caller)
        _require(self.paused, R_NOT_PAUSED)
        self.paused = False
        self._log("Unpaused", account=caller)

    # ------------------------------------------------------------ inflows
    def receive_emission(self, amount: int) -> None:
        """Emission minted to the engine (the EmissionSchedule's recipient) enters the Reward Vault
        (the contract's `sync_emission`, by anyone, and inside `settle` when the Reward Vault is
        short)."""
        _require(self.active, R_NOT_ACTIVE)
        if amount == 0:
            return
        self.reward_vault += amount
        self.emitted_in += amount
        self._log("EmissionReceived", amount=amount, reward_vault=self.reward_vault, total_emitted_in=self.emitted_in)

    def collect_fees(self, usdc: int, io: int, price: Price | None = None) -> int:
        """Fees collected from the router enter the Fee Vault. Anyone. IO is valued at the TWAP
        (history checked, no trade so no deviation check); USDC at par. Returns the USD value,
        rounded down (revenue is never overstated). Nothing to collect: nothing happens."""
        _require(self.active, R_NOT_ACTIVE)
        if usdc == 0 and io == 0:
            return 0
        usd = usdc
        if io > 0:
            usd += io * self._checked_twap(price) // IO
        self.fee_usdc += usdc
        self.fee_io += io
        self.fee_usdc_in += usdc
        self.fee_io_in += io
        self.fee_usd_in += usd
        self.pending_fee_usd += usd
        self._log("FeesCollected", usdc=usdc, io=io, usd_value=usd, fee_usdc=self.fee_usdc, fee_io=self.fee_io)
        return usd

    # ------------------------------------------------------------ oracle
    def state_epoch(self, caller: str, epoch: int, usd_owed: int, now: int, close_twap: int | None = None) -> None:
        """The oracle states the USD owed to eligible suppliers for an ended epoch (in order, once),
        which fixes the epoch's price: `close_twap` is the pool's TWAP over the window that ended at
        the epoch's close (None: the pool's history no longer reaches back to it)."""
        self._only(ORACLE, caller)
        _require(self.active, R_NOT_ACTIVE)
        _require(not self.paused, R_PAUSED)
        _require(epoch > self.last_stated, R_ALREADY_STATED)
        _require(epoch == self.last_stated + 1, R_OUT_OF_ORDER)
        _require(now >= self.epoch_end(epoch), R_NOT_ENDED)
        _require(usd_owed <= self.params.max_usd_per_epoch, R_ABOVE_MAX)
        reference = self.epoch_price(epoch - 1)
        if reference == 0:  # no reference yet (activation without history): the close TWAP, unclamped
            _require(close_twap is not None, R_NO_CLOSE_WINDOW)
            assert close_twap is not None
            _require(close_twap > 0, R_ZERO_PRICE)
            price, flag = close_twap, PRICE_AT_TWAP
        else:
            price, flag = clamp_price(close_twap, reference, self.params.max_price_move_bps)
        self.usd_owed[epoch] = usd_owed
        self.prices[epoch] = (price, flag)
        self.last_stated = epoch
        self._log("EpochStated", epoch=epoch, usd_owed=usd_owed, twap_price=close_twap or 0, reference_price=reference,
                  price=price, price_flag=flag)

    # ------------------------------------------------------------ settlement (anyone)
    def settle(self, epoch: int, swap: Swap, emission_due: int = 0) -> Settlement:
        """Pays the epoch's USD owed in IO at the epoch's price: Reward Vault, then Fee Vault IO,
        then Fee Vault USDC swapped to IO up to the price limit of the epoch's own price plus the
        slippage (no pool read: the Fee Vault never pays more for an IO than the price the epoch is
        valued at); records any shortfall. The IO goes to the RewardsDistributor.

        When the Reward Vault holds less than the IO needed, the contract first syncs the emission
        (`mint_due`, then the rise of `total_emitted`): `emission_due` is what that sync finds, so
        the Fee Vault is never drawn while emitted IO waits outside the Reward Vault. When the vault
        already covers the epoch nothing is synced (settling stays cheap; anyone syncs any time)."""
        _require(epoch > self.last_settled, R_ALREADY_SETTLED)
        _require(epoch == self.last_settled + 1, R_OUT_OF_ORDER)
        _require(epoch <= self.last_stated, R_NOT_STATED)
        twap = self.epoch_price(epoch)
        owed = self.usd_owed[epoch]
        need = owed * IO // twap  # floor: never more IO than the USD owed buys at the epoch's price

        synced = emission_due if need > self.reward_vault else 0
        reward_vault = self.reward_vault + synced
        from_reward = min(need, reward_vault)
        missing = need - from_reward
        from_fee_io = min(missing, self.fee_io)
        missing -= from_fee_io

        usdc_spent = bought = from_swap = 0
        budget = min(self.fee_usdc, self.params.max_swap_usdc)
        if missing > 0 and budget >= MIN_SWAP_USDC:
            max_in = twap_cost_max_in(missing, twap, self.params.max_slippage_bps)
            if max_in >= MIN_SWAP_USDC:
                if max_in <= budget:
                    fill = self._trade(swap, EXACT_OUTPUT, missing, budget, twap)
                else:
                    fill = self._trade(swap, EXACT_INPUT, budget, budget, twap)
                usdc_spent, bought = fill.usdc_paid, fill.io_received
            from_swap = min(bought, missing)
            missing -= from_swap

        # Nothing above wrote state.
        if synced:
            self.receive_emission(synced)
        self.reward_vault -= from_reward
        self.fee_io += bought - from_swap - from_fee_io  # an exact-input fill beyond the need stays in the vault
        self.fee_usdc -= usdc_spent

        shortfall_usd = min(owed, ceil_div(missing * twap, IO)) if missing else 0
        fee_usd = self.pending_fee_usd
        self.pending_fee_usd = 0

        # trailing window: drop the epoch that leaves it, add this one
        old = self.settlements.get(epoch - TRAILING_EPOCHS)
        if old is not None:
            self.trailing_usd_owed -= old.usd_owed
            self.trailing_fee_usd -= old.fee_usd
            self.trailing_io_needed -= old.io_needed
        self.trailing_usd_owed += owed
        self.trailing_fee_usd += fee_usd
        self.trailing_io_needed += need

        s = Settlement(epoch, owed, twap, need, from_reward, from_fee_io, from_swap, usdc_spent, bought,
                       missing, shortfall_usd, fee_usd)
        self.settlements[epoch] = s
        self.last_settled = epoch
        self.released_from_reward += from_reward
        self.released_from_fee_io += from_fee_io
        self.released_from_swap += from_swap
        self.usdc_spent_topup += usdc_spent
        self.io_bought_topup += bought
        if missing:
            self.shortfall_usd_total += shortfall_usd
            self.shortfall_epochs += 1
        self._log("EpochSettled", epoch=epoch, usd_owed=owed, twap_price=twap, io_needed=need,
                  from_reward_vault=from_reward, from_fee_io=from_fee_io, from_fee_usdc_swap=from_swap,
                  usdc_spent=usdc_spent, io_bought=bought, shortfall_io=missing, shortfall_usd=shortfall_usd,
                  fee_usd=fee_usd, reward_vault=self.reward_vault, fee_usdc=self.fee_usdc, fee_io=self.fee_io)
        if missing:
            self._log("ShortfallRecorded", epoch=epoch, shortfall_usd=shortfall_usd, shortfall_io=missing,
                      total_shortfall_usd=self.shortfall_usd_total)
        return s

    # ------------------------------------------------------------ trailing views
    @property
    def trailing_count(self) -> int:
        return min(self.last_settled, TRAILING_EPOCHS)

    def sustainability_ratio_bps(self) -> int:
        """Fee revenue in USD over supplier payouts (USD owed) in USD, last 30 settled epochs, bps,
        rounded down; 0 while there are no payouts (undefined: read `trailing_usd_owed`)."""
        if self.trailing_usd_owed == 0:
            return 0
        return self.trailing_fee_usd * BPS // self.trailing_usd_owed

    def reserve_target_usd(self) -> int:
        """`reserve_epochs` × the trailing average USD owed per epoch, rounded up (keeps more)."""
        n = self.trailing_count
        return ceil_div(self.params.reserve_epochs * self.trailing_usd_owed, n) if n else 0

    def retire_buffer_io(self) -> int:
        """`retire_buffer_epochs` × the trailing average IO needed per epoch, rounded up. Before the
        first settlement there is no history: the whole Reward Vault is buffer."""
        n = self.trailing_count
        if n == 0:
            return self.reward_vault
        return ceil_div(self.params.retire_buffer_epochs * self.trailing_io_needed, n)

    def retirable(self) -> int:
        return max(0, self.reward_vault - self.retire_buffer_io())

    # ------------------------------------------------------------ surplus views (at a price)
    def reserve_split(self, twap: int) -> tuple[int, int]:
        """(USDC, IO) of the Fee Vault held back as the reserve: USDC first, then IO at the TWAP."""
        target = self.reserve_target_usd()
        usdc_reserved = min(self.fee_usdc, target)
        io_reserved = min(self.fee_io, ceil_div((target - usdc_reserved) * IO, twap))
        return usdc_reserved, io_reserved

    def burn_amounts(self, twap: int) -> tuple[int, int]:
        """(USDC that buys IO to burn, IO burned without a trade) a burn would use at this price."""
        usdc_reserved, io_reserved = self.reserve_split(twap)
        share = self.params.burn_share_bps
        usdc_to_buy = min((self.fee_usdc - usdc_reserved) * share // BPS, self.params.max_swap_usdc)
        if usdc_to_buy < MIN_SWAP_USDC:
            usdc_to_buy = 0
        io_to_burn = (self.fee_io - io_reserved) * share // BPS
        return usdc_to_buy, io_to_burn

    def fee_vault_usd(self, twap: int) -> int:
        return self.fee_usdc + self.fee_io * twap // IO

    def can_burn(self) -> bool:
        return self.last_settled > 0 and self.last_stated == self.last_settled and \
            self.last_burn_epoch < self.last_settled

    # ------------------------------------------------------------ buyback and burn (anyone)
    def buyback_and_burn(self, swap: Swap) -> Burn | None:
        """Burns `burn_share` of the Fee Vault's surplus above the reserve target, valued at the last
        settled epoch's price: surplus USDC buys IO through the pool up to that price plus the
        slippage (all of it burned), surplus IO is burned without a trade. None when nothing could
        be bought or burned (no state changes: it may be repeated)."""
        _require(self.last_settled > 0 and self.last_stated == self.last_settled, R_NOT_SETTLED)
        _require(self.last_burn_epoch < self.last_settled, R_ALREADY_BURNED)
        twap = self.epoch_price(self.last_settled)
        usdc_to_buy, io_to_burn = self.burn_amounts(twap)
        _require(usdc_to_buy > 0 or io_to_burn > 0, R_NO_SURPLUS)
        spent = bought = 0
        if usdc_to_buy:
            fill = self._trade(swap, EXACT_INPUT, usdc_to_buy, usdc_to_buy, twap)
            spent, bought = fill.usdc_paid, fill.io_received
        if spent == 0 and io_to_burn == 0:
            return None
        self.fee_usdc -= spent
        self.fee_io -= io_to_burn
        self.usdc_spent_buyback += spent
        self.burned_by_buyback += bought
        self.burned_fee_io += io_to_burn
        self.last_burn_epoch = self.last_settled
        b = Burn(self.last_settled, twap, self.reserve_target_usd(), spent, bought, io_to_burn)
        self._log("BoughtBackAndBurned", epoch=b.epoch, twap_price=twap, reserve_target_usd=b.reserve_target_usd,
                  usdc_spent=spent, io_bought_burned=bought, io_fee_burned=io_to_burn,
                  fee_usdc=self.fee_usdc, fee_io=self.fee_io)
        return b

    # ------------------------------------------------------------ governance
    def retire(self, caller: str, amount: int) -> None:
        """Burns Reward Vault IO that payouts did not need, above the retirement buffer."""
        self._only(GOVERNANCE, caller)
        _require(amount > 0, R_ZERO_AMOUNT)
        _require(amount <= self.retirable(), R_ABOVE_RETIRABLE)
        self.reward_vault -= amount
        self.retired += amount
        self._log("EmissionRetired", amount=amount, reward_vault=self.reward_vault, total_retired=self.retired)

    def _set(self, caller: str, name: str, value: int, checks: tuple[tuple[bool, str], ...]) -> None:
        self._only(GOVERNANCE, caller)
        for ok, reason in checks:
            _require(ok, reason)
        old = getattr(self.params, name)
        setattr(self.params, name, value)
        self._log(f"{''.join(w.title() for w in name.split('_'))}Updated", old=old, new=value)

    def set_max_usd_per_epoch(self, caller: str, value: int) -> None:
        self._set(caller, "max_usd_per_epoch", value,
                  ((value > 0, R_ZERO_MAXIMUM), (value <= MAX_USD_PER_EPOCH_LIMIT, R_MAXIMUM_TOO_LARGE)))

    def set_max_swap_usdc(self, caller: str, value: int) -> None:
        self._set(caller, "max_swap_usdc", value, ((value > 0, R_ZERO_MAXIMUM),))

    def set_burn_share_bps(self, caller: str, value: int) -> None:
        self._set(caller, "burn_share_bps", value,
                  ((value >= MIN_BURN_SHARE_BPS, R_SHARE_BELOW_MIN), (value <= BPS, R_SHARE_ABOVE_MAX)))

    def set_reserve_epochs(self, caller: str, value: int) -> None:
        self._set(caller, "reserve_epochs", value, ((0 < value <= MAX_RESERVE_EPOCHS, R_RESERVE_BOUNDS),))

    def set_retire_buffer_epochs(self, caller: str, value: int) -> None:
        self._set(caller, "retire_buffer_epochs", value,
                  ((0 < value <= MAX_RETIRE_BUFFER_EPOCHS, R_BUFFER_BOUNDS),))

    def set_market_bounds(self, caller: str, twap_window: int, max_slippage_bps: int, max_price_move_bps: int) -> None:
        """The TWAP window and the price move (the engine's, checked first), then the slippage (the
        FeeVaultDesk's bound and reasons), all or nothing."""
        self._only(GOVERNANCE, caller)
        _require(MIN_TWAP_WINDOW <= twap_window <= MAX_TWAP_WINDOW, R_WINDOW_BOUNDS)
        _require(MIN_PRICE_MOVE_BPS <= max_price_move_bps <= MAX_PRICE_MOVE_BPS, R_MOVE_BOUNDS)
        _require(0 < max_slippage_bps <= MAX_SLIPPAGE_LIMIT_BPS, R_SLIPPAGE_BOUNDS)
        ticks = slippage_ticks(max_slippage_bps, self.params.pool_fee)
        p = self.params
        self._log("TwapWindowUpdated", old_seconds=p.twap_window_seconds, new_seconds=twap_window)
        self._log("MaxPriceMoveUpdated", old=p.max_price_move_bps, new=max_price_move_bps)
        self._log("MaxSlippageUpdated", old_bps=p.max_slippage_bps, new_bps=max_slippage_bps, slippage_ticks=ticks)
        p.twap_window_seconds, p.max_slippage_bps = twap_window, max_slippage_bps
        p.max_price_move_bps = max_price_move_bps
        self.slippage_ticks = ticks

    # ------------------------------------------------------------ dashboard totals
    @property
    def released(self) -> int:
        return self.released_from_reward + self.released_from_fee_io + self.released_from_swap

    @property
    def burned(self) -> int:
        """Everything the engine burned: bought back, fee IO, retired emission."""
        return self.burned_by_buyback + self.burned_fee_io + self.retired

    @property
    def io_bought(self) -> int:
        return self.io_bought_topup + self.burned_by_buyback

    def retirement_progress_bps(self) -> int:
        return self.retired * BPS // RETIREMENT_TARGET

    def check_invariants(self) -> None:
        """The contract's invariants 1, 5, 6, 7, 8 on the current state (2, 3, 4 are per operation)."""
        assert self.reward_vault >= 0 and self.fee_io >= 0 and self.fee_usdc >= 0, "negative ledger"
        # 1. released_le_sources (conservation of IO through the engine)
        assert self.reward_vault + self.fee_io + self.released + self.burned == \
            self.emitted_in + self.fee_io_in + self.io_bought, "IO not conserved"
        assert self.released <= self.emitted_in + self.fee_io_in + self.io_bought
        # 5. fee_vault_covered (USDC)
        assert self.fee_usdc + self.usdc_spent_topup + self.usdc_spent_buyback == self.fee_usdc_in, "USDC"
        # 6. burn_share_ge_half
        assert MIN_BURN_SHARE_BPS <= self.params.burn_share_bps <= BPS
        # 7. emission_ceiling
        assert self.released_from_reward + self.retired + self.reward_vault == self.emitted_in, "emission"
        # 8. ordered_epochs
        assert self.last_burn_epoch <= self.last_settled <= self.last_stated
        # 9. price_fixed_by_epoch (within the hard limit of the move; governance may change the bound)
        for e in range(1, self.last_stated + 1):
            ref, price = self.epoch_price(e - 1), self.epoch_price(e)
            assert ceil_div(ref * (BPS - MAX_PRICE_MOVE_BPS), BPS) <= price <= ref * (BPS + MAX_PRICE_MOVE_BPS) // BPS

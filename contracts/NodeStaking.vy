# pragma version ~=0.4.3
"""
@title IO Node Staking
@custom:contract-name NodeStaking
@license GNU Affero General Public License v3.0 only
@notice Holds every staked IO of the network. Each device (a GPU or CPU machine, a `bytes32` id)
        is registered by its owner with a device class, a processor count and a reward wallet;
        it is eligible for rewards and jobs while the stake not in cooldown meets
        `min_stake = 200 IO * max(1.0, class multiplier) * processors`, its class is supported
        (multiplier > 0) and it is not jailed. The owner may offer up to 50 % of the device's
        stake to one co-staker, who earns a fixed share of the device's rewards; the co-staker
        accepts (deposits) or declines, and holds at most 2 accepted co-stakes at a time. A
        co-stake never counts for more than the owner's own active stake: when the owner's
        active stake falls below it (an unstake), the co-stake is pushed out into its cooldown.
        Unstaking goes through a 14-day cooldown (co-stakers first wait 7 days). A slasher takes
        IO pro rata from owner and co-staker, stake in wait or cooldown included, into a 30-day
        appeal escrow: governance may overturn it (the IO goes back), otherwise anyone finalizes
        it and it is burned. `totals()` shows every IO the contract holds, by kind.
@dev Storage layout. Hot per-device state is packed by hand into a few words (Vyper does not pack
     structs) so that stake, unstake, withdraw and slash touch as few slots as possible. Each
     packed word is read only through its `_unpack_<word>` helper (a struct with named fields)
     and written only through its `_pack_<word>` helper; no shift or mask appears anywhere else.
     Every amount field is 96 bits: the contract only ever holds IO, whose supply is at most
     8e26 wei < 2**96 (7.9e28), so no sum of held amounts can overflow its field (`_amount96`
     asserts it where an amount comes in from outside). Times are 40 bits (year 36,812) except a
     slash's creation time (32 bits, year 2106).
       _meta[device]       owner (bits 0-159) | processors (160-191) | device index (192-223)
       _class[device]      the device class (bytes32)
       _wallet[device]     the owner's reward wallet
       _own[device]        owner active stake (0-95) | owner stake in cooldown (96-191) |
                           cooldown release time (192-231)
       _co[device]         co-staker (0-159) | reward share bps (160-175) | co state (176-183) |
                           counts until: when an exiting co-stake stops counting (184-223)
       _mark[device]       co amount (0-95; the offered amount while OFFERED, the deposit after) |
                           last slashed at (96-135) | jailed (136-143) | last slash id (144-207)
       _slash[id]          owner active part (0-95) | owner cooldown part (96-191) |
                           device index (192-223) | created at (224-255); kept after settlement
       _slash_co[id]       co-staker part (0-95) | co-staker (96-255); kept after settlement
       _slash_outcome[id]  SLASH_OVERTURNED or SLASH_FINALIZED once settled (0 while pending):
                           a slash is pending iff its record exists and its outcome is 0
       _globals            IO in the appeal escrow (0-95) | deposited co-stake, all devices
                           (96-191) | slashes ever made, the last slash id (192-239) |
                           max slash bps (240-255); never zero (max slash bps >= 1)
       _held               owner active stake, all devices (0-95) | one (255): set by the
                           constructor so that the word is never zero and the first stake ever
                           pays the same as any other. There is no running total of the owner
                           stake in cooldown: a withdrawal, the one payout every provider makes,
                           would have to write it (5,000 gas of a ~59,000-gas withdrawal); each
                           device's cooldown is in its own `_own` word, and the total is their
                           sum (`owner_stake` over `device_at(1..device_count)`, or an indexer's `Unstaked`,
                           `Withdrawn` and `Slashed` events)
       refunds_owed        IO owed by `claim_refund`, all co-stakers (a plain word: only overturns
                           and refund claims, both rare, touch it)
     The slash count is 48 bits: a slash costs more than 21,000 gas, so 2**48 of them would take
     5.9e18 gas, some 78,000 years of 30M-gas blocks every 12 s.
     A co-stake is in one of: NONE, OFFERED (nothing deposited), ACTIVE (counts, earns), EXITING.
     An EXITING co-stake counts toward the minimum (earning nothing) until its `counts_until`
     (the end of the 7-day wait, or the moment it was pushed out), then cools down for 14 days;
     both phases are a pure function of that time, so no transaction moves it (`co_stake` names
     the phase: none, offered, active, exiting, cooldown, withdrawable).
     Invariants (tests/unit/test_staking_*.py and tests/fuzz/test_staking_*.py name them):
     1. io_held: token.balanceOf(this) == Σ owner active + Σ owner cooldown + Σ deposited
        co-stakes (active, in wait or in cooldown) + escrowed + refunds owed, where Σ owner
        cooldown is the sum of every device's `owner_stake(d).cooldown` and each other sum is the
        matching field of `totals()` (IO sent to the contract by plain transfer, outside every
        function, would only add to the left side; nothing can take it out).
     2. slash_bounded: a slash never takes more than the device's slashable stake (nor more than
        max_slash_bps of it), and each stake loses at most what it holds (pro rata, sequential
        floor rounding, the remainder taken from the last bucket, which always covers it).
     3. cooldown_slashable: stake in wait or cooldown stays slashable until it is withdrawn.
     4. eligibility: is_eligible(d) == (owner active + counting co-stake >= min_stake(d)) and
        multiplier(class) > 0 and not jailed, for a registered device.
     5. co_cap: a co-stake that counts (ACTIVE, or EXITING in its wait) is never above the
        owner's active stake (so at most 50 % of the device's counting stake). An offer and its
        acceptance check it; withdraw_overflow keeps it; unstake pushes the co-stake out; a slash
        keeps it (proof at `slash`); an overturn that would break it by rounding pushes the
        co-stake out. A co-staker holds at most 2 accepted co-stakes (offers_held) until it
        withdraws them; pending offers do not count.
     6. o1: every function is O(1) in the number of devices, owners and co-stakers: no loop
        touches more than one device or one slash.
     7. burn_on_finalize: a finalized slash burns exactly its amount (total supply falls by it;
        the token's cap counts what was minted, so it never re-opens).
     8. slash_interval: two slashes of one device are at least MIN_SLASH_INTERVAL_SECONDS apart
        (whatever became of the first: overturned, finalized or pending).
     9. terms_named: a co-stake is accepted only on the terms the co-staker named (amount and
        reward share); a cancel and a new offer before the acceptance executes make it revert.
     Slash interval (issue 18). RewardsDistributor pays nothing for a device under a root that
     does not commit the device's latest slash ("slash after active root"). Were slashes
     unlimited, the slasher key could slash a device by 1 wei just before each pending root
     activates and freeze its rewards root after root, overturn or not. With one slash per
     interval I >= D + P (D the distributor's activation delay, P = 1 day the oracle's root
     period; the deploy refuses a shorter I, the constructor bounds it to 1 hour .. 30 days):
     the first root computed through a time after a slash at s commits it; the oracle
     publishes it by s + P (plus its computing lag) and it is active by s + P + D <= s + I,
     while the next slash cannot come before s + I. So claims pay from that root's activation
     until the next slash: a window of I - P - D (less the lag) in every interval, a day with
     I = 3 days and D = P = 1 day (tests/integration/test_staking_slash_interval.py). A device
     that keeps misbehaving inside the interval is stopped by its first slash's jail (no jobs,
     no rewards), not by more slashes; each slash stays capped by max_slash_bps.
     Governance inputs are bounded: class multipliers 0..MAX_MULTIPLIER_BPS (100x), max slash
     1..10_000 bps, processors 1..2**32-1 at registration, so min_stake <= 200e18 * 100 * 2**32
     < 2**96 * 2**30: no view or check can overflow.
     Pause stops only new money coming in: stake, offer_co_stake and accept_co_stake. It never
     stops unstake, withdraw, withdraw_overflow, declines, exits, co-stake withdrawals, refunds,
     slashing, appeals or finalization: a matured withdrawal always goes through.
"""

from interfaces import IIOToken
from interfaces import INodeStaking

implements: INodeStaking

from snekmate.auth import access_control
from snekmate.utils import pausable

initializes: access_control
initializes: pausable

exports: (
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    access_control.supportsInterface,
    pausable.paused,
)


# @dev Sets class multipliers, the slash maximum, unjails, overturns slashes and unpauses.
GOVERNANCE_ROLE: public(constant(bytes32)) = keccak256("GOVERNANCE_ROLE")
# @dev Slashes devices on the network's off-chain verdicts (fraud, spoofing, poor service).
SLASHER_ROLE: public(constant(bytes32)) = keccak256("SLASHER_ROLE")
# @dev Pauses new stakes and offers (a guardian); GOVERNANCE_ROLE unpauses.
PAUSER_ROLE: public(constant(bytes32)) = keccak256("PAUSER_ROLE")

# @dev Fixed point of multipliers and shares: 10_000 = 1.0x = 100 %.
BPS: public(constant(uint256)) = 10_000
# @dev Largest class multiplier governance may set: 100x (the highest published class, B200, is 30x).
MAX_MULTIPLIER_BPS: public(constant(uint256)) = 1_000_000
# @dev Minimum stake per processor at multiplier 1.0x, in wei.
BASE_STAKE: public(constant(uint256)) = 200 * 10**18
# @dev Cooldown of unstaked owner stake and of exiting co-stake, in seconds.
COOLDOWN_SECONDS: public(constant(uint256)) = 14 * 86_400
# @dev Co-staker's exit wait (counts toward the minimum, earns nothing), in seconds.
EXIT_WAIT_SECONDS: public(constant(uint256)) = 7 * 86_400
# @dev Appeal window of a slash, in seconds.
APPEAL_SECONDS: public(constant(uint256)) = 30 * 86_400
# @dev Most co-stakes one co-staker may hold at a time (accepted, until withdrawn).
MAX_OFFERS_PER_CO_STAKER: public(constant(uint256)) = 2
# @dev Largest co-stake as a fraction of the device's counting stake, in bps (50 %).
MAX_CO_STAKE_BPS: public(constant(uint256)) = 5_000
# @dev Bounds of the constructor's minimum time between two slashes of one device, in seconds.
MIN_SLASH_INTERVAL_FLOOR_SECONDS: constant(uint256) = 3_600
MIN_SLASH_INTERVAL_CEILING_SECONDS: constant(uint256) = 30 * 86_400

# @dev Outcomes of a slash (slash_outcome): unknown id, in its appeal window, overturned, finalized.
SLASH_UNKNOWN: public(constant(uint256)) = 0
SLASH_PENDING: public(constant(uint256)) = 1
SLASH_OVERTURNED: public(constant(uint256)) = 2
SLASH_FINALIZED: public(constant(uint256)) = 3

# @dev Co-stake states as stored (co_stake reports EXITING as one of its three phases below).
CO_NONE: public(constant(uint256)) = 0
CO_OFFERED: public(constant(uint256)) = 1
CO_ACTIVE: public(constant(uint256)) = 2
CO_EXITING: public(constant(uint256)) = 3
# @dev Phases of an EXITING co-stake after its wait (reported by co_stake, never stored).
CO_COOLDOWN: public(constant(uint256)) = 4
CO_WITHDRAWABLE: public(constant(uint256)) = 5

MASK96: constant(uint256) = 2**96 - 1
MASK160: constant(uint256) = 2**160 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK48: constant(uint256) = 2**48 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK16: constant(uint256) = 2**16 - 1
MASK8: constant(uint256) = 2**8 - 1
# @dev Bit 255 of `_held`: always set, so the word is never zero.
HELD_ONE: constant(uint256) = 1 << 255


# @dev `_meta[device]` unpacked.
struct Meta:
    owner: address
    processors: uint256
    index: uint256


# @dev `_own[device]` unpacked.
struct Own:
    active: uint256
    cooldown: uint256
    release_at: uint256


# @dev `_co[device]` unpacked.
struct Co:
    co_staker: address
    share_bps: uint256
    state: uint256
    counts_until: uint256


# @dev `_mark[device]` unpacked.
struct Mark:
    co_amount: uint256
    last_slashed_at: uint256
    jailed: bool
    last_slash_id: uint256


# @dev `_slash[id]` unpacked.
struct SlashRecord:
    active_part: uint256
    cooldown_part: uint256
    device_index: uint256
    created_at: uint256


# @dev `_slash_co[id]` unpacked.
struct SlashCo:
    co_part: uint256
    co_staker: address


# @dev `_globals` unpacked.
struct Globals:
    escrowed: uint256
    co_staked: uint256
    slash_count: uint256
    max_slash_bps: uint256


# @dev What `totals()` returns: the running totals of the IO the contract holds, by kind
#      (invariant io_held; the owner stake in cooldown is per device, see `_held`).
struct Totals:
    owner_active: uint256
    co_staked: uint256
    escrowed: uint256
    refunds_owed: uint256
    balance: uint256
    slash_count: uint256
    device_count: uint256


# @dev What `co_stake(device)` returns.
struct CoStake:
    co_staker: address
    state: uint256
    state_name: String[12]
    amount: uint256
    reward_share_bps: uint256
    counts_until: uint256
    withdrawable_at: uint256


# @dev What `slash_info(slash_id)` returns.
struct SlashInfo:
    device: bytes32
    owner_active_part: uint256
    owner_cooldown_part: uint256
    co_part: uint256
    co_staker: address
    amount: uint256
    created_at: uint256
    appeal_ends_at: uint256
    outcome: uint256
    outcome_name: String[10]


# @dev The IO token; every stake is held here, every finalized slash burned from here.
token: public(immutable(IIOToken))
# @dev Least time between two slashes of one device, in seconds (see "Slash interval" in @dev).
MIN_SLASH_INTERVAL_SECONDS: public(immutable(uint256))

# @dev Packed device words (see the layout in the contract's @dev).
_meta: HashMap[bytes32, uint256]
# @dev Each device's class.
_class: HashMap[bytes32, bytes32]
# @dev Each device's reward wallet (the owner's share of rewards goes there).
_wallet: HashMap[bytes32, address]
# @dev Owner stake word: active | cooldown | release time.
_own: HashMap[bytes32, uint256]
# @dev Co-stake word: co-staker | share bps | state | counts until.
_co: HashMap[bytes32, uint256]
# @dev Co amount | last slashed at | jailed | last slash id.
_mark: HashMap[bytes32, uint256]
# @dev Device id by its 1-based registration index (slash records store the index).
device_at: public(HashMap[uint256, bytes32])
# @dev Number of registered devices (the last index).
device_count: public(uint256)
# @dev Multiplier of each device class, 10_000 = 1.0x; 0 = unsupported; at most MAX_MULTIPLIER_BPS.
class_multiplier: public(HashMap[bytes32, uint256])
# @dev Co-stakes a co-staker holds: accepted (deposited) and not yet withdrawn; at most 2.
#      Pending offers do not count (anyone may offer anything; only acceptance takes a place).
offers_held: public(HashMap[address, uint256])
# @dev Global word: escrowed | deposited co-stake | slash count | max slash bps.
_globals: uint256
# @dev Global word: Σ owner active stake | Σ owner stake in cooldown | one.
_held: uint256
# @dev Packed slash records (owner parts, device index, time); kept after settlement.
_slash: HashMap[uint256, uint256]
# @dev Co-staker part of each slash and whom it came from; kept after settlement.
_slash_co: HashMap[uint256, uint256]
# @dev How each settled slash ended: SLASH_OVERTURNED or SLASH_FINALIZED (0 while pending).
_slash_outcome: HashMap[uint256, uint256]
# @dev IO owed back to co-stakers whose overturned slash found their position gone.
refunds: public(HashMap[address, uint256])
# @dev Σ refunds: IO owed by claim_refund to all co-stakers together.
refunds_owed: public(uint256)


# @dev A device was registered.
event DeviceRegistered:
    device: indexed(bytes32)
    owner: indexed(address)
    device_class: bytes32
    processors: uint256
    reward_wallet: address
    index: uint256


# @dev The owner changed the device's reward wallet.
event RewardWalletUpdated:
    device: indexed(bytes32)
    old_wallet: address
    new_wallet: address


# @dev Governance set a class multiplier.
event ClassMultiplierUpdated:
    device_class: indexed(bytes32)
    old_multiplier_bps: uint256
    new_multiplier_bps: uint256


# @dev Governance set the slash maximum.
event MaxSlashUpdated:
    old_bps: uint256
    new_bps: uint256


# @dev The owner staked; `active` is the owner's active stake after it.
event Staked:
    device: indexed(bytes32)
    owner: indexed(address)
    amount: uint256
    active: uint256


# @dev The owner took back stake above the minimum, without cooldown.
event OverflowWithdrawn:
    device: indexed(bytes32)
    owner: indexed(address)
    amount: uint256
    active: uint256


# @dev The owner's whole active stake entered the cooldown (merged with any stake already there).
event Unstaked:
    device: indexed(bytes32)
    owner: indexed(address)
    amount: uint256
    cooldown: uint256
    release_at: uint256


# @dev The owner withdrew its cooled-down stake.
event Withdrawn:
    device: indexed(bytes32)
    owner: indexed(address)
    amount: uint256


# @dev The owner offered a co-stake.
event CoStakeOffered:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    reward_share_bps: uint256


# @dev The owner withdrew a pending offer.
event CoStakeOfferCancelled:
    device: indexed(bytes32)
    co_staker: indexed(address)


# @dev The offered co-staker turned a pending offer down.
event CoStakeOfferDeclined:
    device: indexed(bytes32)
    co_staker: indexed(address)


# @dev The co-staker deposited the offered amount; `offers_held` is its count after it.
event CoStakeAccepted:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    reward_share_bps: uint256
    offers_held: uint256


# @dev The co-stake started its exit: it counts until `counts_until`, is released at `release_at`.
#      `forced`: pushed out because the owner's active stake fell below it (unstake, overturn).
event CoStakeExited:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    counts_until: uint256
    release_at: uint256
    forced: bool


# @dev The co-staker's cooled-down stake was paid out; `offers_held` is its count after it.
event CoStakeWithdrawn:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    offers_held: uint256


# @dev A device was slashed into the appeal escrow.
event Slashed:
    slash_id: indexed(uint256)
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    owner_active_part: uint256
    owner_cooldown_part: uint256
    co_part: uint256
    evidence: bytes32
    jailed: bool


# @dev Governance overturned a slash; each part went back where it came from (the co part to
#      the co-stake, or to `refunds` when `co_refunded_to_balance`).
event SlashOverturned:
    slash_id: indexed(uint256)
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    owner_active_part: uint256
    owner_cooldown_part: uint256
    co_part: uint256
    co_refunded_to_balance: bool


# @dev A slash's appeal window passed and its IO (every part) was burned.
event SlashFinalized:
    slash_id: indexed(uint256)
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    owner_active_part: uint256
    owner_cooldown_part: uint256
    co_part: uint256


# @dev A device was jailed (by a slash) or unjailed (by governance).
event JailUpdated:
    device: indexed(bytes32)
    jailed: bool


# @dev A co-staker claimed IO returned by an overturned slash.
event RefundClaimed:
    co_staker: indexed(address)
    amount: uint256


@deploy
def __init__(token_: IIOToken, max_slash_bps_: uint256, min_slash_interval_seconds_: uint256,
             classes: DynArray[bytes32, 32], multipliers_bps: DynArray[uint256, 32]):
    """
    @notice Fixes the token, the slash maximum, the least time between two slashes of a device
            and the initial class multipliers. The deployer receives DEFAULT_ADMIN_ROLE and
            GOVERNANCE_ROLE (the deploy step grants the others).
    @param token_ The IO token.
    @param max_slash_bps_ Largest slash as bps of the device's slashable stake (1..10_000).
    @param min_slash_interval_seconds_ Least time between two slashes of one device, 1 hour ..
           30 days; at least the rewards activation delay + one root period (the deploy checks
           it: see "Slash interval" in @dev).
    @param classes Device classes (ASCII names right-padded with zero bytes).
    @param multipliers_bps Their multipliers, 10_000 = 1.0x, each at most MAX_MULTIPLIER_BPS.
    """
    access_control.__init__()
    pausable.__init__()
    assert token_.address != empty(address), "NodeStaking: token is the zero address"
    assert len(classes) == len(multipliers_bps), "NodeStaking: class lengths differ"
    assert min_slash_interval_seconds_ >= MIN_SLASH_INTERVAL_FLOOR_SECONDS and \
        min_slash_interval_seconds_ <= MIN_SLASH_INTERVAL_CEILING_SECONDS, "NodeStaking: bad slash interval"
    token = token_
    MIN_SLASH_INTERVAL_SECONDS = min_slash_interval_seconds_
    access_control._grant_role(GOVERNANCE_ROLE, msg.sender)
    self._held = HELD_ONE
    self._set_max_slash_bps(max_slash_bps_)
    for i: uint256 in range(len(classes), bound=32):
        self._set_class_multiplier(classes[i], multipliers_bps[i])


# ------------------------------------------------------------------ governance
@external
def set_class_multiplier(device_class: bytes32, multiplier_bps: uint256):
    """
    @notice Sets a device class's multiplier (10_000 = 1.0x; 0 makes the class unsupported and
            every device of it ineligible). Only GOVERNANCE_ROLE.
    @param device_class The class (ASCII name right-padded with zero bytes).
    @param multiplier_bps The multiplier in bps, 0..MAX_MULTIPLIER_BPS (100x).
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    self._set_class_multiplier(device_class, multiplier_bps)


@external
def set_max_slash_bps(bps: uint256):
    """
    @notice Sets the largest slash as bps of a device's slashable stake. Only GOVERNANCE_ROLE.
    @param bps 1..10_000.
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    self._set_max_slash_bps(bps)


@external
def unjail(device: bytes32):
    """
    @notice Lifts a device's jail. Only GOVERNANCE_ROLE.
    @param device The device id.
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    mark: Mark = self._unpack_mark(self._mark[device])
    assert mark.jailed, "NodeStaking: device not jailed"
    self._mark[device] = self._pack_mark(mark.co_amount, mark.last_slashed_at, False, mark.last_slash_id)
    log JailUpdated(device=device, jailed=False)


@external
def pause():
    """
    @notice Stops new stakes, offers and acceptances (nothing else). Only PAUSER_ROLE.
    """
    access_control._check_role(PAUSER_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    """
    @notice Lifts the pause. Only GOVERNANCE_ROLE: the pauser (a guardian) can stop new money
            coming in, never let it in again on its own.
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    pausable._unpause()


# ------------------------------------------------------------------ devices
@external
def register_device(device: bytes32, device_class: bytes32, processors: uint256, reward_wallet: address):
    """
    @notice Registers a device; the caller becomes its owner. Anyone may register.
    @param device The device id (nonzero, never registered before).
    @param device_class A supported class (multiplier > 0).
    @param processors Number of processors (GPUs), 1..2**32-1.
    @param reward_wallet Where the owner's rewards go.
    """
    assert device != empty(bytes32), "NodeStaking: device id is zero"
    assert self._unpack_meta(self._meta[device]).owner == empty(address), "NodeStaking: device already registered"
    assert self.class_multiplier[device_class] != 0, "NodeStaking: class is unsupported"
    assert processors != 0 and processors <= MASK32, "NodeStaking: bad processor count"
    assert reward_wallet != empty(address), "NodeStaking: reward wallet is the zero address"
    index: uint256 = self.device_count + 1
    assert index <= MASK32, "NodeStaking: too many devices"
    self.device_count = index
    self.device_at[index] = device
    self._meta[device] = self._pack_meta(msg.sender, processors, index)
    self._class[device] = device_class
    self._wallet[device] = reward_wallet
    log DeviceRegistered(device=device, owner=msg.sender, device_class=device_class,
                         processors=processors, reward_wallet=reward_wallet, index=index)


@external
def set_reward_wallet(device: bytes32, reward_wallet: address):
    """
    @notice Changes the device's reward wallet. Only the device owner.
    @param device The device id.
    @param reward_wallet The new wallet (nonzero).
    """
    self._check_owner(device)
    assert reward_wallet != empty(address), "NodeStaking: reward wallet is the zero address"
    old: address = self._wallet[device]
    self._wallet[device] = reward_wallet
    log RewardWalletUpdated(device=device, old_wallet=old, new_wallet=reward_wallet)


# ------------------------------------------------------------------ owner stake
@external
def stake(device: bytes32, amount: uint256):
    """
    @notice Adds `amount` IO (approved beforehand) to the owner's active stake. Only the owner;
            not while paused.
    @param device The device id.
    @param amount In wei, nonzero.
    """
    pausable._require_not_paused()
    self._check_owner(device)
    assert amount != 0, "NodeStaking: amount is zero"
    own: Own = self._unpack_own(self._own[device])
    active: uint256 = self._amount96(own.active + amount)
    self._own[device] = self._pack_own(active, own.cooldown, own.release_at)
    # Σ active + amount <= IO held after the transfer < 2**96 (layout note): bit 255 is untouched.
    self._held = unsafe_add(self._held, amount)
    extcall token.transferFrom(msg.sender, self, amount)
    log Staked(device=device, owner=msg.sender, amount=amount, active=active)


@external
def withdraw_overflow(device: bytes32, amount: uint256):
    """
    @notice Takes back active stake above what the device needs, at once (no cooldown). Only the
            owner. What it needs: the minimum (with the counting co-stake) and the 50 % cap (owner
            active >= a counting co-stake).
    @param device The device id.
    @param amount In wei, nonzero, at most `overflow(device)`.
    """
    self._check_owner(device)
    assert amount != 0, "NodeStaking: amount is zero"
    assert amount <= self._overflow(device), "NodeStaking: amount exceeds overflow"
    own: Own = self._unpack_own(self._own[device])
    active: uint256 = own.active - amount
    self._own[device] = self._pack_own(active, own.cooldown, own.release_at)
    self._held = self._held - amount  # Σ active >= this device's active >= amount
    extcall token.transfer(msg.sender, amount)
    log OverflowWithdrawn(device=device, owner=msg.sender, amount=amount, active=active)


@external
def unstake(device: bytes32):
    """
    @notice Moves the owner's whole active stake into the 14-day cooldown (merged with any stake
            already cooling down, whose clock restarts). The owner's active stake falls to 0, so
            a co-stake that still counts (active, or in its exit wait) is pushed out: it stops
            counting now and cools down for 14 days (co_cap: a co-stake never counts for more
            than the owner's own active stake). Only the owner.
    @param device The device id.
    """
    self._check_owner(device)
    own: Own = self._unpack_own(self._own[device])
    assert own.active != 0, "NodeStaking: nothing staked"
    # cooldown + active <= IO held < 2**96 (layout note), so the sum fits its field.
    cooldown: uint256 = unsafe_add(own.cooldown, own.active)
    release_at: uint256 = block.timestamp + COOLDOWN_SECONDS
    self._own[device] = self._pack_own(0, cooldown, release_at)
    self._held = self._held - own.active  # Σ active >= own.active
    log Unstaked(device=device, owner=msg.sender, amount=own.active, cooldown=cooldown, release_at=release_at)
    co: Co = self._unpack_co(self._co[device])
    if self._counts(co.state, co.counts_until):
        self._push_out(device, co)


@external
def withdraw(device: bytes32):
    """
    @notice Pays the owner's cooled-down stake to the owner, once the cooldown is over. Only the
            owner (the wallet that staked). Never paused.
    @param device The device id.
    """
    meta: Meta = self._unpack_meta(self._meta[device])
    assert meta.owner != empty(address), "NodeStaking: unknown device"
    assert meta.owner == msg.sender, "NodeStaking: caller is not the staker"
    own: Own = self._unpack_own(self._own[device])
    assert own.cooldown != 0, "NodeStaking: nothing in cooldown"
    assert block.timestamp >= own.release_at, "NodeStaking: cooldown not over"
    self._own[device] = self._pack_own(own.active, 0, 0)
    extcall token.transfer(msg.sender, own.cooldown)
    log Withdrawn(device=device, owner=msg.sender, amount=own.cooldown)


# ------------------------------------------------------------------ co-staking
@external
def offer_co_stake(device: bytes32, co_staker: address, amount: uint256, reward_share_bps: uint256):
    """
    @notice Offers `co_staker` to co-stake `amount` on the device for `reward_share_bps` of its
            rewards. Only the owner; not while paused. One co-stake per device at a time; the
            amount may be at most 50 % of the device's total stake (at most the owner's active
            stake). A pending offer takes none of the co-staker's 2 places: it may decline it,
            and only acceptance counts.
    @param device The device id.
    @param co_staker Who may accept (not the owner).
    @param amount In wei, nonzero.
    @param reward_share_bps The co-staker's share of the device's rewards, 1..10_000.
    """
    pausable._require_not_paused()
    self._check_owner(device)
    assert co_staker != empty(address) and co_staker != msg.sender, "NodeStaking: bad co-staker"
    assert amount != 0, "NodeStaking: amount is zero"
    assert reward_share_bps != 0 and reward_share_bps <= BPS, "NodeStaking: bad reward share"
    assert self._unpack_co(self._co[device]).state == CO_NONE, "NodeStaking: device has a co-staker"
    assert amount <= self._unpack_own(self._own[device]).active, "NodeStaking: co-stake above 50 %"
    self._co[device] = self._pack_co(co_staker, reward_share_bps, CO_OFFERED, 0)
    mark: Mark = self._unpack_mark(self._mark[device])
    self._mark[device] = self._pack_mark(self._amount96(amount), mark.last_slashed_at, mark.jailed,
                                         mark.last_slash_id)
    log CoStakeOffered(device=device, co_staker=co_staker, amount=amount, reward_share_bps=reward_share_bps)


@external
def cancel_co_stake_offer(device: bytes32):
    """
    @notice Withdraws a pending (not yet accepted) offer. Only the owner.
    @param device The device id.
    """
    self._check_owner(device)
    co: Co = self._unpack_co(self._co[device])
    assert co.state == CO_OFFERED, "NodeStaking: no pending offer"
    self._clear_co(device)
    log CoStakeOfferCancelled(device=device, co_staker=co.co_staker)


@external
def decline_co_stake(device: bytes32):
    """
    @notice Turns down the pending offer made to the caller; the device's co-stake slot is free
            again. Only the offered co-staker, only while the offer is pending. Never paused.
    @param device The device id.
    """
    co: Co = self._unpack_co(self._co[device])
    assert co.co_staker == msg.sender and co.state == CO_OFFERED, "NodeStaking: no offer for caller"
    self._clear_co(device)
    log CoStakeOfferDeclined(device=device, co_staker=msg.sender)


@external
def accept_co_stake(device: bytes32, amount: uint256, reward_share_bps: uint256):
    """
    @notice Accepts the offer made to the caller by depositing its amount (approved beforehand).
            The acceptance names the terms it accepts: it reverts "offer terms changed" unless
            the offer in force is for exactly `amount` at exactly `reward_share_bps`, so an
            owner who cancels and offers again before the acceptance executes (a front-run)
            cannot change what is accepted. Only the offered co-staker; not while paused. The
            50 % cap is checked again, and the co-staker may hold at most 2 accepted co-stakes
            (until it withdraws one).
    @param device The device id.
    @param amount The offered amount the co-staker agreed to deposit, in wei (`co_stake(device).amount`).
    @param reward_share_bps The offered share the co-staker agreed to (`co_stake(device).reward_share_bps`).
    """
    pausable._require_not_paused()
    co: Co = self._unpack_co(self._co[device])
    assert co.co_staker == msg.sender and co.state == CO_OFFERED, "NodeStaking: no offer for caller"
    assert self._unpack_mark(self._mark[device]).co_amount == amount and co.share_bps == reward_share_bps, \
        "NodeStaking: offer terms changed"
    assert amount <= self._unpack_own(self._own[device]).active, "NodeStaking: co-stake above 50 %"
    held: uint256 = self.offers_held[msg.sender]
    assert held < MAX_OFFERS_PER_CO_STAKER, "NodeStaking: co-staker holds 2 offers"
    self.offers_held[msg.sender] = held + 1
    self._co[device] = self._pack_co(co.co_staker, co.share_bps, CO_ACTIVE, 0)
    glob: Globals = self._unpack_globals(self._globals)
    # Σ co-stake + amount <= IO held after the transfer < 2**96 (layout note).
    self._globals = self._pack_globals(glob.escrowed, unsafe_add(glob.co_staked, amount), glob.slash_count,
                                       glob.max_slash_bps)
    extcall token.transferFrom(msg.sender, self, amount)
    log CoStakeAccepted(device=device, co_staker=msg.sender, amount=amount, reward_share_bps=co.share_bps,
                        offers_held=held + 1)


@external
def exit_co_stake(device: bytes32):
    """
    @notice Starts the co-staker's exit: 7 days of wait (counts toward the minimum, earns
            nothing), then 14 days of cooldown. Only the co-staker.
    @param device The device id.
    """
    co: Co = self._unpack_co(self._co[device])
    assert co.co_staker == msg.sender and co.state == CO_ACTIVE, "NodeStaking: co-stake not active"
    counts_until: uint256 = block.timestamp + EXIT_WAIT_SECONDS
    self._co[device] = self._pack_co(co.co_staker, co.share_bps, CO_EXITING, counts_until)
    log CoStakeExited(device=device, co_staker=msg.sender, amount=self._unpack_mark(self._mark[device]).co_amount,
                      counts_until=counts_until, release_at=counts_until + COOLDOWN_SECONDS, forced=False)


@external
def withdraw_co_stake(device: bytes32):
    """
    @notice Pays an exited co-stake to its co-staker once its cooldown is over, freeing the
            device's co-stake slot and one of the co-staker's 2 places. The co-staker or the
            device owner may call it (the IO always goes to the co-staker). Never paused.
    @param device The device id.
    """
    co: Co = self._unpack_co(self._co[device])
    assert msg.sender == co.co_staker or self._unpack_meta(self._meta[device]).owner == msg.sender, \
        "NodeStaking: caller is not the co-staker"
    assert co.state == CO_EXITING, "NodeStaking: co-stake not exiting"
    assert block.timestamp >= co.counts_until + COOLDOWN_SECONDS, "NodeStaking: cooldown not over"
    amount: uint256 = self._unpack_mark(self._mark[device]).co_amount
    self._clear_co(device)
    # An accepted co-stake took one place (accept_co_stake), so the count is at least 1.
    held: uint256 = self.offers_held[co.co_staker] - 1
    self.offers_held[co.co_staker] = held
    glob: Globals = self._unpack_globals(self._globals)
    self._globals = self._pack_globals(glob.escrowed, glob.co_staked - amount, glob.slash_count,
                                       glob.max_slash_bps)
    if amount != 0:
        extcall token.transfer(co.co_staker, amount)
    log CoStakeWithdrawn(device=device, co_staker=co.co_staker, amount=amount, offers_held=held)


@external
def claim_refund():
    """
    @notice Pays the caller the IO returned to it by overturned slashes whose co-stake position
            was already gone. Anyone with a refund.
    """
    amount: uint256 = self.refunds[msg.sender]
    assert amount != 0, "NodeStaking: no refund"
    self.refunds[msg.sender] = 0
    self.refunds_owed -= amount
    extcall token.transfer(msg.sender, amount)
    log RefundClaimed(co_staker=msg.sender, amount=amount)


# ------------------------------------------------------------------ slashing
@external
def slash(device: bytes32, amount: uint256, evidence: bytes32, jail: bool) -> uint256:
    """
    @notice Slashes `amount` IO from the device into the 30-day appeal escrow, pro rata from the
            owner's active stake, the owner's stake in cooldown and the co-stake (active, in wait
            or in cooldown); optionally jails the device. Only SLASHER_ROLE. The evidence hash is
            recorded in the Slashed event. A device is slashed at most once per
            MIN_SLASH_INTERVAL_SECONDS: not before `last_slashed_at(device)` + the interval
            (invariant slash_interval; why in the contract's @dev, "Slash interval").
    @dev co_cap survives a slash. With r = amount / total, the owner's active part is
         floor(r * active) <= r * active, so active keeps >= active * (1 - r). What is left
         after it, rest >= amount - r * active = r * (cooldown + co), is split between cooldown
         (floor) and co (the remainder), so the co part >= rest * co / (cooldown + co) >= r * co
         and co keeps <= co * (1 - r). If co <= active before, then co * (1 - r) <= active *
         (1 - r): co <= active after.
    @param device The device id.
    @param amount In wei, nonzero, at most max_slash_bps of the slashable stake.
    @param evidence Hash of the off-chain evidence.
    @param jail Whether to jail the device (governance unjails).
    @return uint256 The slash id.
    """
    access_control._check_role(SLASHER_ROLE, msg.sender)
    meta: Meta = self._unpack_meta(self._meta[device])
    assert meta.owner != empty(address), "NodeStaking: unknown device"
    assert amount != 0, "NodeStaking: amount is zero"
    own: Own = self._unpack_own(self._own[device])
    co: Co = self._unpack_co(self._co[device])
    mark: Mark = self._unpack_mark(self._mark[device])
    # A device never slashed has last_slashed_at 0 (its id is 0): no wait.
    assert mark.last_slash_id == 0 or block.timestamp >= mark.last_slashed_at + MIN_SLASH_INTERVAL_SECONDS, \
        "NodeStaking: slashed too recently"
    co_amount: uint256 = 0
    if co.state >= CO_ACTIVE:
        co_amount = mark.co_amount
    # Each term < 2**96, so the sum cannot overflow.
    total: uint256 = unsafe_add(unsafe_add(own.active, own.cooldown), co_amount)
    assert total != 0, "NodeStaking: nothing to slash"
    glob: Globals = self._unpack_globals(self._globals)
    assert amount * BPS <= total * glob.max_slash_bps, "NodeStaking: slash above maximum"

    # Sequential pro rata (invariant 2): each part is floor(rest * bucket / rest_total); with
    # rest <= rest_total at every step, the last bucket covers what is left.
    rest: uint256 = amount
    rest_total: uint256 = total
    active_part: uint256 = rest * own.active // rest_total
    rest -= active_part
    rest_total -= own.active
    cooling_part: uint256 = 0
    if rest_total != 0:
        cooling_part = rest * own.cooldown // rest_total
    rest -= cooling_part
    co_part: uint256 = rest  # <= co_amount (see above)

    self._own[device] = self._pack_own(own.active - active_part, own.cooldown - cooling_part, own.release_at)
    kept: uint256 = mark.co_amount  # an OFFERED amount is not deposited: kept as is
    if co_amount != 0:
        kept = co_amount - co_part
    slash_id: uint256 = glob.slash_count + 1
    self._mark[device] = self._pack_mark(kept, block.timestamp, mark.jailed or jail, slash_id)
    # escrowed + amount <= IO held < 2**96 (layout note), so it fits its field.
    self._globals = self._pack_globals(unsafe_add(glob.escrowed, amount), glob.co_staked - co_part, slash_id,
                                       glob.max_slash_bps)
    if active_part != 0:
        self._held = self._held - active_part  # Σ active >= this device's active >= active_part
    self._slash[slash_id] = self._pack_slash(active_part, cooling_part, meta.index, block.timestamp)
    co_staker: address = empty(address)
    if co_part != 0:
        co_staker = co.co_staker
        self._slash_co[slash_id] = self._pack_slash_co(co_part, co_staker)
    log Slashed(slash_id=slash_id, device=device, co_staker=co_staker, amount=amount,
                owner_active_part=active_part, owner_cooldown_part=cooling_part, co_part=co_part,
                evidence=evidence, jailed=jail)
    if jail:
        log JailUpdated(device=device, jailed=True)
    return slash_id


@external
def overturn_slash(slash_id: uint256):
    """
    @notice Upholds an appeal inside the 30-day window: the slashed IO goes back to the stakes
            it came from (owner active, owner cooldown, and the co-stake if the same co-staker
            still holds it; otherwise the co-staker may claim it with `claim_refund`). If the
            returned co part would leave a counting co-stake above the owner's active stake
            (rounding), the co-stake is pushed out (co_cap). The jail is not lifted (see
            `unjail`). The record stays readable (`slash_info`). Only GOVERNANCE_ROLE.
    @param slash_id The slash id.
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    rec: SlashRecord = self._pending_slash(slash_id)
    assert block.timestamp < rec.created_at + APPEAL_SECONDS, "NodeStaking: appeal window over"
    device: bytes32 = self.device_at[rec.device_index]
    own: Own = self._unpack_own(self._own[device])
    active: uint256 = self._amount96(own.active + rec.active_part)
    self._own[device] = self._pack_own(active, self._amount96(own.cooldown + rec.cooldown_part), own.release_at)
    # Σ active grows by what the slash took from it: back to at most IO held < 2**96.
    self._held = unsafe_add(self._held, rec.active_part)
    sc: SlashCo = self._unpack_slash_co(self._slash_co[slash_id])
    glob: Globals = self._unpack_globals(self._globals)
    amount: uint256 = rec.active_part + rec.cooldown_part + sc.co_part
    co_staked: uint256 = glob.co_staked
    to_balance: bool = False
    if sc.co_part != 0:
        co: Co = self._unpack_co(self._co[device])
        if co.co_staker == sc.co_staker and co.state >= CO_ACTIVE:
            mark: Mark = self._unpack_mark(self._mark[device])
            co_amount: uint256 = self._amount96(mark.co_amount + sc.co_part)
            self._mark[device] = self._pack_mark(co_amount, mark.last_slashed_at, mark.jailed, mark.last_slash_id)
            co_staked = unsafe_add(co_staked, sc.co_part)  # back to at most IO held < 2**96
            if self._counts(co.state, co.counts_until) and co_amount > active:
                self._push_out(device, co)
        else:
            to_balance = True
            self.refunds[sc.co_staker] += sc.co_part
            self.refunds_owed += sc.co_part
    # The escrow holds at least this slash's amount (it entered with it).
    self._globals = self._pack_globals(glob.escrowed - amount, co_staked, glob.slash_count, glob.max_slash_bps)
    self._slash_outcome[slash_id] = SLASH_OVERTURNED
    log SlashOverturned(slash_id=slash_id, device=device, co_staker=sc.co_staker, amount=amount,
                        owner_active_part=rec.active_part, owner_cooldown_part=rec.cooldown_part,
                        co_part=sc.co_part, co_refunded_to_balance=to_balance)


@external
def finalize_slash(slash_id: uint256):
    """
    @notice Burns a slash's IO once its 30-day appeal window is over. Anyone may call it. The
            record stays readable (`slash_info`).
    @param slash_id The slash id.
    """
    rec: SlashRecord = self._pending_slash(slash_id)
    assert block.timestamp >= rec.created_at + APPEAL_SECONDS, "NodeStaking: appeal window open"
    sc: SlashCo = self._unpack_slash_co(self._slash_co[slash_id])
    amount: uint256 = rec.active_part + rec.cooldown_part + sc.co_part
    glob: Globals = self._unpack_globals(self._globals)
    # The escrow holds at least this slash's amount (it entered with it).
    self._globals = self._pack_globals(glob.escrowed - amount, glob.co_staked, glob.slash_count,
                                       glob.max_slash_bps)
    self._slash_outcome[slash_id] = SLASH_FINALIZED
    extcall token.burn(amount)
    log SlashFinalized(slash_id=slash_id, device=self.device_at[rec.device_index], co_staker=sc.co_staker,
                       amount=amount, owner_active_part=rec.active_part, owner_cooldown_part=rec.cooldown_part,
                       co_part=sc.co_part)


# ------------------------------------------------------------------ views
@external
@view
def totals() -> Totals:
    """
    @notice The running totals of the IO the contract holds, by kind, in wei: owner active
            stake, deposited co-stake (active, in wait or in cooldown), the appeal escrow,
            refunds owed, and `balance`, the token balance. The owner stake in cooldown is
            kept per device only (`owner_stake`): `balance` equals these totals plus the sum of
            every device's cooldown (invariant io_held), unless someone sent IO to the contract
            by plain transfer. Also the slash and device counts.
    @return Totals The totals.
    """
    glob: Globals = self._unpack_globals(self._globals)
    return Totals(
        owner_active=self._held & MASK96,
        co_staked=glob.co_staked,
        escrowed=glob.escrowed,
        refunds_owed=self.refunds_owed,
        balance=staticcall token.balanceOf(self),
        slash_count=glob.slash_count,
        device_count=self.device_count,
    )


@external
@view
def max_slash_bps() -> uint256:
    """
    @notice Largest slash as bps of a device's slashable stake.
    @return uint256 In bps.
    """
    return self._unpack_globals(self._globals).max_slash_bps


@external
@view
def slash_count() -> uint256:
    """
    @notice Number of slashes ever made (the last slash id; ids start at 1).
    @return uint256 The count.
    """
    return self._unpack_globals(self._globals).slash_count


@external
@view
def escrowed() -> uint256:
    """
    @notice IO held in the appeal escrow (pending slashes), in wei.
    @return uint256 In wei.
    """
    return self._unpack_globals(self._globals).escrowed


@external
@view
def is_eligible(device: bytes32) -> bool:
    """
    @notice True when the stake not in cooldown (owner active + counting co-stake, the latter
            never counted above the owner's active stake) meets the minimum, the class
            multiplier is above 0 and the device is not jailed.
    @param device The device id.
    @return bool Eligibility.
    """
    # Each word read once (the router and the rewards read this on every booking and claim).
    meta: Meta = self._unpack_meta(self._meta[device])
    if meta.owner == empty(address):
        return False
    multiplier: uint256 = self.class_multiplier[self._class[device]]
    if multiplier == 0:
        return False
    mark: Mark = self._unpack_mark(self._mark[device])
    if mark.jailed:
        return False
    active: uint256 = self._unpack_own(self._own[device]).active
    co: Co = self._unpack_co(self._co[device])
    co_counting: uint256 = 0
    if self._counts(co.state, co.counts_until):
        co_counting = mark.co_amount
    return self._counted(active, co_counting) >= self._min_stake_of(multiplier, meta.processors)


@external
@view
def device_owner(device: bytes32) -> address:
    """
    @notice The wallet that registered the device (empty for an unknown device).
    @param device The device id.
    @return address The owner.
    """
    return self._unpack_meta(self._meta[device]).owner


@external
@view
def reward_split(device: bytes32) -> (address, address, uint256):
    """
    @notice (owner's reward wallet, active co-staker or empty, co-staker share in bps). A
            co-staker offered, in its exit wait or in cooldown earns nothing: empty and 0.
    @param device The device id.
    @return (address, address, uint256) The split.
    """
    co: Co = self._unpack_co(self._co[device])
    if co.state != CO_ACTIVE:
        return self._wallet[device], empty(address), 0
    return self._wallet[device], co.co_staker, co.share_bps


@external
@view
def last_slashed_at(device: bytes32) -> uint256:
    """
    @notice The block timestamp of the device's latest slash (0 if never slashed).
    @param device The device id.
    @return uint256 The timestamp.
    """
    return self._unpack_mark(self._mark[device]).last_slashed_at


@external
@view
def last_slash_id(device: bytes32) -> uint256:
    """
    @notice The id of the device's latest slash (0 if never slashed).
    @param device The device id.
    @return uint256 The slash id.
    """
    return self._unpack_mark(self._mark[device]).last_slash_id


@external
@view
def claim_context(device: bytes32) -> (address, uint256):
    """
    @notice What a rewards claim needs in one call: (owner's reward wallet, id of the device's
            latest slash). The wallet is empty for an unknown device; the id 0 if never slashed.
    @param device The device id.
    @return (address, uint256) The wallet and the slash id.
    """
    return self._wallet[device], self._unpack_mark(self._mark[device]).last_slash_id


@external
@view
def slash_outcome(slash_id: uint256) -> uint256:
    """
    @notice How a slash stands: SLASH_UNKNOWN (0, no such slash), SLASH_PENDING (1, in escrow,
            appealable or awaiting finalization), SLASH_OVERTURNED (2) or SLASH_FINALIZED (3, burned).
    @param slash_id The slash id.
    @return uint256 The outcome.
    """
    return self._outcome(slash_id)


@external
@view
def is_jailed(device: bytes32) -> bool:
    """
    @notice Whether the device is jailed.
    @param device The device id.
    @return bool Jailed.
    """
    return self._unpack_mark(self._mark[device]).jailed


@external
@view
def min_stake(device: bytes32) -> uint256:
    """
    @notice 200 IO * max(1.0, class multiplier) * processors, in wei (0 for an unknown device).
    @param device The device id.
    @return uint256 The minimum.
    """
    return self._min_stake(device)


@external
@view
def device_info(device: bytes32) -> (address, bytes32, uint256, address, uint256):
    """
    @notice A device's registration: (owner, class, processors, reward wallet, index).
    @param device The device id.
    @return (address, bytes32, uint256, address, uint256) The registration.
    """
    meta: Meta = self._unpack_meta(self._meta[device])
    return meta.owner, self._class[device], meta.processors, self._wallet[device], meta.index


@external
@view
def owner_stake(device: bytes32) -> (uint256, uint256, uint256):
    """
    @notice The owner's stake: (active, in cooldown, cooldown release time).
    @param device The device id.
    @return (uint256, uint256, uint256) The stake.
    """
    own: Own = self._unpack_own(self._own[device])
    return own.active, own.cooldown, own.release_at


@external
@view
def co_stake(device: bytes32) -> CoStake:
    """
    @notice The device's co-stake, as of now. `state` / `state_name`: 0 "none"; 1 "offered" (the
            amount is offered, not deposited; the co-staker may accept or decline); 2 "active"
            (counts, earns); 3 "exiting" (in its 7-day wait: counts, earns nothing, until
            `counts_until`); 4 "cooldown" (counts no more; withdrawable at `withdrawable_at`);
            5 "withdrawable" (`withdraw_co_stake` pays it now). `counts_until` and
            `withdrawable_at` are 0 unless exiting, cooling down or withdrawable.
    @param device The device id.
    @return CoStake The co-stake.
    """
    co: Co = self._unpack_co(self._co[device])
    state: uint256 = co.state
    counts_until: uint256 = 0
    withdrawable_at: uint256 = 0
    if state == CO_EXITING:
        counts_until = co.counts_until
        withdrawable_at = counts_until + COOLDOWN_SECONDS
        if block.timestamp >= withdrawable_at:
            state = CO_WITHDRAWABLE
        elif block.timestamp >= counts_until:
            state = CO_COOLDOWN
    name: String[12] = "none"
    if state == CO_OFFERED:
        name = "offered"
    elif state == CO_ACTIVE:
        name = "active"
    elif state == CO_EXITING:
        name = "exiting"
    elif state == CO_COOLDOWN:
        name = "cooldown"
    elif state == CO_WITHDRAWABLE:
        name = "withdrawable"
    return CoStake(co_staker=co.co_staker, state=state, state_name=name,
                   amount=self._unpack_mark(self._mark[device]).co_amount, reward_share_bps=co.share_bps,
                   counts_until=counts_until, withdrawable_at=withdrawable_at)


@external
@view
def counting_stake(device: bytes32) -> uint256:
    """
    @notice Stake that counts toward the minimum: owner active + co-stake active or in its wait
            (the co-stake counted at most up to the owner's active stake).
    @param device The device id.
    @return uint256 In wei.
    """
    return self._counting(device)


@external
@view
def overflow(device: bytes32) -> uint256:
    """
    @notice How much of the owner's active stake `withdraw_overflow` may take now.
    @param device The device id.
    @return uint256 In wei.
    """
    return self._overflow(device)


@external
@view
def slash_info(slash_id: uint256) -> SlashInfo:
    """
    @notice A slash's record, pending or settled: device, the part taken from each stake, the
            co-staker it hit, the total, when it was made, when its appeal window ends, and its
            outcome (1 "pending", 2 "overturned", 3 "finalized"). All zero, outcome 0
            "unknown", for an id never used.
    @param slash_id The slash id.
    @return SlashInfo The record.
    """
    rec: SlashRecord = self._unpack_slash(self._slash[slash_id])
    if rec.created_at == 0:
        return SlashInfo(device=empty(bytes32), owner_active_part=0, owner_cooldown_part=0, co_part=0,
                         co_staker=empty(address), amount=0, created_at=0, appeal_ends_at=0,
                         outcome=SLASH_UNKNOWN, outcome_name="unknown")
    sc: SlashCo = self._unpack_slash_co(self._slash_co[slash_id])
    outcome: uint256 = self._outcome(slash_id)
    name: String[10] = "pending"
    if outcome == SLASH_OVERTURNED:
        name = "overturned"
    elif outcome == SLASH_FINALIZED:
        name = "finalized"
    return SlashInfo(device=self.device_at[rec.device_index], owner_active_part=rec.active_part,
                     owner_cooldown_part=rec.cooldown_part, co_part=sc.co_part, co_staker=sc.co_staker,
                     amount=rec.active_part + rec.cooldown_part + sc.co_part, created_at=rec.created_at,
                     appeal_ends_at=rec.created_at + APPEAL_SECONDS, outcome=outcome, outcome_name=name)


# ------------------------------------------------------------------ internal
@internal
@view
def _check_owner(device: bytes32):
    owner: address = self._unpack_meta(self._meta[device]).owner
    assert owner != empty(address), "NodeStaking: unknown device"
    assert owner == msg.sender, "NodeStaking: caller is not the owner"


@internal
@pure
def _amount96(amount: uint256) -> uint256:
    assert amount <= MASK96, "NodeStaking: amount too large"
    return amount


@internal
@view
def _outcome(slash_id: uint256) -> uint256:
    outcome: uint256 = self._slash_outcome[slash_id]
    if outcome != 0:
        return outcome
    if self._unpack_slash(self._slash[slash_id]).created_at != 0:
        return SLASH_PENDING
    return SLASH_UNKNOWN


@internal
@view
def _pending_slash(slash_id: uint256) -> SlashRecord:
    # Pending: the record exists (its creation time is never 0) and no outcome is recorded.
    rec: SlashRecord = self._unpack_slash(self._slash[slash_id])
    assert rec.created_at != 0 and self._slash_outcome[slash_id] == 0, "NodeStaking: slash not pending"
    return rec


@internal
@view
def _min_stake(device: bytes32) -> uint256:
    # An unknown device has 0 processors: minimum 0.
    return self._min_stake_of(self.class_multiplier[self._class[device]],
                              self._unpack_meta(self._meta[device]).processors)


@internal
@pure
def _min_stake_of(multiplier_bps: uint256, processors: uint256) -> uint256:
    # multiplier <= MAX_MULTIPLIER_BPS and processors < 2**32: the product is below 2**126.
    # 200e18 is a multiple of 10_000, so the division is exact.
    return BASE_STAKE * max(multiplier_bps, BPS) * processors // BPS


@internal
@view
def _counts(state: uint256, counts_until: uint256) -> bool:
    # A co-stake counts toward the minimum while active, or exiting and still in its wait.
    return state == CO_ACTIVE or (state == CO_EXITING and block.timestamp < counts_until)


@internal
@view
def _co_counting(device: bytes32) -> uint256:
    co: Co = self._unpack_co(self._co[device])
    if self._counts(co.state, co.counts_until):
        return self._unpack_mark(self._mark[device]).co_amount
    return 0


@internal
@pure
def _counted(active: uint256, co_counting: uint256) -> uint256:
    # co_cap keeps the counting co-stake <= active; min() makes eligibility on more than 50 %
    # co-stake impossible by construction as well.
    return active + min(co_counting, active)


@internal
@view
def _counting(device: bytes32) -> uint256:
    return self._counted(self._unpack_own(self._own[device]).active, self._co_counting(device))


@internal
@view
def _overflow(device: bytes32) -> uint256:
    active: uint256 = self._unpack_own(self._own[device]).active
    co_counting: uint256 = self._co_counting(device)
    need: uint256 = 0
    minimum: uint256 = self._min_stake(device)
    if minimum > co_counting:
        need = minimum - co_counting
    # 50 % cap: the owner keeps at least the amount of an active or waiting co-stake.
    need = max(need, co_counting)
    if active <= need:
        return 0
    return active - need


@internal
def _push_out(device: bytes32, co: Co):
    # The co-stake stops counting now and cools down for 14 days (forced exit).
    self._co[device] = self._pack_co(co.co_staker, co.share_bps, CO_EXITING, block.timestamp)
    log CoStakeExited(device=device, co_staker=co.co_staker, amount=self._unpack_mark(self._mark[device]).co_amount,
                      counts_until=block.timestamp, release_at=block.timestamp + COOLDOWN_SECONDS, forced=True)


@internal
def _clear_co(device: bytes32):
    self._co[device] = self._pack_co(empty(address), 0, CO_NONE, 0)
    mark: Mark = self._unpack_mark(self._mark[device])
    self._mark[device] = self._pack_mark(0, mark.last_slashed_at, mark.jailed, mark.last_slash_id)


@internal
def _set_class_multiplier(device_class: bytes32, multiplier_bps: uint256):
    assert device_class != empty(bytes32), "NodeStaking: class is empty"
    assert multiplier_bps <= MAX_MULTIPLIER_BPS, "NodeStaking: multiplier above maximum"
    old: uint256 = self.class_multiplier[device_class]
    self.class_multiplier[device_class] = multiplier_bps
    log ClassMultiplierUpdated(device_class=device_class, old_multiplier_bps=old, new_multiplier_bps=multiplier_bps)


@internal
def _set_max_slash_bps(bps: uint256):
    assert bps != 0 and bps <= BPS, "NodeStaking: bad max slash"
    glob: Globals = self._unpack_globals(self._globals)
    self._globals = self._pack_globals(glob.escrowed, glob.co_staked, glob.slash_count, bps)
    log MaxSlashUpdated(old_bps=glob.max_slash_bps, new_bps=bps)


# ------------------------------------------------------------------ packing (the only shifts and masks)
@internal
@pure
def _unpack_meta(word: uint256) -> Meta:
    return Meta(owner=convert(word & MASK160, address), processors=(word >> 160) & MASK32,
                index=(word >> 192) & MASK32)


@internal
@pure
def _pack_meta(owner: address, processors: uint256, index: uint256) -> uint256:
    return convert(owner, uint256) | (processors << 160) | (index << 192)


@internal
@pure
def _unpack_own(word: uint256) -> Own:
    return Own(active=word & MASK96, cooldown=(word >> 96) & MASK96, release_at=(word >> 192) & MASK40)


@internal
@pure
def _pack_own(active: uint256, cooldown: uint256, release_at: uint256) -> uint256:
    return active | (cooldown << 96) | (release_at << 192)


@internal
@pure
def _unpack_co(word: uint256) -> Co:
    return Co(co_staker=convert(word & MASK160, address), share_bps=(word >> 160) & MASK16,
              state=(word >> 176) & MASK8, counts_until=(word >> 184) & MASK40)


@internal
@pure
def _pack_co(co_staker: address, share_bps: uint256, state: uint256, counts_until: uint256) -> uint256:
    return convert(co_staker, uint256) | (share_bps << 160) | (state << 176) | (counts_until << 184)


@internal
@pure
def _unpack_mark(word: uint256) -> Mark:
    return Mark(co_amount=word & MASK96, last_slashed_at=(word >> 96) & MASK40,
                jailed=(word >> 136) & MASK8 != 0, last_slash_id=(word >> 144) & MASK64)


@internal
@pure
def _pack_mark(co_amount: uint256, last_slashed_at: uint256, jailed: bool, last_slash_id: uint256) -> uint256:
    return co_amount | (last_slashed_at << 96) | (convert(jailed, uint256) << 136) | (last_slash_id << 144)


@internal
@pure
def _unpack_slash(word: uint256) -> SlashRecord:
    return SlashRecord(active_part=word & MASK96, cooldown_part=(word >> 96) & MASK96,
                       device_index=(word >> 192) & MASK32, created_at=word >> 224)


@internal
@pure
def _pack_slash(active_part: uint256, cooldown_part: uint256, device_index: uint256, created_at: uint256) -> uint256:
    # Creation time in the top 32 bits: exact until the year 2106 (see the layout note).
    return active_part | (cooldown_part << 96) | (device_index << 192) | (created_at << 224)


@internal
@pure
def _unpack_slash_co(word: uint256) -> SlashCo:
    return SlashCo(co_part=word & MASK96, co_staker=convert(word >> 96, address))


@internal
@pure
def _pack_slash_co(co_part: uint256, co_staker: address) -> uint256:
    return co_part | (convert(co_staker, uint256) << 96)


@internal
@pure
def _unpack_globals(word: uint256) -> Globals:
    return Globals(escrowed=word & MASK96, co_staked=(word >> 96) & MASK96, slash_count=(word >> 192) & MASK48,
                   max_slash_bps=word >> 240)


@internal
@pure
def _pack_globals(escrowed: uint256, co_staked: uint256, slash_count: uint256, max_slash_bps: uint256) -> uint256:
    return escrowed | (co_staked << 96) | (slash_count << 192) | (max_slash_bps << 240)



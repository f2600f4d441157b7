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
        stake to one co-staker, who earns a fixed share of the device's rewards. Unstaking goes
        through a 14-day cooldown (co-stakers first wait 7 days). A slasher takes IO pro rata from
        owner and co-staker, stake in wait or cooldown included, into a 30-day appeal escrow:
        governance may overturn it (the IO goes back), otherwise anyone finalizes and it is burned.
@dev Storage layout. Hot per-device state is packed by hand into a few words (Vyper does not pack
     structs) so that stake, unstake, withdraw and slash touch as few slots as possible. Every
     amount field is 96 bits: the contract only ever holds IO, whose supply is at most 8e26 wei
     < 2**96 (7.9e28), so no sum of held amounts can overflow its field (`_amount96` asserts it).
     Times are 40 bits (year 36,812) except a slash's creation time (32 bits, year 2106).
       _meta[device]      owner (bits 0-159) | processors (160-191) | device index (192-223)
       _class[device]     the device class (bytes32)
       _wallet[device]    the owner's reward wallet
       _own[device]       owner active stake (0-95) | owner stake in cooldown (96-191) |
                          cooldown release time (192-231)
       _co[device]        co-staker (0-159) | reward share bps (160-175) | co state (176-183) |
                          exit time, when the co-stake stops counting (184-223)
       _mark[device]      co amount (0-95; the offered amount while OFFERED, the deposit after) |
                          last slashed at (96-135) | jailed (136-143) | last slash id (144-207)
       _slash[id]         owner active part (0-95) | owner cooldown part (96-191) |
                          device index (192-223) | created at (224-255); zero once settled
       _slash_co[id]      co-staker part (0-95) | co-staker (96-255)
       _slash_outcome[id] SLASH_OVERTURNED or SLASH_FINALIZED once settled (0 while pending)
       _globals           escrowed IO (0-95) | slash count (96-159) | max slash bps (160-175)
     A co-stake is in one of: NONE, OFFERED (nothing deposited), ACTIVE (counts, earns), EXITING.
     An EXITING co-stake counts toward the minimum (earning nothing) until its exit time (the end
     of the 7-day wait, or the moment the owner's unstake pushed it out), then cools down for
     14 days; both phases are a pure function of the exit time, so no transaction moves it.
     Invariants (tests/unit/test_staking_*.py and tests/fuzz/test_staking_machine.py name them):
     1. io_held: IO held == Σ owner active + Σ owner cooldown + Σ deposited co-stakes (active,
        in wait or in cooldown) + Σ slashes in escrow (`escrowed`) + Σ overturn refunds owed.
     2. slash_bounded: a slash never takes more than the device's slashable stake (nor more than
        max_slash_bps of it), and each stake loses at most what it holds (pro rata, sequential
        floor rounding, the remainder taken from the last bucket, which always covers it).
     3. cooldown_slashable: stake in wait or cooldown stays slashable until it is withdrawn.
     4. eligibility: is_eligible(d) == (owner active + counting co-stake >= min_stake(d)) and
        multiplier(class) > 0 and not jailed, for a registered device.
     5. co_cap: an offer and its acceptance need co amount <= owner active stake (50 % of the
        total); withdraw_overflow keeps it so; a co-staker holds at most 2 offers at a time.
     6. o1: every function is O(1) in the number of devices, owners and co-stakers: no loop
        touches more than one device or one slash.
     7. burn_on_finalize: a finalized slash burns exactly its amount (total supply falls by it;
        the token's cap counts what was minted, so it never re-opens).
     Pause stops only new money coming in: stake, offer_co_stake and accept_co_stake. It never
     stops unstake, withdraw, withdraw_overflow, exits, co-stake withdrawals, refunds, slashing,
     appeals or finalization: a matured withdrawal always goes through.
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


# @dev Sets class multipliers, the slash maximum, unjails and overturns slashes.
GOVERNANCE_ROLE: public(constant(bytes32)) = keccak256("GOVERNANCE_ROLE")
# @dev Slashes devices on the network's off-chain verdicts (fraud, spoofing, poor service).
SLASHER_ROLE: public(constant(bytes32)) = keccak256("SLASHER_ROLE")
# @dev Pauses new stakes and offers (a guardian); GOVERNANCE_ROLE unpauses.
PAUSER_ROLE: public(constant(bytes32)) = keccak256("PAUSER_ROLE")

# @dev Fixed point of multipliers and shares: 10_000 = 1.0x = 100 %.
BPS: public(constant(uint256)) = 10_000
# @dev Minimum stake per processor at multiplier 1.0x, in wei.
BASE_STAKE: public(constant(uint256)) = 200 * 10**18
# @dev Cooldown of unstaked owner stake and of exiting co-stake, in seconds.
COOLDOWN_SECONDS: public(constant(uint256)) = 14 * 86_400
# @dev Co-staker's exit wait (counts toward the minimum, earns nothing), in seconds.
EXIT_WAIT_SECONDS: public(constant(uint256)) = 7 * 86_400
# @dev Appeal window of a slash, in seconds.
APPEAL_SECONDS: public(constant(uint256)) = 30 * 86_400
# @dev Most offers (pending or accepted, until withdrawn) one co-staker may hold.
MAX_OFFERS_PER_CO_STAKER: public(constant(uint256)) = 2
# @dev Largest co-stake as a fraction of the device's total stake, in bps (50 %).
MAX_CO_STAKE_BPS: public(constant(uint256)) = 5_000

# @dev Outcomes of a slash (slash_outcome): unknown id, in its appeal window, overturned, finalized.
SLASH_UNKNOWN: public(constant(uint256)) = 0
SLASH_PENDING: public(constant(uint256)) = 1
SLASH_OVERTURNED: public(constant(uint256)) = 2
SLASH_FINALIZED: public(constant(uint256)) = 3

# Co-stake states.
CO_NONE: constant(uint256) = 0
CO_OFFERED: constant(uint256) = 1
CO_ACTIVE: constant(uint256) = 2
CO_EXITING: constant(uint256) = 3

MASK96: constant(uint256) = 2**96 - 1
MASK160: constant(uint256) = 2**160 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK16: constant(uint256) = 2**16 - 1
MASK8: constant(uint256) = 2**8 - 1


# @dev The IO token; every stake is held here, every finalized slash burned from here.
token: public(immutable(IIOToken))

# @dev Packed device words (see the layout in the contract's @dev).
_meta: HashMap[bytes32, uint256]
# @dev Each device's class.
_class: HashMap[bytes32, bytes32]
# @dev Each device's reward wallet (the owner's share of rewards goes there).
_wallet: HashMap[bytes32, address]
# @dev Owner stake word: active | cooldown | release time.
_own: HashMap[bytes32, uint256]
# @dev Co-stake word: co-staker | share bps | state | exit time.
_co: HashMap[bytes32, uint256]
# @dev Co amount | last slashed at | jailed.
_mark: HashMap[bytes32, uint256]
# @dev Device id by its 1-based registration index (slash records store the index).
device_at: public(HashMap[uint256, bytes32])
# @dev Number of registered devices (the last index).
device_count: public(uint256)
# @dev Multiplier of each device class, 10_000 = 1.0x; 0 = unsupported.
class_multiplier: public(HashMap[bytes32, uint256])
# @dev Offers a co-staker holds (pending or accepted until withdrawn); at most 2.
offers_held: public(HashMap[address, uint256])
# @dev Global word: IO in the appeal escrow (0-95) | slashes ever made, the last slash id (96-159) |
#      largest slash as bps of the device's slashable stake (160-175). One slot, read once per slash.
_globals: uint256
# @dev Packed slash records (owner parts, device index, time); zero once settled.
_slash: HashMap[uint256, uint256]
# @dev Co-staker part of each slash and whom it came from.
_slash_co: HashMap[uint256, uint256]
# @dev How each settled slash ended: SLASH_OVERTURNED or SLASH_FINALIZED (0 while pending).
_slash_outcome: HashMap[uint256, uint256]
# @dev IO owed back to co-stakers whose overturned slash found their position gone.
refunds: public(HashMap[address, uint256])


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


# @dev The co-staker deposited the offered amount.
event CoStakeAccepted:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    reward_share_bps: uint256


# @dev The co-stake started its exit: it counts until `counts_until`, is released at `release_at`.
event CoStakeExited:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256
    counts_until: uint256
    release_at: uint256
    forced: bool


# @dev The co-staker's cooled-down stake was paid out.
event CoStakeWithdrawn:
    device: indexed(bytes32)
    co_staker: indexed(address)
    amount: uint256


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


# @dev Governance overturned a slash; the IO went back where it came from.
event SlashOverturned:
    slash_id: indexed(uint256)
    device: indexed(bytes32)
    amount: uint256
    co_refunded_to_balance: bool


# @dev A slash's appeal window passed and its IO was burned.
event SlashFinalized:
    slash_id: indexed(uint256)
    device: indexed(bytes32)
    amount: uint256


# @dev A device was jailed (by a slash) or unjailed (by governance).
event JailUpdated:
    device: indexed(bytes32)
    jailed: bool


# @dev A co-staker claimed IO returned by an overturned slash.
event RefundClaimed:
    co_staker: indexed(address)
    amount: uint256


@deploy
def __init__(token_: IIOToken, max_slash_bps_: uint256, classes: DynArray[bytes32, 32],
             multipliers_bps: DynArray[uint256, 32]):
    """
    @notice Fixes the token, the slash maximum and the initial class multipliers. The deployer
            receives DEFAULT_ADMIN_ROLE and GOVERNANCE_ROLE (the deploy step grants the others).
    @param token_ The IO token.
    @param max_slash_bps_ Largest slash as bps of the device's slashable stake (1..10_000).
    @param classes Device classes (ASCII names right-padded with zero bytes).
    @param multipliers_bps Their multipliers, 10_000 = 1.0x.
    """
    access_control.__init__()
    pausable.__init__()
    assert token_.address != empty(address), "NodeStaking: token is the zero address"
    assert len(classes) == len(multipliers_bps), "NodeStaking: class lengths differ"
    token = token_
    access_control._grant_role(GOVERNANCE_ROLE, msg.sender)
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
    @param multiplier_bps The multiplier in bps.
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
    mark: uint256 = self._mark[device]
    assert (mark >> 136) & MASK8 != 0, "NodeStaking: device not jailed"
    self._mark[device] = mark & ~(MASK8 << 136)
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
    assert self._meta[device] == 0, "NodeStaking: device already registered"
    assert self.class_multiplier[device_class] != 0, "NodeStaking: class is unsupported"
    assert processors != 0 and processors <= MASK32, "NodeStaking: bad processor count"
    assert reward_wallet != empty(address), "NodeStaking: reward wallet is the zero address"
    index: uint256 = self.device_count + 1
    assert index <= MASK32, "NodeStaking: too many devices"
    self.device_count = index
    self.device_at[index] = device
    self._meta[device] = convert(msg.sender, uint256) | (processors << 160) | (index << 192)
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
    own: uint256 = self._own[device]
    active: uint256 = self._amount96((own & MASK96) + amount)
    self._own[device] = (own & ~MASK96) | active
    extcall token.transferFrom(msg.sender, self, amount)
    log Staked(device=device, owner=msg.sender, amount=amount, active=active)


@external
def withdraw_overflow(device: bytes32, amount: uint256):
    """
    @notice Takes back active stake above what the device needs, at once (no cooldown). Only the
            owner. What it needs: the minimum (with the counting co-stake) and the 50 % cap (owner
            active >= co amount).
    @param device The device id.
    @param amount In wei, nonzero, at most `overflow(device)`.
    """
    self._check_owner(device)
    assert amount != 0, "NodeStaking: amount is zero"
    assert amount <= self._overflow(device), "NodeStaking: amount exceeds overflow"
    own: uint256 = self._own[device]
    active: uint256 = (own & MASK96) - amount
    self._own[device] = (own & ~MASK96) | active
    extcall token.transfer(msg.sender, amount)
    log OverflowWithdrawn(device=device, owner=msg.sender, amount=amount, active=active)


@external
def unstake(device: bytes32):
    """
    @notice Moves the owner's whole active stake into the 14-day cooldown (merged with any stake
            already cooling down, whose clock restarts). If the device is left below its minimum,
            an active or waiting co-stake is pushed into its cooldown too. Only the owner.
    @param device The device id.
    """
    self._check_owner(device)
    own: uint256 = self._own[device]
    active: uint256 = own & MASK96
    assert active != 0, "NodeStaking: nothing staked"
    # cooldown + active <= IO held < 2**96 (layout note), so the sum fits its field.
    cooldown: uint256 = unsafe_add((own >> 96) & MASK96, active)
    release_at: uint256 = block.timestamp + COOLDOWN_SECONDS
    self._own[device] = (cooldown << 96) | (release_at << 192)
    log Unstaked(device=device, owner=msg.sender, amount=active, cooldown=cooldown, release_at=release_at)
    co: uint256 = self._co[device]
    if co == 0:
        return
    state: uint256 = (co >> 176) & MASK8
    if state == CO_ACTIVE or (state == CO_EXITING and block.timestamp < (co >> 184) & MASK40):
        co_amount: uint256 = self._mark[device] & MASK96
        if co_amount < self._min_stake(device):
            self._co[device] = (co & (2**176 - 1)) | (CO_EXITING << 176) | (block.timestamp << 184)
            log CoStakeExited(device=device, co_staker=convert(co & MASK160, address), amount=co_amount,
                              counts_until=block.timestamp, release_at=block.timestamp + COOLDOWN_SECONDS,
                              forced=True)


@external
def withdraw(device: bytes32):
    """
    @notice Pays the owner's cooled-down stake to the owner, once the cooldown is over. Only the
            owner (the wallet that staked). Never paused.
    @param device The device id.
    """
    assert self._meta[device] & MASK160 == convert(msg.sender, uint256), "NodeStaking: caller is not the staker"
    own: uint256 = self._own[device]
    amount: uint256 = (own >> 96) & MASK96
    assert amount != 0, "NodeStaking: nothing in cooldown"
    assert block.timestamp >= (own >> 192) & MASK40, "NodeStaking: cooldown not over"
    self._own[device] = own & MASK96
    extcall token.transfer(msg.sender, amount)
    log Withdrawn(device=device, owner=msg.sender, amount=amount)


# ------------------------------------------------------------------ co-staking
@external
def offer_co_stake(device: bytes32, co_staker: address, amount: uint256, reward_share_bps: uint256):
    """
    @notice Offers `co_staker` to co-stake `amount` on the device for `reward_share_bps` of its
            rewards. Only the owner; not while paused. One co-stake per device at a time; the
            amount may be at most 50 % of the device's total stake (at most the owner's active
            stake); a co-staker holds at most 2 offers.
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
    assert self._co[device] == 0, "NodeStaking: device has a co-staker"
    assert amount <= self._own[device] & MASK96, "NodeStaking: co-stake above 50 %"
    held: uint256 = self.offers_held[co_staker]
    assert held < MAX_OFFERS_PER_CO_STAKER, "NodeStaking: co-staker holds 2 offers"
    self.offers_held[co_staker] = held + 1
    self._co[device] = convert(co_staker, uint256) | (reward_share_bps << 160) | (CO_OFFERED << 176)
    mark: uint256 = self._mark[device]
    self._mark[device] = (mark & ~MASK96) | self._amount96(amount)
    log CoStakeOffered(device=device, co_staker=co_staker, amount=amount, reward_share_bps=reward_share_bps)


@external
def cancel_co_stake_offer(device: bytes32):
    """
    @notice Withdraws a pending (not yet accepted) offer. Only the owner.
    @param device The device id.
    """
    self._check_owner(device)
    co: uint256 = self._co[device]
    assert (co >> 176) & MASK8 == CO_OFFERED, "NodeStaking: no pending offer"
    co_staker: address = convert(co & MASK160, address)
    self._clear_co(device, co_staker)
    log CoStakeOfferCancelled(device=device, co_staker=co_staker)


@external
def accept_co_stake(device: bytes32):
    """
    @notice Accepts the offer made to the caller by depositing its amount (approved beforehand).
            Only the offered co-staker; not while paused. The 50 % cap is checked again.
    @param device The device id.
    """
    pausable._require_not_paused()
    co: uint256 = self._co[device]
    assert co & MASK160 == convert(msg.sender, uint256) and (co >> 176) & MASK8 == CO_OFFERED, \
        "NodeStaking: no offer for caller"
    amount: uint256 = self._mark[device] & MASK96
    assert amount <= self._own[device] & MASK96, "NodeStaking: co-stake above 50 %"
    self._co[device] = (co & (2**176 - 1)) | (CO_ACTIVE << 176)
    extcall token.transferFrom(msg.sender, self, amount)
    log CoStakeAccepted(device=device, co_staker=msg.sender, amount=amount,
                        reward_share_bps=(co >> 160) & MASK16)


@external
def exit_co_stake(device: bytes32):
    """
    @notice Starts the co-staker's exit: 7 days of wait (counts toward the minimum, earns
            nothing), then 14 days of cooldown. Only the co-staker.
    @param device The device id.
    """
    co: uint256 = self._co[device]
    assert co & MASK160 == convert(msg.sender, uint256) and (co >> 176) & MASK8 == CO_ACTIVE, \
        "NodeStaking: co-stake not active"
    counts_until: uint256 = block.timestamp + EXIT_WAIT_SECONDS
    self._co[device] = (co & (2**176 - 1)) | (CO_EXITING << 176) | (counts_until << 184)
    log CoStakeExited(device=device, co_staker=msg.sender, amount=self._mark[device] & MASK96,
                      counts_until=counts_until, release_at=counts_until + COOLDOWN_SECONDS, forced=False)


@external
def withdraw_co_stake(device: bytes32):
    """
    @notice Pays an exited co-stake to its co-staker once its cooldown is over, freeing the
            device's co-stake slot and one of the co-staker's 2 offers. The co-staker or the
            device owner may call it (the IO always goes to the co-staker). Never paused.
    @param device The device id.
    """
    co: uint256 = self._co[device]
    co_staker: address = convert(co & MASK160, address)
    assert msg.sender == co_staker or self._meta[device] & MASK160 == convert(msg.sender, uint256), \
        "NodeStaking: caller is not the co-staker"
    assert (co >> 176) & MASK8 == CO_EXITING, "NodeStaking: co-stake not exiting"
    assert block.timestamp >= ((co >> 184) & MASK40) + COOLDOWN_SECONDS, "NodeStaking: cooldown not over"
    amount: uint256 = self._mark[device] & MASK96
    self._clear_co(device, co_staker)
    if amount != 0:
        extcall token.transfer(co_staker, amount)
    log CoStakeWithdrawn(device=device, co_staker=co_staker, amount=amount)


@external
def claim_refund():
    """
    @notice Pays the caller the IO returned to it by overturned slashes whose co-stake position
            was already gone. Anyone with a refund.
    """
    amount: uint256 = self.refunds[msg.sender]
    assert amount != 0, "NodeStaking: no refund"
    self.refunds[msg.sender] = 0
    extcall token.transfer(msg.sender, amount)
    log RefundClaimed(co_staker=msg.sender, amount=amount)


# ------------------------------------------------------------------ slashing
@external
def slash(device: bytes32, amount: uint256, evidence: bytes32, jail: bool) -> uint256:
    """
    @notice Slashes `amount` IO from the device into the 30-day appeal escrow, pro rata from the
            owner's active stake, the owner's stake in cooldown and the co-stake (active, in wait
            or in cooldown); optionally jails the device. Only SLASHER_ROLE. The evidence hash is
            recorded in the Slashed event.
    @param device The device id.
    @param amount In wei, nonzero, at most max_slash_bps of the slashable stake.
    @param evidence Hash of the off-chain evidence.
    @param jail Whether to jail the device (governance unjails).
    @return uint256 The slash id.
    """
    access_control._check_role(SLASHER_ROLE, msg.sender)
    meta: uint256 = self._meta[device]
    assert meta != 0, "NodeStaking: unknown device"
    assert amount != 0, "NodeStaking: amount is zero"
    own: uint256 = self._own[device]
    active: uint256 = own & MASK96
    cooling: uint256 = (own >> 96) & MASK96
    co: uint256 = self._co[device]
    mark: uint256 = self._mark[device]
    co_amount: uint256 = 0
    if (co >> 176) & MASK8 >= CO_ACTIVE:
        co_amount = mark & MASK96
    # Each term < 2**96, so the sum cannot overflow.
    total: uint256 = unsafe_add(unsafe_add(active, cooling), co_amount)
    assert total != 0, "NodeStaking: nothing to slash"
    glob: uint256 = self._globals
    assert amount * BPS <= total * ((glob >> 160) & MASK16), "NodeStaking: slash above maximum"

    # Sequential pro rata (invariant 2): each part is floor(rest * bucket / rest_total); with
    # rest <= rest_total at every step, the last bucket covers what is left.
    rest: uint256 = amount
    rest_total: uint256 = total
    active_part: uint256 = rest * active // rest_total
    rest -= active_part
    rest_total -= active
    cooling_part: uint256 = 0
    if rest_total != 0:
        cooling_part = rest * cooling // rest_total
    rest -= cooling_part
    co_part: uint256 = rest  # <= co_amount (see above)

    self._own[device] = (own & ~(2**192 - 1)) | ((cooling - cooling_part) << 96) | (active - active_part)
    jailed: uint256 = (mark >> 136) & MASK8
    if jail:
        jailed = 1
    kept: uint256 = mark & MASK96  # an OFFERED amount is not deposited: kept as is
    if co_amount != 0:
        kept = co_amount - co_part
    slash_id: uint256 = ((glob >> 96) & MASK64) + 1
    self._mark[device] = kept | (block.timestamp << 96) | (jailed << 136) | (slash_id << 144)

    # escrowed + amount <= IO held < 2**96 (layout note), so it fits its field.
    self._globals = (glob & ~(2**160 - 1)) | (slash_id << 96) | unsafe_add(glob & MASK96, amount)
    # Creation time in the top 32 bits: exact until the year 2106 (see the layout note).
    self._slash[slash_id] = active_part | (cooling_part << 96) | (((meta >> 192) & MASK32) << 192) | \
        (block.timestamp << 224)
    co_staker: address = empty(address)
    if co_part != 0:
        co_staker = convert(co & MASK160, address)
        self._slash_co[slash_id] = co_part | ((co & MASK160) << 96)
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
            still holds it; otherwise the co-staker may claim it with `claim_refund`). The jail is
            not lifted (see `unjail`). Only GOVERNANCE_ROLE.
    @param slash_id The slash id.
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    rec: uint256 = self._slash[slash_id]
    assert rec != 0, "NodeStaking: slash not pending"
    assert block.timestamp < (rec >> 224) + APPEAL_SECONDS, "NodeStaking: appeal window over"
    device: bytes32 = self.device_at[(rec >> 192) & MASK32]
    active_part: uint256 = rec & MASK96
    cooling_part: uint256 = (rec >> 96) & MASK96
    rec_co: uint256 = self._slash_co[slash_id]
    co_part: uint256 = rec_co & MASK96
    own: uint256 = self._own[device]
    active: uint256 = self._amount96((own & MASK96) + active_part)
    cooling: uint256 = self._amount96(((own >> 96) & MASK96) + cooling_part)
    self._own[device] = (own & ~(2**192 - 1)) | (cooling << 96) | active
    to_balance: bool = False
    if co_part != 0:
        co: uint256 = self._co[device]
        if co & MASK160 == rec_co >> 96 and (co >> 176) & MASK8 >= CO_ACTIVE:
            mark: uint256 = self._mark[device]
            self._mark[device] = (mark & ~MASK96) | self._amount96((mark & MASK96) + co_part)
        else:
            to_balance = True
            staker: address = convert(rec_co >> 96, address)
            self.refunds[staker] += co_part
        self._slash_co[slash_id] = 0
    self._slash[slash_id] = 0
    self._slash_outcome[slash_id] = SLASH_OVERTURNED
    amount: uint256 = active_part + cooling_part + co_part
    self._globals -= amount  # the escrowed field holds at least this slash's amount
    log SlashOverturned(slash_id=slash_id, device=device, amount=amount, co_refunded_to_balance=to_balance)


@external
def finalize_slash(slash_id: uint256):
    """
    @notice Burns a slash's IO once its 30-day appeal window is over. Anyone may call it.
    @param slash_id The slash id.
    """
    rec: uint256 = self._slash[slash_id]
    assert rec != 0, "NodeStaking: slash not pending"
    assert block.timestamp >= (rec >> 224) + APPEAL_SECONDS, "NodeStaking: appeal window open"
    rec_co: uint256 = self._slash_co[slash_id]
    amount: uint256 = (rec & MASK96) + ((rec >> 96) & MASK96) + (rec_co & MASK96)
    self._slash[slash_id] = 0
    self._slash_outcome[slash_id] = SLASH_FINALIZED
    if rec_co != 0:
        self._slash_co[slash_id] = 0
    self._globals -= amount  # the escrowed field holds at least this slash's amount
    extcall token.burn(amount)
    log SlashFinalized(slash_id=slash_id, device=self.device_at[(rec >> 192) & MASK32], amount=amount)


# ------------------------------------------------------------------ views
@external
@view
def max_slash_bps() -> uint256:
    """
    @notice Largest slash as bps of a device's slashable stake.
    @return uint256 In bps.
    """
    return (self._globals >> 160) & MASK16


@external
@view
def slash_count() -> uint256:
    """
    @notice Number of slashes ever made (the last slash id; ids start at 1).
    @return uint256 The count.
    """
    return (self._globals >> 96) & MASK64


@external
@view
def escrowed() -> uint256:
    """
    @notice IO held in the appeal escrow (pending slashes), in wei.
    @return uint256 In wei.
    """
    return self._globals & MASK96


@external
@view
def is_eligible(device: bytes32) -> bool:
    """
    @notice True when the stake not in cooldown (owner active + counting co-stake) meets the
            minimum, the class multiplier is above 0 and the device is not jailed.
    @param device The device id.
    @return bool Eligibility.
    """
    if self._meta[device] == 0:
        return False
    if self.class_multiplier[self._class[device]] == 0:
        return False
    if (self._mark[device] >> 136) & MASK8 != 0:
        return False
    return self._counting(device) >= self._min_stake(device)


@external
@view
def device_owner(device: bytes32) -> address:
    """
    @notice The wallet that registered the device (empty for an unknown device).
    @param device The device id.
    @return address The owner.
    """
    return convert(self._meta[device] & MASK160, address)


@external
@view
def reward_split(device: bytes32) -> (address, address, uint256):
    """
    @notice (owner's reward wallet, active co-staker or empty, co-staker share in bps). A
            co-staker offered, in its exit wait or in cooldown earns nothing: empty and 0.
    @param device The device id.
    @return (address, address, uint256) The split.
    """
    co: uint256 = self._co[device]
    if (co >> 176) & MASK8 != CO_ACTIVE:
        return self._wallet[device], empty(address), 0
    return self._wallet[device], convert(co & MASK160, address), (co >> 160) & MASK16


@external
@view
def last_slashed_at(device: bytes32) -> uint256:
    """
    @notice The block timestamp of the device's latest slash (0 if never slashed).
    @param device The device id.
    @return uint256 The timestamp.
    """
    return (self._mark[device] >> 96) & MASK40


@external
@view
def last_slash_id(device: bytes32) -> uint256:
    """
    @notice The id of the device's latest slash (0 if never slashed).
    @param device The device id.
    @return uint256 The slash id.
    """
    return (self._mark[device] >> 144) & MASK64


@external
@view
def claim_context(device: bytes32) -> (address, uint256):
    """
    @notice What a rewards claim needs in one call: (owner's reward wallet, id of the device's
            latest slash). The wallet is empty for an unknown device; the id 0 if never slashed.
    @param device The device id.
    @return (address, uint256) The wallet and the slash id.
    """
    return self._wallet[device], (self._mark[device] >> 144) & MASK64


@external
@view
def slash_outcome(slash_id: uint256) -> uint256:
    """
    @notice How a slash stands: SLASH_UNKNOWN (0, no such slash), SLASH_PENDING (1, in escrow,
            appealable or awaiting finalization), SLASH_OVERTURNED (2) or SLASH_FINALIZED (3, burned).
    @param slash_id The slash id.
    @return uint256 The outcome.
    """
    outcome: uint256 = self._slash_outcome[slash_id]
    if outcome != 0:
        return outcome
    if self._slash[slash_id] != 0:
        return SLASH_PENDING
    return SLASH_UNKNOWN


@external
@view
def is_jailed(device: bytes32) -> bool:
    """
    @notice Whether the device is jailed.
    @param device The device id.
    @return bool Jailed.
    """
    return (self._mark[device] >> 136) & MASK8 != 0


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
    meta: uint256 = self._meta[device]
    return convert(meta & MASK160, address), self._class[device], (meta >> 160) & MASK32, \
        self._wallet[device], (meta >> 192) & MASK32


@external
@view
def owner_stake(device: bytes32) -> (uint256, uint256, uint256):
    """
    @notice The owner's stake: (active, in cooldown, cooldown release time).
    @param device The device id.
    @return (uint256, uint256, uint256) The stake.
    """
    own: uint256 = self._own[device]
    return own & MASK96, (own >> 96) & MASK96, (own >> 192) & MASK40


@external
@view
def co_stake(device: bytes32) -> (address, uint256, uint256, uint256, uint256):
    """
    @notice The device's co-stake: (co-staker, amount, reward share bps, state, exit time).
            State: 0 none, 1 offered (amount not deposited), 2 active, 3 exiting (counts until
            the exit time, released 14 days after it).
    @param device The device id.
    @return (address, uint256, uint256, uint256, uint256) The co-stake.
    """
    co: uint256 = self._co[device]
    return convert(co & MASK160, address), self._mark[device] & MASK96, (co >> 160) & MASK16, \
        (co >> 176) & MASK8, (co >> 184) & MASK40


@external
@view
def counting_stake(device: bytes32) -> uint256:
    """
    @notice Stake that counts toward the minimum: owner active + co-stake active or in its wait.
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
def slash_info(slash_id: uint256) -> (bytes32, uint256, uint256, uint256, address, uint256):
    """
    @notice A pending slash: (device, owner active part, owner cooldown part, co part, co-staker,
            created at). All zero once settled (overturned or finalized) or for an unknown id.
    @param slash_id The slash id.
    @return (bytes32, uint256, uint256, uint256, address, uint256) The record.
    """
    rec: uint256 = self._slash[slash_id]
    if rec == 0:
        return empty(bytes32), 0, 0, 0, empty(address), 0
    rec_co: uint256 = self._slash_co[slash_id]
    return self.device_at[(rec >> 192) & MASK32], rec & MASK96, (rec >> 96) & MASK96, rec_co & MASK96, \
        convert(rec_co >> 96, address), rec >> 224


# ------------------------------------------------------------------ internal
@internal
@view
def _check_owner(device: bytes32):
    meta: uint256 = self._meta[device]
    assert meta != 0, "NodeStaking: unknown device"
    assert meta & MASK160 == convert(msg.sender, uint256), "NodeStaking: caller is not the owner"


@internal
@pure
def _amount96(amount: uint256) -> uint256:
    assert amount <= MASK96, "NodeStaking: amount too large"
    return amount


@internal
@view
def _min_stake(device: bytes32) -> uint256:
    processors: uint256 = (self._meta[device] >> 160) & MASK32
    if processors == 0:
        return 0
    mult: uint256 = max(self.class_multiplier[self._class[device]], BPS)
    # 200e18 is a multiple of 10_000, so the division is exact.
    return BASE_STAKE * mult * processors // BPS


@internal
@view
def _co_counting(device: bytes32) -> uint256:
    co: uint256 = self._co[device]
    state: uint256 = (co >> 176) & MASK8
    if state == CO_ACTIVE or (state == CO_EXITING and block.timestamp < (co >> 184) & MASK40):
        return self._mark[device] & MASK96
    return 0


@internal
@view
def _counting(device: bytes32) -> uint256:
    return (self._own[device] & MASK96) + self._co_counting(device)


@internal
@view
def _overflow(device: bytes32) -> uint256:
    active: uint256 = self._own[device] & MASK96
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
def _clear_co(device: bytes32, co_staker: address):
    self._co[device] = 0
    mark: uint256 = self._mark[device]
    self._mark[device] = mark & ~MASK96
    self.offers_held[co_staker] -= 1


@internal
def _set_class_multiplier(device_class: bytes32, multiplier_bps: uint256):
    assert device_class != empty(bytes32), "NodeStaking: class is empty"
    old: uint256 = self.class_multiplier[device_class]
    self.class_multiplier[device_class] = multiplier_bps
    log ClassMultiplierUpdated(device_class=device_class, old_multiplier_bps=old, new_multiplier_bps=multiplier_bps)


@internal
def _set_max_slash_bps(bps: uint256):
    assert bps != 0 and bps <= BPS, "NodeStaking: bad max slash"
    glob: uint256 = self._globals
    old: uint256 = (glob >> 160) & MASK16
    self._globals = (glob & (2**160 - 1)) | (bps << 160)
    log MaxSlashUpdated(old_bps=old, new_bps=bps)

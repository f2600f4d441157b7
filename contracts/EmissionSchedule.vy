# pragma version ~=0.4.3
"""
@title IO Emission Schedule
@custom:contract-name EmissionSchedule
@license GNU Affero General Public License v3.0 only
@notice Mints the 300,000,000 IO provider-reward emission, hour by hour for 20 years, on the
        published formula, to the reward recipient (the rewards distributor). Anyone may call
        `mint_due`; it mints everything that has become due since the last call, however long ago.
@dev The schedule (docs/economy.md §3). Epoch t (1-based) covers
     [START_TIME + (t-1)*3600, START_TIME + t*3600) and becomes mintable once it has ended.
         E(t) = E1 * q^(t-1),   E1 = 500,000,000 * 0.08 / 8760 IO,   q = 1 - d,
         d = 0.0000138869523959793,
     so the cumulative emission after t epochs is the closed form
         S(t) = E1 * (1 - q^t) / d.
     In wei, with P = q^t in ray (1e27) fixed point:
         S(t) = 5e43 * (RAY - P) / (1095 * 138869523959793 * RAY)
              = 5e16 * (RAY - P) / 152_062_128_735_973_335         (floor)
     because E1 = 5e24/1095 wei and d = 138869523959793 / 1e19. q = 0.9999861130476040207 is
     exact in ray (Q_RAY below), which it is not in 1e18. P comes from `_rpow` (exponentiation by
     squaring, 18 fixed iterations since 2^18 > 175,319, each product rounded half up), so the only
     error is P's rounding: at most ~36 ray units, i.e. ~12 wei of S, far inside the 1e-9 IO
     (1e9 wei) budget. The last epoch is clamped: S(175,319) is defined as exactly 300,000,000 IO
     (the real formula gives 300,000,000.00044), and nothing is ever due after it.
     Invariants (tests/unit/test_emission.py and tests/fuzz/test_token_properties.py name them):
     1. total_emitted <= cumulative_through(completed_epochs()) <= TOTAL_EMISSION.
     2. cumulative_through is non-decreasing in the epoch and equals TOTAL_EMISSION from EPOCH_COUNT on.
     3. After mint_due, total_emitted == cumulative_through(completed_epochs()): minting late mints
        exactly what minting on time would have (no over-mint on catch-up, unlike CRV).
     4. No zero value is a state marker: the schedule is a pure function of block.timestamp and
        the immutable START_TIME.
     5. Every epoch's emission goes to the recipient in place when the epoch ended:
        `set_reward_recipient` first mints what is due to the old recipient (as `mint_due` would
        at that moment), so a switch never moves emission that was already due, whether or not
        anyone called `mint_due` in the block before. The RewardRecipientUpdated event names the
        first epoch the new recipient is paid for.
     The Python twin of every number here is ionet.emission (integer and Decimal forms).
"""

from interfaces import IIOToken

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


# @dev Length of one epoch in seconds.
EPOCH_SECONDS: public(constant(uint256)) = 3_600
# @dev Number of epochs: 20 years of hours (published).
EPOCH_COUNT: public(constant(uint256)) = 175_319
# @dev Everything the schedule ever mints, in wei.
TOTAL_EMISSION: public(constant(uint256)) = 300_000_000 * 10**18
# @dev 1e27 fixed point.
RAY: constant(uint256) = 10**27
# @dev q = 1 - d in ray, exact: 0.9999861130476040207 * 1e27.
Q_RAY: public(constant(uint256)) = 999_986_113_047_604_020_700_000_000
# @dev 5e43 / RAY: E1 in wei (5e24/1095) times 1e19 (from d's denominator), over RAY.
S_NUMERATOR: constant(uint256) = 5 * 10**16
# @dev 1095 * 138_869_523_959_793: E1's denominator times d's numerator.
S_DENOMINATOR: constant(uint256) = 152_062_128_735_973_335
# @dev Packing of `_state` (used only by `_pack_state` and `_unpack_state`).
ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
EMITTED_SHIFT: constant(uint256) = 160


# @dev The IO token; this contract is its one minter.
token: public(immutable(IIOToken))
# @dev The start of epoch 1 (unix seconds).
START_TIME: public(immutable(uint256))

# @dev One word: the reward recipient (bits 0-159; where minted emission goes, the rewards
#      distributor; the admin can change it) and everything minted so far in wei (bits 160-255;
#      at most 3e26 < 2**96). Packed so that `mint_due` reads and writes a single slot, which is
#      never zero (the recipient is never the zero address): no zero-to-nonzero write on the
#      first mint. Read through `reward_recipient()` and `total_emitted()`; packed and unpacked
#      only by `_pack_state` / `_unpack_state`:
#          bit 255 ............ 160 | 159 ............. 0
#              total emitted (wei)  |  reward recipient
_state: uint256


# @dev Emitted on every mint: how much, to whom, through which epoch, and the running total.
event EmissionMinted:
    recipient: indexed(address)
    amount: uint256
    through_epoch: uint256
    total_emitted: uint256


# @dev Emitted when the admin changes the reward recipient (and once by the constructor, from the
#      zero address): `new_recipient` is paid for epoch `from_epoch` and every later one, the
#      epochs before it went to `old_recipient` (their EmissionMinted comes first).
event RewardRecipientUpdated:
    old_recipient: indexed(address)
    new_recipient: indexed(address)
    from_epoch: uint256


@deploy
def __init__(token_: IIOToken, start_time_: uint256, reward_recipient_: address):
    """
    @notice Fixes the token and the schedule's start. The deployer becomes the admin.
    @param token_ The IO token (which must then name this contract as its minter).
    @param start_time_ The start of epoch 1; 0 means the deployment block's time.
    @param reward_recipient_ Where the emission goes.
    """
    ownable.__init__()
    ownable_2step.__init__()
    assert token_.address != empty(address), "EmissionSchedule: token is the zero address"
    assert reward_recipient_ != empty(address), "EmissionSchedule: recipient is the zero address"
    token = token_
    START_TIME = start_time_ if start_time_ != 0 else block.timestamp
    self._state = self._pack_state(reward_recipient_, 0)
    log RewardRecipientUpdated(old_recipient=empty(address), new_recipient=reward_recipient_, from_epoch=1)


@external
def mint_due() -> uint256:
    """
    @notice Mints everything due since the last call to the reward recipient. Anyone may call it;
            it does nothing (and returns 0) when nothing is due.
    @return uint256 The amount minted, in wei.
    """
    recipient: address = empty(address)
    emitted: uint256 = 0
    recipient, emitted = self._unpack_state(self._state)
    epoch: uint256 = self._completed_epochs()
    due: uint256 = self._cumulative_through(epoch) - emitted
    if due == 0:
        return 0
    emitted += due
    self._state = self._pack_state(recipient, emitted)
    extcall token.mint(recipient, due)
    log EmissionMinted(recipient=recipient, amount=due, through_epoch=epoch, total_emitted=emitted)
    return due


@external
def set_reward_recipient(new_recipient: address):
    """
    @notice Changes where the emission goes from now on. What is due now (the epochs that have
            ended) is minted to the old recipient first, exactly what `mint_due` would mint to it
            at this moment (EmissionMinted, then RewardRecipientUpdated with the first epoch paid
            to the new recipient). Admin only.
    @dev Switching away from a contract that counts its emission by the schedule's total (the
         IncentiveEngine) is best batched after that contract's own sync, in the same operation.
    @param new_recipient The new recipient; not the zero address.
    """
    ownable._check_owner()
    assert new_recipient != empty(address), "EmissionSchedule: recipient is the zero address"
    old: address = empty(address)
    emitted: uint256 = 0
    old, emitted = self._unpack_state(self._state)
    # As `mint_due` (to the old recipient), in the same write that switches the recipient.
    epoch: uint256 = self._completed_epochs()
    due: uint256 = self._cumulative_through(epoch) - emitted
    emitted += due
    self._state = self._pack_state(new_recipient, emitted)
    if due != 0:
        extcall token.mint(old, due)
        log EmissionMinted(recipient=old, amount=due, through_epoch=epoch, total_emitted=emitted)
    log RewardRecipientUpdated(old_recipient=old, new_recipient=new_recipient, from_epoch=epoch + 1)


@external
@view
def reward_recipient() -> address:
    """
    @notice Where minted emission goes (the rewards distributor).
    @return address The recipient.
    """
    recipient: address = empty(address)
    emitted: uint256 = 0
    recipient, emitted = self._unpack_state(self._state)
    return recipient


@external
@view
def total_emitted() -> uint256:
    """
    @notice Everything this contract has minted so far, in wei.
    @return uint256 The amount in wei.
    """
    return self._emitted()


@external
@view
def emission_of(epoch: uint256) -> uint256:
    """
    @notice The emission of one epoch (1-based), in wei; 0 for epoch 0 and after the last.
    @param epoch The epoch number.
    @return uint256 The amount in wei.
    """
    if epoch == 0 or epoch > EPOCH_COUNT:
        return 0
    return self._cumulative_through(epoch) - self._cumulative_through(epoch - 1)


@external
@view
def cumulative_through(epoch: uint256) -> uint256:
    """
    @notice The emission of epochs 1..epoch together, in wei (the closed form, O(log epoch)).
    @param epoch The last epoch counted.
    @return uint256 The amount in wei.
    """
    return self._cumulative_through(epoch)


@external
@view
def current_epoch() -> uint256:
    """
    @notice The epoch in progress now (1-based); 0 before the start, EPOCH_COUNT + 1 after the end.
    @return uint256 The epoch number.
    """
    if block.timestamp < START_TIME:
        return 0
    return min(unsafe_div(block.timestamp - START_TIME, EPOCH_SECONDS) + 1, EPOCH_COUNT + 1)


@external
@view
def completed_epochs() -> uint256:
    """
    @notice How many epochs have ended (and so are mintable), at most EPOCH_COUNT.
    @return uint256 The count.
    """
    return self._completed_epochs()


@external
@view
def mintable() -> uint256:
    """
    @notice What `mint_due` would mint now, in wei.
    @return uint256 The amount in wei.
    """
    return self._cumulative_through(self._completed_epochs()) - self._emitted()


@internal
@pure
def _pack_state(recipient: address, emitted: uint256) -> uint256:
    # emitted <= TOTAL_EMISSION < 2**96, so the shift loses nothing.
    return (emitted << EMITTED_SHIFT) | convert(recipient, uint256)


@internal
@pure
def _unpack_state(state: uint256) -> (address, uint256):
    return convert(state & ADDRESS_MASK, address), state >> EMITTED_SHIFT


@internal
@view
def _emitted() -> uint256:
    recipient: address = empty(address)
    emitted: uint256 = 0
    recipient, emitted = self._unpack_state(self._state)
    return emitted


@internal
@view
def _completed_epochs() -> uint256:
    if block.timestamp < START_TIME:
        return 0
    # block.timestamp >= START_TIME checked above; EPOCH_SECONDS is a nonzero constant.
    return min(unsafe_div(unsafe_sub(block.timestamp, START_TIME), EPOCH_SECONDS), EPOCH_COUNT)


@internal
@pure
def _cumulative_through(epoch: uint256) -> uint256:
    if epoch >= EPOCH_COUNT:
        return TOTAL_EMISSION
    p: uint256 = self._rpow(Q_RAY, epoch)
    # p <= RAY (q < 1), and 5e16 * 1e27 = 5e43 < 2**256: no overflow. Rounds down.
    return min(unsafe_div(S_NUMERATOR * unsafe_sub(RAY, p), S_DENOMINATOR), TOTAL_EMISSION)


@internal
@pure
def _rpow(x: uint256, n: uint256) -> uint256:
    """
    @dev x**n in ray fixed point by squaring, every product rounded half up (as MakerDAO's rpow).
         x <= RAY and every intermediate <= RAY, so x * x <= 1e54 never overflows. Called with
         n < EPOCH_COUNT < 2**18, so 18 rounds consume every bit of n.
    """
    z: uint256 = RAY
    base: uint256 = x
    e: uint256 = n
    for _: uint256 in range(18):
        if e == 0:
            break
        if e & 1 == 1:
            z = unsafe_div(unsafe_add(unsafe_mul(z, base), RAY // 2), RAY)
        e = e >> 1
        if e != 0:
            base = unsafe_div(unsafe_add(unsafe_mul(base, base), RAY // 2), RAY)
    return z

# pragma version ~=0.4.3
"""
@title IO Vesting Vault
@custom:contract-name VestingVault
@license GNU Affero General Public License v3.0 only
@notice Holds one genesis category's IO (Community, R&D & Ecosystem, Seed, Series A, Core
        contributors) and pays it out to grant holders on the category's published schedule.
        The admin grants `(beneficiary, amount)` out of the unallocated balance only; each grant's
        amount is fixed when it is made and vests on the vault's schedule from the vault's start.
        Beneficiaries claim what has vested to any address; anyone may push a grant's vested IO to
        its own beneficiary. In a revocable vault the admin may revoke a grant: what has vested
        stays claimable, the rest returns to the unallocated balance (never to the admin's wallet).
        A beneficiary moves a grant to a new key in two steps (propose, accept).
@dev The schedule, fixed at deployment (all five vaults of a deployment share START_TIME, the
     genesis time). After m = floor((t - START_TIME) / PERIOD_SECONDS) full periods:
         initial(A)   = floor(A * UNLOCKED_BPS / 10_000)
         tranches(m)  = clamp(m - CLIFF_PERIODS, 0, TRANCHE_COUNT)
         vested(A, t) = initial(A) + floor((A - initial(A)) * tranches(m) / TRANCHE_COUNT)
     and vested(A, t) = 0 before START_TIME. Rounding is down (in the vault's favour) except that
     the last tranche pays the exact remainder: tranches(m) == TRANCHE_COUNT gives exactly A.
     E.g. Seed: CLIFF_PERIODS 12, TRANCHE_COUNT 24: the first tranche vests at the end of month
     13, the last at the end of month 36. The Python twin is ionet.vesting.

     A grant id is `serial << 160 | beneficiary`: the id names its holder, so a claim reads one
     storage slot (amount, claimed and revocation time packed together) and checks the caller
     against the id itself. Rotation re-keys the grant: same serial, new id.

     Accounting: outstanding(g) = amount - claimed - (revoked-unvested), and
         unallocated = token balance - sum of outstanding
     where the sum is kept as total_granted - total_claimed - total_revoked (O(1), no loop over
     grants). Tokens sent to the vault directly simply become unallocated.

     Invariants (tests/fuzz/test_vesting_properties.py has one test named after each; the state
     machine in tests/fuzz/test_vesting_state_machine.py checks all four after every step):
     1. balance_equals_unallocated_plus_outstanding: token.balanceOf(vault) ==
        unallocated() + sum(granted - claimed - revoked_unvested) over all grants.
     2. claimed_le_vested_le_granted: for every grant, claimed <= vested(now) <= amount.
     3. vested_monotone_in_time: vested(g, t) never decreases as t grows.
     4. revocation_never_reduces_vested: vested(g, t) after a revocation equals vested(g, t)
        before it for t up to the revocation, and stays at that value afterwards.
     Every operation is O(1) in the number of grants.
"""

from interfaces import IIOToken

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

initializes: ownable
initializes: ownable_2step[ownable := ownable]

# `renounce_ownership` is deliberately not exported: a vault without an admin could never grant
# its unallocated balance again.
exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


# @dev Basis points in one whole.
BPS: constant(uint256) = 10_000
# @dev Largest amount one grant, or any running total, may hold (packing width).
MAX_AMOUNT: public(constant(uint256)) = (1 << 96) - 1
# @dev The most grants `grant_many` makes in one call.
MAX_BATCH: constant(uint256) = 256
# @dev Low 160 bits of a grant id: the beneficiary.
ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
# @dev Low 96 bits of a packed word.
AMOUNT_MASK: constant(uint256) = (1 << 96) - 1


# @dev The IO token this vault holds.
token: public(immutable(IIOToken))
# @dev The genesis category, e.g. "seed" (for indexers and front ends).
category: public(immutable(String[32]))
# @dev When vesting starts (the genesis time, unix seconds).
START_TIME: public(immutable(uint256))
# @dev Length of one period (a month by default: 2,629,746 s).
PERIOD_SECONDS: public(immutable(uint256))
# @dev Full periods after START_TIME before the first tranche can vest.
CLIFF_PERIODS: public(immutable(uint256))
# @dev Number of equal tranches the non-initial part vests in (>= 1).
TRANCHE_COUNT: public(immutable(uint256))
# @dev Share of every grant vested at START_TIME, in bps.
UNLOCKED_BPS: public(immutable(uint256))
# @dev Whether the admin may revoke grants.
REVOCABLE: public(immutable(bool))


struct GrantState:
    grant_id: uint256
    serial: uint256
    beneficiary: address
    amount: uint256
    claimed: uint256
    vested: uint256
    claimable: uint256
    revoked: bool
    revoked_at: uint256
    unvested_returned: uint256
    pending_beneficiary: address


struct Totals:
    granted: uint256
    claimed: uint256
    revoked: uint256
    outstanding: uint256
    unallocated: uint256
    balance: uint256
    grant_count: uint256


# @dev Per grant id: amount (bits 0-95) | claimed (96-191) | revoked_at (192-255, 0 = not revoked).
_grants: HashMap[uint256, uint256]
# @dev Per revoked grant id: what had vested when it was revoked (its vested value forever after).
_vested_at_revocation: HashMap[uint256, uint256]
# @dev Per grant id: the address proposed to take it over (empty when none).
_pending: HashMap[uint256, address]
# @dev total_granted (bits 0-95) | total_claimed (96-191) | grant serials issued (192-255).
_totals: uint256
# @dev Sum of the unvested amounts returned by revocations.
total_revoked: public(uint256)


# @dev The vault and its schedule, once, at deployment.
event VaultCreated:
    token: indexed(address)
    category: String[32]
    start_time: uint256
    period_seconds: uint256
    cliff_periods: uint256
    tranche_count: uint256
    unlocked_bps: uint256
    revocable: bool


# @dev A grant was made out of the unallocated balance.
event Granted:
    grant_id: indexed(uint256)
    beneficiary: indexed(address)
    serial: uint256
    amount: uint256
    unallocated: uint256


# @dev Vested IO of a grant was paid to `recipient`.
event Claimed:
    grant_id: indexed(uint256)
    recipient: indexed(address)
    amount: uint256


# @dev A grant was revoked: `vested` stays claimable, `unvested` returned to the unallocated balance.
event Revoked:
    grant_id: indexed(uint256)
    beneficiary: indexed(address)
    vested: uint256
    unvested: uint256


# @dev The beneficiary proposed a new key for its grant (empty = proposal withdrawn).
event BeneficiaryProposed:
    grant_id: indexed(uint256)
    beneficiary: indexed(address)
    proposed: indexed(address)


# @dev The proposed key accepted: the grant moved from `old_grant_id` to `new_grant_id`.
event BeneficiaryRotated:
    old_grant_id: indexed(uint256)
    new_grant_id: indexed(uint256)
    serial: uint256
    old_beneficiary: address
    new_beneficiary: address


@deploy
def __init__(
    token_: IIOToken,
    category_: String[32],
    start_time_: uint256,
    period_seconds_: uint256,
    cliff_periods_: uint256,
    tranche_count_: uint256,
    unlocked_bps_: uint256,
    revocable_: bool,
):
    """
    @notice Fixes the token and the schedule forever. The deployer becomes the admin.
    @dev The token need not exist yet: the deploy script predicts its address, deploys the five
         vaults, then deploys the token minting the genesis straight into them.
    @param token_ The IO token.
    @param category_ The genesis category's name.
    @param start_time_ The vesting start (genesis time); 0 means this block's timestamp.
    @param period_seconds_ Seconds per period (> 0).
    @param cliff_periods_ Full periods before the first tranche.
    @param tranche_count_ Number of tranches (>= 1).
    @param unlocked_bps_ Share vested at the start, in bps (<= 10,000).
    @param revocable_ Whether grants can be revoked.
    """
    ownable.__init__()
    ownable_2step.__init__()
    assert token_.address != empty(address), "VestingVault: token is the zero address"
    assert period_seconds_ != 0, "VestingVault: period is zero"
    assert tranche_count_ != 0, "VestingVault: tranche count is zero"
    assert unlocked_bps_ <= BPS, "VestingVault: unlocked bps above 10000"
    token = token_
    category = category_
    START_TIME = start_time_ if start_time_ != 0 else block.timestamp
    PERIOD_SECONDS = period_seconds_
    CLIFF_PERIODS = cliff_periods_
    TRANCHE_COUNT = tranche_count_
    UNLOCKED_BPS = unlocked_bps_
    REVOCABLE = revocable_
    log VaultCreated(
        token=token_.address,
        category=category_,
        start_time=START_TIME,
        period_seconds=period_seconds_,
        cliff_periods=cliff_periods_,
        tranche_count=tranche_count_,
        unlocked_bps=unlocked_bps_,
        revocable=revocable_,
    )


# ------------------------------------------------------------------ admin
@external
def grant(beneficiary: address, amount: uint256) -> uint256:
    """
    @notice Grants `amount` of the unallocated balance to `beneficiary`, vesting on the vault's
            schedule from START_TIME. Admin only.
    @param beneficiary Who may claim it; not the zero address.
    @param amount The amount in wei; > 0 and at most unallocated().
    @return uint256 The new grant id (serial << 160 | beneficiary).
    """
    ownable._check_owner()
    totals: uint256 = self._totals
    unallocated: uint256 = self._unallocated(totals)
    grant_id: uint256 = 0
    totals, grant_id, unallocated = self._grant(totals, unallocated, beneficiary, amount)
    self._totals = totals
    return grant_id


@external
def grant_many(beneficiaries: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]) -> uint256:
    """
    @notice Several grants in one transaction (same rules as `grant`, checked one by one). Admin only.
    @param beneficiaries Who receives each grant.
    @param amounts The amount of each, in wei.
    @return uint256 The serial of the first grant made (serials are consecutive).
    """
    ownable._check_owner()
    assert len(beneficiaries) == len(amounts), "VestingVault: lengths differ"
    totals: uint256 = self._totals
    first_serial: uint256 = (totals >> 192) + 1
    unallocated: uint256 = self._unallocated(totals)
    grant_id: uint256 = 0
    for i: uint256 in range(len(beneficiaries), bound=MAX_BATCH):
        totals, grant_id, unallocated = self._grant(totals, unallocated, beneficiaries[i], amounts[i])
    self._totals = totals
    return first_serial


@external
def revoke(grant_id: uint256) -> uint256:
    """
    @notice Revokes a grant (revocable vaults only): what has vested now stays claimable by the
            beneficiary; the rest returns to the unallocated balance. Admin only, once per grant.
    @param grant_id The grant.
    @return uint256 The unvested amount returned to the unallocated balance, in wei.
    """
    ownable._check_owner()
    assert REVOCABLE, "VestingVault: vault is not revocable"
    word: uint256 = self._grants[grant_id]
    assert word != 0, "VestingVault: unknown grant"
    assert word >> 192 == 0, "VestingVault: grant already revoked"
    amount: uint256 = word & AMOUNT_MASK
    vested: uint256 = self._schedule(amount, block.timestamp)
    # vested <= amount (the schedule never exceeds its amount).
    unvested: uint256 = unsafe_sub(amount, vested)
    # block.timestamp > 0 and < 2**64 for the foreseeable future: fits the 64-bit field.
    self._grants[grant_id] = word | (block.timestamp << 192)
    self._vested_at_revocation[grant_id] = vested
    self.total_revoked += unvested
    log Revoked(grant_id=grant_id, beneficiary=self._beneficiary(grant_id), vested=vested, unvested=unvested)
    return unvested


# ------------------------------------------------------------------ beneficiaries
@external
def claim(grant_id: uint256, recipient: address) -> uint256:
    """
    @notice Pays what has vested and is not yet claimed to `recipient`. Only the grant's
            beneficiary may call it.
    @param grant_id The grant (its beneficiary is the caller).
    @param recipient Where the IO goes; not the zero address.
    @return uint256 The amount paid, in wei (0 when nothing is claimable).
    """
    assert msg.sender == self._beneficiary(grant_id), "VestingVault: caller is not the beneficiary"
    assert recipient != empty(address), "VestingVault: recipient is the zero address"
    return self._claim(grant_id, recipient)


@external
def release(grant_id: uint256) -> uint256:
    """
    @notice Pays what has vested and is not yet claimed to the grant's own beneficiary. Anyone
            may call it.
    @param grant_id The grant.
    @return uint256 The amount paid, in wei (0 when nothing is claimable).
    """
    return self._claim(grant_id, self._beneficiary(grant_id))


@external
def propose_beneficiary(grant_id: uint256, new_beneficiary: address):
    """
    @notice First step of a key rotation: the beneficiary names the address that may take the
            grant over. A new proposal replaces the previous one. Beneficiary only.
    @param grant_id The grant.
    @param new_beneficiary The new key; not the zero address, not the current one.
    """
    beneficiary: address = self._beneficiary(grant_id)
    assert msg.sender == beneficiary, "VestingVault: caller is not the beneficiary"
    assert self._grants[grant_id] != 0, "VestingVault: unknown grant"
    assert new_beneficiary != empty(address), "VestingVault: new beneficiary is the zero address"
    assert new_beneficiary != beneficiary, "VestingVault: new beneficiary is the current one"
    self._pending[grant_id] = new_beneficiary
    log BeneficiaryProposed(grant_id=grant_id, beneficiary=beneficiary, proposed=new_beneficiary)


@external
def accept_beneficiary(grant_id: uint256) -> uint256:
    """
    @notice Second step of a key rotation: the proposed address takes the grant over, with its
            amount, claims and revocation state. Proposed address only.
    @param grant_id The grant's current id.
    @return uint256 The grant's new id (same serial, new beneficiary).
    """
    new_beneficiary: address = self._pending[grant_id]
    assert new_beneficiary != empty(address), "VestingVault: no rotation proposed"
    assert msg.sender == new_beneficiary, "VestingVault: caller is not the proposed beneficiary"
    serial: uint256 = grant_id >> 160
    new_id: uint256 = (serial << 160) | convert(convert(new_beneficiary, uint160), uint256)
    self._grants[new_id] = self._grants[grant_id]
    self._grants[grant_id] = 0
    self._pending[grant_id] = empty(address)
    revoked_vested: uint256 = self._vested_at_revocation[grant_id]
    if revoked_vested != 0:
        self._vested_at_revocation[new_id] = revoked_vested
        self._vested_at_revocation[grant_id] = 0
    log BeneficiaryRotated(
        old_grant_id=grant_id,
        new_grant_id=new_id,
        serial=serial,
        old_beneficiary=self._beneficiary(grant_id),
        new_beneficiary=new_beneficiary,
    )
    return new_id


# ------------------------------------------------------------------ views
@external
@view
def vested(grant_id: uint256, at_time: uint256) -> uint256:
    """
    @notice What of a grant has vested (claimed or not) at `at_time`, in wei.
    @param grant_id The grant.
    @param at_time A unix time (past or future).
    @return uint256 The vested amount; 0 for an unknown grant.
    """
    return self._vested(grant_id, self._grants[grant_id], at_time)


@external
@view
def claimable(grant_id: uint256) -> uint256:
    """
    @notice What `claim` would pay now, in wei.
    @param grant_id The grant.
    @return uint256 vested(now) - claimed.
    """
    word: uint256 = self._grants[grant_id]
    return self._vested(grant_id, word, block.timestamp) - ((word >> 96) & AMOUNT_MASK)


@external
@view
def grant_state(grant_id: uint256) -> GrantState:
    """
    @notice A grant's full state, for front ends (all amounts in wei; vested and claimable as of now).
    @param grant_id The grant.
    @return GrantState Everything about it; amount 0 for an unknown (or rotated-away) id.
    """
    word: uint256 = self._grants[grant_id]
    amount: uint256 = word & AMOUNT_MASK
    claimed: uint256 = (word >> 96) & AMOUNT_MASK
    revoked_at: uint256 = word >> 192
    vested: uint256 = self._vested(grant_id, word, block.timestamp)
    unvested_returned: uint256 = 0
    if revoked_at != 0:
        unvested_returned = amount - self._vested_at_revocation[grant_id]
    return GrantState(
        grant_id=grant_id,
        serial=grant_id >> 160,
        beneficiary=self._beneficiary(grant_id),
        amount=amount,
        claimed=claimed,
        vested=vested,
        claimable=vested - claimed,
        revoked=revoked_at != 0,
        revoked_at=revoked_at,
        unvested_returned=unvested_returned,
        pending_beneficiary=self._pending[grant_id],
    )


@external
@view
def totals() -> Totals:
    """
    @notice The vault's totals, in wei: granted, claimed, revoked (unvested returned),
            outstanding (granted - claimed - revoked), unallocated, token balance, grants made.
    @return Totals The totals.
    """
    word: uint256 = self._totals
    granted: uint256 = word & AMOUNT_MASK
    claimed: uint256 = (word >> 96) & AMOUNT_MASK
    revoked: uint256 = self.total_revoked
    balance: uint256 = staticcall token.balanceOf(self)
    outstanding: uint256 = granted - claimed - revoked
    return Totals(
        granted=granted,
        claimed=claimed,
        revoked=revoked,
        outstanding=outstanding,
        unallocated=balance - outstanding,
        balance=balance,
        grant_count=word >> 192,
    )


@external
@view
def unallocated() -> uint256:
    """
    @notice What the admin can still grant: token balance - everything granted and not yet
            claimed or revoked.
    @return uint256 The amount in wei.
    """
    return self._unallocated(self._totals)


@external
@view
def total_granted() -> uint256:
    """
    @notice The sum of every grant's amount ever made, in wei.
    @return uint256 The amount.
    """
    return self._totals & AMOUNT_MASK


@external
@view
def total_claimed() -> uint256:
    """
    @notice Everything ever paid out by claims, in wei.
    @return uint256 The amount.
    """
    return (self._totals >> 96) & AMOUNT_MASK


@external
@view
def grant_count() -> uint256:
    """
    @notice How many grants were ever made (the last serial issued).
    @return uint256 The count.
    """
    return self._totals >> 192


@external
@view
def schedule_vested(amount: uint256, at_time: uint256) -> uint256:
    """
    @notice The schedule itself: what of a (non-revoked) grant of `amount` has vested at `at_time`.
    @param amount An amount in wei.
    @param at_time A unix time.
    @return uint256 The vested amount in wei.
    """
    return self._schedule(amount, at_time)


@external
@pure
def grant_id_of(serial: uint256, beneficiary: address) -> uint256:
    """
    @notice The id a grant with `serial` has while `beneficiary` holds it.
    @param serial The grant's serial (1, 2, ... in the order grants were made).
    @param beneficiary Its holder.
    @return uint256 serial << 160 | beneficiary.
    """
    return (serial << 160) | convert(convert(beneficiary, uint160), uint256)


# ------------------------------------------------------------------ internal
@internal
@pure
def _beneficiary(grant_id: uint256) -> address:
    return convert(convert(grant_id & ADDRESS_MASK, uint160), address)


@internal
@view
def _unallocated(totals: uint256) -> uint256:
    # granted >= claimed + revoked always (each grant's claimed + unvested-returned <= its amount).
    outstanding: uint256 = (totals & AMOUNT_MASK) - ((totals >> 96) & AMOUNT_MASK) - self.total_revoked
    return staticcall token.balanceOf(self) - outstanding


@internal
def _grant(totals: uint256, unallocated: uint256, beneficiary: address, amount: uint256) -> (uint256, uint256, uint256):
    assert beneficiary != empty(address), "VestingVault: beneficiary is the zero address"
    assert amount != 0, "VestingVault: amount is zero"
    assert amount <= unallocated, "VestingVault: amount exceeds unallocated"
    granted: uint256 = (totals & AMOUNT_MASK) + amount
    assert granted <= MAX_AMOUNT, "VestingVault: total granted overflows"
    serial: uint256 = (totals >> 192) + 1
    grant_id: uint256 = (serial << 160) | convert(convert(beneficiary, uint160), uint256)
    self._grants[grant_id] = amount
    # amount <= unallocated was checked above.
    remaining: uint256 = unsafe_sub(unallocated, amount)
    log Granted(grant_id=grant_id, beneficiary=beneficiary, serial=serial, amount=amount, unallocated=remaining)
    # granted < 2**96 and serial < 2**64: the fields do not overlap.
    return (serial << 192) | (totals & (AMOUNT_MASK << 96)) | granted, grant_id, remaining


@internal
def _claim(grant_id: uint256, recipient: address) -> uint256:
    word: uint256 = self._grants[grant_id]
    assert word != 0, "VestingVault: unknown grant"
    claimed: uint256 = (word >> 96) & AMOUNT_MASK
    # vested >= claimed always (invariant 2).
    amount: uint256 = unsafe_sub(self._vested(grant_id, word, block.timestamp), claimed)
    if amount == 0:
        return 0
    # claimed + amount = vested <= grant amount < 2**96: the packed field does not overflow.
    self._grants[grant_id] = word + (amount << 96)
    # total_claimed <= total_granted < 2**96 likewise.
    self._totals = unsafe_add(self._totals, amount << 96)
    assert extcall token.transfer(recipient, amount, default_return_value=True), "VestingVault: transfer failed"
    log Claimed(grant_id=grant_id, recipient=recipient, amount=amount)
    return amount


@internal
@view
def _vested(grant_id: uint256, word: uint256, at_time: uint256) -> uint256:
    vested: uint256 = self._schedule(word & AMOUNT_MASK, at_time)
    if word >> 192 != 0:
        # Revoked: vested froze at the revocation (the schedule is monotone, so min() keeps the
        # past unchanged and caps the future).
        vested = min(vested, self._vested_at_revocation[grant_id])
    return vested


@internal
@view
def _schedule(amount: uint256, at_time: uint256) -> uint256:
    if at_time < START_TIME:
        return 0
    # amount < 2**96 and UNLOCKED_BPS <= 10_000: no overflow; rounds down.
    initial: uint256 = unsafe_div(unsafe_mul(amount, UNLOCKED_BPS), BPS)
    # at_time >= START_TIME checked above; PERIOD_SECONDS > 0 (constructor).
    periods: uint256 = unsafe_div(unsafe_sub(at_time, START_TIME), PERIOD_SECONDS)
    if periods <= CLIFF_PERIODS:
        return initial
    tranches: uint256 = min(unsafe_sub(periods, CLIFF_PERIODS), TRANCHE_COUNT)
    # rest < 2**96, tranches <= TRANCHE_COUNT: the product fits unless TRANCHE_COUNT >= 2**160;
    # checked multiplication. Rounds down; tranches == TRANCHE_COUNT gives exactly `rest`.
    rest: uint256 = unsafe_sub(amount, initial)
    return initial + (rest * tranches) // TRANCHE_COUNT

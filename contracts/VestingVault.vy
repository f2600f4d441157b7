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
        A beneficiary moves a grant to a new key in two steps (propose, accept), and may withdraw
        a proposal before it is accepted (propose the zero address).
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
     against the id itself. Rotation re-keys the grant: same serial, new id; the old id keeps a
     "moved" mark (so it is told apart from an id that never held a grant) and `rotated_to`
     records the serial's new holder, so `current_grant_id(any earlier id)` is O(1).

     Storage layout. Each packed word is read only through its `_unpack_<word>` helper (a struct
     with named fields) and written only through its `_pack_<word>` helper; no shift or mask
     appears anywhere else. Amounts are 96 bits (MAX_AMOUNT).
       grant id          beneficiary (bits 0-159) | serial (160-255)
       _grants[id]       amount (0-95) | claimed (96-191) | revoked at (192-254, 0 = not revoked) |
                         moved (255: the grant was rotated to another id; every other field 0)
       _totals           total granted (0-95) | total claimed (96-191) | serials issued (192-254) |
                         one (255): set by the constructor so that the word is never zero and the
                         vault's first grant pays the same as any later one

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
# @dev The most tranches a schedule may have (a monthly schedule of 1,000 years fits).
MAX_TRANCHES: public(constant(uint256)) = 12_000
# @dev The most grants `grant_many` makes in one call.
MAX_BATCH: constant(uint256) = 256
# @dev Low 160 bits of a grant id: the beneficiary.
ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
# @dev Low 96 bits of a packed word.
AMOUNT_MASK: constant(uint256) = (1 << 96) - 1
# @dev 63-bit fields (revocation time, serials issued).
MASK63: constant(uint256) = (1 << 63) - 1
# @dev Bit 255: the "moved" mark of a grant word, the "one" of the totals word.
TOP_BIT: constant(uint256) = 1 << 255

# @dev Grant status (grant_state): an id that never held a grant, a grant in force, a revoked
#      grant (what had vested stays claimable), an id the grant was rotated away from.
STATUS_UNKNOWN: public(constant(uint256)) = 0
STATUS_ACTIVE: public(constant(uint256)) = 1
STATUS_REVOKED: public(constant(uint256)) = 2
STATUS_MOVED: public(constant(uint256)) = 3


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


# @dev A grant id unpacked.
struct GrantKey:
    serial: uint256
    beneficiary: address


# @dev `_grants[id]` unpacked.
struct GrantWord:
    amount: uint256
    claimed: uint256
    revoked_at: uint256
    moved: bool


# @dev `_totals` unpacked (bit 255, always one, is not a field).
struct TotalsWord:
    granted: uint256
    claimed: uint256
    serials: uint256


struct GrantState:
    grant_id: uint256
    serial: uint256
    beneficiary: address
    status: uint256
    status_name: String[8]
    current_grant_id: uint256
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


# @dev Per grant id: amount | claimed | revoked at | moved (layout in the contract's @dev).
_grants: HashMap[uint256, uint256]
# @dev Per revoked grant id: what had vested when it was revoked (its vested value forever after).
_vested_at_revocation: HashMap[uint256, uint256]
# @dev Per grant id: the address proposed to take it over (empty when none).
_pending: HashMap[uint256, address]
# @dev total_granted | total_claimed | grant serials issued | one (layout in the contract's @dev).
_totals: uint256
# @dev Sum of the unvested amounts returned by revocations.
total_revoked: public(uint256)
# @dev Per serial: the beneficiary the grant was last rotated to; empty if it never was (its id
#      is then the one of its Granted event).
rotated_to: public(HashMap[uint256, address])


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


# @dev The beneficiary proposed a new key for its grant, or withdrew its proposal (`proposed`
#      empty): `propose_beneficiary(grant_id, empty(address))`.
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
    @param tranche_count_ Number of tranches, 1..MAX_TRANCHES.
    @param unlocked_bps_ Share vested at the start, in bps (<= 10,000).
    @param revocable_ Whether grants can be revoked.
    """
    ownable.__init__()
    ownable_2step.__init__()
    assert token_.address != empty(address), "VestingVault: token is the zero address"
    assert period_seconds_ != 0, "VestingVault: period is zero"
    assert tranche_count_ != 0, "VestingVault: tranche count is zero"
    assert tranche_count_ <= MAX_TRANCHES, "VestingVault: tranche count above maximum"
    assert unlocked_bps_ <= BPS, "VestingVault: unlocked bps above 10000"
    token = token_
    category = category_
    START_TIME = start_time_ if start_time_ != 0 else block.timestamp
    PERIOD_SECONDS = period_seconds_
    CLIFF_PERIODS = cliff_periods_
    TRANCHE_COUNT = tranche_count_
    UNLOCKED_BPS = unlocked_bps_
    REVOCABLE = revocable_
    self._totals = self._pack_totals(0, 0, 0)
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
    totals: TotalsWord = self._unpack_totals(self._totals)
    grant_id: uint256 = 0
    unallocated: uint256 = 0
    totals, grant_id, unallocated = self._grant(totals, self._unallocated(totals), beneficiary, amount)
    self._totals = self._pack_totals(totals.granted, totals.claimed, totals.serials)
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
    totals: TotalsWord = self._unpack_totals(self._totals)
    first_serial: uint256 = totals.serials + 1
    unallocated: uint256 = self._unallocated(totals)
    grant_id: uint256 = 0
    for i: uint256 in range(len(beneficiaries), bound=MAX_BATCH):
        totals, grant_id, unallocated = self._grant(totals, unallocated, beneficiaries[i], amounts[i])
    self._totals = self._pack_totals(totals.granted, totals.claimed, totals.serials)
    return first_serial


@external
def revoke(grant_id: uint256) -> uint256:
    """
    @notice Revokes a grant (revocable vaults only): what has vested now stays claimable by the
            beneficiary; the rest returns to the unallocated balance. Admin only, once per grant.
    @param grant_id The grant's current id.
    @return uint256 The unvested amount returned to the unallocated balance, in wei.
    """
    ownable._check_owner()
    assert REVOCABLE, "VestingVault: vault is not revocable"
    g: GrantWord = self._live_grant(grant_id)
    assert g.revoked_at == 0, "VestingVault: grant already revoked"
    vested: uint256 = self._schedule(g.amount, block.timestamp)
    # vested <= amount (the schedule never exceeds its amount).
    unvested: uint256 = unsafe_sub(g.amount, vested)
    # 0 < block.timestamp < 2**63 for the foreseeable future: fits the 63-bit field.
    self._grants[grant_id] = self._pack_grant(g.amount, g.claimed, block.timestamp, False)
    self._vested_at_revocation[grant_id] = vested
    self.total_revoked += unvested
    log Revoked(grant_id=grant_id, beneficiary=self._unpack_id(grant_id).beneficiary, vested=vested,
                unvested=unvested)
    return unvested


# ------------------------------------------------------------------ beneficiaries
@external
def claim(grant_id: uint256, recipient: address) -> uint256:
    """
    @notice Pays what has vested and is not yet claimed to `recipient`. Only the grant's
            beneficiary may call it.
    @param grant_id The grant's current id (its beneficiary is the caller).
    @param recipient Where the IO goes; not the zero address.
    @return uint256 The amount paid, in wei (0 when nothing is claimable).
    """
    assert msg.sender == self._unpack_id(grant_id).beneficiary, "VestingVault: caller is not the beneficiary"
    assert recipient != empty(address), "VestingVault: recipient is the zero address"
    return self._claim(grant_id, recipient)


@external
def release(grant_id: uint256) -> uint256:
    """
    @notice Pays what has vested and is not yet claimed to the grant's own beneficiary. Anyone
            may call it.
    @param grant_id The grant's current id.
    @return uint256 The amount paid, in wei (0 when nothing is claimable).
    """
    return self._claim(grant_id, self._unpack_id(grant_id).beneficiary)


@external
def propose_beneficiary(grant_id: uint256, new_beneficiary: address):
    """
    @notice First step of a key rotation: the beneficiary names the address that may take the
            grant over. A new proposal replaces the previous one; proposing the zero address
            withdraws the pending proposal (there must be one). Beneficiary only.
    @param grant_id The grant's current id.
    @param new_beneficiary The new key, not the current one; or the zero address to withdraw.
    """
    beneficiary: address = self._unpack_id(grant_id).beneficiary
    assert msg.sender == beneficiary, "VestingVault: caller is not the beneficiary"
    self._live_grant(grant_id)
    if new_beneficiary == empty(address):
        assert self._pending[grant_id] != empty(address), "VestingVault: no rotation proposed"
    assert new_beneficiary != beneficiary, "VestingVault: new beneficiary is the current one"
    self._pending[grant_id] = new_beneficiary
    log BeneficiaryProposed(grant_id=grant_id, beneficiary=beneficiary, proposed=new_beneficiary)


@external
def accept_beneficiary(grant_id: uint256) -> uint256:
    """
    @notice Second step of a key rotation: the proposed address takes the grant over, with its
            amount, claims and revocation state. The old id is marked "moved" and
            `current_grant_id(old id)` gives the new one. Proposed address only.
    @param grant_id The grant's current id.
    @return uint256 The grant's new id (same serial, new beneficiary).
    """
    new_beneficiary: address = self._pending[grant_id]
    assert new_beneficiary != empty(address), "VestingVault: no rotation proposed"
    assert msg.sender == new_beneficiary, "VestingVault: caller is not the proposed beneficiary"
    key: GrantKey = self._unpack_id(grant_id)
    new_id: uint256 = self._pack_id(key.serial, new_beneficiary)
    # A pending proposal exists only for a live grant (propose checks it; rotation clears it).
    g: GrantWord = self._unpack_grant(self._grants[grant_id])
    self._grants[new_id] = self._pack_grant(g.amount, g.claimed, g.revoked_at, False)
    self._grants[grant_id] = self._pack_grant(0, 0, 0, True)
    self._pending[grant_id] = empty(address)
    self.rotated_to[key.serial] = new_beneficiary
    revoked_vested: uint256 = self._vested_at_revocation[grant_id]
    if revoked_vested != 0:
        self._vested_at_revocation[new_id] = revoked_vested
        self._vested_at_revocation[grant_id] = 0
    log BeneficiaryRotated(
        old_grant_id=grant_id,
        new_grant_id=new_id,
        serial=key.serial,
        old_beneficiary=key.beneficiary,
        new_beneficiary=new_beneficiary,
    )
    return new_id


# ------------------------------------------------------------------ views
@external
@view
def vested(grant_id: uint256, at_time: uint256) -> uint256:
    """
    @notice What of a grant has vested (claimed or not) at `at_time`, in wei.
    @dev Reverts "VestingVault: unknown grant" for an id that never held a grant and
         "VestingVault: grant moved to a new id" for an id the grant was rotated away from
         (see current_grant_id): an amount is never shown for an id that cannot be paid.
    @param grant_id The grant's current id.
    @param at_time A unix time (past or future).
    @return uint256 The vested amount.
    """
    g: GrantWord = self._live_grant(grant_id)
    return self._vested(grant_id, g.amount, g.revoked_at, at_time)


@external
@view
def claimable(grant_id: uint256) -> uint256:
    """
    @notice What `claim` would pay now, in wei. Reverts as `vested` for an unknown or moved id.
    @param grant_id The grant's current id.
    @return uint256 vested(now) - claimed.
    """
    g: GrantWord = self._live_grant(grant_id)
    return self._vested(grant_id, g.amount, g.revoked_at, block.timestamp) - g.claimed


@external
@view
def grant_state(grant_id: uint256) -> GrantState:
    """
    @notice Any id's full state, for front ends (amounts in wei; vested and claimable as of
            now). `status`: 0 "unknown" (never a grant: every field 0), 1 "active", 2 "revoked"
            (what had vested stays claimable), 3 "moved" (rotated to `current_grant_id`: every
            amount 0 here, read the new id). `current_grant_id` is the id to use now (this one
            unless moved; 0 if unknown).
    @param grant_id Any id.
    @return GrantState Everything about it.
    """
    g: GrantWord = self._unpack_grant(self._grants[grant_id])
    key: GrantKey = self._unpack_id(grant_id)
    status: uint256 = self._status(g)
    name: String[8] = "unknown"
    vested: uint256 = 0
    unvested_returned: uint256 = 0
    if status == STATUS_MOVED:
        name = "moved"
    elif status != STATUS_UNKNOWN:
        name = "active"
        vested = self._vested(grant_id, g.amount, g.revoked_at, block.timestamp)
        if status == STATUS_REVOKED:
            name = "revoked"
            unvested_returned = g.amount - self._vested_at_revocation[grant_id]
    return GrantState(
        grant_id=grant_id,
        serial=key.serial,
        beneficiary=key.beneficiary,
        status=status,
        status_name=name,
        current_grant_id=self._current_id(grant_id, g, key.serial),
        amount=g.amount,
        claimed=g.claimed,
        vested=vested,
        claimable=vested - g.claimed,
        revoked=g.revoked_at != 0,
        revoked_at=g.revoked_at,
        unvested_returned=unvested_returned,
        pending_beneficiary=self._pending[grant_id],
    )


@external
@view
def current_grant_id(grant_id: uint256) -> uint256:
    """
    @notice The id a grant has now, from any id it ever had: itself while it holds the grant,
            the latest holder's id after rotations (O(1): `rotated_to` keeps the serial's
            holder), 0 for an id that never held a grant.
    @param grant_id Any id the grant had (e.g. the one in its Granted event).
    @return uint256 The current id, or 0.
    """
    return self._current_id(grant_id, self._unpack_grant(self._grants[grant_id]), self._unpack_id(grant_id).serial)


@external
@view
def totals() -> Totals:
    """
    @notice The vault's totals, in wei: granted, claimed, revoked (unvested returned),
            outstanding (granted - claimed - revoked), unallocated, token balance, grants made.
    @return Totals The totals.
    """
    word: TotalsWord = self._unpack_totals(self._totals)
    revoked: uint256 = self.total_revoked
    balance: uint256 = staticcall token.balanceOf(self)
    outstanding: uint256 = word.granted - word.claimed - revoked
    return Totals(
        granted=word.granted,
        claimed=word.claimed,
        revoked=revoked,
        outstanding=outstanding,
        unallocated=balance - outstanding,
        balance=balance,
        grant_count=word.serials,
    )


@external
@view
def unallocated() -> uint256:
    """
    @notice What the admin can still grant: token balance - everything granted and not yet
            claimed or revoked.
    @return uint256 The amount in wei.
    """
    return self._unallocated(self._unpack_totals(self._totals))


@external
@view
def total_granted() -> uint256:
    """
    @notice The sum of every grant's amount ever made, in wei.
    @return uint256 The amount.
    """
    return self._unpack_totals(self._totals).granted


@external
@view
def total_claimed() -> uint256:
    """
    @notice Everything ever paid out by claims, in wei.
    @return uint256 The amount.
    """
    return self._unpack_totals(self._totals).claimed


@external
@view
def grant_count() -> uint256:
    """
    @notice How many grants were ever made (the last serial issued).
    @return uint256 The count.
    """
    return self._unpack_totals(self._totals).serials


@external
@view
def schedule_vested(amount: uint256, at_time: uint256) -> uint256:
    """
    @notice The schedule itself: what of a (non-revoked) grant of `amount` has vested at `at_time`.
    @param amount An amount in wei, at most MAX_AMOUNT (what a grant can hold).
    @param at_time A unix time.
    @return uint256 The vested amount in wei.
    """
    assert amount <= MAX_AMOUNT, "VestingVault: amount above maximum"
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
    return self._pack_id(serial, beneficiary)


# ------------------------------------------------------------------ internal
@internal
@view
def _unallocated(totals: TotalsWord) -> uint256:
    # granted >= claimed + revoked always (each grant's claimed + unvested-returned <= its amount).
    outstanding: uint256 = totals.granted - totals.claimed - self.total_revoked
    return staticcall token.balanceOf(self) - outstanding


@internal
@pure
def _status(g: GrantWord) -> uint256:
    if g.moved:
        return STATUS_MOVED
    if g.amount == 0:
        return STATUS_UNKNOWN
    if g.revoked_at != 0:
        return STATUS_REVOKED
    return STATUS_ACTIVE


@internal
@view
def _current_id(grant_id: uint256, g: GrantWord, serial: uint256) -> uint256:
    if g.moved:
        return self._pack_id(serial, self.rotated_to[serial])
    if g.amount == 0:
        return 0
    return grant_id


@internal
@view
def _live_grant(grant_id: uint256) -> GrantWord:
    # The grant an id holds now; reverts for an id that never held one or was rotated away.
    g: GrantWord = self._unpack_grant(self._grants[grant_id])
    assert not g.moved, "VestingVault: grant moved to a new id"
    assert g.amount != 0, "VestingVault: unknown grant"
    return g


@internal
def _grant(totals: TotalsWord, unallocated: uint256, beneficiary: address, amount: uint256) -> (TotalsWord, uint256, uint256):
    assert beneficiary != empty(address), "VestingVault: beneficiary is the zero address"
    assert amount != 0, "VestingVault: amount is zero"
    assert amount <= unallocated, "VestingVault: amount exceeds unallocated"
    granted: uint256 = totals.granted + amount
    assert granted <= MAX_AMOUNT, "VestingVault: total granted overflows"
    # Serials stay far below 2**63 (each grant costs gas): the field cannot overflow.
    serial: uint256 = totals.serials + 1
    grant_id: uint256 = self._pack_id(serial, beneficiary)
    self._grants[grant_id] = self._pack_grant(amount, 0, 0, False)
    # amount <= unallocated was checked above.
    remaining: uint256 = unsafe_sub(unallocated, amount)
    log Granted(grant_id=grant_id, beneficiary=beneficiary, serial=serial, amount=amount, unallocated=remaining)
    return TotalsWord(granted=granted, claimed=totals.claimed, serials=serial), grant_id, remaining


@internal
def _claim(grant_id: uint256, recipient: address) -> uint256:
    g: GrantWord = self._unpack_grant(self._grants[grant_id])
    if g.amount == 0:  # no grant here (a moved id keeps amount 0): say which case
        assert not g.moved, "VestingVault: grant moved to a new id"
        raise "VestingVault: unknown grant"
    vested: uint256 = self._schedule(g.amount, block.timestamp)
    if g.revoked_at != 0:
        vested = min(vested, self._vested_at_revocation[grant_id])  # as in _vested
    # vested >= claimed always (invariant 2).
    amount: uint256 = unsafe_sub(vested, g.claimed)
    if amount == 0:
        return 0
    # claimed + amount = vested <= grant amount < 2**96: the packed field does not overflow.
    self._grants[grant_id] = self._pack_grant(g.amount, unsafe_add(g.claimed, amount), g.revoked_at, False)
    totals: TotalsWord = self._unpack_totals(self._totals)
    # total_claimed <= total_granted < 2**96 likewise.
    self._totals = self._pack_totals(totals.granted, unsafe_add(totals.claimed, amount), totals.serials)
    assert extcall token.transfer(recipient, amount, default_return_value=True), "VestingVault: transfer failed"
    log Claimed(grant_id=grant_id, recipient=recipient, amount=amount)
    return amount


@internal
@view
def _vested(grant_id: uint256, amount: uint256, revoked_at: uint256, at_time: uint256) -> uint256:
    vested: uint256 = self._schedule(amount, at_time)
    if revoked_at != 0:
        # Revoked: vested froze at the revocation (the schedule is monotone, so min() keeps the
        # past unchanged and caps the future).
        vested = min(vested, self._vested_at_revocation[grant_id])
    return vested


@internal
@view
def _schedule(amount: uint256, at_time: uint256) -> uint256:
    # The schedule of the contract's @dev, for an amount <= MAX_AMOUNT.
    start: uint256 = START_TIME
    if at_time < start:
        return 0
    # amount < 2**96 and UNLOCKED_BPS <= 10_000: no overflow; rounds down.
    initial: uint256 = unsafe_div(unsafe_mul(amount, UNLOCKED_BPS), BPS)
    # at_time >= start checked above; PERIOD_SECONDS > 0 (constructor).
    periods: uint256 = unsafe_div(unsafe_sub(at_time, start), PERIOD_SECONDS)
    cliff: uint256 = CLIFF_PERIODS
    if periods <= cliff:
        return initial
    count: uint256 = TRANCHE_COUNT
    tranches: uint256 = min(unsafe_sub(periods, cliff), count)
    # rest < 2**96 and tranches <= TRANCHE_COUNT <= MAX_TRANCHES < 2**14: the product is below
    # 2**110; TRANCHE_COUNT > 0 (constructor); initial + part <= amount. Rounds down;
    # tranches == TRANCHE_COUNT gives exactly `rest`.
    rest: uint256 = unsafe_sub(amount, initial)
    return unsafe_add(initial, unsafe_div(unsafe_mul(rest, tranches), count))


# ------------------------------------------------------------------ packing (the only shifts and masks)
@internal
@pure
def _unpack_id(grant_id: uint256) -> GrantKey:
    return GrantKey(serial=grant_id >> 160, beneficiary=convert(convert(grant_id & ADDRESS_MASK, uint160), address))


@internal
@pure
def _pack_id(serial: uint256, beneficiary: address) -> uint256:
    return (serial << 160) | convert(convert(beneficiary, uint160), uint256)


@internal
@pure
def _unpack_grant(word: uint256) -> GrantWord:
    return GrantWord(amount=word & AMOUNT_MASK, claimed=(word >> 96) & AMOUNT_MASK, revoked_at=(word >> 192) & MASK63,
                     moved=word >= TOP_BIT)


@internal
@pure
def _pack_grant(amount: uint256, claimed: uint256, revoked_at: uint256, moved: bool) -> uint256:
    return amount | (claimed << 96) | (revoked_at << 192) | (convert(moved, uint256) << 255)


@internal
@pure
def _unpack_totals(word: uint256) -> TotalsWord:
    return TotalsWord(granted=word & AMOUNT_MASK, claimed=(word >> 96) & AMOUNT_MASK, serials=(word >> 192) & MASK63)


@internal
@pure
def _pack_totals(granted: uint256, claimed: uint256, serials: uint256) -> uint256:
    return granted | (claimed << 96) | (serials << 192) | TOP_BIT

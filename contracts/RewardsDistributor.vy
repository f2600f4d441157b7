# pragma version ~=0.4.3
"""
@title IO Rewards Distributor
@custom:contract-name RewardsDistributor
@license GNU Affero General Public License v3.0 only
@notice Receives the 300M IO provider-reward emission and pays it out to devices through Merkle
        roots of CUMULATIVE rewards, computed off chain (ionet/rewards.py). The reward oracle
        publishes a root with the tree's total; after ACTIVATION_DELAY, during which the
        canceller can cancel it, anyone activates it. Anyone then claims a leaf; the money only
        ever goes to the device's current reward wallet (the owner's part) and to the leaf's
        co-staker (its part). A claim is O(log n) in the tree and O(1) in storage.
        A slash takes what a device's parties had not claimed when it happened: that amount is
        HELD while the slash can be appealed, returned to them if the slash is overturned and
        forfeited to the pool only once it is finalized (burned). Rewards earned after the slash
        are paid normally.
@dev Leaves are OpenZeppelin StandardMerkleTree leaves of
         (bytes32 device, uint256 owner_cumulative, address co_staker, uint256 co_cumulative,
          uint256 slash_id, uint256 owner_at_slash, uint256 co_at_slash):
         leaf = keccak256(keccak256(abi.encode(<the seven fields>)))
     with sorted pairs: snekmate's `merkle_proof_verification` (the views call its `_verify`;
     `claim` and `settle_slash` run the same loop over the 32-bound array, `_check_proof`, for gas).
       * owner_cumulative: the owner's part of everything the device earned through the root's
         through_time (every leaf of a device carries the same value);
       * co_staker, co_cumulative: one leaf per (device, co-staker that ever earned on it), with
         that co-staker's cumulative, split by the co-stake in force in each epoch; a device that
         never had a co-staker has one leaf with co_staker = empty, co_cumulative = 0;
       * slash_id: the device's latest slash made at or before through_time (0 if none);
       * owner_at_slash: the owner's cumulative through the last epoch that ended at or before
         that slash; co_at_slash: this leaf's co-staker's cumulative at that slash if the slash
         hit its principal (it is the slash's co-staker, with a nonzero co part), else 0.

     Parties. A party is the owner of device d (key: empty address) or co-staker c of device d
     (key: c). Each party has two words, both of one shape, read and written only through
     `_pack` and `_unpack`:
         bit  255 ............ 192 191 ............................ 0
             |  slash id (64)     |           amount (192)           |
       _settled[d][party]: amount = settled (paid + locked into held), slash id = the latest
                           slash applied to the party ("applied");
       _held[d][party]:    amount = rewards held by a slash, slash id = that slash.
     Amounts fit 192 bits (a leaf that would exceed them reverts "amount too large"); NodeStaking's
     slash ids are 64-bit. The held word is only read for a party that was ever slashed
     (applied != 0), which keeps an unslashed claim cheap. A held amount was settled when it was
     locked, so held <= settled for every party.

     A claim (or `settle_slash`) of a leaf under the active root, with (wallet, last) =
     NodeStaking.claim_context(device):
       1. the leaf must verify against the active root; the device must be known (wallet set);
       2. slash_id < last: revert "slash after active root": the root predates the device's
          latest slash, so every reward it shows was unclaimed at that slash and nothing may be
          paid until a root that commits the slash is active. slash_id > last: revert (the
          oracle named a slash NodeStaking does not know);
       3. for the owner, and for the leaf's co-staker if any, if slash_id > applied: the slash
          takes max(0, at_slash - settled) into held and settled becomes max(settled, at_slash);
          applied = slash_id. Rewards an earlier slash still holds are first resolved by that
          slash's outcome if it is decided; if it is still pending they MERGE into the new
          slash: held rewards follow the device's latest slash (one held amount per party);
       4. the held amount is resolved by NodeStaking.slash_outcome(held slash): overturned ->
          released (paid to the party now); finalized -> forfeited (no token moves; the IO stays
          in the pool for later roots); pending -> it stays held;
       5. `claim` only: the party is paid cumulative - settled, if positive, and settled moves up.
     A claim that pays, holds, releases and forfeits nothing reverts "nothing to claim";
     `settle_slash` (steps 1-4, releases paid) reverts "nothing to settle" when it would hold,
     release and forfeit nothing.

     Funding. received = token balance + total_paid (all IO that ever arrived). A root's total
     counts forfeited rewards twice (in the slashed device's cumulative and again in the devices
     the engine later gives them to), so the bound is
         total <= received + total_forfeited,
     i.e. "the root's unclaimed liability is covered by the balance": held amounts are neither
     paid nor forfeited, so they stay covered until they are released or forfeited (the engine
     recycles only total_forfeited).

     Invariants (tests/unit/test_rewards_distributor.py, tests/unit/test_rewards_slash.py and
     tests/fuzz/test_rewards_properties.py name them):
     1. settled_le_cumulative: a party's settled amount never decreases and never exceeds the
        cumulative amount proven for it under the active root (for roots whose at-slash amounts
        do not exceed their cumulative amounts, which the engine guarantees).
     2. settled_sum: total_paid + total_forfeited + total_held == sum of every party's settled,
        and total_held == sum of every party's held amount.
     3. held_never_paid_while_pending: an amount held by a slash is neither paid nor forfeited
        while NodeStaking reports that slash pending.
     4. release_only_when_overturned: held rewards are paid to their party only when the slash
        holding them is overturned.
     5. forfeit_only_when_finalized: held rewards are forfeited only when the slash holding them
        is finalized; a forfeit moves no token (the balance is unchanged by it).
     6. slash_committed: nothing is paid for a device under a root that does not commit the
        device's latest slash.
     7. paid_le_received: total_paid <= total_received(), and the balance never goes below the
        active root's unclaimed liability when the tree's leaves sum to its total.
     8. root_funded: a root is accepted only if total <= total_received() + total_forfeited;
        totals of successive roots never decrease.
     9. delay: a root becomes active no earlier than ACTIVATION_DELAY after it was published,
        and only if the canceller has not cancelled it.
     Roles (snekmate access_control, multisig-ready): DEFAULT_ADMIN_ROLE (the governance
     timelock) grants roles; ORACLE_ROLE publishes roots; CANCELLER_ROLE (a guardian Safe, no
     delay) only cancels pending roots.
"""

from interfaces import IIOToken
from interfaces import INodeStaking

from snekmate.auth import access_control
from snekmate.utils import merkle_proof_verification

initializes: access_control
initializes: merkle_proof_verification

exports: (
    access_control.supportsInterface,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    access_control.DEFAULT_ADMIN_ROLE,
)


# @dev The role that publishes roots.
ORACLE_ROLE: public(constant(bytes32)) = keccak256("ORACLE_ROLE")
# @dev The role that cancels pending roots (and nothing else).
CANCELLER_ROLE: public(constant(bytes32)) = keccak256("CANCELLER_ROLE")
# @dev The longest proof accepted: trees of up to 2**32 leaves.
MAX_PROOF_LENGTH: constant(uint256) = 32
# @dev The longest activation delay the constructor accepts.
MAX_ACTIVATION_DELAY_SECONDS: constant(uint256) = 30 * 86_400
# @dev Slash outcomes as NodeStaking.slash_outcome reports them (1 = pending).
SLASH_OVERTURNED: constant(uint256) = 2
SLASH_FINALIZED: constant(uint256) = 3
# @dev The largest amount a packed word holds (192 bits).
MAX_AMOUNT: constant(uint256) = 2**192 - 1
# @dev Outcome codes of `_context` and `_final_code` (0 = the call goes through); `_reason`
#      spells each one.
OK: constant(uint256) = 0
INVALID_PROOF: constant(uint256) = 1
UNKNOWN_DEVICE: constant(uint256) = 2
SLASH_AFTER_ROOT: constant(uint256) = 3
SLASH_NOT_IN_STAKING: constant(uint256) = 4
AMOUNT_TOO_LARGE: constant(uint256) = 5
NOTHING_TO_CLAIM: constant(uint256) = 6
NOTHING_TO_SETTLE: constant(uint256) = 7
# @dev The IO token's own reason when a transfer exceeds the balance (what `preview_claim`
#      reports when a claim would fail inside the token: only with an inconsistent root).
TOKEN_BALANCE_REASON: constant(String[64]) = "erc20: transfer amount exceeds balance"


# @dev The IO token paid out.
token: public(immutable(IIOToken))
# @dev Node staking: device owners' reward wallets, slashes and their outcomes.
staking: public(immutable(INodeStaking))
# @dev Seconds between a root's publication and its earliest activation.
ACTIVATION_DELAY_SECONDS: public(immutable(uint256))


# @dev One published root: the Merkle root, the sum of its leaves, the last emission epoch and
#      the time its rewards were computed through, its sequence number and publication time.
struct Root:
    root: bytes32
    total: uint256
    through_epoch: uint256
    through_time: uint256
    root_id: uint256
    published_at: uint256


# @dev What a claim or settle_slash does to one party (computed by `_plan_party`, a view, and
#      written by `_execute` and `_commit`): its new words, and the effects. `released` and
#      `forfeited` count every held amount resolved now; part of them (`old_amount`, released if
#      `old_released` else forfeited) may belong to an earlier slash (`old_slash`) resolved when a
#      newer slash was applied. moved = locked + released + forfeited.
struct PartyPlan:
    settled: uint256
    applied: uint256
    held: uint256
    held_slash: uint256
    write_settled: bool
    write_held: bool
    too_large: bool
    paid: uint256
    locked: uint256
    released: uint256
    forfeited: uint256
    moved: uint256
    old_slash: uint256
    old_amount: uint256
    old_released: bool


# @dev What `preview_claim` returns: what a claim with these arguments would do now. Amounts
#      paid to a party include held rewards released to it; `held` is what this claim newly
#      holds (it may be released or forfeited in the same claim if the slash is decided);
#      `reason` is "" when the claim would go through, else its exact revert reason (amounts 0).
struct ClaimPreview:
    owner_wallet: address
    owner_amount: uint256
    co_staker: address
    co_amount: uint256
    held: uint256
    released: uint256
    forfeited: uint256
    reason: String[64]


# @dev The root claims are proven against (root == empty before the first activation).
active: public(Root)
# @dev The root waiting for its delay (root == empty when none).
pending: public(Root)
# @dev How many roots were ever published (the next root_id is root_count + 1).
root_count: public(uint256)
# @dev Per device and party (empty address = the owner): settled | applied slash (see @dev).
_settled: HashMap[bytes32, HashMap[address, uint256]]
# @dev Per device and party: held amount | its slash (see @dev).
_held: HashMap[bytes32, HashMap[address, uint256]]
# @dev Everything ever paid to wallets (ordinary rewards and released held rewards), in wei.
total_paid: public(uint256)
# @dev Everything ever forfeited back to the pool, in wei.
total_forfeited: public(uint256)
# @dev Everything currently held by pending slashes, in wei.
total_held: public(uint256)


# @dev Emitted when the oracle publishes a root.
event RootPublished:
    root_id: indexed(uint256)
    root: bytes32
    total: uint256
    through_epoch: uint256
    through_time: uint256
    activates_at: uint256


# @dev Emitted when a pending root becomes the active one.
event RootActivated:
    root_id: indexed(uint256)
    root: bytes32
    total: uint256
    through_epoch: uint256
    through_time: uint256


# @dev Emitted when the canceller cancels a pending root.
event RootCancelled:
    root_id: indexed(uint256)
    root: bytes32
    cancelled_by: indexed(address)


# @dev Emitted when a claim pays ordinary rewards: the amounts paid, the leaf's cumulative
#      amounts (each paid party's settled amount is now its cumulative) and the latest slash now
#      applied to both parties (the leaf's slash_id, 0 if none).
event RewardsClaimed:
    device: indexed(bytes32)
    owner_wallet: indexed(address)
    co_staker: indexed(address)
    owner_amount: uint256
    co_staker_amount: uint256
    owner_cumulative: uint256
    co_cumulative: uint256
    slash_id: uint256


# @dev Emitted when a slash takes a party's unclaimed rewards into held (party: the co-staker,
#      or empty for the device's owner); held is the party's whole held amount now, settled its
#      settled amount now.
event RewardsHeld:
    device: indexed(bytes32)
    party: indexed(address)
    slash_id: indexed(uint256)
    amount: uint256
    held: uint256
    settled: uint256


# @dev Emitted when held rewards are paid to their party because the slash was overturned.
event RewardsReleased:
    device: indexed(bytes32)
    party: indexed(address)
    slash_id: indexed(uint256)
    amount: uint256
    paid_to: address


# @dev Emitted when held rewards return to the pool because the slash was finalized.
event RewardsForfeited:
    device: indexed(bytes32)
    party: indexed(address)
    slash_id: indexed(uint256)
    amount: uint256


@deploy
def __init__(token_: IIOToken, staking_: INodeStaking, activation_delay_seconds_: uint256,
             canceller_: address, oracle_: address):
    """
    @notice Fixes the token, the staking contract and the delay, and grants the roles. The
            deployer holds DEFAULT_ADMIN_ROLE (hand it to the governance timelock with
            grantRole/renounceRole).
    @param token_ The IO token.
    @param staking_ The node staking contract.
    @param activation_delay_seconds_ The delay before a published root may be activated.
    @param canceller_ Receives CANCELLER_ROLE (a guardian multisig).
    @param oracle_ Receives ORACLE_ROLE.
    """
    access_control.__init__()
    merkle_proof_verification.__init__()
    assert token_.address != empty(address), "RewardsDistributor: token is the zero address"
    assert staking_.address != empty(address), "RewardsDistributor: staking is the zero address"
    assert activation_delay_seconds_ <= MAX_ACTIVATION_DELAY_SECONDS, "RewardsDistributor: delay too long"
    assert canceller_ != empty(address), "RewardsDistributor: canceller is the zero address"
    assert oracle_ != empty(address), "RewardsDistributor: oracle is the zero address"
    token = token_
    staking = staking_
    ACTIVATION_DELAY_SECONDS = activation_delay_seconds_
    access_control._grant_role(CANCELLER_ROLE, canceller_)
    access_control._grant_role(ORACLE_ROLE, oracle_)


@external
def publish_root(root: bytes32, total: uint256, through_epoch: uint256, through_time: uint256) -> uint256:
    """
    @notice Publishes a root of cumulative rewards; it may be activated ACTIVATION_DELAY_SECONDS
            later. A pending root that is already due is activated first. Oracle only.
    @param root The Merkle root (OpenZeppelin standard tree of the seven-field leaves, see @dev).
    @param total The sum of the tree's owner cumulatives (once per device) and co cumulatives.
    @param through_epoch The last emission epoch the tree covers (for indexers).
    @param through_time The time the tree's rewards were computed through (end of that epoch);
           not in the future, after the active root's.
    @return uint256 The new root's id.
    """
    access_control._check_role(ORACLE_ROLE, msg.sender)
    assert root != empty(bytes32), "RewardsDistributor: empty root"
    if self.pending.root != empty(bytes32):
        assert block.timestamp >= self.pending.published_at + ACTIVATION_DELAY_SECONDS, \
            "RewardsDistributor: root pending"
        self._activate()
    assert through_time <= block.timestamp, "RewardsDistributor: through time in the future"
    assert through_time > self.active.through_time, "RewardsDistributor: through time not after active root"
    assert total >= self.active.total, "RewardsDistributor: total below active root"
    assert total <= self._funding_limit(), "RewardsDistributor: total exceeds funding"
    root_id: uint256 = self.root_count + 1
    self.root_count = root_id
    self.pending = Root(root=root, total=total, through_epoch=through_epoch, through_time=through_time,
                        root_id=root_id, published_at=block.timestamp)
    log RootPublished(root_id=root_id, root=root, total=total, through_epoch=through_epoch,
                      through_time=through_time, activates_at=block.timestamp + ACTIVATION_DELAY_SECONDS)
    return root_id


@external
def activate_root():
    """
    @notice Makes the pending root the active one once its delay has passed. Anyone may call it.
    """
    assert self.pending.root != empty(bytes32), "RewardsDistributor: no pending root"
    assert block.timestamp >= self.pending.published_at + ACTIVATION_DELAY_SECONDS, \
        "RewardsDistributor: activation delay not passed"
    self._activate()


@external
def cancel_root():
    """
    @notice Cancels the pending root (e.g. one published by a compromised oracle). Only
            CANCELLER_ROLE.
    """
    access_control._check_role(CANCELLER_ROLE, msg.sender)
    pending: Root = self.pending
    assert pending.root != empty(bytes32), "RewardsDistributor: no pending root"
    self.pending = empty(Root)
    log RootCancelled(root_id=pending.root_id, root=pending.root, cancelled_by=msg.sender)


@external
def claim(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
          slash_id: uint256, owner_at_slash: uint256, co_at_slash: uint256,
          proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice Settles a leaf under the active root: applies the device's latest slash (its
            parties' rewards unclaimed at the slash are held), resolves held rewards whose slash
            is decided (overturned: paid to the party; finalized: forfeited to the pool), and
            pays each party its cumulative amount minus what it has settled. Anyone may call it;
            the owner's part goes to the device's reward wallet in NodeStaking, the co-staker's
            to the co-staker.
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param owner_at_slash The owner's cumulative at that slash, in wei.
    @param co_at_slash The co-staker's cumulative at that slash if it hit its stake, else 0.
    @param proof The sibling hashes from the leaf to the root.
    @return uint256 The amount transferred (paid plus released), in wei.
    """
    self._check_proof(device, owner_cumulative, co_staker, co_cumulative, slash_id, owner_at_slash,
                      co_at_slash, proof)
    wallet: address = empty(address)
    code: uint256 = OK
    wallet, code = self._context(device, slash_id)
    assert code == OK, self._reason(code)
    owner: PartyPlan = self._plan_party(device, empty(address), owner_cumulative, owner_at_slash, slash_id, True)
    co: PartyPlan = empty(PartyPlan)
    if co_staker != empty(address):
        co = self._plan_party(device, co_staker, co_cumulative, co_at_slash, slash_id, True)
    code = self._final_code(owner.moved + co.moved, owner.paid + co.paid, owner.too_large or co.too_large, True)
    assert code == OK, self._reason(code)
    return self._execute(device, wallet, co_staker, owner_cumulative, co_cumulative, owner, co)


@external
def settle_slash(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
                 slash_id: uint256, owner_at_slash: uint256, co_at_slash: uint256,
                 proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice Applies a leaf's slash and resolves held rewards (steps 1-4 of `claim`) without
            paying ordinary rewards: how the pool gets a finalized slash's rewards back, and a
            party its released rewards, without a claim. Anyone may call it.
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param owner_at_slash The owner's cumulative at that slash, in wei.
    @param co_at_slash The co-staker's cumulative at that slash if it hit its stake, else 0.
    @param proof The sibling hashes from the leaf to the root.
    @return uint256 The amount transferred (released held rewards), in wei.
    """
    self._check_proof(device, owner_cumulative, co_staker, co_cumulative, slash_id, owner_at_slash,
                      co_at_slash, proof)
    wallet: address = empty(address)
    code: uint256 = OK
    wallet, code = self._context(device, slash_id)
    assert code == OK, self._reason(code)
    owner: PartyPlan = self._plan_party(device, empty(address), owner_cumulative, owner_at_slash, slash_id, False)
    co: PartyPlan = empty(PartyPlan)
    if co_staker != empty(address):
        co = self._plan_party(device, co_staker, co_cumulative, co_at_slash, slash_id, False)
    code = self._final_code(owner.moved + co.moved, owner.paid + co.paid, owner.too_large or co.too_large, False)
    assert code == OK, self._reason(code)
    return self._execute(device, wallet, co_staker, owner_cumulative, co_cumulative, owner, co)


@external
@view
def total_received() -> uint256:
    """
    @notice Everything that ever arrived here: the current balance plus what was paid out.
    @return uint256 The amount in wei.
    """
    return staticcall token.balanceOf(self) + self.total_paid


@external
@view
def funding_limit() -> uint256:
    """
    @notice The largest total a new root may declare: received plus forfeited (see @dev).
    @return uint256 The amount in wei.
    """
    return self._funding_limit()


@external
@view
def preview_claim(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
                  slash_id: uint256, owner_at_slash: uint256, co_at_slash: uint256,
                  proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> ClaimPreview:
    """
    @notice What `claim` with these arguments would do now: paid to the owner's wallet and to the
            co-staker (released held rewards included), newly held, released, forfeited; or the
            exact reason it would revert (then every amount is 0).
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param owner_at_slash The owner's cumulative at that slash, in wei.
    @param co_at_slash The co-staker's cumulative at that slash if it hit its stake, else 0.
    @param proof The sibling hashes from the leaf to the root.
    @return ClaimPreview The preview (see the struct).
    """
    return self._preview(device, owner_cumulative, co_staker, co_cumulative, slash_id, owner_at_slash,
                         co_at_slash, proof)


@external
@view
def claimable(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
              slash_id: uint256, owner_at_slash: uint256, co_at_slash: uint256,
              proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice What `claim` with these arguments would pay now (owner plus co-staker, released held
            rewards included); 0 when it would revert. Held and forfeited amounts are not shown.
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param owner_at_slash The owner's cumulative at that slash, in wei.
    @param co_at_slash The co-staker's cumulative at that slash if it hit its stake, else 0.
    @param proof The sibling hashes from the leaf to the root.
    @return uint256 The amount in wei.
    """
    p: ClaimPreview = self._preview(device, owner_cumulative, co_staker, co_cumulative, slash_id,
                                    owner_at_slash, co_at_slash, proof)
    return p.owner_amount + p.co_amount


@external
@view
def settled_of(device: bytes32, party: address) -> (uint256, uint256):
    """
    @notice A party's settled amount (paid plus locked into held) and the latest slash applied
            to it.
    @param device The device id.
    @param party The co-staker, or the empty address for the device's owner.
    @return (uint256, uint256) (settled in wei, applied slash id).
    """
    return self._unpack(self._settled[device][party])


@external
@view
def held_of(device: bytes32, party: address) -> (uint256, uint256, uint256):
    """
    @notice Rewards a slash holds for a party, as of the party's last claim or settle_slash:
            (amount, slash id, that slash's outcome in NodeStaking: 1 pending, 2 overturned ->
            the next claim or settle_slash pays it, 3 finalized -> they forfeit it). A slash not
            applied yet is not shown here: `preview_claim` shows what it would hold.
    @param device The device id.
    @param party The co-staker, or the empty address for the device's owner.
    @return (uint256, uint256, uint256) (amount in wei, slash id, outcome; 0, 0, 0 when none).
    """
    amount: uint256 = 0
    held_slash: uint256 = 0
    amount, held_slash = self._unpack(self._held[device][party])
    if amount == 0:
        return 0, 0, 0
    return amount, held_slash, staticcall staking.slash_outcome(held_slash)


# ------------------------------------------------------------------ internal
@internal
def _activate():
    pending: Root = self.pending
    self.active = pending
    self.pending = empty(Root)
    log RootActivated(root_id=pending.root_id, root=pending.root, total=pending.total,
                      through_epoch=pending.through_epoch, through_time=pending.through_time)


@internal
@view
def _funding_limit() -> uint256:
    return staticcall token.balanceOf(self) + self.total_paid + self.total_forfeited


@internal
@view
def _check_proof(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
                 slash_id: uint256, owner_at_slash: uint256, co_at_slash: uint256,
                 proof: DynArray[bytes32, MAX_PROOF_LENGTH]):
    # snekmate's `_process_proof` loop (sorted pairs), over the 32-bound array: passing the proof
    # to its 255-bound internal function costs ~1,300 gas more per claim on a 20-level proof.
    # The views verify with snekmate's `_verify`; the tests hold both equal.
    computed: bytes32 = keccak256(keccak256(abi_encode(device, owner_cumulative, co_staker, co_cumulative,
                                                       slash_id, owner_at_slash, co_at_slash)))
    for sibling: bytes32 in proof:
        if convert(computed, uint256) < convert(sibling, uint256):
            computed = keccak256(abi_encode(computed, sibling))
        else:
            computed = keccak256(abi_encode(sibling, computed))
    assert computed == self.active.root, "RewardsDistributor: invalid proof"


@internal
@view
def _context(device: bytes32, slash_id: uint256) -> (address, uint256):
    """
    @dev Steps 1-2 of the @dev after the proof: (the owner's reward wallet, outcome code).
    """
    wallet: address = empty(address)
    last: uint256 = 0
    wallet, last = staticcall staking.claim_context(device)
    if wallet == empty(address):
        return wallet, UNKNOWN_DEVICE
    if slash_id < last:
        return wallet, SLASH_AFTER_ROOT
    if slash_id > last:
        return wallet, SLASH_NOT_IN_STAKING
    return wallet, OK


@internal
@pure
def _final_code(moved: uint256, paid: uint256, too_large: bool, pay: bool) -> uint256:
    """
    @dev The outcome code once both parties are planned (moved: held amounts locked, released
         or forfeited; paid: ordinary rewards). `claim`, `settle_slash` and the views share
         `_context`, `_plan_party` and this, so a preview's reason is exactly the call's.
    """
    if too_large:
        return AMOUNT_TOO_LARGE
    if pay and moved == 0 and paid == 0:
        return NOTHING_TO_CLAIM
    if not pay and moved == 0:
        return NOTHING_TO_SETTLE
    return OK


@internal
@view
def _plan_party(device: bytes32, party: address, cumulative: uint256, at_slash: uint256, slash_id: uint256,
                pay: bool) -> PartyPlan:
    """
    @dev Steps 3-5 of the @dev for one party (empty address = the owner).
    """
    p: PartyPlan = empty(PartyPlan)
    if cumulative > MAX_AMOUNT or at_slash > MAX_AMOUNT:
        # Nothing larger fits a word. Below it every sum here fits: held <= settled <= MAX_AMOUNT
        # (a held amount was settled when it was locked).
        p.too_large = True
        return p
    p.settled, p.applied = self._unpack(self._settled[device][party])
    held0: uint256 = 0
    held_slash0: uint256 = 0
    if p.applied != 0:  # only a party that was ever slashed can hold anything
        held0, held_slash0 = self._unpack(self._held[device][party])
    p.held = held0
    p.held_slash = held_slash0
    if slash_id > p.applied:
        if p.held != 0:
            # An earlier slash's held rewards: settled by that slash's outcome if it is decided,
            # else they merge into the new slash (held rewards follow the latest slash).
            outcome: uint256 = staticcall staking.slash_outcome(p.held_slash)
            if outcome == SLASH_OVERTURNED or outcome == SLASH_FINALIZED:
                p.old_slash = p.held_slash
                p.old_amount = p.held
                p.old_released = outcome == SLASH_OVERTURNED
                p.held = 0
        if at_slash > p.settled:
            p.locked = at_slash - p.settled
            p.settled = at_slash
            p.held += p.locked
        p.applied = slash_id
        p.write_settled = True
        if p.held != 0:
            p.held_slash = slash_id
    if p.held != 0:
        outcome: uint256 = staticcall staking.slash_outcome(p.held_slash)
        if outcome == SLASH_OVERTURNED:
            p.released = p.held
            p.held = 0
        elif outcome == SLASH_FINALIZED:
            p.forfeited = p.held
            p.held = 0
    if p.old_amount != 0:
        if p.old_released:
            p.released += p.old_amount
        else:
            p.forfeited += p.old_amount
    p.moved = p.locked + p.released + p.forfeited
    if pay and cumulative > p.settled:
        p.paid = cumulative - p.settled
        p.settled = cumulative
        p.write_settled = True
    p.write_held = p.held != held0 or p.held_slash != held_slash0
    return p


@internal
def _execute(device: bytes32, wallet: address, co_staker: address, owner_cumulative: uint256,
             co_cumulative: uint256, owner: PartyPlan, co: PartyPlan) -> uint256:
    """
    @dev Writes a plan's words and totals, moves the tokens, logs the events.
    """
    self._commit(device, empty(address), wallet, owner)
    if co_staker != empty(address):
        self._commit(device, co_staker, co_staker, co)
    # Every amount is at most MAX_AMOUNT (2**192, see `_plan_party`): no sum below overflows.
    to_owner: uint256 = owner.paid + owner.released
    to_co: uint256 = co.paid + co.released
    out: uint256 = to_owner + to_co
    if out != 0:
        self.total_paid += out
    if owner.moved != 0 or co.moved != 0:
        forfeited: uint256 = owner.forfeited + co.forfeited
        if forfeited != 0:
            self.total_forfeited += forfeited
        # total_held holds every party's held amount, which covers what is released or forfeited.
        self.total_held = self.total_held + owner.locked + co.locked - owner.released - co.released - \
            forfeited
    if to_co != 0:
        extcall token.transfer(co_staker, to_co)
    if to_owner != 0:
        extcall token.transfer(wallet, to_owner)
    if owner.paid != 0 or co.paid != 0:
        log RewardsClaimed(device=device, owner_wallet=wallet, co_staker=co_staker,
                           owner_amount=owner.paid, co_staker_amount=co.paid,
                           owner_cumulative=owner_cumulative, co_cumulative=co_cumulative,
                           slash_id=owner.applied)
    return out


@internal
def _commit(device: bytes32, party: address, paid_to: address, p: PartyPlan):
    """
    @dev Writes one party's words and logs its held-reward events, in the order they happened.
    """
    if p.write_settled:
        self._settled[device][party] = self._pack(p.settled, p.applied)
    if p.write_held:
        self._held[device][party] = self._pack(p.held, p.held_slash)
    if p.moved == 0:
        return
    released: uint256 = p.released
    forfeited: uint256 = p.forfeited
    if p.old_amount != 0:
        if p.old_released:
            released -= p.old_amount
            log RewardsReleased(device=device, party=party, slash_id=p.old_slash, amount=p.old_amount,
                                paid_to=paid_to)
        else:
            forfeited -= p.old_amount
            log RewardsForfeited(device=device, party=party, slash_id=p.old_slash, amount=p.old_amount)
    if p.locked != 0:
        log RewardsHeld(device=device, party=party, slash_id=p.applied, amount=p.locked,
                        held=p.held + released + forfeited, settled=p.settled - p.paid)
    if released != 0:
        log RewardsReleased(device=device, party=party, slash_id=p.held_slash, amount=released,
                            paid_to=paid_to)
    if forfeited != 0:
        log RewardsForfeited(device=device, party=party, slash_id=p.held_slash, amount=forfeited)


@internal
@view
def _preview(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
             slash_id: uint256, owner_at_slash: uint256, co_at_slash: uint256,
             proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> ClaimPreview:
    result: ClaimPreview = empty(ClaimPreview)
    result.co_staker = co_staker
    leaf: bytes32 = keccak256(keccak256(abi_encode(device, owner_cumulative, co_staker, co_cumulative,
                                                   slash_id, owner_at_slash, co_at_slash)))
    if not merkle_proof_verification._verify(proof, self.active.root, leaf):
        result.reason = self._reason(INVALID_PROOF)
        return result
    code: uint256 = OK
    result.owner_wallet, code = self._context(device, slash_id)
    if code != OK:
        result.reason = self._reason(code)
        return result
    owner: PartyPlan = self._plan_party(device, empty(address), owner_cumulative, owner_at_slash, slash_id, True)
    co: PartyPlan = empty(PartyPlan)
    if co_staker != empty(address):
        co = self._plan_party(device, co_staker, co_cumulative, co_at_slash, slash_id, True)
    code = self._final_code(owner.moved + co.moved, owner.paid + co.paid, owner.too_large or co.too_large, True)
    if code != OK:
        result.reason = self._reason(code)
        return result
    owner_amount: uint256 = owner.paid + owner.released
    co_amount: uint256 = co.paid + co.released
    if owner_amount + co_amount > staticcall token.balanceOf(self):
        result.reason = TOKEN_BALANCE_REASON  # only an inconsistent root can get here
        return result
    result.owner_amount = owner_amount
    result.co_amount = co_amount
    result.held = owner.locked + co.locked
    result.released = owner.released + co.released
    result.forfeited = owner.forfeited + co.forfeited
    return result


@internal
@pure
def _reason(code: uint256) -> String[64]:
    # The one place the outcome codes' revert reasons are spelled (claim, settle_slash, previews).
    if code == INVALID_PROOF:
        return "RewardsDistributor: invalid proof"
    if code == UNKNOWN_DEVICE:
        return "RewardsDistributor: unknown device"
    if code == SLASH_AFTER_ROOT:
        return "RewardsDistributor: slash after active root"
    if code == SLASH_NOT_IN_STAKING:
        return "RewardsDistributor: slash not in staking"
    if code == AMOUNT_TOO_LARGE:
        return "RewardsDistributor: amount too large"
    if code == NOTHING_TO_CLAIM:
        return "RewardsDistributor: nothing to claim"
    if code == NOTHING_TO_SETTLE:
        return "RewardsDistributor: nothing to settle"
    return ""


@internal
@pure
def _pack(amount: uint256, slash_id: uint256) -> uint256:
    # amount <= MAX_AMOUNT (`_final_code` rejects more) and slash_id < 2**64 (NodeStaking's ids), so
    # the fields do not overlap.
    return amount | (slash_id << 192)


@internal
@pure
def _unpack(word: uint256) -> (uint256, uint256):
    return word & MAX_AMOUNT, word >> 192

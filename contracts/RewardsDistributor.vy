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
        forfeited to the pool only once it is finalized. Every slash holds and resolves on its
        own: overlapping slashes never merge. Rewards earned after a slash are paid normally.
@dev Two kinds of leaves share one OpenZeppelin StandardMerkleTree (sorted pairs, leaf =
     keccak256(keccak256(abi.encode(<fields>)))); their encodings differ in length (6 and 7
     words), so neither can be read as the other:
       reward leaf (bytes32 device, uint256 owner_cumulative, address co_staker,
                    uint256 co_cumulative, uint256 slash_id, uint256 co_slash_id):
         * owner_cumulative: the owner's part of everything the device earned through the root's
           through_time (every reward leaf of a device carries the same value);
         * co_staker, co_cumulative: one leaf per (device, co-staker that ever earned on it), with
           that co-staker's cumulative, split by the co-stake in force in each epoch; a device that
           never had a co-staker has one leaf with co_staker = empty, co_cumulative = 0;
         * slash_id: the device's latest slash made at or before through_time (0 if none);
         * co_slash_id: the latest of those slashes that hit this leaf's co-staker (0 if none).
       slash leaf  (bytes32 device, uint256 slash_id, uint256 owner_prev, uint256 owner_at,
                    address co_staker, uint256 co_prev, uint256 co_at): one per slash of the
                    device made at or before through_time:
         * owner_prev: the device's slash before it (0 if it is the first);
         * owner_at: the owner's cumulative through the last epoch that ended at or before it;
         * co_staker: the co-staker whose principal it hit (its co part > 0), else empty;
           co_prev: the slash before it that hit that co-staker on this device (0 if none);
           co_at: that co-staker's cumulative at the slash (0 when none was hit).
     Proofs: `claim` and `settle_slash` run snekmate's sorted-pair loop over the 32-bound array
     (`_check_proof`, for gas); the views verify with snekmate's `merkle_proof_verification._verify`.

     Parties. A party is the owner of device d (key: empty address) or co-staker c of device d
     (key: c). The slashes that concern a party are, in id order: every slash of the device for
     the owner; the slashes that hit c's principal for c. Each party has one word
         _settled[d][party] = settled (bits 0-191) | applied (bits 192-255),
     settled = paid + locked into holds, applied = the latest slash applied to the party, read and
     written only through `_pack`/`_unpack`; and one held amount PER SLASH:
         _held[d][party][slash_id] = what that slash holds of the party's rewards (0 when it holds
                                     nothing or its hold has been resolved).
     Holds never merge: each follows the outcome of its own slash.

     `settle_slash(slash leaf)` under the active root, for the owner and for the leaf's co-staker:
       1. the leaf verifies; the device is known; the slash is one NodeStaking made
          (0 < slash_id <= the device's latest), else "slash not in staking";
       2. APPLY, if slash_id > applied: the party's applied must be the leaf's prev (owner_prev /
          co_prev), else "earlier slash not settled" (slashes apply in order, each once); the
          slash holds held = max(0, at - settled), settled = max(settled, at), applied = slash_id;
       3. RESOLVE that slash's hold by NodeStaking.slash_outcome(slash_id): overturned -> paid to
          the party (the owner's part to the device's reward wallet); finalized -> forfeited (no
          token moves: the IO stays in the pool for later roots); pending -> it stays held.
     It reverts "nothing to settle" when it applies and resolves nothing. Anyone may call it, in
     any order for different slashes: a hold depends only on its slash's checkpoint and on what
     the party had settled when the slash was applied in order, and is resolved only by that
     slash's own outcome.
     `claim(reward leaf)` under the active root: the device is known; the root commits the
     device's latest slash (leaf slash_id == latest; older: "slash after active root", newer:
     "slash not in staking"); the owner has applied slash_id and the co-staker co_slash_id (else
     "slash not settled": `settle_slash` the device's slash leaves first, oldest first); then each
     party is paid cumulative - settled, if positive, and settled moves up. A claim that pays
     nothing reverts "nothing to claim". Claims and holds never touch each other's amounts.

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
        and total_held == sum of every (party, slash) held amount.
     3. held_never_paid_while_pending: an amount held by a slash is neither paid nor forfeited
        while NodeStaking reports that slash pending.
     4. release_only_when_overturned: held rewards are paid to their party only when the slash
        holding them is overturned.
     5. forfeit_only_when_finalized: held rewards are forfeited only when the slash holding them
        is finalized; a forfeit moves no token (the balance is unchanged by it).
     6. slash_committed: nothing is paid for a device under a root that does not commit the
        device's latest slash, nor to a party that has not applied every committed slash that
        concerns it.
     7. paid_le_received: total_paid <= total_received(), and the balance never goes below the
        active root's unclaimed liability when the tree's leaves sum to its total.
     8. root_funded: a root is accepted only if total <= total_received() + total_forfeited;
        totals of successive roots never decrease.
     9. delay: a root becomes active no earlier than ACTIVATION_DELAY after it was published,
        and only if the canceller has not cancelled it.
     10. holds_follow_own_slash: for every party and slash, the amount the slash holds is its
        checkpoint minus what the party had settled when the slash was applied (slashes applied
        in order), and what becomes of it depends only on that slash's outcome, whatever the
        order of `settle_slash` calls and however the slashes overlap.
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
# @dev Outcome codes (0 = the call goes through); `_reason` spells each one.
OK: constant(uint256) = 0
INVALID_PROOF: constant(uint256) = 1
UNKNOWN_DEVICE: constant(uint256) = 2
SLASH_AFTER_ROOT: constant(uint256) = 3
SLASH_NOT_IN_STAKING: constant(uint256) = 4
AMOUNT_TOO_LARGE: constant(uint256) = 5
NOTHING_TO_CLAIM: constant(uint256) = 6
NOTHING_TO_SETTLE: constant(uint256) = 7
SLASH_NOT_SETTLED: constant(uint256) = 8
EARLIER_SLASH_NOT_SETTLED: constant(uint256) = 9
# @dev The IO token's own reason when a transfer exceeds the balance (what the previews report
#      when a call would fail inside the token: only with an inconsistent root).
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


# @dev What `settle_slash` does to one party (`_plan_slash`, a view; written by `_commit`): its
#      new settled word, the slash's hold before and after, and the effects.
struct SlashPlan:
    settled: uint256
    applied: uint256
    held_before: uint256
    held: uint256
    write_settled: bool
    locked: uint256
    released: uint256
    forfeited: uint256
    code: uint256


# @dev What `preview_claim` returns: what a claim with these arguments would pay now, or the exact
#      reason it would revert (`reason` "" when it would go through; amounts 0 otherwise).
struct ClaimPreview:
    owner_wallet: address
    owner_amount: uint256
    co_staker: address
    co_amount: uint256
    reason: String[64]


# @dev What `preview_settle_slash` returns: what `settle_slash` with these arguments would do now
#      (newly held, released = paid to the party, forfeited, per party), or its exact revert reason.
struct SettlePreview:
    owner_wallet: address
    owner_held: uint256
    owner_released: uint256
    owner_forfeited: uint256
    co_staker: address
    co_held: uint256
    co_released: uint256
    co_forfeited: uint256
    outcome: uint256
    reason: String[64]


# @dev The root claims are proven against (root == empty before the first activation).
active: public(Root)
# @dev The root waiting for its delay (root == empty when none).
pending: public(Root)
# @dev How many roots were ever published (the next root_id is root_count + 1).
root_count: public(uint256)
# @dev Per device and party (empty address = the owner): settled | applied slash (see @dev).
_settled: HashMap[bytes32, HashMap[address, uint256]]
# @dev Per device, party and slash: the rewards that slash holds (see @dev).
_held: HashMap[bytes32, HashMap[address, HashMap[uint256, uint256]]]
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
#      amounts (each paid party's settled amount is now its cumulative) and the slashes applied
#      to the parties (the leaf's slash_id and co_slash_id).
event RewardsClaimed:
    device: indexed(bytes32)
    owner_wallet: indexed(address)
    co_staker: indexed(address)
    owner_amount: uint256
    co_staker_amount: uint256
    owner_cumulative: uint256
    co_cumulative: uint256
    slash_id: uint256
    co_slash_id: uint256


# @dev Emitted when a slash is applied to a party (party: the co-staker, or empty for the
#      device's owner): `amount` is what it takes into its hold (possibly 0); `settled` is the
#      party's settled amount now. From here the party's applied slash is `slash_id`.
event RewardsHeld:
    device: indexed(bytes32)
    party: indexed(address)
    slash_id: indexed(uint256)
    amount: uint256
    settled: uint256


# @dev Emitted when a slash's hold is paid to its party because the slash was overturned.
event RewardsReleased:
    device: indexed(bytes32)
    party: indexed(address)
    slash_id: indexed(uint256)
    amount: uint256
    paid_to: address


# @dev Emitted when a slash's hold returns to the pool because the slash was finalized.
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
    @param root The Merkle root (reward and slash leaves, see @dev).
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
          slash_id: uint256, co_slash_id: uint256, proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice Pays a reward leaf under the active root: each party gets its cumulative amount minus
            what it has settled. Anyone may call it; the owner's part goes to the device's reward
            wallet in NodeStaking, the co-staker's to the co-staker. After a slash, the device's
            slash leaves must be settled first (`settle_slash`, oldest first).
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param co_slash_id The latest of those slashes that hit the co-staker (0 if none).
    @param proof The sibling hashes from the leaf to the root.
    @return uint256 The amount transferred, in wei.
    """
    self._check_proof(self._reward_leaf(device, owner_cumulative, co_staker, co_cumulative, slash_id, co_slash_id),
                      proof)
    wallet: address = empty(address)
    owner_settled: uint256 = 0
    co_settled: uint256 = 0
    code: uint256 = OK
    wallet, owner_settled, co_settled, code = self._plan_claim(device, owner_cumulative, co_staker, co_cumulative,
                                                               slash_id, co_slash_id)
    assert code == OK, self._reason(code)
    to_owner: uint256 = 0
    to_co: uint256 = 0
    if owner_cumulative > owner_settled:
        to_owner = owner_cumulative - owner_settled
        self._settled[device][empty(address)] = self._pack(owner_cumulative, slash_id)
    if co_staker != empty(address) and co_cumulative > co_settled:
        to_co = co_cumulative - co_settled
        self._settled[device][co_staker] = self._pack(co_cumulative, co_slash_id)
    # Both amounts are at most MAX_AMOUNT (`_plan_claim`): the sum cannot overflow.
    out: uint256 = to_owner + to_co
    self.total_paid += out
    if to_co != 0:
        extcall token.transfer(co_staker, to_co)
    if to_owner != 0:
        extcall token.transfer(wallet, to_owner)
    log RewardsClaimed(device=device, owner_wallet=wallet, co_staker=co_staker, owner_amount=to_owner,
                       co_staker_amount=to_co, owner_cumulative=owner_cumulative, co_cumulative=co_cumulative,
                       slash_id=slash_id, co_slash_id=co_slash_id)
    return out


@external
def settle_slash(device: bytes32, slash_id: uint256, owner_prev: uint256, owner_at: uint256, co_staker: address,
                 co_prev: uint256, co_at: uint256, proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice Applies a slash leaf under the active root to the owner and to the co-staker it hit
            (the rewards they had not settled at the slash are held by it) and resolves that
            slash's holds if it is decided: overturned -> paid to the party, finalized ->
            forfeited to the pool. Anyone may call it; slashes of a party apply oldest first.
    @param device The device id.
    @param slash_id The slash.
    @param owner_prev The device's slash before it (0 if none).
    @param owner_at The owner's cumulative at the slash, in wei.
    @param co_staker The co-staker the slash hit (empty if none).
    @param co_prev The slash before it that hit that co-staker on this device (0 if none).
    @param co_at That co-staker's cumulative at the slash, in wei.
    @param proof The sibling hashes from the leaf to the root.
    @return uint256 The amount transferred (released holds), in wei.
    """
    self._check_proof(self._slash_leaf(device, slash_id, owner_prev, owner_at, co_staker, co_prev, co_at), proof)
    wallet: address = empty(address)
    outcome: uint256 = 0
    owner: SlashPlan = empty(SlashPlan)
    co: SlashPlan = empty(SlashPlan)
    code: uint256 = OK
    wallet, outcome, owner, co, code = self._plan_settle(device, slash_id, owner_prev, owner_at, co_staker,
                                                         co_prev, co_at)
    assert code == OK, self._reason(code)
    self._commit(device, empty(address), wallet, slash_id, owner)
    if co_staker != empty(address):
        self._commit(device, co_staker, co_staker, slash_id, co)
    # Every amount is at most MAX_AMOUNT (`_plan_slash`): no sum below overflows.
    out: uint256 = owner.released + co.released
    forfeited: uint256 = owner.forfeited + co.forfeited
    if out != 0:
        self.total_paid += out
    if forfeited != 0:
        self.total_forfeited += forfeited
    # total_held holds every (party, slash) hold, which covers what is released or forfeited.
    self.total_held = self.total_held + owner.locked + co.locked - out - forfeited
    if co.released != 0:
        extcall token.transfer(co_staker, co.released)
    if owner.released != 0:
        extcall token.transfer(wallet, owner.released)
    return out


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
                  slash_id: uint256, co_slash_id: uint256,
                  proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> ClaimPreview:
    """
    @notice What `claim` with these arguments would pay now to the owner's wallet and to the
            co-staker, or the exact reason it would revert (then both amounts are 0).
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param co_slash_id The latest of those slashes that hit the co-staker (0 if none).
    @param proof The sibling hashes from the leaf to the root.
    @return ClaimPreview The preview (see the struct).
    """
    return self._preview_claim(device, owner_cumulative, co_staker, co_cumulative, slash_id, co_slash_id, proof)


@external
@view
def claimable(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
              slash_id: uint256, co_slash_id: uint256, proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice What `claim` with these arguments would pay now (owner plus co-staker); 0 when it
            would revert.
    @param device The device id.
    @param owner_cumulative The owner's cumulative reward in the active root, in wei.
    @param co_staker The leaf's co-staker (empty when the device never had one).
    @param co_cumulative The co-staker's cumulative reward on this device, in wei.
    @param slash_id The device's latest slash the root commits (0 if none).
    @param co_slash_id The latest of those slashes that hit the co-staker (0 if none).
    @param proof The sibling hashes from the leaf to the root.
    @return uint256 The amount in wei.
    """
    p: ClaimPreview = self._preview_claim(device, owner_cumulative, co_staker, co_cumulative, slash_id,
                                          co_slash_id, proof)
    return p.owner_amount + p.co_amount


@external
@view
def preview_settle_slash(device: bytes32, slash_id: uint256, owner_prev: uint256, owner_at: uint256,
                         co_staker: address, co_prev: uint256, co_at: uint256,
                         proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> SettlePreview:
    """
    @notice What `settle_slash` with these arguments would do now: newly held, released (paid)
            and forfeited for the owner and the co-staker, the slash's outcome (1 pending,
            2 overturned, 3 finalized), or the exact reason it would revert (amounts 0).
    @param device The device id.
    @param slash_id The slash.
    @param owner_prev The device's slash before it (0 if none).
    @param owner_at The owner's cumulative at the slash, in wei.
    @param co_staker The co-staker the slash hit (empty if none).
    @param co_prev The slash before it that hit that co-staker on this device (0 if none).
    @param co_at That co-staker's cumulative at the slash, in wei.
    @param proof The sibling hashes from the leaf to the root.
    @return SettlePreview The preview (see the struct).
    """
    result: SettlePreview = empty(SettlePreview)
    result.co_staker = co_staker
    leaf: bytes32 = self._slash_leaf(device, slash_id, owner_prev, owner_at, co_staker, co_prev, co_at)
    if not merkle_proof_verification._verify(proof, self.active.root, leaf):
        result.reason = self._reason(INVALID_PROOF)
        return result
    owner: SlashPlan = empty(SlashPlan)
    co: SlashPlan = empty(SlashPlan)
    code: uint256 = OK
    result.owner_wallet, result.outcome, owner, co, code = self._plan_settle(device, slash_id, owner_prev, owner_at,
                                                                             co_staker, co_prev, co_at)
    if code != OK:
        result.reason = self._reason(code)
        result.outcome = 0
        return result
    if owner.released + co.released > staticcall token.balanceOf(self):
        result.reason = TOKEN_BALANCE_REASON  # only an inconsistent root can get here
        result.outcome = 0
        return result
    result.owner_held = owner.locked
    result.owner_released = owner.released
    result.owner_forfeited = owner.forfeited
    result.co_held = co.locked
    result.co_released = co.released
    result.co_forfeited = co.forfeited
    return result


@external
@view
def settled_of(device: bytes32, party: address) -> (uint256, uint256):
    """
    @notice A party's settled amount (paid plus locked into holds) and the latest slash applied
            to it.
    @param device The device id.
    @param party The co-staker, or the empty address for the device's owner.
    @return (uint256, uint256) (settled in wei, applied slash id).
    """
    return self._unpack(self._settled[device][party])


@external
@view
def held_of(device: bytes32, party: address, slash_id: uint256) -> (uint256, uint256):
    """
    @notice What a slash holds of a party's rewards, as of the last `settle_slash` of that slash,
            and the slash's outcome in NodeStaking (1 pending; 2 overturned -> the next
            `settle_slash` of it pays the hold; 3 finalized -> it forfeits it). A slash not
            applied to the party yet shows 0: `preview_settle_slash` shows what it would hold.
    @param device The device id.
    @param party The co-staker, or the empty address for the device's owner.
    @param slash_id The slash.
    @return (uint256, uint256) (amount in wei, outcome; 0, 0 when it holds nothing).
    """
    amount: uint256 = self._held[device][party][slash_id]
    if amount == 0:
        return 0, 0
    return amount, staticcall staking.slash_outcome(slash_id)


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
@pure
def _reward_leaf(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
                 slash_id: uint256, co_slash_id: uint256) -> bytes32:
    return keccak256(keccak256(abi_encode(device, owner_cumulative, co_staker, co_cumulative, slash_id, co_slash_id)))


@internal
@pure
def _slash_leaf(device: bytes32, slash_id: uint256, owner_prev: uint256, owner_at: uint256, co_staker: address,
                co_prev: uint256, co_at: uint256) -> bytes32:
    return keccak256(keccak256(abi_encode(device, slash_id, owner_prev, owner_at, co_staker, co_prev, co_at)))


@internal
@view
def _check_proof(leaf: bytes32, proof: DynArray[bytes32, MAX_PROOF_LENGTH]):
    # snekmate's `_process_proof` loop (sorted pairs), over the 32-bound array: passing the proof
    # to its 255-bound internal function costs ~1,300 gas more per claim on a 20-level proof.
    # The views verify with snekmate's `_verify`; the tests hold both equal.
    computed: bytes32 = leaf
    for sibling: bytes32 in proof:
        if convert(computed, uint256) < convert(sibling, uint256):
            computed = keccak256(abi_encode(computed, sibling))
        else:
            computed = keccak256(abi_encode(sibling, computed))
    assert computed == self.active.root, "RewardsDistributor: invalid proof"


@internal
@view
def _plan_claim(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
                slash_id: uint256, co_slash_id: uint256) -> (address, uint256, uint256, uint256):
    """
    @dev Everything `claim` checks after the proof: (the owner's reward wallet, the owner's and
         the co-staker's settled amounts, outcome code). `claim` and `preview_claim` share it.
    """
    wallet: address = empty(address)
    last: uint256 = 0
    wallet, last = staticcall staking.claim_context(device)
    if wallet == empty(address):
        return wallet, 0, 0, UNKNOWN_DEVICE
    if slash_id < last:
        return wallet, 0, 0, SLASH_AFTER_ROOT
    if slash_id > last:
        return wallet, 0, 0, SLASH_NOT_IN_STAKING
    if owner_cumulative > MAX_AMOUNT or co_cumulative > MAX_AMOUNT:
        return wallet, 0, 0, AMOUNT_TOO_LARGE
    owner_settled: uint256 = 0
    applied: uint256 = 0
    owner_settled, applied = self._unpack(self._settled[device][empty(address)])
    if applied != slash_id:
        return wallet, 0, 0, SLASH_NOT_SETTLED
    co_settled: uint256 = 0
    if co_staker != empty(address):
        co_settled, applied = self._unpack(self._settled[device][co_staker])
        if applied != co_slash_id:
            return wallet, 0, 0, SLASH_NOT_SETTLED
    if owner_cumulative <= owner_settled and (co_staker == empty(address) or co_cumulative <= co_settled):
        return wallet, 0, 0, NOTHING_TO_CLAIM
    return wallet, owner_settled, co_settled, OK


@internal
@view
def _plan_settle(device: bytes32, slash_id: uint256, owner_prev: uint256, owner_at: uint256, co_staker: address,
                 co_prev: uint256, co_at: uint256) -> (address, uint256, SlashPlan, SlashPlan, uint256):
    """
    @dev Everything `settle_slash` decides after the proof: (the owner's reward wallet, the
         slash's outcome, the two parties' plans, outcome code). `settle_slash` and
         `preview_settle_slash` share it, so a preview's reason is exactly the call's.
    """
    wallet: address = empty(address)
    last: uint256 = 0
    wallet, last = staticcall staking.claim_context(device)
    owner: SlashPlan = empty(SlashPlan)
    co: SlashPlan = empty(SlashPlan)
    if wallet == empty(address):
        return wallet, 0, owner, co, UNKNOWN_DEVICE
    if slash_id == 0 or slash_id > last:
        return wallet, 0, owner, co, SLASH_NOT_IN_STAKING
    outcome: uint256 = staticcall staking.slash_outcome(slash_id)
    owner = self._plan_slash(device, empty(address), owner_prev, owner_at, slash_id, outcome)
    if owner.code != OK:
        return wallet, outcome, owner, co, owner.code
    changed: bool = owner.write_settled or owner.held != owner.held_before
    if co_staker != empty(address):
        co = self._plan_slash(device, co_staker, co_prev, co_at, slash_id, outcome)
        if co.code != OK:
            return wallet, outcome, owner, co, co.code
        changed = changed or co.write_settled or co.held != co.held_before
    if not changed:
        return wallet, outcome, owner, co, NOTHING_TO_SETTLE
    return wallet, outcome, owner, co, OK


@internal
@view
def _plan_slash(device: bytes32, party: address, prev: uint256, at: uint256, slash_id: uint256,
                outcome: uint256) -> SlashPlan:
    """
    @dev Steps 2-3 of `settle_slash` (see @dev) for one party (empty address = the owner).
    """
    p: SlashPlan = empty(SlashPlan)
    if at > MAX_AMOUNT:
        # Nothing larger fits a word. Below it every sum here fits: a hold <= settled <= MAX_AMOUNT.
        p.code = AMOUNT_TOO_LARGE
        return p
    p.settled, p.applied = self._unpack(self._settled[device][party])
    if slash_id > p.applied:
        if p.applied != prev:
            p.code = EARLIER_SLASH_NOT_SETTLED
            return p
        if at > p.settled:
            p.locked = at - p.settled
            p.settled = at
        p.applied = slash_id
        p.write_settled = True
        p.held = p.locked
    else:
        p.held_before = self._held[device][party][slash_id]
        p.held = p.held_before
    if p.held != 0:
        if outcome == SLASH_OVERTURNED:
            p.released = p.held
            p.held = 0
        elif outcome == SLASH_FINALIZED:
            p.forfeited = p.held
            p.held = 0
    return p


@internal
def _commit(device: bytes32, party: address, paid_to: address, slash_id: uint256, p: SlashPlan):
    """
    @dev Writes one party's words and logs its events, in the order they happened.
    """
    if p.write_settled:
        self._settled[device][party] = self._pack(p.settled, p.applied)
        log RewardsHeld(device=device, party=party, slash_id=slash_id, amount=p.locked, settled=p.settled)
    if p.held != p.held_before:
        self._held[device][party][slash_id] = p.held
    if p.released != 0:
        log RewardsReleased(device=device, party=party, slash_id=slash_id, amount=p.released, paid_to=paid_to)
    if p.forfeited != 0:
        log RewardsForfeited(device=device, party=party, slash_id=slash_id, amount=p.forfeited)


@internal
@view
def _preview_claim(device: bytes32, owner_cumulative: uint256, co_staker: address, co_cumulative: uint256,
                   slash_id: uint256, co_slash_id: uint256,
                   proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> ClaimPreview:
    result: ClaimPreview = empty(ClaimPreview)
    result.co_staker = co_staker
    leaf: bytes32 = self._reward_leaf(device, owner_cumulative, co_staker, co_cumulative, slash_id, co_slash_id)
    if not merkle_proof_verification._verify(proof, self.active.root, leaf):
        result.reason = self._reason(INVALID_PROOF)
        return result
    owner_settled: uint256 = 0
    co_settled: uint256 = 0
    code: uint256 = OK
    result.owner_wallet, owner_settled, co_settled, code = self._plan_claim(device, owner_cumulative, co_staker,
                                                                            co_cumulative, slash_id, co_slash_id)
    if code != OK:
        result.reason = self._reason(code)
        return result
    owner_amount: uint256 = 0
    co_amount: uint256 = 0
    if owner_cumulative > owner_settled:
        owner_amount = owner_cumulative - owner_settled
    if co_staker != empty(address) and co_cumulative > co_settled:
        co_amount = co_cumulative - co_settled
    if owner_amount + co_amount > staticcall token.balanceOf(self):
        result.reason = TOKEN_BALANCE_REASON  # only an inconsistent root can get here
        return result
    result.owner_amount = owner_amount
    result.co_amount = co_amount
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
    if code == SLASH_NOT_SETTLED:
        return "RewardsDistributor: slash not settled"
    if code == EARLIER_SLASH_NOT_SETTLED:
        return "RewardsDistributor: earlier slash not settled"
    return ""


@internal
@pure
def _pack(amount: uint256, slash_id: uint256) -> uint256:
    # amount <= MAX_AMOUNT (`_plan_claim`/`_plan_slash` reject more) and slash_id < 2**64
    # (NodeStaking's ids), so the fields do not overlap.
    return amount | (slash_id << 192)


@internal
@pure
def _unpack(word: uint256) -> (uint256, uint256):
    return word & MAX_AMOUNT, word >> 192

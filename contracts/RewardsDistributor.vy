# pragma version ~=0.4.3
"""
@title IO Rewards Distributor
@custom:contract-name RewardsDistributor
@license GNU Affero General Public License v3.0 only
@notice Receives the 300M IO provider-reward emission and pays it out to devices through Merkle
        roots of CUMULATIVE per-device rewards, computed off chain (ionet/rewards.py). The reward
        oracle publishes a root with the tree's total; after ACTIVATION_DELAY, during which
        governance can cancel it, anyone activates it. Anyone then claims for a device with
        (device, cumulative amount, proof): the contract pays what the device has not yet been
        paid, split between the device's reward wallet and its co-staker by the co-staking offer's
        share (read from NodeStaking). A claim is O(log n) in the tree and O(1) in storage.
@dev Leaves are OpenZeppelin StandardMerkleTree leaves of ("bytes32", "uint256"):
         leaf = keccak256(keccak256(abi.encode(device, cumulative_amount)))
     with sorted pairs: snekmate's `merkle_proof_verification` (`claimable` calls its `_verify`;
     `claim` runs the same loop inlined, for gas).

     Forfeit on slash (tokenomics.md §4: a slash hits unclaimed rewards). Let s be
     NodeStaking.last_slashed_at(device) and cleared[device] the latest slash already settled. A
     slash is unsettled while s > cleared[device]. When a device with an unsettled slash is
     claimed under the active root (covering rewards up to `through_time` T):
       * nothing is paid; everything the root gives it beyond what it was paid is forfeited: its
         `claimed` counter moves up to the root's cumulative amount (so it can never claim that
         amount later) and `total_forfeited` grows by the same amount; no token moves, so the
         forfeited IO stays in the pool for later roots;
       * if T >= s the slash is settled (cleared[device] = s): every reward accrued up to the slash
         is in this root and has now been forfeited. If T < s the slash stays unsettled, so the
         rewards accrued between T and s are forfeited under the next root as well.
     So a slashed device loses every reward it had not claimed when the slash happened, up to
     the first root (with T >= s) under which it is settled; later rewards are paid normally.

     Funding. received = token balance + total_paid (all IO that ever arrived). A root's total
     counts forfeited rewards twice (in the slashed device's cumulative, settled to the pool,
     and again in the devices the engine later gives them to), so the bound is
         total <= received + total_forfeited,
     which is exactly "the root's unclaimed liability is covered by the balance":
         total - (total_paid + total_forfeited) <= balance.
     When no forfeit is recycled this is total <= received.

     Invariants (tests/unit/test_rewards_distributor.py and tests/fuzz/test_rewards_properties.py
     name them):
     1. claimed_le_cumulative: claimed[d] never exceeds the cumulative amount proven for d under
        the active root, and never decreases.
     2. settled_sum: total_paid + total_forfeited == sum over devices of claimed[d].
     3. paid_le_received: total_paid <= total_received(), and the balance never goes below the
        active root's unclaimed liability when the tree's leaves sum to its total.
     4. root_funded: a root is accepted only if total <= total_received() + total_forfeited;
        totals of successive roots never decrease.
     5. forfeit_stays_in_pool: a forfeit moves no token; the balance is unchanged by it.
     6. delay: a root becomes active no earlier than ACTIVATION_DELAY after it was published,
        and only if governance has not cancelled it.
     Roles (snekmate access_control, multisig-ready): DEFAULT_ADMIN_ROLE grants roles;
     ORACLE_ROLE publishes roots; GOVERNANCE_ROLE cancels pending roots.
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
# @dev The role that cancels pending roots.
GOVERNANCE_ROLE: public(constant(bytes32)) = keccak256("GOVERNANCE_ROLE")
# @dev 100 % in basis points.
BPS: constant(uint256) = 10_000
# @dev The longest proof accepted: trees of up to 2**32 leaves.
MAX_PROOF_LENGTH: constant(uint256) = 32
# @dev The longest activation delay the constructor accepts.
MAX_ACTIVATION_DELAY_SECONDS: constant(uint256) = 30 * 86_400


# @dev The IO token paid out.
token: public(immutable(IIOToken))
# @dev Node staking: device owners, reward splits, slashes.
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


# @dev The root claims are proven against (root == empty before the first activation).
active: public(Root)
# @dev The root waiting for its delay (root == empty when none).
pending: public(Root)
# @dev How many roots were ever published (the next root_id is root_count + 1).
root_count: public(uint256)
# @dev Per device: everything settled so far (paid plus forfeited), in wei.
claimed: public(HashMap[bytes32, uint256])
# @dev Per device: the timestamp of the latest slash whose forfeit is settled.
slash_cleared: public(HashMap[bytes32, uint256])
# @dev Everything ever paid to wallets, in wei.
total_paid: public(uint256)
# @dev Everything ever forfeited back to the pool, in wei.
total_forfeited: public(uint256)


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


# @dev Emitted when governance cancels a pending root.
event RootCancelled:
    root_id: indexed(uint256)
    root: bytes32
    cancelled_by: indexed(address)


# @dev Emitted on every paying claim: who got what, and the device's new settled total.
event RewardsClaimed:
    device: indexed(bytes32)
    owner_wallet: indexed(address)
    co_staker: address
    owner_amount: uint256
    co_staker_amount: uint256
    cumulative: uint256


# @dev Emitted when a slashed device's unclaimed rewards return to the pool.
event RewardsForfeited:
    device: indexed(bytes32)
    amount: uint256
    cumulative: uint256
    slashed_at: uint256
    slash_settled: bool


@deploy
def __init__(token_: IIOToken, staking_: INodeStaking, activation_delay_seconds_: uint256,
             governance_: address, oracle_: address):
    """
    @notice Fixes the token, the staking contract and the delay, and grants the roles. The
            deployer holds DEFAULT_ADMIN_ROLE (hand it to a multisig with grantRole/renounceRole).
    @param token_ The IO token.
    @param staking_ The node staking contract.
    @param activation_delay_seconds_ The delay before a published root may be activated.
    @param governance_ Receives GOVERNANCE_ROLE.
    @param oracle_ Receives ORACLE_ROLE.
    """
    access_control.__init__()
    merkle_proof_verification.__init__()
    assert token_.address != empty(address), "RewardsDistributor: token is the zero address"
    assert staking_.address != empty(address), "RewardsDistributor: staking is the zero address"
    assert activation_delay_seconds_ <= MAX_ACTIVATION_DELAY_SECONDS, "RewardsDistributor: delay too long"
    assert governance_ != empty(address), "RewardsDistributor: governance is the zero address"
    assert oracle_ != empty(address), "RewardsDistributor: oracle is the zero address"
    token = token_
    staking = staking_
    ACTIVATION_DELAY_SECONDS = activation_delay_seconds_
    access_control._grant_role(GOVERNANCE_ROLE, governance_)
    access_control._grant_role(ORACLE_ROLE, oracle_)


@external
def publish_root(root: bytes32, total: uint256, through_epoch: uint256, through_time: uint256) -> uint256:
    """
    @notice Publishes a root of cumulative rewards; it may be activated ACTIVATION_DELAY_SECONDS
            later. A pending root that is already due is activated first. Oracle only.
    @param root The Merkle root (OpenZeppelin standard tree of (bytes32 device, uint256 cumulative)).
    @param total The sum of the tree's cumulative amounts, in wei.
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
    @notice Cancels the pending root (e.g. one published by a compromised oracle). Governance only.
    """
    access_control._check_role(GOVERNANCE_ROLE, msg.sender)
    pending: Root = self.pending
    assert pending.root != empty(bytes32), "RewardsDistributor: no pending root"
    self.pending = empty(Root)
    log RootCancelled(root_id=pending.root_id, root=pending.root, cancelled_by=msg.sender)


@external
def claim(device: bytes32, cumulative_amount: uint256, proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice Settles a device's rewards under the active root: pays cumulative_amount minus what
            was already settled, split between the owner's reward wallet and the co-staker; or,
            when the device has an unsettled slash, forfeits that amount to the pool. Anyone may
            call it; the money only ever goes to the wallets registered in NodeStaking.
    @param device The device id.
    @param cumulative_amount The device's cumulative reward in the active root, in wei.
    @param proof The sibling hashes from the device's leaf to the root.
    @return uint256 The amount paid (0 when forfeited).
    """
    # snekmate's `_process_proof` loop (sorted pairs), inlined over the 32-bound calldata array:
    # passing the proof to its 255-bound internal function costs ~1,300 gas more per claim on a
    # 20-level proof. `claimable` verifies with snekmate's `_verify`; the tests hold both equal.
    computed: bytes32 = keccak256(keccak256(abi_encode(device, cumulative_amount)))
    for sibling: bytes32 in proof:
        if convert(computed, uint256) < convert(sibling, uint256):
            computed = keccak256(abi_encode(computed, sibling))
        else:
            computed = keccak256(abi_encode(sibling, computed))
    assert computed == self.active.root, "RewardsDistributor: invalid proof"
    already: uint256 = self.claimed[device]
    assert cumulative_amount >= already, "RewardsDistributor: cumulative below claimed"
    assert cumulative_amount != already, "RewardsDistributor: nothing to claim"
    # cumulative_amount > already, checked just above.
    amount: uint256 = unsafe_sub(cumulative_amount, already)
    owner_wallet: address = empty(address)
    co_staker: address = empty(address)
    share_bps: uint256 = 0
    owner_wallet, co_staker, share_bps = staticcall staking.reward_split(device)
    assert owner_wallet != empty(address), "RewardsDistributor: unknown device"
    self.claimed[device] = cumulative_amount

    slashed_at: uint256 = staticcall staking.last_slashed_at(device)
    if slashed_at != 0 and slashed_at > self.slash_cleared[device]:
        settled: bool = self.active.through_time >= slashed_at
        if settled:
            self.slash_cleared[device] = slashed_at
        self.total_forfeited += amount
        log RewardsForfeited(device=device, amount=amount, cumulative=cumulative_amount,
                             slashed_at=slashed_at, slash_settled=settled)
        return 0

    self.total_paid += amount
    co_amount: uint256 = 0
    if co_staker != empty(address) and share_bps != 0:
        # Rounds down: the co-staker's share is floored, the owner gets the remainder.
        co_amount = amount * min(share_bps, BPS) // BPS
        extcall token.transfer(co_staker, co_amount)
    # co_amount <= amount since min(share_bps, BPS) <= BPS.
    owner_amount: uint256 = unsafe_sub(amount, co_amount)
    extcall token.transfer(owner_wallet, owner_amount)
    log RewardsClaimed(device=device, owner_wallet=owner_wallet, co_staker=co_staker, owner_amount=owner_amount,
                       co_staker_amount=co_amount, cumulative=cumulative_amount)
    return amount


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
def claimable(device: bytes32, cumulative_amount: uint256, proof: DynArray[bytes32, MAX_PROOF_LENGTH]) -> uint256:
    """
    @notice What a claim with these arguments would settle now (paid or forfeited); 0 when the
            proof is invalid or nothing is due.
    @param device The device id.
    @param cumulative_amount The device's cumulative reward in the active root, in wei.
    @param proof The sibling hashes from the device's leaf to the root.
    @return uint256 The amount in wei.
    """
    leaf: bytes32 = keccak256(keccak256(abi_encode(device, cumulative_amount)))
    if not merkle_proof_verification._verify(proof, self.active.root, leaf):
        return 0
    already: uint256 = self.claimed[device]
    if cumulative_amount <= already:
        return 0
    return cumulative_amount - already


@internal
def _activate():
    pending: Root = self.pending
    self.active = pending
    self.pending = empty(Root)
    log RootActivated(root_id=pending.root_id, root=pending.root, total=pending.total)


@internal
@view
def _funding_limit() -> uint256:
    return staticcall token.balanceOf(self) + self.total_paid + self.total_forfeited


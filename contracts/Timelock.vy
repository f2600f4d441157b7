# pragma version ~=0.4.3
"""
@title IO Governance Timelock
@custom:contract-name Timelock
@license GNU Affero General Public License v3.0 only
@notice The delay between a governance decision and its effect. Every power that changes the
        network's rules or moves its funds (token, emission, vaults, staking and rewards
        administration, router administration and treasury) belongs to this contract; the
        governance Safe proposes (schedules) and may cancel, and after the minimum delay the
        executor runs the operation. Providers and renters see every change in `CallScheduled`
        events a full delay before it takes effect. A call's payload may be up to 8,192 bytes
        and a batch may hold up to 10 calls; a batch costs about what its calls cost.
@dev A deployable wrapper over snekmate 0.1.2's `governance/timelock_controller` (a module: it
     `uses` access_control and cannot be deployed alone). snekmate keeps the roles, the state
     (`get_timestamp`, `get_minimum_delay`), the checks (`_schedule`, `_before_call`,
     `_after_call`, `_only_role_or_open_role`, with their reason strings), `cancel`,
     `update_delay`, the views and the token receivers. This contract provides its own
     `hash_operation(_batch)`, `schedule(_batch)` and `execute(_batch)`, with the same names,
     ABI, operation ids, events and order of checks as snekmate's, for one reason: cost.

     Why (measured, tests/unit/test_timelock.py): Vyper 0.4 copies every `Bytes`/`DynArray`
     argument of an external function into a memory frame sized by its static maximum, puts
     every local and temporary above those copies, and puts the frames of the internal
     functions it calls below them. Touching anything above a copy pays the memory expansion
     of the copy's whole static size, whatever was sent. snekmate's batch arguments are
     `DynArray[Bytes[1_024], 255]` (269 KB), passed again to an internal hash function: a batch
     of any size touched about 810 KB of memory, 1.46M of the 1.6M gas it cost to schedule
     (and again to execute). Here every payload is hashed, logged and called in place from the
     one argument copy (no internal function receives a payload), so a batch pays its calls plus
     the expansion of one 91 KB argument frame (10 calls of 8 KB: about 20k gas; a 5-call batch
     schedules for 1.9 single schedules). The price: one call's 8 KB frame costs about 500 gas
     more than snekmate's 1 KB one (schedule and execute, about 1 %), and the batch functions'
     inlined encoding adds about 1.1 KB of code (about 13 % more gas at deploy).

     Bounds: MAX_PAYLOAD_BYTES (8,192) and MAX_BATCH_CALLS (10, as Compound's GovernorBravo
     bounds a proposal's actions; the deploy's set-up batch holds 8) are the limits, and the
     fixed cost of a batch grows with their product; `ionet.timelock.chunked` chains longer lists
     as batches that run in order. The decoded argument bounds are one over each (8,193 bytes,
     11 calls) so that the first length over a limit is refused with a reason here, not by the ABI
     decoder's bare revert (anything longer still is, as every Vyper bound; `ionet.timelock`
     refuses both before a transaction).

     Constructor (minimum_delay, proposers, executors, admin): proposers also receive the
     canceller role; an executor equal to the zero address lets anyone execute; admin may be the
     zero address (then only the timelock itself administers its roles).
     Invariants (tests/unit/test_timelock.py names them):
     1. self_administered: the timelock holds DEFAULT_ADMIN_ROLE on itself and its deployer does
        not; role changes and `update_delay` take effect only as executed operations.
     2. delay: an operation executes no earlier than `delay >= get_minimum_delay` after it was
        scheduled, exactly once, and only with the payload it was scheduled with (the operation id
        is the hash of target, amount, payload, predecessor and salt).
     3. cancel: a cancelled operation can never execute (it must be scheduled again, with a new
        full delay).
     4. bounded: every scheduled call's payload is at most MAX_PAYLOAD_BYTES and every scheduled
        batch holds at most MAX_BATCH_CALLS calls, so everything scheduled can be executed.
     5. snekmate_ids: an operation's id is exactly snekmate's (and OpenZeppelin's) hash,
        keccak256(abi.encode(target, amount, payload, predecessor, salt)) for one call and
        keccak256(abi.encode(targets, amounts, payloads, predecessor, salt)) for a batch, and
        `CallScheduled`, `CallExecuted` and `CallSalt` have snekmate's signatures and fields, so
        indexers and `ionet.timelock` read this timelock as they read snekmate's.
"""

from snekmate.auth import access_control
from snekmate.governance import timelock_controller

initializes: access_control
initializes: timelock_controller[access_control := access_control]

# Everything of snekmate's but the six functions this contract provides (same names and ABI).
exports: (
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    timelock_controller.PROPOSER_ROLE,
    timelock_controller.EXECUTOR_ROLE,
    timelock_controller.CANCELLER_ROLE,
    timelock_controller.IERC721_TOKENRECEIVER_SELECTOR,
    timelock_controller.IERC1155_TOKENRECEIVER_SINGLE_SELECTOR,
    timelock_controller.IERC1155_TOKENRECEIVER_BATCH_SELECTOR,
    timelock_controller.get_timestamp,
    timelock_controller.get_minimum_delay,
    timelock_controller.__default__,
    timelock_controller.supportsInterface,
    timelock_controller.is_operation,
    timelock_controller.is_operation_pending,
    timelock_controller.is_operation_ready,
    timelock_controller.is_operation_done,
    timelock_controller.get_operation_state,
    timelock_controller.cancel,
    timelock_controller.update_delay,
    timelock_controller.onERC721Received,
    timelock_controller.onERC1155Received,
    timelock_controller.onERC1155BatchReceived,
)


# @dev The largest payload (calldata) of one scheduled call, in bytes.
MAX_PAYLOAD_BYTES: public(constant(uint256)) = 8_192


# @dev The most calls one scheduled batch may hold.
MAX_BATCH_CALLS: public(constant(uint256)) = 10


# @dev The decoded bounds: one over each limit (see @dev "Bounds").
_PAYLOAD_BOUND: constant(uint256) = MAX_PAYLOAD_BYTES + 1
_BATCH_BOUND: constant(uint256) = MAX_BATCH_CALLS + 1


# @dev How much of a failed call's revert data is bubbled up (snekmate's 255 bytes).
_RETURN_BYTES: constant(uint256) = 255


# @dev Emitted when a call is scheduled as part of operation `id` (`index` 0 for one call).
# snekmate's signature: `payload` is `bytes` in the ABI, whatever its bound.
event CallScheduled:
    id: indexed(bytes32)
    index: indexed(uint256)
    target: address
    amount: uint256
    payload: Bytes[_PAYLOAD_BOUND]
    predecessor: bytes32
    delay: uint256


# @dev Emitted when a call of operation `id` has run (`index` 0 for one call).
event CallExecuted:
    id: indexed(bytes32)
    index: indexed(uint256)
    target: address
    amount: uint256
    payload: Bytes[_PAYLOAD_BOUND]


# @dev Emitted when an operation is scheduled with a non-zero salt.
event CallSalt:
    id: indexed(bytes32)
    salt: bytes32


@deploy
@payable
def __init__(
    minimum_delay_: uint256,
    proposers_: DynArray[address, 255],
    executors_: DynArray[address, 255],
    admin_: address,
):
    """
    @notice Sets the minimum delay and grants the roles. The deployer keeps no role.
    @param minimum_delay_ The minimum delay of every operation, in seconds.
    @param proposers_ Accounts granted the proposer and the canceller roles.
    @param executors_ Accounts granted the executor role (the zero address: anyone).
    @param admin_ An optional extra holder of DEFAULT_ADMIN_ROLE (the zero address: none).
    """
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)


@external
@pure
def hash_operation(
    target: address, amount: uint256, payload: Bytes[_PAYLOAD_BOUND], predecessor: bytes32, salt: bytes32
) -> bytes32:
    """
    @notice The id of an operation of one call (snekmate's hash). Anyone may call it.
    @param target The contract called.
    @param amount The wei sent with the call.
    @param payload The calldata of the call.
    @param predecessor The id of an operation that must be done first (zero: none).
    @param salt Makes the id unique.
    @return bytes32 keccak256(abi.encode(target, amount, payload, predecessor, salt)).
    """
    return keccak256(abi_encode(target, amount, payload, predecessor, salt))


@external
@pure
def hash_operation_batch(
    targets: DynArray[address, _BATCH_BOUND],
    amounts: DynArray[uint256, _BATCH_BOUND],
    payloads: DynArray[Bytes[_PAYLOAD_BOUND], _BATCH_BOUND],
    predecessor: bytes32,
    salt: bytes32,
) -> bytes32:
    """
    @notice The id of a batch operation (snekmate's hash). Anyone may call it.
    @param targets The contracts called, in order.
    @param amounts The wei sent with each call.
    @param payloads The calldata of each call.
    @param predecessor The id of an operation that must be done first (zero: none).
    @param salt Makes the id unique.
    @return bytes32 keccak256(abi.encode(targets, amounts, payloads, predecessor, salt)).
    """
    return keccak256(abi_encode(targets, amounts, payloads, predecessor, salt))


@external
def schedule(
    target: address,
    amount: uint256,
    payload: Bytes[_PAYLOAD_BOUND],
    predecessor: bytes32,
    salt: bytes32,
    delay: uint256,
):
    """
    @notice Schedules an operation of one call, executable `delay` seconds from now. Emits
            `CallScheduled` (index 0) and, with a non-zero salt, `CallSalt`.
            Only a proposer may call it.
    @param target The contract to call.
    @param amount The wei to send with the call.
    @param payload The calldata of the call, at most MAX_PAYLOAD_BYTES.
    @param predecessor The id of an operation that must be done first (zero: none).
    @param salt Makes the id unique (an id can be scheduled once).
    @param delay Seconds before it may execute, at least `get_minimum_delay`.
    """
    access_control._check_role(timelock_controller.PROPOSER_ROLE, msg.sender)
    assert len(payload) <= MAX_PAYLOAD_BYTES, "Timelock: payload over 8,192 bytes"
    id: bytes32 = keccak256(abi_encode(target, amount, payload, predecessor, salt))
    timelock_controller._schedule(id, delay)
    log CallScheduled(
        id=id, index=0, target=target, amount=amount, payload=payload, predecessor=predecessor, delay=delay
    )
    if salt != empty(bytes32):
        log CallSalt(id=id, salt=salt)


@external
def schedule_batch(
    targets: DynArray[address, _BATCH_BOUND],
    amounts: DynArray[uint256, _BATCH_BOUND],
    payloads: DynArray[Bytes[_PAYLOAD_BOUND], _BATCH_BOUND],
    predecessor: bytes32,
    salt: bytes32,
    delay: uint256,
):
    """
    @notice Schedules a batch operation, executable `delay` seconds from now: its calls run in
            order, in one transaction, all or none. Emits one `CallScheduled` per call (index =
            its position) and, with a non-zero salt, `CallSalt`. Only a proposer may call it.
    @param targets The contracts to call, in order (at most MAX_BATCH_CALLS).
    @param amounts The wei to send with each call.
    @param payloads The calldata of each call, each at most MAX_PAYLOAD_BYTES.
    @param predecessor The id of an operation that must be done first (zero: none).
    @param salt Makes the id unique (an id can be scheduled once).
    @param delay Seconds before it may execute, at least `get_minimum_delay`.
    """
    access_control._check_role(timelock_controller.PROPOSER_ROLE, msg.sender)
    n: uint256 = len(targets)
    assert n == len(amounts) and n == len(payloads), "Timelock: length mismatch"
    assert n <= MAX_BATCH_CALLS, "Timelock: batch over 10 calls"
    for i: uint256 in range(n, bound=_BATCH_BOUND):
        assert len(payloads[i]) <= MAX_PAYLOAD_BYTES, "Timelock: payload over 8,192 bytes"
    id: bytes32 = keccak256(abi_encode(targets, amounts, payloads, predecessor, salt))
    timelock_controller._schedule(id, delay)
    for i: uint256 in range(n, bound=_BATCH_BOUND):
        log CallScheduled(
            id=id,
            index=i,
            target=targets[i],
            amount=amounts[i],
            payload=payloads[i],
            predecessor=predecessor,
            delay=delay,
        )
    if salt != empty(bytes32):
        log CallSalt(id=id, salt=salt)


@external
@payable
def execute(target: address, amount: uint256, payload: Bytes[_PAYLOAD_BOUND], predecessor: bytes32, salt: bytes32):
    """
    @notice Executes a ready operation of one call and emits `CallExecuted`. A call that
            reverts reverts the execution with its own reason (the operation stays ready).
            Only an executor may call it (anyone when the zero address holds the role).
    @dev Reentrancy as in snekmate: `_after_call` requires the operation still ready, so a
         reentrant execution or cancellation of the same id makes this one revert.
    @param target The contract to call, as scheduled.
    @param amount The wei to send with the call, as scheduled.
    @param payload The calldata, as scheduled.
    @param predecessor As scheduled; that operation must be done.
    @param salt As scheduled.
    """
    timelock_controller._only_role_or_open_role(timelock_controller.EXECUTOR_ROLE)
    id: bytes32 = keccak256(abi_encode(target, amount, payload, predecessor, salt))
    timelock_controller._before_call(id, predecessor)
    success: bool = False
    return_data: Bytes[_RETURN_BYTES] = b""
    success, return_data = raw_call(
        target, payload, max_outsize=_RETURN_BYTES, value=amount, revert_on_failure=False
    )
    if not success:
        if len(return_data) != 0:
            raw_revert(return_data)
        raise "Timelock: call reverted without a reason"
    log CallExecuted(id=id, index=0, target=target, amount=amount, payload=payload)
    timelock_controller._after_call(id)


@external
@payable
def execute_batch(
    targets: DynArray[address, _BATCH_BOUND],
    amounts: DynArray[uint256, _BATCH_BOUND],
    payloads: DynArray[Bytes[_PAYLOAD_BOUND], _BATCH_BOUND],
    predecessor: bytes32,
    salt: bytes32,
):
    """
    @notice Executes a ready batch operation: its calls in order, one `CallExecuted` each; if
            any call reverts the whole execution reverts with that call's reason (the operation
            stays ready). Only an executor may call it (anyone when the zero address holds it).
    @dev Reentrancy as in `execute`.
    @param targets The contracts to call, as scheduled.
    @param amounts The wei to send with each call, as scheduled.
    @param payloads The calldata of each call, as scheduled.
    @param predecessor As scheduled; that operation must be done.
    @param salt As scheduled.
    """
    timelock_controller._only_role_or_open_role(timelock_controller.EXECUTOR_ROLE)
    n: uint256 = len(targets)
    assert n == len(amounts) and n == len(payloads), "Timelock: length mismatch"
    id: bytes32 = keccak256(abi_encode(targets, amounts, payloads, predecessor, salt))
    timelock_controller._before_call(id, predecessor)
    success: bool = False
    return_data: Bytes[_RETURN_BYTES] = b""
    for i: uint256 in range(n, bound=_BATCH_BOUND):
        success, return_data = raw_call(
            targets[i], payloads[i], max_outsize=_RETURN_BYTES, value=amounts[i], revert_on_failure=False
        )
        if not success:
            if len(return_data) != 0:
                raw_revert(return_data)
            raise "Timelock: call reverted without a reason"
        log CallExecuted(id=id, index=i, target=targets[i], amount=amounts[i], payload=payloads[i])
    timelock_controller._after_call(id)

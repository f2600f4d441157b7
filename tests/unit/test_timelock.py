"""contracts/Timelock.vy: snekmate's timelock_controller behind a thin deployable wrapper.

Each test deploys its own Timelock (proposer alice, executor bob unless said otherwise) from a
scratch account, with a 1-hour minimum delay. The operations call the suite's MockUSDC as the
timelock (`approve` changes an allowance anyone can read; `transfer` without a balance reverts with
the token's reason). Invariants of the contract's @dev: 1 self_administered, 2 delay, 3 cancel.
"""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from ionet import ZERO_ADDRESS
from ionet.timelock import ZERO32, BatchOperation, Operation, salt_of
from tests.conftest import advance

DELAY = 3_600
WAITING, READY, DONE = 2, 4, 8  # snekmate's OperationState flag values


@pytest.fixture
def timelock(project, scratch_deployer, alice, bob):
    return scratch_deployer.deploy(project.Timelock, DELAY, [alice], [bob], ZERO_ADDRESS)


@pytest.fixture
def open_timelock(project, scratch_deployer, alice):
    """Executor = the zero address: anyone executes."""
    return scratch_deployer.deploy(project.Timelock, DELAY, [alice], [ZERO_ADDRESS], ZERO_ADDRESS)


def approve_op(usdc, spender, amount: int, salt: str = "approve") -> Operation:
    return Operation(target=usdc.address, payload=bytes(usdc.approve.encode_input(spender, amount)), salt=salt_of(salt))


def schedule(timelock, op: Operation, sender, delay: int = DELAY):
    return timelock.schedule(*op.schedule_args(delay), sender=sender)


def test_init__roles__self_administered_and_deployer_holds_none(project, scratch_deployer, alice, bob):
    """Invariant 1 (self_administered)."""
    tl = scratch_deployer.deploy(project.Timelock, DELAY, [alice], [bob], ZERO_ADDRESS)
    admin = tl.DEFAULT_ADMIN_ROLE()
    assert tl.hasRole(admin, tl.address)
    for role in (admin, tl.PROPOSER_ROLE(), tl.CANCELLER_ROLE(), tl.EXECUTOR_ROLE()):
        assert not tl.hasRole(role, scratch_deployer)
    assert tl.hasRole(tl.PROPOSER_ROLE(), alice) and tl.hasRole(tl.CANCELLER_ROLE(), alice)
    assert tl.hasRole(tl.EXECUTOR_ROLE(), bob) and not tl.hasRole(tl.PROPOSER_ROLE(), bob)
    assert tl.get_minimum_delay() == DELAY
    receipt = ape.chain.provider.get_receipt(tl.txn_hash)
    changes = tl.MinimumDelayChange.from_receipt(receipt)
    assert [(e.old_duration, e.new_duration) for e in changes] == [(0, DELAY)]


def test_init__optional_admin__granted(project, scratch_deployer, alice, bob, carol):
    tl = scratch_deployer.deploy(project.Timelock, DELAY, [alice], [bob], carol)
    assert tl.hasRole(tl.DEFAULT_ADMIN_ROLE(), carol)


def test_grant_role__proposer_directly__reverts(timelock, alice, carol):
    """Invariant 1: role changes only as the timelock's own operations."""
    with ape.reverts("access_control: account is missing role"):
        timelock.grantRole(timelock.PROPOSER_ROLE(), carol, sender=alice)


def test_hash_operation__python_twin__same_id(timelock, usdc, carol):
    op = approve_op(usdc, carol, 5)
    assert timelock.hash_operation(*op.execute_args()) == op.id
    batch = BatchOperation(
        targets=(usdc.address, usdc.address),
        payloads=(op.payload, bytes(usdc.approve.encode_input(carol, 6))),
        salt=salt_of("b"),
    )
    assert timelock.hash_operation_batch(*batch.execute_args()) == batch.id


def test_operation__payload_over_1024_bytes__rejected_off_chain(usdc):
    with pytest.raises(ValueError, match="at most 1024"):
        Operation(target=usdc.address, payload=b"\x00" * 1_025)


def test_schedule__proposer__operation_waiting_with_events(timelock, usdc, alice, carol):
    op = approve_op(usdc, carol, 5)
    receipt = schedule(timelock, op, alice)
    [ev] = timelock.CallScheduled.from_receipt(receipt)
    assert (ev.id, ev.index, ev.target, ev.amount, ev.payload, ev.predecessor, ev.delay) == (
        op.id,
        0,
        usdc.address,
        0,
        op.payload,
        ZERO32,
        DELAY,
    )
    assert [e.salt for e in timelock.CallSalt.from_receipt(receipt)] == [op.salt]
    assert timelock.get_operation_state(op.id) == WAITING
    assert timelock.get_timestamp(op.id) == ape.chain.blocks[receipt.block_number].timestamp + DELAY


def test_schedule__not_proposer__reverts(timelock, usdc, bob, carol):
    with ape.reverts("access_control: account is missing role"):
        schedule(timelock, approve_op(usdc, carol, 5), bob)


def test_schedule__below_minimum_delay__reverts(timelock, usdc, alice, carol):
    with ape.reverts("timelock_controller: insufficient delay"):
        schedule(timelock, approve_op(usdc, carol, 5), alice, delay=DELAY - 1)


def test_schedule__same_operation_twice__reverts(timelock, usdc, alice, carol):
    op = approve_op(usdc, carol, 5)
    schedule(timelock, op, alice)
    with ape.reverts("timelock_controller: operation already scheduled"):
        schedule(timelock, op, alice)


def test_schedule_batch__length_mismatch__reverts(timelock, usdc, alice, carol):
    payload = bytes(usdc.approve.encode_input(carol, 5))
    with ape.reverts("timelock_controller: length mismatch"):
        timelock.schedule_batch([usdc.address], [0, 0], [payload], ZERO32, ZERO32, DELAY, sender=alice)


def test_execute__before_the_delay__reverts(timelock, usdc, alice, bob, carol):
    """Invariant 2 (delay): one second early is too early."""
    op = approve_op(usdc, carol, 5)
    receipt = schedule(timelock, op, alice)
    ready_at = ape.chain.blocks[receipt.block_number].timestamp + DELAY
    ape.chain.pending_timestamp = ready_at - 1
    with ape.reverts("timelock_controller: operation is not ready"):
        timelock.execute(*op.execute_args(), sender=bob)
    assert usdc.allowance(timelock, carol) == 0


def test_execute__after_the_delay__runs_once_with_event(timelock, usdc, alice, bob, carol):
    """Invariant 2: executed exactly once, as scheduled."""
    op = approve_op(usdc, carol, 5)
    schedule(timelock, op, alice)
    advance(DELAY)
    receipt = timelock.execute(*op.execute_args(), sender=bob)
    assert usdc.allowance(timelock, carol) == 5
    [ev] = timelock.CallExecuted.from_receipt(receipt)
    assert (ev.id, ev.target, ev.payload) == (op.id, usdc.address, op.payload)
    assert timelock.get_operation_state(op.id) == DONE
    with ape.reverts("timelock_controller: operation is not ready"):
        timelock.execute(*op.execute_args(), sender=bob)


def test_execute__other_payload_than_scheduled__reverts(timelock, usdc, alice, bob, carol):
    """Invariant 2: the id is the hash of the payload; another payload is another (unscheduled) id."""
    op = approve_op(usdc, carol, 5)
    schedule(timelock, op, alice)
    advance(DELAY)
    other = Operation(target=op.target, payload=bytes(usdc.approve.encode_input(carol, 10**30)), salt=op.salt)
    with ape.reverts("timelock_controller: operation is not ready"):
        timelock.execute(*other.execute_args(), sender=bob)
    assert usdc.allowance(timelock, carol) == 0


def test_execute__not_executor__reverts(timelock, usdc, alice, carol):
    op = approve_op(usdc, carol, 5)
    schedule(timelock, op, alice)
    advance(DELAY)
    with ape.reverts("access_control: account is missing role"):
        timelock.execute(*op.execute_args(), sender=carol)


def test_execute__open_executor__anyone_executes(open_timelock, usdc, alice, attacker, carol):
    op = approve_op(usdc, carol, 7)
    schedule(open_timelock, op, alice)
    advance(DELAY)
    open_timelock.execute(*op.execute_args(), sender=attacker)
    assert usdc.allowance(open_timelock, carol) == 7


def test_execute__predecessor_not_done__reverts(timelock, usdc, alice, bob, carol):
    first = approve_op(usdc, carol, 1, salt="first")
    second = Operation(
        target=usdc.address,
        payload=bytes(usdc.approve.encode_input(carol, 2)),
        predecessor=first.id,
        salt=salt_of("second"),
    )
    schedule(timelock, first, alice)
    schedule(timelock, second, alice)
    advance(DELAY)
    with ape.reverts("timelock_controller: missing dependency"):
        timelock.execute(*second.execute_args(), sender=bob)
    timelock.execute(*first.execute_args(), sender=bob)
    timelock.execute(*second.execute_args(), sender=bob)
    assert usdc.allowance(timelock, carol) == 2


def test_execute__target_reverts__reason_bubbles_up(timelock, usdc, alice, bob, carol):
    """The timelock holds no USDC: the scheduled transfer reverts with the token's own reason."""
    op = Operation(target=usdc.address, payload=bytes(usdc.mint.encode_input(carol, 1)), salt=salt_of("t"))
    schedule(timelock, op, alice)
    advance(DELAY)
    with ape.reverts("FiatToken: caller is not a minter"):
        timelock.execute(*op.execute_args(), sender=bob)
    assert timelock.get_operation_state(op.id) == READY


def test_cancel__by_canceller__operation_can_never_execute(timelock, usdc, alice, bob, carol):
    """Invariant 3 (cancel)."""
    op = approve_op(usdc, carol, 5)
    schedule(timelock, op, alice)
    receipt = timelock.cancel(op.id, sender=alice)
    assert [e.id for e in timelock.Cancelled.from_receipt(receipt)] == [op.id]
    assert timelock.get_operation_state(op.id) == 1  # UNSET
    advance(DELAY)
    with ape.reverts("timelock_controller: operation is not ready"):
        timelock.execute(*op.execute_args(), sender=bob)


def test_cancel__not_canceller__reverts(timelock, usdc, alice, bob, carol):
    op = approve_op(usdc, carol, 5)
    schedule(timelock, op, alice)
    with ape.reverts("access_control: account is missing role"):
        timelock.cancel(op.id, sender=bob)


def test_cancel__not_pending__reverts(timelock, alice):
    with ape.reverts("timelock_controller: operation cannot be cancelled"):
        timelock.cancel(keccak(text="nothing"), sender=alice)


def test_update_delay__called_directly__reverts(timelock, alice):
    """Invariant 1: the delay changes only through an operation on the timelock itself."""
    with ape.reverts("timelock_controller: caller must be timelock"):
        timelock.update_delay(0, sender=alice)


def test_update_delay__through_an_operation__changes_with_event(timelock, alice, bob):
    op = Operation(
        target=timelock.address, payload=bytes(timelock.update_delay.encode_input(2 * DELAY)), salt=salt_of("delay")
    )
    schedule(timelock, op, alice)
    advance(DELAY)
    receipt = timelock.execute(*op.execute_args(), sender=bob)
    assert timelock.get_minimum_delay() == 2 * DELAY
    [ev] = timelock.MinimumDelayChange.from_receipt(receipt)
    assert (ev.old_duration, ev.new_duration) == (DELAY, 2 * DELAY)


def test_execute__target_reverts_without_reason__generic_reason(timelock, usdc, alice, bob):
    """A call the target rejects with no revert data (an unknown selector) surfaces as the timelock's
    own reason."""
    op = Operation(target=usdc.address, payload=bytes.fromhex("12345678"), salt=salt_of("unknown selector"))
    schedule(timelock, op, alice)
    advance(DELAY)
    with ape.reverts("timelock_controller: underlying transaction reverted"):
        timelock.execute(*op.execute_args(), sender=bob)


def test_renounce_role__for_another_account__reverts(timelock, alice, bob):
    with ape.reverts("access_control: can only renounce roles for itself"):
        timelock.renounceRole(timelock.PROPOSER_ROLE(), alice, sender=bob)


def test_renounce_role__own_role__gone_with_event(timelock, alice):
    receipt = timelock.renounceRole(timelock.PROPOSER_ROLE(), alice, sender=alice)
    assert not timelock.hasRole(timelock.PROPOSER_ROLE(), alice)
    [ev] = timelock.RoleRevoked.from_receipt(receipt)
    assert (ev.role, ev.account, ev.sender) == (timelock.PROPOSER_ROLE(), alice.address, alice.address)

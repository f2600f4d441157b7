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
        events a full delay before it takes effect.
@dev A thin deployable wrapper over snekmate 0.1.2's `governance/timelock_controller` (which is a
     module: it `uses` access_control and cannot be deployed alone). Nothing is added or changed:
     the constructor runs both modules' constructors and every external function is snekmate's.
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
"""

from snekmate.auth import access_control
from snekmate.governance import timelock_controller

initializes: access_control
initializes: timelock_controller[access_control := access_control]

exports: timelock_controller.__interface__


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

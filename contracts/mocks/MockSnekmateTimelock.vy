# pragma version ~=0.4.3
"""
@title snekmate's timelock, unchanged (a reference for tests and benchmarks)
@custom:contract-name MockSnekmateTimelock
@license GNU Affero General Public License v3.0 only
@notice The thin wrapper the project used before `contracts/Timelock.vy` took over the batch and
        single-call functions: every external function is snekmate 0.1.2's
        `governance/timelock_controller`. Tests check that `Timelock` computes the same operation
        ids and emits byte-identical events, and measure what a batch cost here (about 1.6M gas).
        Never deployed by scripts.
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
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)

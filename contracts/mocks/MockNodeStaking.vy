# pragma version ~=0.4.3
"""
@title MockNodeStaking
@notice Test double of INodeStaking: tests set each device's answers directly. Never deployed by
        scripts.
"""

from ..interfaces import INodeStaking

implements: INodeStaking


struct Device:
    owner: address
    reward_wallet: address
    co_staker: address
    co_staker_share_bps: uint256
    eligible: bool
    last_slashed_at: uint256
    last_slash_id: uint256


devices: public(HashMap[bytes32, Device])
# @dev Slash ids handed out by mark_slashed (the last one).
slash_count: public(uint256)
# @dev Outcome per slash id: 1 pending, 2 overturned, 3 finalized (0 unknown).
outcomes: public(HashMap[uint256, uint256])


@external
def set_device(device: bytes32, owner: address, reward_wallet: address, co_staker: address,
               co_staker_share_bps: uint256, eligible: bool):
    self.devices[device] = Device(owner=owner, reward_wallet=reward_wallet, co_staker=co_staker,
                                  co_staker_share_bps=co_staker_share_bps, eligible=eligible,
                                  last_slashed_at=self.devices[device].last_slashed_at,
                                  last_slash_id=self.devices[device].last_slash_id)


@external
def set_eligible(device: bytes32, eligible: bool):
    self.devices[device].eligible = eligible


@external
def mark_slashed(device: bytes32) -> uint256:
    """
    @notice Records a new slash of `device` now (pending) and returns its id.
    """
    slash_id: uint256 = self.slash_count + 1
    self.slash_count = slash_id
    self.devices[device].last_slashed_at = block.timestamp
    self.devices[device].last_slash_id = slash_id
    self.outcomes[slash_id] = 1
    return slash_id


@external
def set_slash_outcome(slash_id: uint256, outcome: uint256):
    self.outcomes[slash_id] = outcome


@external
@view
def is_eligible(device: bytes32) -> bool:
    return self.devices[device].eligible


@external
@view
def device_owner(device: bytes32) -> address:
    return self.devices[device].owner


@external
@view
def reward_split(device: bytes32) -> (address, address, uint256):
    # Field by field: copying the whole struct would read six slots and make claims look dearer.
    return self.devices[device].reward_wallet, self.devices[device].co_staker, \
        self.devices[device].co_staker_share_bps


@external
@view
def last_slashed_at(device: bytes32) -> uint256:
    return self.devices[device].last_slashed_at


@external
@view
def last_slash_id(device: bytes32) -> uint256:
    return self.devices[device].last_slash_id


@external
@view
def claim_context(device: bytes32) -> (address, uint256):
    return self.devices[device].reward_wallet, self.devices[device].last_slash_id


@external
@view
def slash_outcome(slash_id: uint256) -> uint256:
    return self.outcomes[slash_id]

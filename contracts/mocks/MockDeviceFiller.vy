# pragma version ~=0.4.3
"""
@title MockDeviceFiller
@notice Bench-only helper: registers many devices in one transaction so that the gas benchmark can
        measure NodeStaking with 10,000 registered devices without 10,000 transactions. Never
        deployed by scripts. The devices it registers are owned by this contract.
"""


interface IRegistry:
    def register_device(device: bytes32, device_class: bytes32, processors: uint256, reward_wallet: address): nonpayable


# @dev The staking contract to fill.
registry: public(immutable(IRegistry))


@deploy
def __init__(registry_: IRegistry):
    registry = registry_


@external
def fill(first: uint256, count: uint256, device_class: bytes32):
    """
    @notice Registers devices keccak256("filler", first + i) for i in [0, count).
    @param first The first device number.
    @param count How many (bounded by the transaction's gas).
    @param device_class A supported class.
    """
    for i: uint256 in range(count, bound=1_000):
        device: bytes32 = keccak256(concat(b"filler", convert(first + i, bytes32)))
        extcall registry.register_device(device, device_class, 1, self)

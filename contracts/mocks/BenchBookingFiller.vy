# pragma version ~=0.4.3
"""
@title BenchBookingFiller
@notice Bench-only helper (never deployed by scripts): books the same device many times in one
        transaction, so the gas bench can fill a router with 10,000 open bookings quickly. It is
        the renter of those bookings and must hold the USDC or IO they cost.
"""

from ethereum.ercs import IERC20


interface IRouter:
    def book(device: bytes32, token: address, hours: uint256, rate: uint256, max_total: uint256) -> uint256: nonpayable


@external
def fill(router: address, token: address, device: bytes32, count: uint256, hours: uint256, rate: uint256):
    """
    @notice Makes `count` bookings of `device` for `hours` at `rate`, paid by this contract.
    """
    extcall IERC20(token).approve(router, max_value(uint256))
    for i: uint256 in range(count, bound=2_000):
        extcall IRouter(router).book(device, token, hours, rate, max_value(uint256))

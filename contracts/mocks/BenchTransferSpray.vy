# pragma version ~=0.4.3
"""
@title BenchTransferSpray
@notice Bench-only load generator (never deployed by scripts): makes many ERC-20 transfers in one
        transaction, so benchmarks/bench_indexer.py builds a chain of 100,000+ indexable Transfer
        events in a few dozen transactions. It sends the tokens it holds.
"""

from ethereum.ercs import IERC20


@external
def spray(token: address, recipients: DynArray[address, 64], count: uint256, amount: uint256):
    """
    @notice Makes `count` transfers of `amount` of `token`, to `recipients` in turn.
    """
    n: uint256 = len(recipients)
    for i: uint256 in range(count, bound=20_000):
        assert extcall IERC20(token).transfer(recipients[i % n], amount), "BenchTransferSpray: transfer failed"

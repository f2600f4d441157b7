"""Shared helpers of the rewards tests: device ids, a mock-staking setup, publish-and-activate."""

from __future__ import annotations

from ape import chain

from ionet.chain.clock import advance  # noqa: F401  (re-exported for the tests)
from ionet.merkle import MerkleTree
from ionet.merkle import keccak as _keccak

DELAY = 86_400


def dev(i: int) -> bytes:
    """A deterministic 32-byte device id."""
    return _keccak(b"device" + i.to_bytes(8, "big"))




def register(mock, device: bytes, wallet, co_staker=None, share_bps: int = 0, eligible: bool = True) -> None:
    co = co_staker.address if co_staker is not None else "0x" + "00" * 20
    mock.set_device(device, wallet, wallet, co, share_bps, eligible, sender=wallet)


def tree_of(amounts: dict[bytes, int]) -> MerkleTree:
    return MerkleTree(sorted(amounts.items()))


def publish(
    distributor,
    oracle,
    tree: MerkleTree,
    total: int | None = None,
    epoch: int = 1,
    through_time: int | None = None,
):
    total = sum(a for _, a in tree.entries) if total is None else total
    if through_time is None:
        through_time = chain.blocks.head.timestamp
    return distributor.publish_root(tree.root, total, epoch, through_time, sender=oracle)


def publish_and_activate(distributor, oracle, tree: MerkleTree, **kw):
    publish(distributor, oracle, tree, **kw)
    advance(DELAY)
    return distributor.activate_root(sender=oracle)


def claim_args(tree: MerkleTree, device: bytes) -> tuple[bytes, int, list[bytes]]:
    i = [d for d, _ in tree.entries].index(device)
    return device, tree.entries[i][1], tree.proof(i)

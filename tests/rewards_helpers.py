"""Shared helpers of the rewards tests: device ids, a mock-staking setup, trees of seven-field
leaves, publish-and-activate, and reading a claim's events."""

from __future__ import annotations

from ape import chain

from ionet import ZERO_ADDRESS
from ionet.chain.clock import advance  # noqa: F401  (re-exported for the tests)
from ionet.merkle import MerkleTree, RewardLeaf
from ionet.merkle import keccak as _keccak
from ionet.rewards import address

DELAY = 86_400
PENDING, OVERTURNED, FINALIZED = 1, 2, 3


def dev(i: int) -> bytes:
    """A deterministic 32-byte device id."""
    return _keccak(b"device" + i.to_bytes(8, "big"))


def register(mock, device: bytes, wallet, co_staker=None, share_bps: int = 0, eligible: bool = True) -> None:
    co = co_staker.address if co_staker is not None else ZERO_ADDRESS
    mock.set_device(device, wallet, wallet, co, share_bps, eligible, sender=wallet)


def leaf(
    device: bytes,
    owner: int,
    co_staker=None,
    co: int = 0,
    slash_id: int = 0,
    owner_at: int = 0,
    co_at: int = 0,
) -> RewardLeaf:
    """A leaf; `co_staker` an account, an address or None."""
    return RewardLeaf(device, owner, address(co_staker), co, slash_id, owner_at, co_at)


def tree_of(amounts: dict[bytes, int] | list[RewardLeaf]) -> MerkleTree:
    """A tree of leaves, or of {device: owner cumulative} (no co-staker, never slashed)."""
    if isinstance(amounts, dict):
        return MerkleTree([RewardLeaf(d, a) for d, a in sorted(amounts.items())])
    return MerkleTree(list(amounts))


def total_of(tree: MerkleTree) -> int:
    """Σ owner cumulatives (once per device) + Σ co-staker cumulatives: the root's total."""
    owners = {lf.device: lf.owner_cumulative for lf in tree.entries}
    return sum(owners.values()) + sum(lf.co_cumulative for lf in tree.entries)


def publish(
    distributor,
    oracle,
    tree: MerkleTree,
    total: int | None = None,
    epoch: int = 1,
    through_time: int | None = None,
):
    total = total_of(tree) if total is None else total
    if through_time is None:
        through_time = chain.blocks.head.timestamp
    return distributor.publish_root(tree.root, total, epoch, through_time, sender=oracle)


def publish_and_activate(distributor, oracle, tree: MerkleTree, **kw):
    publish(distributor, oracle, tree, **kw)
    advance(DELAY)
    return distributor.activate_root(sender=oracle)


def claim_args(tree: MerkleTree, device: bytes | RewardLeaf, co_staker=None) -> tuple:
    """(*leaf, proof) of a device's leaf (its leaf for `co_staker`, or its first), or of a leaf."""
    for i, lf in enumerate(tree.entries):
        if isinstance(device, RewardLeaf):
            if lf == device:
                return (*lf, tree.proof(i))
        elif lf.device == device and (co_staker is None or lf.co_staker == address(co_staker)):
            return (*lf, tree.proof(i))
    raise KeyError("no such leaf")


def events(receipt, name: str) -> list:
    return [e for e in receipt.events if e.event_name == name]


def settled(distributor, device: bytes, party=None) -> int:
    return distributor.settled_of(device, address(party))[0]

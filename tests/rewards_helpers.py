"""Shared helpers of the rewards tests: device ids, a mock-staking setup, trees of reward and
slash leaves, publish-and-activate, and reading a claim's events."""

from __future__ import annotations

from ape import chain

from ionet import ZERO_ADDRESS
from ionet.chain.clock import advance  # noqa: F401  (re-exported for the tests)
from ionet.engines.merkle import MerkleTree, RewardLeaf, SlashLeaf
from ionet.engines.merkle import keccak as _keccak
from ionet.engines.rewards import address

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
    co_slash_id: int = 0,
) -> RewardLeaf:
    """A reward leaf; `co_staker` an account, an address or None."""
    return RewardLeaf(device, owner, address(co_staker), co, slash_id, co_slash_id)


def slash_leaf(
    device: bytes,
    slash_id: int,
    owner_at: int,
    owner_prev: int = 0,
    co_staker=None,
    co_at: int = 0,
    co_prev: int = 0,
) -> SlashLeaf:
    """A slash leaf; `co_staker` (the co-staker it hit) an account, an address or None."""
    return SlashLeaf(device, slash_id, owner_prev, owner_at, address(co_staker), co_prev, co_at)


def tree_of(amounts: dict[bytes, int] | list[RewardLeaf]) -> MerkleTree:
    """A tree of leaves, or of {device: owner cumulative} (no co-staker, never slashed)."""
    if isinstance(amounts, dict):
        return MerkleTree([RewardLeaf(d, a) for d, a in sorted(amounts.items())])
    return MerkleTree(list(amounts))


def total_of(tree: MerkleTree) -> int:
    """Σ owner cumulatives (once per device) + Σ co-staker cumulatives: the root's total."""
    rewards = [lf for lf in tree.entries if isinstance(lf, RewardLeaf)]
    owners = {lf.device: lf.owner_cumulative for lf in rewards}
    return sum(owners.values()) + sum(lf.co_cumulative for lf in rewards)


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


def claim_args(tree: MerkleTree, device: bytes | RewardLeaf | SlashLeaf, co_staker=None) -> tuple:
    """(*leaf, proof) of a device's reward leaf (its leaf for `co_staker`, or its first), or of a
    given leaf (reward or slash)."""
    for i, lf in enumerate(tree.entries):
        if isinstance(device, RewardLeaf | SlashLeaf):
            if lf == device:
                return (*lf, tree.proof(i))
        elif isinstance(lf, RewardLeaf) and lf.device == device and (
            co_staker is None or lf.co_staker == address(co_staker)
        ):
            return (*lf, tree.proof(i))
    raise KeyError("no such leaf")


def settle_args(tree: MerkleTree, device: bytes, slash_id: int) -> tuple:
    """(*slash leaf, proof) of a device's slash leaf."""
    for i, lf in enumerate(tree.entries):
        if isinstance(lf, SlashLeaf) and lf.device == device and lf.slash_id == slash_id:
            return (*lf, tree.proof(i))
    raise KeyError("no such slash leaf")


def events(receipt, name: str) -> list:
    return [e for e in receipt.events if e.event_name == name]


def settled(distributor, device: bytes, party=None) -> int:
    return distributor.settled_of(device, address(party))[0]

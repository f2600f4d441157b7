"""OpenZeppelin StandardMerkleTree for the rewards leaves, fast.

A rewards tree holds two kinds of leaves (what each field means: contracts/RewardsDistributor.vy's
@dev and ionet/engines/rewards.py):

* a `RewardLeaf` of six fields, ABI types `LEAF_TYPES`
    (bytes32 device, uint256 owner_cumulative, address co_staker, uint256 co_cumulative,
     uint256 slash_id, uint256 co_slash_id)
  what `claim` takes;
* a `SlashLeaf` of seven fields, ABI types `SLASH_LEAF_TYPES`
    (bytes32 device, uint256 slash_id, uint256 owner_prev, uint256 owner_at, address co_staker,
     uint256 co_prev, uint256 co_at)
  what `settle_slash` takes, one per slash.

Their encodings differ in length (six and seven words), so neither can be read as the other. Each
kind is encoded exactly as `@openzeppelin/merkle-tree`'s `StandardMerkleTree.of(values, types)`
does and snekmate's `merkle_proof_verification` verifies:

* leaf  = keccak256(keccak256(abi.encode(<fields>)))   (double hash: a 64-byte node pair can
  never be read as a leaf);
* node  = keccak256(sort(a, b))                                (sorted pairs: proofs need no side bits);
* leaves sorted by hash, stored as a complete binary tree in one array of 2n-1 nodes, leaf i at
  index 2n-2-i, node k's children at 2k+1 and 2k+2, the root at index 0.

For speed (1,000,000 leaves in seconds) the ABI encoding is done by hand (32-byte words), the
hash is `sha3.keccak_256` (safe-pysha3, C) when installed, else pycryptodome, and the tree lives in
one `bytearray` of 32-byte nodes. Proof paths are index arithmetic; `all_proofs()` materialises
every proof with numpy gathers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

try:  # C keccak, ~0.8 us per hash
    from sha3 import keccak_256 as _keccak_256

    def keccak(data: bytes) -> bytes:
        return _keccak_256(data).digest()
except ImportError:  # pragma: no cover - pycryptodome, ~3 us per hash
    from Crypto.Hash import keccak as _cd_keccak

    def keccak(data: bytes) -> bytes:
        return _cd_keccak.new(data=data, digest_bits=256).digest()


ZERO_ADDRESS = "0x" + "00" * 20
LEAF_TYPES = ["bytes32", "uint256", "address", "uint256", "uint256", "uint256"]
LEAF_FIELDS = ["device", "owner_cumulative", "co_staker", "co_cumulative", "slash_id", "co_slash_id"]
SLASH_LEAF_TYPES = ["bytes32", "uint256", "uint256", "uint256", "address", "uint256", "uint256"]
SLASH_LEAF_FIELDS = ["device", "slash_id", "owner_prev", "owner_at", "co_staker", "co_prev", "co_at"]


class RewardLeaf(NamedTuple):
    """A reward leaf, in the contract's argument order (`claim(*leaf, proof)`).

    `co_staker` is a 0x-prefixed hex address (ZERO_ADDRESS when the device never had one);
    `slash_id` the device's latest slash the tree commits, `co_slash_id` the latest of those that
    hit `co_staker` (0 for none)."""

    device: bytes
    owner_cumulative: int
    co_staker: str = ZERO_ADDRESS
    co_cumulative: int = 0
    slash_id: int = 0
    co_slash_id: int = 0


class SlashLeaf(NamedTuple):
    """A slash leaf, in the contract's argument order (`settle_slash(*leaf, proof)`): the slash,
    the device's slash before it, the owner's cumulative at it; the co-staker it hit (or
    ZERO_ADDRESS), the slash before it that hit that co-staker, and its cumulative at it."""

    device: bytes
    slash_id: int
    owner_prev: int = 0
    owner_at: int = 0
    co_staker: str = ZERO_ADDRESS
    co_prev: int = 0
    co_at: int = 0


Leaf = RewardLeaf | SlashLeaf

_PAD12 = bytes(12)


def _address_word(co: str) -> bytes:
    co_raw = bytes.fromhex(co[2:] if co[:2] in ("0x", "0X") else co)
    if len(co_raw) != 20:
        raise ValueError("co_staker must be a 20-byte address")
    return _PAD12 + co_raw


def encode_leaf(leaf: Leaf) -> bytes:
    """abi.encode of a leaf's fields: six (reward leaf) or seven (slash leaf) 32-byte words."""
    if len(leaf[0]) != 32:
        raise ValueError("device id must be 32 bytes")
    try:
        if isinstance(leaf, SlashLeaf):
            device, slash_id, owner_prev, owner_at, co, co_prev, co_at = leaf
            return b"".join(
                (
                    device,
                    slash_id.to_bytes(32, "big"),
                    owner_prev.to_bytes(32, "big"),
                    owner_at.to_bytes(32, "big"),
                    _address_word(co),
                    co_prev.to_bytes(32, "big"),
                    co_at.to_bytes(32, "big"),
                )
            )
        device, owner_cum, co, co_cum, slash_id, co_slash_id = leaf
        return b"".join(
            (
                device,
                owner_cum.to_bytes(32, "big"),
                _address_word(co),
                co_cum.to_bytes(32, "big"),
                slash_id.to_bytes(32, "big"),
                co_slash_id.to_bytes(32, "big"),
            )
        )
    except OverflowError as e:  # negative or >= 2**256
        raise ValueError(f"amount out of uint256 range in {leaf!r}") from e


def leaf_hash(leaf: Leaf) -> bytes:
    """The OpenZeppelin standard leaf: keccak256(keccak256(abi.encode(<fields>)))."""
    return keccak(keccak(encode_leaf(leaf)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """keccak256 of the sorted pair (as snekmate's `_hash_pair` and OpenZeppelin's `hashPair`)."""
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """The root a proof leads to (what the contract computes)."""
    h = leaf
    for p in proof:
        h = hash_pair(h, p)
    return h


class MerkleTree:
    """A standard tree over `RewardLeaf` and `SlashLeaf` entries (in any order; the tree sorts
    their hashes)."""

    def __init__(self, entries: Sequence[Leaf]):
        n = len(entries)
        if n == 0:
            raise ValueError("a Merkle tree needs at least one leaf")
        k = keccak
        hashed = [(k(k(encode_leaf(e))), i) for i, e in enumerate(entries)]
        hashed.sort()  # leaves sorted by hash, as OpenZeppelin's sortLeaves default
        size = 2 * n - 1
        nodes = bytearray(32 * size)
        # Leaf j (in sorted order) sits at node index size-1-j.
        self.position: list[int] = [0] * n  # entry index -> node index
        for j, (h, i) in enumerate(hashed):
            idx = size - 1 - j
            nodes[32 * idx : 32 * idx + 32] = h
            self.position[i] = idx
        mv = memoryview(nodes)
        for idx in range(n - 2, -1, -1):
            left = bytes(mv[32 * (2 * idx + 1) : 32 * (2 * idx + 2)])
            right = bytes(mv[32 * (2 * idx + 2) : 32 * (2 * idx + 3)])
            nodes[32 * idx : 32 * idx + 32] = k(left + right) if left < right else k(right + left)
        self.nodes = nodes
        self.size = size
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    def node(self, idx: int) -> bytes:
        return bytes(self.nodes[32 * idx : 32 * idx + 32])

    @property
    def root(self) -> bytes:
        return self.node(0)

    def proof_indices(self, i: int) -> list[int]:
        """Node indices of the siblings on entry i's path to the root."""
        idx = self.position[i]
        out = []
        while idx > 0:
            out.append(idx + 1 if idx % 2 == 1 else idx - 1)
            idx = (idx - 1) // 2
        return out

    def proof(self, i: int) -> list[bytes]:
        """Entry i's proof: sibling hashes from its leaf to the root."""
        return [self.node(s) for s in self.proof_indices(i)]

    def leaf(self, i: int) -> bytes:
        return self.node(self.position[i])

    def verify(self, i: int, proof: Sequence[bytes] | None = None) -> bool:
        return process_proof(leaf_hash(self.entries[i]), proof if proof is not None else self.proof(i)) == self.root

    def all_proofs(self):  # -> tuple[numpy.ndarray, numpy.ndarray]
        """Every entry's proof at once: (hashes uint8[n, depth, 32], lengths int[n]).

        Row i holds entry i's sibling hashes, padded with zeros after lengths[i]. Built level by
        level with numpy index arithmetic and one gather per level (no Python loop per leaf)."""
        import numpy as np

        n = len(self.entries)
        tree = np.frombuffer(bytes(self.nodes), dtype=np.uint8).reshape(self.size, 32)
        idx = np.asarray(self.position, dtype=np.int64)
        depth = int(idx.max() + 1).bit_length() - 1
        hashes = np.zeros((n, max(depth, 1), 32), dtype=np.uint8)
        lengths = np.zeros(n, dtype=np.int64)
        for level in range(depth):
            live = idx > 0
            if not live.any():
                break
            sib = np.where(idx % 2 == 1, idx + 1, idx - 1)
            rows = np.nonzero(live)[0]
            hashes[rows, level] = tree[sib[rows]]
            lengths[rows] += 1
            idx = np.where(live, (idx - 1) // 2, 0)
        return hashes, lengths

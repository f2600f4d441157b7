"""Scale: the rewards Merkle tree and every proof for 1,000,000 devices, timed on this machine.

    make merkle-bench                      # python -m benchmarks.bench_merkle_scale
    python -m benchmarks.bench_merkle_scale --devices 200000 --no-json

Goal (issue 5): building the tree and all proofs for 1,000,000 devices takes at most 60 s. A
device has a six-field reward leaf (one device in ten has a co-staker); one device in a hundred
was slashed, which adds a seven-field slash leaf (issue 18): 1,010,000 leaves for 1M devices.
The JSON file with every proof (~2 GB for 1M devices) is timed separately. Results go to
benchmarks/merkle_scale.md. Not part of `make test` (a 10,000-leaf test is).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from pathlib import Path

from ionet.engines.merkle import ZERO_ADDRESS, MerkleTree, RewardLeaf, SlashLeaf, keccak, leaf_hash, process_proof
from ionet.engines.rewards import RewardsTree

OUT = Path(__file__).resolve().parent / "merkle_scale.md"
GOAL_SECONDS = 60.0


def run(n: int, write_json: bool) -> list[tuple[str, float]]:
    rng = random.Random(1)
    # Leaves as the engine writes them: a reward leaf per device, one device in ten with a co-staker,
    # one in a hundred slashed (the slash hit the co-staker too when there is one) with a slash leaf.
    co = "0x" + "c0" * 20
    leaves, slash_leaves = [], []
    for i in range(n):
        device, owner = keccak(b"device" + i.to_bytes(8, "big")), rng.randrange(1, 10**24)
        has_co, sid = i % 10 == 0, i // 100 + 1 if i % 100 == 0 else 0
        c = co if has_co else ZERO_ADDRESS
        leaves.append(RewardLeaf(device, owner, c, owner // 4 if has_co else 0, sid, sid if has_co else 0))
        if sid:
            slash_leaves.append(SlashLeaf(device, sid, 0, owner // 2, c, 0, owner // 8 if has_co else 0))
    leaves.sort()
    entries = [*leaves, *slash_leaves]
    timings: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    tree = MerkleTree(entries)
    t1 = time.perf_counter()
    hashes, lengths = tree.all_proofs()
    t2 = time.perf_counter()
    timings += [
        ("tree (2n-1 keccak nodes, leaves double-hashed)", t1 - t0),
        ("all proofs", t2 - t1),
        ("tree + all proofs", t2 - t0),
    ]
    for i in rng.sample(range(len(entries)), 1_000):  # spot-check proofs
        proof = [bytes(hashes[i, j]) for j in range(int(lengths[i]))]
        assert process_proof(leaf_hash(entries[i]), proof) == tree.root
    if write_json:
        built = RewardsTree(
            root=tree.root,
            total=sum(e.owner_cumulative + e.co_cumulative for e in leaves),
            through_epoch=0,
            through_time=0,
            leaves=leaves,
            tree=tree,
            slash_leaves=slash_leaves,
        )
        with tempfile.TemporaryDirectory() as tmp:
            t3 = time.perf_counter()
            path = built.write(Path(tmp) / "rewards.json")
            t4 = time.perf_counter()
            size = path.stat().st_size
        timings.append((f"JSON with every proof ({size / 1e9:.2f} GB, streamed)", t4 - t3))
    return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--devices", type=int, default=1_000_000)
    ap.add_argument("--no-json", action="store_true")
    args = ap.parse_args()
    timings = run(args.devices, not args.no_json)
    total = dict(timings)["tree + all proofs"]
    ok = total <= GOAL_SECONDS or args.devices != 1_000_000
    lines = (
        [
            "# Merkle tree scale",
            "",
            f"Written by `make merkle-bench` on {platform.machine()} with {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {args.devices:,} devices, one process.",
            "",
            "| step | seconds |",
            "|---|---:|",
        ]
        + [f"| {name} | {secs:.1f} |" for name, secs in timings]
        + [
            "",
            f"Goal: tree + all proofs for 1,000,000 devices <= {GOAL_SECONDS:.0f} s: "
            + ("met" if ok else "MISSED")
            + f" ({total:.1f} s).",
        ]
    )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.devices == 1_000_000:
        OUT.write_text(text)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

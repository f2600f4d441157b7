"""The reward oracle's round and a device's claim, on any network (used by scripts and the demo).

round:  mint what is due -> read devices and new slashes -> run the engine up to the last completed
        epoch (recycling forfeits) -> build the tree -> write the JSON -> publish the root
settle: read the JSON -> `settle_slash` each of the device's slash leaves, oldest first, that has
        something to do (a slash to apply, a hold whose slash is decided); no ordinary rewards
claim:  settle first (a claim needs every committed slash applied), then for each of the device's
        reward leaves ask `preview_claim` what a claim would do -> claim those that would go through
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ionet.engines.merkle import RewardLeaf, SlashLeaf
from ionet.engines.rewards import (
    Device,
    RewardsEngine,
    RewardsTree,
    SlashRecord,
    claims_of,
    devices_from_chain,
    read_claims,
    slash_claims_of,
    slashes_from_chain,
)


@dataclass
class Round:
    tree: RewardsTree
    path: Path
    root_id: int
    recycled: int
    activated_pending: bool
    new_slashes: int  # slashes the engine took note of in this round


def oracle_round(
    distributor: Any,
    schedule: Any,
    staking: Any,
    engine: RewardsEngine,
    oracle: Any,
    out_dir: Path,
    devices: list[Device] | None = None,
    through_epoch: int | None = None,
    recycle: bool = True,
    slashes: Iterable[SlashRecord] | None = None,
    tx_kwargs: dict[str, Any] | None = None,
) -> Round:
    """One publication: the engine (state in `engine`, updated in place) takes note of the slashes
    (`slashes`, or NodeStaking's Slashed events since its last scan), runs up to `through_epoch`
    (default: every completed epoch) and its root is published."""
    kw = tx_kwargs or {}
    if schedule.mintable() > 0:
        schedule.mint_due(sender=oracle, **kw)  # fund the distributor up to now
    through = schedule.completed_epochs() if through_epoch is None else through_epoch
    if through <= engine.through_epoch:
        raise ValueError(f"nothing new: the engine is at epoch {engine.through_epoch}, chain at {through}")
    if slashes is None:
        from ape import chain

        head = chain.blocks.head.number
        start = engine.scanned_block + 1 if engine.scanned_block else 0
        slashes = slashes_from_chain(staking, start, head)
        engine.scanned_block = head
    new_slashes = engine.record_slashes(slashes)
    devs = devices if devices is not None else devices_from_chain(staking)
    to_recycle = max(0, distributor.total_forfeited() - engine.recycled) if recycle else 0
    engine.run_until(through, devs, forfeited_to_recycle=to_recycle)
    built = engine.build()
    path = built.write(out_dir / f"rewards-epoch-{through}.json")
    pending = distributor.pending()
    receipt = distributor.publish_root(
        built.root, built.total, built.through_epoch, built.through_time, sender=oracle, **kw
    )
    root_id = [e for e in receipt.events if e.event_name == "RootPublished"][0].root_id
    return Round(
        tree=built,
        path=path,
        root_id=root_id,
        recycled=to_recycle,
        activated_pending=pending.root != b"\x00" * 32,
        new_slashes=new_slashes,
    )


def _active_data(distributor: Any, rewards_json: Mapping[str, Any] | str | Path) -> Mapping[str, Any] | None:
    data = rewards_json if isinstance(rewards_json, Mapping) else read_claims(rewards_json)
    if bytes.fromhex(data["root"][2:]) != bytes(distributor.active().root):
        return None
    return data


def _active_claims(distributor: Any, rewards_json: Mapping[str, Any] | str | Path, device: bytes):
    data = _active_data(distributor, rewards_json)
    return [] if data is None else claims_of(data, device)


def _active_slashes(
    distributor: Any, rewards_json: Mapping[str, Any] | str | Path, device: bytes
) -> list[tuple[SlashLeaf, list[bytes]]]:
    data = _active_data(distributor, rewards_json)
    return [] if data is None else slash_claims_of(data, device)


def previews(
    distributor: Any, rewards_json: Mapping[str, Any] | str | Path, device: bytes
) -> list[tuple[RewardLeaf, list[bytes], Any]]:
    """(leaf, proof, preview_claim) for each of the device's leaves under the active root ([] when
    the file's root is not the active one or the device has no leaf)."""
    return [
        (leaf, proof, distributor.preview_claim(*leaf, proof))
        for leaf, proof in _active_claims(distributor, rewards_json, device)
    ]


def claim_from_file(
    distributor: Any,
    rewards_json: Mapping[str, Any] | str | Path,
    device: bytes,
    sender: Any,
    tx_kwargs: dict[str, Any] | None = None,
) -> list[Any]:
    """Settle the device's slash leaves that have something to do (`settle_from_file`), then claim
    each of its reward leaves whose preview says the claim would go through; returns the receipts
    ([] when nothing is claimable or settleable: not in the file, the file's root is not the active
    one, already claimed, or the root predates the device's latest slash)."""
    out = settle_from_file(distributor, rewards_json, device, sender, tx_kwargs)
    for leaf, proof, p in previews(distributor, rewards_json, device):
        if p.reason == "":
            out.append(distributor.claim(*leaf, proof, sender=sender, **(tx_kwargs or {})))
    return out


def settle_from_file(
    distributor: Any,
    rewards_json: Mapping[str, Any] | str | Path,
    device: bytes,
    sender: Any,
    tx_kwargs: dict[str, Any] | None = None,
) -> list[Any]:
    """`settle_slash` each of `device`'s slash leaves, oldest first, whose preview says it has
    something to do (a slash to apply, a hold whose slash was overturned or finalized); returns
    the receipts."""
    out = []
    for leaf, proof in _active_slashes(distributor, rewards_json, device):
        if distributor.preview_settle_slash(*leaf, proof).reason == "":
            out.append(distributor.settle_slash(*leaf, proof, sender=sender, **(tx_kwargs or {})))
    return out

"""The reward oracle's round and a device's claim, on any network (used by scripts and the demo).

round:  mint what is due -> read devices -> run the engine up to the last completed epoch
        (recycling forfeits) -> build the tree -> write the JSON -> publish the root
claim:  read the JSON -> claim for a device with its (cumulative amount, proof)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ionet.rewards import Device, RewardsEngine, RewardsTree, devices_from_chain, read_claims


@dataclass
class Round:
    tree: RewardsTree
    path: Path
    root_id: int
    recycled: int
    activated_pending: bool


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
    tx_kwargs: dict[str, Any] | None = None,
) -> Round:
    """One publication: the engine (state in `engine`, updated in place) runs up to
    `through_epoch` (default: every completed epoch) and its root is published."""
    kw = tx_kwargs or {}
    if schedule.mintable() > 0:
        schedule.mint_due(sender=oracle, **kw)  # fund the distributor up to now
    through = schedule.completed_epochs() if through_epoch is None else through_epoch
    if through <= engine.through_epoch:
        raise ValueError(f"nothing new: the engine is at epoch {engine.through_epoch}, chain at {through}")
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
    )


def claim_from_file(
    distributor: Any,
    rewards_json: dict[str, Any] | str | Path,
    device: bytes,
    sender: Any,
    tx_kwargs: dict[str, Any] | None = None,
) -> Any | None:
    """Claim for `device` with its entry of a rewards JSON; None when nothing is claimable (not in
    the file, the file's root is not the active one, or already claimed)."""
    data = rewards_json if isinstance(rewards_json, dict) else read_claims(rewards_json)
    entry = data["claims"].get("0x" + device.hex())
    if entry is None or bytes.fromhex(data["root"][2:]) != bytes(distributor.active().root):
        return None
    amount = int(entry["amount"])
    proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
    if distributor.claimable(device, amount, proof) == 0:
        return None
    return distributor.claim(device, amount, proof, sender=sender, **(tx_kwargs or {}))

"""Demo section: the emission reaches devices through Merkle roots computed off chain.

Two days of hourly epochs: the oracle (test account 1) mints what is due, runs the Python engine
over the devices NodeStaking knows, publishes a root, which anyone activates a day later; devices
claim (the co-staker gets its share), a slashed device's unclaimed rewards are forfeited to the
pool and given out again in the next root. Ends with who got what, summing to what was emitted.

Uses eco.notes["devices"], ["co_staked_device"], ["slashed_device"] from the staking section
when present; otherwise registers its own devices.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ionet import ZERO_ADDRESS as ZERO
from ionet import emission as model
from ionet.chain.economy import DAY, Economy, fmt_io
from ionet.chain.rewards_ops import claim_from_file, oracle_round
from ionet.chain.rewards_setup import ensure_device
from ionet.rewards import RewardsEngine, devices_from_chain, read_claims


def _devices(eco: Economy) -> tuple[dict[bytes, str], bytes, bytes]:
    """(device -> label for every registered device, a co-staked device, a device to slash now).

    Uses the staking section's devices (eco.notes) where they fit the story: its co-staked device
    if the co-stake is active, and one of its eligible devices to slash after the first root (its
    own slashed device is jailed, so it earns nothing). Registers what is missing."""
    staking = eco.suite.NodeStaking
    notes = eco.notes
    labels: dict[bytes, str] = {}
    noted = notes.get("devices") or {}
    if isinstance(noted, dict):
        labels = {bytes(v): f"{k}'s device" for k, v in noted.items()}
    co_dev = notes.get("co_staked_device")
    if co_dev is None or staking.reward_split(bytes(co_dev))[1] == ZERO:
        co_dev = ensure_device(
            eco, "rewards-demo/a100-farm", eco.provider_b, eco.contributor, 3_000, "A100-80GB", 8
        )
        labels[co_dev] = "provider_b's A100 farm"
    co_dev = bytes(co_dev)
    slash_dev = notes.get("slashed_device")
    if slash_dev is None or not staking.is_eligible(bytes(slash_dev)):
        spare = [d for d in labels if d != co_dev and staking.is_eligible(d)]
        if len(spare) >= 2:  # keep at least one honest device besides the co-staked one
            slash_dev = spare[-1]
        else:
            slash_dev = ensure_device(eco, "rewards-demo/l40s-box", eco.provider_c, None, 0, "L40S", 2)
            labels[slash_dev] = "provider_c's L40S box"
    slash_dev = bytes(slash_dev)
    rig = ensure_device(eco, "rewards-demo/4090-rig", eco.renter_y, None, 0, "RTX 4090", 1)
    labels[rig] = "renter_y's home rig"
    if len(labels) < 4:
        d = ensure_device(eco, "rewards-demo/h100-rack", eco.provider_a, None, 0, "H100", 8)
        labels[d] = "provider_a's H100 rack"
    for i in range(1, staking.device_count() + 1):  # every registered device takes part
        d = bytes(staking.device_at(i))
        if d not in labels:
            labels[d] = f"device #{i}"
    for d in labels:  # add class and processors
        _owner, cls, processors, _wallet, _index = staking.device_info(d)
        cls_name = bytes(cls).rstrip(b"\0").decode()
        labels[d] += f" [{processors}x {cls_name}]"
    labels[slash_dev] += " (to be slashed)"
    return labels, co_dev, slash_dev


def run(eco: Economy) -> None:
    eco.section("Provider rewards: hourly emission -> Merkle roots of cumulative rewards -> claims")
    s = eco.suite
    dist, sched, staking, token = s.RewardsDistributor, s.EmissionSchedule, s.NodeStaking, s.IOToken
    oracle = eco.operator
    label, co_dev, slashed_dev = _devices(eco)
    ids = list(label)
    start = sched.START_TIME()
    delay = dist.ACTIVATION_DELAY_SECONDS()
    out = Path(tempfile.mkdtemp(prefix="ionet-rewards-"))
    engine = RewardsEngine(start_time=start)
    wallets: dict[str, Any] = {}
    for d in ids:
        owner_wallet, co, _ = staking.reward_split(d)
        wallets.setdefault(owner_wallet, None)
        if co != "0x" + "00" * 20:
            wallets.setdefault(co, None)
    wallet_start = {w: token.balanceOf(w) for w in wallets}
    emitted_start = sched.total_emitted()
    balance_start = token.balanceOf(dist)
    paid_start, forfeited_start = dist.total_paid(), dist.total_forfeited()

    # ---------------------------------------------------------- day 1: first root
    eco.advance_to(max(eco.now(), start + DAY))
    r1 = oracle_round(dist, sched, staking, engine, oracle, out, devices=devices_from_chain(staking, ids))
    e1 = r1.tree.through_epoch
    e2 = e1 + 24
    eco.say(
        f"day {e1 // 24} over: mint_due paid the distributor "
        f"{fmt_io(sched.total_emitted() - emitted_start, 2)} "
        f"IO ({e1} hourly epochs since genesis)"
    )
    eco.say("the engine samples device data once per round (here: now); the network samples every epoch")
    eco.table(
        f"Engine, epochs 1-{e1}: score = multiplier x processors, each epoch split pro rata (IO)",
        ["device", "class x, processors", "score", "eligible", "cumulative"],
        [
            [
                label[d.device_id],
                f"{d.multiplier_bps / 10_000:g}x, {d.processors}",
                f"{d.multiplier_bps * d.processors:,}",
                "yes" if d.eligible else "no",
                fmt_io(engine.cumulative.get(d.device_id, 0), 4),
            ]
            for d in devices_from_chain(staking, ids)
        ],
    )
    assert r1.tree.total == model.cumulative_through(e1), (
        "root 1 must hold exactly the emission of its epochs"
    )
    eco.say(
        f"oracle published root #{r1.root_id} 0x{r1.tree.root.hex()[:16]}... "
        f"total {fmt_io(r1.tree.total, 4)} IO "
        f"(= emission of epochs 1-{e1} to the wei); proofs in {r1.path.name}"
    )
    eco.say(
        f"it activates after {delay // 3600} h; governance could cancel it meanwhile (a compromised oracle "
        "cannot drain the pool at once)"
    )

    eco.advance(delay // 2)
    slash_amount = staking.min_stake(slashed_dev) // 10
    staking.slash(slashed_dev, slash_amount, b"\x01" * 32, True, sender=oracle)
    eco.say(
        f"{label[slashed_dev]} is slashed {fmt_io(slash_amount, 0)} IO and jailed (fraud): its unclaimed "
        "rewards will be forfeited"
    )
    eco.advance(delay // 2)
    dist.activate_root(sender=eco.renter_x)  # anyone may activate
    eco.say(f"root #{r1.root_id} activated by a passer-by after the delay")

    paid_to = {d: [0, 0, 0] for d in ids}  # owner, co-staker, forfeited

    def claim_all(data: dict[str, Any], root_id: int) -> None:
        for d in ids:
            receipt = claim_from_file(dist, data, d, eco.renter_x)  # anyone may claim for a device
            if receipt is None:
                eco.say(f"root #{root_id}, {label[d]}: nothing to claim")
                continue
            for e in receipt.events:
                if e.event_name == "RewardsClaimed":
                    paid_to[d][0] += e.owner_amount
                    paid_to[d][1] += e.co_staker_amount
                    extra = f", co-staker {fmt_io(e.co_staker_amount, 4)} IO" if e.co_staker_amount else ""
                    eco.say(
                        f"root #{root_id}, {label[d]}: owner wallet {fmt_io(e.owner_amount, 4)} IO{extra}"
                    )
                elif e.event_name == "RewardsForfeited":
                    paid_to[d][2] += e.amount
                    eco.say(
                        f"root #{root_id}, {label[d]}: {fmt_io(e.amount, 4)} IO "
                        "FORFEITED to the pool (slashed)"
                    )

    claim_all(read_claims(r1.path), r1.root_id)
    forfeited1 = dist.total_forfeited() - forfeited_start
    assert forfeited1 == engine.cumulative[slashed_dev] and forfeited1 > 0

    # ---------------------------------------------------------- day 2: second root recycles the forfeit
    r2 = oracle_round(
        dist, sched, staking, engine, oracle, out, devices=devices_from_chain(staking, ids), through_epoch=e2
    )
    assert r2.recycled == forfeited1 and r2.activated_pending is False
    assert r2.tree.total == model.cumulative_through(e2) + forfeited1
    eco.say(
        f"oracle published root #{r2.root_id} through epoch {e2}: total {fmt_io(r2.tree.total, 4)} IO = "
        f"emission of epochs 1-{e2} + {fmt_io(forfeited1, 4)} IO of forfeit given out again; "
        "the jailed device "
        "earns nothing more"
    )
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)
    claim_all(read_claims(r2.path), r2.root_id)
    sched.mint_due(sender=eco.renter_x)
    eco.say(f"mint_due: epochs {e2 + 1}-{sched.completed_epochs()} arrive in the pool for the next root")

    # ---------------------------------------------------------- who got what
    rows = []
    for d in ids:
        own_amt, co_amt, lost = paid_to[d]
        rows.append(
            [
                label[d],
                fmt_io(engine.cumulative.get(d, 0), 4),
                fmt_io(own_amt, 4),
                fmt_io(co_amt, 4),
                fmt_io(lost, 4),
            ]
        )
        assert own_amt + co_amt + lost == dist.claimed(d) == engine.cumulative.get(d, 0)
    eco.table(
        f"Devices under root #{r2.root_id} (IO): cumulative = to owner + to co-staker + forfeited",
        ["device", "cumulative", "to owner", "to co-staker", "forfeited"],
        rows,
    )
    received = {w: token.balanceOf(w) - wallet_start[w] for w in wallets}
    names = {
        eco.provider_a.address: "provider_a",
        eco.provider_b.address: "provider_b",
        eco.provider_c.address: "provider_c",
        eco.co_staker.address: "co_staker",
        eco.contributor.address: "contributor",
        eco.renter_y.address: "renter_y",
    }
    emitted = sched.total_emitted() - emitted_start
    paid = dist.total_paid() - paid_start
    forfeited = dist.total_forfeited() - forfeited_start
    pool = token.balanceOf(dist) - balance_start
    rows = [[names.get(w, w), fmt_io(v, 6)] for w, v in received.items()]
    rows += [
        ["paid out (sum of the wallets)", fmt_io(paid, 6)],
        [f"forfeited ({fmt_io(forfeited, 4)}), given out again in root #{r2.root_id}", "(inside paid)"],
        [f"still in the pool (emission after epoch {e2}, for the next root)", fmt_io(pool, 6)],
        ["emitted to the distributor in this section", fmt_io(emitted, 6)],
    ]
    eco.table("Who got what (IO): wallets + what stays in the pool = what was emitted", ["", "IO"], rows)
    assert sum(received.values()) == paid, "wallets must receive exactly what the distributor paid"
    assert paid + pool == emitted, "paid + pool must equal what was emitted"
    assert paid == model.cumulative_through(e2) - paid_start and forfeited == forfeited1
    assert pool == sched.total_emitted() - model.cumulative_through(e2) - balance_start
    co_dev_co = staking.reward_split(co_dev)[1]
    assert received[co_dev_co] > 0, "the co-staker got nothing"
    eco.say(
        "every device was paid exactly its cumulative amount; "
        f"the slashed device's {fmt_io(forfeited, 4)} IO "
        f"went back to the pool and on to the others; {fmt_io(pool, 4)} IO wait for the next root"
    )
    eco.notes["rewards"] = {"root_id": r2.root_id, "paid": paid, "forfeited": forfeited, "pool": pool}

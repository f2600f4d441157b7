"""Demo section: the emission reaches devices through Merkle roots computed off chain.

The oracle (test account 1) mints what is due, runs the Python engine over the devices NodeStaking
knows (and its Slashed events), publishes a root, which anyone activates a day later; anyone
claims for a device: the owner's part goes to its reward wallet, the co-staker's part to the
co-staker (split by the co-stake in force in each epoch). Two devices are slashed WITHOUT jail,
after the first root: each keeps earning, and is paid what it earns after its slash. The next root
commits each slash with a slash leaf; `settle_slash` of it (by anyone, before the device's next
claim) HOLDS what the device had not claimed at the slash during the 30-day appeal window. One slash
is overturned (a later `settle_slash` returns its hold to the device), the other finalized (its hold
is forfeited to the pool and the engine gives it out again). Ends with who got what, summing to
what was emitted.

Uses eco.notes["devices"] and ["co_staked_device"] from the staking section when present;
otherwise registers its own devices.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ionet import ZERO_ADDRESS as ZERO
from ionet.chain.economy import DAY, HOUR, Economy, fmt_io
from ionet.chain.rewards_ops import claim_from_file, oracle_round, previews, settle_from_file
from ionet.chain.rewards_setup import ensure_device, stake_above_minimum
from ionet.engines.rewards import RewardsEngine, address, claims_of, devices_from_chain, read_claims, slash_claims_of
from ionet.models import emission as model

APPEAL = 30 * DAY


def _devices(eco: Economy) -> tuple[dict[bytes, str], bytes, bytes, bytes]:
    """(device -> label for every registered device, a co-staked device, the device whose slash
    will be finalized, the device whose slash will be overturned)."""
    staking = eco.suite.NodeStaking
    labels: dict[bytes, str] = {}
    noted = eco.notes.get("devices") or {}
    if isinstance(noted, dict):
        labels = {bytes(v): f"{k}'s device" for k, v in noted.items()}
    co_dev = eco.notes.get("co_staked_device")
    if co_dev is None or staking.reward_split(bytes(co_dev))[1] == ZERO:
        co_dev = ensure_device(eco, "rewards-demo/a100-farm", eco.provider_b, eco.contributor, 3_000, "A100-80GB", 8)
        labels[co_dev] = "provider_b's A100 farm"
    burnt = ensure_device(eco, "rewards-demo/l40s-box", eco.provider_c, None, 0, "L40S", 2)
    labels[burnt] = "provider_c's L40S box"
    saved = ensure_device(eco, "rewards-demo/4090-rig", eco.renter_y, None, 0, "RTX 4090", 1)
    labels[saved] = "renter_y's home rig"
    roles = {address(getattr(eco, r)): r for r in ("provider_a", "provider_b", "provider_c", "renter_y", "contributor")}
    for i in range(1, staking.device_count() + 1):  # every registered device takes part
        d = bytes(staking.device_at(i))
        if d not in labels:
            owner = address(staking.device_owner(d))
            labels[d] = f"{roles.get(owner, owner[:10])}'s device #{i}"
    for d in labels:  # add class and processors
        _owner, cls, processors, _wallet, _index = staking.device_info(d)
        cls_name = bytes(cls).rstrip(b"\0").decode()
        labels[d] += f" [{processors}x {cls_name}]"
    return labels, bytes(co_dev), burnt, saved


class Books:
    """What the demo's claims and settlements did, per device, from the distributor's events."""

    def __init__(self, ids: list[bytes]):
        self.owner = {d: 0 for d in ids}
        self.co = {d: 0 for d in ids}
        self.held = {d: 0 for d in ids}
        self.forfeited = {d: 0 for d in ids}

    def add(self, receipt: Any) -> list[str]:
        notes = []
        for e in receipt.events:
            if e.event_name not in ("RewardsClaimed", "RewardsHeld", "RewardsReleased", "RewardsForfeited"):
                continue
            d = bytes(e.device)
            party = "owner" if e.event_name == "RewardsClaimed" or int(e.party, 16) == 0 else "co-staker"
            if e.event_name == "RewardsClaimed":
                self.owner[d] += e.owner_amount
                self.co[d] += e.co_staker_amount
            elif e.event_name == "RewardsHeld" and e.amount == 0:
                notes.append(f"slash #{e.slash_id} applied to the {party} (nothing unclaimed at it: nothing held)")
            elif e.event_name == "RewardsHeld":
                self.held[d] += e.amount
                notes.append(f"{party}: {fmt_io(e.amount, 4)} IO HELD by slash #{e.slash_id} (appeal window)")
            elif e.event_name == "RewardsReleased":
                self.held[d] -= e.amount
                (self.owner if party == "owner" else self.co)[d] += e.amount
                notes.append(f"{party}: {fmt_io(e.amount, 4)} IO RETURNED (slash #{e.slash_id} overturned)")
            elif e.event_name == "RewardsForfeited":
                self.held[d] -= e.amount
                self.forfeited[d] += e.amount
                notes.append(f"{party}: {fmt_io(e.amount, 4)} IO FORFEITED to the pool (slash #{e.slash_id} finalized)")
        return notes


def run(eco: Economy) -> None:
    eco.section("Provider rewards: hourly emission -> Merkle roots of cumulative rewards -> claims")
    s = eco.suite
    dist, sched, staking, token = s.RewardsDistributor, s.EmissionSchedule, s.NodeStaking, s.IOToken
    oracle = eco.operator
    label, co_dev, burnt, saved = _devices(eco)
    ids = list(label)
    start = sched.START_TIME()
    delay = dist.ACTIVATION_DELAY_SECONDS()
    out = Path(tempfile.mkdtemp(prefix="ionet-rewards-"))
    engine = RewardsEngine(start_time=start)
    books = Books(ids)
    wallets: dict[str, Any] = {}
    for d in ids:
        owner_wallet, co, _ = staking.reward_split(d)
        wallets.setdefault(owner_wallet, None)
        if co != ZERO:
            wallets.setdefault(co, None)
    wallet_start = {w: token.balanceOf(w) for w in wallets}
    emitted_start = sched.total_emitted()
    balance_start = token.balanceOf(dist)
    paid_start, forfeited_start = dist.total_paid(), dist.total_forfeited()

    def claim_all(path: Path, root_id: int) -> None:
        data = read_claims(path)
        for d in ids:
            for receipt in claim_from_file(dist, data, d, eco.renter_x):  # anyone may claim for a device
                notes = books.add(receipt)
                for e in receipt.events:
                    if e.event_name == "RewardsClaimed":
                        co = f", co-staker {fmt_io(e.co_staker_amount, 4)} IO" if e.co_staker_amount else ""
                        notes.insert(0, f"owner wallet {fmt_io(e.owner_amount, 4)} IO{co}")
                eco.say(f"root #{root_id}, {label[d]}: " + "; ".join(notes))

    # ---------------------------------------------------------- root 1: every completed epoch
    eco.advance(HOUR)
    r1 = oracle_round(dist, sched, staking, engine, oracle, out, devices=devices_from_chain(staking, ids))
    e1 = r1.tree.through_epoch
    eco.say(
        f"the oracle mints what is due ({fmt_io(sched.total_emitted() - emitted_start, 2)} IO to the distributor) "
        f"and runs the engine over epochs 1-{e1} (every hour since genesis); it read {r1.new_slashes} slash(es) "
        "from NodeStaking's Slashed events (the jailed spoofer earns nothing)"
    )
    eco.say("the engine samples device data once per round (here: now); the network samples every epoch")
    eco.table(
        f"Engine, epochs 1-{e1}: score = multiplier x processors, each epoch split pro rata (IO)",
        ["device", "class x, processors", "score", "eligible", "to owner", "to co-staker"],
        [
            [
                label[d.device_id],
                f"{d.multiplier_bps / 10_000:g}x, {d.processors}",
                f"{d.multiplier_bps * d.processors:,}",
                "yes" if d.eligible else "no",
                fmt_io(engine.owner_cumulative.get(d.device_id, 0), 4),
                fmt_io(sum(engine.co_cumulative.get(d.device_id, {}).values()), 4),
            ]
            for d in devices_from_chain(staking, ids)
        ],
    )
    assert r1.tree.total == model.cumulative_through(e1), "root 1 must hold exactly the emission of its epochs"
    eco.say(
        f"root #{r1.root_id} 0x{r1.tree.root.hex()[:16]}... total {fmt_io(r1.tree.total, 4)} IO "
        f"(= emission of epochs 1-{e1} to the wei), {len(r1.tree.leaves)} reward leaves and "
        f"{len(r1.tree.slash_leaves)} slash leaf (or leaves: one per slash it commits); it activates after "
        f"{delay // 3600} h, during which the canceller could cancel it"
    )
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)  # anyone may activate
    claim_all(r1.path, r1.root_id)

    # ---------------------------------------------------------- two slashes without jail
    eco.advance(12 * HOUR)
    slash_ids = {}
    for d, who in ((burnt, eco.provider_c), (saved, eco.renter_y)):
        stake_above_minimum(eco, d, who, staking.min_stake(d) // 5)  # a slash leaves it eligible
        staking.slash(d, staking.min_stake(d) // 10, b"\x03" * 32, False, sender=oracle)
        slash_ids[d] = staking.last_slash_id(d)
        assert staking.is_eligible(d), "a slash without jail leaves the device eligible"
    eco.say(
        f"{label[burnt]} and {label[saved]} are slashed for poor service (slashes #{slash_ids[burnt]}, "
        f"#{slash_ids[saved]}), NOT jailed: they stay eligible and keep earning. What they had earned "
        f"and not claimed when slashed (everything after root #{r1.root_id}'s epoch {e1}) is what a slash takes"
    )
    for d in (burnt, saved):
        ((_, _, p),) = previews(dist, read_claims(r1.path), d)
        assert p.reason == "RewardsDistributor: slash after active root" and p.owner_amount == 0
    eco.say(f"preview_claim under root #{r1.root_id} for them: '{p.reason}' (nothing is paid until a root commits it)")

    # ---------------------------------------------------------- root 2 commits the slashes
    eco.advance(DAY)
    r2 = oracle_round(dist, sched, staking, engine, oracle, out, devices=devices_from_chain(staking, ids))
    e2 = r2.tree.through_epoch
    eco.say(
        f"root #{r2.root_id} through epoch {e2} commits both slashes (read from the Slashed events) with each "
        "device's cumulative at its slash"
    )
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)
    data2 = read_claims(r2.path)
    rows = []
    for d in (burnt, saved):
        ((sl, proof),) = slash_claims_of(data2, d)
        p = dist.preview_settle_slash(*sl, proof)
        ((leaf, _),) = claims_of(data2, d)
        rows.append(
            [
                label[d],
                f"#{sl.slash_id}",
                fmt_io(books.owner[d], 4),
                fmt_io(sl.owner_at, 4),
                fmt_io(leaf.owner_cumulative, 4),
                fmt_io(p.owner_held, 4),
                fmt_io(leaf.owner_cumulative - sl.owner_at, 4),
            ]
        )
        assert p.reason == "" and p.owner_held == sl.owner_at - books.owner[d] > 0
        assert leaf.owner_cumulative > sl.owner_at
    eco.table(
        f"Under root #{r2.root_id} (IO): settle_slash holds what was unclaimed at the slash, the claim pays what "
        "was earned after it",
        ["device", "slash", "claimed before", "earned at slash", "earned now", "held (appeal)", "paid now"],
        rows,
    )
    claim_all(r2.path, r2.root_id)
    eco.say(
        f"held in the distributor during the appeal window: {fmt_io(dist.total_held(), 4)} IO "
        f"(held_of(device, party, slash) shows each slash's hold and its outcome)"
    )

    # ---------------------------------------------------------- appeal upheld for one, burn for the other
    staking.overturn_slash(slash_ids[saved], sender=eco.admin)
    eco.say(f"governance upholds {label[saved]}'s appeal: slash #{slash_ids[saved]} is overturned (stake returned)")
    for receipt in settle_from_file(dist, data2, saved, eco.renter_x):  # anyone, without a claim
        eco.say(f"settle_slash for {label[saved]}: " + "; ".join(books.add(receipt)))
    eco.advance(APPEAL)
    staking.finalize_slash(slash_ids[burnt], sender=eco.renter_x)
    eco.say(f"30 days later slash #{slash_ids[burnt]} is finalized: its IO stake is burned")
    for receipt in settle_from_file(dist, data2, burnt, eco.renter_x):
        eco.say(f"settle_slash for {label[burnt]}: " + "; ".join(books.add(receipt)))
    forfeited = dist.total_forfeited() - forfeited_start
    assert forfeited == books.forfeited[burnt] > 0 and dist.total_held() == 0

    # ---------------------------------------------------------- root 3 recycles the forfeit
    e3 = e2 + 24
    r3 = oracle_round(
        dist, sched, staking, engine, oracle, out, devices=devices_from_chain(staking, ids), through_epoch=e3
    )
    assert r3.recycled == forfeited and r3.tree.total == model.cumulative_through(e3) + forfeited
    eco.say(
        f"root #{r3.root_id} through epoch {e3}: total {fmt_io(r3.tree.total, 4)} IO = emission of epochs "
        f"1-{e3} + the {fmt_io(forfeited, 4)} IO forfeited, given out again to every eligible device"
    )
    eco.advance(delay)
    dist.activate_root(sender=eco.renter_x)
    claim_all(r3.path, r3.root_id)
    sched.mint_due(sender=eco.renter_x)
    eco.say(f"mint_due: epochs {e3 + 1}-{sched.completed_epochs()} arrive in the pool for the next root")

    # ---------------------------------------------------------- who got what
    rows = []
    for d in ids:
        total = engine.device_total(d)
        if total == 0:
            continue
        rows.append(
            [
                label[d],
                fmt_io(total, 4),
                fmt_io(books.owner[d], 4),
                fmt_io(books.co[d], 4),
                fmt_io(books.held[d], 4),
                fmt_io(books.forfeited[d], 4),
            ]
        )
        assert books.owner[d] + books.co[d] + books.held[d] + books.forfeited[d] == total
        assert dist.settled_of(d, ZERO)[0] == engine.owner_cumulative.get(d, 0)
    eco.table(
        f"Devices under root #{r3.root_id} (IO): earned = to owner + to co-staker + held + forfeited",
        ["device", "earned", "to owner", "to co-staker", "held", "forfeited"],
        rows,
    )
    received = {w: token.balanceOf(w) - wallet_start[w] for w in wallets}
    names = {
        address(a): n
        for n, a in (
            ("provider_a", eco.provider_a),
            ("provider_b", eco.provider_b),
            ("provider_c", eco.provider_c),
            ("co_staker", eco.co_staker),
            ("contributor", eco.contributor),
            ("renter_y", eco.renter_y),
        )
    }
    emitted = sched.total_emitted() - emitted_start
    paid = dist.total_paid() - paid_start
    pool = token.balanceOf(dist) - balance_start
    rows = [[names.get(address(w), w), fmt_io(v, 6)] for w, v in received.items() if v]
    rows += [
        ["paid out (sum of the wallets)", fmt_io(paid, 6)],
        ["held by pending slashes", fmt_io(dist.total_held(), 6)],
        [f"forfeited ({fmt_io(forfeited, 4)}), given out again in root #{r3.root_id}", "(inside paid)"],
        [f"still in the pool (emission after epoch {e3}, for the next root)", fmt_io(pool, 6)],
        ["emitted to the distributor in this section", fmt_io(emitted, 6)],
    ]
    eco.table("Who got what (IO): wallets + what stays in the pool = what was emitted", ["", "IO"], rows)
    assert sum(received.values()) == paid, "wallets must receive exactly what the distributor paid"
    assert paid + pool == emitted, "paid + pool must equal what was emitted"
    assert paid == model.cumulative_through(e3) - paid_start
    co_dev_co = staking.reward_split(co_dev)[1]
    assert received[co_dev_co] > 0, "the co-staker got nothing"
    eco.say(
        f"{label[burnt]} kept every IO it earned after its slash; the {fmt_io(forfeited, 4)} IO it had not "
        f"claimed at the slash went back to the pool once the slash was burned, and on to the others. "
        f"{label[saved]} got its held rewards back when its appeal was upheld. "
        f"{fmt_io(pool, 4)} IO wait for the next root"
    )
    eco.notes["rewards"] = {"root_id": r3.root_id, "paid": paid, "forfeited": forfeited, "pool": pool}

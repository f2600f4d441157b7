"""The rewards engine: each hourly epoch's emission, split over eligible devices, as Merkle roots.

    devices (file or chain) --score--> pro-rata split of each epoch's emission (ionet.models.emission)
        --> per device: the owner's part and each co-staker's part (the co-stake in force in
            that epoch) --> cumulative amounts, with each device's latest slash and what its
            parties had earned by then --> OpenZeppelin standard Merkle tree (ionet.engines.merkle)
        --> JSON {root, total, through_epoch, through_time, claims: {device: [leaf + proof]}}

Everything is integers in wei. Each epoch's amount is split exactly over devices (largest-remainder
rounding: the shares of an epoch sum to the epoch's amount to the wei); a device's share is then
split between its owner and the co-staker in force in that epoch by the offer's share, the
co-staker's part floored (owner + co-staker == the device's share, to the wei). So after epochs
1..E the tree's total (Σ owner cumulatives + Σ co-staker cumulatives) is
`cumulative_through(E) + recycled - carried`, where `recycled` is forfeited IO the engine gave out
again (read from the distributor's `total_forfeited`) and `carried` is an amount waiting for an
epoch with an eligible device (an epoch with none carries its emission to the next).

Leaves (contracts/RewardsDistributor.vy's @dev): a reward leaf per (device, co-staker that ever
earned on it), or one with co_staker = 0 for a device that never had a co-staker; each carries the
owner's cumulative, the co-staker's cumulative on that device, the device's latest slash made at or
before the root's through_time and the latest of those that hit this co-staker. And a slash leaf
per slash the engine has reached: the device's slash before it, the owner's cumulative at it
(through the last epoch that ended at or before it) and, if it hit a co-staker's principal, that
co-staker, the slash before it that hit the same co-staker, and its cumulative at the slash. Every
slash keeps its own checkpoints, so overlapping slashes hold and resolve independently.
Slashes come from NodeStaking's `Slashed` events (`slashes_from_chain`) or from a list the caller
passes (`record_slashes`); the engine applies each when its run reaches the slash's time.

The score is ONE function, `device_score`, so the formula can change by governance without
touching anything else.

Two modes, one engine (docs/incentive-engine.md):
  * fixed emission (before the Incentive Dynamic Engine): `run_epoch` splits each hourly epoch's
    emission pro rata to the devices' scores;
  * IDE (`run_ide_epoch`): for each daily IDE epoch the oracle states the USD owed, per device its
    class's USD target per processor-hour × processors × eligible hours (`usd_owed_of`); once the
    IncentiveEngine has settled the epoch, the IO it released for it (its `EpochSettled` event: the
    USD converted at the epoch's TWAP, less any shortfall) is split pro rata to each device's USD
    owed. A short epoch therefore pays every device the same fraction of its target. The tree's total
    is then the IO the engine released plus what ran in fixed-emission mode before activation.

File formats (version strings in the files): rewards JSON "ionet-rewards-v3" (v2 had one leaf kind
carrying only the latest slash; v1 one (device, cumulative) leaf per device); engine state
"ionet-rewards-engine-v3" (v2 kept only each device's latest slash).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ionet.engines.merkle import (
    LEAF_FIELDS,
    LEAF_TYPES,
    SLASH_LEAF_FIELDS,
    SLASH_LEAF_TYPES,
    ZERO_ADDRESS,
    MerkleTree,
    RewardLeaf,
    SlashLeaf,
)
from ionet.models import emission

BPS = 10_000
TREE_FORMAT = "ionet-rewards-v3"
STATE_FORMAT = "ionet-rewards-engine-v3"


def address(value: Any) -> str:
    """An address as the engine keys it: checksummed 0x-hex (ZERO_ADDRESS for none)."""
    if value is None:
        return ZERO_ADDRESS
    if isinstance(value, bytes | bytearray):
        return _checksum(bytes(value).hex())
    return _checksum(str(getattr(value, "address", value)))


@functools.lru_cache(maxsize=1 << 16)
def _checksum(value: str) -> str:
    """Checksumming costs a keccak; an epoch of a million devices asks for the same few addresses
    (mostly the zero address: no co-staker) a million times."""
    from eth_utils import to_checksum_address

    return to_checksum_address(value)


@dataclass(frozen=True)
class Device:
    """What the engine knows of a device at an epoch."""

    device_id: bytes  # 32 bytes
    multiplier_bps: int  # class multiplier, 10_000 = 1.0x (H100 = 100_000); 0 = unsupported
    processors: int  # GPUs (or CPUs) in the machine
    eligible: bool = True  # minimum stake met, not jailed (NodeStaking.is_eligible)
    label: str = ""
    co_staker: str = ZERO_ADDRESS  # the co-staker earning in this epoch (an ACTIVE co-stake)
    co_share_bps: int = 0  # its share of the device's rewards in this epoch


@dataclass(frozen=True)
class SlashRecord:
    """A slash as NodeStaking's `Slashed` event tells it."""

    slash_id: int
    device: bytes
    time: int  # block timestamp of the slash
    co_staker: str = ZERO_ADDRESS  # the co-staker whose principal it hit (co part > 0), else zero


@dataclass(frozen=True)
class SlashMark:
    """A slash the engine has reached, with its parties' checkpoints and predecessors."""

    slash_id: int
    time: int
    co_staker: str  # the co-staker it hit, or ZERO_ADDRESS
    owner_at_slash: int  # owner's cumulative through the last epoch ended at or before `time`
    co_at_slash: int  # the hit co-staker's cumulative on the device then (0 if none hit)
    owner_prev: int = 0  # the device's slash before it (0: the first)
    co_prev: int = 0  # the slash before it that hit the same co-staker on the device (0: none)

    def leaf(self, device: bytes) -> SlashLeaf:
        return SlashLeaf(
            device, self.slash_id, self.owner_prev, self.owner_at_slash, self.co_staker, self.co_prev, self.co_at_slash
        )


def device_score(device: Device) -> int:
    """THE score of a device for one epoch; the only place the formula lives.

    Published (docs/economy.md §6): the score is built from the class multiplier and the processor
    count (and connectivity, which the network measures off chain and is not modelled here):

        score = multiplier_bps × processors      if eligible and multiplier > 0, else 0

    An 8×H100 (10x) thus weighs 80 times a single 1.0x GPU. Change the formula here.
    """
    if not device.eligible or device.multiplier_bps <= 0 or device.processors <= 0:
        return 0
    return device.multiplier_bps * device.processors


def device_usd_owed(device: Device, usd_targets: Mapping[str, int], hours: int) -> int:
    """IDE mode: the USD (6-decimal base units) a device is owed for `hours` eligible hours, its
    class's USD target per processor-hour (governance parameter, config key
    `ide.usd_target_per_processor_hour_usd6`, keyed by class name = `Device.label`) × processors ×
    hours; 0 when it is not eligible or its class has no target."""
    if hours < 0:
        raise ValueError("negative hours")
    if not device.eligible or device.processors <= 0:
        return 0
    return usd_targets.get(device.label, 0) * device.processors * hours


def usd_owed_of(devices: Iterable[Device], usd_targets: Mapping[str, int], hours: int) -> dict[bytes, int]:
    """`device_usd_owed` of every device with something owed; the sum is what the oracle states
    (`IncentiveEngine.state_epoch`) for an epoch of `hours` hours in which these devices were
    eligible throughout."""
    out = {d.device_id: device_usd_owed(d, usd_targets, hours) for d in devices}
    return {d: usd for d, usd in out.items() if usd > 0}


def split_pro_rata(amount: int, scores: Mapping[bytes, int]) -> dict[bytes, int]:
    """Split `amount` wei over devices in proportion to `scores`, summing exactly to `amount`.

    Each device gets floor(amount × score / Σscore); the wei left over (fewer than the number of
    devices) go one each to the largest fractional remainders, ties broken by device id, so the
    result is deterministic. Devices with score 0 get nothing and are left out."""
    live = {d: s for d, s in scores.items() if s > 0}
    total = sum(live.values())
    if amount < 0:
        raise ValueError("negative amount")
    if total == 0:
        return {}
    shares: dict[bytes, int] = {}
    remainders: list[tuple[int, bytes]] = []
    for d, s in live.items():
        q, r = divmod(amount * s, total)
        shares[d] = q
        remainders.append((r, d))
    left = amount - sum(shares.values())
    if left:
        remainders.sort(key=lambda x: (-x[0], x[1]))
        for _, d in remainders[:left]:
            shares[d] += 1
    return shares


@dataclass
class RewardsTree:
    """A built tree: root, total and every leaf with its proof."""

    root: bytes
    total: int
    through_epoch: int
    through_time: int
    leaves: list[RewardLeaf]
    tree: MerkleTree  # entries: the reward leaves, then the slash leaves
    slash_leaves: list[SlashLeaf] = field(default_factory=list)
    _index: dict[bytes, list[int]] = field(default_factory=dict, repr=False)
    _slash_index: dict[bytes, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for i, leaf in enumerate(self.leaves):
            self._index.setdefault(leaf.device, []).append(i)
        for j, sl in enumerate(self.slash_leaves):
            self._slash_index.setdefault(sl.device, []).append(j)

    @property
    def devices(self) -> list[bytes]:
        """Every device with a leaf, in leaf order."""
        return list(self._index)

    def leaves_of(self, device: bytes) -> list[RewardLeaf]:
        return [self.leaves[i] for i in self._index.get(device, [])]

    def leaf(self, device: bytes, co_staker: str | None = None) -> tuple[int, RewardLeaf]:
        """(index, leaf) of `device`: its leaf for `co_staker`, or its first leaf."""
        for i in self._index.get(device, []):
            if co_staker is None or self.leaves[i].co_staker == address(co_staker):
                return i, self.leaves[i]
        raise KeyError(f"no leaf for device 0x{device.hex()} and co-staker {co_staker}")

    def proof(self, device: bytes, co_staker: str | None = None) -> list[bytes]:
        return self.tree.proof(self.leaf(device, co_staker)[0])

    def claim_args(self, device: bytes, co_staker: str | None = None) -> tuple:
        """The arguments of `claim`, `preview_claim` and `claimable`: (*leaf, proof)."""
        i, leaf = self.leaf(device, co_staker)
        return (*leaf, self.tree.proof(i))

    def slash_leaves_of(self, device: bytes) -> list[SlashLeaf]:
        """The device's slash leaves, oldest first (the order `settle_slash` applies them)."""
        return [self.slash_leaves[j] for j in self._slash_index.get(device, [])]

    def slash_proof(self, leaf: SlashLeaf) -> list[bytes]:
        for j in self._slash_index.get(leaf.device, []):
            if self.slash_leaves[j] == leaf:
                return self.tree.proof(len(self.leaves) + j)
        raise KeyError(f"no slash leaf {leaf!r}")

    def settle_args(self, device: bytes, slash_id: int) -> tuple:
        """The arguments of `settle_slash` and `preview_settle_slash` for one of the device's
        slashes: (*slash leaf, proof)."""
        for leaf in self.slash_leaves_of(device):
            if leaf.slash_id == slash_id:
                return (*leaf, self.slash_proof(leaf))
        raise KeyError(f"no slash leaf for device 0x{device.hex()} and slash {slash_id}")

    def header(self) -> dict[str, Any]:
        return {
            "format": TREE_FORMAT,
            "leaf_encoding": LEAF_TYPES,
            "leaf_fields": LEAF_FIELDS,
            "slash_leaf_encoding": SLASH_LEAF_TYPES,
            "slash_leaf_fields": SLASH_LEAF_FIELDS,
            "root": "0x" + self.root.hex(),
            "total": str(self.total),
            "through_epoch": self.through_epoch,
            "through_time": self.through_time,
        }

    def write(self, path: str | Path) -> Path:
        """Write {header..., "slashes": {device: [slash leaf fields + "proof", ...]}, "claims":
        {device: [leaf fields + "proof", ...]}} as JSON, one device per line, streamed (1,000,000
        devices make a ~2 GB file; nothing that size is held in memory). Amounts are decimal
        strings, slash ids numbers."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        hashes, lengths = self.tree.all_proofs()
        head = json.dumps(self.header())[:-1]
        order = sorted(range(len(self.leaves)), key=lambda i: (self.leaves[i].device, self.leaves[i].co_staker))
        with path.open("w") as f:
            f.write(head + ', "slashes": {')
            devs = list(self._slash_index)
            for n_dev, d in enumerate(devs):
                rows = []
                for sl in self.slash_leaves_of(d):
                    proof = ", ".join('"0x' + h.hex() + '"' for h in self.slash_proof(sl))
                    rows.append(
                        f'{{"slash_id": {sl.slash_id}, "owner_prev": {sl.owner_prev}, "owner_at": "{sl.owner_at}", '
                        f'"co_staker": "{sl.co_staker}", "co_prev": {sl.co_prev}, "co_at": "{sl.co_at}", '
                        f'"proof": [{proof}]}}'
                    )
                f.write(("" if n_dev == 0 else ",") + f'\n"0x{d.hex()}": [{", ".join(rows)}]')
            f.write('\n}, "claims": {\n')
            n = len(order)
            chunk = 4_096
            first = True
            pos = 0
            while pos < n:
                stop = min(n, pos + chunk)
                while stop < n and self.leaves[order[stop]].device == self.leaves[order[stop - 1]].device:
                    stop += 1  # never split a device's leaves over two chunks
                rows = order[pos:stop]
                block = hashes[rows].reshape(len(rows), -1)
                lines: list[str] = []
                current: bytes | None = None
                items: list[str] = []
                for r, i in enumerate(rows):
                    leaf = self.leaves[i]
                    k = int(lengths[i])
                    hx = block[r, : 32 * k].tobytes().hex()
                    proof = ", ".join('"0x' + hx[64 * j : 64 * j + 64] + '"' for j in range(k))
                    item = (
                        f'{{"owner_cumulative": "{leaf.owner_cumulative}", "co_staker": "{leaf.co_staker}", '
                        f'"co_cumulative": "{leaf.co_cumulative}", "slash_id": {leaf.slash_id}, '
                        f'"co_slash_id": {leaf.co_slash_id}, "proof": [{proof}]}}'
                    )
                    if leaf.device != current:
                        if current is not None:
                            lines.append(f'"0x{current.hex()}": [{", ".join(items)}]')
                        current, items = leaf.device, []
                    items.append(item)
                if current is not None:
                    lines.append(f'"0x{current.hex()}": [{", ".join(items)}]')
                f.write(("" if first else ",\n") + ",\n".join(lines))
                first = False
                pos = stop
            f.write("\n}}\n")
        return path


def read_claims(path: str | Path) -> dict[str, Any]:
    """A rewards JSON as written by `RewardsTree.write` (format "ionet-rewards-v2")."""
    data = json.loads(Path(path).read_text())
    if data.get("format") != TREE_FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {TREE_FORMAT!r}")
    return data


def claims_of(data: Mapping[str, Any], device: bytes) -> list[tuple[RewardLeaf, list[bytes]]]:
    """A device's (leaf, proof) pairs from a rewards JSON (empty when it has none)."""
    out = []
    for c in data["claims"].get("0x" + device.hex(), []):
        leaf = RewardLeaf(
            device,
            int(c["owner_cumulative"]),
            address(c["co_staker"]),
            int(c["co_cumulative"]),
            int(c["slash_id"]),
            int(c["co_slash_id"]),
        )
        out.append((leaf, [bytes.fromhex(p[2:]) for p in c["proof"]]))
    return out


def slash_leaf_of(device: bytes, c: dict) -> SlashLeaf:
    """A slash leaf from its entry in a rewards JSON's "slashes" section."""
    return SlashLeaf(
        device,
        int(c["slash_id"]),
        int(c["owner_prev"]),
        int(c["owner_at"]),
        address(c["co_staker"]),
        int(c["co_prev"]),
        int(c["co_at"]),
    )


def slash_claims_of(data: Mapping[str, Any], device: bytes) -> list[tuple[SlashLeaf, list[bytes]]]:
    """A device's (slash leaf, proof) pairs from a rewards JSON, oldest slash first."""
    out = []
    for c in data.get("slashes", {}).get("0x" + device.hex(), []):
        out.append((slash_leaf_of(device, c), [bytes.fromhex(p[2:]) for p in c["proof"]]))
    return sorted(out, key=lambda lp: lp[0].slash_id)


@dataclass
class RewardsEngine:
    """Accumulates per-device cumulative rewards (owner and co-stakers) epoch by epoch, and the
    devices' slashes with their checkpoints.

    `start_time` is the emission's START_TIME (epoch t ends at start_time + t × 3600)."""

    start_time: int
    owner_cumulative: dict[bytes, int] = field(default_factory=dict)
    co_cumulative: dict[bytes, dict[str, int]] = field(default_factory=dict)  # device -> co -> amount
    slashes: dict[bytes, list[SlashMark]] = field(default_factory=dict)  # device -> slashes reached, in order
    queued_slashes: list[SlashRecord] = field(default_factory=list)  # recorded, time not reached yet
    last_slash_id: int = 0  # highest slash id recorded (ids are global and increasing)
    scanned_block: int = 0  # last block whose Slashed events were read (slashes_from_chain)
    through_epoch: int = 0
    recycled: int = 0  # forfeited IO given out again
    carried: int = 0  # emission of epochs with no eligible device, waiting for one
    history: list[tuple[int, int, int]] = field(default_factory=list)  # hourly epochs: (epoch, amount, devices paid)
    ide_through_epoch: int = 0  # IDE mode: the last IDE epoch credited (0: none yet)
    ide_through_time: int = 0  # IDE mode: the end time of that epoch
    ide_released: int = 0  # IDE mode: Σ IO released by the IncentiveEngine and credited here

    # ------------------------------------------------------------ amounts
    def device_total(self, device: bytes) -> int:
        """Everything the device earned: its owner's part plus every co-staker's part."""
        return self.owner_cumulative.get(device, 0) + sum(self.co_cumulative.get(device, {}).values())

    @property
    def cumulative(self) -> dict[bytes, int]:
        """Device -> everything it earned (owner + co-stakers)."""
        devices = set(self.owner_cumulative) | set(self.co_cumulative)
        return {d: self.device_total(d) for d in devices}

    @property
    def total(self) -> int:
        return sum(self.owner_cumulative.values()) + sum(sum(c.values()) for c in self.co_cumulative.values())

    def epoch_end(self, epoch: int) -> int:
        return self.start_time + epoch * emission.EPOCH_SECONDS

    def through_time(self) -> int:
        """The time the cumulative amounts are computed through: the end of the last hourly epoch run
        (fixed-emission mode) or of the last IDE epoch credited, whichever is later."""
        return max(self.epoch_end(self.through_epoch), self.ide_through_time)

    # ------------------------------------------------------------ slashes
    def record_slash(self, rec: SlashRecord) -> bool:
        """Take note of a slash (ids in increasing order; an id already recorded is ignored and
        False returned). It is applied when the engine's run reaches its time: its checkpoints are
        the cumulative amounts through the last epoch that ended at or before it. A slash older
        than the engine's through_time cannot be checkpointed any more: ValueError."""
        if rec.slash_id <= self.last_slash_id:
            return False
        if rec.time < self.through_time() and (self.through_epoch > 0 or self.ide_through_epoch > 0):
            raise ValueError(
                f"slash #{rec.slash_id} at {rec.time} is before the engine's through time "
                f"{self.through_time()}: record slashes before running past them"
            )
        self.queued_slashes.append(SlashRecord(rec.slash_id, bytes(rec.device), rec.time, address(rec.co_staker)))
        self.last_slash_id = rec.slash_id
        self._flush_slashes(self.through_time())
        return True

    def record_slashes(self, records: Iterable[SlashRecord]) -> int:
        """`record_slash` for each, in slash-id order; returns how many were new."""
        return sum(self.record_slash(r) for r in sorted(records, key=lambda r: r.slash_id))

    def _flush_slashes(self, until: int) -> None:
        """Apply the queued slashes whose time is at or before `until` (in id order)."""
        due = [r for r in self.queued_slashes if r.time <= until]
        if not due:
            return
        self.queued_slashes = [r for r in self.queued_slashes if r.time > until]
        for r in due:
            marks = self.slashes.setdefault(r.device, [])
            hit = r.co_staker != ZERO_ADDRESS
            co_at = self.co_cumulative.get(r.device, {}).get(r.co_staker, 0) if hit else 0
            co_prev = next((m.slash_id for m in reversed(marks) if hit and m.co_staker == r.co_staker), 0)
            owner_prev = marks[-1].slash_id if marks else 0
            owner_at = self.owner_cumulative.get(r.device, 0)
            marks.append(SlashMark(r.slash_id, r.time, r.co_staker, owner_at, co_at, owner_prev, co_prev))

    # ------------------------------------------------------------ epochs
    def run_epoch(self, devices: Iterable[Device], extra: int = 0) -> dict[bytes, int]:
        """Distribute the next epoch's emission (plus `extra`, e.g. recycled forfeits)."""
        epoch = self.through_epoch + 1
        if self.ide_through_epoch:
            raise ValueError("the engine runs in IDE mode (run_ide_epoch): the fixed emission split has ended")
        if epoch > emission.EPOCH_COUNT:
            raise ValueError("the emission has ended")
        self._flush_slashes(self.epoch_end(epoch) - 1)  # slashes inside this epoch: checkpoint before it
        amount = emission.emission_of(epoch) + extra + self.carried
        devs = {d.device_id: d for d in devices}
        shares = split_pro_rata(amount, {d: device_score(x) for d, x in devs.items()})
        if shares:
            self.carried = 0
            self._credit(devs, shares)
        else:
            self.carried = amount
        self.recycled += extra
        self.through_epoch = epoch
        self.history.append((epoch, amount if shares else 0, len(shares)))
        self._flush_slashes(self.epoch_end(epoch))  # a slash exactly at the epoch's end
        return shares

    def _credit(self, devs: Mapping[bytes, Device], shares: Mapping[bytes, int]) -> None:
        """Add each device's share to its owner and to the co-staker in force (its share floored)."""
        for d, s in shares.items():
            dev = devs[d]
            co = address(dev.co_staker)
            co_part = s * dev.co_share_bps // BPS if co != ZERO_ADDRESS and dev.co_share_bps > 0 else 0
            self.owner_cumulative[d] = self.owner_cumulative.get(d, 0) + s - co_part
            if co_part:
                per_co = self.co_cumulative.setdefault(d, {})
                per_co[co] = per_co.get(co, 0) + co_part

    def run_ide_epoch(
        self, ide_epoch: int, end_time: int, devices: Iterable[Device], usd_owed: Mapping[bytes, int], io_released: int
    ) -> dict[bytes, int]:
        """IDE mode: credit IDE epoch `ide_epoch` (ending at `end_time`), which the IncentiveEngine has
        settled by releasing `io_released` IO to the distributor (`EpochSettled.io_released`), over
        the devices in proportion to the USD each was owed (`usd_owed`, e.g. `usd_owed_of`; its sum is
        what the oracle stated). The split is exact to the wei (`split_pro_rata`); each device's part
        is then shared with the co-staker in force in that epoch as in `run_epoch`. Epochs come in
        order, each once, after any fixed-emission epochs; slashes are checkpointed as there.
        ValueError on an epoch out of order, an end time not after the engine's through time, IO
        released with nobody owed, or a device owed USD that is not in `devices`."""
        if ide_epoch != self.ide_through_epoch + 1:
            raise ValueError(f"IDE epoch {ide_epoch} out of order: the next is {self.ide_through_epoch + 1}")
        if end_time <= self.through_time():
            raise ValueError(f"IDE epoch end {end_time} is not after the engine's through time {self.through_time()}")
        if io_released < 0:
            raise ValueError("negative IO released")
        devs = {d.device_id: d for d in devices}
        owed = {d: usd for d, usd in usd_owed.items() if usd > 0}
        missing = [d for d in owed if d not in devs]
        if missing:
            raise ValueError(f"{len(missing)} device(s) owed USD but not given, e.g. 0x{missing[0].hex()}")
        if io_released and not owed:
            raise ValueError("IO released for an epoch in which no device was owed anything")
        self._flush_slashes(end_time - 1)
        shares = split_pro_rata(io_released, owed)
        self._credit(devs, shares)
        self.ide_through_epoch, self.ide_through_time = ide_epoch, end_time
        self.ide_released += io_released
        self._flush_slashes(end_time)
        return shares

    def run_until(
        self,
        epoch: int,
        devices: Iterable[Device] | Callable[[int], Iterable[Device]],
        forfeited_to_recycle: int = 0,
    ) -> None:
        """Run every epoch up to `epoch`. `devices` is a list (the same devices every epoch) or a
        function of the epoch number. `forfeited_to_recycle` is added to the first epoch run."""
        extra = forfeited_to_recycle
        while self.through_epoch < epoch:
            devs = devices(self.through_epoch + 1) if callable(devices) else devices
            self.run_epoch(devs, extra)
            extra = 0

    # ------------------------------------------------------------ the tree
    def leaves(self) -> list[RewardLeaf]:
        """Every reward leaf, sorted by (device, co-staker): devices that earned anything."""
        out: list[RewardLeaf] = []
        for d in sorted(set(self.owner_cumulative) | set(self.co_cumulative)):
            own = self.owner_cumulative.get(d, 0)
            cos = {c: a for c, a in self.co_cumulative.get(d, {}).items() if a > 0}
            if own == 0 and not cos:
                continue
            marks = self.slashes.get(d, [])
            sid = marks[-1].slash_id if marks else 0
            if not cos:
                out.append(RewardLeaf(d, own, ZERO_ADDRESS, 0, sid, 0))
            for c in sorted(cos):
                co_sid = next((m.slash_id for m in reversed(marks) if m.co_staker == c), 0)
                out.append(RewardLeaf(d, own, c, cos[c], sid, co_sid))
        return out

    def slash_leaves(self) -> list[SlashLeaf]:
        """Every slash leaf, sorted by (device, slash id): each slash the engine has reached."""
        return [m.leaf(d) for d in sorted(self.slashes) for m in self.slashes[d]]

    def build(self) -> RewardsTree:
        """The Merkle tree of the cumulative amounts so far (reward leaves and slash leaves)."""
        leaves = self.leaves()
        if not leaves:
            raise ValueError("no device has earned anything yet")
        slash_leaves = self.slash_leaves()
        tree = MerkleTree([*leaves, *slash_leaves])
        return RewardsTree(
            root=tree.root,
            total=self.total,
            through_epoch=self.through_epoch,
            through_time=self.through_time(),
            leaves=leaves,
            tree=tree,
            slash_leaves=slash_leaves,
        )

    # ------------------------------------------------------------ persistence between runs
    def save(self, path: str | Path) -> None:
        def slash(r: SlashRecord) -> dict[str, Any]:
            return {"slash_id": r.slash_id, "device": "0x" + r.device.hex(), "time": r.time, "co_staker": r.co_staker}

        Path(path).write_text(
            json.dumps(
                {
                    "format": STATE_FORMAT,
                    "start_time": self.start_time,
                    "through_epoch": self.through_epoch,
                    "recycled": str(self.recycled),
                    "carried": str(self.carried),
                    "last_slash_id": self.last_slash_id,
                    "scanned_block": self.scanned_block,
                    "owner_cumulative": {"0x" + d.hex(): str(a) for d, a in sorted(self.owner_cumulative.items())},
                    "co_cumulative": {
                        "0x" + d.hex(): {c: str(a) for c, a in sorted(cos.items())}
                        for d, cos in sorted(self.co_cumulative.items())
                    },
                    "slashes": {
                        "0x" + d.hex(): [
                            {
                                "slash_id": m.slash_id,
                                "time": m.time,
                                "co_staker": m.co_staker,
                                "owner_at_slash": str(m.owner_at_slash),
                                "co_at_slash": str(m.co_at_slash),
                                "owner_prev": m.owner_prev,
                                "co_prev": m.co_prev,
                            }
                            for m in marks
                        ]
                        for d, marks in sorted(self.slashes.items())
                    },
                    "queued_slashes": [slash(r) for r in self.queued_slashes],
                    "ide": {
                        "through_epoch": self.ide_through_epoch,
                        "through_time": self.ide_through_time,
                        "released": str(self.ide_released),
                    },
                },
                indent=1,
            )
            + "\n"
        )

    @classmethod
    def load(cls, path: str | Path) -> RewardsEngine:
        raw = json.loads(Path(path).read_text())
        if raw.get("format") != STATE_FORMAT:
            raise ValueError(f"{path}: engine state format {raw.get('format')!r}, expected {STATE_FORMAT!r}")

        def dev(h: str) -> bytes:
            return bytes.fromhex(h[2:])

        return cls(
            start_time=int(raw["start_time"]),
            through_epoch=int(raw["through_epoch"]),
            recycled=int(raw["recycled"]),
            carried=int(raw["carried"]),
            last_slash_id=int(raw["last_slash_id"]),
            scanned_block=int(raw["scanned_block"]),
            owner_cumulative={dev(d): int(a) for d, a in raw["owner_cumulative"].items()},
            co_cumulative={dev(d): {c: int(a) for c, a in cos.items()} for d, cos in raw["co_cumulative"].items()},
            slashes={
                dev(d): [
                    SlashMark(
                        int(m["slash_id"]),
                        int(m["time"]),
                        m["co_staker"],
                        int(m["owner_at_slash"]),
                        int(m["co_at_slash"]),
                        int(m["owner_prev"]),
                        int(m["co_prev"]),
                    )
                    for m in marks
                ]
                for d, marks in raw["slashes"].items()
            },
            queued_slashes=[
                SlashRecord(int(r["slash_id"]), dev(r["device"]), int(r["time"]), r["co_staker"])
                for r in raw["queued_slashes"]
            ],
            ide_through_epoch=int(raw.get("ide", {}).get("through_epoch", 0)),
            ide_through_time=int(raw.get("ide", {}).get("through_time", 0)),
            ide_released=int(raw.get("ide", {}).get("released", 0)),
        )


# ---------------------------------------------------------------- device data
def devices_from_file(path: str | Path) -> list[Device]:
    """A JSON list of {"device": "0x<64 hex>", "multiplier_bps": int, "processors": int,
    "eligible": bool (default true), "label": str (optional), "co_staker": "0x<40 hex>" (optional),
    "co_share_bps": int (optional)}."""
    out = []
    for row in json.loads(Path(path).read_text()):
        out.append(
            Device(
                device_id=bytes.fromhex(row["device"].removeprefix("0x")),
                multiplier_bps=int(row["multiplier_bps"]),
                processors=int(row["processors"]),
                eligible=bool(row.get("eligible", True)),
                label=row.get("label", ""),
                co_staker=address(row.get("co_staker") or ZERO_ADDRESS),
                co_share_bps=int(row.get("co_share_bps", 0)),
            )
        )
    return out


def devices_to_file(devices: Iterable[Device], path: str | Path) -> None:
    Path(path).write_text(
        json.dumps(
            [
                {
                    "device": "0x" + d.device_id.hex(),
                    "multiplier_bps": d.multiplier_bps,
                    "processors": d.processors,
                    "eligible": d.eligible,
                    "label": d.label,
                    "co_staker": d.co_staker,
                    "co_share_bps": d.co_share_bps,
                }
                for d in devices
            ],
            indent=1,
        )
        + "\n"
    )


def with_chain_eligibility(devices: Iterable[Device], staking: Any) -> list[Device]:
    """The same devices with `eligible` read from NodeStaking.is_eligible (any object with that
    method: an ape contract, or a test double)."""
    return [replace(d, eligible=bool(staking.is_eligible(d.device_id))) for d in devices]


def devices_from_chain(staking: Any, device_ids: Iterable[bytes] | None = None) -> list[Device]:
    """Devices as NodeStaking knows them now: class multiplier (class_multiplier of the device's
    class), processors (device_info), eligibility (is_eligible) and the co-staker earning with its
    share (reward_split: an active co-stake only). Without `device_ids`, every registered device
    (device_at(1..device_count)). `staking` is an ape contract or any object with those methods."""
    if device_ids is None:
        device_ids = [bytes(staking.device_at(i)) for i in range(1, staking.device_count() + 1)]
    out = []
    for d in device_ids:
        info = staking.device_info(d)
        split, eligible = staking.reward_split(d), staking.is_eligible(d)
        out.append(device_of(d, info, split, eligible, staking.class_multiplier(info[1])))
    return out


def device_of(
    device_id: bytes, info: Sequence[Any], split: Sequence[Any], eligible: Any, multiplier_bps: Any
) -> Device:
    """A `Device` out of NodeStaking's answers for it: device_info (owner, class, processors, wallet,
    index), reward_split (reward wallet, co-staker, share), is_eligible and its class's
    class_multiplier."""
    _owner, cls, processors, _wallet, _index = info
    _reward_wallet, co, share = split
    return Device(
        device_id=bytes(device_id),
        multiplier_bps=int(multiplier_bps),
        processors=int(processors),
        eligible=bool(eligible),
        label=bytes(cls).rstrip(b"\0").decode(errors="replace"),
        co_staker=address(co),
        co_share_bps=int(share) if address(co) != ZERO_ADDRESS else 0,
    )


def slashes_from_file(path: str | Path) -> list[SlashRecord]:
    """A JSON list of {"slash_id": int, "device": "0x<64 hex>", "time": int (block timestamp),
    "co_staker": "0x<40 hex>" (optional: the co-staker whose principal the slash hit)}."""
    return [
        SlashRecord(
            int(r["slash_id"]),
            bytes.fromhex(r["device"].removeprefix("0x")),
            int(r["time"]),
            address(r.get("co_staker") or ZERO_ADDRESS),
        )
        for r in json.loads(Path(path).read_text())
    ]


def slashes_from_chain(staking: Any, start_block: int = 0, stop_block: int | None = None) -> list[SlashRecord]:
    """NodeStaking's `Slashed` events from `start_block` to `stop_block` (default: the head), as
    SlashRecords: id, device, block time and the co-staker hit (the event's co_staker is set only
    when the slash took a nonzero co part)."""
    from ape import chain

    stop = chain.blocks.head.number if stop_block is None else stop_block
    if stop < start_block:
        return []
    return [
        SlashRecord(int(e.slash_id), bytes(e.device), int(e.timestamp), address(e.co_staker))
        for e in staking.Slashed.range(start_block, stop + 1)
    ]

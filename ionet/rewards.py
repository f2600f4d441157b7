"""The rewards engine: each hourly epoch's emission, split over eligible devices, as Merkle roots.

    devices (file or chain) --score--> pro-rata split of each epoch's emission (ionet.emission)
        --> cumulative reward per device --> OpenZeppelin standard Merkle tree (ionet.merkle)
        --> JSON {root, total, through_epoch, through_time, claims: {device: {amount, proof}}}

Everything is integers in wei. Each epoch's amount is split exactly (largest-remainder rounding:
the shares of an epoch sum to the epoch's amount to the wei), so after epochs 1..E the tree's
total is `cumulative_through(E) + recycled - carried`, where `recycled` is forfeited IO the engine
gave out again (read from the distributor's `total_forfeited`) and `carried` is an amount waiting
for an epoch with an eligible device (an epoch with none carries its emission to the next).

The score is ONE function, `device_score`, so the formula can change by governance without
touching anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionet import emission
from ionet.merkle import MerkleTree

BPS = 10_000


@dataclass(frozen=True)
class Device:
    """What the engine knows of a device at an epoch."""

    device_id: bytes  # 32 bytes
    multiplier_bps: int  # class multiplier, 10_000 = 1.0x (H100 = 100_000); 0 = unsupported
    processors: int  # GPUs (or CPUs) in the machine
    eligible: bool = True  # minimum stake met, not jailed (NodeStaking.is_eligible)
    label: str = ""


def device_score(device: Device) -> int:
    """THE score of a device for one epoch; the only place the formula lives.

    Published (tokenomics.md §5): the score is built from the class multiplier and the processor
    count (and connectivity, which the network measures off chain and is not modelled here):

        score = multiplier_bps × processors      if eligible and multiplier > 0, else 0

    An 8×H100 (10x) thus weighs 80 times a single 1.0x GPU. Change the formula here.
    """
    if not device.eligible or device.multiplier_bps <= 0 or device.processors <= 0:
        return 0
    return device.multiplier_bps * device.processors


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
    """A built tree: root, total and every device's (cumulative amount, proof)."""

    root: bytes
    total: int
    through_epoch: int
    through_time: int
    devices: list[bytes]
    amounts: list[int]
    tree: MerkleTree

    def proof(self, device: bytes) -> list[bytes]:
        return self.tree.proof(self.devices.index(device))

    def claim_args(self, device: bytes) -> tuple[bytes, int, list[bytes]]:
        i = self.devices.index(device)
        return device, self.amounts[i], self.tree.proof(i)

    def header(self) -> dict[str, Any]:
        return {
            "format": "ionet-rewards-v1",
            "leaf_encoding": ["bytes32", "uint256"],
            "root": "0x" + self.root.hex(),
            "total": str(self.total),
            "through_epoch": self.through_epoch,
            "through_time": self.through_time,
        }

    def write(self, path: str | Path) -> Path:
        """Write {header..., "claims": {device: {"amount", "proof"}}} as JSON, one claim per line,
        streamed (1,000,000 devices make a ~1.5 GB file; nothing that size is held in memory)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        hashes, lengths = self.tree.all_proofs()
        head = json.dumps(self.header())[:-1]
        with path.open("w") as f:
            f.write(head + ', "claims": {\n')
            n = len(self.devices)
            chunk = 4_096
            for start in range(0, n, chunk):
                stop = min(n, start + chunk)
                block = hashes[start:stop].reshape(stop - start, -1)
                lines = []
                for i in range(start, stop):
                    k = int(lengths[i])
                    hx = block[i - start, : 32 * k].tobytes().hex()
                    proof = ", ".join('"0x' + hx[64 * j : 64 * j + 64] + '"' for j in range(k))
                    lines.append(
                        f'"0x{self.devices[i].hex()}": {{"amount": "{self.amounts[i]}", "proof": [{proof}]}}'
                    )
                f.write(",\n".join(lines))
                f.write(",\n" if stop < n else "\n")
            f.write("}}\n")
        return path


def read_claims(path: str | Path) -> dict[str, Any]:
    """A rewards JSON as written by `RewardsTree.write`."""
    return json.loads(Path(path).read_text())


@dataclass
class RewardsEngine:
    """Accumulates per-device cumulative rewards epoch by epoch.

    `start_time` is the emission's START_TIME (epoch t ends at start_time + t × 3600)."""

    start_time: int
    cumulative: dict[bytes, int] = field(default_factory=dict)
    through_epoch: int = 0
    recycled: int = 0  # forfeited IO given out again
    carried: int = 0  # emission of epochs with no eligible device, waiting for one
    history: list[tuple[int, int, int]] = field(default_factory=list)  # (epoch, amount, devices paid)

    @property
    def total(self) -> int:
        return sum(self.cumulative.values())

    def through_time(self) -> int:
        return self.start_time + self.through_epoch * emission.EPOCH_SECONDS

    def run_epoch(self, devices: Iterable[Device], extra: int = 0) -> dict[bytes, int]:
        """Distribute the next epoch's emission (plus `extra`, e.g. recycled forfeits)."""
        epoch = self.through_epoch + 1
        if epoch > emission.EPOCH_COUNT:
            raise ValueError("the emission has ended")
        amount = emission.emission_of(epoch) + extra + self.carried
        scores = {d.device_id: device_score(d) for d in devices}
        shares = split_pro_rata(amount, scores)
        if shares:
            self.carried = 0
            for d, s in shares.items():
                self.cumulative[d] = self.cumulative.get(d, 0) + s
        else:
            self.carried = amount
        self.recycled += extra
        self.through_epoch = epoch
        self.history.append((epoch, amount if shares else 0, len(shares)))
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

    def build(self) -> RewardsTree:
        """The Merkle tree of the cumulative amounts so far (devices with a positive amount)."""
        items = sorted((d, a) for d, a in self.cumulative.items() if a > 0)
        if not items:
            raise ValueError("no device has earned anything yet")
        tree = MerkleTree(items)
        return RewardsTree(
            root=tree.root,
            total=sum(a for _, a in items),
            through_epoch=self.through_epoch,
            through_time=self.through_time(),
            devices=[d for d, _ in items],
            amounts=[a for _, a in items],
            tree=tree,
        )

    # ------------------------------------------------------------ persistence between runs
    def save(self, path: str | Path) -> None:
        Path(path).write_text(
            json.dumps(
                {
                    "start_time": self.start_time,
                    "through_epoch": self.through_epoch,
                    "recycled": str(self.recycled),
                    "carried": str(self.carried),
                    "cumulative": {"0x" + d.hex(): str(a) for d, a in sorted(self.cumulative.items())},
                },
                indent=1,
            )
            + "\n"
        )

    @classmethod
    def load(cls, path: str | Path) -> RewardsEngine:
        raw = json.loads(Path(path).read_text())
        return cls(
            start_time=int(raw["start_time"]),
            through_epoch=int(raw["through_epoch"]),
            recycled=int(raw["recycled"]),
            carried=int(raw["carried"]),
            cumulative={bytes.fromhex(d[2:]): int(a) for d, a in raw["cumulative"].items()},
        )


# ---------------------------------------------------------------- device data
def devices_from_file(path: str | Path) -> list[Device]:
    """A JSON list of {"device": "0x<64 hex>", "multiplier_bps": int, "processors": int,
    "eligible": bool (default true), "label": str (optional)}."""
    out = []
    for row in json.loads(Path(path).read_text()):
        out.append(
            Device(
                device_id=bytes.fromhex(row["device"].removeprefix("0x")),
                multiplier_bps=int(row["multiplier_bps"]),
                processors=int(row["processors"]),
                eligible=bool(row.get("eligible", True)),
                label=row.get("label", ""),
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
    return [
        Device(d.device_id, d.multiplier_bps, d.processors, bool(staking.is_eligible(d.device_id)), d.label)
        for d in devices
    ]


def devices_from_chain(staking: Any, device_ids: Iterable[bytes] | None = None) -> list[Device]:
    """Devices as NodeStaking knows them now: class multiplier (class_multiplier of the device's
    class), processors (device_info) and eligibility (is_eligible). Without `device_ids`, every
    registered device (device_at(1..device_count)). `staking` is an ape contract or any object
    with those methods."""
    if device_ids is None:
        device_ids = [bytes(staking.device_at(i)) for i in range(1, staking.device_count() + 1)]
    out = []
    for d in device_ids:
        _owner, cls, processors, _wallet, _index = staking.device_info(d)
        out.append(
            Device(
                device_id=bytes(d),
                multiplier_bps=int(staking.class_multiplier(cls)),
                processors=int(processors),
                eligible=bool(staking.is_eligible(d)),
                label=bytes(cls).rstrip(b"\0").decode(errors="replace"),
            )
        )
    return out

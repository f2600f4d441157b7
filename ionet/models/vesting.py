"""Genesis allocations and their vesting (docs/economy.md, genesis and vesting), in integers.

* `Schedule` and `vested_amount`: the math of `contracts/VestingVault.vy`, bit for bit.
* `VaultModel`: a plain-Python twin of one vault (grants, claims, releases, revocations, key
  rotations, totals, the same revert reasons), used by the hypothesis state machine.
* `circulating_by_category`: circulating supply by category over time, the emission of
  `ionet.models.emission` included (what `make chart` draws).

After m = (t - start) // period full periods:
    initial = amount * unlocked_bps // 10_000
    tranches = clamp(m - cliff, 0, tranche_count)
    vested = initial + (amount - initial) * tranches // tranche_count      (0 before start)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ionet import IO
from ionet.models import emission as em

MONTH = 2_629_746  # the default period: a mean Gregorian month, in seconds
BPS = 10_000
MAX_AMOUNT = 2**96 - 1
MAX_TRANCHES = 12_000
ADDRESS_MASK = 2**160 - 1
ZERO = "0x" + "00" * 20

# grant_state(id).status
STATUS_UNKNOWN, STATUS_ACTIVE, STATUS_REVOKED, STATUS_MOVED = 0, 1, 2, 3
STATUS_NAMES = ("unknown", "active", "revoked", "moved")


@dataclass(frozen=True)
class Schedule:
    start: int
    period: int = MONTH
    cliff: int = 0
    tranches: int = 1
    unlocked_bps: int = 0
    revocable: bool = False


# The published defaults per category (start filled in at deployment).
CATEGORY_SCHEDULES: dict[str, dict] = {
    "community": {"cliff": 0, "tranches": 1, "unlocked_bps": 10_000, "revocable": False},
    "rnd_ecosystem": {"cliff": 0, "tranches": 1, "unlocked_bps": 10_000, "revocable": False},
    "seed": {"cliff": 12, "tranches": 24, "unlocked_bps": 0, "revocable": False},
    "series_a": {"cliff": 12, "tranches": 24, "unlocked_bps": 0, "revocable": False},
    "core_contributors": {"cliff": 12, "tranches": 36, "unlocked_bps": 0, "revocable": True},
}
GENESIS_AMOUNTS: dict[str, int] = {
    "community": 100_000_000 * IO,
    "rnd_ecosystem": 128_000_000 * IO,
    "seed": 100_000_000 * IO,
    "series_a": 81_600_000 * IO,
    "core_contributors": 90_400_000 * IO,
}
CATEGORY_LABELS = {
    "community": "Community (genesis)",
    "rnd_ecosystem": "R&D & Ecosystem",
    "seed": "Early backers, Seed",
    "series_a": "Early backers, Series A",
    "core_contributors": "Core contributors",
}
assert sum(GENESIS_AMOUNTS.values()) == em.GENESIS_SUPPLY


def category_schedule(category: str, start: int, period: int = MONTH) -> Schedule:
    return Schedule(start=start, period=period, **CATEGORY_SCHEDULES[category])


def vested_amount(s: Schedule, amount: int, at_time: int) -> int:
    """What of a grant of `amount` wei has vested at `at_time` (the contract's `_schedule`)."""
    if at_time < s.start:
        return 0
    initial = amount * s.unlocked_bps // BPS
    periods = (at_time - s.start) // s.period
    if periods <= s.cliff:
        return initial
    tranches = min(periods - s.cliff, s.tranches)
    return initial + (amount - initial) * tranches // s.tranches


def tranche_times(s: Schedule) -> list[int]:
    """The instants at which a tranche vests (end of period cliff+1 ... cliff+tranches)."""
    return [s.start + (s.cliff + k) * s.period for k in range(1, s.tranches + 1)]


def grant_id_of(serial: int, beneficiary: str) -> int:
    return (serial << 160) | int(beneficiary, 16)


def beneficiary_of(grant_id: int) -> str:
    return "0x" + format(grant_id & ADDRESS_MASK, "040x")


class VestingError(Exception):
    """A revert of the contract, with its reason string."""


@dataclass
class GrantModel:
    serial: int
    beneficiary: str  # lower-case hex
    amount: int
    claimed: int = 0
    revoked_at: int = 0
    vested_at_revocation: int = 0
    pending: str | None = None

    @property
    def grant_id(self) -> int:
        return grant_id_of(self.serial, self.beneficiary)


@dataclass
class VaultModel:
    """One vault: `balance` is the vault's token balance (tokens in, claims out)."""

    schedule: Schedule
    balance: int = 0
    grants: dict[int, GrantModel] = field(default_factory=dict)  # by serial
    total_granted: int = 0
    total_claimed: int = 0
    total_revoked: int = 0
    moved: set[int] = field(default_factory=set)  # ids a grant was rotated away from
    rotated_to: dict[int, str] = field(default_factory=dict)  # serial -> holder after its last rotation

    # ---------------------------------------------------------- views
    @property
    def outstanding(self) -> int:
        return self.total_granted - self.total_claimed - self.total_revoked

    @property
    def unallocated(self) -> int:
        return self.balance - self.outstanding

    def by_id(self, grant_id: int) -> GrantModel | None:
        g = self.grants.get(grant_id >> 160)
        return g if g is not None and g.grant_id == grant_id else None

    def live(self, grant_id: int) -> GrantModel:
        """The grant an id holds now; the contract's reverts for a moved or an unknown id."""
        if grant_id in self.moved:
            raise VestingError("VestingVault: grant moved to a new id")
        g = self.by_id(grant_id)
        if g is None:
            raise VestingError("VestingVault: unknown grant")
        return g

    def status(self, grant_id: int) -> int:
        if grant_id in self.moved:
            return STATUS_MOVED
        g = self.by_id(grant_id)
        if g is None:
            return STATUS_UNKNOWN
        return STATUS_REVOKED if g.revoked_at else STATUS_ACTIVE

    def current_grant_id(self, grant_id: int) -> int:
        if grant_id in self.moved:
            return grant_id_of(grant_id >> 160, self.rotated_to[grant_id >> 160])
        return grant_id if self.by_id(grant_id) is not None else 0

    def _vested(self, g: GrantModel, at_time: int) -> int:
        v = vested_amount(self.schedule, g.amount, at_time)
        return min(v, g.vested_at_revocation) if g.revoked_at else v

    def vested(self, grant_id: int, at_time: int) -> int:
        return self._vested(self.live(grant_id), at_time)

    def claimable(self, grant_id: int, now: int) -> int:
        g = self.live(grant_id)
        return self._vested(g, now) - g.claimed

    # ---------------------------------------------------------- actions
    def deposit(self, amount: int) -> None:
        self.balance += amount

    def grant(self, beneficiary: str, amount: int) -> int:
        beneficiary = beneficiary.lower()
        if int(beneficiary, 16) == 0:
            raise VestingError("VestingVault: beneficiary is the zero address")
        if amount == 0:
            raise VestingError("VestingVault: amount is zero")
        if amount > self.unallocated:
            raise VestingError("VestingVault: amount exceeds unallocated")
        if self.total_granted + amount > MAX_AMOUNT:
            raise VestingError("VestingVault: total granted overflows")
        serial = len(self.grants) + 1
        self.grants[serial] = GrantModel(serial, beneficiary, amount)
        self.total_granted += amount
        return self.grants[serial].grant_id

    def _pay(self, grant_id: int, now: int) -> int:
        g = self.live(grant_id)
        amount = self._vested(g, now) - g.claimed
        g.claimed += amount
        self.total_claimed += amount
        self.balance -= amount
        return amount

    def claim(self, caller: str, grant_id: int, recipient: str, now: int) -> int:
        if caller.lower() != beneficiary_of(grant_id):
            raise VestingError("VestingVault: caller is not the beneficiary")
        if int(recipient, 16) == 0:
            raise VestingError("VestingVault: recipient is the zero address")
        return self._pay(grant_id, now)

    def release(self, grant_id: int, now: int) -> int:
        return self._pay(grant_id, now)

    def revoke(self, grant_id: int, now: int) -> int:
        if not self.schedule.revocable:
            raise VestingError("VestingVault: vault is not revocable")
        g = self.live(grant_id)
        if g.revoked_at:
            raise VestingError("VestingVault: grant already revoked")
        vested = vested_amount(self.schedule, g.amount, now)
        g.revoked_at, g.vested_at_revocation = now, vested
        self.total_revoked += g.amount - vested
        return g.amount - vested

    def propose(self, caller: str, grant_id: int, new: str) -> None:
        """Propose `new` as the grant's key; the zero address withdraws the pending proposal."""
        if caller.lower() != beneficiary_of(grant_id):
            raise VestingError("VestingVault: caller is not the beneficiary")
        g = self.live(grant_id)
        if int(new, 16) == 0 and g.pending is None:
            raise VestingError("VestingVault: no rotation proposed")
        if new.lower() == g.beneficiary:
            raise VestingError("VestingVault: new beneficiary is the current one")
        g.pending = new.lower() if int(new, 16) else None

    def accept(self, caller: str, grant_id: int) -> int:
        g = self.by_id(grant_id)
        if g is None or g.pending is None:
            raise VestingError("VestingVault: no rotation proposed")
        if caller.lower() != g.pending:
            raise VestingError("VestingVault: caller is not the proposed beneficiary")
        self.moved.add(grant_id)
        g.beneficiary, g.pending = g.pending, None
        self.moved.discard(g.grant_id)  # rotating back onto an old id makes it live again
        self.rotated_to[g.serial] = g.beneficiary
        return g.grant_id


# ------------------------------------------------------------------ circulating supply
def circulating_by_category(months: int = 240,
                            period: int = MONTH) -> tuple[list[float], dict[str, list[int]]]:
    """Circulating supply (wei) by category at the end of each month 0..months, assuming every
    genesis allocation is granted at genesis on its category's schedule and claimed as it vests,
    plus the emission minted by then. Returns (years, {label: series})."""
    start = 0
    series: dict[str, list[int]] = {CATEGORY_LABELS[c]: [] for c in GENESIS_AMOUNTS}
    series["Emission (provider rewards)"] = []
    years: list[float] = []
    for m in range(months + 1):
        t = start + m * period
        years.append(t / (365.2425 * 86_400))
        for c, amount in GENESIS_AMOUNTS.items():
            series[CATEGORY_LABELS[c]].append(vested_amount(category_schedule(c, start, period), amount, t))
        series["Emission (provider rewards)"].append(em.due_at(start, t))
    return years, series

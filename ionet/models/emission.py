"""The published supply and emission schedule (docs/economy.md §2-§3).

Two forms of the same schedule:

* the **integer** form, bit-for-bit what `EmissionSchedule.vy` computes (ray fixed point,
  exponentiation by squaring rounded half up, floor of the closed form, the last epoch clamped);
* the **real** form, the formula evaluated with 50-digit `Decimal`, against which the integer
  form is held to 1e-9 IO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext

IO = 10**18
MAX_SUPPLY = 800_000_000 * IO
GENESIS_SUPPLY = 500_000_000 * IO
TOTAL_EMISSION = 300_000_000 * IO

EPOCH_SECONDS = 3_600
EPOCH_COUNT = 175_319
HOURS_PER_YEAR = 8_760

RAY = 10**27
# q = 1 - d, d = 0.0000138869523959793: exact in ray.
D_NUMERATOR = 138_869_523_959_793  # d = D_NUMERATOR / 1e19
Q_RAY = RAY - D_NUMERATOR * 10**8
# S(t) in wei = E1 * (1 - q^t) / d with E1 = 5e24/1095 wei, d = D_NUMERATOR/1e19:
#             = 5e43 * (RAY - q^t_ray) / (1095 * D_NUMERATOR * RAY)
S_NUMERATOR = 5 * 10**16
S_DENOMINATOR = 1_095 * D_NUMERATOR

assert Q_RAY == 999_986_113_047_604_020_700_000_000
assert S_DENOMINATOR == 152_062_128_735_973_335


# ---------------------------------------------------------------- integer form (the contract's twin)
def rpow(x: int, n: int, base: int = RAY) -> int:
    """x**n in `base` fixed point by squaring, each product rounded half up (as the contract)."""
    z = base
    half = base // 2
    while n:
        if n & 1:
            z = (z * x + half) // base
        n >>= 1
        if n:
            x = (x * x + half) // base
    return z


def cumulative_through(epoch: int) -> int:
    """Emission of epochs 1..epoch together, in wei, exactly as the contract computes it."""
    if epoch <= 0:
        return 0
    if epoch >= EPOCH_COUNT:
        return TOTAL_EMISSION
    p = rpow(Q_RAY, epoch)
    return min(S_NUMERATOR * (RAY - p) // S_DENOMINATOR, TOTAL_EMISSION)


def emission_of(epoch: int) -> int:
    """Emission of one epoch (1-based) in wei; 0 outside 1..EPOCH_COUNT."""
    if epoch <= 0 or epoch > EPOCH_COUNT:
        return 0
    return cumulative_through(epoch) - cumulative_through(epoch - 1)


def completed_epochs(start_time: int, now: int) -> int:
    """Epochs that have ended at `now` (so are mintable), at most EPOCH_COUNT."""
    if now < start_time:
        return 0
    return min((now - start_time) // EPOCH_SECONDS, EPOCH_COUNT)


def due_at(start_time: int, now: int) -> int:
    """Everything the schedule has made mintable by `now`, in wei."""
    return cumulative_through(completed_epochs(start_time, now))


@dataclass
class Schedule:
    """The contract's state (recipient, total emitted) and what each recipient was paid: the
    plain-Python twin of `mint_due` and `set_reward_recipient` (tests/unit/test_emission.py runs
    both side by side)."""

    start_time: int
    recipient: str
    emitted: int = 0
    paid: dict[str, int] = field(default_factory=dict)

    def mint_due(self, now: int) -> int:
        """Mints what is due at `now` to the recipient; returns the amount (0: nothing due)."""
        due = due_at(self.start_time, now) - self.emitted
        if due:
            self.emitted += due
            self.paid[self.recipient] = self.paid.get(self.recipient, 0) + due
        return due

    def set_reward_recipient(self, new_recipient: str, now: int) -> tuple[int, int]:
        """What is due at `now` goes to the old recipient first, then the switch. Returns (the
        amount minted to the old recipient, the first epoch paid to the new one)."""
        due = self.mint_due(now)
        self.recipient = new_recipient
        return due, completed_epochs(self.start_time, now) + 1


# ---------------------------------------------------------------- real form (50-digit Decimal)
PRECISION = 50


def _real_constants() -> tuple[Decimal, Decimal, Decimal]:
    d = Decimal("0.0000138869523959793")
    e1 = Decimal(500_000_000) * Decimal("0.08") / Decimal(HOURS_PER_YEAR)
    return e1, d, 1 - d


def real_cumulative(epoch: int) -> Decimal:
    """S(t) = E1 (1 - q^t) / d in IO, unclamped, to 50 significant digits."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        e1, d, q = _real_constants()
        return e1 * (1 - q**epoch) / d


def real_emission_of(epoch: int) -> Decimal:
    """E(t) = E1 q^(t-1) in IO, to 50 significant digits."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        e1, _, q = _real_constants()
        return e1 * q ** (epoch - 1)


def wei_to_io(amount: int) -> Decimal:
    """Exact decimal IO of a wei amount."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(amount) / Decimal(IO)


def year_emission(year: int) -> int:
    """Emission of year `year` (1-based, 8,760 epochs each; year 21 holds the tail), in wei."""
    first = (year - 1) * HOURS_PER_YEAR
    return cumulative_through(first + HOURS_PER_YEAR) - cumulative_through(first)

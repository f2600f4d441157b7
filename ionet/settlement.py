"""Settlement (../shared/spec/tokenomics.md §6): the Python twin of SettlementRouter.vy.

Plain integers in base units. The model holds the same books as the contract (bookings, escrow,
credited balances, fees per currency) and reproduces every amount bit for bit, so tests and the
hypothesis state machine compare the chain with it after every step.

Rules (the contract's NatSpec states the same):
* fees are rounded up, each separately: reservation = ceil(cost * 25 / 10_000) on every booking,
  facilitation = ceil(cost * 200 / 10_000) on USDC bookings only; total <= max_total.
* a record adds worked hours; the recorded total never exceeds the booked hours nor the hours
  started since the booking began (ceil(elapsed / 3600)). Recording the last hour completes it.
* renter's early end: used = min(hours, max(1, started hours)); operator's end: used =
  max(1, recorded); settle after end + GRACE: used = hours. The provider gets used - recorded
  more hours, the renter (hours - used) * rate back; fees are never refunded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

BPS = 10_000
RESERVATION_FEE_BPS = 25
FACILITATION_FEE_BPS = 200
HOUR_SECONDS = 3_600
GRACE_SECONDS = 86_400
MAX_HOURS = 87_600
MAX_RATE = 2**96 - 1

END_COMPLETED, END_BY_RENTER, END_BY_OPERATOR, END_EXPIRED = 1, 2, 3, 4


class SettlementError(Exception):
    """A call the contract would revert; the message is the contract's reason string."""


def _require(cond: bool, reason: str) -> None:
    if not cond:
        raise SettlementError(f"SettlementRouter: {reason}")


def ceil_bps(amount: int, bps: int) -> int:
    return (amount * bps + BPS - 1) // BPS


@dataclass(frozen=True)
class Quote:
    cost: int
    reservation_fee: int
    facilitation_fee: int

    @property
    def fees(self) -> int:
        return self.reservation_fee + self.facilitation_fee

    @property
    def total(self) -> int:
        return self.cost + self.fees


def quote(rate: int, hours: int, is_usdc: bool) -> Quote:
    cost = rate * hours
    return Quote(
        cost, ceil_bps(cost, RESERVATION_FEE_BPS), ceil_bps(cost, FACILITATION_FEE_BPS) if is_usdc else 0
    )


def started_hours(start: int, now: int) -> int:
    return (now - start + HOUR_SECONDS - 1) // HOUR_SECONDS


@dataclass
class Booking:
    booking_id: int
    renter: str
    provider: str
    token: str
    hours: int
    rate: int
    start: int
    recorded: int = 0
    open: bool = True

    @property
    def end(self) -> int:
        return self.start + self.hours * HOUR_SECONDS

    @property
    def escrow(self) -> int:
        return (self.hours - self.recorded) * self.rate if self.open else 0


@dataclass
class Ended:
    reason: int
    hours_paid: int
    provider_amount: int
    refund: int


@dataclass
class Settlement:
    """The books of one router. `usdc` and `io` are the two token keys (addresses or names)."""

    usdc: str
    io: str
    bookings: dict[int, Booking] = field(default_factory=dict)
    next_booking_id: int = 1
    escrow: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    credited: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fees: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    balances: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (account, token)
    paid_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    paid_out: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    paused: bool = False

    # ------------------------------------------------------------ helpers
    def _token_ok(self, token: str) -> None:
        _require(token in (self.usdc, self.io), "unsupported token")

    def _open(self, booking_id: int) -> Booking:
        b = self.bookings.get(booking_id)
        _require(b is not None and b.open, "booking not open")
        assert b is not None
        return b

    def held(self, token: str) -> int:
        """What the router holds of `token` if only bookings paid in and withdrawals paid out."""
        return self.paid_in[token] - self.paid_out[token]

    def owed(self, token: str) -> int:
        return self.escrow[token] + self.credited[token] + self.fees[token]

    def check_conservation(self) -> None:
        for token in (self.usdc, self.io):
            assert self.held(token) == self.owed(token), f"conservation broken for {token}"
            assert self.escrow[token] == sum(b.escrow for b in self.bookings.values() if b.token == token)
            assert self.credited[token] == sum(v for (_a, t), v in self.balances.items() if t == token)

    # ------------------------------------------------------------ operations
    def book(
        self,
        renter: str,
        provider: str | None,
        eligible: bool,
        token: str,
        hours: int,
        rate: int,
        max_total: int,
        now: int,
    ) -> tuple[int, Quote]:
        if self.paused:  # new bookings only; snekmate's reason string
            raise SettlementError("pausable: contract is paused")
        self._token_ok(token)
        _require(hours != 0, "zero hours")
        _require(hours <= MAX_HOURS, "too many hours")
        _require(rate != 0, "zero rate")
        _require(rate <= MAX_RATE, "rate too large")
        _require(provider is not None, "unknown device")
        _require(eligible, "device not eligible")
        q = quote(rate, hours, token == self.usdc)
        _require(q.total <= max_total, "total above maximum")
        bid = self.next_booking_id
        self.next_booking_id += 1
        assert provider is not None
        self.bookings[bid] = Booking(bid, renter, provider, token, hours, rate, now)
        self.escrow[token] += q.cost
        self.fees[token] += q.fees
        self.paid_in[token] += q.total
        return bid, q

    def record(self, booking_id: int, hours: int, now: int) -> int:
        """Records `hours` more; returns the amount credited to the provider."""
        b = self._open(booking_id)
        _require(hours != 0, "zero hours")
        _require(b.recorded + hours <= b.hours, "hours exceed booking")
        _require(b.recorded + hours <= started_hours(b.start, now), "hours not yet elapsed")
        amount = hours * b.rate
        b.recorded += hours
        if b.recorded == b.hours:
            b.open = False
        self._credit(b.provider, b.token, amount)
        self.escrow[b.token] -= amount
        return amount

    def record_batch(self, items: list[tuple[int, int]], now: int) -> list[int]:
        """All or nothing, as the contract: validate on a copy first."""
        import copy

        trial = copy.deepcopy(self)
        for bid, h in items:
            trial.record(bid, h, now)
        return [self.record(bid, h, now) for bid, h in items]

    def end_by_renter(self, booking_id: int, caller: str, now: int) -> Ended:
        b = self._open(booking_id)
        _require(caller == b.renter, "caller is not the renter")
        used = min(b.hours, max(1, started_hours(b.start, now)))
        return self._close(b, used, END_BY_RENTER)

    def end_by_operator(self, booking_id: int, final_hours: int, now: int) -> Ended | None:
        b = self._open(booking_id)
        if final_hours:
            self.record(booking_id, final_hours, now)
            if not b.open:
                return None
        return self._close(b, max(1, b.recorded), END_BY_OPERATOR)

    def settle_expired(self, booking_id: int, now: int) -> Ended:
        b = self._open(booking_id)
        _require(now >= b.end + GRACE_SECONDS, "grace period not over")
        return self._close(b, b.hours, END_EXPIRED)

    def _close(self, b: Booking, used: int, reason: int) -> Ended:
        pay = (used - b.recorded) * b.rate
        refund = (b.hours - used) * b.rate
        self.escrow[b.token] -= b.escrow
        b.recorded = used
        b.open = False
        self._credit(b.provider, b.token, pay)
        self._credit(b.renter, b.token, refund)
        return Ended(reason, used, pay, refund)

    def _credit(self, account: str, token: str, amount: int) -> None:
        if amount:
            self.balances[(account, token)] += amount
            self.credited[token] += amount

    def withdraw(self, account: str, token: str, amount: int) -> None:
        self._token_ok(token)
        _require(amount <= self.balances[(account, token)], "amount exceeds balance")
        self.balances[(account, token)] -= amount
        self.credited[token] -= amount
        self.paid_out[token] += amount

    def withdraw_fees(self, token: str, amount: int) -> None:
        self._token_ok(token)
        _require(amount <= self.fees[token], "amount exceeds fees")
        self.fees[token] -= amount
        self.paid_out[token] += amount

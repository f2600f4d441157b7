"""Settlement (docs/economy.md, the published fee table of both sides): the Python twin of
SettlementRouter.vy.

Plain integers in base units. The model holds the same books as the contract (bookings, escrow,
credited balances, fees per currency) and reproduces every amount bit for bit, so tests and the
hypothesis state machine compare the chain with it after every step.

Rules (the contract's NatSpec states the same):
* renter side, fees rounded up, each separately: reservation = ceil(cost * 25 / 10_000) on every
  booking, facilitation = ceil(cost * 200 / 10_000) on USDC bookings only; total <= max_total.
  A booking paid with another asset is an ordinary USDC booking (the router's market desk,
  MarketDesk.vy, buys its total on the asset's pool, paid to the router, and books it for the renter).
* supplier side: every payment for compute (a record, or the hours paid at an ending) pays the
  provider gross - ceil(gross * 25 / 10_000), the supplier reservation fee going to the fees;
  withdrawing a USDC income in USDC pays ceil(amount * 200 / 10_000) (payment fee) and sends the
  rest; a USDC income taken as IO (handed to the market desk, which sells it on the pool), an IO
  income and any refund pay no fee.
* a record adds worked hours; the recorded total never exceeds the booked hours nor the hours
  started since the booking began (ceil(elapsed / 3600)). Recording the last hour completes it.
* renter's early end: used = min(hours, max(1, started hours)); operator's end: used =
  max(1, recorded); settle after end + GRACE: used = hours. The provider gets used - recorded
  more hours (less the supplier fee), the renter (hours - used) * rate back as a refund; fees are
  never refunded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

BPS = 10_000
RESERVATION_FEE_BPS = 25
FACILITATION_FEE_BPS = 200
SUPPLIER_RESERVATION_FEE_BPS = 25
PAYMENT_FEE_BPS = 200
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


@dataclass(frozen=True)
class Payout:
    """One payment for compute to a provider: gross = rate x hours, net = what its income grows by."""

    gross: int
    supplier_fee: int

    @property
    def net(self) -> int:
        return self.gross - self.supplier_fee


def payout(gross: int) -> Payout:
    """The supplier side of a payment for compute: the supplier reservation fee, rounded up."""
    return Payout(gross, ceil_bps(gross, SUPPLIER_RESERVATION_FEE_BPS))


def payment_fee(amount: int, is_usdc: bool) -> int:
    """The payment fee of withdrawing `amount` of income: 2 % rounded up in USDC, 0 in IO."""
    return ceil_bps(amount, PAYMENT_FEE_BPS) if is_usdc else 0


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
    provider_net: int = 0  # what its provider was credited (net of supplier fees)
    supplier_fees: int = 0

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
    supplier_fee: int = 0


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
    income: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (account, token)
    refunds: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    fee_kinds: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (token, kind)
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
            assert self.credited[token] == sum(v for (_a, t), v in self.income.items() if t == token) + sum(
                v for (_a, t), v in self.refunds.items() if t == token)
        for b in self.bookings.values():  # provider + supplier fees == rate x paid hours
            assert b.provider_net + b.supplier_fees == b.rate * b.recorded

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
        self.fee_kinds[(token, "reservation")] += q.reservation_fee
        self.fee_kinds[(token, "facilitation")] += q.facilitation_fee
        self.paid_in[token] += q.total
        return bid, q

    def record(self, booking_id: int, hours: int, now: int) -> Payout:
        """Records `hours` more; returns the payment (gross, supplier fee; the provider gets net)."""
        b = self._open(booking_id)
        _require(hours != 0, "zero hours")
        _require(b.recorded + hours <= b.hours, "hours exceed booking")
        _require(b.recorded + hours <= started_hours(b.start, now), "hours not yet elapsed")
        p = payout(hours * b.rate)
        b.recorded += hours
        if b.recorded == b.hours:
            b.open = False
        self._pay(b, p)
        self.escrow[b.token] -= p.gross
        return p

    def record_batch(self, items: list[tuple[int, int]], now: int) -> list[Payout]:
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
        p = payout((used - b.recorded) * b.rate)
        refund = (b.hours - used) * b.rate
        self.escrow[b.token] -= b.escrow
        b.recorded = used
        b.open = False
        self._pay(b, p)
        if refund:
            self.refunds[(b.renter, b.token)] += refund
            self.credited[b.token] += refund
        return Ended(reason, used, p.gross, refund, p.supplier_fee)

    def _pay(self, b: Booking, p: Payout) -> None:
        """A payment for compute: the provider's income grows by net, the fees by the supplier fee."""
        self.income[(b.provider, b.token)] += p.net
        self.credited[b.token] += p.net
        self.fees[b.token] += p.supplier_fee
        self.fee_kinds[(b.token, "supplier_reservation")] += p.supplier_fee
        b.provider_net += p.net
        b.supplier_fees += p.supplier_fee

    def _payout_ok(self, token: str, amount: int) -> None:
        self._token_ok(token)
        _require(amount != 0, "zero amount")

    def withdraw(self, account: str, token: str, amount: int) -> tuple[int, int]:
        """A provider takes `amount` of its income in `token`; returns (payment fee, paid out)."""
        self._payout_ok(token, amount)
        _require(amount <= self.income[(account, token)], "amount exceeds balance")
        fee = payment_fee(amount, token == self.usdc)
        self.income[(account, token)] -= amount
        self.credited[token] -= amount
        self.fees[token] += fee
        self.fee_kinds[(token, "payment")] += fee
        self.paid_out[token] += amount - fee
        return fee, amount - fee

    def withdraw_as_io(self, account: str, amount: int) -> None:
        """A provider takes `amount` of its USDC income as IO (MarketDesk.withdraw_as_io): the USDC
        leaves the router for the desk, which sells all of it on the pool in the same call (what the
        pool pays in IO goes straight to the recipient); no fee."""
        _require(amount != 0, "zero amount")
        _require(amount <= self.income[(account, self.usdc)], "amount exceeds balance")
        self.income[(account, self.usdc)] -= amount
        self.credited[self.usdc] -= amount
        self.paid_out[self.usdc] += amount

    def withdraw_refund(self, account: str, token: str, amount: int) -> None:
        self._payout_ok(token, amount)
        _require(amount <= self.refunds[(account, token)], "amount exceeds balance")
        self.refunds[(account, token)] -= amount
        self.credited[token] -= amount
        self.paid_out[token] += amount

    def withdraw_fees(self, token: str, amount: int) -> None:
        self._payout_ok(token, amount)
        _require(amount <= self.fees[token], "amount exceeds fees")
        self.fees[token] -= amount
        self.paid_out[token] += amount

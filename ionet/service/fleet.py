"""The fleet simulator: devices with realistic uptime and renters who book and end, writing the
usage feed hour by hour for the local network. Deterministic given its seed.

Uptime: each device is a two-state Markov chain over hours. Up -> down with probability
1 / mtbf_hours (a failure), down -> up with probability 1 / mttr_hours (a repair), so its long-run
availability is mtbf / (mtbf + mttr). Each device draws its own MTBF and MTTR around its profile's
(data centre: ~99.5 %, home rig: ~97 %).

Renters: in every hour each idle, up device is booked with its class's probability; a booking
lasts 1..max_hours hours; some renters end early (at a random hour of the booking); a booking whose
device fails ends in the hour it failed (one row up = 0 with the booking, then the device is idle).

Booking on chain is the caller's: `begin_hour(h)` returns the hour's `BookRequest`s and
`EndRequest`s (renters ending early, to send as `end_booking` by the renter during hour h);
the caller books each request during hour h and hands back its booking id (`booked`), or
`declined` if it could not; `end_hour(h)` writes the hour's rows to the feed and marks it complete.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from ionet.service.feed import Feed, Row


@dataclass(frozen=True)
class Profile:
    cls: str
    processors: int
    rent_per_processor_hour: int  # USDC base units (6 decimals)
    mtbf_hours: float  # mean hours between failures
    mttr_hours: float  # mean hours to repair
    book_probability: float  # chance an idle, up device is booked in an hour
    weight: int  # share of the fleet


# Like the demo's devices (8 x H100 data centre, 4 x A100 farm, 1 x RTX 4090 home rig) and a few more.
PROFILES: tuple[Profile, ...] = (
    Profile("H100", 8, 2_000_000, 1_400.0, 6.0, 0.10, 3),
    Profile("A100-80GB", 4, 1_200_000, 1_000.0, 6.0, 0.08, 3),
    Profile("L40S", 2, 850_000, 700.0, 8.0, 0.06, 2),
    Profile("RTX 4090", 1, 350_000, 250.0, 8.0, 0.05, 4),
    Profile("M4 Max", 1, 200_000, 200.0, 6.0, 0.03, 1),
)


@dataclass
class SimDevice:
    device: str  # feed key
    profile: Profile
    mtbf_hours: float
    mttr_hours: float
    up: bool = True
    booking: int | None = None  # booking id served
    booking_left: int = 0  # hours still to serve, the current one included
    end_early_at: int | None = None  # hour at whose start the renter ends

    @property
    def availability(self) -> float:
        return self.mtbf_hours / (self.mtbf_hours + self.mttr_hours)

    @property
    def rate(self) -> int:
        return self.profile.rent_per_processor_hour * self.profile.processors


@dataclass(frozen=True)
class BookRequest:
    request_id: int
    device: str
    renter: int  # index of the renter
    hours: int
    rate: int  # USDC base units per hour
    hour: int  # the hour the booking starts in (book during it)


@dataclass(frozen=True)
class EndRequest:
    booking_id: int
    device: str
    renter: int
    hour: int


@dataclass
class Stats:
    device_hours: int = 0
    up_hours: int = 0
    failures: int = 0
    repairs: int = 0
    bookings: int = 0
    declined: int = 0
    rented_hours: int = 0
    ended_early: int = 0  # by the renter
    ended_down: int = 0  # device failed while rented
    completed: int = 0

    @property
    def availability(self) -> float:
        return self.up_hours / self.device_hours if self.device_hours else 0.0

    @property
    def utilization(self) -> float:
        return self.rented_hours / self.device_hours if self.device_hours else 0.0


def device_id(seed: int, index: int) -> str:
    return "0x" + hashlib.sha256(f"ionet-fleet:{seed}:{index}".encode()).hexdigest()


@dataclass
class FleetSim:
    feed: Feed
    devices_count: int = 20
    seed: int = 1
    renters: int = 5
    max_hours: int = 72
    early_end_probability: float = 0.2
    profiles: tuple[Profile, ...] = PROFILES
    devices: list[SimDevice] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    _next_request: int = 1
    _requests: dict[int, BookRequest] = field(default_factory=dict)
    _renter_of: dict[int, int] = field(default_factory=dict)  # booking -> renter
    _hour: int | None = None
    _ended_now: set[str] = field(default_factory=set)  # devices whose booking ended at this hour's start

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        pool = [p for p in self.profiles for _ in range(p.weight)]
        for i in range(self.devices_count):
            p = pool[i % len(pool)]
            # each device its own reliability: MTBF x0.5..1.5, MTTR x0.5..2
            mtbf = p.mtbf_hours * self.rng.uniform(0.5, 1.5)
            mttr = p.mttr_hours * self.rng.uniform(0.5, 2.0)
            self.devices.append(SimDevice(device_id(self.seed, i), p, mtbf, mttr))
        self.devices.sort(key=lambda d: d.device)

    def device(self, key: str) -> SimDevice:
        return next(d for d in self.devices if d.device == key)

    # ------------------------------------------------------------ one hour
    def begin_hour(self, hour: int) -> tuple[list[BookRequest], list[EndRequest]]:
        """Decide hour `hour`: failures and repairs, renters ending early, new booking requests."""
        if self._hour is not None and hour != self._hour + 1:
            raise ValueError(f"hour {hour} after {self._hour}: hours come in order")
        self._hour = hour
        self._requests.clear()
        ends: list[EndRequest] = []
        books: list[BookRequest] = []
        for d in self.devices:
            if d.up:
                if self.rng.random() < 1.0 / d.mtbf_hours:
                    d.up = False
                    self.stats.failures += 1
            elif self.rng.random() < 1.0 / d.mttr_hours:
                d.up = True
                self.stats.repairs += 1
            if d.booking is not None and d.up and d.end_early_at == hour:
                ends.append(EndRequest(d.booking, d.device, self._renter_of[d.booking], hour))
                self.stats.ended_early += 1
                self._release(d)
            if d.booking is None and d.up and self.rng.random() < d.profile.book_probability:
                hours = self._duration()
                req = BookRequest(self._next_request, d.device, self.rng.randrange(self.renters), hours, d.rate, hour)
                self._next_request += 1
                self._requests[req.request_id] = req
                books.append(req)
        return books, ends

    def _duration(self) -> int:
        # mostly short jobs, some multi-day: 1..max_hours, median ~ a working day
        return max(1, min(self.max_hours, int(self.rng.expovariate(1 / 20)) + 1))

    def booked(self, request: BookRequest, booking_id: int) -> None:
        """The caller booked `request` on chain as `booking_id` (during the request's hour)."""
        if self._requests.pop(request.request_id, None) is None:
            raise ValueError(f"request {request.request_id} is not open")
        d = self.device(request.device)
        d.booking, d.booking_left = booking_id, request.hours
        d.end_early_at = None
        if request.hours > 1 and self.rng.random() < self.early_end_probability:
            d.end_early_at = request.hour + self.rng.randrange(1, request.hours)
        self._renter_of[booking_id] = request.renter
        self.stats.bookings += 1

    def declined(self, request: BookRequest) -> None:
        self._requests.pop(request.request_id, None)
        self.stats.declined += 1

    def end_hour(self, hour: int) -> list[Row]:
        """Write hour `hour`'s rows (one per device) to the feed and mark it complete."""
        if hour != self._hour:
            raise ValueError(f"end_hour({hour}) but the hour begun is {self._hour}")
        for req in list(self._requests.values()):
            self.declined(req)  # the caller never answered: not booked
        rows: list[Row] = []
        for d in self.devices:
            self.stats.device_hours += 1
            self.stats.up_hours += d.up
            rows.append(Row(d.device, hour, d.up, d.booking))
            if d.booking is None:
                continue
            if not d.up:
                self.stats.ended_down += 1
                self._release(d)
                continue
            self.stats.rented_hours += 1
            d.booking_left -= 1
            if d.booking_left == 0:
                self.stats.completed += 1
                self._release(d)
        self.feed.write(rows, complete_through=hour)
        return rows

    def _release(self, d: SimDevice) -> None:
        d.booking, d.booking_left, d.end_early_at = None, 0, None

    def mean_availability(self) -> float:
        """The fleet's configured long-run availability (mean over devices)."""
        return sum(d.availability for d in self.devices) / len(self.devices)

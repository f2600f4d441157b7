"""Node staking: ids and the plain-Python reference model of contracts/NodeStaking.vy."""

from __future__ import annotations

from dataclasses import dataclass, field

IO = 10**18
BPS = 10_000
BASE_STAKE = 200 * IO


def device_class(name: str) -> bytes:
    """A device class as the contract stores it: the ASCII name right-padded with zero bytes."""
    raw = name.encode("ascii")
    if not 0 < len(raw) <= 32:
        raise ValueError(f"device class name must be 1..32 ASCII bytes: {name!r}")
    return raw.ljust(32, b"\0")


def device_id(text: str) -> bytes:
    """A device id: keccak256 of a text (e.g. a serial number or the network's device uuid)."""
    from eth_utils import keccak

    return keccak(text=text)


COOLDOWN_SECONDS = 14 * 86_400
EXIT_WAIT_SECONDS = 7 * 86_400
APPEAL_SECONDS = 30 * 86_400
MAX_OFFERS_PER_CO_STAKER = 2  # accepted co-stakes one co-staker may hold (pending offers do not count)
MAX_MULTIPLIER_BPS = 1_000_000  # 100x, the largest class multiplier governance may set
# Least time between two slashes of one device: the constructor's bounds, and the deploy's default.
MIN_SLASH_INTERVAL_FLOOR_SECONDS = 3_600
MIN_SLASH_INTERVAL_CEILING_SECONDS = 30 * 86_400
DEFAULT_MIN_SLASH_INTERVAL_SECONDS = 3 * 86_400
ROOT_PERIOD_SECONDS = 86_400  # the reward oracle publishes a root at least once a day


def check_slash_interval(interval: int, activation_delay: int) -> None:
    """Refuse a slash interval that cannot bound the slasher's freeze of rewards (issue 18).

    A slash at time s is committed by the oracle's next root, published within one root period
    and active after the distributor's activation delay; a second slash before then would leave
    the device's claims reverting ("slash after active root") root after root. So the interval
    must be at least activation delay + one root period, and within the contract's bounds."""
    if not MIN_SLASH_INTERVAL_FLOOR_SECONDS <= interval <= MIN_SLASH_INTERVAL_CEILING_SECONDS:
        raise ValueError(f"staking.min_slash_interval_seconds = {interval:,} s is outside the contract's bounds "
                         f"{MIN_SLASH_INTERVAL_FLOOR_SECONDS:,} .. {MIN_SLASH_INTERVAL_CEILING_SECONDS:,} s")
    least = activation_delay + ROOT_PERIOD_SECONDS
    if interval < least:
        raise ValueError(
            f"staking.min_slash_interval_seconds = {interval:,} s is shorter than rewards.activation_delay_seconds "
            f"({activation_delay:,} s) + one root period ({ROOT_PERIOD_SECONDS:,} s) = {least:,} s: the slasher could "
            "slash a device again before a root committing its last slash is active, and freeze its rewards")

# Co-stake states as stored; CO_COOLDOWN and CO_WITHDRAWABLE are phases of CO_EXITING that
# `co_stake` reports (never stored).
CO_NONE, CO_OFFERED, CO_ACTIVE, CO_EXITING, CO_COOLDOWN, CO_WITHDRAWABLE = 0, 1, 2, 3, 4, 5
CO_STATE_NAMES = ("none", "offered", "active", "exiting", "cooldown", "withdrawable")
SLASH_UNKNOWN, SLASH_PENDING, SLASH_OVERTURNED, SLASH_FINALIZED = 0, 1, 2, 3
SLASH_OUTCOME_NAMES = ("unknown", "pending", "overturned", "finalized")

# Published multipliers (2025) in bps, 10_000 = 1.0x.
CLASS_MULTIPLIERS = {
    "H100": 100_000, "H200": 120_000, "B200": 300_000, "A100-80GB": 50_000, "A100-40GB": 20_000,
    "L40S": 30_000, "RTX 6000 Ada": 45_000, "RTX 4080": 27_500, "RTX 4090": 12_500, "M4 Max": 15_000,
}


def min_stake_of(multiplier_bps: int, processors: int) -> int:
    """200 IO x max(1.0, multiplier) x processors, in wei."""
    return BASE_STAKE * max(multiplier_bps, BPS) * processors // BPS


def pro_rata(amount: int, buckets: list[int]) -> list[int]:
    """Split `amount` over `buckets` as the contract does: sequential floor, the rest from the last.

    Each part is floor(rest * bucket / rest_total); since rest <= rest_total at every step, the
    last bucket always covers what is left, so no part exceeds its bucket.
    """
    rest, rest_total, parts = amount, sum(buckets), []
    for b in buckets[:-1]:
        part = rest * b // rest_total if rest_total else 0
        parts.append(part)
        rest -= part
        rest_total -= b
    parts.append(rest)
    assert all(p <= b for p, b in zip(parts, buckets, strict=True))
    return parts


class StakingError(Exception):
    """A call the contract would revert; the message is the contract's reason string."""


PAUSED = "pausable: contract is paused"


def _req(cond: bool, reason: str) -> None:
    if not cond:
        raise StakingError(reason if ":" in reason else f"NodeStaking: {reason}")


@dataclass
class Device:
    owner: str
    device_class: bytes
    processors: int
    wallet: str
    index: int
    active: int = 0
    cooldown: int = 0
    release_at: int = 0
    co_staker: str = ""
    co_amount: int = 0
    co_share_bps: int = 0
    co_state: int = CO_NONE
    co_exit_at: int = 0
    last_slashed_at: int = 0
    last_slash_id: int = 0
    jailed: bool = False


@dataclass
class Slash:
    device: bytes
    active_part: int
    cooldown_part: int
    co_part: int
    co_staker: str
    created_at: int
    outcome: int = SLASH_PENDING

    @property
    def amount(self) -> int:
        return self.active_part + self.cooldown_part + self.co_part


@dataclass(frozen=True)
class CoStakeView:
    """What `NodeStaking.co_stake(device)` returns."""

    co_staker: str
    state: int
    state_name: str
    amount: int
    reward_share_bps: int
    counts_until: int
    withdrawable_at: int


@dataclass(frozen=True)
class Totals:
    """What `NodeStaking.totals()` returns (without the token balance, which the model keeps apart),
    and `owner_cooldown`, which the contract keeps per device only (the sum of every device's
    `owner_stake(d).cooldown`: no running total, so a withdrawal writes none)."""

    owner_active: int
    owner_cooldown: int
    co_staked: int
    escrowed: int
    refunds_owed: int
    slash_count: int
    device_count: int

    @property
    def held(self) -> int:
        """What the contract must hold (invariant io_held)."""
        return self.owner_active + self.owner_cooldown + self.co_staked + self.escrowed + self.refunds_owed


@dataclass
class StakingModel:
    """Plain-Python twin of NodeStaking: same state, same arithmetic, same reverts (as StakingError)."""

    multipliers: dict[bytes, int] = field(default_factory=dict)
    max_slash_bps: int = 5_000
    min_slash_interval: int = DEFAULT_MIN_SLASH_INTERVAL_SECONDS
    devices: dict[bytes, Device] = field(default_factory=dict)
    offers_held: dict[str, int] = field(default_factory=dict)  # accepted co-stakes, until withdrawn
    slashes: dict[int, Slash] = field(default_factory=dict)  # every slash, settled ones with their outcome
    slash_count: int = 0
    refunds: dict[str, int] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)  # IO of the wallets we follow
    burned: int = 0
    paused: bool = False

    # ------------------------------------------------------------ views
    def min_stake(self, d: bytes) -> int:
        dev = self.devices.get(d)
        return min_stake_of(self.multipliers.get(dev.device_class, 0), dev.processors) if dev else 0

    @staticmethod
    def co_counts(dev: Device, now: int) -> bool:
        """The co-stake counts toward the minimum: active, or exiting and still in its wait."""
        return dev.co_state == CO_ACTIVE or (dev.co_state == CO_EXITING and now < dev.co_exit_at)

    def co_counting(self, d: bytes, now: int) -> int:
        dev = self.devices[d]
        return dev.co_amount if self.co_counts(dev, now) else 0

    def counting(self, d: bytes, now: int) -> int:
        """Owner active + counting co-stake, the latter never above the owner's active stake."""
        active = self.devices[d].active
        return active + min(self.co_counting(d, now), active)

    def is_eligible(self, d: bytes, now: int) -> bool:
        dev = self.devices.get(d)
        if dev is None or self.multipliers.get(dev.device_class, 0) == 0 or dev.jailed:
            return False
        return self.counting(d, now) >= self.min_stake(d)

    def overflow(self, d: bytes, now: int) -> int:
        dev = self.devices[d]
        co = self.co_counting(d, now)
        need = max(self.min_stake(d) - co, 0, co)
        return max(dev.active - need, 0)

    def reward_split(self, d: bytes) -> tuple[str, str, int]:
        dev = self.devices[d]
        if dev.co_state != CO_ACTIVE:
            return dev.wallet, "", 0
        return dev.wallet, dev.co_staker, dev.co_share_bps

    def co_stake(self, d: bytes, now: int) -> CoStakeView:
        """The contract's `co_stake` view: the stored state, EXITING split into its three phases."""
        dev = self.devices.get(d) or Device("", b"", 0, "", 0)
        state, counts_until, withdrawable_at = dev.co_state, 0, 0
        if state == CO_EXITING:
            counts_until, withdrawable_at = dev.co_exit_at, dev.co_exit_at + COOLDOWN_SECONDS
            if now >= withdrawable_at:
                state = CO_WITHDRAWABLE
            elif now >= counts_until:
                state = CO_COOLDOWN
        return CoStakeView(dev.co_staker, state, CO_STATE_NAMES[state], dev.co_amount, dev.co_share_bps,
                           counts_until, withdrawable_at)

    def deposited_co(self, dev: Device) -> int:
        return dev.co_amount if dev.co_state >= CO_ACTIVE else 0

    def escrowed(self) -> int:
        return sum(s.amount for s in self.slashes.values() if s.outcome == SLASH_PENDING)

    def slash_outcome(self, slash_id: int) -> int:
        s = self.slashes.get(slash_id)
        return s.outcome if s else SLASH_UNKNOWN

    def totals(self) -> Totals:
        devs = self.devices.values()
        return Totals(sum(d.active for d in devs), sum(d.cooldown for d in devs),
                      sum(self.deposited_co(d) for d in devs), self.escrowed(), sum(self.refunds.values()),
                      self.slash_count, len(self.devices))

    def held(self) -> int:
        """What the contract must hold (invariant io_held)."""
        return self.totals().held

    # ------------------------------------------------------------ helpers
    def _move(self, frm: str, to: str, amount: int) -> None:
        _req(self.balances.get(frm, 0) >= amount, "insufficient balance (token)")
        self.balances[frm] = self.balances.get(frm, 0) - amount
        self.balances[to] = self.balances.get(to, 0) + amount

    def _owned(self, d: bytes, sender: str) -> Device:
        dev = self.devices.get(d)
        _req(dev is not None, "unknown device")
        _req(dev.owner == sender, "caller is not the owner")
        return dev

    def _push_out(self, dev: Device, now: int) -> None:
        """Forced exit (co_cap): the co-stake stops counting now and cools down for 14 days."""
        dev.co_state, dev.co_exit_at = CO_EXITING, now

    # ------------------------------------------------------------ actions
    def set_class_multiplier(self, cls: bytes, multiplier_bps: int) -> None:
        _req(cls != bytes(32), "class is empty")
        _req(multiplier_bps <= MAX_MULTIPLIER_BPS, "multiplier above maximum")
        self.multipliers[cls] = multiplier_bps

    def register_device(self, sender: str, d: bytes, cls: bytes, processors: int, wallet: str) -> None:
        _req(d != bytes(32), "device id is zero")
        _req(d not in self.devices, "device already registered")
        _req(self.multipliers.get(cls, 0) != 0, "class is unsupported")
        _req(0 < processors < 2**32, "bad processor count")
        self.devices[d] = Device(sender, cls, processors, wallet, len(self.devices) + 1)

    def stake(self, sender: str, d: bytes, amount: int) -> None:
        _req(not self.paused, PAUSED)
        dev = self._owned(d, sender)
        _req(amount != 0, "amount is zero")
        _req(dev.active + amount < 2**96, "amount too large")
        self._move(sender, "staking", amount)
        dev.active += amount

    def withdraw_overflow(self, sender: str, d: bytes, amount: int, now: int) -> None:
        dev = self._owned(d, sender)
        _req(amount != 0, "amount is zero")
        _req(amount <= self.overflow(d, now), "amount exceeds overflow")
        dev.active -= amount
        self._move("staking", sender, amount)

    def unstake(self, sender: str, d: bytes, now: int) -> None:
        dev = self._owned(d, sender)
        _req(dev.active != 0, "nothing staked")
        dev.cooldown += dev.active
        dev.active = 0
        dev.release_at = now + COOLDOWN_SECONDS
        if self.co_counts(dev, now):  # the owner's active stake is 0 now: below any co-stake (co_cap)
            self._push_out(dev, now)

    def withdraw(self, sender: str, d: bytes, now: int) -> int:
        dev = self.devices.get(d)
        _req(dev is not None, "unknown device")
        _req(dev.owner == sender, "caller is not the staker")
        _req(dev.cooldown != 0, "nothing in cooldown")
        _req(now >= dev.release_at, "cooldown not over")
        amount, dev.cooldown, dev.release_at = dev.cooldown, 0, 0
        self._move("staking", sender, amount)
        return amount

    def offer_co_stake(self, sender: str, d: bytes, co_staker: str, amount: int, share_bps: int) -> None:
        _req(not self.paused, PAUSED)
        dev = self._owned(d, sender)
        _req(co_staker not in ("", sender), "bad co-staker")
        _req(amount != 0, "amount is zero")
        _req(0 < share_bps <= BPS, "bad reward share")
        _req(dev.co_state == CO_NONE, "device has a co-staker")
        _req(amount <= dev.active, "co-stake above 50 %")
        dev.co_staker, dev.co_amount, dev.co_share_bps, dev.co_state, dev.co_exit_at = (
            co_staker, amount, share_bps, CO_OFFERED, 0)

    def _clear_co(self, dev: Device) -> None:
        dev.co_staker, dev.co_amount, dev.co_share_bps, dev.co_state, dev.co_exit_at = "", 0, 0, CO_NONE, 0

    def cancel_co_stake_offer(self, sender: str, d: bytes) -> None:
        dev = self._owned(d, sender)
        _req(dev.co_state == CO_OFFERED, "no pending offer")
        self._clear_co(dev)

    def decline_co_stake(self, sender: str, d: bytes) -> None:
        dev = self.devices.get(d)
        _req(dev is not None and dev.co_staker == sender and dev.co_state == CO_OFFERED,
             "no offer for caller")
        self._clear_co(dev)

    def accept_co_stake(self, sender: str, d: bytes, amount: int, share_bps: int) -> None:
        """The co-staker accepts the offer on the terms it names (amount, share); other terms revert."""
        _req(not self.paused, PAUSED)
        dev = self.devices.get(d)
        _req(dev is not None and dev.co_staker == sender and dev.co_state == CO_OFFERED,
             "no offer for caller")
        _req(dev.co_amount == amount and dev.co_share_bps == share_bps, "offer terms changed")
        _req(dev.co_amount <= dev.active, "co-stake above 50 %")
        _req(self.offers_held.get(sender, 0) < MAX_OFFERS_PER_CO_STAKER, "co-staker holds 2 offers")
        self._move(sender, "staking", dev.co_amount)
        self.offers_held[sender] = self.offers_held.get(sender, 0) + 1
        dev.co_state = CO_ACTIVE

    def exit_co_stake(self, sender: str, d: bytes, now: int) -> None:
        dev = self.devices.get(d)
        _req(dev is not None and dev.co_staker == sender and dev.co_state == CO_ACTIVE, "co-stake not active")
        dev.co_state, dev.co_exit_at = CO_EXITING, now + EXIT_WAIT_SECONDS

    def withdraw_co_stake(self, sender: str, d: bytes, now: int) -> int:
        dev = self.devices.get(d)
        _req(dev is not None and sender in (dev.co_staker, dev.owner) and sender != "",
             "caller is not the co-staker")
        _req(dev.co_state == CO_EXITING, "co-stake not exiting")
        _req(now >= dev.co_exit_at + COOLDOWN_SECONDS, "cooldown not over")
        amount, staker = dev.co_amount, dev.co_staker
        self._clear_co(dev)
        self.offers_held[staker] -= 1
        self._move("staking", staker, amount)
        return amount

    def claim_refund(self, sender: str) -> int:
        amount = self.refunds.get(sender, 0)
        _req(amount != 0, "no refund")
        self.refunds[sender] = 0
        self._move("staking", sender, amount)
        return amount

    def next_slash_at(self, d: bytes) -> int:
        """The earliest time the device may be slashed again (0: never slashed, any time)."""
        dev = self.devices[d]
        return dev.last_slashed_at + self.min_slash_interval if dev.last_slash_id else 0

    def slash(self, d: bytes, amount: int, jail: bool, now: int) -> int:
        dev = self.devices.get(d)
        _req(dev is not None, "unknown device")
        _req(amount != 0, "amount is zero")
        _req(dev.last_slash_id == 0 or now >= dev.last_slashed_at + self.min_slash_interval,
             "slashed too recently")
        co = self.deposited_co(dev)
        total = dev.active + dev.cooldown + co
        _req(total != 0, "nothing to slash")
        _req(amount * BPS <= total * self.max_slash_bps, "slash above maximum")
        a, c, k = pro_rata(amount, [dev.active, dev.cooldown, co])
        dev.active -= a
        dev.cooldown -= c
        if co:
            dev.co_amount -= k
        dev.last_slashed_at = now
        dev.jailed = dev.jailed or jail
        self.slash_count += 1
        dev.last_slash_id = self.slash_count
        self.slashes[self.slash_count] = Slash(d, a, c, k, dev.co_staker if k else "", now)
        return self.slash_count

    def _pending(self, slash_id: int) -> Slash:
        s = self.slashes.get(slash_id)
        _req(s is not None and s.outcome == SLASH_PENDING, "slash not pending")
        return s

    def overturn_slash(self, slash_id: int, now: int) -> bool:
        s = self._pending(slash_id)
        _req(now < s.created_at + APPEAL_SECONDS, "appeal window over")
        dev = self.devices[s.device]
        dev.active += s.active_part
        dev.cooldown += s.cooldown_part
        to_balance = False
        if s.co_part:
            if dev.co_staker == s.co_staker and dev.co_state >= CO_ACTIVE:
                dev.co_amount += s.co_part
                if self.co_counts(dev, now) and dev.co_amount > dev.active:  # co_cap, by rounding
                    self._push_out(dev, now)
            else:
                to_balance = True
                self.refunds[s.co_staker] = self.refunds.get(s.co_staker, 0) + s.co_part
        s.outcome = SLASH_OVERTURNED
        return to_balance

    def finalize_slash(self, slash_id: int, now: int) -> int:
        s = self._pending(slash_id)
        _req(now >= s.created_at + APPEAL_SECONDS, "appeal window open")
        s.outcome = SLASH_FINALIZED
        self.balances["staking"] = self.balances.get("staking", 0) - s.amount
        self.burned += s.amount
        return s.amount

    def unjail(self, d: bytes) -> None:
        dev = self.devices.get(d)
        _req(dev is not None and dev.jailed, "device not jailed")
        dev.jailed = False

"""The demo economy: a deployed suite, the people in it, a clock and a printer.

The demo is a sequence of sections (`scripts/_demo_<area>.py`, each `run(eco)`) sharing one
Economy, so the story is one timeline: providers stake, renters book, rewards flow, investors claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ape import accounts, chain
from rich.console import Console
from rich.table import Table

from ionet import IO, USDC
from ionet.chain import clock

DAY = 86_400
HOUR = 3_600
MONTH = 2_629_746

# Named roles over ape's test accounts (index into accounts.test_accounts).
ROLE_INDEX = {
    "admin": 0,       # the deployer; holds every admin role in the demo
    "operator": 1,    # settlement operator, reward oracle, slasher
    "treasury": 2,
    "provider_a": 3,  # an H100 data centre
    "provider_b": 4,  # an A100 farm
    "provider_c": 5,  # an RTX 4090 home rig
    "co_staker": 6,
    "renter_x": 7,
    "renter_y": 8,
    "contributor": 9,
    "investor_seed": 10,      # the demo's genesis grants (config/deploy.local.json "vesting")
    "investor_series_a": 11,
    "contributor_b": 12,
}


@dataclass
class Economy:
    suite: Any
    console: Console = field(default_factory=lambda: Console(width=150))
    start_time: int = 0
    notes: dict[str, Any] = field(default_factory=dict)  # what one section leaves for the next

    def __post_init__(self) -> None:
        self.start_time = self.start_time or chain.pending_timestamp

    def __getattr__(self, name: str) -> Any:
        if name in ROLE_INDEX:
            return accounts.test_accounts[ROLE_INDEX[name]]
        raise AttributeError(name)

    # ---------------------------------------------------------------- IO
    def fund(self, who: Any, amount_wei: int) -> int:
        """Pay `amount_wei` IO to `who` out of the Community vault (see `fund_from_community`)."""
        return fund_from_community(self.suite, who, amount_wei)

    # ---------------------------------------------------------------- clock
    def now(self) -> int:
        return chain.blocks.head.timestamp

    def advance(self, seconds: int) -> None:
        clock.advance(seconds)

    def advance_to(self, timestamp: int) -> None:
        clock.advance_to(timestamp)

    def elapsed(self) -> str:
        """Time since genesis as 'day 12 09:00' or 'month 13'."""
        secs = self.now() - self.suite.manifest.genesis_time
        days, rem = divmod(secs, DAY)
        return f"day {days:>4} {rem // HOUR:02d}:{(rem % HOUR) // 60:02d}"

    # ---------------------------------------------------------------- printing
    def section(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")

    def say(self, text: str) -> None:
        self.console.print(f"[dim]{self.elapsed()}[/dim]  {text}")

    def table(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        t = Table(title=title, title_justify="left")
        for i, c in enumerate(columns):
            t.add_column(c, justify="left" if i == 0 else "right")
        for r in rows:
            t.add_row(*[str(x) for x in r])
        self.console.print(t)


def fund_from_community(suite: Any, who: Any, amount_wei: int) -> int:
    """Pay `amount_wei` IO to `who` out of the Community vault, by the vault's rule: its admin (the
    deployer) grants it (the Community schedule is 100 % unlocked at genesis) and releases it to
    `who`. Nobody else holds genesis IO, so the demo, benches and tests fund people this way.
    Returns the grant id."""
    vault = suite.contracts["VestingVault.community"]
    receipt = vault.grant(who, amount_wei, sender=suite.deployer)
    grant_id = vault.Granted.from_receipt(receipt)[0].grant_id
    vault.release(grant_id, sender=suite.deployer)
    return grant_id


def fmt_io(wei: int, places: int = 6) -> str:
    """Wei as IO with `places` decimals and thousands separators, exact (integer arithmetic)."""
    sign = "-" if wei < 0 else ""
    whole, frac = divmod(abs(wei), IO)
    frac_str = str(frac).rjust(18, "0")[:places]
    return f"{sign}{whole:,}.{frac_str}" if places else f"{sign}{whole:,}"


def fmt_usdc(units: int) -> str:
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), USDC)
    return f"{sign}{whole:,}.{str(frac).rjust(6, '0')}"

"""Plain-Python reference model of contracts/RewardsDistributor.vy's claims (what the contract
pays, holds, releases and forfeits for a leaf), for the tests, the demo and front ends.

The model knows the distributor's own state (per party: settled, applied slash, held amount and
its slash; the totals; the active root's leaves). What it needs from NodeStaking is passed in:
the device's reward wallet and latest slash id (`claim_context`) and each slash's outcome
(`slash_outcome`). Reasons are the contract's revert strings, word for word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ionet.merkle import ZERO_ADDRESS, RewardLeaf

SLASH_UNKNOWN, SLASH_PENDING, SLASH_OVERTURNED, SLASH_FINALIZED = 0, 1, 2, 3
MAX_AMOUNT = 2**192 - 1
TOKEN_BALANCE_REASON = "erc20: transfer amount exceeds balance"


class DistributorError(Exception):
    """A call the contract would revert, with the contract's reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Party:
    """One party of a device (the owner: key ZERO_ADDRESS; or a co-staker)."""

    settled: int = 0  # paid + locked into held
    applied: int = 0  # the latest slash applied to it
    held: int = 0  # rewards a slash holds
    held_slash: int = 0  # that slash


@dataclass
class PartyEffects:
    paid: int = 0  # ordinary rewards paid
    locked: int = 0  # newly held
    released: int = 0  # held rewards paid because their slash was overturned (any slash)
    forfeited: int = 0  # held rewards forfeited because their slash was finalized (any slash)
    events: list[tuple] = field(default_factory=list)  # ("Held"|"Released"|"Forfeited", slash_id, amount)

    @property
    def transferred(self) -> int:
        return self.paid + self.released

    @property
    def moved(self) -> int:
        return self.locked + self.released + self.forfeited


@dataclass
class ClaimEffects:
    wallet: str
    owner: PartyEffects
    co: PartyEffects
    co_staker: str

    @property
    def transferred(self) -> int:
        return self.owner.transferred + self.co.transferred


@dataclass
class DistributorModel:
    """The distributor's per-party accounting, one claim (or settle_slash) at a time."""

    parties: dict[tuple[bytes, str], Party] = field(default_factory=dict)
    active_leaves: set[RewardLeaf] = field(default_factory=set)
    total_paid: int = 0
    total_forfeited: int = 0
    total_held: int = 0

    def activate(self, leaves: Iterable[RewardLeaf]) -> None:
        self.active_leaves = set(leaves)

    def party(self, device: bytes, who: str = ZERO_ADDRESS) -> Party:
        return self.parties.get((device, who), Party())

    def plan(
        self,
        leaf: RewardLeaf,
        wallet: str,
        last_slash_id: int,
        outcome: Callable[[int], int],
        pay: bool = True,
        balance: int | None = None,
    ) -> tuple[ClaimEffects, dict[tuple[bytes, str], Party]]:
        """What `claim` (pay) or `settle_slash` (not pay) would do: (effects, new party states).
        Raises DistributorError with the contract's reason when it would revert. With `balance`,
        also the token's reason when the transfers exceed it (what `preview_claim` reports)."""
        if leaf not in self.active_leaves:
            raise DistributorError("RewardsDistributor: invalid proof")
        if wallet == ZERO_ADDRESS:
            raise DistributorError("RewardsDistributor: unknown device")
        if leaf.slash_id < last_slash_id:
            raise DistributorError("RewardsDistributor: slash after active root")
        if leaf.slash_id > last_slash_id:
            raise DistributorError("RewardsDistributor: slash not in staking")
        amounts = [leaf.owner_cumulative, leaf.owner_at_slash]
        if leaf.co_staker != ZERO_ADDRESS:
            amounts += [leaf.co_cumulative, leaf.co_at_slash]
        if max(amounts) > MAX_AMOUNT:  # a party's word holds 192 bits
            raise DistributorError("RewardsDistributor: amount too large")
        new: dict[tuple[bytes, str], Party] = {}
        owner_fx, new[(leaf.device, ZERO_ADDRESS)] = self._party(
            self.party(leaf.device), leaf.owner_cumulative, leaf.owner_at_slash, leaf.slash_id, outcome, pay
        )
        co_fx = PartyEffects()
        if leaf.co_staker != ZERO_ADDRESS:
            co = self.party(leaf.device, leaf.co_staker)
            co_fx, new[(leaf.device, leaf.co_staker)] = self._party(
                co, leaf.co_cumulative, leaf.co_at_slash, leaf.slash_id, outcome, pay
            )
        moved = owner_fx.moved + co_fx.moved
        if pay and moved + owner_fx.paid + co_fx.paid == 0:
            raise DistributorError("RewardsDistributor: nothing to claim")
        if not pay and moved == 0:
            raise DistributorError("RewardsDistributor: nothing to settle")
        fx = ClaimEffects(wallet, owner_fx, co_fx, leaf.co_staker)
        if balance is not None and fx.transferred > balance:
            raise DistributorError(TOKEN_BALANCE_REASON)
        return fx, new

    def apply(
        self, leaf: RewardLeaf, wallet: str, last_slash_id: int, outcome: Callable[[int], int], pay: bool = True
    ) -> ClaimEffects:
        """Do what `claim` (pay) or `settle_slash` (not pay) does; raises DistributorError as it
        would revert."""
        fx, new = self.plan(leaf, wallet, last_slash_id, outcome, pay)
        self.parties.update(new)
        self.total_paid += fx.transferred
        self.total_forfeited += fx.owner.forfeited + fx.co.forfeited
        self.total_held += fx.owner.locked + fx.co.locked
        self.total_held -= fx.owner.released + fx.owner.forfeited + fx.co.released + fx.co.forfeited
        return fx

    @staticmethod
    def _party(
        p0: Party, cumulative: int, at_slash: int, slash_id: int, outcome: Callable[[int], int], pay: bool
    ) -> tuple[PartyEffects, Party]:
        p = Party(p0.settled, p0.applied, p0.held, p0.held_slash)
        fx = PartyEffects()
        if slash_id > p.applied:
            if p.held:  # an earlier slash's held rewards: resolved if decided, else merged
                o = outcome(p.held_slash)
                if o == SLASH_OVERTURNED:
                    fx.released += p.held
                    fx.events.append(("Released", p.held_slash, p.held))
                    p.held = 0
                elif o == SLASH_FINALIZED:
                    fx.forfeited += p.held
                    fx.events.append(("Forfeited", p.held_slash, p.held))
                    p.held = 0
            if at_slash > p.settled:
                fx.locked = at_slash - p.settled
                p.settled = at_slash
                p.held += fx.locked
                fx.events.append(("Held", slash_id, fx.locked))
            p.applied = slash_id
            if p.held:
                p.held_slash = slash_id
        if p.held:
            o = outcome(p.held_slash)
            if o == SLASH_OVERTURNED:
                fx.released += p.held
                fx.events.append(("Released", p.held_slash, p.held))
                p.held = 0
            elif o == SLASH_FINALIZED:
                fx.forfeited += p.held
                fx.events.append(("Forfeited", p.held_slash, p.held))
                p.held = 0
        if pay and cumulative > p.settled:
            fx.paid = cumulative - p.settled
            p.settled = cumulative
        return fx, p

    # ------------------------------------------------------------ invariants
    def settled_sum(self) -> int:
        return sum(p.settled for p in self.parties.values())

    def held_sum(self) -> int:
        return sum(p.held for p in self.parties.values())

"""Plain-Python reference model of contracts/RewardsDistributor.vy's claims and slash settlements
(what the contract pays for a reward leaf; holds, releases and forfeits for a slash leaf), for the
tests, the demo and front ends.

The model knows the distributor's own state (per party: settled and applied slash; per party and
slash: the held amount; the totals; the active root's leaves). What it needs from NodeStaking is passed in:
the device's reward wallet and latest slash id (`claim_context`) and each slash's outcome
(`slash_outcome`). Reasons are the contract's revert strings, word for word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ionet.engines.merkle import ZERO_ADDRESS, Leaf, RewardLeaf, SlashLeaf

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

    settled: int = 0  # paid + locked into holds
    applied: int = 0  # the latest slash applied to it


@dataclass
class PartyEffects:
    paid: int = 0  # ordinary rewards paid (claim)
    locked: int = 0  # newly held (settle_slash)
    released: int = 0  # the slash's hold paid because it was overturned
    forfeited: int = 0  # the slash's hold forfeited because it was finalized
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
    """The distributor's per-party accounting: `claim` of a reward leaf, `settle_slash` of a slash
    leaf, one call at a time. Holds are kept per (device, party, slash) and never merge."""

    parties: dict[tuple[bytes, str], Party] = field(default_factory=dict)
    holds: dict[tuple[bytes, str, int], int] = field(default_factory=dict)  # (device, party, slash) -> held
    active_leaves: set[Leaf] = field(default_factory=set)
    total_paid: int = 0
    total_forfeited: int = 0
    total_held: int = 0

    def activate(self, leaves: Iterable[Leaf]) -> None:
        self.active_leaves = set(leaves)

    def party(self, device: bytes, who: str = ZERO_ADDRESS) -> Party:
        return self.parties.get((device, who), Party())

    def held(self, device: bytes, who: str, slash_id: int) -> int:
        return self.holds.get((device, who, slash_id), 0)

    # ------------------------------------------------------------ claim
    def plan_claim(
        self, leaf: RewardLeaf, wallet: str, last_slash_id: int, balance: int | None = None
    ) -> tuple[ClaimEffects, dict[tuple[bytes, str], Party]]:
        """What `claim` would do: (effects, new party states). Raises DistributorError with the
        contract's reason when it would revert; with `balance`, also the token's reason when the
        transfers exceed it (what `preview_claim` reports)."""
        if leaf not in self.active_leaves:
            raise DistributorError("RewardsDistributor: invalid proof")
        if wallet == ZERO_ADDRESS:
            raise DistributorError("RewardsDistributor: unknown device")
        if leaf.slash_id < last_slash_id:
            raise DistributorError("RewardsDistributor: slash after active root")
        if leaf.slash_id > last_slash_id:
            raise DistributorError("RewardsDistributor: slash not in staking")
        if max(leaf.owner_cumulative, leaf.co_cumulative) > MAX_AMOUNT:  # a party's word holds 192 bits
            raise DistributorError("RewardsDistributor: amount too large")
        owner = self.party(leaf.device)
        if owner.applied != leaf.slash_id:
            raise DistributorError("RewardsDistributor: slash not settled")
        has_co = leaf.co_staker != ZERO_ADDRESS
        co = self.party(leaf.device, leaf.co_staker) if has_co else Party()
        if has_co and co.applied != leaf.co_slash_id:
            raise DistributorError("RewardsDistributor: slash not settled")
        owner_fx, co_fx = PartyEffects(), PartyEffects()
        new: dict[tuple[bytes, str], Party] = {}
        if leaf.owner_cumulative > owner.settled:
            owner_fx.paid = leaf.owner_cumulative - owner.settled
            new[(leaf.device, ZERO_ADDRESS)] = Party(leaf.owner_cumulative, owner.applied)
        if has_co and leaf.co_cumulative > co.settled:
            co_fx.paid = leaf.co_cumulative - co.settled
            new[(leaf.device, leaf.co_staker)] = Party(leaf.co_cumulative, co.applied)
        if owner_fx.paid + co_fx.paid == 0:
            raise DistributorError("RewardsDistributor: nothing to claim")
        fx = ClaimEffects(wallet, owner_fx, co_fx, leaf.co_staker)
        if balance is not None and fx.transferred > balance:
            raise DistributorError(TOKEN_BALANCE_REASON)
        return fx, new

    def claim(self, leaf: RewardLeaf, wallet: str, last_slash_id: int) -> ClaimEffects:
        """Do what `claim` does; raises DistributorError as it would revert."""
        fx, new = self.plan_claim(leaf, wallet, last_slash_id)
        self.parties.update(new)
        self.total_paid += fx.transferred
        return fx

    # ------------------------------------------------------------ settle_slash
    def plan_settle(
        self,
        leaf: SlashLeaf,
        wallet: str,
        last_slash_id: int,
        outcome: Callable[[int], int],
        balance: int | None = None,
    ) -> tuple[ClaimEffects, dict[tuple[bytes, str], Party], dict[tuple[bytes, str, int], int]]:
        """What `settle_slash` would do: (effects, new party states, new holds). Raises
        DistributorError with the contract's reason when it would revert."""
        if leaf not in self.active_leaves:
            raise DistributorError("RewardsDistributor: invalid proof")
        if wallet == ZERO_ADDRESS:
            raise DistributorError("RewardsDistributor: unknown device")
        if leaf.slash_id == 0 or leaf.slash_id > last_slash_id:
            raise DistributorError("RewardsDistributor: slash not in staking")
        o = outcome(leaf.slash_id)
        new: dict[tuple[bytes, str], Party] = {}
        holds: dict[tuple[bytes, str, int], int] = {}
        effects = []
        changed = False
        parties = [(ZERO_ADDRESS, leaf.owner_prev, leaf.owner_at)]
        if leaf.co_staker != ZERO_ADDRESS:
            parties.append((leaf.co_staker, leaf.co_prev, leaf.co_at))
        for who, prev, at in parties:
            if at > MAX_AMOUNT:
                raise DistributorError("RewardsDistributor: amount too large")
            p = self.party(leaf.device, who)
            fx = PartyEffects()
            key = (leaf.device, who, leaf.slash_id)
            if leaf.slash_id > p.applied:
                if p.applied != prev:
                    raise DistributorError("RewardsDistributor: earlier slash not settled")
                fx.locked = max(0, at - p.settled)
                new[(leaf.device, who)] = Party(max(p.settled, at), leaf.slash_id)
                fx.events.append(("Held", leaf.slash_id, fx.locked))
                held_before, held = 0, fx.locked
                changed = True
            else:
                held_before = held = self.holds.get(key, 0)
            if held and o == SLASH_OVERTURNED:
                fx.released, held = held, 0
                fx.events.append(("Released", leaf.slash_id, fx.released))
            elif held and o == SLASH_FINALIZED:
                fx.forfeited, held = held, 0
                fx.events.append(("Forfeited", leaf.slash_id, fx.forfeited))
            if held != held_before:
                holds[key] = held
                changed = True
            effects.append(fx)
        if not changed:
            raise DistributorError("RewardsDistributor: nothing to settle")
        fx = ClaimEffects(wallet, effects[0], effects[1] if len(effects) > 1 else PartyEffects(), leaf.co_staker)
        if balance is not None and fx.transferred > balance:
            raise DistributorError(TOKEN_BALANCE_REASON)
        return fx, new, holds

    def settle(self, leaf: SlashLeaf, wallet: str, last_slash_id: int, outcome: Callable[[int], int]) -> ClaimEffects:
        """Do what `settle_slash` does; raises DistributorError as it would revert."""
        fx, new, holds = self.plan_settle(leaf, wallet, last_slash_id, outcome)
        self.parties.update(new)
        self.holds.update(holds)
        self.total_paid += fx.transferred
        self.total_forfeited += fx.owner.forfeited + fx.co.forfeited
        self.total_held += fx.owner.locked + fx.co.locked
        self.total_held -= fx.owner.released + fx.owner.forfeited + fx.co.released + fx.co.forfeited
        return fx

    def apply(
        self, leaf: Leaf, wallet: str, last_slash_id: int, outcome: Callable[[int], int] | None = None
    ) -> ClaimEffects:
        """`settle` for a slash leaf, `claim` for a reward leaf."""
        if isinstance(leaf, SlashLeaf):
            return self.settle(leaf, wallet, last_slash_id, outcome or (lambda _id: SLASH_UNKNOWN))
        return self.claim(leaf, wallet, last_slash_id)

    # ------------------------------------------------------------ invariants
    def settled_sum(self) -> int:
        return sum(p.settled for p in self.parties.values())

    def held_sum(self) -> int:
        return sum(self.holds.values())

"""Supply properties of IOToken + EmissionSchedule over random histories, against ionet.models.emission.

Each rule is one transaction on Anvil; after every step the machine checks the token's invariants
(IOToken @dev 1-3) and the schedule's (EmissionSchedule @dev 1-3) against a plain-Python model.
"""

from __future__ import annotations

from ape import chain
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ionet import IO
from ionet.models import emission as model
from tests.machines import SCALE

HOLDERS = 4
JUMPS = st.one_of(
    st.integers(min_value=1, max_value=3 * 3_600),           # within a few epochs
    st.integers(min_value=3_600, max_value=40 * 86_400),      # days to weeks
    st.integers(min_value=86_400, max_value=3 * 365 * 86_400),  # months to years (reaches the end)
)


class SupplyMachine(RuleBasedStateMachine):
    token = emission = owner = None
    holders: list = []

    def __init__(self):
        super().__init__()
        self.snap = chain.snapshot()
        self.start = self.emission.START_TIME()
        self.recipient = self.emission.reward_recipient()
        self.total_minted = model.GENESIS_SUPPLY
        self.burned = 0
        self.balances = {a.address: self.token.balanceOf(a) for a in [self.owner, *self.holders]}
        self.mint_calls = 0

    def teardown(self):
        chain.restore(self.snap)

    # ---------------------------------------------------------------- rules
    @rule(seconds=JUMPS)
    def jump(self, seconds):
        chain.pending_timestamp = chain.pending_timestamp + seconds
        chain.mine()

    @rule()
    def mint_due(self):
        receipt = self.emission.mint_due(sender=self.holders[0])
        now = chain.blocks[receipt.block_number].timestamp
        due = model.due_at(self.start, now)
        expected = due - (self.total_minted - model.GENESIS_SUPPLY)
        assert receipt.return_value == expected
        self.total_minted += expected
        self.balances[self.recipient] = self.balances.get(self.recipient, 0) + expected
        # invariant 3 of EmissionSchedule: however many calls came before, the total is what one
        # call at this moment would have minted.
        assert self.emission.total_emitted() == due
        self.mint_calls += 1

    @rule(src=st.integers(0, HOLDERS), dst=st.integers(0, HOLDERS), frac=st.integers(0, 1_000))
    def transfer(self, src, dst, frac):
        accts = [self.owner, *self.holders]
        a, b = accts[src], accts[dst]
        amount = self.balances[a.address] * frac // 1_000
        self.token.transfer(b, amount, sender=a)
        self.balances[a.address] -= amount
        self.balances[b.address] += amount

    @precondition(lambda self: self.balances[self.owner.address] > 0)
    @rule(frac=st.integers(1, 1_000))
    def burn(self, frac):
        amount = max(1, self.balances[self.owner.address] * frac // 100_000)
        self.token.burn(amount, sender=self.owner)
        self.balances[self.owner.address] -= amount
        self.burned += amount

    # ---------------------------------------------------------------- invariants
    @invariant()
    def total_minted_never_exceeds_MAX_SUPPLY(self):
        assert self.token.total_minted() == self.total_minted <= model.MAX_SUPPLY

    @invariant()
    def totalSupply_equals_total_minted_minus_burned(self):
        assert self.token.totalSupply() == self.total_minted - self.burned
        assert self.token.total_burned() == self.burned

    @invariant()
    def minted_never_exceeds_the_schedule_at_current_time(self):
        now = chain.blocks.head.timestamp
        emitted = self.emission.total_emitted()
        assert emitted == self.total_minted - model.GENESIS_SUPPLY
        assert emitted <= model.due_at(self.start, now) <= model.TOTAL_EMISSION
        assert self.emission.mintable() == model.due_at(self.start, now) - emitted

    @invariant()
    def balances_match_model(self):
        for addr, bal in self.balances.items():
            assert self.token.balanceOf(addr) == bal


def test_supply_invariants__random_histories__hold_after_every_step(token, emission, owner, accounts, fund):
    """total_minted <= MAX_SUPPLY; totalSupply == total_minted - burned; minted never exceeds the
    schedule at the current time; many mint_due calls mint exactly what one call would."""
    SupplyMachine.token, SupplyMachine.emission, SupplyMachine.owner = token, emission, owner
    SupplyMachine.holders = [accounts[i] for i in range(3, 3 + HOLDERS)]
    # After deployment the genesis sits in the vesting vaults: give the machine's accounts IO to move.
    for i, who in enumerate([owner, *SupplyMachine.holders]):
        fund(who, (i + 1) * 1_000_000 * IO)
        assert token.balanceOf(who) >= (i + 1) * 1_000_000 * IO
    run_state_machine_as_test(
        SupplyMachine,
        settings=settings(max_examples=8 * SCALE, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )


def test_mint_due__many_calls_vs_one_call__identical_totals(token, emission, accounts):
    """The same end time reached by 30 small jumps with a call after each, or by one call."""
    start = emission.START_TIME()
    end = start + 30 * 5_000 + 17
    snap = chain.snapshot()
    try:
        chain.pending_timestamp = end
        chain.mine()
        one = emission.mint_due(sender=accounts[3]).return_value
    finally:
        chain.restore(snap)
    for k in range(1, 31):
        chain.pending_timestamp = start + k * 5_000 + (17 if k == 30 else 0)
        chain.mine()
        emission.mint_due(sender=accounts[3])
    assert emission.total_emitted() == one == model.due_at(start, end)
    assert token.total_minted() == model.GENESIS_SUPPLY + one
    assert one > 40 * 4_000 * IO  # 41 epochs ended

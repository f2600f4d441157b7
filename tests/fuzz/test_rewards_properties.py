"""RewardsDistributor state machine against a plain-Python model: random accruals, root updates
(published, cancelled, activated), claims in any order, slashes and recycled forfeits.

Invariants checked after every step (the contract's @dev names them):
claimed_le_cumulative, settled_sum, paid_le_received, root_funded, forfeit_stays_in_pool, delay.
"""

from __future__ import annotations

from collections import Counter

from ape import chain
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ionet import IO
from ionet.merkle import MerkleTree
from tests.rewards_helpers import DELAY, advance, dev

N_DEVICES = 4
SHARES = [0, 2_500, 0, 5_000]  # co-staker share per device (bps); 0 = no co-staker


class RewardsMachine(RuleBasedStateMachine):
    ctx: dict = {}
    seen: Counter = Counter()  # what the runs exercised (checked at the end: not vacuous)

    def __init__(self):
        super().__init__()
        self.snap = chain.snapshot()
        c = self.ctx
        self.d, self.token, self.mock = c["distributor"], c["token"], c["mock"]
        self.owner, self.oracle, self.wallets, self.co = c["owner"], c["oracle"], c["wallets"], c["co"]
        self.devices = [dev(500 + i) for i in range(N_DEVICES)]
        # model
        self.next_cum = {d: 0 for d in self.devices}  # what the oracle will publish next
        self.active_cum: dict[bytes, int] = {}
        self.active_total = 0
        self.active_through = 0
        self.pending: tuple[MerkleTree, dict[bytes, int], int, int] | None = None  # tree, cum, published_at
        self.claimed = {d: 0 for d in self.devices}
        self.cleared = {d: 0 for d in self.devices}
        self.slashed_at = {d: 0 for d in self.devices}
        self.received = self.token.balanceOf(self.d)
        self.paid = 0
        self.forfeited = 0
        self.recycled = 0
        self.wallet_gain = {a.address: 0 for a in self.wallets + [self.co]}
        self.wallet_start = {a: self.token.balanceOf(a) for a in self.wallet_gain}
        self.tree: MerkleTree | None = None

    @initialize(amounts=st.lists(st.integers(1, 1_000 * IO), min_size=N_DEVICES, max_size=N_DEVICES))
    def register_and_first_root(self, amounts):
        """Every run starts with registered devices and an active first root."""
        for i, d in enumerate(self.devices):
            co = self.co.address if SHARES[i] else "0x" + "00" * 20
            w = self.wallets[i % len(self.wallets)]
            self.mock.set_device(d, w, w, co, SHARES[i], True, sender=self.owner)
        self.accrue(amounts)
        self.publish()
        self.activate(DELAY)

    # ------------------------------------------------------------ rules
    @rule(amounts=st.lists(st.integers(0, 1_000 * IO), min_size=N_DEVICES, max_size=N_DEVICES))
    def accrue(self, amounts):
        """Emission arrives and the engine credits it to the devices."""
        if sum(amounts) == 0:
            return
        self.token.transfer(self.d, sum(amounts), sender=self.owner)
        self.received += sum(amounts)
        for d, a in zip(self.devices, amounts, strict=True):
            self.next_cum[d] += a

    @precondition(lambda self: self.forfeited > self.recycled)
    @rule(i=st.integers(0, N_DEVICES - 1))
    def recycle_forfeit(self, i):
        """The engine gives forfeited IO to another device (no new funding)."""
        self.next_cum[self.devices[i]] += self.forfeited - self.recycled
        self.recycled = self.forfeited

    @precondition(
        lambda self: (
            any(self.next_cum.values())
            and (self.pending is None or chain.blocks.head.timestamp >= self.pending[2] + DELAY)
        )
    )
    @rule()
    def publish(self):
        advance(1)
        cum = {d: a for d, a in self.next_cum.items() if a > 0}
        tree = MerkleTree(sorted(cum.items()))
        total = sum(cum.values())
        assert total <= self.received + self.forfeited and total >= self.active_total
        receipt = self.d.publish_root(tree.root, total, 0, chain.blocks.head.timestamp, sender=self.oracle)
        if self.pending:  # a due pending root was activated first
            self._activate_model()
        self.pending = (tree, cum, receipt.timestamp, total)

    @precondition(lambda self: self.pending is not None)
    @rule()
    def cancel(self):
        self.d.cancel_root(sender=self.owner)
        self.pending = None

    @precondition(lambda self: self.pending is not None)
    @rule(wait=st.sampled_from([DELAY // 2, DELAY, DELAY]))
    def activate(self, wait):
        advance(wait)
        if self.pending and chain.pending_timestamp >= self.pending[2] + DELAY:
            self.d.activate_root(sender=self.oracle)
            self._activate_model()
            event("root activated")
            RewardsMachine.seen["activated"] += 1

    @rule(i=st.integers(0, 3 * N_DEVICES - 1))
    def slash(self, i):
        if i >= N_DEVICES:  # slashes are rarer than claims: two draws in three do nothing
            return
        # prefer a device with something claimable under the active root (so a forfeit follows)
        due = [d for d in self.devices if self.active_cum.get(d, 0) > self.claimed[d]] or self.devices
        d = due[i % len(due)]
        r = self.mock.mark_slashed(d, sender=self.owner)
        self.slashed_at[d] = r.timestamp

    @precondition(lambda self: any(a > self.claimed[d] for d, a in self.active_cum.items()))
    @rule(i=st.integers(0, N_DEVICES - 1))
    def claim(self, i):
        due = [k for k, d in enumerate(self.devices) if self.active_cum.get(d, 0) > self.claimed[d]]
        i = due[i % len(due)]  # claims in any order, always one that is due
        d = self.devices[i]
        cum = self.active_cum[d]
        idx = [x for x, _ in self.tree.entries].index(d)
        balance = self.token.balanceOf(self.d)
        self.d.claim(d, cum, self.tree.proof(idx), sender=self.owner)
        amount = cum - self.claimed[d]
        self.claimed[d] = cum
        assert self.d.claimed(d) == cum  # claimed_le_cumulative: exactly the proven cumulative
        s = self.slashed_at[d]
        if s and s > self.cleared[d]:
            if self.active_through >= s:
                self.cleared[d] = s
            self.forfeited += amount
            assert self.token.balanceOf(self.d) == balance  # forfeit_stays_in_pool
            event("claim forfeited")
            RewardsMachine.seen["forfeited"] += 1
        else:
            self.paid += amount
            event("claim paid" + (" with co-staker" if SHARES[i] else ""))
            RewardsMachine.seen["paid co" if SHARES[i] else "paid"] += 1
            co_amount = amount * SHARES[i] // 10_000
            self.wallet_gain[self.wallets[i % len(self.wallets)].address] += amount - co_amount
            self.wallet_gain[self.co.address] += co_amount

    def _activate_model(self):
        tree, cum, _, total = self.pending
        self.tree, self.active_cum, self.active_total = tree, cum, total
        self.active_through = self.d.active().through_time
        self.pending = None

    # ------------------------------------------------------------ invariants
    @invariant()
    def invariants(self):
        """claimed_le_cumulative, settled_sum, paid_le_received, root_funded, delay."""
        for d in self.devices:  # per-device counters are read from the chain in claim and teardown
            assert self.claimed[d] <= self.active_cum.get(d, 0)  # claimed_le_cumulative
        assert self.d.total_paid() == self.paid and self.d.total_forfeited() == self.forfeited
        assert self.paid + self.forfeited == sum(self.claimed.values())  # settled_sum
        balance = self.token.balanceOf(self.d)
        assert self.paid <= self.received and balance == self.received - self.paid  # paid_le_received
        assert self.active_total <= self.received + self.forfeited  # root_funded
        owed = sum(max(0, a - self.claimed[d]) for d, a in self.active_cum.items())
        assert owed <= balance  # the balance covers what the active root still owes
        p = self.d.pending()
        assert p.root == (self.pending[0].root if self.pending else b"\x00" * 32)  # delay
        assert self.d.active().root == (self.tree.root if self.tree else b"\x00" * 32)

    def teardown(self):
        try:
            for d in self.devices:
                assert self.d.claimed(d) == self.claimed[d]
                assert self.d.slash_cleared(d) == self.cleared[d]
            for a, gain in self.wallet_gain.items():  # every wallet got exactly its split
                assert self.token.balanceOf(a) - self.wallet_start[a] == gain
        finally:
            chain.restore(self.snap)


def test_state_machine__random_steps__claimed_le_cumulative_settled_sum_paid_le_received_root_funded_forfeit_stays_in_pool_delay(  # noqa: E501
    distributor, token, mock_staking, owner, operator, alice, bob, carol, fund
):
    """claimed_le_cumulative, settled_sum, paid_le_received, root_funded, forfeit_stays_in_pool and
    delay hold over random sequences of accruals, roots, cancels, activations, slashes and claims."""
    # `owner` stands in for the emission (accrue transfers to the distributor): at most
    # 30 steps x 4 devices x 1,000 IO, so 1M IO out of the Community vault is plenty.
    fund(owner, 1_000_000 * IO)
    RewardsMachine.ctx = {
        "distributor": distributor,
        "token": token,
        "mock": mock_staking,
        "owner": owner,
        "oracle": operator,
        "wallets": [alice, bob],
        "co": carol,
    }
    run_state_machine_as_test(
        RewardsMachine,
        settings=settings(
            deadline=None,
            max_examples=12,
            stateful_step_count=30,
            derandomize=True,  # the same examples every run (the coverage check below must not flake)
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    seen = RewardsMachine.seen
    assert seen["paid"] + seen["paid co"] and seen["forfeited"] and seen["activated"], seen

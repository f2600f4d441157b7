"""RewardsDistributor state machine against the plain-Python model (ionet.models.distributor): random
accruals split by the co-staker in force, co-staker changes, overlapping slashes (hitting the
co-staker or not) and their outcomes (overturned, finalized) in any mix, roots (published,
cancelled, activated), claims, and settle_slash calls in any order by the owner's wallet, the
co-staker or a stranger, recycled forfeits.

After every step the model and the contract agree on every party's settled amount and applied
slash, on every (party, slash) hold, and on the totals; the invariants of the contract's @dev are
checked by name: settled_le_cumulative, settled_sum, held_never_paid_while_pending,
release_only_when_overturned, forfeit_only_when_finalized, slash_committed, paid_le_received,
root_funded, delay, holds_follow_own_slash.
"""

from __future__ import annotations

from collections import Counter

import ape
from ape import chain
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.engines.merkle import MerkleTree, RewardLeaf, SlashLeaf
from ionet.models.distributor import (
    SLASH_FINALIZED,
    SLASH_OVERTURNED,
    SLASH_PENDING,
    DistributorError,
    DistributorModel,
)
from tests.machines import run_until_covered
from tests.rewards_helpers import DELAY, advance, dev

N_DEVICES = 3
BPS = 10_000
SLACK = 600  # seconds kept between any wait and the activation delay's boundary
MAX_SLASHES = 6


class RewardsMachine(RuleBasedStateMachine):
    ctx: dict = {}
    seen: Counter = Counter()  # what the runs exercised (checked at the end: not vacuous)

    def __init__(self):
        super().__init__()
        self.snap = chain.snapshot()
        c = self.ctx
        self.d, self.token, self.mock = c["distributor"], c["token"], c["mock"]
        self.owner, self.oracle = c["owner"], c["oracle"]
        self.wallets = [a.address for a in c["wallets"]]
        self.accounts = {a.address: a for a in [*c["wallets"], *c["co_stakers"], c["stranger"]]}
        self.stranger = c["stranger"]
        self.cos = [a.address for a in c["co_stakers"]]
        self.devices = [dev(700 + i) for i in range(N_DEVICES)]
        self.wallet_of = {d: self.wallets[i % len(self.wallets)] for i, d in enumerate(self.devices)}
        # the oracle's truth (what the engine would compute)
        self.co_now: dict[bytes, tuple[str, int]] = {d: (ZERO, 0) for d in self.devices}
        self.owner_cum = {d: 0 for d in self.devices}
        self.co_cum: dict[bytes, dict[str, int]] = {d: {} for d in self.devices}
        self.marks: dict[bytes, list[SlashLeaf]] = {d: [] for d in self.devices}  # every slash, in order
        self.outcome: dict[int, int] = {}
        self.last_slash: dict[bytes, int] = {d: 0 for d in self.devices}
        # the distributor
        self.model = DistributorModel()
        self.tree: MerkleTree | None = None
        self.active_total = 0
        self.pending: tuple[MerkleTree, int, int] | None = None  # tree, total, published_at
        self.received = self.token.balanceOf(self.d)
        self.recycled = 0
        self.gain = {a: 0 for a in self.wallets + self.cos}
        self.start = {a: self.token.balanceOf(a) for a in self.gain}
        self.prev_settled: dict[tuple[bytes, str], int] = {}
        self.prev_held: dict[tuple[bytes, str, int], int] = {}
        self.touched: set[tuple[bytes, str]] = set()  # parties whose words the last step could write
        self.held_keys: set[tuple[bytes, str, int]] = set()  # (device, party, slash) that held something

    # ------------------------------------------------------------ helpers
    def parties(self) -> list[tuple[bytes, str]]:
        return [(d, ZERO) for d in self.devices] + [(d, c) for d in self.devices for c in self.cos]

    def leaves(self) -> list[RewardLeaf | SlashLeaf]:
        """What the engine would root now: the reward leaves, then every slash leaf."""
        out: list[RewardLeaf | SlashLeaf] = []
        for d in self.devices:
            own = self.owner_cum[d]
            cos = {c: a for c, a in self.co_cum[d].items() if a > 0}
            if own == 0 and not cos:
                continue
            marks = self.marks[d]
            sid = marks[-1].slash_id if marks else 0
            if not cos:
                out.append(RewardLeaf(d, own, ZERO, 0, sid, 0))
            for c in sorted(cos):
                out.append(
                    RewardLeaf(
                        d, own, c, cos[c], sid, next((m.slash_id for m in reversed(marks) if m.co_staker == c), 0)
                    )
                )
        return out + [m for d in self.devices for m in self.marks[d]]

    def outcome_of(self, sid: int) -> int:
        return self.outcome.get(sid, 0)

    # ------------------------------------------------------------ rules
    @initialize(amounts=st.lists(st.integers(1, 500 * IO), min_size=N_DEVICES, max_size=N_DEVICES))
    def register_and_first_root(self, amounts):
        """Every run starts with registered devices (the first with a co-staker) and a first root."""
        for d in self.devices:
            w = self.wallet_of[d]
            self.mock.set_device(d, w, w, ZERO, 0, True, sender=self.owner)
        self.change_co(0, 1)
        self.accrue(amounts)
        self.publish()
        self.activate(DELAY + SLACK)

    @rule(amounts=st.lists(st.integers(0, 500 * IO), min_size=N_DEVICES, max_size=N_DEVICES))
    def accrue(self, amounts):
        """Emission arrives; each device's part is split by the co-stake in force now."""
        if sum(amounts) == 0:
            return
        self.token.transfer(self.d, sum(amounts), sender=self.owner)
        self.received += sum(amounts)
        for d, a in zip(self.devices, amounts, strict=True):
            co, share = self.co_now[d]
            co_part = a * share // BPS if co != ZERO else 0
            self.owner_cum[d] += a - co_part
            if co_part:
                self.co_cum[d][co] = self.co_cum[d].get(co, 0) + co_part

    @rule(i=st.integers(0, N_DEVICES - 1), choice=st.integers(0, 2))
    def change_co(self, i, choice):
        """The device's co-staker changes (0: none, e.g. pushed out by an unstake)."""
        d = self.devices[i]
        co, share = (ZERO, 0) if choice == 0 else (self.cos[choice - 1], 2_500 * choice)
        self.co_now[d] = (co, share)
        w = self.wallet_of[d]
        self.mock.set_device(d, w, w, co, share, True, sender=self.owner)
        RewardsMachine.seen["co changed"] += 1

    @precondition(lambda self: self.model.total_forfeited > self.recycled)
    @rule(i=st.integers(0, N_DEVICES - 1))
    def recycle_forfeit(self, i):
        """The engine gives forfeited IO to a device (no new funding)."""
        self.owner_cum[self.devices[i]] += self.model.total_forfeited - self.recycled
        self.recycled = self.model.total_forfeited

    # At most MAX_SLASHES per run: enough for overlaps of every mix, few enough that roots catch up
    # and the slash leaves get settled and claimed.
    @precondition(lambda self: sum(len(m) for m in self.marks.values()) < MAX_SLASHES)
    @rule(i=st.integers(0, N_DEVICES - 1), hit_co=st.booleans())
    def slash(self, i, hit_co):
        d = self.devices[i]
        self.mock.mark_slashed(d, sender=self.owner)
        sid = self.mock.last_slash_id(d)
        co, _ = self.co_now[d]
        hit = co if hit_co and co != ZERO else ZERO
        marks = self.marks[d]
        owner_prev = marks[-1].slash_id if marks else 0
        co_prev = next((m.slash_id for m in reversed(marks) if m.co_staker == hit), 0) if hit != ZERO else 0
        co_at = self.co_cum[d].get(hit, 0) if hit != ZERO else 0
        marks.append(SlashLeaf(d, sid, owner_prev, self.owner_cum[d], hit, co_prev, co_at))
        if any(o == SLASH_PENDING for m in marks[:-1] for o in [self.outcome[m.slash_id]]):
            RewardsMachine.seen["overlapping slashes"] += 1
        self.outcome[sid] = SLASH_PENDING
        self.last_slash[d] = sid
        RewardsMachine.seen["slashed"] += 1

    @precondition(lambda self: any(o == SLASH_PENDING for o in self.outcome.values()))
    @rule(k=st.integers(0, 100), overturn=st.booleans())
    def decide(self, k, overturn):
        """Governance overturns a pending slash, or its window passes and it is finalized."""
        pending = sorted(s for s, o in self.outcome.items() if o == SLASH_PENDING)
        sid = pending[k % len(pending)]
        self.outcome[sid] = SLASH_OVERTURNED if overturn else SLASH_FINALIZED
        self.mock.set_slash_outcome(sid, self.outcome[sid], sender=self.owner)

    @precondition(
        lambda self: (
            any(self.owner_cum.values())
            and (self.pending is None or chain.blocks.head.timestamp >= self.pending[2] + DELAY)
        )
    )
    @rule()
    def publish(self):
        advance(1)
        leaves = self.leaves()
        tree = MerkleTree(leaves)
        total = sum(self.owner_cum.values()) + sum(sum(c.values()) for c in self.co_cum.values())
        assert total <= self.received + self.model.total_forfeited and total >= self.active_total
        receipt = self.d.publish_root(tree.root, total, 0, chain.blocks.head.timestamp, sender=self.oracle)
        if self.pending:  # a due pending root was activated first
            self._activate_model()
        self.pending = (tree, total, receipt.timestamp)

    @precondition(lambda self: any(self.owner_cum.values()) and self.pending is None)
    @rule()
    def publish_and_activate(self):
        """A root published and, after its delay, activated (the oracle's usual cycle)."""
        self.publish()
        self.activate(DELAY + SLACK)

    @precondition(lambda self: self.pending is not None)
    @rule()
    def cancel(self):
        self.d.cancel_root(sender=self.owner)
        self.pending = None

    @precondition(lambda self: self.pending is not None)
    # Waits stay clear of the delay's boundary: Anvil stamps each block with the wall clock too, so
    # a wait of exactly DELAY would activate or not depending on how fast the machine runs.
    @rule(wait=st.sampled_from([DELAY // 2 - SLACK, DELAY + SLACK, DELAY + SLACK]))
    def activate(self, wait):
        advance(wait)
        if self.pending and chain.pending_timestamp >= self.pending[2] + DELAY:
            self.d.activate_root(sender=self.oracle)
            self._activate_model()
            event("root activated")
            RewardsMachine.seen["activated"] += 1

    @precondition(lambda self: self.tree is not None)
    @rule(k=st.integers(0, 1_000))
    def claim(self, k):
        """Anyone claims a reward leaf of the active root, as the model predicts."""
        entries = [(i, e) for i, e in enumerate(self.tree.entries) if isinstance(e, RewardLeaf)]
        i, leaf = entries[k % len(entries)]
        self._call(i, leaf, self.owner)

    @precondition(lambda self: self.tree is not None and any(isinstance(e, SlashLeaf) for e in self.tree.entries))
    @rule(k=st.integers(0, 1_000), who=st.sampled_from(["owner", "co-staker", "stranger"]))
    def settle(self, k, who):
        """settle_slash of a slash leaf of the active root, in any order, called by the device's
        reward wallet, the co-staker it hit (or another one) or a stranger."""
        entries = [(i, e) for i, e in enumerate(self.tree.entries) if isinstance(e, SlashLeaf)]
        i, leaf = entries[k % len(entries)]
        if who == "owner":
            sender = self.accounts[self.wallet_of[leaf.device]]
        elif who == "co-staker":
            sender = self.accounts[leaf.co_staker if leaf.co_staker != ZERO else self.cos[k % len(self.cos)]]
        else:
            sender = self.stranger
        self._call(i, leaf, sender)
        RewardsMachine.seen[f"settled by {who}"] += 1

    @precondition(lambda self: self.tree is not None and any(isinstance(e, SlashLeaf) for e in self.tree.entries))
    @rule(
        i=st.integers(0, N_DEVICES - 1),
        order=st.randoms(use_true_random=False),
        who=st.sampled_from(["owner", "stranger"]),
    )
    def settle_device(self, i, order, who):
        """Every slash leaf of one device settled once, in a random order (out-of-order calls
        revert "earlier slash not settled" exactly when the model says so), then its claims."""
        d = self.devices[i]
        slashes = [(j, e) for j, e in enumerate(self.tree.entries) if isinstance(e, SlashLeaf) and e.device == d]
        order.shuffle(slashes)
        sender = self.accounts[self.wallet_of[d]] if who == "owner" else self.stranger
        for j, leaf in slashes:
            self._call(j, leaf, sender)
        for j, leaf in enumerate(self.tree.entries):
            if isinstance(leaf, RewardLeaf) and leaf.device == d:
                self._call(j, leaf, sender)
        if len(slashes) > 1:
            RewardsMachine.seen["device settled in random order"] += 1
        if slashes:
            RewardsMachine.seen[f"settled by {who}"] += 1

    @precondition(lambda self: self.pending is None and sum(len(m) for m in self.marks.values()) <= MAX_SLASHES - 2)
    @rule(
        i=st.integers(0, N_DEVICES - 1),
        earned=st.lists(st.integers(1, 100 * IO), min_size=3, max_size=3),
        hits=st.tuples(st.booleans(), st.booleans()),
        outcomes=st.tuples(*[st.sampled_from([SLASH_PENDING, SLASH_PENDING, SLASH_OVERTURNED, SLASH_FINALIZED])] * 2),
        order=st.randoms(use_true_random=False),
        who=st.sampled_from(["owner", "stranger"]),
        co=st.integers(0, 2),
    )
    def overlapping_slashes(self, i, earned, hits, outcomes, order, who, co):
        """Two slashes of one device while the first is pending (rewards earned before, between and
        after, split with the co-staker put in force first, if any), one root commits both, each
        decided in any mix of outcomes, then every slash leaf settled in a random order and the
        claims made: every hold follows its own slash."""
        d = self.devices[i]
        if co and self.co_now[d][0] != self.cos[co - 1]:
            self.change_co(i, co)
        for k in range(3):
            self.accrue([earned[k] if j == i else 0 for j in range(N_DEVICES)])
            if k < 2:
                self.slash(i, hits[k])
        self.publish()
        self.activate(DELAY + SLACK)
        for m, outcome in zip(self.marks[d][-2:], outcomes, strict=True):
            if outcome != SLASH_PENDING and self.outcome[m.slash_id] == SLASH_PENDING:
                self.outcome[m.slash_id] = outcome
                self.mock.set_slash_outcome(m.slash_id, outcome, sender=self.owner)
        self.settle_device(i, order, who)
        RewardsMachine.seen["overlapping scenario"] += 1

    def _call(self, i: int, leaf: RewardLeaf | SlashLeaf, sender) -> None:
        proof = self.tree.proof(i)
        wallet = self.wallet_of[leaf.device]
        is_slash = isinstance(leaf, SlashLeaf)
        call = self.d.settle_slash if is_slash else self.d.claim
        balance = self.token.balanceOf(self.d)
        self.touched |= {(leaf.device, ZERO), (leaf.device, leaf.co_staker)}
        last = self.last_slash[leaf.device]
        try:
            if is_slash:
                fx, _, _ = self.model.plan_settle(leaf, wallet, last, self.outcome_of, balance)
            else:
                fx, _ = self.model.plan_claim(leaf, wallet, last, balance)
        except DistributorError as e:
            with ape.reverts(e.reason):
                call(*leaf, proof, sender=sender)
            preview = self.d.preview_settle_slash if is_slash else self.d.preview_claim
            assert preview(*leaf, proof).reason == e.reason
            for reason in ("slash after active root", "slash not settled", "earlier slash not settled"):
                if e.reason.endswith(reason):  # slash_committed, slashes in order
                    RewardsMachine.seen[reason] += 1
            return
        if is_slash:
            p = self.d.preview_settle_slash(*leaf, proof)
            assert (p.owner_held, p.owner_released, p.owner_forfeited, p.reason) == (
                fx.owner.locked,
                fx.owner.released,
                fx.owner.forfeited,
                "",
            )
            assert (p.co_held, p.co_released, p.co_forfeited) == (fx.co.locked, fx.co.released, fx.co.forfeited)
            assert p.outcome == self.outcome_of(leaf.slash_id)
        else:
            p = self.d.preview_claim(*leaf, proof)
            assert (p.owner_amount, p.co_amount, p.reason) == (fx.owner.transferred, fx.co.transferred, "")
            assert self.d.claimable(*leaf, proof) == fx.transferred
        receipt = call(*leaf, proof, sender=sender)
        fx = self.model.apply(leaf, wallet, last, self.outcome_of)
        # forfeit_only_when_finalized: a forfeit moves no token; only transfers leave the balance
        assert self.token.balanceOf(self.d) == balance - fx.transferred
        self.gain[wallet] += fx.owner.transferred
        if leaf.co_staker != ZERO:
            self.gain[leaf.co_staker] += fx.co.transferred
        names = {"RewardsHeld": "Held", "RewardsReleased": "Released", "RewardsForfeited": "Forfeited"}
        got = [(e.party, names[e.event_name], e.slash_id, e.amount) for e in receipt.events if e.event_name in names]
        want = [(ZERO, *x) for x in fx.owner.events] + [(leaf.co_staker, *x) for x in fx.co.events]
        assert got == want
        for e in receipt.events:
            if e.event_name == "RewardsReleased":  # release_only_when_overturned
                assert self.mock.slash_outcome(e.slash_id) == SLASH_OVERTURNED
            if e.event_name == "RewardsForfeited":  # forfeit_only_when_finalized
                assert self.mock.slash_outcome(e.slash_id) == SLASH_FINALIZED
        for what, amount in (
            ("paid", fx.owner.paid + fx.co.paid),
            ("co paid", fx.co.paid),
            ("held", fx.owner.locked + fx.co.locked),
            ("co held", fx.co.locked),
            ("released", fx.owner.released + fx.co.released),
            ("forfeited", fx.owner.forfeited + fx.co.forfeited),
        ):
            if amount:
                RewardsMachine.seen[what] += 1
                event(what)
        for party, effects in ((ZERO, fx.owner), (leaf.co_staker, fx.co)):  # one party held by two slashes
            if effects.locked:
                self.held_keys.add((leaf.device, party, leaf.slash_id))
                if sum(1 for d, p, _s in self.held_keys if d == leaf.device and p == party) >= 2:
                    RewardsMachine.seen["overlapping holds"] += 1

    def _activate_model(self):
        tree, total, _ = self.pending
        self.tree, self.active_total = tree, total
        self.model.activate(tree.entries)
        self.pending = None

    # ------------------------------------------------------------ invariants
    def compare_party(self, key: tuple[bytes, str]) -> None:
        """The contract's words of one party equal the model's."""
        p = self.model.party(*key)
        assert self.d.settled_of(*key) == (p.settled, p.applied)
        for m in self.marks[key[0]]:
            held = self.model.held(*key, m.slash_id)
            assert self.d.held_of(*key, m.slash_id) == ((held, self.outcome_of(m.slash_id)) if held else (0, 0))

    @invariant()
    def invariants(self):
        """The totals and the parties the step could write equal the model (every party is
        compared at teardown); the @dev invariants by name."""
        m = self.model
        assert (self.d.total_paid(), self.d.total_forfeited(), self.d.total_held()) == (
            m.total_paid,
            m.total_forfeited,
            m.total_held,
        )
        assert m.total_paid + m.total_forfeited + m.total_held == m.settled_sum()  # settled_sum
        assert m.total_held == m.held_sum()
        cum = {}
        for lf in self.tree.entries if self.tree else []:
            if isinstance(lf, SlashLeaf):
                continue
            cum[(lf.device, ZERO)] = lf.owner_cumulative
            if lf.co_staker != ZERO:
                cum[(lf.device, lf.co_staker)] = lf.co_cumulative
        for key in self.touched:
            self.compare_party(key)
        self.touched.clear()
        for key in self.parties():
            p = m.party(*key)
            # settled_le_cumulative: never above what the active root proves, never decreasing
            assert p.settled <= cum.get(key, 0) and p.settled >= self.prev_settled.get(key, 0)
            self.prev_settled[key] = p.settled
        for (d, party, sid), held in m.holds.items():
            # held_never_paid_while_pending, holds_follow_own_slash: a hold changes only by its own
            # slash's outcome (it never shrinks while that slash is pending, whatever else happens)
            before = self.prev_held.get((d, party, sid), 0)
            if self.outcome_of(sid) == SLASH_PENDING:
                assert held >= before
            self.prev_held[(d, party, sid)] = held
        balance = self.token.balanceOf(self.d)
        assert m.total_paid <= self.received and balance == self.received - m.total_paid  # paid_le_received
        assert self.active_total <= self.received + m.total_forfeited  # root_funded
        owed = sum(max(0, a - m.party(*k).settled) for k, a in cum.items()) + m.total_held
        assert owed <= balance  # the balance covers what the active root still owes and what is held
        p = self.d.pending()
        assert p.root == (self.pending[0].root if self.pending else b"\x00" * 32)  # delay
        assert self.d.active().root == (self.tree.root if self.tree else b"\x00" * 32)

    def teardown(self):
        try:
            for key in self.parties():
                self.compare_party(key)
            for a, gain in self.gain.items():  # every wallet got exactly what the model paid it
                assert self.token.balanceOf(a) - self.start[a] == gain
        finally:
            chain.restore(self.snap)


def test_state_machine__random_steps__settled_le_cumulative_settled_sum_held_never_paid_while_pending_release_only_when_overturned_forfeit_only_when_finalized_slash_committed_paid_le_received_root_funded_delay_holds_follow_own_slash(  # noqa: E501
    distributor, token, mock_staking, owner, operator, alice, bob, carol, attacker, fund
):
    """Every @dev invariant holds over random sequences of accruals, co-staker changes, slashes and
    their outcomes, roots, cancels, activations, claims and settle_slash calls; the contract equals
    the Python model after every step."""
    # `owner` stands in for the emission (accrue transfers to the distributor): at most
    # 30 steps x 3 devices x 500 IO, so 1M IO out of the Community vault is plenty.
    fund(owner, 1_000_000 * IO)
    RewardsMachine.ctx = {
        "distributor": distributor,
        "token": token,
        "mock": mock_staking,
        "owner": owner,
        "oracle": operator,
        "wallets": [alice, bob],
        "co_stakers": [carol, attacker],
        "stranger": owner,
    }
    RewardsMachine.seen = Counter()
    wanted = (
        "paid",
        "co paid",
        "held",
        "co held",
        "released",
        "forfeited",
        "activated",
        "slash after active root",
        "co changed",
        "device settled in random order",
        "slash not settled",
        "earlier slash not settled",
        "overlapping slashes",
        "overlapping holds",
        "settled by owner",
        "settled by co-staker",
        "settled by stranger",
    )
    left = run_until_covered(
        RewardsMachine, examples=6, steps=30, missing=lambda: [w for w in wanted if not RewardsMachine.seen[w]]
    )
    print("rewards machine:", sorted(RewardsMachine.seen.items()))
    assert not left, (left, RewardsMachine.seen)

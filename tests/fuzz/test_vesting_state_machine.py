"""Hypothesis state machine: a vesting vault on chain against ionet.models.vesting.VaultModel.

Rules: grants (any amount, the whole unallocated balance, more than it), claims to any address by
anyone, releases, revocations, rotation proposals, withdrawals of proposals and acceptances (by
the right or wrong key; ids rotated away from stay in play and must be refused as moved), direct
token deposits and time jumps (random, or exactly onto a month boundary). After every step every
balance, total and grant field on chain is compared with the model (status and current id of
every id ever used included), and the vault's @dev invariants are checked by name:
  1. balance_equals_unallocated_plus_outstanding
  2. claimed_le_vested_le_granted
  3. vested_monotone_in_time
  4. revocation_never_reduces_vested
"""

from __future__ import annotations

import ape
from ape import chain
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ionet import IO
from ionet.models import vesting as model

MONTH = model.MONTH
AMOUNTS = st.one_of(st.integers(1, 20_000_000 * IO), st.sampled_from(["all", "over", "zero"]))


class VaultMachine(RuleBasedStateMachine):
    # Filled in by the test below (fixtures cannot be passed to a state machine directly).
    ctx: dict = {}

    def __init__(self) -> None:
        super().__init__()
        c = self.ctx
        self.snap = chain.snapshot()
        self.vault, self.token, self.owner = c["vault"], c["token"], c["owner"]
        self.actors = c["actors"]  # index 0..n-1: possible beneficiaries, callers, recipients
        self.donor = c["donor"]
        self.category = c["category"]
        start = self.vault.START_TIME()
        self.m = model.VaultModel(model.category_schedule(self.category, start),
                                  balance=self.token.balanceOf(self.vault))
        # The grants of the deployment config are already there: copy them into the model.
        for serial in range(1, self.vault.grant_count() + 1):
            gid = None
            for who in c["config_beneficiaries"]:
                st_ = self.vault.grant_state(self.vault.grant_id_of(serial, who))
                if st_.amount:
                    gid = st_.grant_id
                    break
            assert gid is not None
            self.m.grants[serial] = model.GrantModel(serial, st_.beneficiary.lower(), st_.amount,
                                                     claimed=st_.claimed)
            self.m.total_granted += st_.amount
            self.m.total_claimed += st_.claimed
        # Expected IO balance of everyone who can receive IO here.
        self.people = [*self.actors, self.donor]
        watched = {p.address.lower() for p in self.people}
        watched |= {a.address.lower() for a in c["config_beneficiaries"]}
        self.expected = {a: self.token.balanceOf(a) for a in watched}
        self.ids: list[int] = [g.grant_id for g in self.m.grants.values()]
        self.signers = {a.address.lower(): a for a in [*self.people, *c["config_beneficiaries"]]}
        self.last_vested: dict[int, int] = {}  # serial -> vested at the last check
        self.steps = 0

    def teardown(self) -> None:
        chain.restore(self.snap)

    # ------------------------------------------------------------ helpers
    def _next_time(self) -> int:
        t = chain.blocks.head.timestamp + 1
        chain.pending_timestamp = t
        return t

    def _pick_id(self, i: int) -> int:
        return self.ids[i % len(self.ids)] if self.ids else self.vault.grant_id_of(1, self.owner)

    def _expect(self, fn, model_call):
        """Run the model first; on a model error the chain must revert with the same reason."""
        try:
            result = model_call()
        except model.VestingError as err:
            with ape.reverts(str(err)):
                fn()
            return None, None
        receipt = fn()
        return result, receipt

    # ------------------------------------------------------------ rules
    @rule(who=st.integers(0, 3), amount=AMOUNTS)
    def grant(self, who, amount):
        beneficiary = self.actors[who]
        if amount == "all":
            amount = self.m.unallocated
        elif amount == "over":
            amount = self.m.unallocated + 1
        elif amount == "zero":
            amount = 0
        gid, receipt = self._expect(lambda: self.vault.grant(beneficiary, amount, sender=self.owner),
                                    lambda: self.m.grant(beneficiary.address, amount))
        if gid is not None:
            assert self.vault.Granted.from_receipt(receipt)[0].grant_id == gid
            self.ids.append(gid)

    @rule(i=st.integers(0, 50), caller=st.integers(0, 4), to=st.integers(0, 4))
    def claim(self, i, caller, to):
        gid = self._pick_id(i)
        sender, recipient = self.people[caller], self.people[to]
        now = self._next_time()
        paid, receipt = self._expect(lambda: self.vault.claim(gid, recipient, sender=sender),
                                     lambda: self.m.claim(sender.address, gid, recipient.address, now))
        if paid is not None:
            self.expected[recipient.address.lower()] += paid
            logged = self.vault.Claimed.from_receipt(receipt)
            assert [e.amount for e in logged] == ([paid] if paid else [])

    @rule(i=st.integers(0, 50), to=st.integers(0, 4))
    def claim_by_beneficiary(self, i, to):
        """The common case: the grant's holder claims (to itself or elsewhere)."""
        gid = self._pick_id(i)
        sender = self.signers.get(model.beneficiary_of(gid))
        if sender is None:
            return
        recipient = self.people[to]
        now = self._next_time()
        paid, _ = self._expect(lambda: self.vault.claim(gid, recipient, sender=sender),
                               lambda: self.m.claim(sender.address, gid, recipient.address, now))
        if paid is not None:
            self.expected[recipient.address.lower()] += paid

    @rule(i=st.integers(0, 50), new=st.integers(0, 4))
    def rotate_by_beneficiary(self, i, new):
        """The holder proposes a new key and that key accepts."""
        gid = self._pick_id(i)
        sender = self.signers.get(model.beneficiary_of(gid))
        proposed = self.people[new]
        if sender is None:
            return
        _, receipt = self._expect(lambda: self.vault.propose_beneficiary(gid, proposed, sender=sender),
                                  lambda: self.m.propose(sender.address, gid, proposed.address))
        if receipt is None:
            return
        new_id, _ = self._expect(lambda: self.vault.accept_beneficiary(gid, sender=proposed),
                                 lambda: self.m.accept(proposed.address, gid))
        self.ids.append(new_id)

    @rule(i=st.integers(0, 50), caller=st.integers(0, 4))
    def release(self, i, caller):
        gid = self._pick_id(i)
        now = self._next_time()
        paid, _ = self._expect(lambda: self.vault.release(gid, sender=self.people[caller]),
                               lambda: self.m.release(gid, now))
        if paid:
            self.expected[model.beneficiary_of(gid)] += paid

    @rule(i=st.integers(0, 50))
    def revoke(self, i):
        gid = self._pick_id(i)
        now = self._next_time()
        times = [t for t in (self.vault.START_TIME() + k * MONTH for k in (0, 13, 24, 40)) if t <= now]
        times += [now - 1, now]
        live = self.m.status(gid) in (model.STATUS_ACTIVE, model.STATUS_REVOKED)
        before = [self.vault.vested(gid, t) for t in times] if live else []
        returned, receipt = self._expect(lambda: self.vault.revoke(gid, sender=self.owner),
                                         lambda: self.m.revoke(gid, now))
        if returned is not None:
            assert self.vault.Revoked.from_receipt(receipt)[0].unvested == returned
            # revocation_never_reduces_vested: the past and the present are unchanged, the future frozen.
            assert [self.vault.vested(gid, t) for t in times] == before
            assert self.vault.vested(gid, now + 50 * MONTH) == before[-1]

    @rule(i=st.integers(0, 50), caller=st.integers(0, 4), new=st.integers(0, 4))
    def propose(self, i, caller, new):
        gid = self._pick_id(i)
        sender, proposed = self.people[caller], self.people[new]
        self._expect(lambda: self.vault.propose_beneficiary(gid, proposed, sender=sender),
                     lambda: self.m.propose(sender.address, gid, proposed.address))

    @rule(i=st.integers(0, 50))
    def withdraw_proposal(self, i):
        """The holder withdraws its proposal (proposes the zero address)."""
        gid = self._pick_id(i)
        sender = self.signers.get(model.beneficiary_of(gid))
        if sender is None:
            return
        _, receipt = self._expect(lambda: self.vault.propose_beneficiary(gid, model.ZERO, sender=sender),
                                  lambda: self.m.propose(sender.address, gid, model.ZERO))
        if receipt is not None:
            assert self.vault.BeneficiaryProposed.from_receipt(receipt)[0].proposed == model.ZERO

    @rule(i=st.integers(0, 50), caller=st.integers(0, 4))
    def accept(self, i, caller):
        gid = self._pick_id(i)
        sender = self.people[caller]
        new_id, receipt = self._expect(lambda: self.vault.accept_beneficiary(gid, sender=sender),
                                       lambda: self.m.accept(sender.address, gid))
        if new_id is not None:
            assert self.vault.BeneficiaryRotated.from_receipt(receipt)[0].new_grant_id == new_id
            self.ids.append(new_id)

    @rule(amount=st.integers(1, 1_000 * IO))
    def deposit(self, amount):
        amount = min(amount, self.expected[self.donor.address.lower()])
        if amount == 0:
            return
        self.token.transfer(self.vault, amount, sender=self.donor)
        self.expected[self.donor.address.lower()] -= amount
        self.m.deposit(amount)

    @rule(seconds=st.one_of(st.integers(1, 8 * MONTH), st.just(-1), st.just(0)))
    def advance(self, seconds):
        """Random jump, or onto the next month boundary (0) or one second before it (-1)."""
        now = chain.blocks.head.timestamp
        start = self.vault.START_TIME()
        if seconds <= 0:
            nxt = start + ((now - start) // MONTH + 1) * MONTH + seconds
            target = nxt if nxt > now else nxt + MONTH
        else:
            target = now + seconds
        chain.pending_timestamp = target
        chain.mine()

    # ------------------------------------------------------------ comparisons after every step
    @invariant()
    def chain_matches_model(self):
        self.steps += 1
        v, m = self.vault, self.m
        now = chain.blocks.head.timestamp
        balance = self.token.balanceOf(v)
        assert balance == m.balance
        for addr, want in self.expected.items():
            assert self.token.balanceOf(addr) == want, addr
        t = v.totals()
        assert (t.granted, t.claimed, t.revoked, t.grant_count) == (
            m.total_granted, m.total_claimed, m.total_revoked, len(m.grants))
        # 1. balance_equals_unallocated_plus_outstanding
        outstanding = sum(g.amount - g.claimed - ((g.amount - g.vested_at_revocation) if g.revoked_at else 0)
                          for g in m.grants.values())
        assert balance == t.unallocated + outstanding == m.unallocated + outstanding
        for g in m.grants.values():
            s = v.grant_state(g.grant_id)
            vested = m.vested(g.grant_id, now)
            assert (s.beneficiary.lower(), s.amount, s.claimed, s.vested, s.claimable) == (
                g.beneficiary, g.amount, g.claimed, vested, vested - g.claimed)
            assert (s.revoked, s.revoked_at) == (bool(g.revoked_at), g.revoked_at)
            assert (s.status, s.current_grant_id) == (m.status(g.grant_id), g.grant_id)
            assert (s.pending_beneficiary.lower() if int(s.pending_beneficiary, 16) else None) == g.pending
            # 2. claimed_le_vested_le_granted
            assert s.claimed <= s.vested <= s.amount
            # 3. vested_monotone_in_time
            assert vested >= self.last_vested.get(g.serial, 0)
            self.last_vested[g.serial] = vested
        # every id ever used: its status, and the id its grant has now
        for gid in set(self.ids):
            s = v.grant_state(gid)
            status = m.status(gid)
            assert (s.status, s.status_name, s.current_grant_id) == (
                status, model.STATUS_NAMES[status], m.current_grant_id(gid))
            assert v.current_grant_id(gid) == m.current_grant_id(gid)
            if status == model.STATUS_MOVED:
                assert (s.amount, s.claimed, s.vested, s.claimable) == (0, 0, 0, 0)


def _run(vault, token, owner, accounts, category, examples, steps, donor_funding=True, eco_fund=None):
    actors = [accounts[3], accounts[4], accounts[5], accounts[6]]
    donor = accounts[7]
    if donor_funding:
        eco_fund(donor, 10_000 * IO)
    VaultMachine.ctx = {"vault": vault, "token": token, "owner": owner, "actors": actors, "donor": donor,
                        "category": category,
                        "config_beneficiaries": [accounts[9], accounts[10], accounts[11],
                                                                       accounts[12], accounts[2]]}
    run_state_machine_as_test(VaultMachine, settings=settings(
        deadline=None, max_examples=examples, stateful_step_count=steps,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


def test_vault_state_machine__core_contributors__chain_matches_model_and_invariants_hold(
        suite, core_vault, token, owner, accounts):
    """balance_equals_unallocated_plus_outstanding, claimed_le_vested_le_granted,
    vested_monotone_in_time, revocation_never_reduces_vested: every step, revocable vault."""
    from ionet.chain.economy import Economy

    _run(core_vault, token, owner, accounts, "core_contributors", examples=10, steps=12,
         eco_fund=Economy(suite=suite).fund)


def test_vault_state_machine__seed__chain_matches_model_and_invariants_hold(
        suite, seed_vault, token, owner, accounts):
    """The same four invariants on a non-revocable vault (revoke must always revert)."""
    from ionet.chain.economy import Economy

    _run(seed_vault, token, owner, accounts, "seed", examples=4, steps=10, eco_fund=Economy(suite=suite).fund)

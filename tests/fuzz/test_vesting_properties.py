"""The four @dev invariants of VestingVault, one hypothesis property each (the state machine in
test_vesting_state_machine.py checks all four after every step of longer histories)."""

from __future__ import annotations

from ape import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionet import IO
from ionet.models import vesting as model
from tests.fuzz.helpers import chain_snapshot

MONTH = model.MONTH
CHAIN = settings(deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CATEGORIES = st.sampled_from(["community", "rnd_ecosystem", "seed", "series_a", "core_contributors"])
AMOUNTS = st.integers(1, 2**96 - 1)


def _grant(vault, owner, who, amount):
    return vault.Granted.from_receipt(vault.grant(who, amount, sender=owner))[0].grant_id


def _at(t: int) -> None:
    chain.pending_timestamp = max(t, chain.blocks.head.timestamp + 1)
    chain.mine()


@settings(CHAIN, max_examples=60)
@given(category=CATEGORIES, amount=AMOUNTS, t1=st.integers(-MONTH, 60 * MONTH), dt=st.integers(0, 60 * MONTH))
def test_vested_monotone_in_time__any_amount_and_times(vaults, category, amount, t1, dt):
    """vested_monotone_in_time: vested(A, t1) <= vested(A, t1 + dt), and both equal the model."""
    vault = vaults[category]
    start = vault.START_TIME()
    s = model.category_schedule(category, start)
    a, b = vault.schedule_vested(amount, start + t1), vault.schedule_vested(amount, start + t1 + dt)
    assert a <= b <= amount
    assert a == model.vested_amount(s, amount, start + t1)
    assert b == model.vested_amount(s, amount, start + t1 + dt)


@settings(CHAIN, max_examples=8)
@given(amount=st.integers(1, 20_000_000 * IO), months=st.lists(st.integers(0, 8), min_size=1, max_size=5),
       category=st.sampled_from(["seed", "core_contributors"]))
def test_claimed_le_vested_le_granted__claims_at_random_times(vaults, owner, alice, category, amount, months):
    """claimed_le_vested_le_granted after each claim at random later times."""
    with chain_snapshot():
        vault = vaults[category]
        gid = _grant(vault, owner, alice, amount)
        t = max(chain.blocks.head.timestamp, vault.START_TIME() + 11 * MONTH)
        for m in months:
            t += m * MONTH + 12_345
            _at(t)
            vault.claim(gid, alice, sender=alice)
            s = vault.grant_state(gid)
            assert s.claimed <= s.vested <= s.amount == amount
            assert s.claimed == s.vested  # a claim takes everything vested


@settings(CHAIN, max_examples=8)
@given(amounts=st.lists(st.integers(1, 10_000_000 * IO), min_size=1, max_size=4), month=st.integers(10, 50),
       revoke_first=st.booleans(), deposit=st.integers(0, 5 * IO))
def test_balance_equals_unallocated_plus_outstanding__grants_claims_revocations(
        core_vault, token, owner, accounts, amounts, month, revoke_first, deposit):
    """balance_equals_unallocated_plus_outstanding, summing every grant's outstanding by hand."""
    with chain_snapshot():
        people = [accounts[3], accounts[4], accounts[5], accounts[6]]
        ids = [_grant(core_vault, owner, people[i], a) for i, a in enumerate(amounts)]
        _at(core_vault.START_TIME() + month * MONTH)
        if revoke_first:
            core_vault.revoke(ids[0], sender=owner)
        for i, gid in enumerate(ids[1:], start=1):
            core_vault.claim(gid, people[i], sender=people[i])
        if deposit:  # IO sent straight to the vault becomes unallocated
            core_vault.release(ids[0], sender=owner)
            paid = token.balanceOf(people[0])
            if paid:
                token.transfer(core_vault, min(deposit, paid), sender=people[0])
        all_ids = [core_vault.grant_id_of(s, w) for s, w in ((1, accounts[9]), (2, accounts[12]))] + ids
        outstanding = 0
        for gid in all_ids:
            s = core_vault.grant_state(gid)
            outstanding += s.amount - s.claimed - s.unvested_returned
        assert token.balanceOf(core_vault) == core_vault.unallocated() + outstanding


@settings(CHAIN, max_examples=8)
@given(amount=st.integers(1, 50_000_000 * IO), seconds=st.integers(0, 60 * MONTH))
def test_revocation_never_reduces_vested__revoked_at_any_time(core_vault, owner, alice, amount, seconds):
    """revocation_never_reduces_vested: vested up to the revocation is unchanged, then frozen there."""
    with chain_snapshot():
        gid = _grant(core_vault, owner, alice, amount)
        start = core_vault.START_TIME()
        _at(start + seconds)
        now = chain.blocks.head.timestamp + 1
        chain.pending_timestamp = now
        probes = [t for t in (start + k * MONTH for k in range(0, 61, 3)) if t <= now] + [now]
        before = [core_vault.vested(gid, t) for t in probes]
        core_vault.revoke(gid, sender=owner)
        assert [core_vault.vested(gid, t) for t in probes] == before
        assert core_vault.vested(gid, now + 100 * MONTH) == before[-1]
        assert core_vault.grant_state(gid).unvested_returned == amount - before[-1]

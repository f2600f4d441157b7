"""VestingVault: every external function (state and events) and every revert reason; the fixes of
issue 9 (item 9: a vault's first grant; item 10: withdrawing a proposal, finding a grant after
rotations, unknown ids told apart) reproduced by name."""

from __future__ import annotations

import ape
import pytest
from ape import chain, project

from ionet import IO
from ionet.models import vesting as model
from tests.conftest import advance_to

MONTH = model.MONTH
from ionet import ZERO_ADDRESS as ZERO  # noqa: E402


def month(vault, m: int, plus: int = 0) -> int:
    return vault.START_TIME() + m * MONTH + plus


def grant_id_from(vault, receipt) -> int:
    return vault.Granted.from_receipt(receipt)[0].grant_id


def new_grant(vault, owner, who, amount=1_000 * IO) -> int:
    return grant_id_from(vault, vault.grant(who, amount, sender=owner))


def accepted(vault, grant_id, new) -> int:
    """`new` accepts the rotation proposed to it; returns the grant's new id (from the event)."""
    return vault.BeneficiaryRotated.from_receipt(vault.accept_beneficiary(grant_id, sender=new))[0].new_grant_id


def rotated(vault, owner, old, new, amount=36 * IO) -> int:
    """A grant made to `old` and rotated to `new`; returns the id it was rotated away from."""
    gid = new_grant(vault, owner, old, amount)
    vault.propose_beneficiary(gid, new, sender=old)
    vault.accept_beneficiary(gid, sender=new)
    return gid


# ------------------------------------------------------------------ deployment
def test_deploy__category_schedules__match_tokenomics(vaults, suite):
    start = suite.manifest.genesis_time
    for category, vault in vaults.items():
        want = model.CATEGORY_SCHEDULES[category]
        assert vault.category() == category
        assert vault.START_TIME() == start
        assert vault.PERIOD_SECONDS() == 2_629_746
        assert vault.CLIFF_PERIODS() == want["cliff"]
        assert vault.TRANCHE_COUNT() == want["tranches"]
        assert vault.UNLOCKED_BPS() == want["unlocked_bps"]
        assert vault.REVOCABLE() == want["revocable"]
    assert suite.EmissionSchedule.START_TIME() == start


def test_constructor__valid_schedule__logs_vault_created(owner, token):
    vault = owner.deploy(project.VestingVault, token, "test", 0, 100, 2, 3, 2_500, True)
    logs = vault.VaultCreated.from_receipt(chain.provider.get_receipt(vault.txn_hash))
    assert len(logs) == 1
    ev = logs[0]
    assert ev.token == token.address and ev.category == "test"
    assert ev.start_time == vault.START_TIME() == chain.blocks.head.timestamp
    assert (ev.period_seconds, ev.cliff_periods, ev.tranche_count, ev.unlocked_bps, ev.revocable) == \
        (100, 2, 3, 2_500, True)
    assert vault.owner() == owner.address


@pytest.mark.parametrize("args,reason", [
    ((ZERO, "x", 0, 100, 0, 1, 0, False), "VestingVault: token is the zero address"),
    (("token", "x", 0, 0, 0, 1, 0, False), "VestingVault: period is zero"),
    (("token", "x", 0, 100, 0, 0, 0, False), "VestingVault: tranche count is zero"),
    (("token", "x", 0, 100, 0, 1, 10_001, False), "VestingVault: unlocked bps above 10000"),
    (("token", "x", 0, 100, 0, 12_001, 0, False), "VestingVault: tranche count above maximum"),
])
def test_constructor__bad_schedule__reverts(owner, token, args, reason, scratch_deployer):
    args = tuple(token.address if a == "token" else a for a in args)
    with ape.reverts(reason):
        scratch_deployer.deploy(project.VestingVault, *args)


# ------------------------------------------------------------------ grant
def test_grant__within_unallocated__records_grant_and_logs(seed_vault, owner, alice):
    before = seed_vault.totals()
    receipt = seed_vault.grant(alice, 5_000 * IO, sender=owner)
    ev = seed_vault.Granted.from_receipt(receipt)[0]
    serial = before.grant_count + 1
    assert ev.grant_id == seed_vault.grant_id_of(serial, alice) == model.grant_id_of(serial, alice.address)
    assert (ev.beneficiary, ev.serial, ev.amount) == (alice.address, serial, 5_000 * IO)
    assert ev.unallocated == before.unallocated - 5_000 * IO == seed_vault.unallocated()
    st = seed_vault.grant_state(ev.grant_id)
    assert (st.beneficiary, st.serial, st.amount, st.claimed, st.revoked) == \
        (alice.address, serial, 5_000 * IO, 0, False)
    after = seed_vault.totals()
    assert after.granted == before.granted + 5_000 * IO and after.grant_count == serial
    assert after.balance == before.balance


def test_grant__first_grant_of_a_vault__costs_no_more_than_any_other(scratch_deployer, token, fund, alice, bob):
    """Issue 9 item 9, reproduced: a vault's first grant cost 78,490 gas (its totals word went
    from zero to non-zero), above the 70,000 goal. The constructor sets the word's "one" bit, so
    the first grant pays what every later grant pays."""
    admin = scratch_deployer
    vault = admin.deploy(project.VestingVault, token, "fresh", 0, MONTH, 12, 24, 0, False)
    assert vault.totals().grant_count == 0 and vault.unallocated() == 0
    fund(admin, 10 * IO)
    token.transfer(vault, 10 * IO, sender=admin)
    first = vault.grant(alice, 1 * IO, sender=admin)
    second = vault.grant(bob, 1 * IO, sender=admin)
    assert first.gas_used <= 70_000 and first.gas_used == second.gas_used
    t = vault.totals()
    assert (t.granted, t.claimed, t.grant_count, t.unallocated) == (2 * IO, 0, 2, 8 * IO)


def test_grant__same_beneficiary_twice__two_grants(seed_vault, owner, alice):
    a = new_grant(seed_vault, owner, alice, 1 * IO)
    b = new_grant(seed_vault, owner, alice, 2 * IO)
    assert a != b and (b >> 160) == (a >> 160) + 1
    assert seed_vault.grant_state(a).amount == 1 * IO and seed_vault.grant_state(b).amount == 2 * IO


def test_grant__exactly_unallocated__allowed_then_nothing_left(seed_vault, owner, alice):
    seed_vault.grant(alice, seed_vault.unallocated(), sender=owner)
    assert seed_vault.unallocated() == 0


def test_grant__above_unallocated__reverts(seed_vault, owner, alice):
    with ape.reverts("VestingVault: amount exceeds unallocated"):
        seed_vault.grant(alice, seed_vault.unallocated() + 1, sender=owner)


def test_grant__zero_amount__reverts(seed_vault, owner, alice):
    with ape.reverts("VestingVault: amount is zero"):
        seed_vault.grant(alice, 0, sender=owner)


def test_grant__zero_beneficiary__reverts(seed_vault, owner):
    with ape.reverts("VestingVault: beneficiary is the zero address"):
        seed_vault.grant(ZERO, 1, sender=owner)


def test_grant__not_admin__reverts(seed_vault, attacker):
    with ape.reverts("ownable: caller is not the owner"):
        seed_vault.grant(attacker, 1, sender=attacker)


def test_grant__tokens_sent_directly__become_unallocated(community_vault, seed_vault, owner, bob):
    # bob gets IO from the community vault, then sends some straight to the seed vault.
    gid = new_grant(community_vault, owner, bob, 10 * IO)
    community_vault.release(gid, sender=bob)
    before = seed_vault.unallocated()
    token = project.IOToken.at(seed_vault.token())
    token.transfer(seed_vault, 4 * IO, sender=bob)
    assert seed_vault.unallocated() == before + 4 * IO


def test_rotate__away_and_back_after_a_revocation_with_nothing_vested__nothing_claimable(core_vault, owner, alice, bob):
    """Revoked before anything vested (vested at revocation 0), rotated to bob and back to alice (the
    grant's first id again): the old id's record was cleared, so nothing ever becomes claimable."""
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    core_vault.revoke(gid, sender=owner)
    core_vault.propose_beneficiary(gid, bob, sender=alice)
    to_bob = accepted(core_vault, gid, bob)
    core_vault.propose_beneficiary(to_bob, alice, sender=bob)
    assert accepted(core_vault, to_bob, alice) == gid
    advance_to(month(core_vault, 60))
    assert core_vault.claimable(gid) == 0 and core_vault.claim.call(gid, alice, sender=alice) == 0


# ------------------------------------------------------------------ grant_many
def test_grant_many__batch__consecutive_serials_and_logs(core_vault, owner, alice, bob):
    count = core_vault.grant_count()
    assert core_vault.grant_many.call([alice, bob], [3 * IO, 4 * IO], sender=owner) == count + 1  # the first serial
    receipt = core_vault.grant_many([alice, bob], [3 * IO, 4 * IO], sender=owner)
    evs = core_vault.Granted.from_receipt(receipt)
    assert [e.serial for e in evs] == [count + 1, count + 2]
    assert [e.beneficiary for e in evs] == [alice.address, bob.address]
    assert core_vault.grant_count() == count + 2
    assert core_vault.grant_state(evs[1].grant_id).amount == 4 * IO


def test_grant_many__lengths_differ__reverts(core_vault, owner, alice):
    with ape.reverts("VestingVault: lengths differ"):
        core_vault.grant_many([alice], [1, 2], sender=owner)


def test_grant_many__sum_above_unallocated__reverts(core_vault, owner, alice):
    half = core_vault.unallocated() // 2 + 1
    with ape.reverts("VestingVault: amount exceeds unallocated"):
        core_vault.grant_many([alice, alice], [half, half], sender=owner)


def test_grant_many__not_admin__reverts(core_vault, attacker):
    with ape.reverts("ownable: caller is not the owner"):
        core_vault.grant_many([attacker], [1], sender=attacker)


# ------------------------------------------------------------------ claim and release
def test_claim__after_first_tranche__pays_recipient_and_logs(seed_vault, token, owner, alice, carol):
    gid = new_grant(seed_vault, owner, alice, 24 * IO)
    advance_to(month(seed_vault, 13))
    receipt = seed_vault.claim(gid, carol, sender=alice)
    ev = seed_vault.Claimed.from_receipt(receipt)[0]
    assert (ev.grant_id, ev.recipient, ev.amount) == (gid, carol.address, 1 * IO)
    assert token.balanceOf(carol) == 1 * IO
    st = seed_vault.grant_state(gid)
    assert (st.claimed, st.vested, st.claimable) == (1 * IO, 1 * IO, 0)
    assert seed_vault.total_claimed() == 1 * IO


def test_claim__nothing_vested__returns_zero_without_transfer(seed_vault, token, owner, alice):
    gid = new_grant(seed_vault, owner, alice, 24 * IO)
    assert seed_vault.claim.call(gid, alice, sender=alice) == 0
    assert seed_vault.release.call(gid, sender=owner) == 0
    receipt = seed_vault.claim(gid, alice, sender=alice)
    assert seed_vault.Claimed.from_receipt(receipt) == []
    assert token.balanceOf(alice) == 0 and seed_vault.grant_state(gid).claimed == 0


def test_claim__by_non_beneficiary_to_another_address__reverts(seed_vault, owner, alice, attacker):
    gid = new_grant(seed_vault, owner, alice, 24 * IO)
    advance_to(month(seed_vault, 20))
    with ape.reverts("VestingVault: caller is not the beneficiary"):
        seed_vault.claim(gid, attacker, sender=attacker)


def test_claim__to_zero_address__reverts(seed_vault, owner, alice):
    gid = new_grant(seed_vault, owner, alice, 24 * IO)
    with ape.reverts("VestingVault: recipient is the zero address"):
        seed_vault.claim(gid, ZERO, sender=alice)


def test_claim__unknown_grant__reverts(seed_vault, alice):
    with ape.reverts("VestingVault: unknown grant"):
        seed_vault.claim(seed_vault.grant_id_of(999, alice), alice, sender=alice)


def test_claim__id_rotated_away__reverts_moved(core_vault, owner, alice, bob):
    gid = rotated(core_vault, owner, alice, bob)
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.claim(gid, alice, sender=alice)


def test_release__by_anyone__pays_the_beneficiary(seed_vault, token, owner, alice, attacker):
    gid = new_grant(seed_vault, owner, alice, 24 * IO)
    advance_to(month(seed_vault, 36))
    receipt = seed_vault.release(gid, sender=attacker)
    ev = seed_vault.Claimed.from_receipt(receipt)[0]
    assert (ev.recipient, ev.amount) == (alice.address, 24 * IO)
    assert token.balanceOf(alice) == 24 * IO and token.balanceOf(attacker) == 0
    assert seed_vault.claimable(gid) == 0


def test_release__unknown_grant__reverts(seed_vault, alice, attacker):
    with ape.reverts("VestingVault: unknown grant"):
        seed_vault.release(seed_vault.grant_id_of(999, alice), sender=attacker)


def test_release__id_rotated_away__reverts_moved(core_vault, owner, alice, bob, attacker):
    gid = rotated(core_vault, owner, alice, bob)
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.release(gid, sender=attacker)


# ------------------------------------------------------------------ revoke
def test_revoke__mid_schedule__vested_stays_claimable_unvested_returns(core_vault, token, owner, alice):
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    advance_to(month(core_vault, 22))  # 10 tranches vested
    unalloc, owner_balance = core_vault.unallocated(), token.balanceOf(owner)
    receipt = core_vault.revoke(gid, sender=owner)
    ev = core_vault.Revoked.from_receipt(receipt)[0]
    assert (ev.grant_id, ev.beneficiary, ev.vested, ev.unvested) == (gid, alice.address, 10 * IO, 26 * IO)
    assert core_vault.unallocated() == unalloc + 26 * IO
    assert token.balanceOf(owner) == owner_balance  # never to the admin's wallet
    st = core_vault.grant_state(gid)
    assert st.revoked and st.revoked_at == chain.blocks.head.timestamp and st.unvested_returned == 26 * IO
    advance_to(month(core_vault, 48))
    assert core_vault.claimable(gid) == 10 * IO
    core_vault.claim(gid, alice, sender=alice)
    assert token.balanceOf(alice) == 10 * IO and core_vault.total_revoked() >= 26 * IO


def test_revoke__revocation_never_reduces_vested(core_vault, owner, alice):
    """Invariant 4 (revocation_never_reduces_vested): vested before and at the revocation unchanged."""
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    advance_to(month(core_vault, 20, 5))
    times = [month(core_vault, m) for m in (0, 12, 13, 17, 20)] + [chain.pending_timestamp]
    before = [core_vault.vested(gid, t) for t in times]
    core_vault.revoke(gid, sender=owner)
    now = chain.blocks.head.timestamp
    assert [core_vault.vested(gid, t) for t in times[:-1]] == before[:-1]
    schedule = model.category_schedule("core_contributors", core_vault.START_TIME())
    assert core_vault.vested(gid, now) == model.vested_amount(schedule, 36 * IO, now)
    assert core_vault.vested(gid, month(core_vault, 60)) == core_vault.vested(gid, now) == 8 * IO


def test_revoke__non_revocable_vault__reverts(seed_vault, owner):
    with ape.reverts("VestingVault: vault is not revocable"):
        seed_vault.revoke(seed_vault.grant_id_of(1, owner), sender=owner)


def test_revoke__twice__reverts(core_vault, owner, alice):
    gid = new_grant(core_vault, owner, alice)
    core_vault.revoke(gid, sender=owner)
    with ape.reverts("VestingVault: grant already revoked"):
        core_vault.revoke(gid, sender=owner)


def test_revoke__unknown_grant__reverts(core_vault, owner, alice):
    with ape.reverts("VestingVault: unknown grant"):
        core_vault.revoke(core_vault.grant_id_of(999, alice), sender=owner)


def test_revoke__id_rotated_away__reverts_moved(core_vault, owner, alice, bob):
    gid = rotated(core_vault, owner, alice, bob)
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.revoke(gid, sender=owner)
    core_vault.revoke(core_vault.current_grant_id(gid), sender=owner)  # the current id works


def test_revoke__not_admin__reverts(core_vault, owner, alice, attacker):
    gid = new_grant(core_vault, owner, alice)
    with ape.reverts("ownable: caller is not the owner"):
        core_vault.revoke(gid, sender=attacker)


# ------------------------------------------------------------------ key rotation
def test_propose_beneficiary__by_beneficiary__records_and_logs(core_vault, owner, alice, bob):
    gid = new_grant(core_vault, owner, alice)
    receipt = core_vault.propose_beneficiary(gid, bob, sender=alice)
    ev = core_vault.BeneficiaryProposed.from_receipt(receipt)[0]
    assert (ev.grant_id, ev.beneficiary, ev.proposed) == (gid, alice.address, bob.address)
    assert core_vault.grant_state(gid).pending_beneficiary == bob.address


def test_propose_beneficiary__not_beneficiary__reverts(core_vault, owner, alice, attacker):
    gid = new_grant(core_vault, owner, alice)
    with ape.reverts("VestingVault: caller is not the beneficiary"):
        core_vault.propose_beneficiary(gid, attacker, sender=attacker)


def test_propose_beneficiary__unknown_grant__reverts(core_vault, alice, bob):
    with ape.reverts("VestingVault: unknown grant"):
        core_vault.propose_beneficiary(core_vault.grant_id_of(999, alice), bob, sender=alice)


def test_propose_beneficiary__withdraw_a_proposal__as_the_event_documents(core_vault, owner, alice, bob):
    """Issue 9 item 10, reproduced: BeneficiaryProposed documented "empty = proposal withdrawn",
    but proposing the zero address reverted. Now it withdraws the pending proposal, and the
    proposed key can no longer take the grant."""
    gid = new_grant(core_vault, owner, alice)
    core_vault.propose_beneficiary(gid, bob, sender=alice)
    receipt = core_vault.propose_beneficiary(gid, ZERO, sender=alice)
    ev = core_vault.BeneficiaryProposed.from_receipt(receipt)[0]
    assert (ev.grant_id, ev.beneficiary, ev.proposed) == (gid, alice.address, ZERO)
    assert core_vault.grant_state(gid).pending_beneficiary == ZERO
    with ape.reverts("VestingVault: no rotation proposed"):
        core_vault.accept_beneficiary(gid, sender=bob)


def test_propose_beneficiary__withdraw_with_nothing_proposed__reverts(core_vault, owner, alice):
    gid = new_grant(core_vault, owner, alice)
    with ape.reverts("VestingVault: no rotation proposed"):
        core_vault.propose_beneficiary(gid, ZERO, sender=alice)


def test_propose_beneficiary__id_rotated_away__reverts_moved(core_vault, owner, alice, bob, carol):
    gid = rotated(core_vault, owner, alice, bob)
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.propose_beneficiary(gid, carol, sender=alice)


def test_propose_beneficiary__current_one__reverts(core_vault, owner, alice):
    gid = new_grant(core_vault, owner, alice)
    with ape.reverts("VestingVault: new beneficiary is the current one"):
        core_vault.propose_beneficiary(gid, alice, sender=alice)


def test_accept_beneficiary__by_proposed__moves_grant_and_logs(core_vault, token, owner, alice, bob):
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    advance_to(month(core_vault, 14))
    core_vault.claim(gid, alice, sender=alice)  # 2 tranches
    core_vault.revoke(gid, sender=owner)
    core_vault.propose_beneficiary(gid, bob, sender=alice)
    receipt = core_vault.accept_beneficiary(gid, sender=bob)
    ev = core_vault.BeneficiaryRotated.from_receipt(receipt)[0]
    new_id = core_vault.grant_id_of(gid >> 160, bob)
    assert (ev.old_grant_id, ev.new_grant_id, ev.serial) == (gid, new_id, gid >> 160)
    assert (ev.old_beneficiary, ev.new_beneficiary) == (alice.address, bob.address)
    st = core_vault.grant_state(new_id)
    assert (st.beneficiary, st.amount, st.claimed, st.revoked, st.pending_beneficiary) == \
        (bob.address, 36 * IO, 2 * IO, True, ZERO)
    assert st.vested == 2 * IO and st.unvested_returned == 34 * IO
    assert (st.status, st.status_name, st.current_grant_id) == (2, "revoked", new_id)
    old = core_vault.grant_state(gid)
    assert (old.status, old.status_name, old.current_grant_id) == (3, "moved", new_id)
    assert (old.amount, old.claimed, old.vested, old.claimable, old.pending_beneficiary) == (0, 0, 0, 0, ZERO)
    assert core_vault.rotated_to(gid >> 160) == bob.address
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.claim(gid, alice, sender=alice)


def test_accept_beneficiary__new_key_claims__old_key_cannot(core_vault, token, owner, alice, bob):
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    core_vault.propose_beneficiary(gid, bob, sender=alice)
    new_id = core_vault.grant_id_of(gid >> 160, bob)
    core_vault.accept_beneficiary(gid, sender=bob)
    advance_to(month(core_vault, 13))
    core_vault.claim(new_id, bob, sender=bob)
    assert token.balanceOf(bob) == 1 * IO
    with ape.reverts("VestingVault: caller is not the beneficiary"):
        core_vault.claim(new_id, alice, sender=alice)


def test_accept_beneficiary__wrong_address__reverts(core_vault, owner, alice, bob, attacker):
    gid = new_grant(core_vault, owner, alice)
    core_vault.propose_beneficiary(gid, bob, sender=alice)
    with ape.reverts("VestingVault: caller is not the proposed beneficiary"):
        core_vault.accept_beneficiary(gid, sender=attacker)


def test_accept_beneficiary__none_proposed__reverts(core_vault, owner, alice, bob):
    gid = new_grant(core_vault, owner, alice)
    with ape.reverts("VestingVault: no rotation proposed"):
        core_vault.accept_beneficiary(gid, sender=bob)


# ------------------------------------------------------------------ views
def test_vested__before_start__is_zero_and_community_unlocked_at_start(
        community_vault, seed_vault, owner, alice):
    cid = new_grant(community_vault, owner, alice, 7 * IO)
    start = community_vault.START_TIME()
    assert community_vault.vested(cid, start - 1) == 0
    assert community_vault.vested(cid, start) == 7 * IO
    assert community_vault.claimable(cid) == 7 * IO
    sid = new_grant(seed_vault, owner, alice, 7 * IO)
    assert seed_vault.vested(sid, start) == 0


def test_vested__unknown_grant__reverts(seed_vault, alice):
    gid = seed_vault.grant_id_of(999, alice)
    with ape.reverts("VestingVault: unknown grant"):
        seed_vault.vested(gid, 2**40)
    with ape.reverts("VestingVault: unknown grant"):
        seed_vault.claimable(gid)


def test_vested__id_rotated_away__reverts_moved(core_vault, owner, alice, bob):
    gid = rotated(core_vault, owner, alice, bob)
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.vested(gid, 2**40)
    with ape.reverts("VestingVault: grant moved to a new id"):
        core_vault.claimable(gid)
    assert core_vault.vested(core_vault.current_grant_id(gid), 2**40) == 36 * IO


def test_grant_state__every_status__unknown_active_revoked_moved(core_vault, owner, alice, bob, carol):
    """Issue 9 item 10: an unknown id is told apart from a grant (status 0 "unknown", every field
    0, current id 0), as are a revoked grant and an id the grant was rotated away from."""
    unknown = core_vault.grant_state(core_vault.grant_id_of(999, carol))
    assert (unknown.status, unknown.status_name, unknown.current_grant_id, unknown.amount) == (0, "unknown", 0, 0)
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    st = core_vault.grant_state(gid)
    assert (st.status, st.status_name, st.current_grant_id, st.amount) == (1, "active", gid, 36 * IO)
    core_vault.revoke(gid, sender=owner)
    assert (core_vault.grant_state(gid).status, core_vault.grant_state(gid).status_name) == (2, "revoked")
    core_vault.propose_beneficiary(gid, bob, sender=alice)
    new_id = accepted(core_vault, gid, bob)
    moved = core_vault.grant_state(gid)
    assert (moved.status, moved.status_name, moved.current_grant_id) == (3, "moved", new_id)


def test_current_grant_id__after_rotations__found_from_every_earlier_id(core_vault, owner, alice, bob, carol):
    """Issue 9 item 10: front ends find a grant's current id from any id it ever had (O(1)), and
    from its serial once it was rotated (rotated_to); an id that never held a grant gives 0."""
    first = new_grant(core_vault, owner, alice)
    serial = first >> 160
    assert core_vault.current_grant_id(first) == first and core_vault.rotated_to(serial) == ZERO
    core_vault.propose_beneficiary(first, bob, sender=alice)
    second = accepted(core_vault, first, bob)
    core_vault.propose_beneficiary(second, carol, sender=bob)
    third = accepted(core_vault, second, carol)
    assert third == core_vault.grant_id_of(serial, carol)
    for gid in (first, second, third):
        assert core_vault.current_grant_id(gid) == third
    assert core_vault.grant_id_of(serial, core_vault.rotated_to(serial)) == third
    assert core_vault.current_grant_id(core_vault.grant_id_of(serial, owner)) == 0
    core_vault.propose_beneficiary(third, alice, sender=carol)  # back to the first key
    assert accepted(core_vault, third, alice) == first
    assert core_vault.grant_state(first).status_name == "active"
    assert core_vault.current_grant_id(second) == core_vault.current_grant_id(third) == first


def test_schedule_vested__sample_amounts_and_times__match_python_model(vaults):
    for category, vault in vaults.items():
        s = model.category_schedule(category, vault.START_TIME())
        for amount in (1, 23, 10**18 + 7, 40_000_000 * IO + 12_345):
            for m in (0, 12, 13, 24, 36, 47, 48, 60):
                t = month(vault, m, 17)
                want = model.vested_amount(s, amount, t)
                assert vault.schedule_vested(amount, t) == want, (category, amount, m)


def test_totals__after_grant_claim_revoke__add_up(core_vault, token, owner, alice):
    gid = new_grant(core_vault, owner, alice, 36 * IO)
    advance_to(month(core_vault, 15))
    core_vault.claim(gid, alice, sender=alice)
    core_vault.revoke(gid, sender=owner)
    t = core_vault.totals()
    assert t.balance == token.balanceOf(core_vault)
    assert t.outstanding == t.granted - t.claimed - t.revoked
    assert t.unallocated == t.balance - t.outstanding == core_vault.unallocated()
    assert (t.granted, t.claimed, t.revoked, t.grant_count) == (
        core_vault.total_granted(), core_vault.total_claimed(), core_vault.total_revoked(),
        core_vault.grant_count())


def test_grant_id_of__packs_serial_and_beneficiary(seed_vault, alice):
    assert seed_vault.grant_id_of(5, alice) == (5 << 160) | int(alice.address, 16)


def test_schedule_vested__amount_above_maximum__reverts(seed_vault):
    assert seed_vault.schedule_vested(2**96 - 1, 2**40) == 2**96 - 1
    with ape.reverts("VestingVault: amount above maximum"):
        seed_vault.schedule_vested(2**96, 2**40)


# ------------------------------------------------------------------ admin role (snekmate ownable_2step)
def test_transfer_ownership__two_steps__new_admin_grants(seed_vault, owner, treasury, alice):
    seed_vault.transfer_ownership(treasury, sender=owner)
    assert seed_vault.owner() == owner.address and seed_vault.pending_owner() == treasury.address
    seed_vault.accept_ownership(sender=treasury)
    assert seed_vault.owner() == treasury.address
    seed_vault.grant(alice, 1, sender=treasury)
    with ape.reverts("ownable: caller is not the owner"):
        seed_vault.grant(alice, 1, sender=owner)


def test_transfer_ownership__not_admin__reverts(seed_vault, attacker):
    with ape.reverts("ownable: caller is not the owner"):
        seed_vault.transfer_ownership(attacker, sender=attacker)


def test_renounce_ownership__not_exported(seed_vault):
    assert not hasattr(seed_vault, "renounce_ownership")

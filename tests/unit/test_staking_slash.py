"""NodeStaking: slashing, appeal escrow, overturns, finalization (burn), refunds, slash records
kept after settlement, the aggregate totals; the invariants slash_bounded, cooldown_slashable,
io_held, co_cap, burn_on_finalize, o1 on fixed scenarios."""

import ape
import pytest

from ionet import ZERO_ADDRESS as ZERO
from ionet.models.staking import pro_rata
from tests.staking_helpers import DAY, EVIDENCE, IO, advance, co_stake, device_id, fund, io_held, new_device, one


@pytest.fixture
def co_device(staking, token, owner, alice, bob):
    """alice's H100 with 3,000 IO active and bob's 1,000 IO co-stake (share 20 %)."""
    d = new_device(staking, token, owner, alice, stake=3_000 * IO)
    co_stake(staking, token, owner, alice, bob, d, 1_000 * IO)
    return d


def test_slash__owner_and_co_staker__pro_rata_into_escrow(staking, token, operator, alice, bob, co_device):
    d = co_device
    held, supply = token.balanceOf(staking), token.totalSupply()
    tx = staking.slash(d, 400 * IO, EVIDENCE, True, sender=operator)
    assert staking.owner_stake(d)[0] == 2_700 * IO
    assert staking.co_stake(d).amount == 900 * IO
    assert staking.escrowed() == 400 * IO and staking.slash_count() == 1
    assert token.balanceOf(staking) == held and token.totalSupply() == supply  # escrowed, not burned
    assert staking.is_jailed(d) and not staking.is_eligible(d)
    assert staking.last_slashed_at(d) == tx.timestamp
    t = tx.timestamp
    assert staking.slash_info(1) == (d, 300 * IO, 0, 100 * IO, bob.address, 400 * IO, t, t + 30 * DAY, 1, "pending")
    assert staking.totals()[:4] == (2_700 * IO, 900 * IO, 400 * IO, 0)
    ev = one(tx, staking.Slashed)
    assert (ev.slash_id, ev.device, ev.co_staker, ev.amount, ev.owner_active_part, ev.owner_cooldown_part,
            ev.co_part, ev.evidence, bool(ev.jailed)) == (1, d, bob.address, 400 * IO, 300 * IO, 0, 100 * IO,
                                                        EVIDENCE, True)
    assert one(tx, staking.JailUpdated).device == d


def test_slash__one_wei__owner_active_total_falls_by_one(staking, token, owner, operator, alice):
    """The smallest slash: one wei, all of it from the owner's active stake, leaves the books exact."""
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    before = staking.totals()
    tx = staking.slash(d, 1, EVIDENCE, False, sender=operator)
    ev = tx.events.filter(staking.Slashed)[0]
    assert (ev.owner_active_part, ev.owner_cooldown_part, ev.co_part) == (1, 0, 0)
    t = staking.totals()
    assert (t.owner_active, t.escrowed) == (before.owner_active - 1, before.escrowed + 1)
    assert io_held(staking) == t.balance == token.balanceOf(staking)


def test_slash__without_jail__not_jailed(staking, token, owner, operator, alice):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    tx = staking.slash(d, 100 * IO, EVIDENCE, False, sender=operator)
    assert not staking.is_jailed(d) and staking.is_eligible(d)
    assert len(tx.events.filter(staking.JailUpdated)) == 0


def test_slash__cooldown_slashable__owner_cooldown_and_co_cooldown_hit(staking, token, operator, alice, bob,
                                                                        co_device):
    """Invariant cooldown_slashable: stake in cooldown and a co-stake in cooldown lose their share."""
    d = co_device
    staking.exit_co_stake(d, sender=bob)
    staking.unstake(d, sender=alice)
    advance(10 * DAY)  # co-stake past its wait: in cooldown; owner stake in cooldown
    staking.slash(d, 2_000 * IO, EVIDENCE, False, sender=operator)
    assert staking.owner_stake(d)[:2] == (0, 1_500 * IO)
    assert staking.co_stake(d).amount == 500 * IO
    advance(30 * DAY)  # long past every cooldown, not withdrawn: still slashable
    staking.slash(d, 1_000 * IO, EVIDENCE, False, sender=operator)
    assert staking.owner_stake(d)[1] == 750 * IO and staking.co_stake(d).amount == 250 * IO
    assert staking.co_stake(d).state_name == "withdrawable"
    staking.withdraw(d, sender=alice)
    staking.withdraw_co_stake(d, sender=bob)
    assert token.balanceOf(alice) == 750 * IO and token.balanceOf(bob) == 250 * IO


def test_slash__slash_bounded__uneven_amount_splits_exactly(staking, token, owner, operator, alice, bob):
    """Invariant slash_bounded: parts sum to the amount, none exceeds its stake (rounding)."""
    d = new_device(staking, token, owner, alice, stake=3 * IO + 1)
    staking.unstake(d, sender=alice)
    fund(token, owner, alice, 7 * IO + 3, staking)
    staking.stake(d, 7 * IO + 3, sender=alice)
    co_stake(staking, token, owner, alice, bob, d, 5 * IO + 2)
    buckets = [7 * IO + 3, 3 * IO + 1, 5 * IO + 2]
    amount = sum(buckets) // 2 - 1
    tx = staking.slash(d, amount, EVIDENCE, False, sender=operator)
    ev = one(tx, staking.Slashed)
    parts = [ev.owner_active_part, ev.owner_cooldown_part, ev.co_part]
    assert parts == pro_rata(amount, buckets) and sum(parts) == amount
    assert all(p <= b for p, b in zip(parts, buckets, strict=True))


def test_slash__above_maximum__reverts(staking, operator, co_device):
    with ape.reverts("NodeStaking: slash above maximum"):
        staking.slash(co_device, 2_000 * IO + 1, EVIDENCE, False, sender=operator)  # 50 % of 4,000


def test_slash__not_slasher__reverts(staking, attacker, owner, co_device):
    for who in (attacker, owner):
        with ape.reverts("access_control: account is missing role"):
            staking.slash(co_device, 1, EVIDENCE, False, sender=who)


def test_slash__unknown_device__reverts(staking, operator):
    with ape.reverts("NodeStaking: unknown device"):
        staking.slash(device_id("nope"), 1, EVIDENCE, False, sender=operator)


def test_slash__zero__reverts(staking, operator, co_device):
    with ape.reverts("NodeStaking: amount is zero"):
        staking.slash(co_device, 0, EVIDENCE, False, sender=operator)


def test_slash__nothing_staked__reverts(staking, token, owner, operator, alice):
    d = new_device(staking, token, owner, alice, stake=0)
    with ape.reverts("NodeStaking: nothing to slash"):
        staking.slash(d, 1, EVIDENCE, False, sender=operator)


def test_slash__pending_offer__not_slashed(staking, token, owner, operator, alice, bob):
    d = new_device(staking, token, owner, alice, stake=2_000 * IO)
    staking.offer_co_stake(d, bob, 1_000 * IO, 1_000, sender=alice)
    staking.slash(d, 1_000 * IO, EVIDENCE, False, sender=operator)
    assert staking.owner_stake(d)[0] == 1_000 * IO and staking.co_stake(d).amount == 1_000 * IO  # offer intact
    assert staking.totals().co_staked == 0  # an offer is not deposited


# ------------------------------------------------------------------ appeals
def test_overturn_slash__inside_window__stakes_restored(staking, token, owner, operator, alice, bob,
                                                        co_device):
    d = co_device
    staking.slash(d, 400 * IO, EVIDENCE, True, sender=operator)
    advance(30 * DAY - 10)
    tx = staking.overturn_slash(1, sender=owner)
    assert staking.owner_stake(d)[0] == 3_000 * IO and staking.co_stake(d).amount == 1_000 * IO
    assert staking.escrowed() == 0
    assert staking.is_jailed(d)  # overturning does not unjail
    assert staking.totals()[:4] == (3_000 * IO, 1_000 * IO, 0, 0)
    ev = one(tx, staking.SlashOverturned)
    assert (ev.slash_id, ev.device, ev.co_staker, ev.amount, ev.owner_active_part, ev.owner_cooldown_part,
            ev.co_part, bool(ev.co_refunded_to_balance)) == (1, d, bob.address, 400 * IO, 300 * IO, 0, 100 * IO,
                                                             False)


def test_overturn_slash__co_staker_gone__refund_claimable(staking, token, owner, operator, alice, bob,
                                                          co_device):
    d = co_device
    staking.exit_co_stake(d, sender=bob)
    staking.slash(d, 400 * IO, EVIDENCE, False, sender=operator)
    advance(21 * DAY)
    staking.withdraw_co_stake(d, sender=bob)
    assert token.balanceOf(bob) == 900 * IO
    tx = staking.overturn_slash(1, sender=owner)
    assert bool(one(tx, staking.SlashOverturned).co_refunded_to_balance)
    assert staking.refunds(bob) == 100 * IO == staking.refunds_owed() == staking.totals().refunds_owed
    assert token.balanceOf(staking) == io_held(staking)  # io_held with a refund owed
    tx = staking.claim_refund(sender=bob)
    assert token.balanceOf(bob) == 1_000 * IO and staking.refunds(bob) == 0 and staking.refunds_owed() == 0
    ev = one(tx, staking.RefundClaimed)
    assert (ev.co_staker, ev.amount) == (bob.address, 100 * IO)


def test_claim_refund__nothing__reverts(staking, bob):
    with ape.reverts("NodeStaking: no refund"):
        staking.claim_refund(sender=bob)


def test_overturn_slash__after_window__reverts(staking, owner, operator, co_device):
    staking.slash(co_device, 400 * IO, EVIDENCE, False, sender=operator)
    advance(30 * DAY)
    with ape.reverts("NodeStaking: appeal window over"):
        staking.overturn_slash(1, sender=owner)


def test_overturn_slash__not_pending__reverts(staking, owner):
    with ape.reverts("NodeStaking: slash not pending"):
        staking.overturn_slash(1, sender=owner)


def test_overturn_slash__not_governance__reverts(staking, operator, attacker, co_device):
    staking.slash(co_device, 400 * IO, EVIDENCE, False, sender=operator)
    with ape.reverts("access_control: account is missing role"):
        staking.overturn_slash(1, sender=attacker)


def test_finalize_slash__burn_on_finalize__supply_falls_cap_stays(staking, token, operator, attacker, bob,
                                                                  co_device):
    """Invariant burn_on_finalize: the escrow is burned; total_minted (the cap's measure) is unchanged."""
    staking.slash(co_device, 400 * IO, EVIDENCE, False, sender=operator)
    supply, minted, held = token.totalSupply(), token.total_minted(), token.balanceOf(staking)
    advance(30 * DAY)
    tx = staking.finalize_slash(1, sender=attacker)  # anyone
    assert token.totalSupply() == supply - 400 * IO and token.total_minted() == minted
    assert token.total_burned() == 400 * IO and token.mintable_supply() == token.MAX_SUPPLY() - minted
    assert token.balanceOf(staking) == held - 400 * IO and staking.escrowed() == 0
    ev = one(tx, staking.SlashFinalized)
    assert (ev.slash_id, ev.device, ev.co_staker, ev.amount, ev.owner_active_part, ev.owner_cooldown_part,
            ev.co_part) == (1, co_device, bob.address, 400 * IO, 300 * IO, 0, 100 * IO)
    with ape.reverts("NodeStaking: slash not pending"):
        staking.finalize_slash(1, sender=attacker)


def test_finalize_slash__inside_window__reverts(staking, operator, attacker, co_device):
    staking.slash(co_device, 400 * IO, EVIDENCE, False, sender=operator)
    advance(30 * DAY - 10)
    with ape.reverts("NodeStaking: appeal window open"):
        staking.finalize_slash(1, sender=attacker)


def test_io_held__mixed_history__contract_balance_equals_buckets(staking, token, owner, operator, alice, bob,
                                                                  co_device):
    """Invariant io_held on a fixed story (the state machine checks it on random ones)."""
    d = co_device
    staking.slash(d, 400 * IO, EVIDENCE, False, sender=operator)
    staking.exit_co_stake(d, sender=bob)
    staking.unstake(d, sender=alice)
    advance(staking.MIN_SLASH_INTERVAL_SECONDS())  # one slash per device per interval
    staking.slash(d, 100 * IO, EVIDENCE, False, sender=operator)
    active, cooling, _ = staking.owner_stake(d)
    co = staking.co_stake(d).amount
    assert token.balanceOf(staking) == active + cooling + co + staking.escrowed()
    assert staking.totals()[:4] == (active, co, staking.escrowed(), 0) and io_held(staking) == token.balanceOf(staking)


def test_totals__io_held__anyone_checks_the_books_in_one_call(staking, token, owner, operator, alice, bob,
                                                              carol, attacker):
    """Issue 9 item 8: totals() gives the running totals of the IO held (owner active, deposited
    co-stake, escrow, refunds owed) and the balance; with every device's cooldown (owner_stake,
    per device only since issue 18's withdrawal goal) anyone checks invariant io_held without
    replaying events; every field is checked against the devices."""
    a = new_device(staking, token, owner, alice, name="t-a", stake=3_000 * IO)
    b = new_device(staking, token, owner, carol, name="t-b", stake=4_000 * IO)
    co_stake(staking, token, owner, alice, bob, a, 1_000 * IO)
    staking.offer_co_stake(b, bob, 500 * IO, 1_000, sender=carol)  # pending: not held
    staking.slash(a, 400 * IO, EVIDENCE, False, sender=operator)  # 300 owner + 100 co into escrow
    staking.exit_co_stake(a, sender=bob)
    staking.unstake(b, sender=carol)
    staking.slash(b, 1_000 * IO, EVIDENCE, False, sender=operator)  # from b's cooldown
    advance(21 * DAY)
    staking.withdraw_co_stake(a, sender=bob)  # bob's 900 paid out
    staking.overturn_slash(1, sender=owner)  # bob's 100 now owed as a refund
    t = staking.totals()
    assert (t.owner_active, t.co_staked, t.escrowed, t.refunds_owed) == (3_000 * IO, 0, 1_000 * IO, 100 * IO)
    assert staking.owner_stake(a)[1] == 0 and staking.owner_stake(b)[1] == 3_000 * IO
    assert io_held(staking) == 7_100 * IO == t.balance == token.balanceOf(staking)
    assert (t.slash_count, t.device_count) == (2, staking.device_count())
    advance(30 * DAY)
    staking.finalize_slash(2, sender=attacker)
    staking.claim_refund(sender=bob)
    staking.withdraw(b, sender=carol)
    t = staking.totals()
    assert t[:4] == (3_000 * IO, 0, 0, 0) and io_held(staking) == t.balance == token.balanceOf(staking) == 3_000 * IO


def test_o1__ten_times_more_devices__same_gas(staking, token, owner, operator, alice, carol):
    """Invariant o1: stake, unstake, slash cost the same whatever the number of devices."""
    def measure(tag):
        d = new_device(staking, token, owner, alice, name=f"o1-{tag}", stake=0)
        fund(token, owner, alice, 4_000 * IO, staking)
        g = [staking.stake(d, 4_000 * IO, sender=alice).gas_used,
             staking.slash(d, 10 * IO, EVIDENCE, False, sender=operator).gas_used,
             staking.unstake(d, sender=alice).gas_used]
        return g
    new_device(staking, token, owner, alice, name="o1-warm", stake=4_000 * IO)  # contract holds IO already
    first = measure("a")
    for i in range(20):
        staking.register_device(device_id(f"filler-{i}"), b"H100".ljust(32, b"\0"), 1, carol, sender=carol)
    assert measure("b") == first


# ------------------------------------------------------------------ slash ids and outcomes (for rewards)
def test_last_slash_id__two_slashes__latest_id_and_claim_context(staking, token, owner, operator, alice, bob,
                                                                 co_device):
    d = co_device
    other = new_device(staking, token, owner, bob, name="dev-other", stake=4_000 * IO)
    assert staking.last_slash_id(d) == 0 and staking.claim_context(d) == (alice.address, 0)
    staking.slash(d, 10 * IO, EVIDENCE, False, sender=operator)
    staking.slash(other, 10 * IO, EVIDENCE, True, sender=operator)  # another device: no wait
    advance(staking.MIN_SLASH_INTERVAL_SECONDS())
    staking.slash(d, 10 * IO, EVIDENCE, True, sender=operator)
    assert staking.last_slash_id(d) == 3 and staking.last_slash_id(other) == 2
    assert staking.claim_context(d) == (alice.address, 3)
    assert staking.claim_context(device_id("nobody")) == ("0x" + "00" * 20, 0)
    staking.unjail(d, sender=owner)  # unjailing keeps the slash id
    assert staking.last_slash_id(d) == 3 and not staking.is_jailed(d)


def test_slash_info__settled__record_kept_with_outcome(staking, token, owner, operator, attacker, bob,
                                                       co_device):
    """Issue 9 item 8: a settled slash still shows its parts and says whether it was overturned
    or finalized; an unknown id says "unknown"."""
    d = co_device
    t1 = staking.slash(d, 400 * IO, EVIDENCE, False, sender=operator).timestamp
    advance(staking.MIN_SLASH_INTERVAL_SECONDS())
    t2 = staking.slash(d, 100 * IO, EVIDENCE, False, sender=operator).timestamp
    staking.overturn_slash(1, sender=owner)
    advance(30 * DAY)
    staking.finalize_slash(2, sender=attacker)
    assert staking.slash_info(1) == (d, 300 * IO, 0, 100 * IO, bob.address, 400 * IO, t1, t1 + 30 * DAY, 2,
                                     "overturned")
    info = staking.slash_info(2)
    assert (info.device, info.amount, info.created_at, info.outcome, info.outcome_name) == (
        d, 100 * IO, t2, 3, "finalized")
    assert info.owner_active_part + info.owner_cooldown_part + info.co_part == 100 * IO
    assert staking.slash_info(3) == (b"\x00" * 32, 0, 0, 0, ZERO, 0, 0, 0, 0, "unknown")
    with ape.reverts("NodeStaking: slash not pending"):
        staking.overturn_slash(1, sender=owner)


def test_slash__co_cap__owner_keeps_at_least_the_co_stake(staking, token, owner, operator, alice, bob):
    """co_cap survives a slash (proof at NodeStaking.slash): equal owner and co stakes, an odd
    slash: the owner's floor leaves it at least as much as the co-stake keeps."""
    d = new_device(staking, token, owner, alice, stake=1_000 * IO + 1)
    staking.unstake(d, sender=alice)
    fund(token, owner, alice, 2_000 * IO, staking)
    staking.stake(d, 2_000 * IO, sender=alice)
    co_stake(staking, token, owner, alice, bob, d, 2_000 * IO)
    for amount in (1, 3, 7 * IO + 5, 999 * IO + 1):
        advance(staking.MIN_SLASH_INTERVAL_SECONDS())
        staking.slash(d, amount, EVIDENCE, False, sender=operator)
        assert staking.co_stake(d).amount <= staking.owner_stake(d)[0]
        assert staking.co_stake(d).state_name == "active"


def test_slash_outcome__pending_overturned_finalized_unknown(staking, owner, operator, attacker, co_device):
    d = co_device
    assert staking.slash_outcome(1) == staking.SLASH_UNKNOWN() == 0
    staking.slash(d, 10 * IO, EVIDENCE, False, sender=operator)
    advance(staking.MIN_SLASH_INTERVAL_SECONDS())
    staking.slash(d, 10 * IO, EVIDENCE, False, sender=operator)
    assert staking.slash_outcome(1) == staking.slash_outcome(2) == staking.SLASH_PENDING() == 1
    staking.overturn_slash(1, sender=owner)
    assert staking.slash_outcome(1) == staking.SLASH_OVERTURNED() == 2
    advance(30 * DAY)
    assert staking.slash_outcome(2) == 1  # window over, not yet finalized: still pending
    staking.finalize_slash(2, sender=attacker)
    assert staking.slash_outcome(2) == staking.SLASH_FINALIZED() == 3
    assert staking.slash_outcome(3) == 0


# ------------------------------------------------------------------ slash interval (issue 18, defect 7)
def test_slash__again_within_interval__reverts_slashed_too_recently(staking, token, owner, operator, alice,
                                                                    co_device):
    """Invariant slash_interval: a second slash of the device inside the interval reverts, even for
    1 wei and whatever became of the first (overturned here): the slasher can no longer slash a
    device before each pending rewards root activates and freeze its claims. Another device may
    be slashed meanwhile (the interval is per device)."""
    d = co_device
    other = new_device(staking, token, owner, alice, name="dev-other", stake=4_000 * IO)
    staking.slash(d, 1, EVIDENCE, False, sender=operator)
    staking.slash(other, 1, EVIDENCE, False, sender=operator)
    staking.overturn_slash(1, sender=owner)
    advance(staking.MIN_SLASH_INTERVAL_SECONDS() - 60)
    with ape.reverts("NodeStaking: slashed too recently"):
        staking.slash(d, 1, EVIDENCE, True, sender=operator)
    assert staking.slash_count() == 2 and staking.last_slash_id(d) == 1 and not staking.is_jailed(d)


def test_slash__interval_boundary__one_second_early_reverts_exactly_at_last_plus_interval_passes(
        staking, operator, co_device):
    d = co_device
    interval = staking.MIN_SLASH_INTERVAL_SECONDS()
    last = staking.slash(d, 1, EVIDENCE, False, sender=operator).timestamp
    assert staking.last_slashed_at(d) == last
    chain = ape.chain
    chain.pending_timestamp = last + interval - 1
    with ape.reverts("NodeStaking: slashed too recently"):
        staking.slash(d, 1, EVIDENCE, False, sender=operator)
    chain.pending_timestamp = last + interval
    tx = staking.slash(d, 1, EVIDENCE, False, sender=operator)
    assert tx.timestamp == last + interval and staking.last_slashed_at(d) == last + interval
    assert one(tx, staking.Slashed).slash_id == 2

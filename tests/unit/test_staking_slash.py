"""NodeStaking: slashing, appeal escrow, overturns, finalization (burn), refunds; the invariants
slash_bounded, cooldown_slashable, io_held, burn_on_finalize, o1 on fixed scenarios."""

import ape
import pytest

from ionet.staking import pro_rata
from tests.staking_helpers import DAY, EVIDENCE, IO, advance, co_stake, device_id, fund, new_device, one


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
    assert staking.co_stake(d)[1] == 900 * IO
    assert staking.escrowed() == 400 * IO and staking.slash_count() == 1
    assert token.balanceOf(staking) == held and token.totalSupply() == supply  # escrowed, not burned
    assert staking.is_jailed(d) and not staking.is_eligible(d)
    assert staking.last_slashed_at(d) == tx.timestamp
    assert staking.slash_info(1) == (d, 300 * IO, 0, 100 * IO, bob.address, tx.timestamp)
    ev = one(tx, staking.Slashed)
    assert (ev.slash_id, ev.device, ev.co_staker, ev.amount, ev.owner_active_part, ev.owner_cooldown_part,
            ev.co_part, ev.evidence, bool(ev.jailed)) == (1, d, bob.address, 400 * IO, 300 * IO, 0, 100 * IO,
                                                        EVIDENCE, True)
    assert one(tx, staking.JailUpdated).device == d


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
    assert staking.co_stake(d)[1] == 500 * IO
    advance(30 * DAY)  # long past every cooldown, not withdrawn: still slashable
    staking.slash(d, 1_000 * IO, EVIDENCE, False, sender=operator)
    assert staking.owner_stake(d)[1] == 750 * IO and staking.co_stake(d)[1] == 250 * IO
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
    assert staking.owner_stake(d)[0] == 1_000 * IO and staking.co_stake(d)[1] == 1_000 * IO  # offer intact


# ------------------------------------------------------------------ appeals
def test_overturn_slash__inside_window__stakes_restored(staking, token, owner, operator, alice, bob,
                                                        co_device):
    d = co_device
    staking.slash(d, 400 * IO, EVIDENCE, True, sender=operator)
    advance(30 * DAY - 10)
    tx = staking.overturn_slash(1, sender=owner)
    assert staking.owner_stake(d)[0] == 3_000 * IO and staking.co_stake(d)[1] == 1_000 * IO
    assert staking.escrowed() == 0 and staking.slash_info(1)[0] == b"\x00" * 32
    assert staking.is_jailed(d)  # overturning does not unjail
    ev = one(tx, staking.SlashOverturned)
    assert (ev.slash_id, ev.device, ev.amount, bool(ev.co_refunded_to_balance)) == (1, d, 400 * IO, False)


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
    assert staking.refunds(bob) == 100 * IO
    tx = staking.claim_refund(sender=bob)
    assert token.balanceOf(bob) == 1_000 * IO and staking.refunds(bob) == 0
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


def test_finalize_slash__burn_on_finalize__supply_falls_cap_stays(staking, token, operator, attacker,
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
    assert (ev.slash_id, ev.device, ev.amount) == (1, co_device, 400 * IO)
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
    staking.slash(d, 100 * IO, EVIDENCE, False, sender=operator)
    active, cooling, _ = staking.owner_stake(d)
    co = staking.co_stake(d)[1]
    assert token.balanceOf(staking) == active + cooling + co + staking.escrowed()


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
    staking.slash(other, 10 * IO, EVIDENCE, True, sender=operator)
    staking.slash(d, 10 * IO, EVIDENCE, True, sender=operator)
    assert staking.last_slash_id(d) == 3 and staking.last_slash_id(other) == 2
    assert staking.claim_context(d) == (alice.address, 3)
    assert staking.claim_context(device_id("nobody")) == ("0x" + "00" * 20, 0)
    staking.unjail(d, sender=owner)  # unjailing keeps the slash id
    assert staking.last_slash_id(d) == 3 and not staking.is_jailed(d)


def test_slash_outcome__pending_overturned_finalized_unknown(staking, owner, operator, attacker, co_device):
    d = co_device
    assert staking.slash_outcome(1) == staking.SLASH_UNKNOWN() == 0
    staking.slash(d, 10 * IO, EVIDENCE, False, sender=operator)
    staking.slash(d, 10 * IO, EVIDENCE, False, sender=operator)
    assert staking.slash_outcome(1) == staking.slash_outcome(2) == staking.SLASH_PENDING() == 1
    staking.overturn_slash(1, sender=owner)
    assert staking.slash_outcome(1) == staking.SLASH_OVERTURNED() == 2
    advance(30 * DAY)
    assert staking.slash_outcome(2) == 1  # window over, not yet finalized: still pending
    staking.finalize_slash(2, sender=attacker)
    assert staking.slash_outcome(2) == staking.SLASH_FINALIZED() == 3
    assert staking.slash_outcome(3) == 0

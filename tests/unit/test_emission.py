"""EmissionSchedule: the published hourly schedule, minted on catch-up, clamped at 300M."""

from __future__ import annotations

import random

import ape
import pytest
from ape import chain, project

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.models import emission as model
from tests.conftest import advance_to

H = model.EPOCH_SECONDS


def at_epoch_end(emission, epoch: int) -> None:
    """Move the clock to the first second at which `epoch` has ended."""
    advance_to(emission.START_TIME() + epoch * H)


# ---------------------------------------------------------------- constructor and constants
def test_constructor__deployed_suite__schedule_constants(emission, token, owner, suite):
    assert emission.EPOCH_SECONDS() == 3_600
    assert emission.EPOCH_COUNT() == 175_319
    assert emission.TOTAL_EMISSION() == 300_000_000 * IO
    assert emission.Q_RAY() == model.Q_RAY
    assert emission.token() == token.address
    assert emission.START_TIME() == suite.manifest.genesis_time
    assert emission.owner() == owner.address
    assert emission.total_emitted() == 0


def test_constructor__start_zero__uses_block_time_and_logs_recipient(owner, token, alice):
    sched = owner.deploy(project.EmissionSchedule, token.address, 0, alice.address)
    receipt = chain.provider.get_receipt(sched.txn_hash)
    assert sched.START_TIME() == chain.blocks[receipt.block_number].timestamp
    logs = list(receipt.decode_logs(sched.RewardRecipientUpdated))
    assert [(log.old_recipient, log.new_recipient) for log in logs] == [(ZERO, alice.address)]


def test_constructor__recipient_log__first_recipient_paid_from_epoch_1(owner, token, alice):
    """The constructor's RewardRecipientUpdated is the first entry of the recipient history an indexer
    replays: its `from_epoch` must say the first recipient is paid from epoch 1, the schedule's first
    epoch (a later switch's `from_epoch` is the first epoch paid to its new recipient)."""
    sched = owner.deploy(project.EmissionSchedule, token.address, chain.pending_timestamp + 5 * H, alice.address)
    receipt = chain.provider.get_receipt(sched.txn_hash)
    [log] = list(receipt.decode_logs(sched.RewardRecipientUpdated))
    assert (log.old_recipient, log.new_recipient, log.from_epoch) == (ZERO, alice.address, 1)


def test_constructor__zero_token__reverts(owner, alice, scratch_deployer):
    with ape.reverts("EmissionSchedule: token is the zero address"):
        scratch_deployer.deploy(project.EmissionSchedule, ZERO, 0, alice.address)


def test_constructor__zero_recipient__reverts(owner, token, scratch_deployer):
    with ape.reverts("EmissionSchedule: recipient is the zero address"):
        scratch_deployer.deploy(project.EmissionSchedule, token.address, 0, ZERO)


# ---------------------------------------------------------------- views
def test_emission_of__first_epoch__is_published_4566_21_IO(emission):
    e1 = emission.emission_of(1)
    assert e1 == model.emission_of(1)
    assert abs(model.wei_to_io(e1) - model.real_emission_of(1)) < model.Decimal("1e-9")
    assert str(model.wei_to_io(e1)).startswith("4566.2100456621")


def test_emission_of__outside_schedule__zero(emission):
    assert emission.emission_of(0) == 0
    assert emission.emission_of(model.EPOCH_COUNT + 1) == 0
    assert emission.emission_of(10**30) == 0


def test_emission_of__last_epoch__clamped_so_total_is_exact(emission):
    last = emission.emission_of(model.EPOCH_COUNT)
    assert last == model.emission_of(model.EPOCH_COUNT)
    assert emission.cumulative_through(model.EPOCH_COUNT - 1) + last == 300_000_000 * IO
    # the real formula's last epoch is ~400.13 IO; the clamp takes off ~0.00044 IO
    assert abs(model.wei_to_io(last) - model.real_emission_of(model.EPOCH_COUNT) + model.Decimal("0.00044")) < \
        model.Decimal("0.00001")


def test_cumulative_through__sampled_epochs__equals_python_model_exactly(emission):
    rng = random.Random(2)
    epochs = list(range(0, 300)) + [8_759, 8_760, 8_761, 17_520, 100_000, 131_071, 131_072, 175_317, 175_318,
                                    175_319, 175_320, 10**9] + rng.sample(range(1, model.EPOCH_COUNT), 400)
    for t in epochs:
        assert emission.cumulative_through(t) == model.cumulative_through(t), t


def test_cumulative_through__from_last_epoch_on__exactly_300M(emission):
    for t in (model.EPOCH_COUNT, model.EPOCH_COUNT + 1, 2**64):
        assert emission.cumulative_through(t) == model.TOTAL_EMISSION


def test_current_and_completed_epochs__at_boundaries(emission):
    start = emission.START_TIME()
    advance_to(start + 1)
    assert emission.current_epoch() == 1
    assert emission.completed_epochs() == 0
    advance_to(start + H - 1)
    assert (emission.current_epoch(), emission.completed_epochs()) == (1, 0)
    advance_to(start + H)
    assert (emission.current_epoch(), emission.completed_epochs()) == (2, 1)
    advance_to(start + model.EPOCH_COUNT * H)
    assert (emission.current_epoch(), emission.completed_epochs()) == (model.EPOCH_COUNT + 1, model.EPOCH_COUNT)
    advance_to(start + 10 * model.EPOCH_COUNT * H)
    assert (emission.current_epoch(), emission.completed_epochs()) == (model.EPOCH_COUNT + 1, model.EPOCH_COUNT)


def test_current_epoch__before_start__zero(owner, token, alice):
    sched = owner.deploy(project.EmissionSchedule, token.address, chain.pending_timestamp + 10 * H, alice.address)
    assert sched.current_epoch() == 0
    assert sched.completed_epochs() == 0
    assert sched.mintable() == 0
    start = sched.START_TIME()
    advance_to(start - 1)
    assert (sched.current_epoch(), sched.completed_epochs()) == (0, 0)
    advance_to(start)  # the first second of the schedule is in epoch 1
    assert (sched.current_epoch(), sched.completed_epochs()) == (1, 0)


def test_mintable__mid_epoch__only_ended_epochs_count(emission):
    at_epoch_end(emission, 5)
    advance_to(chain.pending_timestamp + H - 2)  # still inside epoch 6
    assert emission.mintable() == model.cumulative_through(5)


# ---------------------------------------------------------------- mint_due
def test_mint_due__nothing_due__returns_zero_mints_nothing(emission, token, alice):
    assert emission.completed_epochs() == 0
    receipt = emission.mint_due(sender=alice)
    assert receipt.return_value == 0
    assert list(receipt.decode_logs(emission.EmissionMinted)) == []
    assert token.total_minted() == model.GENESIS_SUPPLY


def test_mint_due__one_epoch_ended__mints_E1_to_recipient_with_event(emission, token, alice, owner):
    recipient = emission.reward_recipient()
    before = token.balanceOf(recipient)
    at_epoch_end(emission, 1)
    receipt = emission.mint_due(sender=alice)  # anyone may call it
    e1 = model.emission_of(1)
    assert receipt.return_value == e1
    assert token.balanceOf(recipient) - before == e1
    assert emission.total_emitted() == e1
    assert token.total_minted() == model.GENESIS_SUPPLY + e1
    [log] = list(receipt.decode_logs(emission.EmissionMinted))
    assert (log.recipient, log.amount, log.through_epoch, log.total_emitted) == (recipient, e1, 1, e1)


def test_mint_due__months_without_calls__catches_up_exactly_in_one_call(emission, alice):
    at_epoch_end(emission, 24 * 200)  # 200 days, nothing minted in between
    receipt = emission.mint_due(sender=alice)
    assert receipt.return_value == model.cumulative_through(24 * 200)
    assert emission.mintable() == 0


def test_mint_due__called_every_epoch_vs_once__same_total(emission, alice):
    start = emission.START_TIME()
    for t in range(1, 13):
        advance_to(start + t * H + 7)
        emission.mint_due(sender=alice)
    assert emission.total_emitted() == model.cumulative_through(12)


def test_mint_due__twenty_years__exactly_300M_then_nothing_ever(emission, token, alice):
    """The whole schedule: jump past the end, mint, check the exact total; jump further, nothing mints."""
    at_epoch_end(emission, model.EPOCH_COUNT)
    emission.mint_due(sender=alice)
    assert emission.total_emitted() == 300_000_000 * IO
    assert token.total_minted() == token.MAX_SUPPLY() == 800_000_000 * IO
    advance_to(chain.pending_timestamp + 5 * 365 * 86_400)
    receipt = emission.mint_due(sender=alice)
    assert receipt.return_value == 0
    assert token.total_minted() == 800_000_000 * IO
    assert emission.mintable() == 0


def test_mint_due__last_epoch_not_yet_ended__one_epoch_short(emission, alice):
    at_epoch_end(emission, model.EPOCH_COUNT - 1)
    emission.mint_due(sender=alice)
    assert emission.total_emitted() == model.cumulative_through(model.EPOCH_COUNT - 1) < 300_000_000 * IO
    at_epoch_end(emission, model.EPOCH_COUNT)
    assert emission.mint_due(sender=alice).return_value == model.emission_of(model.EPOCH_COUNT)


# ---------------------------------------------------------------- reward recipient
def test_set_reward_recipient__by_admin__future_emission_goes_there(emission, token, owner, bob):
    old = emission.reward_recipient()
    receipt = emission.set_reward_recipient(bob, sender=owner)
    assert emission.reward_recipient() == bob.address
    [log] = list(receipt.decode_logs(emission.RewardRecipientUpdated))
    assert (log.old_recipient, log.new_recipient) == (old, bob.address)
    at_epoch_end(emission, 2)
    emission.mint_due(sender=bob)
    assert token.balanceOf(bob) == model.cumulative_through(2)


def test_set_reward_recipient__ten_hours_due__minted_to_the_old_recipient_first(emission, token, suite, owner, bob):
    """Issue 18, defect 6: the 10 hours that ended under the RewardsDistributor since the last mint
    (epochs 2-11, 45,658.6130 IO) are minted to it by the switch itself, not left for the next
    recipient's `mint_due`; the log shows the mint (to the old recipient, through epoch 11) before
    the switch (the new recipient from epoch 12)."""
    dist = suite.RewardsDistributor
    assert emission.reward_recipient() == dist.address and emission.total_emitted() == 0
    at_epoch_end(emission, 1)
    emission.mint_due(sender=bob)
    at_epoch_end(emission, 11)
    due = model.cumulative_through(11) - model.cumulative_through(1)
    assert str(model.wei_to_io(due)).startswith("45658.6130")
    before = token.balanceOf(dist)
    receipt = emission.set_reward_recipient(bob, sender=owner)
    assert emission.reward_recipient() == bob.address
    assert token.balanceOf(dist) == before + due and token.balanceOf(bob) == 0
    assert emission.total_emitted() == model.cumulative_through(11) and emission.mintable() == 0
    names = [log.event_name for log in receipt.events]
    assert names == ["Transfer", "EmissionMinted", "RewardRecipientUpdated"], names
    [minted] = receipt.decode_logs(emission.EmissionMinted)
    assert (minted.recipient, minted.amount, minted.through_epoch) == (dist.address, due, 11)
    assert minted.total_emitted == model.cumulative_through(11)
    [switched] = receipt.decode_logs(emission.RewardRecipientUpdated)
    assert (switched.old_recipient, switched.new_recipient, switched.from_epoch) == (dist.address, bob.address, 12)
    at_epoch_end(emission, 13)
    assert emission.mint_due(sender=bob).return_value == model.cumulative_through(13) - model.cumulative_through(11)
    assert token.balanceOf(bob) == model.cumulative_through(13) - model.cumulative_through(11)


def test_set_reward_recipient__nothing_due__switches_without_a_mint(emission, token, suite, owner, bob):
    at_epoch_end(emission, 3)
    emission.mint_due(sender=bob)
    receipt = emission.set_reward_recipient(bob, sender=owner)  # same hour: nothing more is due
    assert [log.event_name for log in receipt.events] == ["RewardRecipientUpdated"]
    [switched] = receipt.decode_logs(emission.RewardRecipientUpdated)
    assert (switched.new_recipient, switched.from_epoch) == (bob.address, 4)
    assert token.balanceOf(bob) == 0 and emission.reward_recipient() == bob.address


def test_schedule_model__switches_and_mints__chain_pays_each_recipient_what_the_model_does(
    emission, token, suite, owner, alice, bob, carol
):
    """Differential (invariant 5): a seeded run of 12 mints and switches among three recipients at
    random times; after each step every recipient's IO, total_emitted, the recipient and the events'
    figures equal ionet.models.emission.Schedule's."""
    dist = suite.RewardsDistributor.address
    rng = random.Random(18)
    twin = model.Schedule(start_time=emission.START_TIME(), recipient=dist)
    people = [dist, alice.address, bob.address, carol.address]
    start = {a: token.balanceOf(a) for a in people}
    for _step in range(12):
        chain.pending_timestamp += rng.choice([1, 1_800, 3_600, 3 * 3_600 + 7, 25 * 3_600])
        now = chain.pending_timestamp
        if rng.random() < 0.5:
            new = rng.choice(people)
            receipt = emission.set_reward_recipient(new, sender=owner)
            assert chain.blocks[receipt.block_number].timestamp == now
            due, from_epoch = twin.set_reward_recipient(new, now)
            [switched] = receipt.decode_logs(emission.RewardRecipientUpdated)
            assert switched.from_epoch == from_epoch
        else:
            receipt = emission.mint_due(sender=alice)
            assert chain.blocks[receipt.block_number].timestamp == now
            due = twin.mint_due(now)
            assert receipt.return_value == due
        assert sum(e.amount for e in receipt.decode_logs(emission.EmissionMinted)) == due
        assert emission.total_emitted() == twin.emitted and emission.reward_recipient() == twin.recipient
        for a in people:
            assert token.balanceOf(a) - start[a] == twin.paid.get(a, 0), a
    assert len(twin.paid) >= 2  # the run switched and paid more than one recipient


def test_set_reward_recipient__by_non_admin__reverts(emission, attacker):
    with ape.reverts("ownable: caller is not the owner"):
        emission.set_reward_recipient(attacker, sender=attacker)


def test_set_reward_recipient__zero_address__reverts(emission, owner):
    with ape.reverts("EmissionSchedule: recipient is the zero address"):
        emission.set_reward_recipient(ZERO, sender=owner)


def test_transfer_ownership__two_steps__to_a_multisig(emission, owner, alice, attacker):
    emission.transfer_ownership(alice, sender=owner)
    with ape.reverts("ownable_2step: caller is not the new owner"):
        emission.accept_ownership(sender=attacker)
    emission.accept_ownership(sender=alice)
    assert emission.owner() == alice.address
    with ape.reverts("ownable: caller is not the owner"):
        emission.set_reward_recipient(alice, sender=owner)


@pytest.mark.parametrize("epoch", [1, 2, 3, 7, 24, 8_760])
def test_emission_of__equals_difference_of_cumulatives(emission, epoch):
    assert emission.emission_of(epoch) == emission.cumulative_through(epoch) - emission.cumulative_through(epoch - 1)

"""NodeStaking: deployment, roles, governance setters and their bounds (issue 9 item 7), pause,
device registration, minimum stake."""

import ape
import pytest
from ape import project

from ionet import ZERO_ADDRESS as ZERO
from ionet.models.staking import CLASS_MULTIPLIERS, min_stake_of
from tests.staking_helpers import (
    DAY,
    EVIDENCE,
    H100,
    IO,
    RTX4090,
    advance,
    device_class,
    device_id,
    fund,
    new_device,
    one,
)


# ------------------------------------------------------------------ deployment and roles
def test_deploy__local_config__roles_classes_and_maximum_set(staking, token, owner, operator):
    assert staking.token() == token.address
    assert staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), owner)
    assert staking.hasRole(staking.GOVERNANCE_ROLE(), owner)
    assert staking.hasRole(staking.SLASHER_ROLE(), operator)
    assert staking.hasRole(staking.PAUSER_ROLE(), owner)
    assert not staking.hasRole(staking.SLASHER_ROLE(), owner)
    assert staking.max_slash_bps() == 5_000
    assert staking.MIN_SLASH_INTERVAL_SECONDS() == 3 * DAY  # config/deploy.local.json: 259,200 s
    for name, mult in CLASS_MULTIPLIERS.items():
        assert staking.class_multiplier(device_class(name)) == mult
    assert not staking.paused()


def test_init__token_zero__reverts(owner, scratch_deployer):
    with ape.reverts("NodeStaking: token is the zero address"):
        scratch_deployer.deploy(project.NodeStaking, ZERO, 5_000, 3 * DAY, [], [])


def test_init__lengths_differ__reverts(owner, token, scratch_deployer):
    with ape.reverts("NodeStaking: class lengths differ"):
        scratch_deployer.deploy(project.NodeStaking, token, 5_000, 3 * DAY, [H100], [])


def test_init__bad_max_slash__reverts(owner, token, scratch_deployer):
    with ape.reverts("NodeStaking: bad max slash"):
        scratch_deployer.deploy(project.NodeStaking, token, 0, 3 * DAY, [], [])


def test_init__multiplier_above_maximum__reverts(owner, token, scratch_deployer):
    with ape.reverts("NodeStaking: multiplier above maximum"):
        scratch_deployer.deploy(project.NodeStaking, token, 5_000, 3 * DAY, [H100], [1_000_001])


def test_init__empty_class__reverts(owner, token, scratch_deployer):
    with ape.reverts("NodeStaking: class is empty"):
        scratch_deployer.deploy(project.NodeStaking, token, 5_000, 3 * DAY, [b"\x00" * 32], [10_000])


def test_init__fresh_contract__totals_zero_and_io_held(scratch_deployer, token):
    st = scratch_deployer.deploy(project.NodeStaking, token, 5_000, 30 * DAY, [H100], [1_000_000])
    assert st.totals() == (0, 0, 0, 0, 0, 0, 0)
    assert st.max_slash_bps() == 5_000 and st.class_multiplier(H100) == st.MAX_MULTIPLIER_BPS() == 1_000_000
    assert st.MIN_SLASH_INTERVAL_SECONDS() == 30 * DAY  # the ceiling itself is accepted


@pytest.mark.parametrize("interval", [0, 3_600 - 1, 30 * DAY + 1])
def test_init__slash_interval_out_of_bounds__reverts(scratch_deployer, token, interval):
    """The least time between two slashes of a device is 1 hour .. 30 days (issue 18)."""
    with ape.reverts("NodeStaking: bad slash interval"):
        scratch_deployer.deploy(project.NodeStaking, token, 5_000, interval, [], [])


def test_init__slash_interval_floor__accepted(scratch_deployer, token):
    st = scratch_deployer.deploy(project.NodeStaking, token, 5_000, 3_600, [], [])
    assert st.MIN_SLASH_INTERVAL_SECONDS() == 3_600


@pytest.mark.parametrize(("interval", "delay"), [(2 * DAY - 1, DAY), (3 * DAY, 2 * DAY + 1), (3_599, 0),
                                                (30 * DAY + 1, DAY)])
def test_step_staking__slash_interval_too_short_or_out_of_bounds__refused_before_deploying(interval, delay):
    """The deploy refuses an interval shorter than rewards.activation_delay_seconds + one root period
    (1 day), or outside the contract's bounds, with a message naming both keys; nothing is sent."""
    from types import SimpleNamespace

    from ionet.chain.deploy_staking import step_staking

    suite = SimpleNamespace(config={"staking": {"min_slash_interval_seconds": interval},
                                    "rewards": {"activation_delay_seconds": delay}})  # no chain: any call fails
    with pytest.raises(ValueError, match="staking.min_slash_interval_seconds") as e:
        step_staking(suite)
    assert ("rewards.activation_delay_seconds" in str(e.value)) == (3_600 <= interval <= 30 * DAY)


def test_check_slash_interval__at_least_delay_plus_one_period__accepted():
    from ionet.models.staking import DEFAULT_MIN_SLASH_INTERVAL_SECONDS, check_slash_interval

    check_slash_interval(2 * DAY, DAY)  # exactly delay + one period
    check_slash_interval(DEFAULT_MIN_SLASH_INTERVAL_SECONDS, DAY)
    check_slash_interval(30 * DAY, 29 * DAY)


# ------------------------------------------------------------------ governance
def test_set_class_multiplier__governance__updates_and_logs(staking, owner):
    cls = device_class("MI300X")
    tx = staking.set_class_multiplier(cls, 90_000, sender=owner)
    assert staking.class_multiplier(cls) == 90_000
    ev = one(tx, staking.ClassMultiplierUpdated)
    assert (ev.device_class, ev.old_multiplier_bps, ev.new_multiplier_bps) == (cls, 0, 90_000)


def test_set_class_multiplier__not_governance__reverts(staking, attacker):
    with ape.reverts("access_control: account is missing role"):
        staking.set_class_multiplier(H100, 1, sender=attacker)


def test_set_class_multiplier__2_pow_200__reverts_with_a_reason(staking, token, owner, alice):
    """Issue 9 item 7, reproduced: a multiplier of 2**200 used to be stored and made min_stake and
    is_eligible (and every rewards and router call reading them) revert without a reason. Every
    multiplier is now bounded by MAX_MULTIPLIER_BPS (100x; the highest published class is 30x)."""
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: multiplier above maximum"):
        staking.set_class_multiplier(H100, 2**200, sender=owner)
    assert staking.class_multiplier(H100) == 100_000 and staking.is_eligible(d)


@pytest.mark.parametrize(("mult", "ok"), [(0, True), (1, True), (1_000_000, True), (1_000_001, False)])
def test_set_class_multiplier__bounds__0_to_100x(staking, owner, mult, ok):
    cls = device_class("bounded")
    if ok:
        staking.set_class_multiplier(cls, mult, sender=owner)
        assert staking.class_multiplier(cls) == mult
    else:
        with ape.reverts("NodeStaking: multiplier above maximum"):
            staking.set_class_multiplier(cls, mult, sender=owner)


def test_min_stake__largest_multiplier_and_processor_count__no_overflow(staking, owner, alice):
    """Every accepted input keeps min_stake and is_eligible computable: 100x and 2**32-1 processors."""
    cls = device_class("max")
    staking.set_class_multiplier(cls, 1_000_000, sender=owner)
    d = device_id("max-box")
    staking.register_device(d, cls, 2**32 - 1, alice, sender=alice)
    assert staking.min_stake(d) == 200 * IO * 100 * (2**32 - 1) == min_stake_of(1_000_000, 2**32 - 1)
    assert not staking.is_eligible(d) and staking.overflow(d) == 0 and staking.counting_stake(d) == 0


def test_set_class_multiplier__empty_class__reverts(staking, owner):
    with ape.reverts("NodeStaking: class is empty"):
        staking.set_class_multiplier(b"\x00" * 32, 1, sender=owner)


def test_set_class_multiplier__zero__device_ineligible(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    assert staking.is_eligible(d)
    staking.set_class_multiplier(H100, 0, sender=owner)
    assert not staking.is_eligible(d)
    assert staking.min_stake(d) == 200 * IO  # max(1.0, 0) x 1 processor


def test_set_max_slash_bps__governance__updates_and_logs(staking, owner):
    tx = staking.set_max_slash_bps(10_000, sender=owner)
    assert staking.max_slash_bps() == 10_000
    ev = one(tx, staking.MaxSlashUpdated)
    assert (ev.old_bps, ev.new_bps) == (5_000, 10_000)


@pytest.mark.parametrize("bps", [1, 10_000])
def test_set_max_slash_bps__edges__accepted(staking, owner, bps):
    staking.set_max_slash_bps(bps, sender=owner)
    assert staking.max_slash_bps() == bps
    assert staking.totals().slash_count == 0  # the other fields of the packed word are untouched


@pytest.mark.parametrize("bps", [0, 10_001])
def test_set_max_slash_bps__out_of_range__reverts(staking, owner, bps):
    with ape.reverts("NodeStaking: bad max slash"):
        staking.set_max_slash_bps(bps, sender=owner)


def test_set_max_slash_bps__not_governance__reverts(staking, attacker):
    with ape.reverts("access_control: account is missing role"):
        staking.set_max_slash_bps(1, sender=attacker)


def test_unjail__jailed_device__eligible_again(staking, token, owner, operator, alice):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    staking.slash(d, 10 * IO, EVIDENCE, True, sender=operator)
    assert staking.is_jailed(d) and not staking.is_eligible(d)
    tx = staking.unjail(d, sender=owner)
    assert not staking.is_jailed(d) and staking.is_eligible(d)
    ev = one(tx, staking.JailUpdated)
    assert ev.device == d and not ev.jailed


def test_unjail__not_jailed__reverts(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice)
    with ape.reverts("NodeStaking: device not jailed"):
        staking.unjail(d, sender=owner)


def test_unjail__not_governance__reverts(staking, attacker):
    with ape.reverts("access_control: account is missing role"):
        staking.unjail(device_id("x"), sender=attacker)


# ------------------------------------------------------------------ pause
def test_pause__pauser__stops_stakes_offers_and_acceptances(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, stake=4_000 * IO)
    staking.offer_co_stake(d, bob, 1_000 * IO, 1_000, sender=alice)
    fund(token, owner, bob, 1_000 * IO, staking)
    fund(token, owner, alice, 1_000 * IO, staking)
    tx = staking.pause(sender=owner)
    assert staking.paused()
    assert one(tx, staking.Paused).account == owner.address
    with ape.reverts("pausable: contract is paused"):
        staking.stake(d, 1, sender=alice)
    with ape.reverts("pausable: contract is paused"):
        staking.accept_co_stake(d, 1_000 * IO, 1_000, sender=bob)
    staking.cancel_co_stake_offer(d, sender=alice)
    with ape.reverts("pausable: contract is paused"):
        staking.offer_co_stake(d, bob, 1, 1, sender=alice)


def test_pause__paused__withdrawals_and_slashes_still_work(staking, token, owner, operator, alice):
    """What pausing never stops: overflow withdrawals, unstake, matured withdrawals, slashing."""
    d = new_device(staking, token, owner, alice, stake=3_000 * IO)
    staking.pause(sender=owner)
    staking.withdraw_overflow(d, 500 * IO, sender=alice)
    staking.slash(d, 100 * IO, EVIDENCE, False, sender=operator)
    staking.unstake(d, sender=alice)
    advance(14 * DAY)
    staking.withdraw(d, sender=alice)
    assert staking.owner_stake(d)[1] == 0


def test_unpause__pauser__stakes_again(staking, token, owner, alice):
    d = new_device(staking, token, owner, alice, stake=0)
    fund(token, owner, alice, 10 * IO, staking)
    staking.pause(sender=owner)
    tx = staking.unpause(sender=owner)
    assert not staking.paused()
    assert one(tx, staking.Unpaused).account == owner.address
    staking.stake(d, 10 * IO, sender=alice)


def test_unpause__pauser_without_governance__reverts(staking, owner, attacker):
    """A pauser (the guardian) stops new stakes; only governance lets them in again."""
    staking.grantRole(staking.PAUSER_ROLE(), attacker, sender=owner)
    staking.pause(sender=attacker)
    with ape.reverts("access_control: account is missing role"):
        staking.unpause(sender=attacker)
    staking.unpause(sender=owner)


def test_pause__not_pauser__reverts(staking, attacker):
    with ape.reverts("access_control: account is missing role"):
        staking.pause(sender=attacker)


def test_unpause__not_pauser__reverts(staking, owner, attacker):
    staking.pause(sender=owner)
    with ape.reverts("access_control: account is missing role"):
        staking.unpause(sender=attacker)


def test_pause__already_paused__reverts(staking, owner):
    staking.pause(sender=owner)
    with ape.reverts("pausable: contract is paused"):
        staking.pause(sender=owner)


def test_unpause__not_paused__reverts(staking, owner):
    with ape.reverts("pausable: contract is not paused"):
        staking.unpause(sender=owner)


# ------------------------------------------------------------------ registration
def test_register_device__new__stored_and_logged(staking, alice, carol):
    d = device_id("gpu-box-1")
    before = staking.device_count()
    tx = staking.register_device(d, H100, 8, carol, sender=alice)
    assert staking.device_owner(d) == alice.address
    assert staking.device_info(d) == (alice.address, H100, 8, carol.address, before + 1)
    assert staking.device_count() == before + 1 and staking.device_at(before + 1) == d
    assert staking.reward_split(d) == (carol.address, ZERO, 0)
    assert not staking.is_eligible(d)
    ev = one(tx, staking.DeviceRegistered)
    assert (ev.device, ev.owner, ev.device_class, ev.processors, ev.reward_wallet, ev.index) == (
        d, alice.address, H100, 8, carol.address, before + 1)


def test_register_device__twice__reverts(staking, alice, bob):
    d = device_id("dup")
    staking.register_device(d, H100, 1, alice, sender=alice)
    with ape.reverts("NodeStaking: device already registered"):
        staking.register_device(d, H100, 1, bob, sender=bob)


def test_register_device__zero_id__reverts(staking, alice):
    with ape.reverts("NodeStaking: device id is zero"):
        staking.register_device(b"\x00" * 32, H100, 1, alice, sender=alice)


def test_register_device__unsupported_class__reverts(staking, alice):
    with ape.reverts("NodeStaking: class is unsupported"):
        staking.register_device(device_id("x"), device_class("GTX 1080"), 1, alice, sender=alice)


def test_register_device__largest_processor_count__accepted(staking, alice):
    d = device_id("big")
    staking.register_device(d, H100, 2**32 - 1, alice, sender=alice)
    assert staking.device_info(d)[2] == 2**32 - 1


@pytest.mark.parametrize("processors", [0, 2**32])
def test_register_device__bad_processors__reverts(staking, alice, processors):
    with ape.reverts("NodeStaking: bad processor count"):
        staking.register_device(device_id("x"), H100, processors, alice, sender=alice)


def test_register_device__zero_wallet__reverts(staking, alice):
    with ape.reverts("NodeStaking: reward wallet is the zero address"):
        staking.register_device(device_id("x"), H100, 1, ZERO, sender=alice)


def test_set_reward_wallet__owner__updated_and_logged(staking, alice, carol):
    d = device_id("w")
    staking.register_device(d, H100, 1, alice, sender=alice)
    tx = staking.set_reward_wallet(d, carol, sender=alice)
    assert staking.reward_split(d)[0] == carol.address
    ev = one(tx, staking.RewardWalletUpdated)
    assert (ev.device, ev.old_wallet, ev.new_wallet) == (d, alice.address, carol.address)


def test_set_reward_wallet__not_owner__reverts(staking, alice, bob):
    d = device_id("w")
    staking.register_device(d, H100, 1, alice, sender=alice)
    with ape.reverts("NodeStaking: caller is not the owner"):
        staking.set_reward_wallet(d, bob, sender=bob)


def test_set_reward_wallet__zero__reverts(staking, alice):
    d = device_id("w")
    staking.register_device(d, H100, 1, alice, sender=alice)
    with ape.reverts("NodeStaking: reward wallet is the zero address"):
        staking.set_reward_wallet(d, ZERO, sender=alice)


def test_set_reward_wallet__unknown_device__reverts(staking, alice):
    with ape.reverts("NodeStaking: unknown device"):
        staking.set_reward_wallet(device_id("nope"), alice, sender=alice)


# ------------------------------------------------------------------ minimum stake
@pytest.mark.parametrize(("cls", "processors", "expected_io"), [
    ("H100", 8, 16_000), ("RTX 4090", 2, 500), ("RTX 4080", 1, 550), ("RTX 6000 Ada", 3, 2_700),
    ("A100-40GB", 4, 1_600), ("B200", 1, 6_000)])
def test_min_stake__published_multipliers__match_formula(staking, alice, cls, processors, expected_io):
    d = device_id(f"{cls}-{processors}")
    staking.register_device(d, device_class(cls), processors, alice, sender=alice)
    assert staking.min_stake(d) == expected_io * IO == min_stake_of(CLASS_MULTIPLIERS[cls], processors)


def test_min_stake__multiplier_below_one__uses_one(staking, owner, alice):
    cheap = device_class("tiny")
    staking.set_class_multiplier(cheap, 5_000, sender=owner)  # 0.5x
    d = device_id("tiny-1")
    staking.register_device(d, cheap, 3, alice, sender=alice)
    assert staking.min_stake(d) == 600 * IO


def test_min_stake__unknown_device__zero(staking):
    assert staking.min_stake(device_id("nope")) == 0
    assert not staking.is_eligible(device_id("nope"))
    assert staking.device_owner(device_id("nope")) == ZERO


def test_eligibility__minimum_met_exactly__true_one_wei_less_false(staking, token, owner, alice, bob):
    d = new_device(staking, token, owner, alice, name="a", cls=RTX4090, stake=250 * IO - 1)
    assert not staking.is_eligible(d)
    fund(token, owner, alice, 1, staking)
    staking.stake(d, 1, sender=alice)
    assert staking.is_eligible(d) and staking.counting_stake(d) == 250 * IO


def test_step_staking__multiplier_above_maximum__refused_before_deploying():
    """The deploy step checks the config's multipliers against the contract's bound first."""
    from types import SimpleNamespace

    from ionet.chain.deploy_staking import step_staking

    suite = SimpleNamespace(config={"staking": {"class_multipliers": {"H100": 100_000, "X": 1_000_001}}})
    with pytest.raises(ValueError, match="out of 0..1,000,000"):
        step_staking(suite)

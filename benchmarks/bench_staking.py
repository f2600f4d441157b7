"""Gas of NodeStaking: stake, unstake, withdraw, slash (also with a co-staker in cooldown), each with
1 and with 10,000 registered devices, beside Synthetix StakingRewards (docs/gas-anchors.md); also a declined
offer and an unstake that pushes a co-stake out (issue 9 items 5 and 6).

Two whole-stake withdrawals to an empty wallet (issue 18, defect 5): the contract's last IO (its own
token balance falls to 0: one more storage refund), and the provider's case the issue measured, the
minimum stake of one RTX 4090 (250 IO) withdrawn at exactly 14 days while other stake stays held.
Both are under 60,000 since NodeStaking keeps the cooldown per device only (docs/gas-anchors.md,
"A whole-stake withdrawal": with a running total of it, the floor was 60,280).

The 9,999 extra devices are registered by a bench-only filler contract (contracts/mocks/
MockDeviceFiller.vy) in a few large transactions; every measured operation is a real single
transaction of its own block (all storage cold), on a device registered by an ordinary wallet.
"""

from __future__ import annotations

from typing import Any

from ape import chain, project

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO
from ionet.models.staking import device_class, device_id

DAY = 86_400
H100 = device_class("H100")
RTX4090 = device_class("RTX 4090")
FILL_BATCH = 100  # devices per filler transaction (~12M gas, under Osaka's 16.7M transaction cap)
SYNTHETIX_FIRST_STAKE = 123_874


def fill(eco: Any, total: int) -> None:
    """Bring the number of registered devices to `total - 1` (the measured device makes `total`)."""
    st = eco.suite.NodeStaking
    filler = eco.admin.deploy(project.MockDeviceFiller, st)
    missing = total - 1 - st.device_count()
    first = 0
    while missing > 0:
        n = min(FILL_BATCH, missing)
        filler.fill(first, n, H100, sender=eco.admin, gas=15_000_000)
        first, missing = first + n, missing - n
    assert st.device_count() == total - 1


def device(eco: Any, name: str, stake: int = 0, funds: int = 10_000 * IO) -> bytes:
    st, token, who = eco.suite.NodeStaking, eco.suite.IOToken, eco.provider_a
    d = device_id(name)
    st.register_device(d, H100, 1, who, sender=who)
    assert token.balanceOf(who) == 0
    eco.fund(who, funds)
    token.approve(st, 2**256 - 1, sender=who)
    if stake:
        st.stake(d, stake, sender=who)
    return d


def whole_minimum_withdrawal(eco: Any) -> int:
    """Issue 18 defect 5: stake exactly the minimum (250 IO on one RTX 4090), unstake it all,
    withdraw at exactly 14 days to the wallet that staked, empty by then."""
    st, token, who = eco.suite.NodeStaking, eco.suite.IOToken, eco.provider_c
    d = device_id("bench-4090")
    st.register_device(d, RTX4090, 1, who, sender=who)
    minimum = st.min_stake(d)
    assert minimum == 250 * IO and token.balanceOf(who) == 0
    eco.fund(who, minimum)
    token.approve(st, minimum, sender=who)
    st.stake(d, minimum, sender=who)
    unstaked = st.unstake(d, sender=who)
    chain.pending_timestamp = unstaked.timestamp + 14 * DAY  # the withdrawal lands exactly on the release
    assert token.balanceOf(who) == 0 and token.balanceOf(st) > 0
    tx = st.withdraw(d, sender=who)
    assert tx.timestamp == unstaked.timestamp + 14 * DAY and token.balanceOf(who) == minimum
    return gas_of(tx)


def scenario(eco: Any, devices: int) -> list[GasRow]:
    st, who, co = eco.suite.NodeStaking, eco.provider_a, eco.co_staker
    tag = f"{devices:,} device{'s' if devices > 1 else ''}"
    rows = []
    with isolated():
        d = device(eco, "bench-1", funds=2_100 * IO)  # the wallet is empty once both stakes are in
        assert st.device_count() == devices
        first = gas_of(st.stake(d, 2_000 * IO, sender=who))
        rows.append(at_most("NodeStaking", f"stake, a device's first ({tag})", first, 100_000,
                            f"Synthetix first stake {SYNTHETIX_FIRST_STAKE:,}", SYNTHETIX_FIRST_STAKE))
        second = gas_of(st.stake(d, 100 * IO, sender=who))
        rows.append(GasRow("NodeStaking", f"stake, a device's second ({tag})", second,
                           "Synthetix second stake 109,619", 109_619))
        rows.append(at_most("NodeStaking", f"unstake ({tag})", gas_of(st.unstake(d, sender=who)), 60_000))
        chain.pending_timestamp = chain.pending_timestamp + 14 * DAY
        chain.mine()
        assert eco.suite.IOToken.balanceOf(who) == 0
        withdraw = gas_of(st.withdraw(d, sender=who))
        assert eco.suite.IOToken.balanceOf(st) == 0
        rows.append(at_most("NodeStaking", f"withdraw after cooldown, to an empty wallet, the contract's last IO "
                                           f"({tag})", withdraw, 60_000, "Synthetix withdraw 101,663", 101_663))
    with isolated():
        device(eco, "bench-0", stake=2_000 * IO)  # another device's stake stays in the contract
        rows.append(at_most("NodeStaking", f"withdraw the whole minimum stake (250 IO, one RTX 4090) at exactly "
                                           f"14 days, to an empty wallet, other stake held ({tag})",
                            whole_minimum_withdrawal(eco), 60_000, "Synthetix withdraw 101,663", 101_663))
    with isolated():
        d = device(eco, "bench-1", stake=4_000 * IO)
        rows.append(at_most("NodeStaking", f"slash, owner only, jail ({tag})",
                            gas_of(st.slash(d, 100 * IO, b"\x01" * 32, True, sender=eco.operator)), 120_000))
    with isolated():
        d = device(eco, "bench-1", stake=4_000 * IO)
        eco.fund(co, 2_000 * IO)
        eco.suite.IOToken.approve(st, 2**256 - 1, sender=co)
        st.offer_co_stake(d, co, 2_000 * IO, 2_000, sender=who)
        accept = gas_of(st.accept_co_stake(d, 2_000 * IO, 2_000, sender=co))
        rows.append(GasRow("NodeStaking", f"accept_co_stake ({tag})", accept))
        st.exit_co_stake(d, sender=co)
        chain.pending_timestamp = chain.pending_timestamp + 8 * DAY  # wait over: the co-stake cools down
        chain.mine()
        assert st.co_stake(d).state_name == "cooldown" and st.counting_stake(d) == 4_000 * IO
        slash = st.slash(d, 100 * IO, b"\x02" * 32, True, sender=eco.operator)
        rows.append(at_most("NodeStaking", f"slash, co-staker in cooldown, jail ({tag})", gas_of(slash),
                            120_000))
        chain.pending_timestamp = chain.pending_timestamp + 30 * DAY
        chain.mine()
        rows.append(GasRow("NodeStaking", f"finalize_slash, burns ({tag})",
                           gas_of(st.finalize_slash(st.slash_count(), sender=co))))
    with isolated():
        d = device(eco, "bench-1", stake=4_000 * IO)
        st.offer_co_stake(d, co, 2_000 * IO, 2_000, sender=who)
        rows.append(GasRow("NodeStaking", f"decline_co_stake ({tag})", gas_of(st.decline_co_stake(d, sender=co))))
        eco.fund(co, 2_000 * IO)
        eco.suite.IOToken.approve(st, 2**256 - 1, sender=co)
        st.offer_co_stake(d, co, 2_000 * IO, 2_000, sender=who)
        st.accept_co_stake(d, 2_000 * IO, 2_000, sender=co)
        unstake = st.unstake(d, sender=who)
        assert st.co_stake(d).state_name == "cooldown"
        rows.append(at_most("NodeStaking", f"unstake, pushes the co-stake out ({tag})", gas_of(unstake), 60_000))
    return rows


def measure(eco: Any) -> list[GasRow]:
    rows = scenario(eco, 1)
    with isolated():
        fill(eco, 10_000)
        rows += scenario(eco, 10_000)
    return rows

"""The rewards engine in IDE mode (ionet/engines/rewards.py `run_ide_epoch`, `usd_owed_of`): per device the
USD owed is its class's USD target per processor-hour x processors x eligible hours; the IO the
IncentiveEngine released for the epoch (the model ionet/models/ide.py, the contract's spec) is split pro rata
to it, the co-staker in force taking its share; a short epoch pays every device the same fraction.
Plain Python: no chain."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionet.engines.merkle import ZERO_ADDRESS
from ionet.engines.rewards import Device, RewardsEngine, SlashRecord, device_usd_owed, usd_owed_of
from ionet.models import emission, ide
from ionet.models.ide import IO, IncentiveEngine, Params, SwapRequest

GOV, ORACLE = "gov", "oracle"
DAY = 86_400
P = 400_000  # 0.40 USDC per IO
CO = "0x00000000000000000000000000000000000000C0"
TARGETS = {"H100": 100_000, "RTX 4090": 12_500}  # USD base units per processor-hour ($0.10, $0.0125)

H100 = Device(b"\x01" * 32, 100_000, 8, label="H100")
H100_CO = Device(b"\x02" * 32, 100_000, 8, label="H100", co_staker=CO, co_share_bps=2_000)
RTX = Device(b"\x03" * 32, 10_000, 1, label="RTX 4090")
OFF = Device(b"\x04" * 32, 10_000, 4, eligible=False, label="RTX 4090")
ODD = Device(b"\x05" * 32, 10_000, 4, label="unknown class")
FLEET = [H100, H100_CO, RTX, OFF, ODD]


def ide_engine(reward_io: int) -> IncentiveEngine:
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, params=Params(), reference_price=P)
    eng.receive_emission(reward_io)
    return eng


def no_trade(req: SwapRequest) -> ide.Fill:
    raise AssertionError(f"unexpected trade {req}")


def settle_day(eng: IncentiveEngine, usd: int) -> ide.Settlement:
    epoch = eng.last_stated + 1
    eng.state_epoch(ORACLE, epoch, usd, eng.epoch_end(epoch), close_twap=P)
    return eng.settle(epoch, no_trade)


def test_usd_owed_of__fleet__class_target_times_processors_times_hours():
    owed = usd_owed_of(FLEET, TARGETS, 24)
    assert owed == {H100.device_id: 100_000 * 8 * 24, H100_CO.device_id: 100_000 * 8 * 24, RTX.device_id: 12_500 * 24}
    # an ineligible device and a class without a target are owed nothing
    assert device_usd_owed(OFF, TARGETS, 24) == 0 and device_usd_owed(ODD, TARGETS, 24) == 0
    assert device_usd_owed(RTX, TARGETS, 0) == 0
    with pytest.raises(ValueError, match="negative hours"):
        device_usd_owed(RTX, TARGETS, -1)


def test_run_ide_epoch__settled_in_full__each_device_paid_its_usd_at_the_twap():
    """The oracle states Σ USD owed; the model settles it from the Reward Vault; the engine splits the
    IO released so that each device receives its USD at the TWAP (to a wei of rounding)."""
    owed = usd_owed_of(FLEET, TARGETS, 24)
    eng = ide_engine(10**7 * IO)
    s = settle_day(eng, sum(owed.values()))
    assert s.shortfall_io == 0 and s.io_released == sum(owed.values()) * IO // P
    rew = RewardsEngine(start_time=0)
    shares = rew.run_ide_epoch(1, eng.epoch_end(1), FLEET, owed, s.io_released)
    assert sum(shares.values()) == s.io_released == rew.total == rew.ide_released
    for d, usd in owed.items():
        assert abs(shares[d] - usd * IO // P) <= 1
    # the co-staker in force takes its 20 % share of its device's part, floored; the owner the rest
    co_part = shares[H100_CO.device_id] * 2_000 // 10_000
    assert rew.co_cumulative[H100_CO.device_id] == {CO: co_part}
    assert rew.owner_cumulative[H100_CO.device_id] == shares[H100_CO.device_id] - co_part
    assert rew.through_time() == DAY and rew.ide_through_epoch == 1
    tree = rew.build()
    assert tree.total == s.io_released and tree.through_time == DAY


def test_run_ide_epoch__shortfall__every_device_the_same_fraction_of_its_target():
    """The Reward Vault covers only part of the USD owed and the Fee Vault is empty: the model records
    a shortfall; what was released is split so that every device gets the same fraction."""
    owed = usd_owed_of(FLEET, TARGETS, 24)
    full_io = sum(owed.values()) * IO // P
    eng = ide_engine(full_io * 3 // 5)
    s = settle_day(eng, sum(owed.values()))
    assert s.shortfall_io > 0 and s.io_released == full_io * 3 // 5
    rew = RewardsEngine(start_time=0)
    shares = rew.run_ide_epoch(1, DAY, FLEET, owed, s.io_released)
    assert sum(shares.values()) == s.io_released
    for d, usd in owed.items():
        assert abs(shares[d] * sum(owed.values()) - s.io_released * usd) <= sum(owed.values())  # < 1 wei apart


def test_run_ide_epoch__after_fixed_emission__totals_add_and_time_moves_on():
    """Before activation the engine splits the hourly emission; from the activation day on, the IO
    the IncentiveEngine released. The tree's total is both together; a slash is checkpointed by time."""
    rew = RewardsEngine(start_time=0)
    rew.run_until(24, [H100, RTX])
    fixed = emission.cumulative_through(24)
    assert rew.total == fixed
    rew.record_slash(SlashRecord(1, RTX.device_id, DAY + 3_600, ZERO_ADDRESS))
    owed = usd_owed_of([H100, RTX], TARGETS, 24)
    rew.run_ide_epoch(1, 2 * DAY, [H100, RTX], owed, 5 * IO)
    assert rew.total == fixed + 5 * IO and rew.through_time() == 2 * DAY
    # the slash inside the IDE epoch took the checkpoint before it: the fixed-emission amount
    assert rew.slashes[RTX.device_id][0].owner_at_slash < rew.owner_cumulative[RTX.device_id]
    with pytest.raises(ValueError, match="IDE mode"):
        rew.run_epoch([H100])


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((2, DAY, FLEET, {H100.device_id: 1}, 1), "out of order"),
        ((1, 0, FLEET, {H100.device_id: 1}, 1), "not after the engine's through time"),
        ((1, DAY, [RTX], {H100.device_id: 1}, 1), "owed USD but not given"),
        ((1, DAY, FLEET, {}, 1), "no device was owed"),
        ((1, DAY, FLEET, {H100.device_id: 1}, -1), "negative IO"),
    ],
)
def test_run_ide_epoch__bad_input__value_error_and_nothing_credited(args, reason):
    rew = RewardsEngine(start_time=0)
    with pytest.raises(ValueError, match=reason):
        rew.run_ide_epoch(*args)
    assert rew.total == 0 and rew.ide_through_epoch == 0


def test_save_load__ide_state__round_trips(tmp_path):
    rew = RewardsEngine(start_time=0)
    owed = usd_owed_of(FLEET, TARGETS, 24)
    rew.run_ide_epoch(1, DAY, FLEET, owed, 123 * IO + 7)
    rew.save(tmp_path / "state.json")
    back = RewardsEngine.load(tmp_path / "state.json")
    assert (back.ide_through_epoch, back.ide_through_time, back.ide_released) == (1, DAY, 123 * IO + 7)
    assert back.build().root == rew.build().root
    back.run_ide_epoch(2, 2 * DAY, FLEET, owed, IO)
    assert back.total == 124 * IO + 7


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    days=st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24), st.integers(1, 10**6)), min_size=1, max_size=8),
    vault_io=st.integers(0, 10**6),
)
def test_run_ide_epoch__property__released_equals_tree_total_and_never_more_than_targets(days, vault_io):
    """Over several days with varying eligible hours and a Reward Vault that may run dry, the tree's
    total equals the IO the model released, and no device receives more IO than its USD buys at the
    TWAP (a shortfall only ever lowers payouts)."""
    eng = ide_engine(vault_io * IO)
    rew = RewardsEngine(start_time=0)
    paid: dict[bytes, int] = {}
    cap: dict[bytes, int] = {}
    for n, (h100_hours, rtx_hours, _seed) in enumerate(days, start=1):
        owed = {**usd_owed_of([H100, H100_CO], TARGETS, h100_hours), **usd_owed_of([RTX], TARGETS, rtx_hours)}
        s = settle_day(eng, sum(owed.values()))
        shares = rew.run_ide_epoch(n, eng.epoch_end(n), FLEET, owed, s.io_released if owed else 0)
        for d, a in shares.items():
            paid[d] = paid.get(d, 0) + a
            cap[d] = cap.get(d, 0) + owed[d] * IO // P + 1
    assert rew.total == rew.ide_released == sum(paid.values()) == eng.released
    assert all(paid[d] <= cap[d] for d in paid)

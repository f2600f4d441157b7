"""ionet.models.vesting (plain Python): the published schedules and the circulating-supply model."""

from __future__ import annotations

import pytest

from ionet import IO
from ionet.models import vesting as model


def test_vested_amount__seed_schedule__published_tranches():
    s = model.category_schedule("seed", 0)
    amount = 100_000_000 * IO
    assert model.vested_amount(s, amount, 13 * model.MONTH - 1) == 0
    assert model.vested_amount(s, amount, 13 * model.MONTH) == amount // 24
    assert model.vested_amount(s, amount, 36 * model.MONTH - 1) == amount * 23 // 24
    assert model.vested_amount(s, amount, 36 * model.MONTH) == amount
    assert model.vested_amount(s, amount, -1) == 0


def test_vested_amount__core_schedule__months_13_to_48():
    s = model.category_schedule("core_contributors", 0)
    times = model.tranche_times(s)
    assert len(times) == 36 and times[0] == 13 * model.MONTH and times[-1] == 48 * model.MONTH


def test_circulating_by_category__genesis_and_20_years__228m_then_800m():
    years, series = model.circulating_by_category(months=241)
    at = lambda m: sum(v[m] for v in series.values())  # noqa: E731
    assert at(0) == 228_000_000 * IO  # Community + R&D unlocked at genesis, nothing emitted yet
    assert series["Early backers, Seed"][36] == 100_000_000 * IO
    assert series["Core contributors"][48] == 90_400_000 * IO
    assert at(240) < 800_000_000 * IO  # 240 months = 175,316 hours: three epochs still to come
    assert at(241) == 800_000_000 * IO  # past epoch 175,319: the whole emission is out
    assert all(at(m) <= at(m + 1) for m in range(241))


def test_vault_model__revoke_and_rotate__totals_add_up():
    vm = model.VaultModel(model.category_schedule("core_contributors", 0), balance=1_000)
    alice, bob = "0x" + "aa" * 20, "0x" + "bb" * 20
    gid = vm.grant(alice, 360)
    assert vm.claim(alice, gid, alice, 20 * model.MONTH) == 80
    assert vm.revoke(gid, 20 * model.MONTH) == 280
    vm.propose(alice, gid, bob)
    new_id = vm.accept(bob, gid)
    assert model.beneficiary_of(new_id) == bob and vm.by_id(gid) is None
    assert vm.claimable(new_id, 99 * model.MONTH) == 0
    assert vm.balance == vm.unallocated + vm.outstanding == 920 and vm.unallocated == 920


def test_vault_model__rotations__moved_ids_current_id_and_withdrawn_proposal():
    vm = model.VaultModel(model.category_schedule("core_contributors", 0), balance=1_000)
    alice, bob, carol = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
    first = vm.grant(alice, 360)
    vm.propose(alice, first, bob)
    vm.propose(alice, first, model.ZERO)  # withdrawn
    with pytest.raises(model.VestingError, match="no rotation proposed"):
        vm.accept(bob, first)
    with pytest.raises(model.VestingError, match="no rotation proposed"):
        vm.propose(alice, first, model.ZERO)
    vm.propose(alice, first, bob)
    second = vm.accept(bob, first)
    vm.propose(bob, second, carol)
    third = vm.accept(carol, second)
    assert [vm.status(g) for g in (first, second, third)] == [model.STATUS_MOVED] * 2 + [model.STATUS_ACTIVE]
    assert vm.current_grant_id(first) == vm.current_grant_id(second) == third
    assert vm.current_grant_id(model.grant_id_of(1, "0x" + "dd" * 20)) == 0
    with pytest.raises(model.VestingError, match="grant moved to a new id"):
        vm.vested(first, 0)
    with pytest.raises(model.VestingError, match="unknown grant"):
        vm.claimable(model.grant_id_of(9, alice), 0)

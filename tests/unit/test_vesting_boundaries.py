"""Month boundaries: one second before and exactly at every tranche, for every vesting schedule."""

from __future__ import annotations

import pytest
from ape import chain

from ionet import IO
from ionet.models import vesting as model
from tests.conftest import advance_to

# An amount that does not divide evenly, so rounding and the exact last tranche both show.
AMOUNT = 40_000_000 * IO + 7


@pytest.mark.parametrize("category", ["seed", "series_a", "core_contributors"])
def test_vested__one_second_before_and_at_each_tranche__steps_by_one_tranche(vaults, owner, alice, category):
    vault = vaults[category]
    gid = vault.Granted.from_receipt(vault.grant(alice, AMOUNT, sender=owner))[0].grant_id
    s = model.category_schedule(category, vault.START_TIME())
    times = model.tranche_times(s)
    assert len(times) == vault.TRANCHE_COUNT()
    # The first tranche vests at the end of month 13, the last at the end of month 36 (48 for core).
    assert times[0] == vault.START_TIME() + 13 * model.MONTH
    assert times[-1] == vault.START_TIME() + (36 if category != "core_contributors" else 48) * model.MONTH
    previous = 0
    for k, t in enumerate(times, start=1):
        before, at = vault.vested(gid, t - 1), vault.vested(gid, t)
        assert before == previous, f"tranche {k}: something vested early"
        assert at == AMOUNT * k // s.tranches == model.vested_amount(s, AMOUNT, t), f"tranche {k}"
        assert at > before
        previous = at
    assert previous == AMOUNT  # the last tranche pays the exact remainder
    assert vault.vested(gid, times[-1] + 100 * model.MONTH) == AMOUNT


def test_claimable__on_chain_at_first_and_last_tranche__one_second_matters(seed_vault, token, owner, alice):
    gid = seed_vault.Granted.from_receipt(seed_vault.grant(alice, AMOUNT, sender=owner))[0].grant_id
    times = model.tranche_times(model.category_schedule("seed", seed_vault.START_TIME()))
    chain.pending_timestamp = times[0] - 1
    seed_vault.claim(gid, alice, sender=alice)  # mined one second before: nothing
    assert token.balanceOf(alice) == 0
    chain.pending_timestamp = times[0]
    seed_vault.claim(gid, alice, sender=alice)  # mined at times[0]: exactly the first tranche
    assert token.balanceOf(alice) == AMOUNT // 24
    advance_to(times[-1] - 1)
    assert seed_vault.claimable(gid) == AMOUNT * 23 // 24 - AMOUNT // 24
    chain.pending_timestamp = times[-1]
    seed_vault.claim(gid, alice, sender=alice)  # mined at times[-1]: everything
    assert token.balanceOf(alice) == AMOUNT
    assert seed_vault.claimable(gid) == 0

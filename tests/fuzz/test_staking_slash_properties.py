"""Hypothesis properties of one slash on chain, against ionet.models.staking.pro_rata.

slash_bounded: the parts taken from owner active stake, owner stake in cooldown and co-stake sum to
the amount, none exceeds its stake, and the amount never exceeds max_slash_bps of the total.
cooldown_slashable: stake in cooldown (owner's, and the co-staker's after its wait) is hit as well.
co_cap: a co-stake no larger than the owner's active stake stays no larger after the slash (the
proof is in NodeStaking.slash's @dev: the owner's part is floored, the co part takes the rest).
"""

from __future__ import annotations

import ape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionet import IO
from ionet.models.staking import pro_rata
from tests.fuzz.helpers import chain_snapshot
from tests.staking_helpers import DAY, EVIDENCE, H100, advance, device_id, fund, io_held

AMOUNT = st.integers(0, 50_000 * IO) | st.integers(0, 10)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cooling=AMOUNT, active=AMOUNT, co_frac=st.integers(0, 10_000), co_exits=st.booleans(),
       bps=st.integers(1, 10_000), over=st.integers(0, 2))
def test_slash__random_buckets__slash_bounded_cooldown_slashable_co_cap(staking, token, owner, operator, alice,
                                                                 bob, cooling, active, co_frac, co_exits, bps,
                                                                 over):
    with chain_snapshot():
        d = device_id("prop")
        staking.register_device(d, H100, 1, alice, sender=alice)
        fund(token, owner, alice, cooling + active, staking)
        if cooling:
            staking.stake(d, cooling, sender=alice)
            staking.unstake(d, sender=alice)
        if active:
            staking.stake(d, active, sender=alice)
        co = active * co_frac // 10_000
        if co:
            staking.offer_co_stake(d, bob, co, 1_000, sender=alice)
            fund(token, owner, bob, co, staking)
            staking.accept_co_stake(d, co, 1_000, sender=bob)
            if co_exits:
                staking.exit_co_stake(d, sender=bob)
                advance(8 * DAY)  # past the wait: in cooldown
        buckets = [active, cooling, co]
        total = sum(buckets)
        amount = total * staking.max_slash_bps() * bps // 10_000 // 10_000 + over
        if total == 0:
            with ape.reverts("NodeStaking: nothing to slash" if amount else "NodeStaking: amount is zero"):
                staking.slash(d, amount, EVIDENCE, False, sender=operator)
            return
        if amount == 0:
            with ape.reverts("NodeStaking: amount is zero"):
                staking.slash(d, amount, EVIDENCE, False, sender=operator)
            return
        if amount * 10_000 > total * staking.max_slash_bps():
            with ape.reverts("NodeStaking: slash above maximum"):
                staking.slash(d, amount, EVIDENCE, False, sender=operator)
            return
        ev = staking.slash(d, amount, EVIDENCE, False, sender=operator).events.filter(staking.Slashed)[0]
        parts = [ev.owner_active_part, ev.owner_cooldown_part, ev.co_part]
        assert parts == pro_rata(amount, buckets)
        assert sum(parts) == amount and all(p <= b for p, b in zip(parts, buckets, strict=True))
        assert staking.owner_stake(d)[:2] == (active - parts[0], cooling - parts[1])
        assert staking.co_stake(d).amount == co - parts[2]
        assert staking.escrowed() == amount
        assert co - parts[2] <= active - parts[0]  # co_cap (co <= active before the slash)
        assert token.balanceOf(staking) == io_held(staking)  # io_held

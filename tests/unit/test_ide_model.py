"""ionet.ide (plain Python): the Incentive Dynamic Engine's reference model, the contract's specification.

Every operation with its state and events, every revert reason, the rounding of every division, and the
engine's invariants (the names of the contract's @dev list) as hypothesis properties and a state machine
over epochs, fee arrivals, outside traders moving the price, settlements, burns and retirements.
"""

from __future__ import annotations

import copy
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ionet import ide
from ionet.ide import (
    BPS,
    EXACT_INPUT,
    EXACT_OUTPUT,
    IO,
    MIN_SWAP_USDC,
    USD,
    IDEError,
    IncentiveEngine,
    Params,
    Price,
    SwapRequest,
)
from ionet.ide_sim import Pool

GOV, ORACLE, ANYONE = "governance", "oracle", "anyone"
DAY = 86_400
P = 400_000  # 0.40 USDC per IO


def engine(**params) -> IncentiveEngine:
    return IncentiveEngine(GOV, ORACLE, start_time=0, params=Params(**params))


def at(twap: int, spot: int | None = None) -> Price:
    return Price(twap, twap if spot is None else spot)


def state(eng: IncentiveEngine, usd: int) -> int:
    epoch = eng.last_stated + 1
    eng.state_epoch(ORACLE, epoch, usd, eng.epoch_end(epoch))
    return epoch


def no_trade(req: SwapRequest) -> int:
    raise AssertionError(f"unexpected trade {req}")


class Scripted:
    """A swap that records each request and answers with the next scripted fill."""

    def __init__(self, *fills: int) -> None:
        self.fills = list(fills)
        self.requests: list[SwapRequest] = []

    def __call__(self, req: SwapRequest) -> int:
        self.requests.append(req)
        return self.fills.pop(0)


def last_event(eng: IncentiveEngine) -> tuple[str, dict]:
    return eng.events[-1]


def settled_engine(usd: int = 1_000 * USD, reward_io: int = 10**6 * IO) -> IncentiveEngine:
    """One epoch stated and settled from the Reward Vault."""
    eng = engine()
    eng.receive_emission(reward_io)
    state(eng, usd)
    eng.settle(1, at(P), no_trade)
    return eng


# ------------------------------------------------------------------ construction
@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"epoch_seconds": 0}, ide.R_ZERO_EPOCH_LENGTH),
        ({"max_usd_per_epoch": 0}, ide.R_ZERO_MAXIMUM),
        ({"max_swap_usdc": 0}, ide.R_ZERO_MAXIMUM),
        ({"burn_share_bps": 4_999}, ide.R_SHARE_BELOW_MIN),
        ({"burn_share_bps": 10_001}, ide.R_SHARE_ABOVE_MAX),
        ({"reserve_epochs": 0}, ide.R_RESERVE_BOUNDS),
        ({"reserve_epochs": 366}, ide.R_RESERVE_BOUNDS),
        ({"retire_buffer_epochs": 0}, ide.R_BUFFER_BOUNDS),
        ({"retire_buffer_epochs": 731}, ide.R_BUFFER_BOUNDS),
        ({"max_deviation_bps": 0}, ide.R_DEVIATION_BOUNDS),
        ({"max_deviation_bps": 1_001}, ide.R_DEVIATION_BOUNDS),
        ({"max_slippage_bps": 0}, ide.R_SLIPPAGE_BOUNDS),
        ({"max_slippage_bps": 501}, ide.R_SLIPPAGE_BOUNDS),
        ({"max_usd_per_epoch": ide.MAX_USD_PER_EPOCH_LIMIT + 1}, ide.R_MAXIMUM_TOO_LARGE),
        ({"twap_window_seconds": 299}, ide.R_WINDOW_BOUNDS),
        ({"twap_window_seconds": 86_401}, ide.R_WINDOW_BOUNDS),
    ],
)
def test_init__parameter_out_of_bounds__reverts(params, reason):
    with pytest.raises(IDEError, match=f"^{reason}$"):
        engine(**params)


def test_init__defaults__published_and_our_defaults():
    p = engine().params
    assert (p.epoch_seconds, p.burn_share_bps, p.reserve_epochs, p.retire_buffer_epochs) == (86_400, 5_000, 30, 90)
    assert (p.max_deviation_bps, p.max_slippage_bps) == (200, 100)
    assert ide.TRAILING_EPOCHS == 30 and ide.MIN_BURN_SHARE_BPS == 5_000 and ide.RETIREMENT_TARGET == 115_000_000 * IO


# ------------------------------------------------------------------ activation and pause
def test_activate__governance_once__starts_epoch_one():
    eng = IncentiveEngine(GOV, ORACLE, start_time=None)
    assert not eng.active
    eng.activate(GOV, 3_600)
    assert eng.active and eng.start_time == 3_600 and eng.epoch_end(1) == 3_600 + DAY
    assert last_event(eng) == ("Activated", {"start_time": 3_600})


@pytest.mark.parametrize(("caller", "start", "recipient", "reason"), [
    (ORACLE, None, True, ide.R_MISSING_ROLE), (GOV, 0, True, ide.R_ALREADY_ACTIVE),
    (GOV, None, False, ide.R_NOT_RECIPIENT)])
def test_activate__bad_input__reverts(caller, start, recipient, reason):
    eng = IncentiveEngine(GOV, ORACLE, start_time=start)
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.activate(caller, 7, is_recipient=recipient)
    assert eng == before


def test_inactive_engine__statements_fees_and_emission__refused():
    eng = IncentiveEngine(GOV, ORACLE, start_time=None)
    for call in (lambda: eng.state_epoch(ORACLE, 1, 0, 10**9), lambda: eng.collect_fees(1, 0),
                 lambda: eng.receive_emission(1), lambda: eng.epoch_end(1)):
        with pytest.raises(IDEError, match=f"^{ide.R_NOT_ACTIVE}$"):
            call()
    assert eng.events == [] and eng.reward_vault == eng.fee_usdc == 0


def test_pause__guardian__stops_statements_only_and_governance_unpauses():
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, pauser="guardian")
    eng.receive_emission(10**6 * IO)
    state(eng, 1_000 * USD)
    eng.pause("guardian")
    assert eng.paused and last_event(eng) == ("Paused", {"account": "guardian"})
    with pytest.raises(IDEError, match=f"^{ide.R_PAUSED}$"):
        eng.state_epoch(ORACLE, 2, 1, 2 * DAY)
    s = eng.settle(1, at(P), no_trade)  # what was stated is still settled
    assert s.io_released == 2_500 * IO
    eng.collect_fees(0, 100_000 * IO, at(P))
    eng.buyback_and_burn(at(P), no_trade)  # and burning goes on
    with pytest.raises(IDEError, match=f"^{ide.R_MISSING_ROLE}$"):
        eng.unpause("guardian")  # the guardian stops, it never restarts
    eng.unpause(GOV)
    assert not eng.paused and last_event(eng) == ("Unpaused", {"account": GOV})
    eng.state_epoch(ORACLE, 2, 1, 2 * DAY)


@pytest.mark.parametrize(("caller", "paused", "reason"), [
    (ORACLE, False, ide.R_MISSING_ROLE), (GOV, False, ide.R_MISSING_ROLE), ("guardian", True, ide.R_PAUSED)])
def test_pause__bad_input__reverts(caller, paused, reason):
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, pauser="guardian", paused=paused)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.pause(caller)


def test_unpause__not_paused__reverts():
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, pauser="guardian")
    with pytest.raises(IDEError, match=f"^{ide.R_NOT_PAUSED}$"):
        eng.unpause(GOV)


# ------------------------------------------------------------------ inflows
def test_receive_emission__amount__enters_reward_vault_and_logs():
    eng = engine()
    eng.receive_emission(5 * IO)
    eng.receive_emission(0)
    assert eng.reward_vault == eng.emitted_in == 5 * IO
    assert eng.events == [("EmissionReceived", {"amount": 5 * IO, "reward_vault": 5 * IO, "total_emitted_in": 5 * IO})]


def test_collect_fees__usdc_and_io__io_valued_at_twap_rounded_down():
    eng = engine()
    usd = eng.collect_fees(7 * USD, 3 * IO + 1, at(P, spot=P * 2))  # no trade: the spot is not checked
    assert usd == 7 * USD + 3 * P  # the extra wei is worth 0.0000004 of a base unit: rounded down
    assert (eng.fee_usdc, eng.fee_io, eng.pending_fee_usd, eng.fee_usd_in) == (7 * USD, 3 * IO + 1, usd, usd)
    assert last_event(eng) == ("FeesCollected", {"usdc": 7 * USD, "io": 3 * IO + 1, "usd_value": usd,
                                                 "fee_usdc": 7 * USD, "fee_io": 3 * IO + 1})


def test_collect_fees__usdc_only__needs_no_price():
    eng = engine()
    assert eng.collect_fees(5, 0) == 5 and eng.fee_usdc == 5


def test_collect_fees__nothing__no_event():
    eng = engine()
    assert eng.collect_fees(0, 0) == 0 and eng.events == []


@pytest.mark.parametrize(("price", "reason"), [(None, ide.R_HISTORY), (Price(P, P, history_ok=False), ide.R_HISTORY),
                                               (at(0), ide.R_ZERO_PRICE)])
def test_collect_fees__io_without_a_usable_twap__reverts(price, reason):
    eng = engine()
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.collect_fees(1, 1, price)
    assert eng.fee_usdc == eng.fee_io == 0 and eng.events == []


# ------------------------------------------------------------------ oracle
def test_state_epoch__after_it_ends__records_usd_owed():
    eng = engine()
    eng.state_epoch(ORACLE, 1, 1_234, DAY)
    assert eng.usd_owed[1] == 1_234 and eng.last_stated == 1
    assert last_event(eng) == ("EpochStated", {"epoch": 1, "usd_owed": 1_234})


def test_state_epoch__at_the_maximum__accepted():
    eng = engine(max_usd_per_epoch=10)
    eng.state_epoch(ORACLE, 1, 10, DAY)
    assert eng.usd_owed[1] == 10


@pytest.mark.parametrize(
    ("caller", "epoch", "usd", "now", "reason"),
    [
        (ANYONE, 2, 1, 2 * DAY, ide.R_MISSING_ROLE),
        (GOV, 2, 1, 2 * DAY, ide.R_MISSING_ROLE),
        (ORACLE, 1, 1, 2 * DAY, ide.R_ALREADY_STATED),
        (ORACLE, 3, 1, 3 * DAY, ide.R_OUT_OF_ORDER),
        (ORACLE, 2, 1, 2 * DAY - 1, ide.R_NOT_ENDED),
        (ORACLE, 2, 100_000 * USD + 1, 2 * DAY, ide.R_ABOVE_MAX),
    ],
)
def test_state_epoch__bad_input__reverts(caller, epoch, usd, now, reason):
    eng = engine()
    eng.state_epoch(ORACLE, 1, 1, DAY)
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.state_epoch(caller, epoch, usd, now)
    assert eng == before


# ------------------------------------------------------------------ settlement
def test_settle__reward_vault_alone__releases_usd_over_twap():
    eng = engine()
    eng.receive_emission(10_000 * IO)
    eng.collect_fees(3 * USD, 0)
    state(eng, 1_000 * USD)
    s = eng.settle(1, at(P), no_trade)
    assert s.io_needed == s.from_reward_vault == s.io_released == 2_500 * IO  # 1,000 USD at 0.40
    assert (s.from_fee_io, s.from_fee_usdc_swap, s.shortfall_usd) == (0, 0, 0)
    assert (s.usd_paid, s.fee_usd) == (1_000 * USD, 3 * USD)
    assert eng.reward_vault == 7_500 * IO and eng.last_settled == 1 and eng.pending_fee_usd == 0
    assert [name for name, _ in eng.events].count("ShortfallRecorded") == 0
    assert eng.released_from_reward == 2_500 * IO and eng.shortfall_epochs == 0
    name, ev = last_event(eng)
    assert name == "EpochSettled" and ev == {
        "epoch": 1, "usd_owed": 1_000 * USD, "twap_price": P, "io_needed": 2_500 * IO, "from_reward_vault": 2_500 * IO,
        "from_fee_io": 0, "from_fee_usdc_swap": 0, "usdc_spent": 0, "io_bought": 0, "shortfall_io": 0,
        "shortfall_usd": 0, "fee_usd": 3 * USD, "reward_vault": 7_500 * IO, "fee_usdc": 3 * USD, "fee_io": 0}


def test_settle__reward_vault_short__syncs_the_emission_due_first():
    eng = engine()
    eng.receive_emission(1_000 * IO)
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)  # 2,500 IO needed
    s = eng.settle(1, at(P), no_trade, emission_due=2_000 * IO)
    assert (s.from_reward_vault, s.from_fee_usdc_swap) == (2_500 * IO, 0)  # no USDC spent: the emission came first
    assert eng.reward_vault == 500 * IO and eng.emitted_in == 3_000 * IO
    assert [name for name, _ in eng.events[-2:]] == ["EmissionReceived", "EpochSettled"]
    assert eng.events[-2][1] == {"amount": 2_000 * IO, "reward_vault": 3_000 * IO, "total_emitted_in": 3_000 * IO}


def test_settle__reward_vault_covers__no_sync():
    eng = engine()
    eng.receive_emission(3_000 * IO)
    state(eng, 1_000 * USD)
    eng.settle(1, at(P), no_trade, emission_due=2_000 * IO)
    assert eng.emitted_in == 3_000 * IO and eng.reward_vault == 500 * IO  # the due emission waits for a sync


def test_settle__io_needed__rounded_down():
    eng = engine()
    eng.receive_emission(IO)
    state(eng, 1)
    s = eng.settle(1, at(3), no_trade)
    assert s.io_needed == IO // 3 and s.io_needed * 3 < IO  # never more IO than the USD buys at the TWAP


def test_settle__reward_vault_short__fee_io_next():
    eng = engine()
    eng.receive_emission(1_000 * IO)
    eng.collect_fees(0, 2_000 * IO, at(P))
    state(eng, 1_000 * USD)
    s = eng.settle(1, at(P), no_trade)
    assert (s.from_reward_vault, s.from_fee_io, s.from_fee_usdc_swap) == (1_000 * IO, 1_500 * IO, 0)
    assert eng.reward_vault == 0 and eng.fee_io == 500 * IO


def test_settle__both_io_ledgers_short__exact_output_swap_of_the_missing_io():
    eng = engine()
    eng.receive_emission(1_000 * IO)
    eng.collect_fees(10_000 * USD, 500 * IO, at(P))
    state(eng, 1_000 * USD)
    swap = Scripted(401_234_567)
    s = eng.settle(1, at(P), swap)
    # 1,000 IO missing: TWAP cost 400 USDC, plus 1 % = 404 USDC at most
    assert swap.requests == [SwapRequest(EXACT_OUTPUT, 1_000 * IO, 404 * USD)]
    assert (s.from_reward_vault, s.from_fee_io, s.from_fee_usdc_swap, s.usdc_spent) == \
        (1_000 * IO, 500 * IO, 1_000 * IO, 401_234_567)
    assert (eng.reward_vault, eng.fee_io, eng.fee_usdc) == (0, 0, 10_000 * USD - 401_234_567)
    assert eng.usdc_spent_topup == 401_234_567 and eng.io_bought_topup == eng.released_from_swap == 1_000 * IO


def test_settle__usdc_below_the_bound__exact_input_of_all_of_it_then_shortfall():
    eng = engine()
    eng.collect_fees(300 * USD, 0)
    state(eng, 1_000 * USD)
    swap = Scripted(745 * IO)
    s = eng.settle(1, at(P), swap)
    # 300 USDC is worth 750 IO at the TWAP; at least 99 % of it
    assert swap.requests == [SwapRequest(EXACT_INPUT, 300 * USD, 742_500_000_000_000_000_000)]
    assert (s.from_fee_usdc_swap, s.shortfall_io, s.shortfall_usd) == (745 * IO, 1_755 * IO, 702 * USD)
    assert eng.fee_usdc == 0 and eng.shortfall_usd_total == 702 * USD and eng.shortfall_epochs == 1
    assert [name for name, _ in eng.events[-2:]] == ["EpochSettled", "ShortfallRecorded"]
    assert last_event(eng)[1] == {"epoch": 1, "shortfall_usd": 702 * USD, "shortfall_io": 1_755 * IO,
                                  "total_shortfall_usd": 702 * USD}


def test_settle__exact_input_fills_beyond_the_need__excess_stays_in_fee_io():
    eng = engine()
    eng.collect_fees(1_002 * USD, 0)
    state(eng, 1_000 * USD)  # 2,500 IO; max_in 1,010 USDC > 1,002 USDC in the vault
    s = eng.settle(1, at(P), Scripted(2_501 * IO))
    assert (s.from_fee_usdc_swap, s.io_bought, s.shortfall_io, s.usdc_spent) == (2_500 * IO, 2_501 * IO, 0, 1_002 * USD)
    assert eng.fee_io == IO and eng.fee_usdc == 0
    eng.check_invariants()


def test_settle__trade_capped_at_max_swap_usdc__exact_input_of_the_cap():
    eng = engine(max_swap_usdc=100 * USD)
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)
    swap = Scripted(249 * IO)
    s = eng.settle(1, at(P), swap)
    assert swap.requests[0].kind == EXACT_INPUT and swap.requests[0].amount == 100 * USD
    assert s.usdc_spent == 100 * USD and s.shortfall_io == 2_251 * IO


@pytest.mark.parametrize(("reward", "usdc"), [(2_500 * IO - 10**12, 10_000 * USD), (0, MIN_SWAP_USDC - 1)])
def test_settle__trade_below_min_swap__no_trade_and_dust_shortfall(reward, usdc):
    eng = engine()
    eng.receive_emission(reward)
    eng.collect_fees(usdc, 0)
    state(eng, 1_000 * USD)
    s = eng.settle(1, at(P), no_trade)
    assert s.from_fee_usdc_swap == 0 and s.shortfall_io == 2_500 * IO - reward
    assert s.shortfall_usd == -(-s.shortfall_io * P // IO)  # rounded up
    assert eng.fee_usdc == usdc


def test_settle__nothing_in_either_vault__whole_epoch_is_shortfall():
    eng = engine()
    state(eng, 1_000 * USD)
    s = eng.settle(1, at(P), no_trade)
    assert s.io_released == 0 and s.shortfall_usd == s.usd_owed == 1_000 * USD and s.usd_paid == 0
    assert last_event(eng)[0] == "ShortfallRecorded"


def test_settle__zero_usd_owed__settles_nothing():
    eng = engine()
    state(eng, 0)
    s = eng.settle(1, at(P), no_trade)
    assert s.io_needed == s.io_released == s.shortfall_usd == 0 and eng.last_settled == 1


def test_settle__spot_at_the_deviation_bound__accepted():
    for spot in (408_000, 392_157):  # exactly 2.00 % either way, after rounding up
        eng = engine()
        state(eng, 0)
        eng.settle(1, at(P, spot), no_trade)


def _settle_reverts(eng: IncentiveEngine, epoch: int, price: Price, swap, reason: str) -> None:  # noqa: ANN001
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.settle(epoch, price, swap)
    assert eng == before


@pytest.mark.parametrize(
    ("epoch", "price", "reason"),
    [
        (1, at(P), ide.R_ALREADY_SETTLED),
        (3, at(P), ide.R_OUT_OF_ORDER),
        (2, Price(P, P, history_ok=False), ide.R_HISTORY),
        (2, at(P, 408_001), ide.R_DEVIATION),
        (2, at(P, 392_156), ide.R_DEVIATION),
        (2, Price(P, P, deviation=201), ide.R_DEVIATION),  # the chain's tick measure, when given, decides
        (2, at(0), ide.R_ZERO_PRICE),
    ],
)
def test_settle__bad_input__reverts(epoch, price, reason):
    eng = engine()
    state(eng, 0)
    eng.settle(1, at(P), no_trade)
    state(eng, 5 * USD)
    _settle_reverts(eng, epoch, price, no_trade, reason)


def test_settle__epoch_not_stated__reverts():
    eng = engine()
    _settle_reverts(eng, 1, at(P), no_trade, ide.R_NOT_STATED)


@pytest.mark.parametrize(("fill", "reason"), [(404 * USD + 1, ide.R_INPUT_ABOVE_MAX)])
def test_settle__exact_output_fill_above_its_bound__reverts(fill, reason):
    eng = engine()
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 400 * USD)  # 1,000 IO missing: at most 404 USDC
    _settle_reverts(eng, 1, at(P), Scripted(fill), reason)


def test_settle__exact_input_fill_below_its_bound__reverts():
    eng = engine()
    eng.collect_fees(300 * USD, 0)
    state(eng, 1_000 * USD)
    _settle_reverts(eng, 1, at(P), Scripted(742_500_000_000_000_000_000 - 1), ide.R_OUTPUT_BELOW_MIN)


def test_settle__pool_cannot_fill__whole_settlement_reverts():
    eng = engine()
    eng.receive_emission(100 * IO)
    eng.collect_fees(10_000 * USD, 50 * IO, at(P))
    state(eng, 1_000 * USD)
    pool = Pool(io=10_000 * IO, usdc=4_000 * USD)  # far too thin: 2,350 IO cannot be bought within 1 %
    _settle_reverts(eng, 1, at(P), pool.swap, ide.R_INPUT_ABOVE_MAX)
    assert (pool.io, pool.usdc) == (10_000 * IO, 4_000 * USD)


# ------------------------------------------------------------------ trailing statistics
def test_trailing_sums__after_31_epochs__the_first_has_left_the_window():
    eng = engine()
    eng.receive_emission(10**9 * IO)
    for e in range(1, 32):
        eng.collect_fees(e * 10 * USD, 0)
        state(eng, e * USD)
        eng.settle(e, at(P), no_trade)
    assert eng.trailing_count == 30
    assert eng.trailing_usd_owed == sum(range(2, 32)) * USD
    assert eng.trailing_fee_usd == sum(range(2, 32)) * 10 * USD
    assert eng.trailing_io_needed == sum(e * USD * IO // P for e in range(2, 32))
    assert eng.sustainability_ratio_bps() == 100_000  # fees are ten times the payouts


def test_sustainability_ratio_bps__no_payouts__zero_and_rounded_down():
    eng = engine()
    assert eng.sustainability_ratio_bps() == 0
    eng.receive_emission(10**6 * IO)
    eng.collect_fees(1 * USD, 0)
    state(eng, 3 * USD)
    eng.settle(1, at(P), no_trade)
    assert eng.sustainability_ratio_bps() == 3_333  # 1/3, rounded down


def test_reserve_target_usd__two_epochs__thirty_times_their_average_rounded_up():
    eng = engine()
    assert eng.reserve_target_usd() == 0
    eng.receive_emission(10**6 * IO)
    for usd in (100, 201):
        state(eng, usd)
        eng.settle(eng.last_stated, at(P), no_trade)
    assert eng.reserve_target_usd() == 4_515  # 30 x 301 / 2 = 4,515 exactly
    state(eng, 0)
    eng.settle(3, at(P), no_trade)
    assert eng.reserve_target_usd() == 3_010  # 30 x 301 / 3


def test_retire_buffer_io__before_and_after_settlements__whole_vault_then_90_days_of_io_needed():
    eng = engine()
    eng.receive_emission(10**6 * IO)
    assert eng.retire_buffer_io() == 10**6 * IO and eng.retirable() == 0
    state(eng, 1_000 * USD)
    eng.settle(1, at(P), no_trade)
    assert eng.retire_buffer_io() == 90 * 2_500 * IO
    assert eng.retirable() == 10**6 * IO - 2_500 * IO - 225_000 * IO
    state(eng, 1 * USD)
    eng.settle(2, at(3), no_trade)  # IO needed 10**24 // 3: the average is not a whole number
    total = 2_500 * IO + 10**24 // 3
    assert eng.retire_buffer_io() == -(-90 * total // 2)  # rounded up: keeps more


# ------------------------------------------------------------------ surplus, buyback and burn
def test_burn_amounts__usdc_covers_the_reserve__all_io_surplus():
    eng = settled_engine()  # reserve target 30 x 1,000 USD
    eng.collect_fees(50_000 * USD, 10_000 * IO, at(P))
    assert eng.reserve_target_usd() == 30_000 * USD
    assert eng.reserve_split(P) == (30_000 * USD, 0)
    assert eng.burn_amounts(P) == (10_000 * USD, 5_000 * IO)


def test_burn_amounts__usdc_short_of_the_reserve__io_reserved_at_the_twap():
    eng = settled_engine()
    eng.collect_fees(20_000 * USD, 100_000 * IO, at(P))
    assert eng.reserve_split(P) == (20_000 * USD, 25_000 * IO)  # 10,000 USD of IO at 0.40
    assert eng.burn_amounts(P) == (0, 37_500 * IO)


def test_burn_amounts__lower_price__more_io_kept_in_reserve():
    """Price adaptivity by construction: at half the price the reserve needs twice the IO."""
    eng = settled_engine()
    eng.collect_fees(20_000 * USD, 100_000 * IO, at(P))
    assert eng.reserve_split(P // 2) == (20_000 * USD, 50_000 * IO)
    assert eng.burn_amounts(P // 2) == (0, 25_000 * IO)
    assert eng.reserve_split(3)[1] == 100_000 * IO  # all of it, never more than the vault holds


def test_burn_amounts__io_reserve_rounded_up__and_share_rounded_down():
    eng = settled_engine(usd=1)  # reserve target 30 base units
    eng.collect_fees(0, 101, at(P))
    io_reserved = -(-30 * IO // P)
    assert eng.reserve_split(P) == (0, 101)  # 30 units of USD need 75e12 wei: more than the vault holds
    eng.collect_fees(0, io_reserved * 2, at(P))
    assert eng.reserve_split(P)[1] == io_reserved
    surplus = 101 + io_reserved
    assert eng.burn_amounts(P)[1] == surplus * 5_000 // BPS


def test_burn_amounts__usdc_surplus_above_the_trade_cap__capped():
    eng = settled_engine()
    eng.collect_fees(200_000 * USD, 0)
    assert eng.burn_amounts(P) == (25_000 * USD, 0)


def test_burn_amounts__usdc_share_below_min_swap__waits():
    eng = settled_engine()
    eng.collect_fees(30_000 * USD + 2 * MIN_SWAP_USDC - 1, 0)
    assert eng.burn_amounts(P) == (0, 0)


def test_buyback_and_burn__surplus__buys_and_burns_and_logs():
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 10_000 * IO, at(P))
    swap = Scripted(24_800 * IO)
    b = eng.buyback_and_burn(at(P), swap)
    assert swap.requests == [SwapRequest(EXACT_INPUT, 10_000 * USD, 24_750 * IO)]  # 25,000 IO less 1 %
    assert (b.epoch, b.usdc_spent, b.io_bought_burned, b.io_fee_burned, b.io_burned) == \
        (1, 10_000 * USD, 24_800 * IO, 5_000 * IO, 29_800 * IO)
    assert (eng.fee_usdc, eng.fee_io, eng.last_burn_epoch) == (40_000 * USD, 5_000 * IO, 1)
    assert (eng.usdc_spent_buyback, eng.burned_by_buyback, eng.burned_fee_io) == (10_000 * USD, 24_800 * IO, 5_000 * IO)
    assert last_event(eng) == ("BoughtBackAndBurned", {
        "epoch": 1, "twap_price": P, "reserve_target_usd": 30_000 * USD, "usdc_spent": 10_000 * USD,
        "io_bought_burned": 24_800 * IO, "io_fee_burned": 5_000 * IO, "fee_usdc": 40_000 * USD, "fee_io": 5_000 * IO})
    eng.check_invariants()


def test_buyback_and_burn__io_surplus_only__burns_without_a_trade():
    eng = settled_engine()
    eng.collect_fees(0, 100_000 * IO, at(P))
    b = eng.buyback_and_burn(at(P), no_trade)
    assert (b.usdc_spent, b.io_fee_burned) == (0, (100_000 - 75_000) * IO // 2)


def _burn_reverts(eng: IncentiveEngine, price: Price, swap, reason: str) -> None:  # noqa: ANN001
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.buyback_and_burn(price, swap)
    assert eng == before


def test_buyback_and_burn__no_epoch_settled__reverts():
    eng = engine()
    eng.collect_fees(10**6 * USD, 0)
    _burn_reverts(eng, at(P), no_trade, ide.R_NOT_SETTLED)


def test_buyback_and_burn__a_stated_epoch_unsettled__reverts():
    eng = settled_engine()
    eng.collect_fees(10**6 * USD, 0)
    state(eng, 1)
    _burn_reverts(eng, at(P), no_trade, ide.R_NOT_SETTLED)


def test_buyback_and_burn__twice_in_an_epoch__reverts():
    eng = settled_engine()
    eng.collect_fees(0, 10**6 * IO, at(P))
    eng.buyback_and_burn(at(P), no_trade)
    _burn_reverts(eng, at(P), no_trade, ide.R_ALREADY_BURNED)


def test_buyback_and_burn__fee_vault_within_its_reserve__reverts():
    eng = settled_engine()
    eng.collect_fees(30_000 * USD, 0)
    _burn_reverts(eng, at(P), no_trade, ide.R_NO_SURPLUS)


@pytest.mark.parametrize(("price", "reason"), [(Price(P, P, history_ok=False), ide.R_HISTORY),
                                               (at(P, 500_000), ide.R_DEVIATION), (at(0), ide.R_ZERO_PRICE)])
def test_buyback_and_burn__unusable_price__reverts(price, reason):
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 0)
    _burn_reverts(eng, price, no_trade, reason)


def test_buyback_and_burn__fill_below_its_bound__reverts():
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 0)
    _burn_reverts(eng, at(P), Scripted(24_750 * IO - 1), ide.R_OUTPUT_BELOW_MIN)


# ------------------------------------------------------------------ governance
def test_retire__above_the_buffer__burns_from_the_reward_vault():
    eng = settled_engine()  # 1,000,000 IO received, 2,500 released, buffer 225,000
    amount = eng.retirable()
    eng.retire(GOV, amount)
    assert eng.retired == amount == 772_500 * IO and eng.reward_vault == 225_000 * IO and eng.retirable() == 0
    assert last_event(eng) == ("EmissionRetired", {"amount": amount, "reward_vault": 225_000 * IO,
                                                   "total_retired": amount})
    assert eng.retirement_progress_bps() == amount * BPS // (115_000_000 * IO)
    eng.check_invariants()


@pytest.mark.parametrize(("caller", "amount", "reason"), [
    (ORACLE, 1, ide.R_MISSING_ROLE), (ANYONE, 1, ide.R_MISSING_ROLE), (GOV, 0, ide.R_ZERO_AMOUNT),
    (GOV, 772_500 * IO + 1, ide.R_ABOVE_RETIRABLE)])
def test_retire__bad_input__reverts(caller, amount, reason):
    eng = settled_engine()
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.retire(caller, amount)
    assert eng == before


SETTERS = [
    ("set_max_usd_per_epoch", "max_usd_per_epoch", 1, [(0, ide.R_ZERO_MAXIMUM),
                                                      (ide.MAX_USD_PER_EPOCH_LIMIT + 1, ide.R_MAXIMUM_TOO_LARGE)]),
    ("set_max_swap_usdc", "max_swap_usdc", 1, [(0, ide.R_ZERO_MAXIMUM)]),
    ("set_burn_share_bps", "burn_share_bps", 10_000, [(4_999, ide.R_SHARE_BELOW_MIN), (0, ide.R_SHARE_BELOW_MIN),
                                                       (10_001, ide.R_SHARE_ABOVE_MAX)]),
    ("set_reserve_epochs", "reserve_epochs", 365, [(0, ide.R_RESERVE_BOUNDS), (366, ide.R_RESERVE_BOUNDS)]),
    ("set_retire_buffer_epochs", "retire_buffer_epochs", 730, [(0, ide.R_BUFFER_BOUNDS), (731, ide.R_BUFFER_BOUNDS)]),
    ("set_max_deviation_bps", "max_deviation_bps", 1_000,
     [(0, ide.R_DEVIATION_BOUNDS), (1_001, ide.R_DEVIATION_BOUNDS)]),
    ("set_max_slippage_bps", "max_slippage_bps", 500, [(0, ide.R_SLIPPAGE_BOUNDS), (501, ide.R_SLIPPAGE_BOUNDS)]),
    ("set_twap_window", "twap_window_seconds", 86_400, [(299, ide.R_WINDOW_BOUNDS), (86_401, ide.R_WINDOW_BOUNDS)]),
]
# The market module's bounds log the module's own events (contracts/modules/guarded_swap.vy).
MODULE_EVENTS = {"max_deviation_bps": ("MaxDeviationUpdated", "old_bps", "new_bps"),
                 "max_slippage_bps": ("MaxSlippageUpdated", "old_bps", "new_bps"),
                 "twap_window_seconds": ("TwapWindowUpdated", "old_seconds", "new_seconds")}


@pytest.mark.parametrize(("setter", "name", "good", "_bad"), SETTERS)
def test_setters__governance_in_bounds__updated_and_logged(setter, name, good, _bad):
    eng = engine()
    old = getattr(eng.params, name)
    getattr(eng, setter)(GOV, good)
    assert getattr(eng.params, name) == good
    if name in MODULE_EVENTS:
        event, old_key, new_key = MODULE_EVENTS[name]
        assert last_event(eng) == (event, {old_key: old, new_key: good})
    else:
        event = "".join(w.title() for w in name.split("_")) + "Updated"
        assert last_event(eng) == (event, {"old": old, "new": good})


@pytest.mark.parametrize(("setter", "name", "good", "bad"), SETTERS)
def test_setters__out_of_bounds_or_wrong_role__revert(setter, name, good, bad):
    eng = engine()
    before = copy.deepcopy(eng)
    for value, reason in bad + [(good, ide.R_MISSING_ROLE)]:
        with pytest.raises(IDEError, match=f"^{reason}$"):
            getattr(eng, setter)(ORACLE if reason == ide.R_MISSING_ROLE else GOV, value)
    assert eng == before


# ------------------------------------------------------------------ properties of single operations
@settings(max_examples=150, deadline=None, derandomize=True)
@given(reward=st.integers(0, 10**7 * IO), fee_io=st.integers(0, 10**7 * IO), usdc=st.integers(0, 10**7 * USD),
       usd=st.integers(0, 100_000 * USD), twap=st.integers(1_000, 10 * USD))
def test_invariant_reward_vault_first__any_vaults_and_price(reward, fee_io, usdc, usd, twap):
    """reward_vault_first: Fee Vault IO is taken only when the Reward Vault is empty, Fee Vault USDC
    only when both IO ledgers are; and never more IO than the USD buys at the TWAP."""
    eng = engine()
    eng.receive_emission(reward)
    eng.collect_fees(usdc, fee_io, at(twap))
    state(eng, usd)
    pool = Pool.at_price(twap, 10**12 * USD)  # deep enough for any of these trades
    s = eng.settle(1, at(twap), pool.swap)
    assert s.io_released <= s.io_needed == usd * IO // twap
    if s.from_fee_io:
        assert s.from_reward_vault == reward
    if s.from_fee_usdc_swap:
        assert s.from_reward_vault == reward and s.from_fee_io == fee_io
    if s.shortfall_io:
        assert eng.reward_vault == 0 and (eng.fee_io == 0 or s.io_bought > s.from_fee_usdc_swap)
    eng.check_invariants()


@settings(max_examples=150, deadline=None, derandomize=True)
@given(usdc=st.integers(0, 10**6 * USD), fee_io=st.integers(0, 10**7 * IO), usd=st.integers(1, 100_000 * USD),
       twap=st.integers(1_000, 10 * USD), share=st.integers(5_000, 10_000))
def test_invariant_burn_share_ge_half__burn_is_the_share_of_the_surplus_rounded_down(usdc, fee_io, usd, twap, share):
    """burn_share_ge_half: a burn takes floor(share x surplus) of each currency (the USDC leg capped
    per trade), share >= 50 %, and never touches the reserve."""
    eng = settled_engine(usd=usd, reward_io=10**9 * IO)
    eng.set_burn_share_bps(GOV, share)
    eng.collect_fees(usdc, fee_io, at(twap))
    usdc_reserved, io_reserved = eng.reserve_split(twap)
    target = eng.reserve_target_usd()
    assert usdc_reserved == min(usdc, target)
    if io_reserved < fee_io:  # the IO kept is worth at least what the USDC does not cover
        assert Fraction(io_reserved * twap, IO) >= target - usdc_reserved
    buy, burn = eng.burn_amounts(twap)
    assert burn == (fee_io - io_reserved) * share // BPS
    full = (usdc - usdc_reserved) * share // BPS
    assert buy == (min(full, eng.params.max_swap_usdc) if min(full, eng.params.max_swap_usdc) >= MIN_SWAP_USDC else 0)
    assert share >= ide.MIN_BURN_SHARE_BPS


@settings(max_examples=60, deadline=None, derandomize=True)
@given(value=st.integers(0, 4_999))
def test_invariant_burn_share_ge_half__setter_below_half__refused(value):
    """burn_share_ge_half: no call sets the share below 50 %."""
    eng = engine()
    with pytest.raises(IDEError, match=ide.R_SHARE_BELOW_MIN):
        eng.set_burn_share_bps(GOV, value)
    assert eng.params.burn_share_bps == 5_000


# ------------------------------------------------------------------ the state machine
class EngineMachine(RuleBasedStateMachine):
    """Epochs, fee arrivals, outside traders moving the price, settlements, burns and retirements,
    against a constant-product pool. Each rule checks its own effects; the @invariant methods (named
    after the contract's invariants) run after every step. A reverted call must change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.eng = engine(max_swap_usdc=50_000 * USD)
        self.pool = Pool.at_price(P, 2_000_000 * USD)
        self.twap = P
        self.now = 0
        self.minted = 0  # the token's total_minted as far as the engine's IO goes
        self.supply = 0  # its total supply of that IO (minted less every burn logged)
        self.burn_events = 0
        self.trades: list[tuple[SwapRequest, int, int, int]] = []  # (request, fill, twap, spot)

    def swap(self, req: SwapRequest) -> int:
        spot = self.pool.price
        fill = self.pool.swap(req)
        self.trades.append((req, fill, self.twap, spot))
        return fill

    def price(self) -> Price:
        return Price(self.twap, self.pool.price)

    def attempt(self, fn, *args) -> tuple[bool, object]:  # noqa: ANN001
        """(True, result), or (False, None) after checking that the revert changed nothing."""
        before = copy.deepcopy(self.eng)
        pool_before = (self.pool.io, self.pool.usdc)
        try:
            return True, fn(*args)
        except IDEError:
            assert self.eng == before, "a reverted call changed the engine"
            assert (self.pool.io, self.pool.usdc) == pool_before, "a reverted call changed the pool"
            return False, None

    @rule(amount=st.one_of(st.integers(0, 100_000 * IO), st.integers(200_000 * IO, 4_000_000 * IO)))
    def emission(self, amount):
        """A day's emission, or months of it pulled at once (so the buffer fills and retiring is possible)."""
        self.eng.receive_emission(amount)
        self.minted += amount
        self.supply += amount

    @rule(usdc=st.integers(0, 60_000 * USD), io=st.integers(0, 50_000 * IO))
    def fees(self, usdc, io):
        self.attempt(self.eng.collect_fees, usdc, io, self.price())

    @rule(bps=st.integers(-3_000, 3_000))
    def outside_trader(self, bps):
        """An outside trader moves the spot price (the TWAP lags until the window passes)."""
        self.pool.move_to(max(1_000, self.pool.price * (BPS + bps) // BPS))

    @rule()
    def twap_window_passes(self):
        self.twap = self.pool.price

    @rule(usd=st.integers(0, 110_000 * USD), early=st.integers(0, DAY))
    def state_epoch(self, usd, early):
        """The oracle states the next epoch, sometimes before it has ended."""
        epoch = self.eng.last_stated + 1
        self.now = max(self.now, self.eng.epoch_end(epoch) - early)
        self.attempt(self.eng.state_epoch, ORACLE, epoch, usd, self.now)

    @rule(usd=st.one_of(st.integers(0, 2_000 * USD), st.integers(0, 100_000 * USD)))
    def epoch_ends_stated_and_settled(self, usd):
        """The common day: the TWAP has caught up, the oracle states the epoch, anyone settles it."""
        self.twap = self.pool.price
        epoch = self.eng.last_stated + 1
        self.now = max(self.now, self.eng.epoch_end(epoch))
        self.eng.state_epoch(ORACLE, epoch, min(usd, self.eng.params.max_usd_per_epoch), self.now)
        self.settle()

    @rule()
    def settle(self):
        epoch = self.eng.last_settled + 1
        reward, fee_io = self.eng.reward_vault, self.eng.fee_io
        ok, s = self.attempt(self.eng.settle, epoch, self.price(), self.swap)
        if ok:
            assert self.eng.last_settled == epoch
            self._check_reward_vault_first(s, reward, fee_io)

    @rule()
    def burn(self):
        before_usd = self.eng.fee_vault_usd(self.twap)
        target = self.eng.reserve_target_usd()
        ok, b = self.attempt(self.eng.buyback_and_burn, self.price(), self.swap)
        if ok:
            self.supply -= b.io_burned
            self.burn_events += b.io_burned
            assert self.eng.last_stated == self.eng.last_settled  # nothing stated is left unpaid
            assert self.eng.fee_vault_usd(self.twap) >= min(before_usd, target)  # the reserve is kept

    @rule(fraction=st.integers(1, BPS + 100))
    def retire(self, fraction):
        amount = self.eng.retirable() * fraction // BPS
        if self.attempt(self.eng.retire, GOV, amount)[0]:
            self.supply -= amount
            self.burn_events += amount

    @rule(value=st.integers(0, 11_000))
    def set_burn_share(self, value):
        self.attempt(self.eng.set_burn_share_bps, GOV, value)

    @rule(value=st.integers(0, 120_000 * USD))
    def set_max_usd(self, value):
        self.attempt(self.eng.set_max_usd_per_epoch, GOV, value)

    def _check_reward_vault_first(self, s, reward: int, fee_io: int) -> None:  # noqa: ANN001
        if s.from_fee_io:
            assert s.from_reward_vault == reward, "Fee Vault IO taken before the Reward Vault was empty"
        if s.from_fee_usdc_swap or s.usdc_spent:
            assert s.from_reward_vault == reward and s.from_fee_io == fee_io, "USDC swapped before IO was used"

    @invariant()
    def released_le_sources(self):
        e = self.eng
        assert e.released <= e.emitted_in + e.fee_io_in + e.io_bought
        e.check_invariants()

    @invariant()
    def burns_accounted(self):
        e = self.eng
        assert self.burn_events == e.burned == e.burned_by_buyback + e.burned_fee_io + e.retired
        assert self.supply == self.minted - e.burned  # supply falls by every burn
        assert self.minted == e.emitted_in  # burns never change what was minted

    @invariant()
    def twap_bound(self):
        s = self.eng.params.max_slippage_bps
        for req, fill, twap, spot in self.trades:
            assert ide.deviation_bps(spot, twap) <= self.eng.params.max_deviation_bps
            if req.kind == EXACT_OUTPUT:  # paid at most the TWAP cost plus the slippage
                assert fill * IO * BPS <= req.amount * twap * (BPS + s)
            else:  # received at least the TWAP value less the slippage
                assert Fraction(fill) >= Fraction(req.amount * IO, twap) * Fraction(BPS - s, BPS) - 1

    @invariant()
    def fee_vault_covered(self):
        e = self.eng
        assert e.fee_usdc >= 0 and e.fee_io >= 0
        assert e.fee_usdc == e.fee_usdc_in - e.usdc_spent_topup - e.usdc_spent_buyback

    @invariant()
    def burn_share_ge_half(self):
        assert ide.MIN_BURN_SHARE_BPS <= self.eng.params.burn_share_bps <= BPS

    @invariant()
    def emission_ceiling(self):
        e = self.eng
        assert e.released_from_reward + e.retired + e.reward_vault == e.emitted_in

    @invariant()
    def ordered_epochs(self):
        e = self.eng
        assert e.last_burn_epoch <= e.last_settled <= e.last_stated
        assert sorted(e.settlements) == list(range(1, e.last_settled + 1))


    seen: Counter = Counter()  # what the histories exercised (all examples together)

    def teardown(self) -> None:
        e = self.eng
        EngineMachine.seen.update(
            settled=e.last_settled, shortfalls=e.shortfall_epochs, retired=int(e.retired > 0),
            fee_io_used=sum(1 for s in e.settlements.values() if s.from_fee_io),
            exact_output=sum(1 for r, *_ in self.trades if r.kind == EXACT_OUTPUT),
            exact_input=sum(1 for r, *_ in self.trades if r.kind == EXACT_INPUT),
            burns=sum(1 for name, _ in e.events if name == "BoughtBackAndBurned"))


def test_invariants__state_machine__every_balance_after_every_step():
    """released_le_sources, reward_vault_first, burns_accounted, twap_bound, fee_vault_covered,
    burn_share_ge_half, emission_ceiling, ordered_epochs over random histories."""
    EngineMachine.seen.clear()
    run_state_machine_as_test(
        EngineMachine,
        settings=settings(max_examples=25, stateful_step_count=200, deadline=None, derandomize=True, database=None))
    seen = EngineMachine.seen
    assert all(seen[k] > 0 for k in ("settled", "shortfalls", "retired", "fee_io_used", "exact_output",
                                     "exact_input", "burns")), seen

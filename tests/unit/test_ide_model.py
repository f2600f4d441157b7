"""ionet.models.ide (plain Python): the Incentive Dynamic Engine's reference model, the contract's specification.

Every operation with its state and events, every revert reason, the rounding of every division, and the
engine's invariants (the names of the contract's @dev list) as hypothesis properties and a state machine
over epochs, fee arrivals, outside traders moving the price, settlements, burns and retirements.
"""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal, getcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ionet.models import ide
from ionet.models.ide import (
    BPS,
    EXACT_INPUT,
    EXACT_OUTPUT,
    IO,
    MIN_SWAP_USDC,
    PRICE_AT_TWAP,
    PRICE_CARRIED,
    PRICE_CLAMPED_DOWN,
    PRICE_CLAMPED_UP,
    USD,
    Fill,
    IDEError,
    IncentiveEngine,
    Params,
    Price,
    SwapRequest,
    clamp_price,
    slippage_ticks,
    within_bound,
)
from ionet.studies.ide_sim import Pool

GOV, ORACLE, ANYONE = "governance", "oracle", "anyone"
DAY = 86_400
P = 400_000  # 0.40 USDC per IO
NO_HISTORY = Price(P, history_ok=False)  # the pool's observations do not cover the window


def engine(reference: int = P, **params) -> IncentiveEngine:
    """An engine already active, epoch 0's price (the activation reference) `reference`."""
    return IncentiveEngine(GOV, ORACLE, start_time=0, params=Params(**params), reference_price=reference)


def at(twap: int, spot: int | None = None) -> Price:
    return Price(twap, spot)


def state(eng: IncentiveEngine, usd: int, close: int | None | str = "previous") -> int:
    """The oracle states the next epoch; its close TWAP is by default the previous epoch's price
    (the price then stays where it was)."""
    epoch = eng.last_stated + 1
    twap = eng.epoch_price(epoch - 1) if close == "previous" else close
    eng.state_epoch(ORACLE, epoch, usd, eng.epoch_end(epoch), close_twap=twap)
    return epoch


def no_trade(req: SwapRequest) -> Fill:
    raise AssertionError(f"unexpected trade {req}")


class Scripted:
    """A swap that records each request and answers with the next scripted fill."""

    def __init__(self, *fills: Fill) -> None:
        self.fills = list(fills)
        self.requests: list[SwapRequest] = []

    def __call__(self, req: SwapRequest) -> Fill:
        self.requests.append(req)
        return self.fills.pop(0)


def last_event(eng: IncentiveEngine) -> tuple[str, dict]:
    return eng.events[-1]


def settled_engine(usd: int = 1_000 * USD, reward_io: int = 10**6 * IO) -> IncentiveEngine:
    """One epoch stated and settled from the Reward Vault."""
    eng = engine()
    eng.receive_emission(reward_io)
    state(eng, usd)
    eng.settle(1, no_trade)
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
        ({"max_price_move_bps": 9}, ide.R_MOVE_BOUNDS),
        ({"max_price_move_bps": 5_001}, ide.R_MOVE_BOUNDS),
        ({"max_slippage_bps": 0}, ide.R_SLIPPAGE_BOUNDS),
        ({"max_slippage_bps": 501}, ide.R_SLIPPAGE_BOUNDS),
        ({"max_slippage_bps": 32}, ide.R_SLIPPAGE_FEE),  # 0.32 % leaves under two ticks above 0.3 %
        ({"pool_fee": 10_000}, ide.R_SLIPPAGE_FEE),  # a 1 % pool: 1 % slippage is not above its fee
        ({"max_usd_per_epoch": ide.MAX_USD_PER_EPOCH_LIMIT + 1}, ide.R_MAXIMUM_TOO_LARGE),
        ({"twap_window_seconds": 299}, ide.R_WINDOW_BOUNDS),
        ({"twap_window_seconds": 86_401}, ide.R_WINDOW_BOUNDS),
    ],
)
def test_init__parameter_out_of_bounds__reverts(params, reason):
    with pytest.raises(IDEError, match=f"^{reason}$"):
        engine(**params)


def test_init__defaults__published_and_our_defaults():
    eng = engine()
    p = eng.params
    assert (p.epoch_seconds, p.burn_share_bps, p.reserve_epochs, p.retire_buffer_epochs) == (86_400, 5_000, 30, 90)
    assert (p.max_slippage_bps, p.max_price_move_bps, p.twap_window_seconds, p.pool_fee) == (100, 1_000, 1_800, 3_000)
    assert eng.slippage_ticks == 68  # 1.0001^68 = 1.0068 <= 1.01 x 0.997 = 1.00697 < 1.0001^70
    assert eng.prices == {0: (P, PRICE_AT_TWAP)}  # an engine modelled as active: the reference is epoch 0's
    assert ide.TRAILING_EPOCHS == 30 and ide.MIN_BURN_SHARE_BPS == 5_000 and ide.RETIREMENT_TARGET == 115_000_000 * IO


# ------------------------------------------------------------------ activation and pause
def test_activate__governance_once__starts_epoch_one_with_the_twap_as_reference():
    eng = IncentiveEngine(GOV, ORACLE, start_time=None)
    assert not eng.active and eng.prices == {}
    eng.activate(GOV, 3_600, at(P, spot=2 * P))  # the spot is never read
    assert eng.active and eng.start_time == 3_600 and eng.epoch_end(1) == 3_600 + DAY
    assert eng.prices == {0: (P, PRICE_AT_TWAP)} and eng.epoch_price(0) == P
    assert last_event(eng) == ("Activated", {"start_time": 3_600, "reference_price": P})


@pytest.mark.parametrize("price", [NO_HISTORY, None])
def test_activate__pool_history_short__no_reference_price(price):
    """The pool cannot serve the window at activation: no reference (never a spot price); the first
    statement then needs the close window."""
    eng = IncentiveEngine(GOV, ORACLE, start_time=None)
    eng.activate(GOV, 3_600, price)
    assert eng.active and eng.prices == {0: (0, PRICE_AT_TWAP)}
    assert last_event(eng) == ("Activated", {"start_time": 3_600, "reference_price": 0})


@pytest.mark.parametrize(("caller", "start", "recipient", "price", "reason"), [
    (ORACLE, None, True, at(P), ide.R_MISSING_ROLE), (GOV, 0, True, at(P), ide.R_ALREADY_ACTIVE),
    (GOV, None, False, at(P), ide.R_NOT_RECIPIENT), (GOV, None, True, at(0), ide.R_ZERO_PRICE)])
def test_activate__bad_input__reverts(caller, start, recipient, price, reason):
    eng = IncentiveEngine(GOV, ORACLE, start_time=start, reference_price=P if start is not None else 0)
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.activate(caller, 7, price, is_recipient=recipient)
    assert eng == before


def test_inactive_engine__statements_fees_and_emission__refused():
    eng = IncentiveEngine(GOV, ORACLE, start_time=None)
    for call in (lambda: eng.state_epoch(ORACLE, 1, 0, 10**9), lambda: eng.collect_fees(1, 0),
                 lambda: eng.receive_emission(1), lambda: eng.epoch_end(1)):
        with pytest.raises(IDEError, match=f"^{ide.R_NOT_ACTIVE}$"):
            call()
    assert eng.events == [] and eng.reward_vault == eng.fee_usdc == 0


def test_pause__guardian__stops_statements_only_and_governance_unpauses():
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, pauser="guardian", reference_price=P)
    eng.receive_emission(10**6 * IO)
    state(eng, 1_000 * USD)
    eng.pause("guardian")
    assert eng.paused and last_event(eng) == ("Paused", {"account": "guardian"})
    with pytest.raises(IDEError, match=f"^{ide.R_PAUSED}$"):
        eng.state_epoch(ORACLE, 2, 1, 2 * DAY)
    s = eng.settle(1, no_trade)  # what was stated is still settled
    assert s.io_released == 2_500 * IO
    eng.collect_fees(0, 100_000 * IO, at(P))
    assert eng.buyback_and_burn(no_trade).io_fee_burned > 0  # and burning goes on
    with pytest.raises(IDEError, match=f"^{ide.R_MISSING_ROLE}$"):
        eng.unpause("guardian")  # the guardian stops, it never restarts
    eng.unpause(GOV)
    assert not eng.paused and last_event(eng) == ("Unpaused", {"account": GOV})
    eng.state_epoch(ORACLE, 2, 1, 2 * DAY, close_twap=P)


@pytest.mark.parametrize(("caller", "paused", "reason"), [
    (ORACLE, False, ide.R_MISSING_ROLE), (GOV, False, ide.R_MISSING_ROLE), ("guardian", True, ide.R_PAUSED)])
def test_pause__bad_input__reverts(caller, paused, reason):
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, pauser="guardian", paused=paused, reference_price=400_000)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.pause(caller)


def test_unpause__not_paused__reverts():
    eng = IncentiveEngine(GOV, ORACLE, start_time=0, pauser="guardian", reference_price=400_000)
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


# ------------------------------------------------------------------ oracle and the epoch's price
def test_state_epoch__after_it_ends__records_usd_owed_and_the_price_of_its_close():
    eng = engine()
    eng.state_epoch(ORACLE, 1, 1_234, DAY, close_twap=P + 7)
    assert eng.usd_owed[1] == 1_234 and eng.last_stated == 1
    assert eng.prices[1] == (P + 7, PRICE_AT_TWAP) and eng.epoch_price(1) == P + 7
    assert last_event(eng) == ("EpochStated", {"epoch": 1, "usd_owed": 1_234, "twap_price": P + 7,
                                               "reference_price": P, "price": P + 7, "price_flag": PRICE_AT_TWAP})


def test_state_epoch__at_the_maximum__accepted():
    eng = engine(max_usd_per_epoch=10)
    eng.state_epoch(ORACLE, 1, 10, DAY, close_twap=P)
    assert eng.usd_owed[1] == 10


@pytest.mark.parametrize(("twap", "price", "flag"), [
    (P, P, PRICE_AT_TWAP),
    (360_000, 360_000, PRICE_AT_TWAP),  # exactly 10 % down: the bound itself is not a clamp
    (440_000, 440_000, PRICE_AT_TWAP),  # exactly 10 % up
    (359_999, 360_000, PRICE_CLAMPED_UP),  # a TWAP below the band: the price is held up to its floor
    (P // 2, 360_000, PRICE_CLAMPED_UP),
    (440_001, 440_000, PRICE_CLAMPED_DOWN),  # above the band: held down to its ceiling
    (2 * P, 440_000, PRICE_CLAMPED_DOWN),
    (0, 360_000, PRICE_CLAMPED_UP),
    (None, P, PRICE_CARRIED),  # the pool's history no longer reaches back to the close
])
def test_clamp_price__twap_against_the_previous_price__clamped_to_the_move_with_its_flag(twap, price, flag):
    assert clamp_price(twap, P, 1_000) == (price, flag)


def test_clamp_price__band__low_rounded_up_and_high_rounded_down():
    assert clamp_price(1, 7, 1_000) == (7, PRICE_CLAMPED_UP)  # ceil(6.3) = 7: never below the bound
    assert clamp_price(100, 7, 1_000) == (7, PRICE_CLAMPED_DOWN)  # floor(7.7) = 7: never above it
    assert clamp_price(1, 1_000, 5_000) == (500, PRICE_CLAMPED_UP)


@pytest.mark.parametrize(("close", "price", "flag"), [
    (P // 2, 360_000, PRICE_CLAMPED_UP), (3 * P, 440_000, PRICE_CLAMPED_DOWN), (None, P, PRICE_CARRIED),
    (P + 1, P + 1, PRICE_AT_TWAP)])
def test_state_epoch__close_twap_outside_the_band_or_missing__clamped_or_carried_and_logged(close, price, flag):
    eng = engine()
    state(eng, 1_000, close)
    assert eng.prices[1] == (price, flag)
    assert last_event(eng) == ("EpochStated", {"epoch": 1, "usd_owed": 1_000, "twap_price": close or 0,
                                               "reference_price": P, "price": price, "price_flag": flag})


def test_state_epoch__a_held_crash__reaches_the_price_in_steps_of_the_bound():
    """A close TWAP at half the price for epoch after epoch: each epoch's price is the previous one
    less 10 % (rounded up), never the crash at once, until the TWAP is inside the band."""
    eng = engine()
    for _ in range(8):
        state(eng, 0, P // 2)
    prices = [eng.epoch_price(e) for e in range(9)]
    expected = [P]
    for _ in range(6):
        expected.append(-(-expected[-1] * 9_000 // BPS))
    assert prices[:7] == expected and expected[-1] > P // 2  # 0.9^6 = 0.53
    assert eng.prices[7] == (P // 2, PRICE_AT_TWAP) and eng.prices[8] == (P // 2, PRICE_AT_TWAP)
    assert [eng.prices[e][1] for e in range(1, 7)] == [PRICE_CLAMPED_UP] * 6


def test_state_epoch__history_lost__price_carried_then_the_next_close_clamped_against_it():
    eng = engine()
    state(eng, 0, 2 * P)
    state(eng, 0, None)
    state(eng, 0, 2 * P)
    assert [eng.prices[e] for e in (1, 2, 3)] == [(440_000, PRICE_CLAMPED_DOWN), (440_000, PRICE_CARRIED),
                                                   (484_000, PRICE_CLAMPED_DOWN)]


def test_state_epoch__move_bound_changed__next_epoch_uses_the_new_bound():
    eng = engine()
    eng.set_market_bounds(GOV, 1_800, 100, 2_500)
    state(eng, 0, P // 2)
    assert eng.prices[1] == (300_000, PRICE_CLAMPED_UP)
    eng.check_invariants()


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
    eng.state_epoch(ORACLE, 1, 1, DAY, close_twap=P)
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.state_epoch(caller, epoch, usd, now, close_twap=P // 2)
    assert eng == before  # the price of epoch 1 is written once: a restatement cannot move it


# ------------------------------------------------------------------ settlement
def test_settle__reward_vault_alone__releases_usd_over_twap():
    eng = engine()
    eng.receive_emission(10_000 * IO)
    eng.collect_fees(3 * USD, 0)
    state(eng, 1_000 * USD)
    s = eng.settle(1, no_trade)
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
    s = eng.settle(1, no_trade, emission_due=2_000 * IO)
    assert (s.from_reward_vault, s.from_fee_usdc_swap) == (2_500 * IO, 0)  # no USDC spent: the emission came first
    assert eng.reward_vault == 500 * IO and eng.emitted_in == 3_000 * IO
    assert [name for name, _ in eng.events[-2:]] == ["EmissionReceived", "EpochSettled"]
    assert eng.events[-2][1] == {"amount": 2_000 * IO, "reward_vault": 3_000 * IO, "total_emitted_in": 3_000 * IO}


def test_settle__reward_vault_covers__no_sync():
    eng = engine()
    eng.receive_emission(3_000 * IO)
    state(eng, 1_000 * USD)
    eng.settle(1, no_trade, emission_due=2_000 * IO)
    assert eng.emitted_in == 3_000 * IO and eng.reward_vault == 500 * IO  # the due emission waits for a sync


def test_settle__io_needed__rounded_down():
    eng = engine(reference=3)
    eng.receive_emission(IO)
    state(eng, 1, 3)
    s = eng.settle(1, no_trade)
    assert s.io_needed == IO // 3 and s.io_needed * 3 < IO  # never more IO than the USD buys at its price


def test_settle__reward_vault_short__fee_io_next():
    eng = engine()
    eng.receive_emission(1_000 * IO)
    eng.collect_fees(0, 2_000 * IO, at(P))
    state(eng, 1_000 * USD)
    s = eng.settle(1, no_trade)
    assert (s.from_reward_vault, s.from_fee_io, s.from_fee_usdc_swap) == (1_000 * IO, 1_500 * IO, 0)
    assert eng.reward_vault == 0 and eng.fee_io == 500 * IO


def test_settle__price_fixed_at_statement__pays_the_statements_price_and_reads_no_pool():
    """Whoever settles, whenever: the epoch pays at its statement's (clamped) price; settling takes
    no price at all, so no later pool state can change it."""
    eng = engine()
    eng.receive_emission(10_000 * IO)
    state(eng, 1_000 * USD, 450_000)  # clamped down to 440,000
    s = eng.settle(1, no_trade)
    assert (s.twap, s.io_needed, s.io_released, s.usd_paid) == (
        440_000, 1_000 * USD * IO // 440_000, 1_000 * USD * IO // 440_000, 1_000 * USD)


def test_settle__top_up__bounded_by_the_epochs_price_not_the_pools():
    """The top-up asks the desk to buy at most at the epoch's price plus the slippage: a fill that
    paid more (a pool pushed up after the close) would break twap_bound, one that paid less (pushed
    down) is welcome."""
    for paid in (500 * USD, 1_000 * USD):
        eng = engine()
        eng.collect_fees(10_000 * USD, 0)
        state(eng, 1_000 * USD)  # 2,500 IO at the epoch's price P
        swap = Scripted(Fill(paid, 2_500 * IO))
        s = eng.settle(1, swap)
        assert s.io_needed == 2_500 * IO and s.io_released == 2_500 * IO and s.twap == P
        assert swap.requests == [SwapRequest(EXACT_OUTPUT, 2_500 * IO, 10_000 * USD, P)]
        assert s.usdc_spent == paid
    eng = engine()
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)
    with pytest.raises(AssertionError, match="outside the TWAP bound"):
        eng.settle(1, Scripted(Fill(2_000 * USD, 2_500 * IO)))  # 2x the epoch's price


def test_settle__both_io_ledgers_short__exact_output_swap_of_the_missing_io():
    eng = engine()
    eng.receive_emission(1_000 * IO)
    eng.collect_fees(10_000 * USD, 500 * IO, at(P))
    state(eng, 1_000 * USD)
    swap = Scripted(Fill(401_234_567, 1_000 * IO))
    s = eng.settle(1, swap)
    # 1,000 IO missing: TWAP cost 400 USDC, plus 1 % = 404 USDC <= the budget: exact output, at most the budget
    assert swap.requests == [SwapRequest(EXACT_OUTPUT, 1_000 * IO, 10_000 * USD, P)]
    assert (s.from_reward_vault, s.from_fee_io, s.from_fee_usdc_swap, s.usdc_spent) == \
        (1_000 * IO, 500 * IO, 1_000 * IO, 401_234_567)
    assert (eng.reward_vault, eng.fee_io, eng.fee_usdc) == (0, 0, 10_000 * USD - 401_234_567)
    assert eng.usdc_spent_topup == 401_234_567 and eng.io_bought_topup == eng.released_from_swap == 1_000 * IO


def test_settle__exact_output_partial_at_the_limit__fills_what_it_can_and_records_the_shortfall():
    eng = engine()
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)  # 2,500 IO missing
    s = eng.settle(1, Scripted(Fill(603 * USD, 1_500 * IO)))
    assert (s.from_fee_usdc_swap, s.io_bought, s.usdc_spent) == (1_500 * IO, 1_500 * IO, 603 * USD)
    assert (s.shortfall_io, s.shortfall_usd, s.usd_paid) == (1_000 * IO, 400 * USD, 600 * USD)
    assert (eng.fee_usdc, eng.fee_io, eng.shortfall_usd_total, eng.shortfall_epochs) == \
        (10_000 * USD - 603 * USD, 0, 400 * USD, 1)
    assert [name for name, _ in eng.events[-2:]] == ["EpochSettled", "ShortfallRecorded"]
    eng.check_invariants()


def test_settle__usdc_below_the_bound__exact_input_of_all_of_it_then_shortfall():
    eng = engine()
    eng.collect_fees(300 * USD, 0)
    state(eng, 1_000 * USD)
    swap = Scripted(Fill(300 * USD, 745 * IO))
    s = eng.settle(1, swap)
    # 2,500 IO would cost up to 1,010 USDC: more than the 300 held, so all of it, at most 300
    assert swap.requests == [SwapRequest(EXACT_INPUT, 300 * USD, 300 * USD, P)]
    assert (s.from_fee_usdc_swap, s.shortfall_io, s.shortfall_usd) == (745 * IO, 1_755 * IO, 702 * USD)
    assert eng.fee_usdc == 0 and eng.shortfall_usd_total == 702 * USD and eng.shortfall_epochs == 1
    assert [name for name, _ in eng.events[-2:]] == ["EpochSettled", "ShortfallRecorded"]
    assert last_event(eng)[1] == {"epoch": 1, "shortfall_usd": 702 * USD, "shortfall_io": 1_755 * IO,
                                  "total_shortfall_usd": 702 * USD}


def test_settle__exact_input_partial_at_the_limit__usdc_left_in_the_vault_and_shortfall():
    eng = engine()
    eng.collect_fees(300 * USD, 0)
    state(eng, 1_000 * USD)
    s = eng.settle(1, Scripted(Fill(120 * USD, 299 * IO)))
    assert (s.usdc_spent, s.from_fee_usdc_swap, s.shortfall_io) == (120 * USD, 299 * IO, 2_201 * IO)
    assert eng.fee_usdc == 180 * USD and eng.usdc_spent_topup == 120 * USD
    eng.check_invariants()


def test_settle__pool_at_the_limit__nothing_bought_whole_rest_is_shortfall():
    eng = engine()
    eng.receive_emission(1_000 * IO)
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)
    s = eng.settle(1, Scripted(Fill(0, 0)))
    assert (s.from_reward_vault, s.io_bought, s.usdc_spent, s.shortfall_io) == (1_000 * IO, 0, 0, 1_500 * IO)
    assert eng.fee_usdc == 10_000 * USD and eng.last_settled == 1


def test_settle__fill_above_the_twap_bound__the_model_refuses_it():
    """Invariant 4 checked by the model itself: a pool that charged more than twap x 1.01 per IO is
    a broken pool or desk, never a fill the engine books."""
    eng = engine()
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)
    with pytest.raises(AssertionError, match="outside the TWAP bound"):
        eng.settle(1, Scripted(Fill(1_011 * USD, 2_500 * IO)))


def test_settle__exact_input_fills_beyond_the_need__excess_stays_in_fee_io():
    eng = engine()
    eng.collect_fees(1_002 * USD, 0)
    state(eng, 1_000 * USD)  # 2,500 IO; max_in 1,010 USDC > 1,002 USDC in the vault
    s = eng.settle(1, Scripted(Fill(1_002 * USD, 2_501 * IO)))
    assert (s.from_fee_usdc_swap, s.io_bought, s.shortfall_io, s.usdc_spent) == (2_500 * IO, 2_501 * IO, 0, 1_002 * USD)
    assert eng.fee_io == IO and eng.fee_usdc == 0
    eng.check_invariants()


def test_settle__trade_capped_at_max_swap_usdc__exact_input_of_the_cap():
    eng = engine(max_swap_usdc=100 * USD)
    eng.collect_fees(10_000 * USD, 0)
    state(eng, 1_000 * USD)
    swap = Scripted(Fill(100 * USD, 249 * IO))
    s = eng.settle(1, swap)
    assert swap.requests == [SwapRequest(EXACT_INPUT, 100 * USD, 100 * USD, P)]
    assert s.usdc_spent == 100 * USD and s.shortfall_io == 2_251 * IO


@pytest.mark.parametrize(("reward", "usdc"), [(2_500 * IO - 10**12, 10_000 * USD), (0, MIN_SWAP_USDC - 1)])
def test_settle__trade_below_min_swap__no_trade_and_dust_shortfall(reward, usdc):
    eng = engine()
    eng.receive_emission(reward)
    eng.collect_fees(usdc, 0)
    state(eng, 1_000 * USD)
    s = eng.settle(1, no_trade)
    assert s.from_fee_usdc_swap == 0 and s.shortfall_io == 2_500 * IO - reward
    assert s.shortfall_usd == -(-s.shortfall_io * P // IO)  # rounded up
    assert eng.fee_usdc == usdc


def test_settle__nothing_in_either_vault__whole_epoch_is_shortfall():
    eng = engine()
    state(eng, 1_000 * USD)
    s = eng.settle(1, no_trade)
    assert s.io_released == 0 and s.shortfall_usd == s.usd_owed == 1_000 * USD and s.usd_paid == 0
    assert last_event(eng)[0] == "ShortfallRecorded"


def test_settle__zero_usd_owed__settles_nothing():
    eng = engine()
    state(eng, 0)
    s = eng.settle(1, no_trade)
    assert s.io_needed == s.io_released == s.shortfall_usd == 0 and eng.last_settled == 1


def _settle_reverts(eng: IncentiveEngine, epoch: int, price: Price | None, swap, reason: str) -> None:  # noqa: ANN001
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.settle(epoch, swap)
    assert eng == before


@pytest.mark.parametrize(("epoch", "reason"), [(1, ide.R_ALREADY_SETTLED), (3, ide.R_OUT_OF_ORDER)])
def test_settle__bad_input__reverts(epoch, reason):
    eng = engine()
    state(eng, 0)
    eng.settle(1, no_trade)
    state(eng, 5 * USD)
    _settle_reverts(eng, epoch, at(P), no_trade, reason)


def test_settle__epoch_not_stated__reverts():
    eng = engine()
    _settle_reverts(eng, 1, at(P), no_trade, ide.R_NOT_STATED)


def test_settle__thin_pool_cannot_fill_the_top_up__partial_fill_settles_with_a_shortfall():
    """The finding of issue 17: a top-up the pool cannot fill within the bound no longer reverts the
    settlement (and every later epoch with it); it fills to the price limit."""
    eng = engine()
    eng.receive_emission(100 * IO)
    eng.collect_fees(10_000 * USD, 50 * IO, at(P))
    state(eng, 1_000 * USD)
    pool = Pool(io=10_000 * IO, usdc=4_000 * USD)  # far too thin: 2,350 IO cannot be bought within 1 %
    s = eng.settle(1, pool.swap)
    assert pool.engine_trades[-1].at_limit and 0 < s.from_fee_usdc_swap < 2_350 * IO
    assert s.io_released == 150 * IO + s.from_fee_usdc_swap and s.shortfall_io == 2_350 * IO - s.from_fee_usdc_swap
    assert within_bound(Fill(s.usdc_spent, s.io_bought), P, 100)
    state(eng, 10 * USD)  # the next epoch settles too
    assert eng.settle(2, pool.swap).epoch == 2


# ------------------------------------------------------------------ trailing statistics
def test_trailing_sums__after_31_epochs__the_first_has_left_the_window():
    eng = engine()
    eng.receive_emission(10**9 * IO)
    for e in range(1, 32):
        eng.collect_fees(e * 10 * USD, 0)
        state(eng, e * USD)
        eng.settle(e, no_trade)
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
    eng.settle(1, no_trade)
    assert eng.sustainability_ratio_bps() == 3_333  # 1/3, rounded down


def test_reserve_target_usd__two_epochs__thirty_times_their_average_rounded_up():
    eng = engine()
    assert eng.reserve_target_usd() == 0
    eng.receive_emission(10**6 * IO)
    for usd in (100, 201):
        state(eng, usd)
        eng.settle(eng.last_stated, no_trade)
    assert eng.reserve_target_usd() == 4_515  # 30 x 301 / 2 = 4,515 exactly
    state(eng, 0)
    eng.settle(3, no_trade)
    assert eng.reserve_target_usd() == 3_010  # 30 x 301 / 3


def test_retire_buffer_io__before_and_after_settlements__whole_vault_then_90_days_of_io_needed():
    eng = engine()
    eng.receive_emission(10**6 * IO)
    assert eng.retire_buffer_io() == 10**6 * IO and eng.retirable() == 0
    state(eng, 1_000 * USD)
    eng.settle(1, no_trade)
    assert eng.retire_buffer_io() == 90 * 2_500 * IO
    assert eng.retirable() == 10**6 * IO - 2_500 * IO - 225_000 * IO
    state(eng, 1 * USD, P // 2)  # clamped up to 360,000: IO needed 10**24 // 360,000
    eng.settle(2, no_trade)
    total = 2_500 * IO + 10**24 // 360_000  # at the prices the epochs were settled at
    assert eng.retire_buffer_io() == -(-90 * total // 2)


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
    swap = Scripted(Fill(10_000 * USD, 24_800 * IO))
    b = eng.buyback_and_burn(swap)
    assert swap.requests == [SwapRequest(EXACT_INPUT, 10_000 * USD, 10_000 * USD, P)]
    assert (b.epoch, b.usdc_spent, b.io_bought_burned, b.io_fee_burned, b.io_burned) == \
        (1, 10_000 * USD, 24_800 * IO, 5_000 * IO, 29_800 * IO)
    assert (eng.fee_usdc, eng.fee_io, eng.last_burn_epoch) == (40_000 * USD, 5_000 * IO, 1)
    assert (eng.usdc_spent_buyback, eng.burned_by_buyback, eng.burned_fee_io) == (10_000 * USD, 24_800 * IO, 5_000 * IO)
    assert last_event(eng) == ("BoughtBackAndBurned", {
        "epoch": 1, "twap_price": P, "reserve_target_usd": 30_000 * USD, "usdc_spent": 10_000 * USD,
        "io_bought_burned": 24_800 * IO, "io_fee_burned": 5_000 * IO, "fee_usdc": 40_000 * USD, "fee_io": 5_000 * IO})
    eng.check_invariants()


def test_buyback_and_burn__partial_fill_at_the_limit__burns_what_was_bought_and_keeps_the_rest():
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 0)
    b = eng.buyback_and_burn(Scripted(Fill(4_000 * USD, 9_950 * IO)))
    assert (b.usdc_spent, b.io_bought_burned, b.io_fee_burned) == (4_000 * USD, 9_950 * IO, 0)
    assert eng.fee_usdc == 46_000 * USD and eng.usdc_spent_buyback == 4_000 * USD and eng.last_burn_epoch == 1
    eng.check_invariants()


def test_buyback_and_burn__nothing_bought_and_no_fee_io__none_and_no_state_change():
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 0)
    before = copy.deepcopy(eng)
    assert eng.buyback_and_burn(Scripted(Fill(0, 0))) is None
    assert eng == before  # no event, last_burn_epoch unchanged: it may be called again
    b = eng.buyback_and_burn(Scripted(Fill(10_000 * USD, 24_900 * IO)))
    assert b is not None and b.io_bought_burned == 24_900 * IO


def test_buyback_and_burn__nothing_bought_but_fee_io__burns_the_fee_io_only():
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 10_000 * IO, at(P))
    b = eng.buyback_and_burn(Scripted(Fill(0, 0)))
    assert (b.usdc_spent, b.io_bought_burned, b.io_fee_burned) == (0, 0, 5_000 * IO)
    assert eng.fee_usdc == 50_000 * USD and eng.last_burn_epoch == 1


def test_buyback_and_burn__thin_pool__partial_fill_within_the_bound():
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 0)
    pool = Pool.at_price(P, 100_000 * USD)  # 10,000 USDC is far beyond what it fills within 1 %
    b = eng.buyback_and_burn(pool.swap)
    assert pool.engine_trades[-1].at_limit and 0 < b.usdc_spent < 10_000 * USD
    assert within_bound(Fill(b.usdc_spent, b.io_bought_burned), P, 100)


def test_buyback_and_burn__io_surplus_only__burns_without_a_trade():
    eng = settled_engine()
    eng.collect_fees(0, 100_000 * IO, at(P))
    b = eng.buyback_and_burn(no_trade)
    assert (b.usdc_spent, b.io_fee_burned) == (0, (100_000 - 75_000) * IO // 2)


def _burn_reverts(eng: IncentiveEngine, price: Price | None, swap, reason: str) -> None:  # noqa: ANN001
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.buyback_and_burn(swap)
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
    eng.buyback_and_burn(no_trade)
    _burn_reverts(eng, at(P), no_trade, ide.R_ALREADY_BURNED)


def test_buyback_and_burn__fee_vault_within_its_reserve__reverts():
    eng = settled_engine()
    eng.collect_fees(30_000 * USD, 0)
    _burn_reverts(eng, at(P), no_trade, ide.R_NO_SURPLUS)


def test_buyback_and_burn__valued_and_bounded_at_the_last_settled_epochs_price():
    """The burn reads no pool: the reserve is valued, and the USDC leg bounded, at the last settled
    epoch's price (the desk is asked for exactly that price)."""
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 0)
    price = eng.epoch_price(eng.last_settled)
    swap = Scripted(Fill(1_000 * USD, 1_000 * USD * IO // price))
    usdc_to_buy, _io = eng.burn_amounts(price)
    b = eng.buyback_and_burn(swap)
    assert b.twap == price and swap.requests == [SwapRequest(EXACT_INPUT, usdc_to_buy, usdc_to_buy, price)]


def test_buyback_and_burn__spot_far_from_the_twap__no_deviation_check_the_limit_bounds_it():
    """No deviation check any more: a pushed spot only means the trade fills less, or nothing."""
    eng = settled_engine()
    eng.collect_fees(50_000 * USD, 10_000 * IO, at(P))
    pool = Pool.at_price(P, 5_000_000 * USD)
    pool.move_to(P * 13 // 10)  # pushed 30 % above the TWAP: beyond the limit
    b = eng.buyback_and_burn(pool.swap)
    assert (b.usdc_spent, b.io_bought_burned, b.io_fee_burned) == (0, 0, 5_000 * IO)


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
]


@pytest.mark.parametrize(("setter", "name", "good", "_bad"), SETTERS)
def test_setters__governance_in_bounds__updated_and_logged(setter, name, good, _bad):
    eng = engine()
    old = getattr(eng.params, name)
    getattr(eng, setter)(GOV, good)
    assert getattr(eng.params, name) == good
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


@pytest.mark.parametrize(("window", "slippage", "move", "ticks"), [
    (300, 33, 10, 1), (86_400, 500, 5_000, 456), (3_600, 200, 2_000, 166), (1_800, 100, 1_000, 68)])
def test_set_market_bounds__governance_in_bounds__all_three_set_and_logged_in_order(window, slippage, move, ticks):
    eng = engine()
    n = len(eng.events)
    eng.set_market_bounds(GOV, window, slippage, move)
    p = eng.params
    assert (p.twap_window_seconds, p.max_slippage_bps, p.max_price_move_bps, eng.slippage_ticks) == \
        (window, slippage, move, ticks)
    assert eng.events[n:] == [
        ("TwapWindowUpdated", {"old_seconds": 1_800, "new_seconds": window}),
        ("MaxPriceMoveUpdated", {"old": 1_000, "new": move}),
        ("MaxSlippageUpdated", {"old_bps": 100, "new_bps": slippage, "slippage_ticks": ticks})]


@pytest.mark.parametrize(("caller", "window", "slippage", "move", "reason"), [
    (ORACLE, 1_800, 100, 1_000, ide.R_MISSING_ROLE),
    (GOV, 299, 100, 1_000, ide.R_WINDOW_BOUNDS),
    (GOV, 86_401, 100, 1_000, ide.R_WINDOW_BOUNDS),
    (GOV, 299, 0, 9, ide.R_WINDOW_BOUNDS),  # the window is checked first
    (GOV, 1_800, 100, 9, ide.R_MOVE_BOUNDS),
    (GOV, 1_800, 100, 5_001, ide.R_MOVE_BOUNDS),
    (GOV, 1_800, 0, 0, ide.R_MOVE_BOUNDS),  # then the move (the engine's), then the slippage (the desk's)
    (GOV, 1_800, 0, 1_000, ide.R_SLIPPAGE_BOUNDS),
    (GOV, 1_800, 501, 1_000, ide.R_SLIPPAGE_BOUNDS),
    (GOV, 1_800, 30, 1_000, ide.R_SLIPPAGE_FEE),  # 0.30 %: not above the 0.3 % pool fee
    (GOV, 1_800, 32, 1_000, ide.R_SLIPPAGE_FEE),  # above it by less than two ticks
])
def test_set_market_bounds__out_of_bounds_or_wrong_role__reverts_and_changes_nothing(caller, window, slippage, move,
                                                                                     reason):
    eng = engine()
    before = copy.deepcopy(eng)
    with pytest.raises(IDEError, match=f"^{reason}$"):
        eng.set_market_bounds(caller, window, slippage, move)
    assert eng == before and eng.slippage_ticks == 68


def _exact_ticks(slippage_bps: int, fee: int) -> int:
    """floor(ln((1 + s)(1 - fee)) / ln(1.0001)), in 60-digit decimals."""
    getcontext().prec = 60
    x = (Decimal(10_000 + slippage_bps) / 10_000) * (Decimal(1_000_000 - fee) / 1_000_000)
    return int((x.ln() / Decimal("1.0001").ln()).to_integral_value(rounding="ROUND_FLOOR"))


@pytest.mark.parametrize("fee", [100, 500, 3_000, 10_000])
def test_slippage_ticks__every_slippage__below_the_exact_floor_by_one_or_two_ticks(fee):
    """The desk's limit never allows more than (1 + s)(1 - fee) per IO before the fee (never above
    the exact floor; its one tick of margin makes it at least one below), and wastes at most two."""
    accepted = 0
    for s in range(1, ide.MAX_SLIPPAGE_LIMIT_BPS + 1):
        exact = _exact_ticks(s, fee)
        try:
            t = slippage_ticks(s, fee)
        except IDEError as e:
            assert str(e) == ide.R_SLIPPAGE_FEE and exact <= 2  # refused only with under ~2 ticks of room
            continue
        accepted += 1
        assert exact - 2 <= t <= exact - 1, (s, fee, t, exact)
        assert t >= 1 and Fraction(10_001, 10_000) ** t <= Fraction(10_000 + s, 10_000) * Fraction(10**6 - fee, 10**6)
    assert accepted > 400 if fee < 10_000 else accepted > 350


def test_within_bound__at_the_bound_and_one_unit_over__accepted_two_over_refused():
    bound = 2_500 * P * 101 // 100  # 1,010 USDC for 2,500 IO at 0.40 + 1 %
    assert within_bound(Fill(bound, 2_500 * IO), P, 100)
    assert within_bound(Fill(bound + 1, 2_500 * IO), P, 100)  # one unit of the pool's rounding
    assert not within_bound(Fill(bound + 2, 2_500 * IO), P, 100)
    assert within_bound(Fill(0, 0), P, 100) and within_bound(Fill(1, 0), P, 100)
    assert not within_bound(Fill(2, 0), P, 100)  # paying for nothing is outside the bound
    assert within_bound(Fill(10 * USD, 1_000 * IO), P, 100)  # a better price is always within it


def test_twap_cost_max_in__each_step_rounded_down():
    assert ide.twap_cost_max_in(1_000 * IO, P, 100) == 404 * USD
    assert ide.twap_cost_max_in(IO - 1, P, 100) == (P - 1) * 10_100 // BPS  # floor(cost) first, then the slippage


# ------------------------------------------------------------------ properties of single operations
@settings(max_examples=150, deadline=None, derandomize=True)
@given(reward=st.integers(0, 10**7 * IO), fee_io=st.integers(0, 10**7 * IO), usdc=st.integers(0, 10**7 * USD),
       usd=st.integers(0, 100_000 * USD), twap=st.integers(1_000, 10 * USD))
def test_invariant_reward_vault_first__any_vaults_and_price(reward, fee_io, usdc, usd, twap):
    """reward_vault_first: Fee Vault IO is taken only when the Reward Vault is empty, Fee Vault USDC
    only when both IO ledgers are; and never more IO than the USD buys at the epoch's price."""
    eng = engine(reference=twap)
    eng.receive_emission(reward)
    eng.collect_fees(usdc, fee_io, at(twap))
    state(eng, usd)
    pool = Pool.at_price(twap, 10**12 * USD)  # deep enough for any of these trades
    s = eng.settle(1, pool.swap)
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
# The reasons a settlement or a burn may give: ordering and surplus, never the market.
SETTLE_REASONS = {ide.R_ALREADY_SETTLED, ide.R_OUT_OF_ORDER, ide.R_NOT_STATED}
BURN_REASONS = {ide.R_NOT_SETTLED, ide.R_ALREADY_BURNED, ide.R_NO_SURPLUS}  # never the pool: a burn reads none


class EngineMachine(RuleBasedStateMachine):
    """Epochs, fee arrivals, outside traders pushing the price (within and far beyond the bounds)
    and holding it, the pool's history lost, market bounds changed, settlements, burns and
    retirements, against a constant-product pool with the desk's price limit. Each rule checks its
    own effects; the @invariant methods (named after the contract's invariants 1-9) run after every
    step. A reverted call must change nothing; settle and buyback_and_burn never revert for a market
    reason."""

    def __init__(self) -> None:
        super().__init__()
        self.eng = engine(max_swap_usdc=50_000 * USD)
        self.pool = Pool.at_price(P, 2_000_000 * USD)
        self.twap = P  # the TWAP of the window ending now (it lags the spot until a window passes)
        self.history = True  # the pool's observations cover the window
        self.now = 0
        self.minted = 0  # the token's total_minted as far as the engine's IO goes
        self.supply = 0  # its total supply of that IO (minted less every burn logged)
        self.burn_events = 0
        self.trades: list[tuple[SwapRequest, Fill, int, bool]] = []  # (request, fill, slippage, spot within limit)
        self.stated_prices: dict[int, tuple[int, int]] = {0: (P, PRICE_AT_TWAP)}
        self.settle_sources: list[tuple[object, int, int]] = []  # (settlement, reward vault, fee IO before)

    def swap(self, req: SwapRequest) -> Fill:
        self.pool.slippage_ticks = self.eng.slippage_ticks  # the desk's limit follows the engine's bound
        fill = self.pool.swap(req)
        num, den = self.pool.limit_price(req.twap)
        self.trades.append((req, fill, self.eng.params.max_slippage_bps,
                            self.pool.usdc * IO * den <= self.pool.io * num))
        return fill

    def price(self) -> Price:
        return Price(self.twap, self.pool.price, history_ok=self.history)

    def attempt(self, fn, *args) -> tuple[bool, object, str]:  # noqa: ANN001
        """(True, result, ""), or (False, None, reason) after checking that the revert changed nothing."""
        before = copy.deepcopy(self.eng)
        pool_before = (self.pool.io, self.pool.usdc)
        try:
            return True, fn(*args), ""
        except IDEError as e:
            assert self.eng == before, "a reverted call changed the engine"
            assert (self.pool.io, self.pool.usdc) == pool_before, "a reverted call changed the pool"
            return False, None, str(e)

    @rule(amount=st.one_of(st.integers(0, 100_000 * IO), st.integers(200_000 * IO, 4_000_000 * IO)))
    def emission(self, amount):
        """A day's emission, or months of it pulled at once (so the buffer fills and retiring is possible)."""
        self.eng.receive_emission(amount)
        self.minted += amount
        self.supply += amount

    @rule(usdc=st.integers(0, 60_000 * USD), io=st.integers(0, 50_000 * IO))
    def fees(self, usdc, io):
        ok, _, reason = self.attempt(self.eng.collect_fees, usdc, io, self.price())
        assert ok or (io > 0 and not self.history and reason == ide.R_HISTORY)

    @rule(bps=st.one_of(st.integers(-300, 300), st.integers(-5_000, 10_000)))
    def outside_trader(self, bps):
        """An outside trader pushes the spot price, a little or far (the TWAP lags until a window passes)."""
        self.pool.move_to(max(1_000, self.pool.price * (BPS + bps) // BPS))

    @rule()
    def twap_window_passes(self):
        """The push is held for a whole window: the TWAP catches up with the spot."""
        self.twap = self.pool.price

    @rule(ok=st.sampled_from([False, True, True, True]))
    def pool_history(self, ok):
        """The pool's ring stops (or starts again) covering the window."""
        self.history = ok

    @rule(window=st.integers(200, 90_000), slippage=st.integers(0, 520), move=st.integers(0, 5_200))
    def set_market_bounds(self, window, slippage, move):
        ok, _, reason = self.attempt(self.eng.set_market_bounds, GOV, window, slippage, move)
        if ok:
            assert (self.eng.params.max_slippage_bps, self.eng.params.max_price_move_bps) == (slippage, move)
        else:
            assert reason in (ide.R_WINDOW_BOUNDS, ide.R_MOVE_BOUNDS, ide.R_SLIPPAGE_BOUNDS, ide.R_SLIPPAGE_FEE)

    def _state(self, usd: int, now: int) -> tuple[bool, str]:
        epoch = self.eng.last_stated + 1
        close = self.twap if self.history else None
        prev, move = self.eng.epoch_price(epoch - 1), self.eng.params.max_price_move_bps
        ok, _, reason = self.attempt(self.eng.state_epoch, ORACLE, epoch, usd, now, close)
        if ok:
            assert self.eng.prices[epoch] == clamp_price(close, prev, move)
            price = self.eng.epoch_price(epoch)
            assert -(-prev * (BPS - move) // BPS) <= price <= prev * (BPS + move) // BPS
            self.stated_prices[epoch] = self.eng.prices[epoch]
        return ok, reason

    @rule(usd=st.integers(0, 110_000 * USD), early=st.integers(0, DAY))
    def state_epoch(self, usd, early):
        """The oracle states the next epoch, sometimes before it has ended or above the maximum."""
        epoch = self.eng.last_stated + 1
        self.now = max(self.now, self.eng.epoch_end(epoch) - early)
        ok, reason = self._state(usd, self.now)
        assert ok or reason in (ide.R_NOT_ENDED, ide.R_ABOVE_MAX)

    @rule(usd=st.one_of(st.integers(0, 2_000 * USD), st.integers(0, 100_000 * USD)))
    def epoch_ends_stated_and_settled(self, usd):
        """The common day: the oracle states the epoch at its close, anyone settles it."""
        epoch = self.eng.last_stated + 1
        self.now = max(self.now, self.eng.epoch_end(epoch))
        assert self._state(min(usd, self.eng.params.max_usd_per_epoch), self.now)[0]
        self.settle()

    @rule(extra=st.integers(100 * USD, 3_000 * USD))
    def top_up_day(self, extra):
        """A day a little beyond the vaults: fees arrive, the pool rests, the epoch asks `extra`
        more than the Reward Vault and the fee IO hold (a top-up, usually exact output)."""
        if self.eng.last_settled != self.eng.last_stated:
            return
        self.fees(20_000 * USD, 0)
        self.twap, self.history = self.pool.price, True
        epoch = self.eng.last_stated + 1
        self.now = max(self.now, self.eng.epoch_end(epoch))
        price = clamp_price(self.twap, self.eng.epoch_price(epoch - 1), self.eng.params.max_price_move_bps)[0]
        if self.eng.epoch_price(epoch - 1) == 0:
            price = self.twap
        usd = (self.eng.reward_vault + self.eng.fee_io) * price // IO + extra
        if self._state(min(usd, self.eng.params.max_usd_per_epoch), self.now)[0]:
            self.settle()

    @rule()
    def settle(self):
        epoch = self.eng.last_settled + 1
        reward, fee_io = self.eng.reward_vault, self.eng.fee_io
        ok, s, reason = self.attempt(self.eng.settle, epoch, self.swap)
        if not ok:
            assert reason in SETTLE_REASONS and epoch > self.eng.last_stated, reason  # never a market reason
            return
        assert self.eng.last_settled == epoch
        price = self.stated_prices[epoch][0]
        assert s.twap == price and s.io_needed == self.eng.usd_owed[epoch] * IO // price  # the epoch's price
        assert s.io_released + s.shortfall_io == s.io_needed
        assert s.shortfall_usd == min(s.usd_owed, -(-s.shortfall_io * price // IO))
        self.settle_sources.append((s, reward, fee_io))

    @rule()
    def burn(self):
        target = self.eng.reserve_target_usd()
        before = copy.deepcopy(self.eng)
        before_usd = self.eng.fee_vault_usd(self.twap)
        ok, b, reason = self.attempt(self.eng.buyback_and_burn, self.swap)
        if not ok:
            assert reason in BURN_REASONS, reason
            return
        if b is None:
            assert self.eng == before, "a burn that did nothing changed the engine"
            return
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

    @rule()
    def months_of_emission_then_retire(self):
        """Months of emission pulled at once after a settlement: the buffer is exceeded, governance
        retires what is above it."""
        if self.eng.last_settled > 0:
            self.emission(4_000_000 * IO)
            self.retire(BPS)

    @rule(value=st.integers(0, 11_000))
    def set_burn_share(self, value):
        self.attempt(self.eng.set_burn_share_bps, GOV, value)

    @rule(value=st.integers(0, 120_000 * USD))
    def set_max_usd(self, value):
        self.attempt(self.eng.set_max_usd_per_epoch, GOV, value)

    @invariant()
    def released_le_sources(self):
        e = self.eng
        assert e.released <= e.emitted_in + e.fee_io_in + e.io_bought
        e.check_invariants()

    @invariant()
    def reward_vault_first(self):
        for s, reward, fee_io in self.settle_sources:
            if s.from_fee_io:
                assert s.from_reward_vault == reward, "Fee Vault IO taken before the Reward Vault was empty"
            if s.from_fee_usdc_swap or s.usdc_spent:
                assert s.from_reward_vault == reward and s.from_fee_io == fee_io, "USDC swapped before IO was used"

    @invariant()
    def burns_accounted(self):
        e = self.eng
        assert self.burn_events == e.burned == e.burned_by_buyback + e.burned_fee_io + e.retired
        assert self.supply == self.minted - e.burned  # supply falls by every burn
        assert self.minted == e.emitted_in  # burns never change what was minted

    @invariant()
    def twap_bound(self):
        for req, fill, slippage, spot_within in self.trades:
            assert within_bound(fill, req.twap, slippage)
            assert fill.usdc_paid <= req.max_in
            assert spot_within or fill == Fill(0, 0), "the pool passed the desk's price limit"

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
        assert all(e.usd_owed[n] <= ide.MAX_USD_PER_EPOCH_LIMIT for n in e.usd_owed)

    @invariant()
    def price_fixed_by_epoch(self):
        """Each epoch's price is the one its statement wrote, never rewritten by a settlement, a
        burn or a change of the bounds."""
        assert self.eng.prices == self.stated_prices
        assert all(self.eng.settlements[n].twap == self.stated_prices[n][0] for n in self.eng.settlements)

    seen: Counter = Counter()  # what the histories exercised (all examples together)

    def teardown(self) -> None:
        e = self.eng
        flags = Counter(flag for _, flag in e.prices.values())
        EngineMachine.seen.update(
            settled=e.last_settled, shortfalls=e.shortfall_epochs, retired=int(e.retired > 0),
            fee_io_used=sum(1 for s in e.settlements.values() if s.from_fee_io),
            exact_output=sum(1 for r, *_ in self.trades if r.kind == EXACT_OUTPUT),
            exact_input=sum(1 for r, *_ in self.trades if r.kind == EXACT_INPUT),
            partial=sum(1 for r, f, *_ in self.trades
                        if 0 < f.io_received < r.amount if r.kind == EXACT_OUTPUT) +
            sum(1 for r, f, *_ in self.trades if r.kind == EXACT_INPUT and 0 < f.usdc_paid < r.amount),
            empty=sum(1 for _, f, *_ in self.trades if f == Fill(0, 0)),
            clamped_up=flags[PRICE_CLAMPED_UP], clamped_down=flags[PRICE_CLAMPED_DOWN],
            carried=flags[PRICE_CARRIED],
            burns=sum(1 for name, _ in e.events if name == "BoughtBackAndBurned"))


def test_invariants__state_machine__every_balance_after_every_step():
    """released_le_sources, reward_vault_first, burns_accounted, twap_bound, fee_vault_covered,
    burn_share_ge_half, emission_ceiling, ordered_epochs, price_fixed_by_epoch over random histories
    of pushes, held pushes, lost history and changed bounds: settle and burn never revert for a
    market reason."""
    from tests.machines import run_until_covered

    kinds = ("settled", "shortfalls", "retired", "fee_io_used", "exact_output", "exact_input", "partial", "empty",
             "clamped_up", "clamped_down", "carried", "burns")
    EngineMachine.seen.clear()
    # derandomized first, then seeded runs only while a kind of history was never reached (the
    # derandomized draw is not the same on every machine: a CI run once never clamped a price up)
    left = run_until_covered(EngineMachine, examples=40, steps=200,
                             missing=lambda: [k for k in kinds if EngineMachine.seen[k] == 0])
    assert left == [], EngineMachine.seen


def test_state_epoch__no_reference_and_no_close_window__reverts_then_unclamped():
    """An engine activated before its pool served the window has no reference price: epoch 1's
    statement is refused without the close window (never a spot price), and with it pays at the
    close TWAP unclamped; epoch 2 is clamped against that."""
    eng = IncentiveEngine(GOV, ORACLE, start_time=0)
    assert eng.epoch_price(0) == 0
    with pytest.raises(IDEError, match=ide.R_NO_CLOSE_WINDOW):
        eng.state_epoch(ORACLE, 1, 10 * USD, eng.epoch_end(1), None)
    eng.state_epoch(ORACLE, 1, 10 * USD, eng.epoch_end(1), 100_000)
    assert eng.prices[1] == (100_000, ide.PRICE_AT_TWAP)
    eng.state_epoch(ORACLE, 2, 10 * USD, eng.epoch_end(2), 400_000)
    assert eng.prices[2] == (110_000, ide.PRICE_CLAMPED_DOWN)

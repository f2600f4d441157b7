"""IncentiveEngine (contracts/IncentiveEngine.vy) against its rules (docs/incentive-engine.md) and its
integer reference model (ionet/models/ide.py): each external function with its state and events, each
revert reason, and the invariants of its @dev by name. The engine is the suite's (deployed by the
deploy step, inactive); the `ide` fixture activates it as governance would (ionet.chain.deploy_ide).
Every test here starts from that activated engine: it is activated once per module (`ide`, with the
TWAP-ready `market`, module-scoped), and ape's per-test snapshot gives each test the same state. The
engine before and apart from activation: test_incentive_engine_setup.py."""

from __future__ import annotations

import ape
import pytest

from ionet import IO, USDC
from ionet.chain.economy import fund_from_community
from ionet.chain.roles import role_hash
from ionet.models import ide as model
from ionet.models import market as m
from tests.ide_helpers import activate, after_epoch, book_fees, close_twap, epoch_end, fee_device
from tests.market_helpers import Market

ZERO = "0x" + "00" * 20
DAY = 86_400
MISSING_ROLE = "access_control: account is missing role"


@pytest.fixture(scope="module")
def _ide_market(suite, market_pools, owner, fund):
    """tests/conftest.py's `market`, made once for the module (every test here uses it through `ide`)."""
    return Market.ready(suite, market_pools, owner, fund)


@pytest.fixture(scope="module")
def _ide_active(suite, owner, _ide_market):
    """The engine activated (emission recipient, router treasury, activate) with a TWAP ready: once for
    the module, before every test (each test's changes are rolled back by ape's snapshot)."""
    activate(suite, owner)
    return suite.IncentiveEngine


# `market` and `ide` keep the names and the function scope they have in the other modules: ape keeps
# its isolation bookkeeping per fixture name, and a module-scoped `market` here made it take later
# modules' function-scoped `market` for a module one (never rolled back between their tests).
@pytest.fixture
def market(_ide_market):
    return _ide_market


@pytest.fixture
def ide(_ide_active):
    return _ide_active


@pytest.fixture(autouse=True)
def _activated_first(_ide_active, suite, owner, operator, alice, bob, attacker, emission):
    """Every test of this module starts from the activated engine, whether or not it names `ide`.
    The session fixtures the module's tests use are named here too, so that they all exist before
    the module's snapshot: one first named by a later test would make ape roll the module back and
    set the engine up again (its InvalidIsolationWarning)."""


@pytest.fixture
def device(suite, bob):
    return fee_device(suite, bob)


@pytest.fixture
def fees(suite, owner, alice, device, ide):
    """The router holds 2,250 USDC and 500 IO of fees (one USDC and one IO booking)."""
    return book_fees(suite, owner, alice, device, 100_000 * USDC, 200_000 * IO)


def twap_of(market) -> int:
    return m.quote_at_tick(market.mean_tick(), IO, market.io.address, market.usdc.address)


def stated(ide, operator, epoch: int, usd: int) -> None:
    after_epoch(ide, epoch)
    ide.state_epoch(epoch, usd, sender=operator)


def settled(ide, operator, alice, epoch: int, usd: int):
    stated(ide, operator, epoch, usd)
    return ide.settle(epoch, sender=alice)


def test_totals__burns_elsewhere__holders_and_slashing_not_the_engine(ide, suite, owner, alice):
    """`burned_elsewhere` is every IO burned outside the engine (holders' own burns, finalized
    slashes): a holder's burn raises it by exactly that amount."""
    fund_from_community(suite, alice, 10 * IO)
    before = ide.totals()
    suite.IOToken.burn(3 * IO, sender=alice)
    after = ide.totals()
    assert after.burned_elsewhere == before.burned_elsewhere + 3 * IO and after.burned == before.burned
    token = suite.IOToken
    assert after.burned_elsewhere == token.total_minted() - token.totalSupply() - after.burned


def _zero_slots_written(tx, address) -> list[str]:
    """The storage slots of `address` that `tx` wrote from zero (the prestate tracer's diff: a slot
    zero before and set after pays EIP-2200's 20,000 gas instead of 2,900)."""
    w3 = ape.chain.provider.web3
    diff = w3.provider.make_request(
        "debug_traceTransaction",
        [tx.txn_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}],
    )["result"]
    pre = {a.lower(): v for a, v in diff["pre"].items()}.get(address.lower(), {}).get("storage", {})
    post = {a.lower(): v for a, v in diff["post"].items()}.get(address.lower(), {}).get("storage", {})
    return [slot for slot, value in post.items() if int(value, 16) != 0 and int(pre.get(slot, "0x0"), 16) == 0]


def test_activate__counter_words_live__first_settlements_and_burn_write_no_zero_slot(
    ide, suite, fees, operator, alice, market
):
    """The counters' words go live at activation (bit 255, `_LIVE`; the buyback word stores its USDC
    plus one): the first settlement paid from the Reward Vault, the first buyback and the first
    settlement topped up from fee IO and a swap write no engine slot that was zero."""
    ide.collect_fees(sender=alice)
    stated(ide, operator, 1, 10 * USDC)
    tx = ide.settle(1, sender=alice)
    assert ide.EpochSettled.from_receipt(tx)[0].from_reward_vault > 0
    assert _zero_slots_written(tx, ide.address) == []
    tx = ide.buyback_and_burn(sender=alice)
    [ev] = ide.BoughtBackAndBurned.from_receipt(tx)
    assert ev.usdc_spent > 0 and ev.io_fee_burned > 0
    assert _zero_slots_written(tx, ide.address) == []
    after_epoch(ide, 2)
    ide.sync_emission(sender=alice)
    twap = twap_of(market)
    ide.state_epoch(2, ide.reward_vault() * twap // IO + ide.fee_io() * twap // IO + 100 * USDC, sender=operator)
    tx = ide.settle(2, sender=alice)
    [ev] = ide.EpochSettled.from_receipt(tx)
    assert ev.from_fee_io > 0 and ev.from_fee_usdc_swap > 0 and ev.shortfall_io == 0
    assert _zero_slots_written(tx, ide.address) == []


def test_activate__twice__reverts(ide, owner):
    with ape.reverts(model.R_ALREADY_ACTIVE):
        ide.activate(sender=owner)


# ------------------------------------------------------------------ inflows
def test_sync_emission__after_an_hour__credits_the_rise_of_total_emitted(ide, emission, alice):
    after_epoch(ide, 0)
    ape.chain.pending_timestamp += 3_600
    total_before = emission.total_emitted()
    tx = ide.sync_emission(sender=alice)
    amount = tx.return_value
    assert amount == emission.total_emitted() - total_before > 0
    assert ide.reward_vault() == amount and ide.totals().emitted_in == amount
    [ev] = ide.EmissionReceived.from_receipt(tx)
    assert (ev.amount, ev.reward_vault, ev.total_emitted_in) == (amount, amount, amount)
    assert ide.sync_emission(sender=alice).return_value == 0  # nothing new in the same hour


def test_sync_emission__engine_no_longer_recipient__credits_nothing(ide, emission, owner, alice):
    emission.set_reward_recipient(alice, sender=owner)
    ape.chain.pending_timestamp += 2 * 3_600
    assert ide.sync_emission(sender=alice).return_value == 0
    assert ide.reward_vault() == 0


def test_collect_fees__router_fees__enter_the_fee_vault_valued_at_the_twap(ide, suite, fees, market, alice):
    fee_usdc, fee_io = fees
    router = suite.SettlementRouter
    assert router.fees(suite.USDC) == fee_usdc and router.fees(suite.IOToken) == fee_io
    twap = twap_of(market)
    tx = ide.collect_fees(sender=alice)
    usd = fee_usdc + fee_io * twap // IO
    assert tx.return_value == usd
    [ev] = ide.FeesCollected.from_receipt(tx)
    assert (ev.usdc, ev.io, ev.usd_value, ev.fee_usdc, ev.fee_io) == (fee_usdc, fee_io, usd, fee_usdc, fee_io)
    assert (ide.fee_usdc(), ide.fee_io(), ide.pending_fee_usd()) == (fee_usdc, fee_io, usd)
    assert router.fees(suite.USDC) == 0 and router.fees(suite.IOToken) == 0
    assert suite.USDC.balanceOf(suite.FeeVaultDesk) == fee_usdc and suite.IOToken.balanceOf(ide) == fee_io
    assert suite.USDC.balanceOf(ide) == 0  # the Fee Vault's USDC is held by the FeeVaultDesk
    t = ide.totals()
    assert (t.fee_usdc_in, t.fee_io_in, t.fee_usd_in) == (fee_usdc, fee_io, usd)


def test_collect_fees__nothing_accrued__does_nothing(ide, alice):
    tx = ide.collect_fees(sender=alice)
    assert tx.return_value == 0 and not ide.FeesCollected.from_receipt(tx)


def test_collect_fees__io_fees_and_pool_history_short__reverts(ide, fees, owner, alice):
    ide.set_market_bounds(86_400, 100, 1_000, sender=owner)
    with ape.reverts(model.R_HISTORY):
        ide.collect_fees(sender=alice)


# ------------------------------------------------------------------ the oracle
def test_state_epoch__ended_epoch__recorded_logged_and_priced_at_the_close(ide, operator, market):
    after_epoch(ide, 1)
    twap = close_twap(ide, market, 1)
    reference = ide.epoch_info(0).twap_price
    tx = ide.state_epoch(1, 1_234 * USDC, sender=operator)
    [ev] = ide.EpochStated.from_receipt(tx)
    assert (ev.epoch, ev.usd_owed, ev.twap_price, ev.reference_price) == (1, 1_234 * USDC, twap, reference)
    assert (ev.price, ev.price_flag) == model.clamp_price(twap, reference, 1_000) == (twap, model.PRICE_AT_TWAP)
    info = ide.epoch_info(1)
    assert (info.usd_owed, info.stated, info.settled, info.twap_price) == (1_234 * USDC, True, False, twap)
    assert (info.price_flag, info.io_needed) == (model.PRICE_AT_TWAP, 1_234 * USDC * IO // twap)
    assert ide.last_stated() == 1


def test_state_epoch__twice__reverts(ide, operator):
    stated(ide, operator, 1, USDC)
    with ape.reverts(model.R_ALREADY_STATED):
        ide.state_epoch(1, USDC, sender=operator)


def test_state_epoch__skipping_an_epoch__reverts(ide, operator):
    after_epoch(ide, 2)
    with ape.reverts(model.R_OUT_OF_ORDER):
        ide.state_epoch(2, USDC, sender=operator)


def test_state_epoch__epoch_not_ended__reverts(ide, operator):
    assert ape.chain.blocks.head.timestamp < epoch_end(ide, 1) - 600
    with ape.reverts(model.R_NOT_ENDED):
        ide.state_epoch(1, USDC, sender=operator)


def test_state_epoch__above_the_maximum__reverts(ide, operator):
    after_epoch(ide, 1)
    with ape.reverts(model.R_ABOVE_MAX):
        ide.state_epoch(1, ide.max_usd_per_epoch() + 1, sender=operator)
    ide.state_epoch(1, ide.max_usd_per_epoch(), sender=operator)


def test_state_epoch__not_the_oracle__reverts(ide, attacker):
    after_epoch(ide, 1)
    with ape.reverts(MISSING_ROLE):
        ide.state_epoch(1, USDC, sender=attacker)


def test_state_epoch__paused__reverts_and_settling_goes_on(ide, owner, operator, alice):
    stated(ide, operator, 1, USDC)
    tx = ide.pause(sender=owner)
    assert ide.paused() and tx.events[0].event_name == "Paused"
    after_epoch(ide, 2)
    with ape.reverts(model.R_PAUSED):
        ide.state_epoch(2, USDC, sender=operator)
    ide.settle(1, sender=alice)  # what is stated is still settled
    with ape.reverts(model.R_PAUSED):
        ide.pause(sender=owner)
    tx = ide.unpause(sender=owner)
    assert not ide.paused() and tx.events[0].event_name == "Unpaused"
    with ape.reverts(model.R_NOT_PAUSED):
        ide.unpause(sender=owner)
    ide.state_epoch(2, USDC, sender=operator)


def test_pause__not_pauser__reverts(ide, attacker):
    with ape.reverts(MISSING_ROLE):
        ide.pause(sender=attacker)


def test_unpause__pauser_is_not_admin__reverts(ide, owner, alice):
    ide.grantRole(role_hash("PAUSER_ROLE"), alice, sender=owner)
    ide.pause(sender=alice)
    with ape.reverts(MISSING_ROLE):
        ide.unpause(sender=alice)


# ------------------------------------------------------------------ settlement
def test_settle__reward_vault_covers__pays_the_distributor_from_it(ide, suite, operator, alice, market):
    usd = 1_000 * USDC
    dist_before = suite.IOToken.balanceOf(suite.RewardsDistributor)
    tx = settled(ide, operator, alice, 1, usd)
    twap = twap_of(market)
    need = usd * IO // twap
    [ev] = ide.EpochSettled.from_receipt(tx)
    assert (ev.epoch, ev.usd_owed, ev.twap_price, ev.io_needed) == (1, usd, twap, need)
    assert (ev.from_reward_vault, ev.from_fee_io, ev.from_fee_usdc_swap, ev.shortfall_io) == (need, 0, 0, 0)
    assert ev.reward_vault == ide.reward_vault() and tx.return_value == need
    assert suite.IOToken.balanceOf(suite.RewardsDistributor) == dist_before + need
    assert not ide.ShortfallRecorded.from_receipt(tx)
    info = ide.epoch_info(1)
    assert (info.twap_price, info.io_needed, info.settled) == (twap, need, True)
    assert ide.last_settled() == 1 and ide.trailing() == (1, usd, 0, need)


def test_settle__reward_vault_short__fee_io_then_exact_output_swap(ide, suite, fees, operator, alice, market):
    ide.collect_fees(sender=alice)
    after_epoch(ide, 1)
    ide.sync_emission(sender=alice)
    twap = twap_of(market)
    extra = 100 * USDC
    usd = ide.reward_vault() * twap // IO + ide.fee_io() * twap // IO + extra
    ide.state_epoch(1, usd, sender=operator)
    vault, fee_io, fee_usdc = ide.reward_vault(), ide.fee_io(), ide.fee_usdc()
    dist_before = suite.IOToken.balanceOf(suite.RewardsDistributor)
    tx = ide.settle(1, sender=alice)
    [ev] = ide.EpochSettled.from_receipt(tx)
    need = usd * IO // twap
    missing = need - vault - fee_io
    assert (ev.from_reward_vault, ev.from_fee_io, ev.from_fee_usdc_swap, ev.io_bought) == (
        vault,
        fee_io,
        missing,
        missing,
    )
    assert 0 < ev.usdc_spent <= model.twap_cost_max_in(missing, twap, 100)
    assert ev.shortfall_io == 0 and ev.fee_io == 0 and ev.fee_usdc == fee_usdc - ev.usdc_spent
    assert suite.IOToken.balanceOf(suite.RewardsDistributor) == dist_before + need
    t = ide.totals()
    assert (t.released_from_fee_io, t.released_from_swap, t.usdc_spent_topup, t.io_bought_topup) == (
        fee_io,
        missing,
        ev.usdc_spent,
        missing,
    )


def test_settle__usdc_budget_short__exact_input_and_shortfall_recorded(
    ide, suite, fees, owner, operator, alice, market
):
    ide.collect_fees(sender=alice)
    ide.set_max_swap_usdc(50 * USDC, sender=owner)
    after_epoch(ide, 1)
    ide.sync_emission(sender=alice)
    twap = twap_of(market)
    usd = ide.reward_vault() * twap // IO + ide.fee_io() * twap // IO + 1_000 * USDC
    ide.state_epoch(1, usd, sender=operator)
    tx = ide.settle(1, sender=alice)
    [ev] = ide.EpochSettled.from_receipt(tx)
    assert 0 < ev.usdc_spent <= 50 * USDC
    assert model.within_bound(model.Fill(ev.usdc_spent, ev.io_bought), twap, 100)
    assert ev.from_fee_usdc_swap == ev.io_bought and ev.shortfall_io > 0
    assert ev.shortfall_usd == min(usd, -(-ev.shortfall_io * twap // IO))
    [sf] = ide.ShortfallRecorded.from_receipt(tx)
    assert (sf.epoch, sf.shortfall_usd, sf.shortfall_io, sf.total_shortfall_usd) == (
        1,
        ev.shortfall_usd,
        ev.shortfall_io,
        ev.shortfall_usd,
    )
    t = ide.totals()
    assert (t.shortfall_usd_total, t.shortfall_epochs) == (ev.shortfall_usd, 1)


@pytest.mark.parametrize("budget", [model.MIN_SWAP_USDC, model.MIN_SWAP_USDC - 1])
def test_settle__usdc_budget_at_the_minimum_swap__exact_input_from_the_minimum_on(
    ide, suite, fees, owner, operator, alice, market, budget
):
    """The Fee Vault trades when its budget (min(USDC, max_swap_usdc)) reaches MIN_SWAP_USDC, not below."""
    ide.collect_fees(sender=alice)
    ide.set_max_swap_usdc(budget, sender=owner)
    after_epoch(ide, 1)
    ide.sync_emission(sender=alice)
    twap = twap_of(market)
    usd = ide.reward_vault() * twap // IO + ide.fee_io() * twap // IO + 1_000 * USDC
    ide.state_epoch(1, usd, sender=operator)
    [ev] = ide.EpochSettled.from_receipt(ide.settle(1, sender=alice))
    swaps = budget >= model.MIN_SWAP_USDC
    assert ev.usdc_spent == (budget if swaps else 0) and (ev.io_bought > 0) == swaps
    assert ev.shortfall_io > 0


def test_epoch_info__epoch_zero_and_an_epoch_not_stated__neither_stated_nor_settled_and_need_nothing(
    ide, operator, alice
):
    """Epoch 0 (activation's reference price) and an epoch not stated yet need no IO: io_needed is
    0, not a figure of their (empty) USD owed."""
    settled(ide, operator, alice, 1, 10 * USDC)
    zero, one, two = ide.epoch_info(0), ide.epoch_info(1), ide.epoch_info(2)
    assert (zero.stated, zero.settled, zero.usd_owed, zero.io_needed) == (False, False, 0, 0)
    assert zero.twap_price > 0  # the reference
    assert (one.stated, one.settled, one.usd_owed) == (True, True, 10 * USDC)
    assert one.io_needed == 10 * USDC * IO // one.twap_price > 0
    assert tuple(two) == (0, 0, 0, 0, 0, False, False)


def test_settle__twice__reverts(ide, operator, alice):
    settled(ide, operator, alice, 1, USDC)
    with ape.reverts(model.R_ALREADY_SETTLED):
        ide.settle(1, sender=alice)


def test_settle__out_of_order__reverts(ide, operator, alice):
    stated(ide, operator, 1, USDC)
    stated(ide, operator, 2, USDC)
    with ape.reverts(model.R_OUT_OF_ORDER):
        ide.settle(2, sender=alice)


def test_settle__not_stated__reverts(ide, alice):
    with ape.reverts(model.R_NOT_STATED):
        ide.settle(1, sender=alice)


def test_settle__spot_pushed_beyond_the_limit__settles_with_a_shortfall(ide, suite, fees, operator, alice, market):
    """No deviation check any more: a pool pushed past the price limit buys nothing, the epoch
    settles with its shortfall recorded (it used to revert)."""
    ide.collect_fees(sender=alice)
    after_epoch(ide, 1)
    ide.sync_emission(sender=alice)
    twap = twap_of(market)
    usd = ide.reward_vault() * twap // IO + ide.fee_io() * twap // IO + 1_000 * USDC
    ide.state_epoch(1, usd, sender=operator)
    market.push_io_price(100_000 * USDC)
    tx = ide.settle(1, sender=alice)
    [ev] = ide.EpochSettled.from_receipt(tx)
    assert (ev.usdc_spent, ev.io_bought) == (0, 0) and ev.shortfall_io > 0
    assert ev.twap_price == twap  # the epoch's price, fixed at its statement


def test_price__pool_history_shorter_than_window__reverts_and_reserves_need_no_pool(ide, owner):
    """A window longer than the pool's history: no TWAP at all (never a spot price); reserves() values
    at the last settled epoch's price (activation's reference here) as the burn does: no pool read."""
    reference = ide.epoch_info(0).twap_price
    ide.set_market_bounds(86_400, 100, 1_000, sender=owner)
    with ape.reverts(model.R_HISTORY):
        ide.price()
    assert ide.reserves().twap_price == reference > 0


# ------------------------------------------------------------------ buyback and burn
def test_buyback_and_burn__surplus__burns_half_above_the_reserve(ide, suite, fees, operator, alice, market):
    ide.collect_fees(sender=alice)
    settled(ide, operator, alice, 1, 10 * USDC)
    token = suite.IOToken
    twap = twap_of(market)
    target = 30 * 10 * USDC
    fee_usdc, fee_io = ide.fee_usdc(), ide.fee_io()
    r = ide.reserves()
    usdc_to_buy = (fee_usdc - target) * 5_000 // 10_000
    io_to_burn = fee_io * 5_000 // 10_000
    assert (r.reserve_target_usd, r.usdc_reserved, r.io_reserved, r.usdc_to_buy, r.io_to_burn, r.can_burn) == (
        target,
        target,
        0,
        usdc_to_buy,
        io_to_burn,
        True,
    )
    supply, minted = token.totalSupply(), token.total_minted()
    tx = ide.buyback_and_burn(sender=alice)
    [ev] = ide.BoughtBackAndBurned.from_receipt(tx)
    assert (ev.epoch, ev.twap_price, ev.reserve_target_usd, ev.usdc_spent, ev.io_fee_burned) == (
        1,
        twap,
        target,
        usdc_to_buy,
        io_to_burn,
    )
    assert model.within_bound(model.Fill(usdc_to_buy, ev.io_bought_burned), twap, 100)
    assert tx.return_value == ev.io_bought_burned + io_to_burn
    assert token.totalSupply() == supply - tx.return_value and token.total_minted() == minted
    assert (ev.fee_usdc, ev.fee_io) == (fee_usdc - usdc_to_buy, fee_io - io_to_burn) == (ide.fee_usdc(), ide.fee_io())
    assert ide.last_burn_epoch() == 1 and not ide.reserves().can_burn
    t = ide.totals()
    assert (t.usdc_spent_buyback, t.burned_by_buyback, t.burned_fee_io) == (
        usdc_to_buy,
        ev.io_bought_burned,
        io_to_burn,
    )


def test_buyback_and_burn__before_any_settlement__reverts(ide, alice):
    with ape.reverts(model.R_NOT_SETTLED):
        ide.buyback_and_burn(sender=alice)


def test_buyback_and_burn__a_stated_epoch_unsettled__reverts(ide, fees, operator, alice):
    ide.collect_fees(sender=alice)
    settled(ide, operator, alice, 1, 10 * USDC)
    stated(ide, operator, 2, 10 * USDC)
    with ape.reverts(model.R_NOT_SETTLED):
        ide.buyback_and_burn(sender=alice)


def test_buyback_and_burn__twice_for_one_epoch__reverts(ide, fees, operator, alice):
    ide.collect_fees(sender=alice)
    settled(ide, operator, alice, 1, 10 * USDC)
    ide.buyback_and_burn(sender=alice)
    with ape.reverts(model.R_ALREADY_BURNED):
        ide.buyback_and_burn(sender=alice)


def test_buyback_and_burn__fee_vault_within_its_reserve__reverts(ide, operator, alice):
    settled(ide, operator, alice, 1, 10 * USDC)
    with ape.reverts(model.R_NO_SURPLUS):
        ide.buyback_and_burn(sender=alice)


def test_buyback_and_burn__spot_pushed_beyond_the_limit__burns_the_fee_io_and_keeps_the_usdc(
    ide, fees, operator, alice, market
):
    """A pool pushed past the limit: the USDC leg buys nothing (no revert), the fee IO leg burns."""
    ide.collect_fees(sender=alice)
    settled(ide, operator, alice, 1, 10 * USDC)
    fee_usdc, fee_io = ide.fee_usdc(), ide.fee_io()
    market.push_io_price(100_000 * USDC)
    tx = ide.buyback_and_burn(sender=alice)
    [ev] = ide.BoughtBackAndBurned.from_receipt(tx)
    assert (ev.usdc_spent, ev.io_bought_burned) == (0, 0) and ev.io_fee_burned == fee_io * 5_000 // 10_000 > 0
    assert (ide.fee_usdc(), ide.fee_io()) == (fee_usdc, fee_io - ev.io_fee_burned) and ide.last_burn_epoch() == 1


def test_buyback_and_burn__nothing_fillable_and_no_fee_io__changes_nothing(
    ide, suite, owner, operator, alice, device, market
):
    """Only USDC above the reserve and the pool past the limit: nothing bought, nothing burned,
    the epoch not used up (a later call may buy)."""
    book_fees(suite, owner, alice, device, 100_000 * USDC, 0)
    ide.collect_fees(sender=alice)
    settled(ide, operator, alice, 1, 10 * USDC)
    fee_usdc = ide.fee_usdc()
    market.push_io_price(100_000 * USDC)
    tx = ide.buyback_and_burn(sender=alice)
    assert tx.return_value == 0 and not ide.BoughtBackAndBurned.from_receipt(tx)
    assert ide.fee_usdc() == fee_usdc and ide.last_burn_epoch() == 0 and ide.reserves().can_burn


@pytest.mark.parametrize("surplus", ["usdc", "io"])
def test_buyback_and_burn__one_kind_of_surplus__that_kind_alone_bought_or_burned(
    ide, suite, owner, operator, alice, device, market, surplus
):
    """Only USDC above the reserve (no fee IO): the USDC leg buys and burns, no fee IO burned. Only
    fee IO above the reserve (no USDC): the fee IO leg burns, no trade. Either surplus alone is
    enough to burn (`usdc_to_buy != 0 or io_to_burn != 0`)."""
    book_fees(suite, owner, alice, device, *((100_000 * USDC, 0) if surplus == "usdc" else (0, 200_000 * IO)))
    ide.collect_fees(sender=alice)
    settled(ide, operator, alice, 1, USDC)  # a reserve target of 30 USDC
    fee_usdc, fee_io, r = ide.fee_usdc(), ide.fee_io(), ide.reserves()
    assert (fee_usdc == 0) == (surplus == "io") and (fee_io == 0) == (surplus == "usdc")
    assert ((r.usdc_to_buy > 0), (r.io_to_burn > 0), r.can_burn) == (surplus == "usdc", surplus == "io", True)
    supply = suite.IOToken.totalSupply()
    tx = ide.buyback_and_burn(sender=alice)
    [ev] = ide.BoughtBackAndBurned.from_receipt(tx)
    fills = suite.FeeVaultDesk.IOBought.from_receipt(tx)
    assert (ev.epoch, ev.usdc_spent, ev.io_fee_burned) == (1, r.usdc_to_buy, r.io_to_burn)
    if surplus == "usdc":
        assert ev.io_bought_burned > 0 and [f.io_received for f in fills] == [ev.io_bought_burned]
    else:
        assert ev.io_bought_burned == 0 and not fills
    assert tx.return_value == ev.io_bought_burned + ev.io_fee_burned == supply - suite.IOToken.totalSupply()
    assert (ide.fee_usdc(), ide.fee_io()) == (fee_usdc - ev.usdc_spent, fee_io - ev.io_fee_burned)
    assert ide.last_burn_epoch() == 1
    t = ide.totals()
    assert (t.usdc_spent_buyback, t.burned_by_buyback, t.burned_fee_io) == (
        ev.usdc_spent,
        ev.io_bought_burned,
        ev.io_fee_burned,
    )


# ------------------------------------------------------------------ retirement
def test_retire__above_the_buffer__burns_reward_vault_io(ide, suite, owner, operator, alice):
    settled(ide, operator, alice, 1, 10 * USDC)
    need = ide.trailing()[3]
    assert ide.retire_buffer_io() == 90 * need
    retirable = ide.retirable()
    assert retirable == ide.reward_vault() - 90 * need > 0
    supply = suite.IOToken.totalSupply()
    tx = ide.retire(retirable, sender=owner)
    [ev] = ide.EmissionRetired.from_receipt(tx)
    assert (ev.amount, ev.reward_vault, ev.total_retired) == (retirable, 90 * need, retirable)
    assert suite.IOToken.totalSupply() == supply - retirable and ide.retirable() == 0
    assert ide.retirement_progress_bps() == retirable * 10_000 // model.RETIREMENT_TARGET
    assert ide.totals().retired == retirable


def test_retire__zero__reverts(ide, owner):
    with ape.reverts(model.R_ZERO_AMOUNT):
        ide.retire(0, sender=owner)


def test_retire__more_than_retirable__reverts(ide, owner, operator, alice):
    settled(ide, operator, alice, 1, 1_000 * USDC)
    with ape.reverts(model.R_ABOVE_RETIRABLE):
        ide.retire(ide.retirable() + 1, sender=owner)


def test_retire__before_any_settlement__whole_vault_is_buffer(ide, owner, alice):
    after_epoch(ide, 1)
    ide.sync_emission(sender=alice)
    assert ide.reward_vault() > 0 and ide.retire_buffer_io() == ide.reward_vault() and ide.retirable() == 0
    with ape.reverts(model.R_ABOVE_RETIRABLE):
        ide.retire(1, sender=owner)


def test_retire__not_admin__reverts(ide, attacker):
    with ape.reverts(MISSING_ROLE):
        ide.retire(1, sender=attacker)


# ------------------------------------------------------------------ views
def test_views__after_settlements__trailing_ratio_and_reserve(ide, fees, operator, alice, market):
    usd_in = ide.collect_fees(sender=alice).return_value
    settled(ide, operator, alice, 1, 1_000 * USDC)
    settled(ide, operator, alice, 2, 3_000 * USDC)
    n, owed, fee_usd, _need = ide.trailing()
    assert (n, owed, fee_usd) == (2, 4_000 * USDC, usd_in)
    assert ide.sustainability_ratio_bps() == usd_in * 10_000 // (4_000 * USDC)
    assert ide.reserve_target_usd() == -(-30 * 4_000 * USDC // 2)
    assert ide.price() == twap_of(market)
    r = ide.reserves()
    assert r.fee_vault_usd == r.fee_usdc + r.fee_io * r.twap_price // IO
    assert r.reward_vault_usd == r.reward_vault * r.twap_price // IO


def test_trailing__after_31_settlements__the_first_epoch_leaves_the_window(ide, fees, operator, alice):
    """The trailing sums cover the last 30 settled epochs: settling epoch 31 takes epoch 1's USD owed,
    fee USD and IO needed out."""
    usd_in = ide.collect_fees(sender=alice).return_value  # booked to epoch 1
    settled(ide, operator, alice, 1, 1_000 * USDC)
    need_1 = ide.epoch_info(1).io_needed
    for e in range(2, 32):
        settled(ide, operator, alice, e, 10 * USDC)
    needs = [ide.epoch_info(e).io_needed for e in range(2, 32)]
    n, owed, fee_usd, need = ide.trailing()
    assert (n, owed, fee_usd, need) == (30, 30 * 10 * USDC, 0, sum(needs))
    assert usd_in > 0 and need_1 > 0


# ------------------------------------------------------------------ invariants (the @dev's, by name)
def _run_epochs(ide, suite, owner, operator, alice, device, market, epochs: int = 3):
    """A few epochs with fees, a top-up settlement, burns and a retirement; yields after each step."""
    for e in range(1, epochs + 1):
        book_fees(suite, owner, alice, device, 50_000 * USDC, 100_000 * IO)
        after_epoch(ide, e)
        ide.collect_fees(sender=alice)
        ide.sync_emission(sender=alice)
        twap = twap_of(market)
        usd = 10 * USDC if e != 2 else ide.reward_vault() * twap // IO + ide.fee_io() * twap // IO + 200 * USDC
        ide.state_epoch(e, usd, sender=operator)
        yield "settle", ide.settle(e, sender=alice)
        if ide.reserves().can_burn:
            yield "burn", ide.buyback_and_burn(sender=alice)
        if ide.retirable():
            yield "retire", ide.retire(ide.retirable(), sender=owner)


def test_invariant_released_le_sources(ide, suite, owner, operator, alice, device, market):
    for _kind, _tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        t = ide.totals()
        assert t.released <= t.emitted_in + t.fee_io_in + t.io_bought_topup + t.burned_by_buyback
        assert ide.reward_vault() + ide.fee_io() + t.released + t.burned == (
            t.emitted_in + t.fee_io_in + t.io_bought_topup + t.burned_by_buyback
        )
        assert suite.IOToken.balanceOf(ide) == ide.reward_vault() + ide.fee_io()


def test_invariant_reward_vault_first(ide, suite, owner, operator, alice, device, market):
    for kind, tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        if kind != "settle":
            continue
        [ev] = ide.EpochSettled.from_receipt(tx)
        if ev.from_fee_io or ev.from_fee_usdc_swap:
            assert ev.reward_vault == 0
        if ev.from_fee_usdc_swap:
            assert ev.fee_io == 0 or ev.io_bought > ev.from_fee_usdc_swap


def test_invariant_burns_accounted(ide, suite, owner, operator, alice, device, market):
    token = suite.IOToken
    minted = token.total_minted()
    for kind, tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        if kind == "burn":
            [ev] = ide.BoughtBackAndBurned.from_receipt(tx)
            burned = ev.io_bought_burned + ev.io_fee_burned
        elif kind == "retire":
            [ev] = ide.EmissionRetired.from_receipt(tx)
            burned = ev.amount
        else:
            continue
        transfers = [e for e in tx.events if e.event_name == "Transfer" and e.receiver == ZERO]
        assert sum(e.value for e in transfers) == burned
        assert token.total_minted() >= minted  # only the emission mints; the engine never does
    t = ide.totals()
    assert t.burned == t.burned_by_buyback + t.burned_fee_io + t.retired


def test_invariant_twap_bound(ide, suite, owner, operator, alice, device, market):
    """Every trade of the desk paid at most the price it was bounded by (the epoch's, in its event)
    plus the slippage per IO, fee included; at least one trade happened."""
    desk, trades = suite.FeeVaultDesk, 0
    for _kind, tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        for ev in desk.IOBought.from_receipt(tx):
            assert model.within_bound(model.Fill(ev.usdc_paid, ev.io_received), ev.price, desk.max_slippage_bps())
            trades += 1
    assert trades >= 2


def test_invariant_fee_vault_covered(ide, suite, owner, operator, alice, device, market):
    for _kind, _tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        t = ide.totals()
        assert ide.fee_usdc() + t.usdc_spent_topup + t.usdc_spent_buyback == t.fee_usdc_in
        assert suite.USDC.balanceOf(suite.FeeVaultDesk) == ide.fee_usdc() and suite.USDC.balanceOf(ide) == 0


def test_invariant_emission_ceiling(ide, suite, owner, operator, alice, device, market, emission):
    baseline = emission.total_emitted()
    for _kind, _tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        t = ide.totals()
        assert t.released_from_reward + t.retired + ide.reward_vault() == t.emitted_in
        assert t.emitted_in <= emission.total_emitted() - baseline


def test_invariant_ordered_epochs(ide, suite, owner, operator, alice, device, market):
    for _kind, _tx in _run_epochs(ide, suite, owner, operator, alice, device, market):
        assert ide.last_burn_epoch() <= ide.last_settled() <= ide.last_stated()
    for e in range(1, ide.last_stated() + 1):
        assert ide.epoch_info(e).usd_owed <= ide.max_usd_per_epoch()

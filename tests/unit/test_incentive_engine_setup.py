"""IncentiveEngine (contracts/IncentiveEngine.vy) before activation and apart from it: construction
(every revert reason), activation, the calls that revert before it, the admin setters and the
burn-share invariant, and a separately deployed engine on a pool where one wei of IO costs 2 USDC.
The activated engine's tests are in test_incentive_engine.py (one activation per module there)."""

from __future__ import annotations

import ape
import pytest
from ape import project

from ionet import IO, USDC
from ionet.chain import clock
from ionet.chain.economy import fund_from_community
from ionet.chain.roles import role_hash
from ionet.chain.uniswap import create_pool, mint_full_range
from ionet.models import ide as model
from ionet.models import market as m
from tests.ide_helpers import activate, after_epoch, book_fees, fee_device

ZERO = "0x" + "00" * 20
DAY = 86_400
MISSING_ROLE = "access_control: account is missing role"


@pytest.fixture
def engine(suite):
    return suite.IncentiveEngine


@pytest.fixture
def ide(suite, owner, market, engine):
    """The engine activated (emission recipient, router treasury, activate) with a TWAP ready."""
    activate(suite, owner)
    return engine


@pytest.fixture
def device(suite, bob):
    return fee_device(suite, bob)


# ------------------------------------------------------------------ construction
def constructor_args(suite, owner, operator, **over):
    args = dict(
        io=suite.IOToken.address,
        usdc=suite.USDC.address,
        pool=suite.contracts["UniswapV3Pool.IO/USDC"].address,
        desk=suite.FeeVaultDesk.address,
        emission=suite.EmissionSchedule.address,
        router=suite.SettlementRouter.address,
        distributor=suite.RewardsDistributor.address,
        epoch_seconds=DAY,
        max_usd_per_epoch=100_000 * USDC,
        max_swap_usdc=25_000 * USDC,
        burn_share_bps=5_000,
        reserve_epochs=30,
        retire_buffer_epochs=90,
        twap_window_seconds=1_800,
        max_price_move_bps=1_000,
        admin=owner.address,
        oracle=operator.address,
    )
    args.update(over)
    return list(args.values())


def test_constructor__defaults__inactive_with_parameters_and_roles(suite, engine, owner, operator):
    assert not engine.active() and engine.start_time() == 0
    assert (engine.max_usd_per_epoch(), engine.max_swap_usdc(), engine.burn_share_bps()) == (
        100_000 * USDC,
        25_000 * USDC,
        5_000,
    )
    assert (engine.reserve_epochs(), engine.retire_buffer_epochs(), engine.EPOCH_SECONDS()) == (30, 90, DAY)
    assert (engine.twap_window(), engine.max_price_move_bps()) == (1_800, 1_000)
    assert engine.DESK() == suite.FeeVaultDesk.address and suite.FeeVaultDesk.engine() == engine.address
    assert suite.FeeVaultDesk.max_slippage_bps() == 100 and suite.FeeVaultDesk.slippage_ticks() == 68
    assert engine.hasRole(role_hash("DEFAULT_ADMIN_ROLE"), owner)
    assert engine.hasRole(role_hash("PAUSER_ROLE"), owner)
    assert engine.hasRole(role_hash("ORACLE_ROLE"), operator)
    assert engine.DISTRIBUTOR() == suite.RewardsDistributor.address


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"io": ZERO}, "IncentiveEngine: zero address"),
        ({"distributor": ZERO}, "IncentiveEngine: zero address"),
        ({"oracle": ZERO}, "IncentiveEngine: zero address"),
        ({"desk": ZERO}, "IncentiveEngine: zero address"),
        ({"epoch_seconds": 0}, model.R_ZERO_EPOCH_LENGTH),
        ({"max_usd_per_epoch": 0}, model.R_ZERO_MAXIMUM),
        ({"max_swap_usdc": 0}, model.R_ZERO_MAXIMUM),
        ({"burn_share_bps": 4_999}, model.R_SHARE_BELOW_MIN),
        ({"burn_share_bps": 10_001}, model.R_SHARE_ABOVE_MAX),
        ({"reserve_epochs": 366}, model.R_RESERVE_BOUNDS),
        ({"retire_buffer_epochs": 0}, model.R_BUFFER_BOUNDS),
        ({"max_usd_per_epoch": model.MAX_USD_PER_EPOCH_LIMIT + 1}, model.R_MAXIMUM_TOO_LARGE),
        ({"twap_window_seconds": 299}, model.R_WINDOW_BOUNDS),
        ({"twap_window_seconds": 86_401}, model.R_WINDOW_BOUNDS),
        ({"max_price_move_bps": 9}, model.R_MOVE_BOUNDS),
        ({"max_price_move_bps": 5_001}, model.R_MOVE_BOUNDS),
    ],
)
def test_constructor__bad_argument__reverts(suite, owner, operator, scratch_deployer, over, reason):
    with ape.reverts(reason):
        scratch_deployer.deploy(project.IncentiveEngine, *constructor_args(suite, owner, operator, **over))


def test_constructor__every_bound_at_its_limit__deploys(suite, owner, operator, scratch_deployer):
    """Each bounded argument on the inclusive end of its bound is accepted (the constructor's checks
    are the setters' ones, on the same limits)."""
    limits = dict(
        max_usd_per_epoch=model.MAX_USD_PER_EPOCH_LIMIT,
        burn_share_bps=model.BPS,
        reserve_epochs=model.MAX_RESERVE_EPOCHS,
        retire_buffer_epochs=model.MAX_RETIRE_BUFFER_EPOCHS,
        twap_window_seconds=model.MAX_TWAP_WINDOW,
        max_price_move_bps=model.MAX_PRICE_MOVE_BPS,
    )
    e = scratch_deployer.deploy(project.IncentiveEngine, *constructor_args(suite, owner, operator, **limits))
    assert (e.max_usd_per_epoch(), e.burn_share_bps(), e.reserve_epochs(), e.retire_buffer_epochs()) == (
        model.MAX_USD_PER_EPOCH_LIMIT,
        model.BPS,
        model.MAX_RESERVE_EPOCHS,
        model.MAX_RETIRE_BUFFER_EPOCHS,
    )
    assert (e.twap_window(), e.max_price_move_bps()) == (model.MAX_TWAP_WINDOW, model.MAX_PRICE_MOVE_BPS)
    low = dict(
        burn_share_bps=model.MIN_BURN_SHARE_BPS,
        reserve_epochs=1,
        retire_buffer_epochs=1,
        max_swap_usdc=1,
        twap_window_seconds=model.MIN_TWAP_WINDOW,
        max_price_move_bps=model.MIN_PRICE_MOVE_BPS,
    )
    e = scratch_deployer.deploy(project.IncentiveEngine, *constructor_args(suite, owner, operator, **low))
    assert (e.burn_share_bps(), e.reserve_epochs(), e.retire_buffer_epochs()) == (model.MIN_BURN_SHARE_BPS, 1, 1)
    assert (e.twap_window(), e.max_price_move_bps()) == (model.MIN_TWAP_WINDOW, model.MIN_PRICE_MOVE_BPS)


@pytest.mark.parametrize("pair", ["token0_and_other", "other_and_token1", "token1_and_other", "other_and_token0"])
def test_constructor__one_token_of_the_pool_and_another__reverts(suite, owner, operator, scratch_deployer, pair):
    """IO and USDC must be the pool's two tokens: one of them with a third token (WETH), on either
    side and in either position, is refused (each half of the check is needed)."""
    pool = suite.contracts["UniswapV3Pool.IO/USDC"]
    t0, t1, other = pool.token0(), pool.token1(), suite.uniswap.weth.address
    io, usdc = {"token0_and_other": (t0, other), "other_and_token1": (other, t1),
                "token1_and_other": (t1, other), "other_and_token0": (other, t0)}[pair]  # fmt: skip
    with ape.reverts(model.R_WRONG_POOL):
        scratch_deployer.deploy(project.IncentiveEngine, *constructor_args(suite, owner, operator, io=io, usdc=usdc))


def test_constructor__pool_of_other_tokens__reverts(suite, owner, operator, scratch_deployer):
    weth_pool = suite.contracts["UniswapV3Pool.WETH/USDC"].address
    with ape.reverts(model.R_WRONG_POOL):
        scratch_deployer.deploy(project.IncentiveEngine, *constructor_args(suite, owner, operator, pool=weth_pool))


# ------------------------------------------------------------------ activation
def _activate(suite, owner, engine, emission):
    emission.set_reward_recipient(engine, sender=owner)
    return engine.activate(sender=owner)


def test_activate__governance_after_recipient__starts_epoch_1_on_the_hourly_grid(suite, owner, engine, emission):
    ape.chain.pending_timestamp += 5 * 3_600 + 600  # some hourly epochs completed (and clear of a boundary)
    before = suite.IOToken.balanceOf(suite.RewardsDistributor)
    emitted_before = emission.total_emitted()
    tx = _activate(suite, owner, engine, emission)
    assert engine.active() and emission.completed_epochs() >= 5
    start = engine.start_time()
    assert start == emission.START_TIME() + emission.completed_epochs() * emission.EPOCH_SECONDS()
    [ev] = engine.Activated.from_receipt(tx)
    assert ev.start_time == start and ev.emission_baseline == emission.total_emitted()
    assert ev.emission_epoch == emission.completed_epochs()
    # the recipient switch itself minted the hours due to the distributor (issue 18, defect 6)
    assert ev.forwarded_to_distributor == 0
    assert suite.IOToken.balanceOf(suite.RewardsDistributor) == before + ev.emission_baseline - emitted_before
    assert suite.IOToken.balanceOf(engine) == 0 and engine.reward_vault() == 0


def test_activate__emission_minted_to_engine_before__forwarded_to_distributor(suite, owner, engine, emission):
    emission.set_reward_recipient(engine, sender=owner)
    ape.chain.pending_timestamp += 3 * 3_600
    minted = emission.mint_due(sender=owner).return_value
    assert minted > 0 and suite.IOToken.balanceOf(engine) >= minted
    held = suite.IOToken.balanceOf(engine)
    dist_before = suite.IOToken.balanceOf(suite.RewardsDistributor)
    [ev] = engine.Activated.from_receipt(engine.activate(sender=owner))
    assert ev.forwarded_to_distributor >= held
    assert suite.IOToken.balanceOf(suite.RewardsDistributor) == dist_before + ev.forwarded_to_distributor
    assert engine.totals().emitted_in == 0


def test_activate__engine_not_the_emission_recipient__reverts(engine, owner):
    with ape.reverts(model.R_NOT_RECIPIENT):
        engine.activate(sender=owner)


def test_activate__not_admin__reverts(engine, attacker):
    with ape.reverts(MISSING_ROLE):
        engine.activate(sender=attacker)


@pytest.mark.parametrize("call", ["sync_emission", "collect_fees"])
def test_inflows__before_activation__revert(engine, alice, call):
    with ape.reverts(model.R_NOT_ACTIVE):
        getattr(engine, call)(sender=alice)


def test_state_epoch__before_activation__reverts(engine, operator):
    with ape.reverts(model.R_NOT_ACTIVE):
        engine.state_epoch(1, USDC, sender=operator)


# ------------------------------------------------------------------ one wei (a pool where a wei of IO costs 2 USDC)
DEAR_POOL_FEE = 500
DEAR_IO_PRICE_USDC = 2 * 10**18  # whole USDC per whole IO: one wei of IO costs 2 USDC


@pytest.fixture
def dear_engine(suite, owner, operator, scratch_deployer, emission):
    """A second engine and desk on a new IO/USDC pool (fee tier 500) where one wei of IO costs
    2 USDC, the one price range where a 1-wei top-up trades at all (1 wei is worth more than
    MIN_SWAP_USDC). Activated, then the emission switched back to its old recipient: the Reward
    Vault stays empty, so an epoch's whole need is what the Fee Vault pays or the shortfall. The
    engine holds the router's TREASURY_ROLE (collects the router's fees)."""
    u, io, usdc = suite.uniswap, suite.IOToken, suite.USDC
    sqrt_price = m.sqrt_price_x96_for(DEAR_IO_PRICE_USDC, io.address, 18, usdc.address, 6)
    pool, _ = create_pool(u.factory, io.address, usdc.address, DEAR_POOL_FEE, sqrt_price, sender=scratch_deployer)
    fund_from_community(suite, scratch_deployer, 10**6)
    usdc.mint(scratch_deployer, 2 * 10**12 + 10**9, sender=owner)
    for t in (io, usdc):
        t.approve(u.position_manager, 2**256 - 1, sender=scratch_deployer)
    amounts = {io.address: 10**6, usdc.address: 2 * 10**12 + 10**9}
    t0, t1 = m.sort_tokens(io.address, usdc.address)
    mint_full_range(
        u.position_manager, pool, amounts[t0], amounts[t1], scratch_deployer.address, sender=scratch_deployer
    )
    desk = scratch_deployer.deploy(project.FeeVaultDesk, usdc, io, pool, 100)
    engine = scratch_deployer.deploy(
        project.IncentiveEngine, *constructor_args(suite, owner, operator, pool=pool.address, desk=desk.address)
    )
    desk.bind_engine(engine, sender=scratch_deployer)
    clock.advance(1_801)  # the pool serves the TWAP window
    old = emission.reward_recipient()
    emission.set_reward_recipient(engine, sender=owner)
    engine.activate(sender=owner)
    emission.set_reward_recipient(old, sender=owner)
    suite.SettlementRouter.grantRole(role_hash("TREASURY_ROLE"), engine, sender=owner)
    assert 1_999 * 10**21 < engine.epoch_info(0).twap_price <= 2 * 10**24  # 2 USDC a wei, to the tick
    return engine


def test_settle__one_wei_needed__counted_whichever_source_pays_it(dear_engine, suite, owner, operator, alice, device):
    """Three epochs that each need exactly 1 wei with an empty Reward Vault: (1) no fees at all, a
    1-wei shortfall; (2) USDC fees only, a 1-wei exact-output top-up; (3) fee IO too, paid from the
    Fee Vault's IO. Each is counted in `totals()` and in the settlement's event: a 1-wei release or
    shortfall is no rounding noise to skip."""
    e = dear_engine
    desk = project.FeeVaultDesk.at(e.DESK())
    counted = [0, 0, 0]  # released from fee IO, released from swaps, shortfall epochs
    for epoch, source in ((1, "nothing"), (2, "swap"), (3, "fee_io")):
        if source == "swap":
            book_fees(suite, owner, alice, device, 1_000 * USDC, 0)  # 22.5 USDC of fees, no IO
        elif source == "fee_io":
            book_fees(suite, owner, alice, device, 0, 10_000)  # a few wei of IO fees
        e.collect_fees(sender=alice)
        after_epoch(e, epoch)
        price = e.epoch_info(epoch - 1).twap_price  # the pool barely moved: about this epoch's price
        e.state_epoch(epoch, price * 3 // (2 * IO), sender=operator)  # 1.5 wei's worth
        assert e.epoch_info(epoch).io_needed == 1 and e.reward_vault() == 0
        dist_before = suite.IOToken.balanceOf(suite.RewardsDistributor)
        tx = e.settle(epoch, sender=alice)
        [ev] = e.EpochSettled.from_receipt(tx)
        fills = [(f.exact_output, f.amount, f.io_received) for f in desk.IOBought.from_receipt(tx)]
        assert fills == ([(True, 1, 1)] if source == "swap" else [])
        paid = {"fee_io": (1, 0, 0), "swap": (0, 1, 0), "nothing": (0, 0, 1)}[source]
        assert (ev.io_needed, ev.from_reward_vault) == (1, 0)
        assert (ev.from_fee_io, ev.from_fee_usdc_swap, ev.shortfall_io) == paid
        assert ev.io_bought == paid[1] and (ev.usdc_spent > 0) == (source == "swap")
        assert tx.return_value == 1 - paid[2]
        assert suite.IOToken.balanceOf(suite.RewardsDistributor) == dist_before + 1 - paid[2]
        counted = [c + p for c, p in zip(counted, paid, strict=True)]
        t = e.totals()
        assert [t.released_from_fee_io, t.released_from_swap, t.shortfall_epochs] == counted
        assert t.io_bought_topup == counted[1]
        if source == "nothing":
            assert t.shortfall_usd_total == ev.shortfall_usd == -(-ev.twap_price // IO) > 0
            [sf] = e.ShortfallRecorded.from_receipt(tx)
            assert (sf.epoch, sf.shortfall_io, sf.total_shortfall_usd) == (1, 1, ev.shortfall_usd)
        if source == "swap":
            assert t.usdc_spent_topup == ev.usdc_spent > 0


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize(
    "setter, event, value",
    [
        ("set_max_usd_per_epoch", "MaxUsdPerEpochUpdated", 5_000 * USDC),
        ("set_max_swap_usdc", "MaxSwapUsdcUpdated", 1_000 * USDC),
        ("set_burn_share_bps", "BurnShareBpsUpdated", 7_500),
        ("set_reserve_epochs", "ReserveEpochsUpdated", 60),
        ("set_retire_buffer_epochs", "RetireBufferEpochsUpdated", 180),
        # each bound's inclusive limits
        ("set_max_usd_per_epoch", "MaxUsdPerEpochUpdated", model.MAX_USD_PER_EPOCH_LIMIT),
        ("set_burn_share_bps", "BurnShareBpsUpdated", model.MIN_BURN_SHARE_BPS),
        ("set_burn_share_bps", "BurnShareBpsUpdated", model.BPS),
        ("set_reserve_epochs", "ReserveEpochsUpdated", model.MAX_RESERVE_EPOCHS),
        ("set_reserve_epochs", "ReserveEpochsUpdated", 1),
        ("set_retire_buffer_epochs", "RetireBufferEpochsUpdated", model.MAX_RETIRE_BUFFER_EPOCHS),
        ("set_retire_buffer_epochs", "RetireBufferEpochsUpdated", 1),
    ],
)
def test_setters__admin__value_set_and_logged(engine, owner, setter, event, value):
    getter = setter.removeprefix("set_")
    old = getattr(engine, getter)()
    tx = getattr(engine, setter)(value, sender=owner)
    [ev] = getattr(engine, event).from_receipt(tx)
    assert (ev.old, ev.new) == (old, value) and getattr(engine, getter)() == value


@pytest.mark.parametrize(
    "setter, value, reason",
    [
        ("set_max_usd_per_epoch", 0, model.R_ZERO_MAXIMUM),
        ("set_max_usd_per_epoch", model.MAX_USD_PER_EPOCH_LIMIT + 1, model.R_MAXIMUM_TOO_LARGE),
        ("set_max_swap_usdc", 0, model.R_ZERO_MAXIMUM),
        ("set_burn_share_bps", 4_999, model.R_SHARE_BELOW_MIN),
        ("set_burn_share_bps", 10_001, model.R_SHARE_ABOVE_MAX),
        ("set_reserve_epochs", 0, model.R_RESERVE_BOUNDS),
        ("set_reserve_epochs", 366, model.R_RESERVE_BOUNDS),
        ("set_retire_buffer_epochs", 731, model.R_BUFFER_BOUNDS),
    ],
)
def test_setters__out_of_bounds__revert(engine, owner, setter, value, reason):
    with ape.reverts(reason):
        getattr(engine, setter)(value, sender=owner)


@pytest.mark.parametrize(
    "setter",
    [
        "set_max_usd_per_epoch",
        "set_max_swap_usdc",
        "set_burn_share_bps",
        "set_reserve_epochs",
        "set_retire_buffer_epochs",
    ],
)
def test_setters__not_admin__revert(engine, attacker, setter):
    with ape.reverts(MISSING_ROLE):
        getattr(engine, setter)(60, sender=attacker)


def test_set_market_bounds__admin__engine_and_desk_events(engine, suite, owner):
    desk = suite.FeeVaultDesk
    tx = engine.set_market_bounds(3_600, 150, 500, sender=owner)
    names = [e.event_name for e in tx.events]
    assert names == ["TwapWindowUpdated", "MaxPriceMoveUpdated", "MaxSlippageUpdated"]
    [ev] = desk.MaxSlippageUpdated.from_receipt(tx)
    ticks = model.slippage_ticks(150, 3_000)
    assert (ev.old_bps, ev.new_bps, ev.slippage_ticks) == (100, 150, ticks)
    assert (engine.twap_window(), engine.max_price_move_bps()) == (3_600, 500)
    assert (desk.max_slippage_bps(), desk.slippage_ticks()) == (150, ticks)


@pytest.mark.parametrize(
    "args, reason",
    [
        ((299, 100, 1_000), model.R_WINDOW_BOUNDS),
        ((86_401, 100, 1_000), model.R_WINDOW_BOUNDS),
        ((1_800, 100, 9), model.R_MOVE_BOUNDS),
        ((1_800, 100, 5_001), model.R_MOVE_BOUNDS),
        ((1_800, 0, 1_000), model.R_SLIPPAGE_BOUNDS),
        ((1_800, 501, 1_000), model.R_SLIPPAGE_BOUNDS),
        ((1_800, 31, 1_000), model.R_SLIPPAGE_FEE),  # 0.31 % leaves no two ticks above the 0.3 % fee
    ],
)
def test_set_market_bounds__out_of_bounds__reverts(engine, owner, args, reason):
    with ape.reverts(reason):
        engine.set_market_bounds(*args, sender=owner)


def test_set_market_bounds__not_admin__reverts(engine, attacker):
    with ape.reverts(MISSING_ROLE):
        engine.set_market_bounds(1_800, 100, 1_000, sender=attacker)


def test_invariant_burn_share_ge_half(engine, owner):
    for value in (5_000, 10_000):
        engine.set_burn_share_bps(value, sender=owner)
        assert engine.burn_share_bps() == value
    for value in (0, 4_999):
        with ape.reverts(model.R_SHARE_BELOW_MIN):
            engine.set_burn_share_bps(value, sender=owner)
    assert engine.burn_share_bps() >= model.MIN_BURN_SHARE_BPS

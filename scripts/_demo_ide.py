"""Demo section: the Incentive Dynamic Engine (docs/incentive-engine.md). Governance switches the
network from fixed IO emission to USD targets; renters' fees fill the Fee Vault; each day the reward
oracle states the USD owed to the eligible providers, which fixes the epoch's price (the pool's TWAP
over the window ending at its close, moved at most 10 % from the previous epoch's), and anyone
settles it in IO at that price (from the Reward Vault first); the Fee Vault's surplus above its
reserve is bought back and burned; unneeded emission is retired; a day the Reward Vault cannot cover
is topped up from the Fee Vault (its IO, then its USDC swapped to IO up to a price limit). Then an
outside holder dumps IO on the pool: the epoch already closed pays at its own price, the next one
moves at most 10 %; and a day bigger than the pool fills within the bound settles with a recorded
shortfall instead of blocking every later epoch.

Runs after the vesting section and before governance (the deployer still holds every admin role).
"""

from __future__ import annotations

from typing import Any

from ape import chain

from ionet import IO, USDC
from ionet.chain.deploy_ide import activate_ide, ide_config
from ionet.chain.devices import ensure_eligible_device
from ionet.chain.economy import Economy, fmt_io, fmt_usdc
from ionet.chain.uniswap import swap_exact_input
from ionet.models import ide as model
from ionet.models.settlement import quote

MARGIN = 60  # seconds past an epoch's end (Anvil stamps blocks with the wall clock)


def _usd(units: int) -> str:
    return f"${fmt_usdc(units)[:-4]}"  # cents


def _io(wei: int) -> str:
    return fmt_io(wei, 2)


def _fleet(eco: Economy) -> list[tuple[str, bytes, str, int]]:
    """(who, device, class, processors) of the demo's eligible devices."""
    s = eco.suite
    devices = dict((eco.notes.get("devices") or {}).items())
    if not devices:
        devices = {"provider_a": ensure_eligible_device(s, "ide demo H100", eco.provider_a, "H100", 8)}
    out = []
    for who, device in devices.items():
        device = bytes(device)
        if not s.NodeStaking.is_eligible(device):
            continue
        _owner, cls, processors, _wallet, _index = s.NodeStaking.device_info(device)
        out.append((who, device, bytes(cls).rstrip(b"\0").decode(), int(processors)))
    return out


def _owed_today(eco: Economy, fleet: list[tuple[str, bytes, str, int]]) -> tuple[int, list[list[str]]]:
    """USD owed for one day: the class's USD target per processor-hour x processors x 24 h."""
    targets = ide_config(eco.suite)["usd_target_per_processor_hour_usd6"]
    rows, total = [], 0
    for who, _device, cls, processors in fleet:
        owed = int(targets[cls]) * processors * 24
        total += owed
        rows.append([who, cls, str(processors), _usd(int(targets[cls])), _usd(owed)])
    return total, rows


def _book(eco: Economy, renter: Any, device: bytes, usdc_cost: int, io_cost: int) -> None:
    s = eco.suite
    router = s.SettlementRouter
    if usdc_cost:
        q = quote(usdc_cost, 1, True)
        s.USDC.mint(renter, q.total, sender=eco.admin)
        s.USDC.approve(router, q.total, sender=renter)
        router.book(device, s.USDC, 1, usdc_cost, q.total, sender=renter)
    if io_cost:
        q = quote(io_cost, 1, False)
        eco.fund(renter, q.total)
        s.IOToken.approve(router, q.total, sender=renter)
        router.book(device, s.IOToken, 1, io_cost, q.total, sender=renter)


def _settle(eco: Economy, engine: Any, epoch: int) -> Any:
    receipt = engine.settle(epoch, sender=eco.renter_y)
    [ev] = engine.EpochSettled.from_receipt(receipt)
    released = ev.from_reward_vault + ev.from_fee_io + ev.from_fee_usdc_swap
    eco.say(
        f"epoch {epoch} settled by anyone: {_usd(ev.usd_owed)} owed = {_io(ev.io_needed)} IO at the epoch's price "
        f"of {_usd(ev.twap_price)}/IO; {_io(released)} IO sent to the RewardsDistributor"
    )
    rows = [
        ["Reward Vault (emission)", _io(ev.from_reward_vault), ""],
        ["Fee Vault IO", _io(ev.from_fee_io), ""],
        ["Fee Vault USDC swapped to IO", _io(ev.from_fee_usdc_swap), f"{_usd(ev.usdc_spent)} USDC spent"],
        ["shortfall (recorded, never minted)", _io(ev.shortfall_io), _usd(ev.shortfall_usd)],
    ]
    eco.table(f"Where epoch {epoch}'s IO came from", ["source", "IO", ""], rows)
    return ev


def _supply(eco: Economy, label: str) -> None:
    token = eco.suite.IOToken
    eco.say(
        f"{label}: IO supply {_io(token.totalSupply())}, ever minted {_io(token.total_minted())}, "
        f"burned {_io(token.total_burned())}"
    )


def run(eco: Economy) -> None:
    eco.section("Incentive Dynamic Engine: USD targets paid in IO at the TWAP, fees bought back and burned")
    s = eco.suite
    engine, token, pool = s.IncentiveEngine, s.IOToken, s.contracts["UniswapV3Pool.IO/USDC"]
    oracle = eco.operator
    day = int(engine.EPOCH_SECONDS())

    # ---------------------------------------------------------------- the switch
    activate_ide(s)
    start = int(engine.start_time())
    eco.say(
        "governance switches the network to the IDE: the EmissionSchedule now pays the engine's Reward Vault, "
        "the engine alone withdraws the router's fees (its Fee Vault), and epoch 1 starts at the end of the last "
        "hourly emission epoch paid to the RewardsDistributor"
    )
    fleet = _fleet(eco)
    owed, rows = _owed_today(eco, fleet)
    eco.table(
        "USD owed per day to the demo's eligible devices", ["provider", "class", "GPUs", "$/GPU-hour", "$/day"], rows
    )

    # ---------------------------------------------------------------- day 1: fees, statement, settlement
    device = fleet[0][1]
    _book(eco, eco.renter_x, device, 120_000 * USDC, 100_000 * IO)
    eco.advance_to(start + day + MARGIN)
    receipt = engine.collect_fees(sender=eco.renter_y)
    [fees] = engine.FeesCollected.from_receipt(receipt)
    eco.say(
        f"renters' bookings left {_usd(fees.usdc)} USDC and {_io(fees.io)} IO of fees in the router; anyone moves "
        f"them into the Fee Vault ({_usd(fees.usd_value)} at the TWAP)"
    )
    engine.state_epoch(1, owed, sender=oracle)
    eco.say(
        f"the reward oracle states epoch 1: {_usd(owed)} owed to eligible providers (at most "
        f"{_usd(engine.max_usd_per_epoch())} an epoch)"
    )
    ev = _settle(eco, engine, 1)
    assert ev.from_reward_vault == ev.io_needed and ev.shortfall_io == 0
    for who, _device, cls, processors in fleet:
        share = int(ide_config(s)["usd_target_per_processor_hour_usd6"][cls]) * processors * 24
        eco.say(
            f"  {who}: {_usd(share)} owed for the day -> {_io(share * IO // ev.twap_price)} IO at "
            f"{_usd(ev.twap_price)}/IO, worth {_usd(share)} whatever the price"
        )

    # ---------------------------------------------------------------- buyback and burn
    supply_before = token.totalSupply()
    r = engine.reserves()
    receipt = engine.buyback_and_burn(sender=eco.renter_y)
    [bb] = engine.BoughtBackAndBurned.from_receipt(receipt)
    burned = supply_before - token.totalSupply()
    assert burned == bb.io_bought_burned + bb.io_fee_burned
    eco.say(
        f"buyback-and-burn: the Fee Vault keeps a reserve of {_usd(bb.reserve_target_usd)} (30 days of payouts, "
        f"USDC first); of the surplus, 50 % is burned: {_usd(bb.usdc_spent)} USDC buys {_io(bb.io_bought_burned)} IO "
        f"on the pool (never more than 1 % above the last epoch's price, {_usd(r.twap_price)}) and "
        f"{_io(bb.io_fee_burned)} fee IO; "
        f"{_io(burned)} IO burned in all"
    )
    _supply(eco, "after the burn")

    # ---------------------------------------------------------------- day 2: retire unneeded emission
    eco.advance_to(start + 2 * day + MARGIN)
    engine.sync_emission(sender=eco.renter_y)
    retirable = engine.retirable()
    if retirable:
        engine.retire(retirable, sender=eco.admin)
        eco.say(
            f"the Reward Vault holds more than 90 days of payouts: governance retires (burns) {_io(retirable)} IO "
            f"of unneeded emission ({engine.retirement_progress_bps() / 100:.2f} % of the 115M target)"
        )
    engine.state_epoch(2, owed, sender=oracle)
    _settle(eco, engine, 2)

    # ---------------------------------------------------------------- day 3: the Fee Vault tops up
    _book(eco, eco.renter_y, device, 60_000 * USDC, 20_000 * IO)
    eco.advance_to(start + 3 * day + MARGIN)
    engine.collect_fees(sender=eco.renter_y)
    engine.sync_emission(sender=eco.renter_y)
    r = engine.reserves()
    big = r.reward_vault_usd + r.fee_io_usd + 500 * USDC  # more than the Reward Vault and the fee IO cover
    eco.say(
        f"day 3 is a network-wide day: the oracle states {_usd(big)} owed; the Reward Vault holds "
        f"{_io(r.reward_vault)} IO ({_usd(r.reward_vault_usd)}), the Fee Vault {_io(r.fee_io)} IO and "
        f"{_usd(r.fee_usdc)} USDC"
    )
    engine.state_epoch(3, big, sender=oracle)
    ev = _settle(eco, engine, 3)
    assert ev.from_fee_usdc_swap > 0 and ev.shortfall_io == 0
    eco.say(
        f"the Reward Vault was drawn first, then the Fee Vault's IO, then {_usd(ev.usdc_spent)} of its USDC bought "
        f"the {_io(ev.from_fee_usdc_swap)} IO still missing on the pool: every provider got its full USD target"
    )

    # ---------------------------------------------------------------- the rest of the month
    rows = []
    for epoch in range(4, 31):
        if epoch % 7 == 0:  # a week's bookings: their fees reach the Fee Vault
            _book(eco, eco.renter_x, device, 30_000 * USDC, 20_000 * IO)
        eco.advance_to(start + epoch * day + MARGIN)
        engine.collect_fees(sender=eco.renter_y)
        engine.state_epoch(epoch, owed, sender=oracle)
        [ev] = engine.EpochSettled.from_receipt(engine.settle(epoch, sender=eco.renter_y))
        burned = 0
        if engine.reserves().can_burn:
            [bb] = engine.BoughtBackAndBurned.from_receipt(engine.buyback_and_burn(sender=eco.renter_y))
            burned = bb.io_bought_burned + bb.io_fee_burned
        assert ev.shortfall_io == 0
        rows.append(
            [
                str(epoch),
                _usd(ev.usd_owed),
                _usd(ev.twap_price),
                _io(ev.from_reward_vault),
                _io(ev.from_fee_io + ev.from_fee_usdc_swap),
                _io(burned),
                _usd(engine.fee_usdc()),
            ]
        )
    eco.table(
        "Days 4-30: the emission covers every payout; weekly fees build up the Fee Vault "
        "(its reserve target, 30 days of payouts, includes day 3)",
        ["day", "USD owed", "TWAP $/IO", "IO from Reward Vault", "IO from Fee Vault", "IO burned", "Fee Vault USDC"],
        rows,
    )

    # ---------------------------------------------------------------- a price crash
    u = s.uniswap
    seller = eco.renter_x
    eco.advance_to(start + 31 * day + MARGIN)
    engine.sync_emission(sender=eco.renter_y)
    retired = engine.retirable()
    if retired:
        engine.retire(retired, sender=eco.admin)
    twap_before = int(engine.price())
    dump = 1_000_000 * IO
    eco.fund(seller, dump)
    token.approve(u.swap_router, dump, sender=seller)
    swap_exact_input(u.swap_router, token.address, s.USDC.address, int(pool.fee()), dump, seller)
    engine.state_epoch(31, owed, sender=oracle)
    ev = _settle(eco, engine, 31)
    assert ev.twap_price == twap_before  # the window that ended at the close: before the dump
    eco.say(
        f"day 31: governance retires {_io(retired)} IO of unneeded emission (the Reward Vault keeps 90 days of "
        f"payouts); right after epoch 31 closed an outside holder dumps {_io(dump)} IO on the pool (TWAP "
        f"{_usd(twap_before)}/IO before). Epoch 31's price was fixed by the window that ended at its close, so "
        f"settling it at once pays {_io(ev.io_needed)} IO at {_usd(ev.twap_price)}/IO, as before the dump: "
        "whoever settles, whenever, cannot choose the price"
    )
    eco.advance_to(start + 32 * day + MARGIN)
    engine.collect_fees(sender=eco.renter_y)
    engine.sync_emission(sender=eco.renter_y)
    more = engine.retirable()
    if more:
        engine.retire(more, sender=eco.admin)
    # The dump was held through epoch 32's close: its price moves at most max_price_move_bps from epoch 31's.
    twap_close = int(engine.price())  # no trade since the dump: the window ending now is the close's
    price32, _flag = model.clamp_price(twap_close, int(ev.twap_price), int(engine.max_price_move_bps()))
    crash_owed = (int(engine.reward_vault()) + int(engine.fee_io())) * price32 // IO + 400 * USDC
    tx = engine.state_epoch(32, crash_owed, sender=oracle)
    [st] = engine.EpochStated.from_receipt(tx)
    assert st.price_flag == model.PRICE_CLAMPED_UP and st.price == price32
    eco.say(
        f"day 32: the dump was held through epoch 32's close: its TWAP is {_usd(st.twap_price)}/IO, "
        f"{(twap_before - st.twap_price) * 100 / twap_before:.0f} % down, but an epoch's price moves at most "
        f"{engine.max_price_move_bps() / 100:g} % from the last: {_usd(st.price)}/IO (clamped). A push held for a "
        "window to drain the Reward Vault buys an attacker at most that; a real crash reaches the engine in steps"
    )
    eco.say(
        f"day 32 is also a network-wide day: {_usd(crash_owed)} owed, more than the Reward Vault's "
        f"{_io(engine.reward_vault())} IO and the fee IO are worth at the epoch's price"
    )
    ev = _settle(eco, engine, 32)
    assert ev.from_fee_usdc_swap > 0 and ev.shortfall_io == 0
    eco.say(
        f"the Fee Vault tops the payout up: {_usd(ev.usdc_spent)} of its USDC buys the {_io(ev.from_fee_usdc_swap)} "
        "IO missing on the pool, never more than 1 % above the epoch's price (a pool pushed since the close cannot "
        "make the Fee Vault overpay); every provider receives its full USD target"
    )

    # ---------------------------------------------------------------- a day bigger than the pool
    _book(eco, eco.renter_y, device, 1_500_000 * USDC, 0)
    eco.advance_to(start + 33 * day + MARGIN)
    engine.collect_fees(sender=eco.renter_y)
    engine.sync_emission(sender=eco.renter_y)
    huge = min((int(engine.reward_vault()) + int(engine.fee_io())) * int(engine.price()) // IO + 60_000 * USDC,
               int(engine.max_usd_per_epoch()))
    engine.state_epoch(33, huge, sender=oracle)
    eco.say(
        f"day 33 asks {_usd(huge)}: tens of thousands of dollars of IO more than the vaults hold, to be bought with "
        f"the Fee Vault's {_usd(engine.fee_usdc())} USDC (at most {_usd(engine.max_swap_usdc())} a trade) on a pool "
        "that fills only a few thousand dollars within 1 % of its TWAP. Before, this settlement reverted and "
        "blocked every later epoch and every buyback until governance lowered its limit through the timelock"
    )
    ev = _settle(eco, engine, 33)
    assert ev.shortfall_io > 0 and ev.usdc_spent > 0
    eco.say(
        f"now the trade stops at the price limit: {_usd(ev.usdc_spent)} of USDC bought {_io(ev.io_bought)} IO, the "
        f"rest ({_usd(ev.shortfall_usd)}) is recorded as the epoch's shortfall, and the network moves on"
    )
    eco.advance_to(start + 34 * day + MARGIN)
    engine.state_epoch(34, owed, sender=oracle)
    ev = _settle(eco, engine, 34)
    assert ev.shortfall_io == 0

    # ---------------------------------------------------------------- the dashboard
    t = engine.totals()
    eco.table(
        "The engine's dashboard (views)",
        ["", "value"],
        [
            [
                "sustainability ratio (fee USD / USD owed, 30 epochs)",
                f"{engine.sustainability_ratio_bps() / 100:.2f} %",
            ],
            [
                "IO released: Reward Vault / Fee Vault IO / bought",
                f"{_io(t.released_from_reward)} / {_io(t.released_from_fee_io)} / {_io(t.released_from_swap)}",
            ],
            ["IO bought back and burned", _io(t.burned_by_buyback)],
            ["fee IO burned", _io(t.burned_fee_io)],
            ["emission retired", _io(t.retired)],
            ["IO burned elsewhere (slashing)", _io(t.burned_elsewhere)],
            ["Fee Vault (USDC, IO)", f"{_usd(engine.fee_usdc())}, {_io(engine.fee_io())}"],
            ["reserve target", _usd(engine.reserve_target_usd())],
            ["shortfalls", f"{t.shortfall_epochs} epochs, {_usd(t.shortfall_usd_total)}"],
        ],
    )
    _supply(eco, "supply now")
    assert token.balanceOf(engine) >= engine.reward_vault() + engine.fee_io()
    eco.notes["ide"] = {"engine": engine.address, "pool": pool.address, "at": chain.blocks.head.timestamp}

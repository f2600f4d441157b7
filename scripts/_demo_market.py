"""Demo section: the IO market. The IO/USDC Uniswap V3 pool (protocol-owned liquidity from the R&D &
Ecosystem allocation) and its TWAP; two providers withdraw the same income, one in USDC (2 % payment
fee), one as IO (no fee, at the market, through the router's market desk); a renter pays for GPUs
with WETH (the desk buys the USDC and books it on the router); a sandwich on a provider's IO
withdrawal reverts; the fee table of both sides, which adds up.

Uses eco.notes["settlement"]["devices"] from the router section when present.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ape import accounts, chain

from ionet import USDC
from ionet.chain.economy import HOUR, Economy, fmt_io, fmt_usdc
from ionet.chain.settlement_setup import fund, register_eligible_device
from ionet.chain.uniswap import swap_exact_input
from ionet.models import market as m
from ionet.models.settlement import payment_fee, quote

MAX = 2**256 - 1


def _devices(eco: Economy) -> dict[str, bytes]:
    noted = (eco.notes.get("settlement") or {}).get("devices") or {}
    found = {r: bytes(d) for r, d in noted.items() if eco.suite.NodeStaking.is_eligible(bytes(d))}
    for role in ("provider_a", "provider_b"):
        if role not in found:
            found[role] = register_eligible_device(
                eco.suite, eco.admin, getattr(eco, role), f"market {role}", "H100", 8
            )
    return found


def _revert_reason(contract: Any, method: str, args: tuple, sender: Any) -> str:
    """Why a call would revert (an eth_call, no transaction)."""
    data = getattr(contract, method).encode_input(*args)
    try:
        chain.provider.web3.eth.call({"to": contract.address, "from": sender.address, "data": data}, "pending")
    except Exception as err:  # noqa: BLE001
        text = str(err)
        return text[text.find("guarded_swap") :].split("'")[0] if "guarded_swap" in text else text
    raise AssertionError(f"{method} did not revert")


def _pool_figures(eco: Economy, pool: Any, oracle: Any, io: Any, usdc: Any) -> tuple[int, int, int]:
    """(spot price, TWAP price, deviation bps) of one IO in USDC base units."""
    spot = m.price_of(int(pool.slot0().tick), io.address, 18, usdc.address)
    return spot, oracle.price(), oracle.deviation_bps()


def run(eco: Economy) -> None:
    eco.section("Market: the IO/USDC pool, its TWAP, payouts in USDC or IO, renters paying with WETH")
    s = eco.suite
    router, usdc, io, oracle = s.SettlementRouter, s.USDC, s.IOToken, s.IOPriceOracle
    desk = s.MarketDesk
    pool = s.contracts["UniswapV3Pool.IO/USDC"]
    u = s.uniswap
    weth = u.weth
    admin, op = eco.admin, eco.operator
    pa, pb, rx, ry = eco.provider_a, eco.provider_b, eco.renter_x, eco.renter_y
    record = s.manifest.contracts["UniswapV3Pool.IO/USDC"].args
    window, dev_max, slip = desk.twap_window(), desk.max_deviation_bps(), desk.max_slippage_bps()

    # ---------------------------------------------------------------- the pool
    spot, twap, dev = _pool_figures(eco, pool, oracle, io, usdc)
    eco.say(
        f"IO/USDC pool {pool.address} (Uniswap V3, {int(pool.fee()) / 10_000:.1f} % fee tier), opened at "
        f"{record['price_usdc']} USDC per IO with protocol-owned liquidity: {fmt_io(io.balanceOf(pool), 0)} IO "
        f"(from the R&D & Ecosystem vault) and {fmt_usdc(usdc.balanceOf(pool))} USDC, full range"
    )
    eco.table(
        "The price of one IO",
        ["", "USDC", "how"],
        [
            ["spot (slot0)", fmt_usdc(spot), "the pool's current tick, 1.0001^tick"],
            [f"TWAP over {window} s", fmt_usdc(twap), "IOPriceOracle: the pool's observe, Uniswap's tick maths"],
            ["deviation", f"{dev} bps", f"a trade by the suite runs only within {dev_max} bps"],
        ],
    )

    # ---------------------------------------------------------------- the same income, two ways
    devices = _devices(eco)
    rate, hours = 12 * USDC, 24
    fund(s, admin, rx, usdc=10_000 * USDC)
    usdc.approve(router, MAX, sender=rx)
    ids = [
        router.book(devices[r], usdc, hours, rate, MAX, sender=rx).return_value for r in ("provider_a", "provider_b")
    ]
    eco.advance(hours * HOUR)
    router.record_work_batch(ids, [hours, hours], sender=op)
    income_a, income_b = router.income(pa, usdc), router.income(pb, usdc)
    assert income_a == income_b, "the two providers should hold the same income"
    eco.say(
        f"renter_x books provider_a's and provider_b's GPUs alike, {hours} h at {fmt_usdc(rate)} USDC/h; the day is "
        f"recorded: each provider's income is {fmt_usdc(income_a)} USDC (after the 0.25 % supplier reservation fee)"
    )
    wallet_usdc = usdc.balanceOf(pa)
    tx = router.withdraw(usdc, income_a, pa, sender=pa)
    got_usdc = usdc.balanceOf(pa) - wallet_usdc
    fee_a = tx.decode_logs(router.Withdrawn)[0].payment_fee
    twap_io, min_io = desk.quote_withdraw_as_io(income_b)
    wallet_io = io.balanceOf(pb)
    tx = desk.withdraw_as_io(income_b, 0, pb, sender=pb)
    got_io = io.balanceOf(pb) - wallet_io
    log = tx.decode_logs(desk.WithdrawnAsIO)[0]
    assert got_io == log.io_amount >= min_io and fee_a == payment_fee(income_a, True)
    handed = tx.decode_logs(router.Withdrawn)[0]  # the router's record of the income it handed the desk
    assert (handed.account, handed.to, handed.amount, handed.payment_fee) == (pb.address, desk.address, income_b, 0)
    io_worth = m.quote_at_tick(oracle.mean_tick(), got_io, io.address, usdc.address)
    eco.table(
        "The same income, withdrawn two ways",
        ["provider", "takes", "payment fee", "receives", "worth at the TWAP (USDC)"],
        [
            [
                "provider_a",
                "USDC (withdraw)",
                f"{fmt_usdc(fee_a)} USDC (2 %)",
                f"{fmt_usdc(got_usdc)} USDC",
                fmt_usdc(got_usdc),
            ],
            ["provider_b", "IO (withdraw_as_io)", "none", f"{fmt_io(got_io, 4)} IO", fmt_usdc(io_worth)],
        ],
    )
    assert io_worth > got_usdc, "IO at the market should beat the 2 % payment fee"
    eco.say(
        f"provider_b's USDC was sold on the pool at {fmt_usdc(income_b * 10**18 // got_io)} USDC per IO (the TWAP "
        f"is {fmt_usdc(oracle.price())}; the pool keeps its 0.3 % trading fee) by the router's market desk "
        f"(MarketDesk), which required at least {fmt_io(min_io, 4)} IO (TWAP value less {slip} bps); the router "
        f"logged the income handed to the desk with no fee, and neither holds anything from the trade"
    )

    # ---------------------------------------------------------------- a renter pays with WETH
    weth.deposit(value=5 * 10**18, sender=ry)
    weth.approve(desk, MAX, sender=ry)
    w_rate, w_hours = 20 * USDC, 12
    total, twap_cost, max_in = desk.quote_book_with_asset(weth, w_rate, w_hours)
    before = weth.balanceOf(ry)
    tx = desk.book_with_asset(devices["provider_a"], weth, w_hours, w_rate, max_in, sender=ry)
    paid_weth = before - weth.balanceOf(ry)
    bw = tx.decode_logs(desk.BookedWithAsset)[0]
    booked = tx.decode_logs(router.Booked)[0]
    assert bw.usdc_out == total == quote(w_rate, w_hours, True).total and paid_weth == bw.asset_in <= max_in
    assert booked.booking_id == bw.booking_id and booked.renter == ry.address and booked.max_total == total
    assert weth.balanceOf(router) == weth.balanceOf(desk) == usdc.balanceOf(desk) == 0
    eco.say(
        f"renter_y books provider_a for {w_hours} h at {fmt_usdc(w_rate)} USDC/h paying with WETH: the market desk "
        f"buys exactly the {fmt_usdc(total)} USDC the booking costs (fees included) on the WETH/USDC pool for "
        f"{paid_weth / 10**18:.6f} WETH (TWAP cost {twap_cost / 10**18:.6f}, at most {max_in / 10**18:.6f}), "
        "taken from renter_y straight to the pool, paid by the pool straight to the router, which books it for "
        "renter_y: an ordinary USDC booking"
    )

    # ---------------------------------------------------------------- a sandwich
    attacker = accounts.test_accounts.generate_test_account()
    admin.transfer(attacker, 10**18)
    fund(s, admin, attacker, usdc=200_000 * USDC)
    usdc.approve(u.swap_router, MAX, sender=attacker)
    io.approve(u.swap_router, MAX, sender=attacker)
    # provider_a earns again, and wants its USDC as IO
    eco.advance(HOUR)
    router.operator_end_booking(router.next_booking_id() - 1, 1, sender=op)
    target = router.income(pa, usdc)
    fair_io, _ = desk.quote_withdraw_as_io(target)
    rows = []
    for label, front in (("0.8 % front-run (within the 2 % deviation)", 8_000), ("4 % front-run", 40_000)):
        io_before = io.balanceOf(attacker)
        swap_exact_input(u.swap_router, usdc.address, io.address, 3000, front * USDC, attacker)
        bought = io.balanceOf(attacker) - io_before
        spot, _, dev = _pool_figures(eco, pool, oracle, io, usdc)
        reason = _revert_reason(desk, "withdraw_as_io", (target, 0, pa), pa)
        # the attacker's back-run: sell what it bought
        usdc_before = usdc.balanceOf(attacker)
        swap_exact_input(u.swap_router, io.address, usdc.address, 3000, bought, attacker)
        lost = front * USDC - (usdc.balanceOf(attacker) - usdc_before)
        rows.append([label, fmt_usdc(spot), f"{dev} bps", reason, f"{fmt_usdc(lost)} USDC"])
    assert "output below minimum" in rows[0][3] and "too far from twap" in rows[1][3]
    eco.table(
        f"A sandwich on provider_a's withdrawal of {fmt_usdc(target)} USDC as IO (fair value {fmt_io(fair_io, 2)} IO)",
        ["attacker's front-run", "spot price of IO", "spot vs TWAP", "provider_a's withdraw_as_io", "attacker lost"],
        rows,
    )
    eco.advance(window)
    got = desk.withdraw_as_io(target, 0, pa, sender=pa).return_value
    eco.say(
        f"each attack made the withdrawal revert and cost the attacker the pool's fee both ways; once the market "
        f"rests, provider_a takes its {fmt_usdc(target)} USDC as {fmt_io(got, 2)} IO"
    )

    # ---------------------------------------------------------------- the fee table of both sides
    head = chain.blocks.head.number
    kinds: dict[tuple[str, str], int] = defaultdict(int)
    names = {usdc.address: "USDC", io.address: "IO"}
    for ev in router.Booked.range(0, head + 1):
        kinds[(names[ev.token], "renter: reservation 0.25 %")] += ev.reservation_fee
        kinds[(names[ev.token], "renter: facilitation 2 % (USDC)")] += ev.facilitation_fee
    for ev in router.WorkRecorded.range(0, head + 1):
        kinds[(names[ev.token], "supplier: reservation 0.25 %")] += ev.supplier_fee
    for ev in router.BookingEnded.range(0, head + 1):
        kinds[(names[ev.token], "supplier: reservation 0.25 %")] += ev.supplier_fee
    for ev in router.Withdrawn.range(0, head + 1):
        kinds[(names[ev.token], "supplier: payment 2 % (USDC out)")] += ev.payment_fee
    withdrawn = defaultdict(int)
    for ev in router.FeesWithdrawn.range(0, head + 1):
        withdrawn[names[ev.token]] += ev.amount
    rows = []
    for cur, f in (("USDC", fmt_usdc), ("IO", lambda x: fmt_io(x, 4))):
        total = 0
        for kind in (
            "renter: reservation 0.25 %",
            "renter: facilitation 2 % (USDC)",
            "supplier: reservation 0.25 %",
            "supplier: payment 2 % (USDC out)",
        ):
            total += kinds[(cur, kind)]
            rows.append([cur, kind, f(kinds[(cur, kind)])])
        token = usdc if cur == "USDC" else io
        balance = router.fees(token)
        rows.append([cur, "all fees (sum of the above)", f(total)])
        rows.append([cur, "= taken by the treasury + fee balance", f"{f(withdrawn[cur])} + {f(balance)}"])
        assert total == withdrawn[cur] + balance, f"{cur} fees do not add up"
        assert token.balanceOf(router) == router.total_escrow(token) + router.total_credited(token) + balance
    eco.table("Fees of both sides since the router was deployed (from its events)", ["token", "fee", "amount"], rows)
    eco.say("it adds up: every fee the events announced is in the treasury or in the router's fee balance")
    eco.notes["market"] = {"io_price_twap": oracle.price()}

"""Demo section: renters book GPUs in USDC and in IO, the operator records daily work (each payment
bears the 0.25 % supplier reservation fee), a renter ends early and is refunded, a lease nobody
ended is settled after its grace period, providers withdraw (USDC income pays the 2 % payment fee,
IO income none), the treasury takes the published fees of both sides; USDC blacklists one provider
and everyone else is still paid. Ends with a table of every balance, which must add up."""

from __future__ import annotations

from typing import Any

from ape import chain

from ionet import IO, USDC
from ionet.chain.economy import DAY, HOUR, Economy, fmt_io, fmt_usdc
from ionet.chain.settlement_setup import fund, register_eligible_device
from ionet.chain.signing import Domain, random_nonce, sign_authorization, sign_permit
from ionet.models.settlement import payment_fee, quote


def _devices(eco: Economy) -> dict[str, bytes]:
    """provider role -> an eligible device it owns: from the staking section if it left some
    (eco.notes["devices"]), otherwise registered and staked here."""
    staking = eco.suite.NodeStaking
    found: dict[str, bytes] = {}
    noted = eco.notes.get("devices") or {}
    values = noted.values() if isinstance(noted, dict) else noted
    for entry in values:
        device = entry.get("device") if isinstance(entry, dict) else entry
        if not isinstance(device, (bytes, bytearray)) or not staking.is_eligible(device):
            continue
        owner = staking.device_owner(device)
        for role in ("provider_a", "provider_b", "provider_c"):
            if role not in found and getattr(eco, role).address == owner:
                found[role] = bytes(device)
    plan = {
        "provider_a": ("router-demo H100 node", "H100", 8),
        "provider_b": ("router-demo A100 node", "A100-80GB", 4),
        "provider_c": ("router-demo RTX 4090 rig", "RTX 4090", 1),
    }
    for role, (name, cls, gpus) in plan.items():
        if role not in found:
            found[role] = register_eligible_device(eco.suite, eco.admin, getattr(eco, role), name, cls, gpus)
            eco.say(
                f"{role} registers '{name}' ({gpus} x {cls}) and stakes its minimum: "
                f"{fmt_io(eco.suite.NodeStaking.min_stake(found[role]), 0)} IO"
            )
    return found


def _describe(eco: Economy, device: bytes) -> str:
    """'8 x H100' from the device's registration."""
    info = eco.suite.NodeStaking.device_info(device)
    name = bytes(info[1]).rstrip(b"\0").decode()
    return f"{info[2]} x {name}"


def run(eco: Economy) -> None:
    eco.section(
        "Settlement: renters book GPUs in USDC and IO, providers are paid by pull, fees to the treasury"
    )
    s = eco.suite
    router, usdc, io = s.SettlementRouter, s.USDC, s.IOToken
    admin, op, treasury = eco.admin, eco.operator, eco.treasury
    pa, pb, pc, rx, ry = eco.provider_a, eco.provider_b, eco.provider_c, eco.renter_x, eco.renter_y
    people = {"provider_a": pa, "provider_b": pb, "provider_c": pc, "renter_x": rx, "renter_y": ry}
    usdc_record = s.manifest.contracts["SettlementRouter"].args
    eco.say(
        f"router {router.address}; USDC {usdc.address} "
        f"({'MockUSDC, local' if usdc_record['usdc_is_mock'] else 'given'})"
    )
    reused = {role for role, d in (eco.notes.get("devices") or {}).items()} if isinstance(
        eco.notes.get("devices"), dict) else set()
    devices = _devices(eco)
    for role, d in devices.items():
        if role in reused and eco.notes["devices"].get(role) == d:
            eco.say(f"{role}'s {_describe(eco, d)} from the staking section is still eligible: rented here")

    # ---------------------------------------------------------------- renters get money
    for renter, (u, i) in {rx: (50_000, 20_000), ry: (20_000, 30_000)}.items():
        fund(s, admin, renter, usdc=u * USDC, io=i * IO)
    start_wallet = {(n, t.address): t.balanceOf(a) for n, a in people.items() for t in (usdc, io)}
    eco.say(
        "renter_x gets 50,000 USDC (minted by MockUSDC) and 20,000 IO; renter_y 20,000 USDC and 30,000 IO"
    )

    # ---------------------------------------------------------------- bookings
    usdc_domain = Domain("USD Coin", "2", chain.chain_id, usdc.address)
    io_domain = Domain("IO", "1", chain.chain_id, io.address)
    plans: list[
        tuple[str, Any, str, str, int, int]
    ] = []  # (label, renter, device role, currency, hours, rate)
    bookings: dict[str, int] = {}

    # B1: renter_x, 8 x H100 for 72 h at 16 USDC/h, by EIP-3009 receiveWithAuthorization (no approve)
    q = quote(16 * USDC, 72, True)
    nonce, before = random_nonce(), chain.pending_timestamp + HOUR
    v, r, sg = sign_authorization(
        rx.private_key, usdc_domain, rx.address, router.address, q.total, 0, before, nonce
    )
    router.book_with_authorization(
        devices["provider_a"], 72, 16 * USDC, q.total, 0, before, nonce, v, r, sg, sender=rx
    )
    bookings["B1"] = router.next_booking_id() - 1
    plans.append(("B1", rx, "provider_a", "USDC", 72, 16 * USDC))
    eco.say(
        f"renter_x books provider_a's {_describe(eco, devices['provider_a'])} for 72 h at 16 USDC/h with a "
        "signed EIP-3009 authorization "
        f"(no approve): pays {fmt_usdc(q.total)} USDC"
    )

    # B2: renter_y, A100 node for 48 h at 20 IO/h, by EIP-2612 permit (no approve)
    q = quote(20 * IO, 48, False)
    deadline = chain.pending_timestamp + HOUR
    v, r, sg = sign_permit(
        ry.private_key, io_domain, ry.address, router.address, q.total, io.nonces(ry), deadline
    )
    router.book_with_permit(devices["provider_b"], io, 48, 20 * IO, q.total, deadline, v, r, sg, sender=ry)
    bookings["B2"] = router.next_booking_id() - 1
    plans.append(("B2", ry, "provider_b", "IO", 48, 20 * IO))
    eco.say(
        f"renter_y books provider_b's {_describe(eco, devices['provider_b'])} for 48 h at 20 IO/h with a "
        "permit: pays "
        f"{fmt_io(q.total, 2)} IO "
        "(no facilitation fee in IO)"
    )

    # B3, B4: prior approve
    for label, renter, role, hours, rate in (
        ("B3", ry, "provider_c", 30, 350_000),
        ("B4", rx, "provider_b", 24, 9 * USDC),
    ):
        q = quote(rate, hours, True)
        usdc.approve(router, q.total, sender=renter)
        router.book(devices[role], usdc, hours, rate, q.total, sender=renter)
        bookings[label] = router.next_booking_id() - 1
        plans.append((label, renter, role, "USDC", hours, rate))
        eco.say(
            f"{'renter_x' if renter == rx else 'renter_y'} books {role}'s {_describe(eco, devices[role])} "
            f"for {hours} h at "
            f"{fmt_usdc(rate)} USDC/h (approve, then book): pays {fmt_usdc(q.total)} USDC"
        )

    rows = []
    for label, renter, role, cur, hours, rate in plans:
        q = quote(rate, hours, cur == "USDC")
        f = fmt_usdc if cur == "USDC" else (lambda x: fmt_io(x, 2))
        rows.append(
            [
                label,
                f"{'renter_x' if renter == rx else 'renter_y'} -> {role}",
                f"{hours} h x {f(rate)} {cur}",
                f(q.cost),
                f(q.reservation_fee),
                f(q.facilitation_fee),
                f(q.total),
            ]
        )
    eco.table(
        "Bookings (fees rounded up; each renter's maximum was its total)",
        ["booking", "renter -> provider", "hours x rate", "escrow", "reservation", "facilitation", "paid"],
        rows,
    )

    # ---------------------------------------------------------------- day 1
    eco.advance(DAY)
    ids = [bookings[b] for b in ("B1", "B2", "B3", "B4")]
    tx = router.record_work_batch(ids, [24, 24, 24, 24], sender=op)
    rec = tx.decode_logs(router.WorkRecorded)[0]
    eco.say("operator records day 1 for all four bookings in one transaction (B4 is complete: 24 of 24 h); "
            f"e.g. B1 pays provider_a {fmt_usdc(rec.amount - rec.supplier_fee)} USDC: 24 h x 16 USDC less the "
            f"0.25 % supplier reservation fee ({fmt_usdc(rec.supplier_fee)} USDC)")

    eco.advance(2 * HOUR + 30 * 60)  # 26h30 in
    tx = router.end_booking(bookings["B3"], sender=ry)
    ended = tx.decode_logs(router.BookingEnded)[0]
    eco.say(
        f"renter_y ends B3 early, 26h30 in: {ended.hours_paid} started hours are provider_c's, "
        f"{fmt_usdc(ended.refund)} USDC (3 unused hours) refunded to renter_y's balance; fees stay"
    )

    usdc.blacklist(pc, sender=admin)
    eco.say("USDC blacklists provider_c's wallet (the issuer's decision, not the network's)")

    # ---------------------------------------------------------------- day 2
    eco.advance(DAY - 2 * HOUR - 30 * 60)
    router.record_work_batch([bookings["B1"], bookings["B2"]], [24, 24], sender=op)
    eco.say(
        "operator records day 2: B1 48 of 72 h, B2 complete (48 of 48 h); the blacklisting blocked nothing"
    )

    # ---------------------------------------------------------------- day 3: nobody records the last day
    eco.advance_to(router.settleable_at(bookings["B1"]))
    tx = router.settle_expired(bookings["B1"], sender=pa)
    ended = tx.decode_logs(router.BookingEnded)[0]
    eco.say(
        f"B1 ended and the operator sent no final record; after the 24 h grace period provider_a settles it "
        f"itself: the last {72 - 48} booked hours ({fmt_usdc(ended.provider_amount)} USDC) are credited"
    )

    # ---------------------------------------------------------------- withdrawals
    bal = {(n, t.address): router.income(a, t) for n, a in people.items() for t in (usdc, io)}
    router.withdraw(usdc, bal[("provider_a", usdc.address)], pa, sender=pa)
    router.withdraw(usdc, bal[("provider_b", usdc.address)], pb, sender=pb)
    router.withdraw(io, bal[("provider_b", io.address)], pb, sender=pb)
    refund = router.refunds(ry, usdc)
    router.withdraw_refund(usdc, refund, ry, sender=ry)
    pay_fee = payment_fee(bal[("provider_a", usdc.address)], True)
    eco.say(
        f"provider_a withdraws its {fmt_usdc(bal[('provider_a', usdc.address)])} USDC income in USDC: the 2 % "
        f"payment fee ({fmt_usdc(pay_fee)} USDC) stays with the fees; provider_b takes its USDC the same way and "
        f"its {fmt_io(bal[('provider_b', io.address)], 2)} IO income with no fee; renter_y withdraws its "
        f"{fmt_usdc(refund)} USDC refund, fee-free"
    )
    # provider_c's own withdrawal would revert: shown with a plain eth_call (no transaction)
    data = router.withdraw.encode_input(usdc, bal[("provider_c", usdc.address)], pc)
    try:
        chain.provider.web3.eth.call({"to": router.address, "from": pc.address, "data": data})
        raise AssertionError("a blacklisted provider could move USDC out")
    except AssertionError:
        raise
    except Exception as err:
        assert "blacklisted by usdc" in str(err), err
    eco.say(
        f"provider_c cannot withdraw (SettlementRouter: account is blacklisted by usdc): its "
        f"{fmt_usdc(bal[('provider_c', usdc.address)])} USDC stay credited to it in the router "
        "until USDC lifts "
        "the blacklist; nobody else was held up"
    )
    fees = {t.address: router.fees(t) for t in (usdc, io)}
    router.withdraw_fees(usdc, fees[usdc.address], treasury, sender=treasury)
    router.withdraw_fees(io, fees[io.address], treasury, sender=treasury)
    eco.say(
        f"treasury withdraws the fees: {fmt_usdc(fees[usdc.address])} USDC and "
        f"{fmt_io(fees[io.address], 2)} IO"
    )

    # ---------------------------------------------------------------- the books
    rows = []
    for t, f, name in ((usdc, fmt_usdc, "USDC"), (io, lambda x: fmt_io(x, 2), "IO")):
        moved = 0
        for n, a in people.items():
            delta = t.balanceOf(a) - start_wallet[(n, t.address)]
            in_router = router.income(a, t) + router.refunds(a, t)
            moved += delta + in_router
            rows.append([name, n, f(delta), f(in_router)])
        held, escrow, credited, fee_bal = (
            t.balanceOf(router),
            router.total_escrow(t),
            router.total_credited(t),
            router.fees(t),
        )
        taken = fees[t.address]
        rows.append([name, "treasury (fees)", f(taken), f(fee_bal)])
        rows.append([name, "router: escrow of open bookings", "", f(escrow)])
        rows.append([name, "router: holds (= credited + escrow + fees)", "", f(held)])
        # conservation, and nothing created or lost: wallets' changes + what they are owed + fees == 0
        assert held == escrow + credited + fee_bal, f"{name}: router holdings do not add up"
        assert moved + taken + fee_bal + escrow == 0, (
            f"{name}: money created or lost ({moved + taken + escrow})"
        )
    eco.table(
        "Every balance after settlement: wallet change since the renters were funded, and what the router "
        "owes each",
        ["token", "account", "wallet change", "in the router"],
        rows,
    )
    assert router.income(pc, usdc) > 0 and router.income(pa, usdc) == 0 and router.total_escrow(usdc) == 0
    eco.say(
        "it adds up: every USDC and IO a renter paid is in a provider's wallet or balance, "
        "a refund, or the fees"
    )
    eco.notes["settlement"] = {"bookings": bookings, "devices": devices}

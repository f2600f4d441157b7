"""Demo section: providers stake per device, a co-staker joins, a spoofer is slashed and the slash
burned after its appeal window, another provider leaves through the 14-day cooldown.

Leaves in eco.notes: "devices" {provider role: device id}, "slashed_device", "co_staked_device".
"""

from __future__ import annotations

from ionet import IO
from ionet.chain.economy import DAY, Economy, fmt_io
from ionet.staking import device_class, device_id

# (role, class, processors): H100 data centre, A100 farm, RTX 4090 home rig
PROVIDERS = [("provider_a", "H100", 8), ("provider_b", "A100-80GB", 4), ("provider_c", "RTX 4090", 2)]
# (device, amount, share bps): co_staker holds two offers, the most one co-staker may hold
CO_STAKES = [("provider_a", 4_000 * IO, 2_000), ("provider_b", 1_000 * IO, 1_000)]
SPOOFER = "provider_b"
SLASH_BPS = 1_000  # 10 % of the device's stake
LEAVER = "provider_c"


def device_rows(eco: Economy, devices: dict[str, bytes]) -> list[list[str]]:
    st = eco.suite.NodeStaking
    rows = []
    for role, d in devices.items():
        active, cooling, _ = st.owner_stake(d)
        co_staker, co_amount, share, state, _ = st.co_stake(d)
        co = f"{fmt_io(co_amount, 0)} ({share / 100:g} %)" if state >= 2 else "-"
        rows.append([role, st.device_info(d)[1].rstrip(b"\0").decode(), str(st.device_info(d)[2]),
                     fmt_io(st.min_stake(d), 0), fmt_io(active, 0), fmt_io(cooling, 0), co,
                     "jailed" if st.is_jailed(d) else ("yes" if st.is_eligible(d) else "no")])
    return rows


def show(eco: Economy, title: str, devices: dict[str, bytes]) -> None:
    eco.table(title, ["device", "class", "GPUs", "minimum", "owner active", "in cooldown", "co-stake (share)",
                      "eligible"], device_rows(eco, devices))


def check_books(eco: Economy, devices: dict[str, bytes]) -> None:
    """Invariant io_held on the demo's devices: IO held == stakes + co-stakes + escrow."""
    st, token = eco.suite.NodeStaking, eco.suite.IOToken
    total = sum(sum(st.owner_stake(d)[:2]) + (st.co_stake(d)[1] if st.co_stake(d)[3] >= 2 else 0)
                for d in devices.values())
    assert token.balanceOf(st) == total + st.escrowed(), "staking books do not add up"


def run(eco: Economy) -> None:
    eco.section("Node staking: stake per device, co-staking, slashing with appeal and burn, cooldowns")
    st, token = eco.suite.NodeStaking, eco.suite.IOToken
    devices: dict[str, bytes] = {}

    for role, cls, gpus in PROVIDERS:
        who = getattr(eco, role)
        d = device_id(f"io-demo/{role}/{cls}x{gpus}")
        st.register_device(d, device_class(cls), gpus, who, sender=who)
        minimum = st.min_stake(d)
        eco.fund(who, minimum)
        token.approve(st, minimum, sender=who)
        st.stake(d, minimum, sender=who)
        devices[role] = d
        mult = st.class_multiplier(device_class(cls)) / 10_000
        eco.say(f"{role} registers {gpus} x {cls} (multiplier {mult:g}) and stakes the minimum, "
                f"{fmt_io(minimum, 0)} IO")
    for role, amount, share in CO_STAKES:
        d, who = devices[role], getattr(eco, role)
        st.offer_co_stake(d, eco.co_staker, amount, share, sender=who)
        eco.fund(eco.co_staker, amount)
        token.approve(st, amount, sender=eco.co_staker)
        st.accept_co_stake(d, sender=eco.co_staker)
        eco.say(f"co_staker accepts {role}'s offer: deposits {fmt_io(amount, 0)} IO for {share / 100:g} % "
                f"of the device's rewards")
    show(eco, "Devices after staking (IO)", devices)
    assert all(st.is_eligible(d) for d in devices.values()), "every staked device must be eligible"
    check_books(eco, devices)

    eco.advance(DAY)
    spoofed = devices[SPOOFER]
    owner_before, co_before = st.owner_stake(spoofed)[0], st.co_stake(spoofed)[1]
    supply_before = token.totalSupply()
    amount = (owner_before + co_before) * SLASH_BPS // 10_000
    tx = st.slash(spoofed, amount, device_id("evidence: spoofed GPU attestation"), True, sender=eco.operator)
    slash_id = st.slash_count()
    ev = tx.events.filter(st.Slashed)[0]
    eco.say(f"{SPOOFER} is caught spoofing its GPUs: slash #{slash_id} takes {fmt_io(amount, 0)} IO "
            f"({SLASH_BPS / 100:g} %) into the 30-day appeal escrow, {fmt_io(ev.owner_active_part, 0)} "
            f"from the owner and {fmt_io(ev.co_part, 0)} from its co-staker; the device is jailed")
    assert st.co_stake(spoofed)[1] == co_before - ev.co_part > 0 < ev.co_part, "the co-staker loses its share"
    assert not st.is_eligible(spoofed) and st.escrowed() == amount
    slashed_at = eco.now()

    eco.advance(DAY)
    leaver = getattr(eco, LEAVER)
    left = st.owner_stake(devices[LEAVER])[0]
    st.unstake(devices[LEAVER], sender=leaver)
    eco.say(f"{LEAVER} unstakes {fmt_io(left, 0)} IO: its device stops counting at once, the IO cools down "
            f"for 14 days")
    assert not st.is_eligible(devices[LEAVER])
    eco.advance(14 * DAY)
    balance = token.balanceOf(leaver)
    st.withdraw(devices[LEAVER], sender=leaver)
    assert token.balanceOf(leaver) == balance + left, "the leaver must get its whole stake back"
    eco.say(f"{LEAVER} withdraws its {fmt_io(left, 0)} IO after the cooldown")

    eco.advance_to(slashed_at + 30 * DAY)
    minted = token.total_minted()
    st.finalize_slash(slash_id, sender=eco.renter_x)
    burned = supply_before - token.totalSupply()
    eco.say(f"the appeal window of slash #{slash_id} is over: anyone finalizes it and {fmt_io(burned, 0)} IO "
            f"are burned; supply {fmt_io(supply_before, 0)} -> {fmt_io(token.totalSupply(), 0)} IO, "
            f"ever minted still {fmt_io(minted, 0)} (the cap does not reopen)")
    assert burned == amount and token.total_minted() == minted and st.escrowed() == 0
    show(eco, "Devices after the slash, its burn and the leaver's exit (IO)", devices)
    check_books(eco, devices)

    eco.notes["devices"] = devices
    eco.notes["slashed_device"] = spoofed
    eco.notes["co_staked_device"] = devices["provider_a"]

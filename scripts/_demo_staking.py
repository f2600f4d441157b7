"""Demo section: providers stake per device, a co-staker joins two of them (the most it may hold)
and declines a third offer, a spoofer is slashed and the slash burned after its appeal window,
another provider leaves through the 14-day cooldown, and its co-staker is pushed out with it (a
co-stake is never more than half of what keeps a device running).

Leaves in eco.notes: "devices" {provider role: device id}, "slashed_device", "co_staked_device".
"""

from __future__ import annotations

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.chain.economy import DAY, Economy, fmt_io
from ionet.models.staking import device_class, device_id

# (role, class, processors): H100 data centre, A100 farm, RTX 4090 home rig
PROVIDERS = [("provider_a", "H100", 8), ("provider_b", "A100-80GB", 4), ("provider_c", "RTX 4090", 2)]
# (device, amount, share bps): co_staker holds two offers, the most one co-staker may hold
CO_STAKES = [("provider_a", 4_000 * IO, 2_000), ("provider_b", 1_000 * IO, 1_000)]
SPOOFER = "provider_b"
SLASH_BPS = 1_000  # 10 % of the device's stake
LEAVER = "provider_c"
LEAVER_CO_SHARE_BPS = 3_000  # the leaver's co-staker (the core contributor) gets 30 % of the rewards


def device_rows(eco: Economy, devices: dict[str, bytes]) -> list[list[str]]:
    st = eco.suite.NodeStaking
    rows = []
    for role, d in devices.items():
        active, cooling, _ = st.owner_stake(d)
        c = st.co_stake(d)
        co = f"{fmt_io(c.amount, 0)} ({c.reward_share_bps / 100:g} %, {c.state_name})" if c.state >= 2 else "-"
        rows.append([role, st.device_info(d)[1].rstrip(b"\0").decode(), str(st.device_info(d)[2]),
                     fmt_io(st.min_stake(d), 0), fmt_io(active, 0), fmt_io(cooling, 0), co,
                     "jailed" if st.is_jailed(d) else ("yes" if st.is_eligible(d) else "no")])
    return rows


def show(eco: Economy, title: str, devices: dict[str, bytes]) -> None:
    eco.table(title, ["device", "class", "GPUs", "minimum", "owner active", "in cooldown",
                      "co-stake (share, state)", "eligible"], device_rows(eco, devices))


def check_books(eco: Economy, devices: dict[str, bytes]) -> None:
    """Invariant io_held, as anyone can check it: the IO the contract holds equals its running
    totals (totals(): owner active stakes, co-stakes, escrow, refunds owed) plus every device's
    stake in cooldown (owner_stake, kept per device only), and here (the only devices so far)
    each sum is the demo devices' own."""
    st, token = eco.suite.NodeStaking, eco.suite.IOToken
    t = st.totals()
    owner_active = sum(st.owner_stake(d)[0] for d in devices.values())
    owner_cooldown = sum(st.owner_stake(d)[1] for d in devices.values())
    co = sum(st.co_stake(d).amount for d in devices.values() if st.co_stake(d).state >= 2)
    held = t.owner_active + owner_cooldown + t.co_staked + t.escrowed + t.refunds_owed
    assert t.balance == token.balanceOf(st) == held, "staking books do not add up"
    assert (t.owner_active, t.co_staked) == (owner_active, co)
    eco.table("Staking books (IO): totals() and the devices' cooldown, as anyone can read them",
              ["owner active", "owner cooldown", "co-stakes", "slash escrow", "refunds owed", "sum",
               "contract balance"],
              [[fmt_io(v, 0) for v in (t.owner_active, owner_cooldown, t.co_staked, t.escrowed,
                                       t.refunds_owed, held, t.balance)]])


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
        st.accept_co_stake(d, amount, share, sender=eco.co_staker)  # names the terms it accepts
        eco.say(f"co_staker accepts {role}'s offer, naming its terms: deposits {fmt_io(amount, 0)} IO for "
                f"{share / 100:g} % of the device's rewards (other terms in force would revert)")
    assert st.offers_held(eco.co_staker) == 2

    # A third offer: co_staker already holds 2 co-stakes, the most one may hold. A pending offer
    # takes none of those places (nobody can block a co-staker by sending it offers) and the
    # co-staker may simply turn it down.
    leaver, leaver_dev = getattr(eco, LEAVER), devices[LEAVER]
    st.offer_co_stake(leaver_dev, eco.co_staker, 100 * IO, 2_000, sender=leaver)
    st.decline_co_stake(leaver_dev, sender=eco.co_staker)
    eco.say(f"{LEAVER} offers co_staker 100 IO on its rig too; co_staker already holds 2 co-stakes (the most "
            f"one may hold) and declines the offer. A pending offer never takes one of its two places")
    assert st.co_stake(leaver_dev).state_name == "none" and st.offers_held(eco.co_staker) == 2

    # The leaver's rig gets a co-staker of its own: exactly 50 % of the rig's stake.
    co_amount = st.owner_stake(leaver_dev)[0]
    st.offer_co_stake(leaver_dev, eco.contributor, co_amount, LEAVER_CO_SHARE_BPS, sender=leaver)
    eco.fund(eco.contributor, co_amount)
    token.approve(st, co_amount, sender=eco.contributor)
    st.accept_co_stake(leaver_dev, co_amount, LEAVER_CO_SHARE_BPS, sender=eco.contributor)
    eco.say(f"the core contributor co-stakes {fmt_io(co_amount, 0)} IO on {LEAVER}'s rig for "
            f"{LEAVER_CO_SHARE_BPS / 100:g} % of its rewards: half of the rig's stake, the most a co-stake may be")

    show(eco, "Devices after staking (IO)", devices)
    assert all(st.is_eligible(d) for d in devices.values()), "every staked device must be eligible"
    check_books(eco, devices)

    eco.advance(DAY)
    spoofed = devices[SPOOFER]
    owner_before, co_before = st.owner_stake(spoofed)[0], st.co_stake(spoofed).amount
    supply_before = token.totalSupply()
    amount = (owner_before + co_before) * SLASH_BPS // 10_000
    tx = st.slash(spoofed, amount, device_id("evidence: spoofed GPU attestation"), True, sender=eco.operator)
    slash_id = st.slash_count()
    ev = tx.events.filter(st.Slashed)[0]
    eco.say(f"{SPOOFER} is caught spoofing its GPUs: slash #{slash_id} takes {fmt_io(amount, 0)} IO "
            f"({SLASH_BPS / 100:g} %) into the 30-day appeal escrow, {fmt_io(ev.owner_active_part, 0)} "
            f"from the owner and {fmt_io(ev.co_part, 0)} from its co-staker; the device is jailed")
    assert st.co_stake(spoofed).amount == co_before - ev.co_part > 0 < ev.co_part, "the co-staker loses its share"
    assert not st.is_eligible(spoofed) and st.escrowed() == amount
    slashed_at = eco.now()

    eco.advance(DAY)
    left = st.owner_stake(leaver_dev)[0]
    co_left = st.co_stake(leaver_dev).amount
    assert co_left >= st.min_stake(leaver_dev), "the co-stake alone would meet the rig's minimum"
    tx = st.unstake(leaver_dev, sender=leaver)
    pushed = tx.events.filter(st.CoStakeExited)[0]
    eco.say(f"{LEAVER} unstakes {fmt_io(left, 0)} IO: its own stake stops counting at once and cools down for "
            f"14 days. The contributor's {fmt_io(co_left, 0)} IO alone would still meet the rig's "
            f"{fmt_io(st.min_stake(leaver_dev), 0)} IO minimum, but a co-stake may never be more than half of what "
            f"keeps a device running: it is pushed into its own 14-day cooldown in the same transaction, so the "
            f"rig is no longer eligible and nobody earns on somebody else's stake")
    assert bool(pushed.forced) and pushed.amount == co_left
    assert not st.is_eligible(leaver_dev) and st.co_stake(leaver_dev).state_name == "cooldown"
    assert st.reward_split(leaver_dev)[1] == ZERO
    show(eco, "Devices after the leaver's unstake (IO)", devices)
    eco.advance(14 * DAY)
    balance, co_balance = token.balanceOf(leaver), token.balanceOf(eco.contributor)
    st.withdraw(leaver_dev, sender=leaver)
    st.withdraw_co_stake(leaver_dev, sender=eco.contributor)
    assert token.balanceOf(leaver) == balance + left, "the leaver must get its whole stake back"
    assert token.balanceOf(eco.contributor) == co_balance + co_left, "so must its co-staker"
    eco.say(f"after the cooldown {LEAVER} withdraws its {fmt_io(left, 0)} IO and the contributor its "
            f"{fmt_io(co_left, 0)} IO")

    eco.advance_to(slashed_at + 30 * DAY)
    minted = token.total_minted()
    st.finalize_slash(slash_id, sender=eco.renter_x)
    burned = supply_before - token.totalSupply()
    eco.say(f"the appeal window of slash #{slash_id} is over: anyone finalizes it and {fmt_io(burned, 0)} IO "
            f"are burned; supply {fmt_io(supply_before, 0)} -> {fmt_io(token.totalSupply(), 0)} IO, "
            f"ever minted still {fmt_io(minted, 0)} (the cap does not reopen)")
    assert burned == amount and token.total_minted() == minted and st.escrowed() == 0
    record = st.slash_info(slash_id)
    assert (record.outcome_name, record.amount) == ("finalized", amount), "a settled slash keeps its record"
    show(eco, "Devices after the slash, its burn and the leaver's exit (IO)", devices)
    check_books(eco, devices)

    eco.notes["devices"] = devices
    eco.notes["slashed_device"] = spoofed
    eco.notes["co_staked_device"] = devices["provider_a"]

"""Compare the indexer's tables (rebuilt from events alone) with the contracts' own views.

`compare(idx, contracts, now)` returns one line per mismatch (empty when the index is right); the
integration test runs the demo economy, indexes it and requires no mismatch. `contracts` maps the
manifest keys to ape (or web3) contract objects with the views; `now` is the latest block's time (the
co-stake phases and eligibility depend on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ionet.serve.index_state import _IDE_TOTALS, CO_EXITING, ZERO
from ionet.serve.indexer import Indexer, amount

COOLDOWN_SECONDS = 14 * 86_400


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bytes | bytearray) or isinstance(b, bytes | bytearray):
        return _hex(a).lower() == _hex(b).lower()
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked = 0

    def eq(self, what: str, index: Any, view: Any) -> None:
        self.checked += 1
        if not _same(index, view):
            self.problems.append(f"{what}: index {index!r} != view {view!r}")


def compare(idx: Indexer, contracts: dict[str, Any], now: int) -> Checker:
    c = Checker()
    for key, contract in contracts.items():
        kind = _kind(idx, key)
        check: Callable[[Checker, Indexer, str, Any, int], None] | None = CHECKS.get(kind)
        if check is not None:
            check(c, idx, key, contract, now)
    return c


def _kind(idx: Indexer, key: str) -> str:
    rec = idx.manifest.contracts.get(key)
    return rec.abi.rsplit("/", 1)[-1].removesuffix(".json") if rec else ""


# ---------------------------------------------------------------- per contract
def _token(c: Checker, idx: Indexer, key: str, token: Any, now: int) -> None:
    for account, balance in idx.query("SELECT account, balance FROM token_balances WHERE token = ?", [token.address]):
        c.eq(f"{key}.balanceOf({account})", amount(balance), token.balanceOf(account))
    rows = idx.query("SELECT supply, minted FROM token_totals WHERE token = ?", [token.address])
    if rows:
        c.eq(f"{key}.totalSupply", amount(rows[0][0]), token.totalSupply())
        c.eq(f"{key}.total_minted", amount(rows[0][1]), token.total_minted())
    minters = idx.query("SELECT account FROM token_minters WHERE token = ? AND is_minter = 1", [token.address])
    minter = token.minter()
    c.eq(f"{key}.minter (the minters replayed)", sorted(a.lower() for (a,) in minters),
         [] if int(minter, 16) == 0 else [minter.lower()])


def _emission(c: Checker, idx: Indexer, key: str, sched: Any, now: int) -> None:
    for recipient, emitted in idx.query("SELECT recipient, total_emitted FROM emission WHERE contract = ?", [key]):
        c.eq(f"{key}.reward_recipient", recipient, sched.reward_recipient())
        c.eq(f"{key}.total_emitted", amount(emitted), sched.total_emitted())


def _co_phase(state: int, counts_until: int, now: int) -> tuple[int, int, int]:
    """(view state, counts_until, withdrawable_at) of a co-stake as NodeStaking.co_stake shows it."""
    if state != CO_EXITING:
        return state, 0, 0
    withdrawable_at = counts_until + COOLDOWN_SECONDS
    if now >= withdrawable_at:
        return 5, counts_until, withdrawable_at
    if now >= counts_until:
        return 4, counts_until, withdrawable_at
    return state, counts_until, withdrawable_at


def _staking(c: Checker, idx: Indexer, key: str, st: Any, now: int) -> None:
    rows = idx.query(
        "SELECT device, owner, device_class, processors, wallet, idx, jailed, last_slash_id, last_slashed_at, active, "
        "cooldown, release_at, co_staker, co_state, co_amount, co_share, co_counts_until FROM staking_devices "
        "WHERE contract = ?", [key])
    totals = {"active": 0, "cooldown": 0, "co": 0}
    for (device, owner, cls, processors, wallet, index, jailed, last_id, last_at, active, cooldown, release_at,
         co_staker, co_state, co_amount, co_share, counts_until) in rows:
        d = bytes.fromhex(device[2:])
        info = st.device_info(d)
        for name, a, b in zip(("owner", "class", "processors", "wallet", "index"),
                              (owner, cls, processors, wallet, index), info, strict=True):
            c.eq(f"{key}.device_info({device[:10]}).{name}", a, b)
        stake = st.owner_stake(d)
        c.eq(f"{key}.owner_stake({device[:10]}).active", amount(active), stake[0])
        c.eq(f"{key}.owner_stake({device[:10]}).cooldown", amount(cooldown), stake[1])
        if amount(cooldown):
            c.eq(f"{key}.owner_stake({device[:10]}).release_at", release_at, stake[2])
        co = st.co_stake(d)
        state, until, withdrawable = _co_phase(co_state, counts_until, now)
        c.eq(f"{key}.co_stake({device[:10]}).state", state, co.state)
        if state:
            c.eq(f"{key}.co_stake({device[:10]}).co_staker", co_staker, co.co_staker)
            c.eq(f"{key}.co_stake({device[:10]}).amount", amount(co_amount), co.amount)
            c.eq(f"{key}.co_stake({device[:10]}).share", co_share, co.reward_share_bps)
            c.eq(f"{key}.co_stake({device[:10]}).counts_until", until, co.counts_until)
            c.eq(f"{key}.co_stake({device[:10]}).withdrawable_at", withdrawable, co.withdrawable_at)
        c.eq(f"{key}.is_jailed({device[:10]})", bool(jailed), st.is_jailed(d))
        c.eq(f"{key}.last_slash_id({device[:10]})", last_id, st.last_slash_id(d))
        c.eq(f"{key}.last_slashed_at({device[:10]})", last_at, st.last_slashed_at(d))
        totals["active"] += amount(active)
        totals["cooldown"] += amount(cooldown)
        if co_state >= 2:
            totals["co"] += amount(co_amount)
    for cls, mult in idx.query("SELECT device_class, multiplier_bps FROM staking_classes WHERE contract = ?", [key]):
        c.eq(f"{key}.class_multiplier({cls[:14]})", mult, st.class_multiplier(bytes.fromhex(cls[2:])))
    for sid, device, ap, cp, cop, co_staker, amt, created, outcome in idx.query(
            "SELECT slash_id, device, active_part, cooldown_part, co_part, co_staker, amount, created_at, outcome "
            "FROM staking_slashes WHERE contract = ?", [key]):
        info = st.slash_info(sid)
        c.eq(f"{key}.slash_info({sid}).device", device, info.device)
        c.eq(f"{key}.slash_info({sid}).parts", (amount(ap), amount(cp), amount(cop)),
             (info.owner_active_part, info.owner_cooldown_part, info.co_part))
        if amount(cop):
            c.eq(f"{key}.slash_info({sid}).co_staker", co_staker, info.co_staker)
        c.eq(f"{key}.slash_info({sid}).amount", amount(amt), info.amount)
        c.eq(f"{key}.slash_info({sid}).created_at", created, info.created_at)
        c.eq(f"{key}.slash_info({sid}).outcome", outcome, info.outcome)
    refunds = 0
    for account, held, owed in idx.query(
            "SELECT account, offers_held, refunds FROM staking_accounts WHERE contract = ?", [key]):
        c.eq(f"{key}.offers_held({account})", held, st.offers_held(account))
        c.eq(f"{key}.refunds({account})", amount(owed), st.refunds(account))
        refunds += amount(owed)
    for max_slash, count, escrowed in idx.query(
            "SELECT max_slash_bps, slash_count, escrowed FROM staking_globals WHERE contract = ?", [key]):
        c.eq(f"{key}.max_slash_bps", max_slash, st.max_slash_bps())
        c.eq(f"{key}.slash_count", count, st.slash_count())
        c.eq(f"{key}.escrowed", amount(escrowed), st.escrowed())
    t = st.totals()
    c.eq(f"{key}.totals.owner_active", totals["active"], t.owner_active)
    cooldown = sum(st.owner_stake(st.device_at(i))[1] for i in range(1, t.device_count + 1))
    c.eq(f"{key}: Σ owner_stake(device).cooldown", totals["cooldown"], cooldown)
    c.eq(f"{key}.totals.balance (io_held)", t.balance,
         t.owner_active + cooldown + t.co_staked + t.escrowed + t.refunds_owed)
    c.eq(f"{key}.totals.co_staked", totals["co"], t.co_staked)
    c.eq(f"{key}.totals.refunds_owed", refunds, t.refunds_owed)


def _vault(c: Checker, idx: Indexer, key: str, vault: Any, now: int) -> None:
    for owner, pending in idx.query("SELECT owner, pending_owner FROM vesting_vaults WHERE contract = ?", [key]):
        c.eq(f"{key}.owner", owner, vault.owner())
        c.eq(f"{key}.pending_owner", pending or ZERO, vault.pending_owner())
    granted = claimed = revoked = 0
    for gid, serial, beneficiary, amt, cl, rv, rv_at, returned, pending, status, current in idx.query(
            "SELECT grant_id, serial, beneficiary, amount, claimed, revoked, revoked_at, unvested_returned, pending, "
            "status, current_grant_id FROM vesting_grants WHERE contract = ?", [key]):
        g = vault.grant_state(int(gid))
        label = f"{key}.grant_state(#{serial} {beneficiary[:8]})"
        c.eq(f"{label}.status", status, g.status_name)
        c.eq(f"{label}.current_grant_id", int(current), g.current_grant_id)
        if status != "moved":
            c.eq(f"{label}.amount", amount(amt), g.amount)
            c.eq(f"{label}.claimed", amount(cl), g.claimed)
            c.eq(f"{label}.revoked", bool(rv), g.revoked)
            c.eq(f"{label}.revoked_at", rv_at, g.revoked_at)
            c.eq(f"{label}.unvested_returned", amount(returned), g.unvested_returned)
            c.eq(f"{label}.pending_beneficiary", pending or ZERO, g.pending_beneficiary)
            granted += amount(amt)
            claimed += amount(cl)
            revoked += amount(returned)
    t = vault.totals()
    c.eq(f"{key}.totals.granted", granted, t.granted)
    c.eq(f"{key}.totals.claimed", claimed, t.claimed)
    c.eq(f"{key}.totals.revoked", revoked, t.revoked)


def _router(c: Checker, idx: Indexer, key: str, router: Any, now: int) -> None:
    for bid, renter, provider, token, hours, recorded, rate, start, end, is_open in idx.query(
            "SELECT booking_id, renter, provider, token, hours, hours_recorded, rate, start, end_time, open "
            "FROM router_bookings WHERE contract = ?", [key]):
        b = router.bookings(bid)
        c.eq(f"{key}.bookings({bid})",
             (renter, provider, token, hours, recorded, amount(rate), start, end, bool(is_open)),
             (b.renter, b.provider, b.token, b.hours, b.hours_recorded, b.rate, b.start, b.end, b.open))
    for account, token, income, refunds in idx.query(
            "SELECT account, token, income, refunds FROM router_accounts WHERE contract = ?", [key]):
        c.eq(f"{key}.income({account[:8]}, {token[:8]})", amount(income), router.income(account, token))
        c.eq(f"{key}.refunds({account[:8]}, {token[:8]})", amount(refunds), router.refunds(account, token))
    for token, escrow, fees in idx.query("SELECT token, escrow, fees FROM router_ledgers WHERE contract = ?", [key]):
        c.eq(f"{key}.total_escrow({token[:8]})", amount(escrow), router.total_escrow(token))
        c.eq(f"{key}.fees({token[:8]})", amount(fees), router.fees(token))


def _desk(c: Checker, idx: Indexer, key: str, desk: Any, now: int) -> None:
    for asset, pool in idx.query("SELECT asset, pool FROM desk_pools WHERE contract = ?", [key]):
        c.eq(f"{key}.asset_pools({asset[:8]})", pool, desk.asset_pools(asset))


def _distributor(c: Checker, idx: Indexer, key: str, dist: Any, now: int) -> None:
    for active_id, pending_id, count, paid, held, forfeited in idx.query(
            "SELECT active_root_id, pending_root_id, root_count, total_paid, total_held, total_forfeited "
            "FROM dist_state WHERE contract = ?", [key]):
        c.eq(f"{key}.active().root_id", active_id, dist.active().root_id)
        c.eq(f"{key}.pending().root_id", pending_id, dist.pending().root_id)
        c.eq(f"{key}.root_count", count, dist.root_count())
        c.eq(f"{key}.total_paid", amount(paid), dist.total_paid())
        c.eq(f"{key}.total_held", amount(held), dist.total_held())
        c.eq(f"{key}.total_forfeited", amount(forfeited), dist.total_forfeited())
        for rid in {active_id, pending_id} - {0}:
            root, total, through_time = idx.query(
                "SELECT root, total, through_time FROM dist_roots WHERE contract = ? AND root_id = ?", [key, rid])[0]
            view = dist.active() if rid == active_id else dist.pending()
            c.eq(f"{key}.root({rid})", (root, amount(total), through_time), (_hex(view.root), view.total,
                                                                            view.through_time))
    for device, party, settled, applied in idx.query(
            "SELECT device, party, settled, applied_slash FROM dist_parties WHERE contract = ?", [key]):
        d = bytes.fromhex(device[2:])
        c.eq(f"{key}.settled_of({device[:10]}, {party[:8]})", (amount(settled), applied),
             tuple(dist.settled_of(d, party)))
    for device, party, slash_id, held in idx.query(
            "SELECT device, party, slash_id, held FROM dist_holds WHERE contract = ?", [key]):
        d = bytes.fromhex(device[2:])
        c.eq(f"{key}.held_of({device[:10]}, {party[:8]}, {slash_id})", amount(held),
             dist.held_of(d, party, slash_id)[0])


def _engine(c: Checker, idx: Indexer, key: str, eng: Any, now: int) -> None:
    cols = ["active", "reward_vault", "fee_usdc", "fee_io", "last_stated", "last_settled", "last_burn_epoch",
            "shortfall_epochs", "max_usd_per_epoch", "max_swap_usdc", "burn_share_bps", "reserve_epochs",
            "retire_buffer_epochs", *_IDE_TOTALS]
    for row in idx.query(f"SELECT {', '.join(cols)} FROM ide_state WHERE contract = ?", [key]):
        r = dict(zip(cols, row, strict=True))
        c.eq(f"{key}.active", bool(r["active"]), eng.active())
        for view in ("reward_vault", "fee_usdc", "fee_io", "last_stated", "last_settled", "last_burn_epoch"):
            c.eq(f"{key}.{view}", amount(r[view]), getattr(eng, view)())
        for param in ("max_usd_per_epoch", "max_swap_usdc", "burn_share_bps", "reserve_epochs",
                      "retire_buffer_epochs"):
            if r[param] is not None:  # known once governance changed it (the constructor logs nothing)
                c.eq(f"{key}.{param}", amount(r[param]), getattr(eng, param)())
        t = eng.totals()
        for total in _IDE_TOTALS:
            c.eq(f"{key}.totals().{total}", amount(r[total]), getattr(t, total))
        c.eq(f"{key}.totals().shortfall_epochs", r["shortfall_epochs"], t.shortfall_epochs)
    for epoch, usd_owed, twap, flag, fee_usd in idx.query(
            "SELECT epoch, usd_owed, twap, price_flag, fee_usd FROM ide_epochs WHERE contract = ?", [key]):
        info = eng.epoch_info(epoch)
        c.eq(f"{key}.epoch_info({epoch})", (amount(usd_owed), amount(twap), flag, amount(fee_usd)),
             (info.usd_owed, info.twap_price, info.price_flag, info.fee_usd))


CHECKS: dict[str, Callable[[Checker, Indexer, str, Any, int], None]] = {
    "IOToken": _token,
    "EmissionSchedule": _emission,
    "NodeStaking": _staking,
    "VestingVault": _vault,
    "SettlementRouter": _router,
    "MarketDesk": _desk,
    "RewardsDistributor": _distributor,
    "IncentiveEngine": _engine,
}

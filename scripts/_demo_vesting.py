"""Demo section: the genesis in its five vesting vaults; the Series A investor moves its grant to a
new key (withdrawing a mistyped proposal first) and finds its new grant id from the old one;
investors and contributors claim at months 12, 13, 36 and 48 (counted from the vaults' start, the
genesis time, whatever ran before); one contributor leaves at month 20 and is revoked."""

from __future__ import annotations

from ape import accounts

from ionet import ZERO_ADDRESS as ZERO
from ionet.chain.deploy_vesting import vaults as deployed_vaults
from ionet.chain.economy import MONTH, Economy, fmt_io
from ionet.models import vesting as model

LEAVES_AT_MONTH = 20
SHORT = {"seed": "Seed", "series_a": "Series A", "core_contributors": "Core"}


def rotate_key(eco: Economy, grants: dict, label: str) -> None:
    """The holder moves its grant to a new key in two steps; a mistyped proposal is withdrawn
    first (proposing the zero address). The old id is then "moved" and names the new one."""
    who, v, old_id = grants[label]
    new_key = accounts.test_accounts.generate_test_account()
    eco.admin.transfer(new_key, 10**17)  # gas money for the new key's first transactions
    v.propose_beneficiary(old_id, eco.treasury, sender=who)  # the wrong address
    v.propose_beneficiary(old_id, ZERO, sender=who)
    assert v.grant_state(old_id).pending_beneficiary == ZERO
    v.propose_beneficiary(old_id, new_key, sender=who)
    v.accept_beneficiary(old_id, sender=new_key)
    new_id = v.current_grant_id(old_id)
    old, new = v.grant_state(old_id), v.grant_state(new_id)
    assert (old.status_name, old.current_grant_id, new.status_name) == ("moved", new_id, "active")
    assert new.amount == v.grant_state(new_id).amount > 0 and new.beneficiary == new_key.address
    eco.say(f"the {label} moves its grant to a new key: it proposes a wrong address, withdraws that proposal, "
            f"proposes the right key, which accepts. The grant (serial {new.serial}, {fmt_io(new.amount, 0)} IO) "
            f"now has a new id; current_grant_id(old id) gives it, and the old id reads \"{old.status_name}\"")
    grants[label] = (new_key, v, new_id)


def run(eco: Economy) -> None:
    eco.section("Vesting: the 500M genesis in five vaults; investors and contributors claim on schedule")
    vaults = deployed_vaults(eco.suite)
    token = eco.suite.IOToken
    start = vaults["seed"].START_TIME()
    rows = []
    for category, v in vaults.items():
        t = v.totals()
        sched = (f"{v.UNLOCKED_BPS() / 100:g} % at start" if v.UNLOCKED_BPS() == 10_000 else
                 f"cliff {v.CLIFF_PERIODS()} mo, {v.TRANCHE_COUNT()} monthly tranches")
        rows.append([category, fmt_io(t.balance, 0), sched, "yes" if v.REVOCABLE() else "no",
                     f"{t.grant_count}", fmt_io(t.granted - t.claimed - t.revoked, 0),
                     fmt_io(t.unallocated, 0)])
        assert t.balance == t.unallocated + t.granted - t.claimed - t.revoked
    eco.table("Vaults now (IO)", ["vault", "balance", "schedule", "revocable", "grants", "outstanding",
                                  "unallocated"], rows)
    # Every genesis IO is either still in a vault or was paid out by a vault claim.
    paid_out = sum(v.totals().claimed for v in vaults.values())
    assert sum(token.balanceOf(v) for v in vaults.values()) + paid_out == model.em.GENESIS_SUPPLY
    eco.say(f"the vaults hold {fmt_io(model.em.GENESIS_SUPPLY - paid_out, 0)} IO; they have paid out "
            f"{fmt_io(paid_out, 0)} IO so far (Community vault grants that fund providers and renters)")

    people = [("seed investor", eco.investor_seed, "seed"),
              ("series A investor", eco.investor_series_a, "series_a"),
              ("contributor", eco.contributor, "core_contributors"),
              ("contributor B", eco.contributor_b, "core_contributors")]
    grants = {}
    for label, who, category in people:
        v = vaults[category]
        serial = next(s for s in range(1, v.grant_count() + 1) if v.grant_state(v.grant_id_of(s, who)).amount)
        grants[label] = (who, v, v.grant_id_of(serial, who))
    rotate_key(eco, grants, "series A investor")
    start_balance = {label: token.balanceOf(who) for label, (who, _, _) in grants.items()}
    claimed_total = {label: 0 for label in grants}
    core = vaults["core_contributors"]
    leaver_id = grants["contributor B"][2]

    for m in (12, 13, LEAVES_AT_MONTH, 36, 48):
        eco.advance_to(start + m * MONTH)
        if m == LEAVES_AT_MONTH:
            who = grants["contributor B"][0]
            receipt = core.revoke(leaver_id, sender=eco.admin)
            ev = core.Revoked.from_receipt(receipt)[0]
            eco.say(f"month {m}: contributor B leaves; the admin revokes the grant: "
                    f"{fmt_io(ev.vested, 0)} IO vested stay claimable, {fmt_io(ev.unvested, 0)} IO unvested "
                    f"return to the vault's unallocated balance (admin's wallet unchanged: "
                    f"{fmt_io(token.balanceOf(eco.admin), 0)} IO)")
            assert ev.vested == model.vested_amount(model.category_schedule("core_contributors", start),
                                                    core.grant_state(leaver_id).amount, eco.now())
            eco.notes["vesting_revoked_vested"] = ev.vested
            continue
        rows = []
        for label, (who, v, gid) in grants.items():
            s = v.grant_state(gid)
            paid = 0
            if s.claimable:
                receipt = v.claim(gid, who, sender=who)
                paid = v.Claimed.from_receipt(receipt)[0].amount
            claimed_total[label] += paid
            s = v.grant_state(gid)
            cat = v.category()
            expected = model.vested_amount(model.category_schedule(cat, start), s.amount, eco.now())
            if s.revoked:
                expected = min(expected, eco.notes["vesting_revoked_vested"])
            assert s.vested == expected and s.claimed == claimed_total[label] == s.vested, label
            balance = token.balanceOf(who)
            assert balance - start_balance[label] == claimed_total[label], label
            rows.append([label, SHORT[cat], fmt_io(s.amount, 0), fmt_io(s.vested, 2), fmt_io(paid, 2),
                         fmt_io(s.claimed, 2), fmt_io(balance, 2), "revoked" if s.revoked else ""])
        eco.say(f"month {m} (start + {m} x {MONTH:,} s): every holder claims what has vested")
        eco.table(f"Month {m} (IO)",
                  ["holder", "vault", "granted", "vested", "claimed now", "claimed in all", "balance", ""],
                  rows)
        for v in vaults.values():
            t = v.totals()
            assert t.balance == t.unallocated + t.granted - t.claimed - t.revoked

    # At month 48 the investors (month 36) and the staying contributor (month 48) hold everything;
    # contributor B holds exactly what had vested when it left.
    for label in ("seed investor", "series A investor", "contributor"):
        _, v, gid = grants[label]
        assert claimed_total[label] == v.grant_state(gid).amount, label
    assert claimed_total["contributor B"] == eco.notes["vesting_revoked_vested"]
    eco.say(f"month 48: investors and the staying contributor have claimed their whole grants; contributor B "
            f"kept the {fmt_io(claimed_total['contributor B'], 0)} IO vested before leaving; "
            f"the core vault's "
            f"unallocated balance is {fmt_io(core.unallocated(), 0)} IO")
    eco.notes["vesting_claimed"] = claimed_total

"""Demo section: the capped supply and the 20-year emission, beside the Python model."""

from ape import chain

from ionet.chain.economy import DAY, MONTH, Economy, fmt_io
from ionet.models import emission as model


def supply_row(eco: Economy, label: str) -> list[str]:
    token, sched = eco.suite.IOToken, eco.suite.EmissionSchedule
    minted = token.total_minted()
    expected = model.GENESIS_SUPPLY + model.due_at(sched.START_TIME(), eco.now())
    return [
        label,
        f"{sched.completed_epochs():,}",
        fmt_io(sched.total_emitted(), 4),
        fmt_io(expected - model.GENESIS_SUPPLY, 4),
        fmt_io(minted, 4),
        fmt_io(token.totalSupply(), 4),
        "yes" if minted == expected else f"NO (off by {minted - expected} wei)",
    ]


def run(eco: Economy) -> None:
    eco.section("Supply: 500M at genesis, 300M emitted hourly over 20 years, capped at 800M")
    sched = eco.suite.EmissionSchedule
    eco.say(f"first hour emits {fmt_io(model.emission_of(1))} IO; year 1 emits "
            f"{fmt_io(model.year_emission(1), 2)} IO; the last hour (epoch {model.EPOCH_COUNT:,}) "
            f"{fmt_io(model.emission_of(model.EPOCH_COUNT), 4)} IO")
    snap = chain.snapshot()  # this section looks 20 years ahead, then the economy resumes at genesis
    try:
        rows = [supply_row(eco, "genesis")]
        start = sched.START_TIME()
        for label, offset in [("+1 day", DAY), ("+1 month", MONTH), ("+2 years", 2 * 365 * DAY),
                              ("+20 years", model.EPOCH_COUNT * 3_600), ("+25 years", 25 * 365 * DAY)]:
            eco.advance_to(start + offset)
            sched.mint_due(sender=eco.operator)
            rows.append(supply_row(eco, label))
        eco.table("Supply after mint_due (IO)",
                  ["time", "epochs done", "emitted (chain)", "emitted (model)", "total minted", "total supply",
                   "chain == model"], rows)
        assert eco.suite.IOToken.total_minted() == model.MAX_SUPPLY, "cap not reached exactly"
        eco.say(f"after 20 years exactly {fmt_io(model.MAX_SUPPLY, 0)} IO were ever minted; "
                f"mint_due now mints {sched.mintable()} wei")
    finally:
        chain.restore(snap)
    eco.say("(back at genesis: the rest of the economy runs on the same chain)")

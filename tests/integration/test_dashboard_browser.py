"""The dashboard page (ionet/serve/dashboard) in a real browser: headless Chromium (Debian's
`chromium`, /usr/bin/chromium; `make test` installs it when missing) driven by Playwright, over the
API served by uvicorn on loopback after the demo-like economy of test_api.py. The page loads with no
console error and no request to another origin; every figure it shows (the elements with
data-figure, their data-value and their text) and every chart's series equal the contracts' views;
a screenshot is written to docs/dashboard.png."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from ape import chain

from ionet.manifest import ROOT
from ionet.models import emission
from ionet.serve.api import create_app
from tests.api_helpers import Server, demo_like_economy

CHROMIUM = os.environ.get("IONET_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "dashboard.png"
YEAR = 365 * 86_400


def _units(value: int, decimals: int, digits: int) -> str:
    """app.js's formatUnits: thousands grouped, the fraction truncated to `digits` digits."""
    whole, frac = divmod(abs(value), 10**decimals)
    out = f"{whole:,}" + ("." + str(frac).rjust(decimals, "0")[:digits] if digits else "")
    return ("-" if value < 0 else "") + out


def _text(kind: str, value: int | None) -> str:
    """What the page must show for a figure of this kind (app.js's formatFigure)."""
    if value is None:
        return "n/a"
    if kind == "IO":
        return _units(value, 18, 2) + " IO"
    if kind == "USDC":
        return _units(value, 6, 6) + " USDC"
    if kind == "USD":
        return "$" + _units(value, 6, 2)
    if kind == "bps":
        return f"{value // 100}.{value % 100:02d}%"
    if kind == "seconds":
        return f"{value:,} s"
    if kind == "time":
        import datetime as dt

        return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%d")
    return f"{value:,}"


INSTALL_RC = Path(__file__).resolve().parents[2] / ".build" / "chromium-install.rc"
INSTALL_LOG = INSTALL_RC.with_name("chromium-install.log")


def _wait_for_install(limit: float = 600.0) -> None:
    """`make test` installs chromium in the background when it is missing (the Makefile's
    chromium-background): wait for that install to end, at most `limit` seconds."""
    deadline = time.monotonic() + limit
    while INSTALL_LOG.exists() and not INSTALL_RC.exists() and time.monotonic() < deadline:
        time.sleep(1)


def _launch(p):  # noqa: ANN001, ANN202
    if not Path(CHROMIUM).exists():
        _wait_for_install()
    if not Path(CHROMIUM).exists():
        log = INSTALL_LOG.read_text()[-2_000:] if INSTALL_LOG.exists() else "(no install was started)"
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` (as root) installs it; `make test` does it. {log}")
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])


def test_dashboard__demo_like_economy__every_figure_equals_the_chain_no_console_error(restored_suite, tmp_path):
    from playwright.sync_api import sync_playwright

    suite = restored_suite
    t0 = time.monotonic()
    demo = demo_like_economy(suite, tmp_path, roots=False)  # the page shows no reward root
    print(f"economy + index in {time.monotonic() - t0:.2f} s")
    token, sched, staking, engine = suite.IOToken, suite.EmissionSchedule, suite.NodeStaking, suite.IncentiveEngine
    app = create_app(suite.manifest, demo.index_path, demo.proofs_path, chain.provider.web3)
    console: list[str] = []
    foreign: list[str] = []
    with Server(app) as api, sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: console.append(f"requestfailed: {r.url}"))
        page.on("request", lambda r: None if r.url.startswith(api.url + "/") else foreign.append(r.url))
        t0 = time.monotonic()
        page.goto(api.url + "/")
        page.wait_for_selector("body[data-ready='1'], body[data-error]", state="attached", timeout=20_000)
        assert page.evaluate("document.body.dataset.error") is None, page.evaluate("document.body.dataset.error")
        shown = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('[data-figure]')].map("
            "e => [e.dataset.figure, [e.dataset.kind, e.dataset.value, e.textContent]]))"
        )
        charts = page.evaluate("() => window.dashboard.charts")
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')].map(c => [c.dataset.chart, c.width * c.height])"
        )
        verdict = page.get_attribute("#hero", "data-verdict")
        api_grants = api.get("/v1/vesting/grants")["grants"]
        vault_of = {c: body["vault"] for c, body in api.get("/v1/vesting/calendar")["categories"].items()}
        print(f"page ready in {time.monotonic() - t0:.2f} s")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        browser.close()
    assert console == [] and foreign == [], (console, foreign)
    assert all(area > 0 for _, area in drawn) and {c for c, _ in drawn} == set(charts)

    # ---- the chain's view of every figure
    now = chain.blocks.head.timestamp
    tot, st = engine.totals(), staking.totals()
    last_stated = engine.last_stated()
    infos = {e: engine.epoch_info(e) for e in range(1, last_stated + 1)}
    owed_total = sum(i.usd_owed for i in infos.values())
    slashes = [staking.slash_info(i) for i in range(1, staking.slash_count() + 1)]
    slashing = sum(s.amount for s in slashes if s.outcome == 3)
    paid = tot.released_from_reward + tot.released_from_fee_io + tot.released_from_swap
    devices = [staking.device_at(i) for i in range(1, st.device_count + 1)]
    grants = _live_grants(suite, api_grants)

    cache: dict[tuple[str, int, int], int] = {}

    def vested(t: int, vault: str | None = None) -> int:
        """The vaults' vested(grant, t) over the live grants (web3 calls: ~10x faster than ape's)."""
        for name, c, g in grants:
            if vault in (None, name) and (name, g, t) not in cache:
                cache[name, g, t] = c.functions.vested(g, t).call()
        return sum(cache[name, g, t] for name, _, g in grants if vault in (None, name))

    ahead_times = [t for t in charts["unlocks"]["labels"] if t > now]
    expected = {
        "ratio-trailing": engine.sustainability_ratio_bps(),
        "ratio-all-time": tot.fee_usd_in * 10_000 // owed_total if owed_total else None,
        "paid-reward_vault": tot.released_from_reward,
        "paid-fee_io": tot.released_from_fee_io,
        "paid-fee_usdc_swap": tot.released_from_swap,
        "paid-revenue-share": (tot.released_from_fee_io + tot.released_from_swap) * 10_000 // paid if paid else None,
        "supply-total": token.totalSupply(),
        "supply-genesis": token.total_minted() - sched.total_emitted(),
        "supply-emitted": sched.total_emitted(),
        "supply-burned": token.total_minted() - token.totalSupply(),
        "supply-max": token.MAX_SUPPLY(),
        "burn-slashing": slashing,
        "burn-buyback": tot.burned_by_buyback,
        "burn-fee_io": tot.burned_fee_io,
        "burn-retirement": tot.retired,
        "burn-holders": tot.burned_elsewhere - slashing,
        "fee-usd-in": tot.fee_usd_in,
        "usd-owed-total": owed_total,
        "shortfall-usd": tot.shortfall_usd_total,
        "last-settled": engine.last_settled(),
        "twap": engine.price(),
        "twap-window": engine.twap_window(),
        "devices": st.device_count,
        "devices-jailed": sum(staking.is_jailed(d) for d in devices),
        "stake-owner": st.owner_active,
        "stake-co": st.co_staked,
        "unlocked-so-far": vested(now),
        "unlocks-ahead": vested(now + 100 * YEAR) - vested(now),
        "unlocks-year": vested(now + YEAR) - vested(now),
        "next-unlock": ahead_times[0] if ahead_times else None,
    }
    assert set(shown) == set(expected), set(shown) ^ set(expected)
    for name, (kind, value, text) in shown.items():
        want = expected[name]
        assert value == ("" if want is None else str(int(want))), (name, value, want)
        assert text == _text(kind, None if want is None else int(want)), (name, text)
    assert expected["ratio-trailing"] is not None and expected["paid-reward_vault"] > 0  # the demo paid rewards
    assert verdict == (
        "revenue"
        if expected["ratio-trailing"] >= 10_000
        else "mixed"
        if expected["ratio-trailing"] >= 5_000
        else "emission"
    )
    if ahead_times:  # nothing unlocks between now and the next unlock shown, something at it
        assert vested(ahead_times[0] - 1) == vested(now) < vested(ahead_times[0])

    # ---- every chart's series
    genesis = expected["supply-genesis"]
    out = charts["outlook"]
    assert out["labels"] == list(range(1, 21))
    hours = emission.HOURS_PER_YEAR
    cum = [sched.cumulative_through(y * hours) for y in range(0, 21)]
    assert out["series"]["max_supply_minted"] == [str(genesis + cum[y]) for y in range(1, 21)]
    assert out["series"]["emitted"] == [str(cum[y] - cum[y - 1]) for y in range(1, 21)]
    assert (
        charts["burns"]["series"]["burned"] == [str(expected[f"burn-{k}"]) for k in charts["burns"]["labels"]]
        and len(charts["burns"]["labels"]) == 5
    )
    ide = charts["ide"]
    assert ide["labels"] == list(range(1, last_stated + 1)) and last_stated > 0
    assert ide["series"]["usd_owed"] == [str(infos[e].usd_owed) for e in ide["labels"]]
    assert ide["series"]["fee_usd"] == [str(infos[e].fee_usd) for e in ide["labels"]]
    assert ide["series"]["sustainability_ratio_bps"] == [
        infos[e].fee_usd * 10_000 // infos[e].usd_owed if infos[e].usd_owed else None for e in ide["labels"]
    ]
    by_source = charts["paid"]["series"]
    assert [sum(int(x) for x in by_source[k]) for k in ("reward_vault", "fee_io", "fee_usdc_swap")] == [
        tot.released_from_reward,
        tot.released_from_fee_io,
        tot.released_from_swap,
    ]
    assert charts["price"]["series"]["price"] == [str(infos[e].twap_price) for e in charts["price"]["labels"]]
    classes = charts["classes"]
    per_class: dict[str, list[int]] = {}
    for d in devices:
        cls = "0x" + bytes(staking.device_info(d)[1]).hex()
        co = staking.co_stake(d)
        row = per_class.setdefault(cls, [0, 0, 0])
        row[0] += 1
        row[1] += staking.owner_stake(d)[0]
        row[2] += co.amount if co.state != 0 else 0
    assert {
        c: [n, int(a), int(o)]
        for c, n, a, o in zip(
            classes["labels"],
            classes["series"]["devices"],
            classes["series"]["owner_active"],
            classes["series"]["co_staked"],
            strict=True,
        )
    } == per_class
    unlocks = charts["unlocks"]
    times = unlocks["labels"]
    assert times == sorted(times) and len(times) > 1
    for category, series in unlocks["series"].items():  # all of it summed, a sample of the tranches
        vault, amounts = vault_of[category], [int(x) for x in series]
        assert sum(amounts) == vested(times[-1], vault) == vested(now + 100 * YEAR, vault), category
        nonzero = [i for i, x in enumerate(amounts) if x]
        zero = [i for i, x in enumerate(amounts) if not x]
        for i in {*nonzero[:1], *nonzero[len(nonzero) // 2 :][:1], *nonzero[-1:], *zero[:1]}:
            before = vested(times[i - 1], vault) if i else 0
            assert amounts[i] == vested(times[i], vault) - before, (category, times[i])
    assert SCREENSHOT.stat().st_size > 20_000


def _live_grants(suite, api_grants: list[dict]) -> list[tuple[str, object, int]]:  # noqa: ANN001
    """(vault key, contract, grant id) of every active grant as the API lists them, each checked
    against the vault's grant_state (amount)."""
    out = []
    for g in api_grants:
        if g["status"] != "active":
            continue
        vault = suite.contracts[g["vault"]]
        assert vault.grant_state(int(g["grant_id"])).amount == int(g["amount"]["value"])
        abi = json.loads((ROOT / suite.manifest.contracts[g["vault"]].abi).read_text())
        out.append((g["vault"], chain.provider.web3.eth.contract(address=vault.address, abi=abi), int(g["grant_id"])))
    return out

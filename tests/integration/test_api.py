"""The HTTP API (ionet/serve/api.py) under uvicorn on loopback, over a deployed suite after some
economy (the demo's staking, settlement and vesting sections, then two reward roots: one active
with a co-staker and a slash, one pending), its index and its proof store: every figure equals the
contracts' views, the API's calldata is accepted on chain, bad input is refused."""

from __future__ import annotations

import json

import pytest
from ape import chain

from ionet import ZERO_ADDRESS
from ionet.engines.rewards import address
from ionet.manifest import Manifest
from ionet.serve.api import ChainMismatch, create_app
from ionet.serve.proofs import ProofStore
from tests.api_helpers import Server, demo_like_economy
from tests.api_helpers import v as _v


def test_api__economy__views_equal_chain_proofs_claim_on_chain_bad_input_refused(restored_suite, tmp_path):
    suite = restored_suite
    dist, sched, staking, token = suite.RewardsDistributor, suite.EmissionSchedule, suite.NodeStaking, suite.IOToken
    router = suite.SettlementRouter
    demo = demo_like_economy(suite, tmp_path)
    eco, co_staker, r1, r2 = demo.eco, demo.co_staker, demo.r1, demo.r2
    solo, shared, slashed = demo.solo, demo.shared, demo.slashed
    w3, idx, store = chain.provider.web3, demo.indexer, demo.store

    # a manifest of another chain: refused at start
    other = Manifest.from_json(suite.manifest.to_json())
    other.chain_id = chain.chain_id + 1
    with pytest.raises(ChainMismatch, match="refusing to serve"):
        create_app(other, tmp_path / "index.sqlite", store, w3)

    app = create_app(suite.manifest, tmp_path / "index.sqlite", tmp_path / "proofs.sqlite", w3)
    with Server(app) as api:
        st = api.get("/v1/status")
        assert st["chain_id"] == chain.chain_id and st["indexed_through_block"] == chain.blocks.head.number
        assert st["active_root"]["root"] == "0x" + r1.tree.root.hex() and st["active_root"]["in_store"]
        assert st["pending_root"]["root"] == "0x" + r2.tree.root.hex()

        # ---- a device: staking equals the views; leaves, proofs and previews equal the chain's
        for d in (solo, shared, slashed):
            body = api.get(f"/v1/devices/0x{d.hex()}")
            owner, _, processors, wallet, _ = staking.device_info(d)
            assert (body["owner"], body["reward_wallet"], body["processors"]) == (owner, wallet, processors)
            active, cooldown, release_at = staking.owner_stake(d)
            assert (_v(body["stake"]["active"]), _v(body["stake"]["cooldown"])) == (active, cooldown)
            assert body["stake"]["active"]["decimals"] == 18 and body["stake"]["active"]["token"] == "IO"
            assert body["last_slash_id"] == staking.last_slash_id(d)
            rw = body["rewards"]
            assert [x["fields"]["owner_cumulative"]["value"] for x in rw["active_leaves"]] == [
                str(lf.owner_cumulative) for lf in r1.tree.leaves_of(d)
            ]
            for item, lf in zip(rw["active_leaves"], r1.tree.leaves_of(d), strict=True):
                proof = r1.tree.proof(d, lf.co_staker)
                assert item["proof"] == ["0x" + p.hex() for p in proof]
                p = dist.preview_claim(*lf, proof)
                got = item["preview_claim"]
                assert (
                    got["owner_wallet"],
                    _v(got["owner_amount"]),
                    got["co_staker"],
                    _v(got["co_amount"]),
                    got["reason"],
                ) == (p.owner_wallet, p.owner_amount, p.co_staker, p.co_amount, p.reason)
            assert len(rw["pending_leaves"]) == len(r2.tree.leaves_of(d)) and "pending" in rw["pending_note"]
            assert "claim_calldata" not in rw["pending_leaves"][0]
        co_body = api.get(f"/v1/devices/0x{shared.hex()}/co-stakes")
        co = staking.co_stake(shared)
        assert co_body["co_stake"]["co_staker"] == co.co_staker == address(co_staker)
        assert _v(co_body["co_stake"]["amount"]) == co.amount and co_body["co_stake"]["state"] == "active"
        assert any(h["event"] == "CoStakeAccepted" for h in co_body["history"])
        stakes = api.get(f"/v1/devices/0x{slashed.hex()}/stakes")
        assert _v(stakes["active"]) == staking.owner_stake(slashed)[0] and len(stakes["history"]) >= 2
        (sl,) = api.get(f"/v1/devices/0x{slashed.hex()}/slashes")["slashes"]
        info = staking.slash_info(sl["slash_id"])
        assert _v(sl["amount"]) == info.amount and sl["outcome"] == "pending"

        # ---- the API's calldata on chain: settle the slash, then claim; the preview said how much
        body = api.get(f"/v1/devices/0x{slashed.hex()}")["rewards"]
        (claim_item,) = body["active_leaves"]
        assert claim_item["preview_claim"]["reason"] == "RewardsDistributor: slash not settled"
        (settle_item,) = body["active_slash_leaves"]
        assert settle_item["preview_settle_slash"]["to_settle"]
        held = _v(settle_item["preview_settle_slash"]["owner_held"])
        eco.renter_x.transfer(dist.address, 0, data=settle_item["settle_calldata"])
        assert dist.held_of(slashed, ZERO_ADDRESS, settle_item["fields"]["slash_id"]) == (held, 1) and held > 0
        for d in (solo, shared, slashed):
            item = api.get(f"/v1/devices/0x{d.hex()}")["rewards"]["active_leaves"][0]
            owed = _v(item["preview_claim"]["owner_amount"]) + _v(item["preview_claim"]["co_amount"])
            wallet = item["preview_claim"]["owner_wallet"]
            before = token.balanceOf(wallet) + token.balanceOf(item["fields"]["co_staker"]) * (
                item["fields"]["co_staker"] != ZERO_ADDRESS
            )
            assert owed > 0 and item["preview_claim"]["would_succeed"]
            eco.renter_x.transfer(dist.address, 0, data=item["claim_calldata"])
            after = token.balanceOf(wallet) + token.balanceOf(item["fields"]["co_staker"]) * (
                item["fields"]["co_staker"] != ZERO_ADDRESS
            )
            assert after - before == owed
            again = api.get(f"/v1/devices/0x{d.hex()}")["rewards"]["active_leaves"][0]["preview_claim"]
            assert again["reason"] == "RewardsDistributor: nothing to claim"

        # ---- the proof endpoint (SQLite only), the co-staker, the pending root
        pr = api.get(f"/v1/proofs/0x{shared.hex()}")
        assert pr["root_status"] == "active" and pr["reward_leaves"][0]["proof"] == [
            "0x" + p.hex() for p in r1.tree.proof(shared)
        ]
        pend = api.get(f"/v1/proofs/0x{shared.hex()}?root=0x{r2.tree.root.hex()}")
        assert pend["root_status"] == "pending" and "not claimable before" in pend["note"]
        cs = api.get(f"/v1/co-stakers/{co_staker.address}")
        assert [c["device"] for c in cs["co_stakes"]] == ["0x" + shared.hex()]
        assert cs["rewards"]["active_leaves"][0]["fields"]["co_cumulative"]["value"] == str(
            r1.tree.leaf(shared, co_staker.address)[1].co_cumulative
        )

        # ---- accounts (the router's views), supply (the token's), vesting (the vaults')
        usdc = suite.USDC
        provider = eco.provider_a.address
        inc = api.get(f"/v1/accounts/{provider.lower()}/income")["income"]
        by_token = {a["token"]: _v(a) for a in inc}
        assert by_token.get("USDC", 0) == router.income(provider, usdc) and by_token.get("IO", 0) == router.income(
            provider, token
        )
        bookings = api.get(f"/v1/accounts/{eco.renter_x.address}/bookings")["bookings"]
        assert bookings and all(b["renter"] == eco.renter_x.address for b in bookings)
        for b in bookings:
            view = router.bookings(b["booking_id"])
            assert (b["hours"], _v(b["rate_per_hour"])) == (view.hours, view.rate)
        renters = {b["renter"] for b in api.get(f"/v1/accounts/{provider}/bookings")["bookings"]}
        for r in renters | {eco.renter_x.address}:
            ref = api.get(f"/v1/accounts/{r}/refunds")["router_refunds"]
            assert sum(_v(a) for a in ref if a["token"] == "USDC") == router.refunds(r, usdc)
        sup = api.get("/v1/supply")
        assert _v(sup["total_supply"]) == token.totalSupply() and _v(sup["minted"]) == token.total_minted()
        assert _v(sup["emitted"]) == sched.total_emitted() and _v(sup["genesis"]) == 500_000_000 * 10**18
        assert _v(sup["burned"]) == token.total_minted() - token.totalSupply()
        assert sum(_v(v) for v in sup["burned_by_source"].values()) == _v(sup["burned"])
        grants = api.get("/v1/vesting/grants")["grants"]
        assert {g["status"] for g in grants} >= {"active", "revoked", "moved"}
        for g in grants:
            if g["status"] == "moved":  # the grant lives on under its current id (listed too)
                assert any(h["grant_id"] == g["current_grant_id"] for h in grants)
                continue
            vault = suite.contracts[g["vault"]]
            gs = vault.grant_state(int(g["grant_id"]))
            assert _v(g["amount"]) == gs.amount and _v(g["claimed"]) == gs.claimed, g
        cal = api.get("/v1/vesting/calendar")["categories"]
        for cat in cal.values():
            vault = suite.contracts[cat["vault"]]
            if cat["calendar"]:
                last = cat["calendar"][-1]
                live = [g for g in grants if g["vault"] == cat["vault"] and g["status"] == "active"]
                assert _v(last["unlocked_total"]) == sum(vault.vested(int(g["grant_id"]), last["time"]) for g in live)
        out = api.get("/v1/emission/outlook")
        assert sum(_v(y["emitted"]) for y in out["years"]) <= 300_000_000 * 10**18 and len(out["years"]) == 20
        # ---- the Incentive Dynamic Engine: every epoch and total equals its views
        engine = suite.IncentiveEngine
        ide = api.get("/v1/ide/epochs")
        summary, epochs = ide["summary"], ide["epochs"]
        assert summary["active"] == engine.active() is True and summary["last_settled"] == engine.last_settled() > 0
        assert len(epochs) == engine.last_stated() and any(_v(e["burned"]["bought_back"]) for e in epochs)
        for e in epochs:
            info = engine.epoch_info(e["epoch"])
            assert (_v(e["usd_owed"]), _v(e["price"]), e["price_flag"], _v(e["fee_usd"]), e["settled"]) == (
                info.usd_owed,
                info.twap_price,
                info.price_flag,
                info.fee_usd,
                info.settled,
            ), e["epoch"]
            paid = sum(_v(x) for k, x in e["io_paid_by_source"].items() if k != "usdc_spent_on_swap")
            assert paid == _v(e["io_paid"]) and (e["sustainability_ratio_bps"] is None) == (info.usd_owed == 0)
        tot = engine.totals()
        assert _v(summary["fee_usd_in"]) == tot.fee_usd_in and _v(summary["burned"]["retired"]) == tot.retired
        assert [_v(summary["released"][k]) for k in ("reward_vault", "fee_io", "fee_usdc_swap")] == [
            tot.released_from_reward,
            tot.released_from_fee_io,
            tot.released_from_swap,
        ]
        assert sum(_v(e["burned"]["bought_back"]) for e in epochs) == tot.burned_by_buyback
        assert summary["sustainability_ratio_bps_trailing"] == engine.sustainability_ratio_bps()
        by_source = sup["burned_by_source"]
        assert (_v(by_source["buyback"]), _v(by_source["fee_io"]), _v(by_source["retirement"])) == (
            tot.burned_by_buyback,
            tot.burned_fee_io,
            tot.retired,
        )
        infos = [staking.slash_info(i) for i in range(1, staking.slash_count() + 1)]
        assert _v(by_source["slashing"]) == sum(i.amount for i in infos if i.outcome == 3) > 0
        assert _v(by_source["slashing"]) + _v(by_source["holders"]) == tot.burned_elsewhere

        # ---- bad input: malformed (422), unknown (404 with a reason), a root not in the store (404)
        assert api.get("/v1/devices/0x1234", 422)
        assert api.get("/v1/accounts/0xnothex/income", 422)
        assert api.get("/v1/proofs/0x" + "ab" * 32 + "?root=0x12", 422)
        assert "unknown device" in api.get("/v1/devices/0x" + "ab" * 32, 404)["detail"]
        assert "unknown device" in api.get("/v1/devices/0x" + "ab" * 32 + "/slashes", 404)["detail"]
        assert "unknown address" in api.get("/v1/accounts/0x" + "12" * 20 + "/bookings", 404)["detail"]
        assert "unknown co-staker" in api.get("/v1/co-stakers/0x" + "12" * 20, 404)["detail"]
        assert "not in the proof store" in api.get(f"/v1/proofs/0x{solo.hex()}?root=0x" + "11" * 32, 404)["detail"]
        assert "no leaf" in api.get("/v1/proofs/0x" + "ab" * 32, 404)["detail"]
    idx.close()


def test_openapi__committed_schema__is_current():
    """docs/openapi.json is what the app generates (`python -m ionet.serve.api openapi` rewrites it)."""
    from ionet.manifest import ROOT
    from ionet.serve.api import openapi_text

    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert committed == openapi_text(), "docs/openapi.json is stale: run `python -m ionet.serve.api openapi`"
    paths = json.loads(committed)["paths"]
    assert {"/v1/proofs/{device}", "/v1/devices/{device}", "/v1/supply", "/v1/ide/epochs"} <= set(paths)


def test_load__10000_leaves_300_proof_requests__bounded_on_loopback(tmp_path):
    """The load benchmark (benchmarks/bench_api.py) bounded: 10,000 leaves in the store, 300 proof
    requests over loopback, every proof verified; generous bounds (the machine is shared)."""
    from benchmarks.bench_api import load, make_index, make_manifest, make_tree

    tree, devices = make_tree(10_000)
    store = ProofStore(tmp_path / "proofs.sqlite")
    store.add_tree(tree)
    make_index(tmp_path / "index.sqlite", tree.root)
    app = create_app(
        make_manifest(chain.chain_id), tmp_path / "index.sqlite", tmp_path / "proofs.sqlite", chain.provider.web3
    )
    with Server(app) as api:
        r = load(api.port, tree, devices, 300, concurrency=4, seconds=30)
    assert r["p99_ms"] < 500 and r["rps"] > 20, r

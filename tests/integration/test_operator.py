"""The operator on Anvil (issue 19): for a simulated week the fleet simulator books and ends on the suite hour
by hour, the operator records, ends, states, settles and roots from its journal, one key per role; it
is killed mid-run (a signed transaction never broadcast, one broadcast but not marked sent) and a
fresh operator on the same journal carries on (three times). Every booking-hour recorded exactly
once, every epoch stated and settled exactly once, the root the rewards engine's."""

from __future__ import annotations

from collections import Counter

from ionet.service.run import LocalNetwork, report

DAYS = 7


def test_operator__a_week_on_anvil__killed_3_times__every_hour_and_epoch_once(suite, tmp_path):
    net = LocalNetwork(suite, tmp_path, devices=6, seed=3)
    net.prepare()
    # killed: a transaction signed and recorded but never broadcast, one broadcast but not marked sent
    kills = {net.start_hour + 10: "after sign", net.start_hour + 17: "after broadcast",
             net.start_hour + 4 * 24 + 1: "after sign"}
    net.run(DAYS, kill_at=kills)
    r = report(net)

    assert net.restarts == 3
    assert r.problems(DAYS) == []
    assert r.bookings >= 20 and r.booking_hours >= 300
    once = Counter(range(1, DAYS + 1))
    assert r.epochs_stated == once and r.epochs_settled == once and r.rooted_through >= DAYS
    assert r.failed == []
    # the transactions signed before the kills were broadcast/found by the fresh operator, not signed again
    j = net.operator.journal
    assert all(len(j.transactions(e.key)) == 1 for e in j.entries())
    # each role signed with its own key
    senders = {e.role: {x.sender for x in j.entries() if x.role == e.role} for e in j.entries()}
    assert {r: s for r, s in senders.items()} == {
        "operator": {net.signers["operator"].address},
        "oracle": {net.signers["oracle"].address},
        "keeper": {net.signers["keeper"].address},
    }
    # what /health and /metrics show is the chain's view after the last cycle
    _health_matches_chain(net)


def _health_matches_chain(net):
    import json
    import urllib.request

    from ape import chain

    from ionet.service.health import HealthServer

    assert net.operator.cycle() == 0  # the clock has not moved since the run's last cycle: nothing to send
    h, engine, dist = net.operator.health, net.suite.IncentiveEngine, net.suite.RewardsDistributor
    assert (h.last_stated, h.last_settled) == (engine.last_stated(), engine.last_settled()) == (DAYS, DAYS)
    assert h.epochs_ended == DAYS and h.lag_seconds == 0 and h.pending == 0 and h.failed == 0
    active_through = max(0, (int(dist.active().through_time) - int(engine.start_time())) // int(engine.EPOCH_SECONDS()))
    assert h.rooted_through == active_through >= DAYS - 1  # the last root may still wait out its delay
    assert h.balances == {r: chain.provider.web3.eth.get_balance(s.address) for r, s in net.signers.items()}
    assert h.low_balance == [] and h.cycles >= 1 and h.sent == net.operator.executor.sent_count
    server = HealthServer(lambda: h)
    try:
        with urllib.request.urlopen(server.url + "/health", timeout=5) as r:
            assert r.status == 200 and json.loads(r.read())["last_settled"] == DAYS
    finally:
        server.close()


def _executor(suite, tmp_path, **kw):
    from ape import chain

    from ionet.service.executor import Executor
    from ionet.service.journal import Journal
    from ionet.service.run import KEYS, fund_eth, role_keys

    w3 = chain.provider.web3
    signers = role_keys(7)
    for s in signers.values():
        fund_eth(w3, s.address)
    journal = Journal(tmp_path / "journal.db", confirmations=1)
    return Executor(w3, journal, signers, {k: suite.contracts[k] for k in KEYS}, **kw), journal


def test_executor__base_fee_spike__stuck_transaction_replaced_same_nonce_higher_fee(suite, tmp_path):
    from ape import chain

    from ionet.service.journal import Intent

    ex, journal = _executor(suite, tmp_path, wait=False, stuck_seconds=0)
    w3 = chain.provider.web3
    journal.write(Intent("mint_due", "mint_due:spike", "keeper"))
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        ex.send_planned()
        [first] = journal.transactions("mint_due:spike")
        # the base fee jumps far above what the transaction offers: it stays in the pool
        w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(first["max_fee"] * 20)])
        w3.provider.make_request("evm_mine", [])
        assert ex.view.receipt(first["tx_hash"]) is None
        assert ex.bump_stuck() == ["mint_due:spike"]
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    journal.reconcile(ex.view)
    txs = journal.transactions("mint_due:spike")
    entry = journal.get("mint_due:spike")
    assert len(txs) == 2 and txs[0]["nonce"] == txs[1]["nonce"] == entry.nonce
    assert txs[1]["max_fee"] >= txs[0]["max_fee"] * 20  # above the spiked base fee
    assert entry.status in ("mined", "confirmed") and entry.tx_hash == txs[1]["tx_hash"]
    assert ex.view.receipt(txs[0]["tx_hash"]) is None  # the stuck one was never mined


def test_executor__revert_and_missing_key__failed_with_reason_never_sent(suite, tmp_path):
    from ionet.service.journal import Intent

    ex, journal = _executor(suite, tmp_path)
    journal.write(Intent("settle", "settle:9", "keeper", {"epoch": 9}))  # the engine is not even active
    journal.write(Intent("retire", "retire:1", "governance", {"amount": 1}))
    ex.send_planned()
    settle, retire = journal.get("settle:9"), journal.get("retire:1")
    assert settle.status == "failed" and settle.reason.startswith("IncentiveEngine: ")
    assert retire.status == "failed" and retire.reason == "no key for role governance: not sent"
    assert journal.transactions("settle:9") == [] and journal.transactions("retire:1") == []
    assert ex.failures == {"revert": 1, "no_key": 1}


def test_operator__a_key_without_its_role__refused_at_start_naming_it(suite, tmp_path):
    import pytest
    from ape import chain

    from ionet.service.feed import Feed
    from ionet.service.run import KEYS, Operator, role_keys

    signers = role_keys(11)
    feed = Feed(tmp_path / "feed.db", origin=int(suite.EmissionSchedule.START_TIME()))
    contracts = {k: suite.contracts[k] for k in KEYS}
    with pytest.raises(SystemExit, match=f"the operator key {signers['operator'].address} lacks OPERATOR_ROLE on "):
        Operator(chain.provider.web3, contracts, tmp_path / "j.db", feed, signers, {})
    with pytest.raises(SystemExit, match="no key for role\\(s\\) keeper"):
        Operator(
            chain.provider.web3, contracts, tmp_path / "j.db", feed, {k: signers[k] for k in ("operator", "oracle")}, {}
        )


def test_daemon__manifest_of_another_chain_or_a_role_without_account__refused_at_start(suite, tmp_path):
    import dataclasses

    import pytest

    from ionet.manifest import write_manifest
    from ionet.service.daemon import build_operator, parse

    other = dataclasses.replace(suite.manifest, chain_id=suite.manifest.chain_id + 1)
    path = write_manifest(other, tmp_path / "other.json")
    args = parse(["--manifest", str(path), "--feed", str(tmp_path / "f.db"), "--workdir", str(tmp_path), "--local-keys",
                  "1"])
    with pytest.raises(SystemExit, match=f"the manifest is for chain {other.chain_id}, the network's RPC is chain "):
        build_operator(args, print)
    mine = write_manifest(suite.manifest, tmp_path / "mine.json")
    args = parse(["--manifest", str(mine), "--feed", str(tmp_path / "f.db"), "--workdir", str(tmp_path),
                  "--operator-account", "op"])
    with pytest.raises(SystemExit, match="no account for role\\(s\\) oracle, keeper: pass --<role>-account ALIAS"):
        build_operator(args, print)

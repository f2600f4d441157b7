"""The event indexer (ionet.serve.indexer): a deployed suite's state rebuilt from events alone equals the
contracts' own views; indexing is incremental."""

from __future__ import annotations

import copy

from ape import chain

from ionet import IO
from ionet.serve.indexer import Indexer, amount


def _balances(idx: Indexer, token: str) -> dict[str, int]:
    return {a: amount(b) for a, b in idx.query("SELECT account, balance FROM token_balances WHERE token = ?", [token])}


def test_sync__token_and_emission__state_equals_views_and_runs_incrementally(suite, owner, fund, alice, bob,
                                                                             tmp_path):
    token, sched = suite.IOToken, suite.EmissionSchedule
    w3 = chain.provider.web3
    idx = Indexer(w3, suite.manifest, tmp_path / "index.sqlite")
    first = idx.sync(chunk=7)
    assert first > 0 and idx.last_block() == chain.blocks.head.number

    fund(alice, 1_000 * IO)
    token.transfer(bob, 400 * IO, sender=alice)
    token.burn(100 * IO, sender=bob)
    chain.pending_timestamp += 7_200
    sched.mint_due(sender=owner)
    progress: list[tuple[int, int, int]] = []
    second = idx.sync(progress=lambda *a: progress.append(a))
    assert second > 0 and progress[-1][0] == chain.blocks.head.number == idx.last_block()
    assert idx.sync() == 0  # nothing new

    balances = _balances(idx, token.address)
    for account, value in balances.items():
        assert token.balanceOf(account) == value, account
    assert balances[alice.address] == 600 * IO and balances[bob.address] == 300 * IO
    supply, minted, burned = idx.query("SELECT supply, minted, burned FROM token_totals WHERE token = ?",
                                       [token.address])[0]
    assert amount(supply) == token.totalSupply()
    assert amount(minted) == token.total_minted()
    assert amount(burned) == token.total_minted() - token.totalSupply() == 100 * IO
    recipient, emitted, through = idx.query("SELECT recipient, total_emitted, through_epoch FROM emission")[0]
    assert recipient == sched.reward_recipient() and amount(emitted) == sched.total_emitted() and through == 2
    # the minters replayed from RoleMinterChanged: the emission schedule, not the deployer (issue 18)
    minters = idx.query("SELECT account, is_minter FROM token_minters WHERE token = ?", [token.address])
    assert sorted(minters) == sorted([(suite.deployer.address, 0), (sched.address, 1)])
    idx.close()


def test_index__demo_economy__every_view_equals_the_state_rebuilt_from_events(suite, tmp_path, capsys):
    """The whole demo economy (every section of `ape run demo`, on this test's chain), indexed from
    its events alone: staking (devices, stakes, co-stakes, slashes, refunds, totals), vesting (grants,
    rotations, revocations, totals), settlement (bookings, income, refunds, escrow, fees), rewards
    (roots, settled per party, held per party and slash, totals), the Incentive Dynamic Engine (vaults, epochs, every
    total of its dashboard), token balances and the emission equal the views."""
    # The demo deploys into the session's suite (the governance Safe, ...): this test's chain is rolled
    # back afterwards, so the suite's records are too (else a later test meets contracts that are gone).
    # Records are copied one by one: the governance hand-over reassigns a record's args (the pools'
    # position_owner), which a copy of the dict alone would not undo.
    saved = (
        dict(vars(suite)),
        dict(suite.contracts),
        {name: copy.copy(record) for name, record in suite.manifest.contracts.items()},
    )
    try:
        _demo_economy_indexed(suite, tmp_path)
    finally:
        vars(suite).clear()
        vars(suite).update(saved[0])
        suite.contracts.clear()
        suite.contracts.update(saved[1])
        suite.manifest.contracts.clear()
        suite.manifest.contracts.update(saved[2])


def _demo_economy_indexed(suite, tmp_path) -> None:  # noqa: ANN001
    import importlib

    from ionet.chain.economy import Economy
    from ionet.serve.index_check import compare
    from scripts.demo import SECTIONS

    eco = Economy(suite=suite)
    for name in SECTIONS:
        importlib.import_module(f"scripts.{name}").run(eco)
    idx = Indexer(chain.provider.web3, suite.manifest, tmp_path / "demo.sqlite")
    assert idx.sync() > 400
    result = compare(idx, suite.contracts, chain.blocks.head.timestamp)
    assert result.problems == [], "\n".join(result.problems[:40])
    counts = {t: idx.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in
              ("staking_devices", "staking_slashes", "vesting_grants", "router_bookings", "dist_roots", "dist_parties",
               "dist_holds", "ide_state", "ide_epochs", "desk_pools", "desk_trades")}
    assert all(counts.values()), counts  # the demo exercised every area
    assert result.checked > 300
    # the market desk's trades (the demo's WETH booking and IO withdrawals) are in the index, and each
    # desk booking is a router booking of the renter who paid
    for booking_id, renter in idx.query("SELECT booking_id, account FROM desk_trades WHERE kind = 'book_with_asset'"):
        assert idx.query("SELECT renter FROM router_bookings WHERE booking_id = ?", [booking_id])[0][0] == renter
    assert idx.query("SELECT COUNT(*) FROM desk_trades WHERE kind = 'withdraw_as_io'")[0][0] >= 2
    # the comparison can fail: one wrong stake and one wrong escrow in the index are both reported
    idx.db.execute("UPDATE staking_devices SET active = '1' WHERE rowid = (SELECT MIN(rowid) FROM staking_devices)")
    idx.db.execute("UPDATE router_ledgers SET escrow = '7' WHERE rowid = (SELECT MIN(rowid) FROM router_ledgers)")
    idx.db.execute("UPDATE ide_state SET burned_fee_io = '1'")
    idx.db.execute("UPDATE dist_holds SET held = '1' WHERE rowid = (SELECT MIN(rowid) FROM dist_holds)")
    tampered = compare(idx, suite.contracts, chain.blocks.head.timestamp).problems
    assert len(tampered) >= 4 and any("burned_fee_io" in p for p in tampered), tampered
    assert any(".held_of(" in p for p in tampered), tampered
    assert any("active" in p for p in tampered) and any("escrow" in p for p in tampered), tampered
    idx.close()

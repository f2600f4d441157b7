"""The operator under the faults it will meet (issue 19), on Anvil: an RPC that drops, delays or fails
20 % of its requests and loses the answer to transactions it did forward (a loopback proxy); a nonce
taken by another sender while the operator is down; a reorganisation that removes the operator's last
transactions. After each: every booking-hour recorded exactly once, every epoch stated and settled
exactly once, the root the rewards engine's, nothing failed, no intent sent as two transactions
unless the chain dropped the first."""

from __future__ import annotations

from collections import Counter

from ape import chain

from ionet.service.run import LocalNetwork, report
from tests.rpc_proxy import FaultProxy

DAYS = 1


def _each_once(r, days: int = DAYS) -> None:
    assert r.problems(days) == []
    assert r.epochs_stated == Counter({e: 1 for e in range(1, days + 1)}) == r.epochs_settled
    assert r.failed == [] and r.bookings >= 2 and r.booking_hours >= 10


def test_operator__rpc_fails_20_percent_and_loses_sent_transactions__every_hour_and_epoch_once(suite, tmp_path):
    log: list[str] = []
    with FaultProxy(chain.provider.uri, rate=0.2, lose_rate=0.5, seed=5) as proxy:
        net = LocalNetwork(suite, tmp_path, devices=4, seed=5, operator_rpc=proxy.url, log=log.append)
        net.prepare()
        net.run(DAYS)
        r = report(net)
    _each_once(r)
    c = proxy.counts
    assert c["drop"] >= 10 and c["delay"] >= 10 and c["fail"] >= 10, c
    assert c["lose sendRawTransaction"] >= 5, c  # forwarded, answer lost: the node had them
    assert c["drop"] + c["delay"] + c["fail"] >= 0.15 * c["requests"]
    j = net.operator.journal
    # a lost answer is retried with the same signed bytes: one transaction per intent, never a second
    assert all(len(j.transactions(e.key)) == 1 for e in j.entries())


def test_operator__nonce_taken_while_down__intent_dropped_then_sent_again_once(suite, tmp_path):
    from eth_account import Account

    taken: list[tuple[str, int]] = []

    def someone_else_uses_the_nonce(_h, dead):
        """While the operator is down, another process sends with the same key at the nonce the
        operator had signed for (its transaction was never broadcast)."""
        w3 = chain.provider.web3
        [entry] = dead.journal.entries(["signed"])
        signer = {s.address: s for s in net.signers.values()}[entry.sender]
        tx = {"to": signer.address, "value": 0, "gas": 21_000, "nonce": entry.nonce, "chainId": w3.eth.chain_id,
              "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "type": 2}
        w3.eth.send_raw_transaction(Account.sign_transaction(tx, signer.key).raw_transaction)
        taken.append((entry.key, entry.nonce))

    net = LocalNetwork(suite, tmp_path, devices=3, seed=6)
    net.prepare()
    net.run(DAYS, kill_at={net.start_hour + 5: "after sign"}, after_kill=someone_else_uses_the_nonce)
    r = report(net)

    _each_once(r)
    [(key, nonce)] = taken
    j = net.operator.journal
    txs = j.transactions(key)
    assert [t["nonce"] for t in txs][0] == nonce and len(txs) == 2 and txs[1]["nonce"] > nonce
    assert j.get(key).status == "confirmed" and j.get(key).nonce == txs[1]["nonce"]
    assert chain.provider.web3.eth.get_transaction_receipt(txs[1]["tx_hash"])["status"] == 1


def test_operator__reorg_removes_its_last_transactions__sent_again_and_each_once(suite, tmp_path):
    log: list[str] = []
    removed: list[str] = []

    def reorg_after_the_epoch(rel_hour, n):
        """After the cycle that states, settles and roots epoch 1 (the renters have stopped): the blocks
        of its transactions not yet final (within the operator's confirmations) leave the chain
        (anvil_rollback), as a reorg would do."""
        if rel_hour != DAYS * 24 or removed:
            return
        w3, j = chain.provider.web3, n.operator.journal
        mined = j.entries(["mined"])
        assert mined, "the epoch's cycle left nothing within the confirmation depth"
        fork = min(e.block_number for e in mined)
        assert not [e for e in j.entries(["confirmed"]) if e.block_number >= fork]
        removed.extend(e.key for e in mined)
        w3.provider.make_request("anvil_rollback", [w3.eth.block_number - fork + 1])

    net = LocalNetwork(suite, tmp_path, devices=3, seed=7, log=log.append, confirmations=6)
    net.prepare()
    net.run(DAYS, on_hour=reorg_after_the_epoch)
    r = report(net)

    _each_once(r)
    assert len(removed) >= 2, removed
    j = net.operator.journal
    for key in removed:
        assert any(line.startswith(f"{key}: reorged") for line in log), key
        entry = j.get(key)
        assert entry.status == "confirmed", (key, entry.status)
        assert chain.provider.web3.eth.get_transaction_receipt(entry.tx_hash)["status"] == 1
        assert len(j.transactions(key)) == 1  # the same signed transaction, sent again
    assert net.operator.reader.reorgs >= 1

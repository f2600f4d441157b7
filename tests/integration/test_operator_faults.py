"""The operator under the faults it will meet (issue 19), on Anvil, in one simulated day (one run keeps
`make test` short; each fault is checked on its own below):

- its RPC drops, delays or fails 20 % of the requests and loses the answer to half the transactions
  it does forward (a loopback proxy, tests/rpc_proxy.py);
- while it is down (killed right after signing), another sender takes the nonce it had signed for;
- after the cycle that states, settles and roots the day, a reorganisation removes its transactions
  that are not yet final (within its confirmations).

After it: every booking-hour recorded exactly once, every epoch stated and settled exactly once, the
root the rewards engine's, nothing failed, and one transaction per intent except the one whose nonce
was taken (sent again once, at a new nonce)."""

from __future__ import annotations

from collections import Counter

from ape import chain
from eth_account import Account

from ionet.service.run import LocalNetwork, report
from tests.rpc_proxy import FaultProxy

DAYS = 1


def test_operator__rpc_faults_nonce_taken_and_reorg__every_hour_and_epoch_once(suite, tmp_path):
    w3 = chain.provider.web3
    log: list[str] = []
    taken: list[tuple[str, int]] = []
    removed: list[str] = []

    def someone_else_uses_the_nonce(_h, dead):
        """While the operator is down, another process sends with the same key at the nonce the
        operator had signed for (its transaction was never broadcast)."""
        [entry] = dead.journal.entries(["signed"])
        signer = {s.address: s for s in net.signers.values()}[entry.sender]
        tx = {"to": signer.address, "value": 0, "gas": 21_000, "nonce": entry.nonce, "chainId": w3.eth.chain_id,
              "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "type": 2}
        w3.eth.send_raw_transaction(Account.sign_transaction(tx, signer.key).raw_transaction)
        taken.append((entry.key, entry.nonce))

    def reorg_after_the_epoch(rel_hour, n):
        """After the cycle that states, settles and roots epoch 1 (the renters have stopped): the
        blocks of its transactions not yet final leave the chain (anvil_rollback), as a reorg would."""
        if rel_hour != DAYS * 24 or removed:
            return
        j = n.operator.journal
        mined = j.entries(["mined"])
        assert mined, "the epoch's cycle left nothing within the confirmation depth"
        fork = min(e.block_number for e in mined)
        assert not [e for e in j.entries(["confirmed"]) if e.block_number >= fork]
        removed.extend(e.key for e in mined)
        w3.provider.make_request("anvil_rollback", [w3.eth.block_number - fork + 1])

    with FaultProxy(chain.provider.uri, rate=0.2, lose_rate=0.5, seed=5) as proxy:
        net = LocalNetwork(suite, tmp_path, devices=4, seed=5, operator_rpc=proxy.url, log=log.append,
                           confirmations=6)
        net.prepare()
        net.run(DAYS, kill_at={net.start_hour + 5: "after sign"}, after_kill=someone_else_uses_the_nonce,
                on_hour=reorg_after_the_epoch)
        r = report(net)

    # the economy: each hour and epoch once
    assert r.problems(DAYS) == []
    assert r.epochs_stated == Counter({1: 1}) == r.epochs_settled
    assert r.failed == [] and r.bookings >= 2 and r.booking_hours >= 10
    j = net.operator.journal

    # the RPC faults were met, and a lost answer was retried with the same signed bytes
    c = proxy.counts
    assert c["drop"] >= 10 and c["delay"] >= 10 and c["fail"] >= 10, c
    assert c["lose sendRawTransaction"] >= 5, c  # forwarded, answer lost: the node had them
    assert c["drop"] + c["delay"] + c["fail"] >= 0.15 * c["requests"]
    [(taken_key, nonce)] = taken
    assert all(len(j.transactions(e.key)) == 1 for e in j.entries() if e.key != taken_key)

    # the taken nonce: its intent was dropped, then sent again once at a new nonce, and mined
    txs = j.transactions(taken_key)
    assert len(txs) == 2 and txs[0]["nonce"] == nonce and txs[1]["nonce"] > nonce
    assert j.get(taken_key).status == "confirmed" and j.get(taken_key).nonce == txs[1]["nonce"]
    assert w3.eth.get_transaction_receipt(txs[1]["tx_hash"])["status"] == 1

    # the reorg: what left the chain was seen as reorged, sent again as it was, and is final now
    assert len(removed) >= 2, removed
    for key in removed:
        assert any(line.startswith(f"{key}: reorged") for line in log), key
        entry = j.get(key)
        assert entry.status == "confirmed", (key, entry.status)
        assert w3.eth.get_transaction_receipt(entry.tx_hash)["status"] == 1
    assert net.operator.reader.reorgs >= 1


def test_batch_call__rpc_failing_half_the_requests__same_answers_as_single_calls(suite):
    """The chain reader's batched views (ionet/service/rpc.py): 1,201 calls in batches of 500 through an
    RPC that drops, delays or fails half the requests; every answer equals ape's own call, structs
    and multi-value returns included, and a call that reverts raises with the node's message."""
    import pytest

    from ionet.service.chain import web3_contracts
    from ionet.service.rpc import View, batch_call, connect

    s = suite
    with FaultProxy(chain.provider.uri, rate=0.5, seed=2) as proxy:
        w3 = connect(proxy.url)
        c = web3_contracts(w3, {k: str(s.contracts[k].address) for k in ("NodeStaking", "SettlementRouter",
                                                                          "RewardsDistributor")})
        staking, router = c["NodeStaking"], c["SettlementRouter"]
        device = bytes(s.NodeStaking.device_at(1)) if s.NodeStaking.device_count() else b"\1" * 32
        bookings = View(router, "bookings")
        calls = [bookings(b) for b in range(400)]
        calls += [View(staking, "device_info")(device), View(staking, "reward_split")(device)] * 400
        pending = View(c["RewardsDistributor"], "pending")
        calls += [pending()]
        block = w3.eth.block_number
        got = batch_call(w3, calls, block)
        assert proxy.counts["drop"] + proxy.counts["fail"] >= 1, proxy.counts  # retried, not lucky

        assert len(got) == 1_201
        for b in (0, 1, 399):
            bk = bookings.struct(got[b])
            want = s.SettlementRouter.bookings(b)
            assert (bk.renter.lower(), bk.hours, bk.open) == (str(want.renter).lower(), want.hours, want.open)
        info, split = got[400], got[401]
        assert tuple(x.lower() if isinstance(x, str) else x for x in info) == tuple(
            x.lower() if isinstance(x, str) else bytes(x) if not isinstance(x, int) else x
            for x in s.NodeStaking.device_info(device))
        assert [str(x).lower() for x in split[:2]] == [str(x).lower() for x in s.NodeStaking.reward_split(device)[:2]]
        assert pending.struct(got[-1]).root_id == s.RewardsDistributor.pending().root_id

        # a call the contract refuses (no OPERATOR_ROLE for the zero sender): raised with its reason
        with pytest.raises(RuntimeError, match="failed: execution reverted: access_control: account is missing role$"):
            batch_call(w3, [View(router, "record_work_batch")([1], [1])], block)

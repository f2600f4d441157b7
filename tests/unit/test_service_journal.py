"""The journal of intents: keys unique, items claimed once, the life of an intent, and `reconcile`
against a small fake chain view (mined, reverted, dropped, pending, reorged, replaced)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionet.service.journal import (
    CONFIRMED,
    DROPPED,
    FAILED,
    MINED,
    PLANNED,
    SENT,
    DuplicateItem,
    Intent,
    Journal,
    JournalError,
    Receipt,
)


@dataclass
class View:
    receipts: dict[str, Receipt] = field(default_factory=dict)
    nonces: dict[str, int] = field(default_factory=dict)
    blocks: list[str] = field(default_factory=lambda: [f"0xb{i}" for i in range(20)])

    def receipt(self, tx_hash):
        return self.receipts.get(tx_hash)

    def nonce(self, account):
        return self.nonces.get(account, 0)

    def head(self):
        return len(self.blocks) - 1

    def block_hash(self, number):
        return self.blocks[number] if number < len(self.blocks) else None


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path / "j.db", confirmations=3, durable=False)


def _send(j, key, nonce=0, tx="0xt", sender="0xop", fee=100):
    j.signed(key, sender, nonce, tx, fee, raw="raw")
    return j.sent(key)


def test_journal_write__same_key__one_intent(journal):
    a, created = journal.write(Intent("settle", "settle:1", "keeper", {"epoch": 1}))
    b, again = journal.write(Intent("settle", "settle:1", "keeper", {"epoch": 999}))
    assert created and not again and a == b and b.payload == {"epoch": 1}
    assert len(journal.entries()) == 1


def test_journal_write__item_claimed_by_a_live_intent__refused(journal):
    journal.write(Intent("record_work_batch", "r:a", "operator", {}, ("record_work:1:0", "record_work:1:1")))
    with pytest.raises(DuplicateItem):
        journal.write(Intent("record_work_batch", "r:b", "operator", {}, ("record_work:2:0", "record_work:1:1")))
    assert journal.get("r:b") is None  # nothing written
    assert journal.live_items("record_work:1:") == {"record_work:1:0", "record_work:1:1"}
    journal.failed("r:a", "SettlementRouter: booking not open")
    assert journal.live_items() == set()  # a failed intent's items are released
    journal.write(Intent("record_work_batch", "r:b", "operator", {}, ("record_work:2:0", "record_work:1:1")))
    assert journal.live_items_under(["record_work:1:", "record_work:2:"]) == {"record_work:2:0", "record_work:1:1"}


def test_journal_status__out_of_order_transition__refused(journal):
    journal.write(Intent("settle", "settle:1", "keeper"))
    with pytest.raises(JournalError, match="not signed"):
        journal.sent("settle:1")
    _send(journal, "settle:1")
    with pytest.raises(JournalError, match="is sent, not planned"):
        journal.signed("settle:1", "0xop", 1, "0xother", 100)
    with pytest.raises(JournalError, match="not one of its transactions"):
        journal.mined("settle:1", Receipt("0xstranger", True, 1, "0xb1"))


def test_reconcile__receipt_found__mined_then_confirmed_after_n_blocks(journal):
    view = View()
    journal.write(Intent("settle", "settle:1", "keeper"))
    _send(journal, "settle:1", tx="0xa")
    view.receipts["0xa"] = Receipt("0xa", True, 18, "0xb18")
    assert [o.outcome for o in journal.reconcile(view)] == ["mined"]  # 2 blocks deep of 3
    assert journal.get("settle:1").status == MINED
    view.blocks.append("0xb20")
    assert [o.outcome for o in journal.reconcile(view)] == ["confirmed"]
    assert journal.get("settle:1").status == CONFIRMED
    assert journal.reconcile(view) == []


def test_reconcile__reverted__failed_with_reason_never_rearmed(journal):
    view = View()
    journal.write(Intent("state_epoch", "state_epoch:4", "oracle"))
    _send(journal, "state_epoch:4", tx="0xa")
    view.receipts["0xa"] = Receipt("0xa", False, 10, "0xb10", "IncentiveEngine: epoch already stated")
    [out] = journal.reconcile(view)
    assert out.outcome == "failed" and out.detail == "IncentiveEngine: epoch already stated"
    entry, created = journal.write(Intent("state_epoch", "state_epoch:4", "oracle"))
    assert not created and entry.status == FAILED  # the plan cannot re-arm it
    journal.retry("state_epoch:4")  # only an operator's deliberate decision
    assert journal.get("state_epoch:4").status == PLANNED and journal.get("state_epoch:4").attempts == 2


def test_reconcile__nonce_taken__dropped_then_rearmed_once(journal):
    view = View(nonces={"0xop": 5})
    journal.write(Intent("record_work_batch", "r:1", "operator", {"v": 1}, ("record_work:1:0",)))
    _send(journal, "r:1", nonce=4, tx="0xa")  # nonce 4 was used by something else
    [out] = journal.reconcile(view)
    assert out.outcome == "dropped" and journal.get("r:1").status == DROPPED
    assert journal.live_items() == set()
    entry, created = journal.write(Intent("record_work_batch", "r:1", "operator", {"v": 2}, ("record_work:1:0",)))
    assert created and entry.status == PLANNED and entry.attempts == 2 and entry.payload == {"v": 2}
    assert len(journal.entries()) == 1 and journal.live_items() == {"record_work:1:0"}


def test_reconcile__signed_never_broadcast__pending_with_raw_tx(journal):
    """A crash between recording the signed transaction and broadcasting it: nothing on chain, the
    nonce free: it stays signed, to be broadcast again (the same raw transaction)."""
    view = View(nonces={"0xop": 4})
    journal.write(Intent("settle", "settle:1", "keeper"))
    journal.signed("settle:1", "0xop", 4, "0xa", 100, raw="0xraw")
    [out] = journal.reconcile(view)
    assert out.outcome == "pending" and journal.transactions("settle:1")[-1]["raw"] == "0xraw"


def test_reconcile__crash_between_broadcast_and_record__found(journal):
    view = View(nonces={"0xop": 5})
    journal.write(Intent("settle", "settle:1", "keeper"))
    journal.signed("settle:1", "0xop", 4, "0xa", 100)  # broadcast, then killed before `sent`
    view.receipts["0xa"] = Receipt("0xa", True, 5, "0xb5")
    [out] = journal.reconcile(view)
    assert out.outcome == "confirmed" and journal.get("settle:1").tx_hash == "0xa"


def test_journal_replaced__same_nonce_fee_bumped__either_tx_recorded(journal):
    view = View(nonces={"0xop": 8})
    journal.write(Intent("settle", "settle:1", "keeper"))
    _send(journal, "settle:1", nonce=7, tx="0xa", fee=100)
    with pytest.raises(JournalError, match="not 10 % above"):
        journal.replaced("settle:1", "0xb", 109)
    journal.replaced("settle:1", "0xb", 110)
    txs = journal.transactions("settle:1")
    assert [t["nonce"] for t in txs] == [7, 7] and [t["max_fee"] for t in txs] == [100, 110]
    view.receipts["0xa"] = Receipt("0xa", True, 12, "0xb12")  # the first one won after all
    [out] = journal.reconcile(view)
    assert out.outcome == "confirmed" and journal.get("settle:1").tx_hash == "0xa"


def test_reconcile__block_reorged__back_to_sent_then_confirmed(journal):
    view = View(nonces={"0xop": 1})
    journal.write(Intent("settle", "settle:1", "keeper"))
    _send(journal, "settle:1", tx="0xa")
    view.receipts["0xa"] = Receipt("0xa", True, 18, "0xb18")
    journal.reconcile(view)
    view.blocks[18] = "0xfork18"  # the block is gone; the transaction back in the pool
    del view.receipts["0xa"]
    view.nonces["0xop"] = 0
    outs = [o.outcome for o in journal.reconcile(view)]
    assert outs == ["reorged", "pending"] and journal.get("settle:1").status == SENT
    view.receipts["0xa"] = Receipt("0xa", True, 19, "0xb19")
    view.blocks += ["0xb20", "0xb21"]
    assert [o.outcome for o in journal.reconcile(view)] == ["confirmed"]


def test_journal_open__after_a_restart__same_intents_and_items(tmp_path):
    j = Journal(tmp_path / "j.db", durable=False)
    j.write(Intent("settle", "settle:1", "keeper", {"epoch": 1}, ("x",)))
    j.signed("settle:1", "0xop", 3, "0xa", 100, raw="r")
    j.close()
    again = Journal(tmp_path / "j.db")
    e = again.get("settle:1")
    assert e.status == "signed" and e.nonce == 3 and again.live_items() == {"x"}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["state_epoch", "settle", "publish_root"]), st.integers(1, 6)), max_size=30))
def test_journal_write__any_sequence_of_keys__keys_unique(tmp_path_factory, writes):
    j = Journal(tmp_path_factory.mktemp("j") / "j.db", durable=False)
    for kind, epoch in writes:
        j.write(Intent(kind, f"{kind}:{epoch}", "oracle", {"epoch": epoch}))
    assert len(j.entries()) == len({(k, e) for k, e in writes})

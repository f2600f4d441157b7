"""ionet/chain/safe.py (the Safe 1.4.1 client in plain Python) against the real Safe of the governed
suite, and ionet/chain/timelock.py's operation ids."""

from __future__ import annotations

import json

import pytest
from ape import chain
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from ionet import ZERO_ADDRESS
from ionet.chain import safe
from ionet.chain.safe import SafeTx, exec_transaction_args, load_artifact, pack_signatures, safe_tx_hash, typed_data


@pytest.fixture
def council(governed):
    return governed.contracts["Safe.governance"]


def sample_tx(nonce: int = 7) -> SafeTx:
    return SafeTx(
        to="0x" + "ab" * 20,
        data=bytes.fromhex("deadbeef") + b"\x01" * 40,
        value=3,
        nonce=nonce,
        safe_tx_gas=11,
        base_gas=12,
        gas_price=13,
        gas_token="0x" + "cd" * 20,
        refund_receiver="0x" + "ef" * 20,
    )


def test_load_artifact__pinned_1_4_1__runtime_code_equals_the_deployed_singleton(governed):
    art = load_artifact("SafeL2")
    assert safe.installed_version() == "1.4.1"
    singleton = governed.manifest.contracts["Safe.singleton"]
    assert bytes(chain.provider.web3.eth.get_code(singleton.address)) == art.deployed_bytecode
    assert singleton.code_hash == art.code_hash
    assert (
        json.loads((safe.ROOT / "package.json").read_text())["devDependencies"]["@safe-global/safe-contracts"]
        == "1.4.1"
    )


def test_load_artifact__other_version_installed__refused(monkeypatch):
    monkeypatch.setattr(safe, "installed_version", lambda: "1.3.0")
    with pytest.raises(safe.SafeArtifactError, match="1.4.1 expected"):
        load_artifact("Safe")


def test_safe_tx_hash__equals_get_transaction_hash_and_eip712(council):
    tx = sample_tx()
    ours = safe_tx_hash(chain.chain_id, council.address, tx)
    theirs = council.getTransactionHash(*exec_transaction_args(tx, b"")[:9], tx.nonce)
    assert ours == bytes(theirs)
    eip712 = encode_typed_data(full_message=typed_data(chain.chain_id, council.address, tx))
    assert keccak(b"\x19" + eip712.version + eip712.header + eip712.body) == ours
    assert safe.domain_separator(chain.chain_id, council.address) == bytes(council.domainSeparator())


def test_sign__recover__gives_the_owner():
    key = "0x" + "11" * 32
    owner, sig = safe.sign(key, 31337, "0x" + "22" * 20, sample_tx())
    assert owner == Account.from_key(key).address and len(sig) == 65 and sig[-1] in (27, 28)
    assert safe.recover(31337, "0x" + "22" * 20, sample_tx(), sig) == owner
    assert safe.recover(31337, "0x" + "22" * 20, sample_tx(nonce=8), sig) != owner


def test_pack_signatures__ascending_owner_addresses():
    sigs = {"0x" + "bb" * 20: b"\x02" * 65, "0x" + "0a" * 20: b"\x01" * 65, "0x" + "ff" * 20: b"\x03" * 65}
    assert pack_signatures(sigs) == b"\x01" * 65 + b"\x02" * 65 + b"\x03" * 65


def test_pack_signatures__not_65_bytes__raises():
    with pytest.raises(ValueError, match="not 65"):
        pack_signatures({"0x" + "aa" * 20: b"\x00" * 64})


def test_encode_exec_transaction__equals_the_contract_abi_encoding(council):
    tx, sigs = sample_tx(), b"\x09" * 130
    assert safe.encode_exec_transaction(tx, sigs) == bytes(
        council.execTransaction.encode_input(*exec_transaction_args(tx, sigs))
    )


def test_encode_setup__threshold_out_of_range__raises():
    with pytest.raises(ValueError, match="threshold 3 with 2 owners"):
        safe.encode_setup(["0x" + "aa" * 20, "0x" + "bb" * 20], 3, ZERO_ADDRESS)
    with pytest.raises(ValueError, match="threshold 0"):
        safe.encode_setup(["0x" + "aa" * 20], 0, ZERO_ADDRESS)


def test_created_safe__owners_threshold_and_fallback_handler__as_configured(governed, accounts):
    record = governed.manifest.contracts["Safe.governance"]
    council = governed.contracts["Safe.governance"]
    assert sorted(council.getOwners()) == sorted(a.address for a in accounts[13:16])
    assert council.getThreshold() == 2 and record.args["threshold"] == 2
    handler_slot = int.from_bytes(keccak(text="fallback_manager.handler.address"), "big")
    stored = chain.provider.web3.eth.get_storage_at(council.address, handler_slot)
    assert stored[-20:] == bytes.fromhex(governed.manifest.contracts["Safe.fallback_handler"].address[2:])

"""The published artefacts: committed ABIs are fresh, and deployments write a usable manifest."""

from __future__ import annotations

import json

from ape import chain

from ionet import abi
from ionet.manifest import ROOT, Manifest, manifest_path
from tests.ape_subprocess import ape_run


def test_abi__committed_files__match_the_compiler_output():
    """abi/<Contract>.json must be regenerated (`make abi`) whenever an interface changes."""
    assert abi.stale_abis() == [], "stale ABIs: run `make abi` and commit abi/"
    assert set(abi.deployable_contracts()) <= {p.stem for p in abi.ABI_DIR.glob("*.json")}


def test_abi__mocks_and_interfaces__not_published():
    published = {p.stem for p in abi.ABI_DIR.glob("*.json")}
    assert not any(name.startswith("Mock") for name in published)
    interfaces = {p.stem for p in (abi.CONTRACTS / "interfaces").glob("*.vyi")}
    modules = {p.stem for p in (abi.CONTRACTS / "modules").glob("*.vy")}
    assert interfaces and modules and not published & (interfaces | modules)


def test_manifest__deployed_suite__records_every_contract(suite):
    m = suite.manifest
    assert m.chain_id == chain.chain_id
    assert m.genesis_time > 0
    for key, record in m.contracts.items():
        instance = suite.contracts[key]
        assert record.address == instance.address
        receipt = chain.provider.get_receipt(record.tx)
        if record.args.get("created_by"):  # a Uniswap pool, created by the factory in that transaction
            assert receipt.receiver == record.args["created_by"]
        else:
            assert receipt.contract_address == instance.address
        assert receipt.block_number == record.block
        assert (ROOT / record.abi).exists()
    assert {"IOToken", "EmissionSchedule"} <= set(m.contracts)
    again = Manifest.from_json(m.to_json())
    assert again.contracts["IOToken"].address == m.contracts["IOToken"].address


def test_manifest_path__local_vs_live():
    assert manifest_path("ethereum", "local") == ROOT / ".build" / "deployment-ethereum-local.json"
    assert manifest_path("ethereum", "sepolia") == ROOT / "deployments" / "ethereum-sepolia.json"


def test_deploy_script__ape_run_deploy__writes_manifest_on_a_fresh_anvil():
    """`ape run deploy` end to end, on its own Anvil (another port, so the test chain is untouched)."""
    out = ape_run("deploy", timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    manifest = json.loads(manifest_path("ethereum", "local").read_text())
    assert manifest["chain_id"] == 31337
    assert "IOToken" in manifest["contracts"] and "EmissionSchedule" in manifest["contracts"]
    assert manifest["parameters"]["genesis"][0]["amount_io"] == 100_000_000
    assert "manifest:" in out.stdout

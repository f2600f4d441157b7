"""The live deploy as a new user runs it: a keystore account imported with `ape accounts import`,
an Anvil posing as Sepolia, `ape run deploy --governance` and `ape run roles --strict` in
subprocesses (tests/live_helpers.py). Checked here:

* the deploy shows one plan (network, chain id, deployer, transactions, gas, cost) rehearsed on a
  fork, asks once, and with no answer (no terminal) sends nothing;
* `--yes` with APE_ACCOUNTS_deployer_PASSPHRASE runs unattended: no "Sign:" prompt anywhere;
* a deploy stopped halfway (IONET_DEPLOY_STOP_AFTER; the first run without a rehearsal) resumes
  from its partial manifest, redeploying nothing; the transactions of both runs add up to the plan;
* `ape run roles --strict` passes on the result and fails on a manifest whose deployer is
  someone who still holds roles;
* (issue 18) the rehearsal prints none of ape's transaction lines before the plan; `--fresh` moves
  the old manifest out of the manifest's folder (deployments/ in a real checkout, committed) into
  ape's data folder; running the finished deploy again says "nothing to do" and neither asks nor
  unlocks the key.
"""

from __future__ import annotations

import json
import re

import pytest
from ape import project

from ionet.manifest import Manifest
from tests.live_helpers import (
    PASSPHRASE,
    deploy_stand_in_uniswap_factory,
    deploy_stand_in_usdc,
    fund,
    import_keystore,
    live_config,
    start_sepolia_anvil,
)

STOP_AFTER = 20


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    net = start_sepolia_anvil(tmp_path_factory.mktemp("sepolia"))
    try:
        yield net
    finally:
        net.stop()


def test_live_deploy__keystore_account__plan_once_unattended_resume_and_strict_audit(live):
    deployer = import_keystore(live)
    fund(live, deployer)
    usdc = deploy_stand_in_usdc(live, project.MockUSDC.contract_type.deployment_bytecode.bytecode)
    config = live_config(live, usdc, factory=deploy_stand_in_uniswap_factory(live))
    manifest = live.workdir / "ethereum-sepolia.json"
    deploy = [
        "run",
        "deploy",
        "--network",
        live.network,
        "--account",
        "deployer",
        "--config",
        str(config),
        "--governance",
        "--confirmations",
        "0",
        "--manifest",
        str(manifest),
    ]

    # 1. interactive, nobody at the terminal: the plan, one question, nothing sent
    asked = live.ape(*deploy)
    assert asked.returncode != 0
    assert "deploy plan" in asked.stdout and "Deploy? [y/N]" in asked.stdout
    assert f"deployer     {deployer}" in asked.stdout and "chain id 11155111" in asked.stdout
    planned = int(re.search(r"transactions (\d+) \(rehearsed", asked.stdout).group(1))
    gas = int(re.search(r"gas\s+([\d,]+) at", asked.stdout).group(1).replace(",", ""))
    assert planned > 40 and gas > 30_000_000 and "ETH" in asked.stdout
    assert live.w3.eth.get_transaction_count(deployer) == 0 and not manifest.exists()
    before_plan = asked.stdout[: asked.stdout.index("deploy plan")] + asked.stderr
    assert "Confirmed" not in before_plan and "deployed to" not in before_plan, before_plan[-2000:]

    # 2. unattended (--yes + passphrase in the environment), over an abandoned attempt's manifest
    # (--fresh: moved out of the manifest's folder, deployments/ in a checkout, which is committed,
    # into ape's data folder), without a rehearsal (--no-rehearsal), stopped halfway on purpose
    env = {"APE_ACCOUNTS_deployer_PASSPHRASE": PASSPHRASE}
    abandoned = Manifest(chain_id=11_155_111, network="ethereum:sepolia", deployer=deployer, complete=False).to_json()
    manifest.write_text(abandoned)
    first = live.ape(*deploy, "--yes", "--fresh", "--no-rehearsal", IONET_DEPLOY_STOP_AFTER=str(STOP_AFTER), **env)
    assert first.returncode == 3, first.stdout[-3000:] + first.stderr[-3000:]
    assert "run the same command again to resume" in first.stderr
    assert "Sign:" not in first.stdout + first.stderr
    assert "transactions unknown" in first.stdout and "skipped (--no-rehearsal)" in first.stdout
    [kept] = re.findall(r"previous manifest moved to (\S+)", first.stdout)
    backups = list((live.data_folder / "ionet-deploy-backups").iterdir())
    assert [str(b) for b in backups] == [kept] and backups[0].read_text() == abandoned
    assert not [p.name for p in live.workdir.iterdir() if ".bak" in p.name]
    partial = Manifest.from_json(manifest.read_text())
    assert not partial.complete and len(partial.journal) == STOP_AFTER
    assert live.w3.eth.get_transaction_count(deployer) == STOP_AFTER

    # 3. the same command again: resumes, reuses what exists, finishes, audits
    second = live.ape(*deploy, "--yes", **env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "resuming from" in second.stdout and "Sign:" not in second.stdout + second.stderr
    assert f"transactions {planned - STOP_AFTER} (rehearsed" in second.stdout
    assert "governance audit: 27 role holdings checked, no problem" in second.stdout
    final = Manifest.from_json(manifest.read_text())
    assert final.complete and len(final.journal) == planned
    assert live.w3.eth.get_transaction_count(deployer) == planned
    assert all(final.contracts[k].address == r.address for k, r in partial.contracts.items())
    assert final.governance["min_delay_seconds"] == 3_600

    # 4. the audit, read from the chain, passes --strict ...
    roles = live.ape("run", "roles", "--network", live.network, "--manifest", str(manifest), "--strict")
    assert roles.returncode == 0, roles.stdout[-3000:] + roles.stderr[-3000:]
    assert "no problem" in roles.stdout and "Safe.guardian (2 of 3)" in roles.stdout

    # ... and fails, with the reason, when the deployer is an account that holds a role (the manifest
    # names the operational key as its deployer)
    raw = json.loads(manifest.read_text())
    raw["deployer"] = live.w3.eth.accounts[7]
    tampered = live.workdir / "tampered.json"
    tampered.write_text(json.dumps(raw))
    failing = live.ape("run", "roles", "--network", live.network, "--manifest", str(tampered), "--strict")
    assert failing.returncode == 1
    assert "SettlementRouter OPERATOR_ROLE: held by the deployer" in failing.stdout

    # 5. the finished deploy run again, interactively, no passphrase anywhere: nothing to do, no
    # question, no key
    finished = manifest.read_text()
    again = live.ape(*deploy)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "transactions 0 (rehearsed" in again.stdout and "nothing to do" in again.stdout
    assert "Deploy? [y/N]" not in again.stdout and "passphrase" not in (again.stdout + again.stderr).lower()
    assert live.w3.eth.get_transaction_count(deployer) == planned
    assert manifest.read_text() == finished  # nothing to write either


def test_roles_script__fresh_local_chain__deploys_governed_suite_and_passes_strict():
    """`make roles` on a machine with no running deployment: `ape run roles --deploy-if-missing --strict`."""
    from tests.ape_subprocess import ape_run

    out = ape_run("roles", "--deploy-if-missing", "--strict", timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "deploying the governed local suite first" in out.stdout
    assert "roles: 27 holdings, no problem" in out.stdout

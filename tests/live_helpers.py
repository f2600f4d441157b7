"""A live network as a new user meets it, on this machine: an Anvil posing as Sepolia (chain id
11155111, its own port), a keystore account made as `ape accounts import` makes it (in a temporary
APE_DATA_FOLDER), a stand-in USDC with code, and a live-style deploy config. Used by
tests/integration/test_live_deploy.py, which drives `ape run deploy` and `ape run roles` in
subprocesses exactly as a person or a release pipeline would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3

from ionet.manifest import ROOT
from tests.ape_subprocess import free_port

SEPOLIA_CHAIN_ID = 11_155_111
PASSPHRASE = "correct horse battery staple"
# Anvil's well-known dev keys (mnemonic "test test ... junk"): the deployer is a fresh key instead.
DEPLOYER_KEY = "0x" + "5e" * 32


@dataclass
class LiveNet:
    proc: subprocess.Popen
    port: int
    data_folder: Path
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def network(self) -> str:
        return f"ethereum:sepolia:{self.url}"

    @property
    def w3(self) -> Web3:
        return Web3(HTTPProvider(self.url))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, APE_DATA_FOLDER=str(self.data_folder), COLUMNS="160")
        env.pop("APE_FOUNDRY_HOST", None)  # the rehearsal fork picks its own port
        env.update(extra)
        return env

    def ape(self, *args: str, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
        ape = os.path.join(os.path.dirname(sys.executable), "ape")
        return subprocess.run(
            [ape, *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def increase_time(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])


def start_sepolia_anvil(workdir: Path) -> LiveNet:
    port = free_port()
    proc = subprocess.Popen(
        ["anvil", "--chain-id", str(SEPOLIA_CHAIN_ID), "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data = workdir / "ape-data"
    data.mkdir(parents=True, exist_ok=True)
    net = LiveNet(proc=proc, port=port, data_folder=data, workdir=workdir)
    deadline = time.monotonic() + 30
    while True:
        try:
            assert net.w3.eth.chain_id == SEPOLIA_CHAIN_ID
            return net
        except Exception:
            if time.monotonic() > deadline:
                net.stop()
                raise
            time.sleep(0.2)


def import_keystore(net: LiveNet, alias: str = "deployer") -> str:
    """`ape accounts import <alias>` as a person types it: the private key, then the passphrase twice."""
    out = net.ape("accounts", "import", alias, timeout=120)  # no stdin: must fail, proving it asks
    assert out.returncode != 0
    ape = os.path.join(os.path.dirname(sys.executable), "ape")
    done = subprocess.run(
        [ape, "accounts", "import", alias],
        cwd=ROOT,
        env=net.env(),
        text=True,
        input=f"{DEPLOYER_KEY}\n{PASSPHRASE}\n{PASSPHRASE}\n",
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (net.data_folder / "accounts" / f"{alias}.json").exists()
    return Account.from_key(DEPLOYER_KEY).address


def fund(net: LiveNet, address: str, eth: int = 100) -> None:
    net.w3.provider.make_request("anvil_setBalance", [address, hex(eth * 10**18)])


def deploy_stand_in_usdc(net: LiveNet, creation_code: str) -> str:
    """A 6-decimal token with code at its address (the network's USDC in a real deploy)."""
    w3 = net.w3
    sender = w3.eth.accounts[0]
    tx = w3.eth.send_transaction({"from": sender, "data": creation_code})
    return w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]


def deploy_stand_in_uniswap_factory(net: LiveNet) -> str:
    """Uniswap V3's factory from its npm artifact, standing for the one every live network has (the
    deploy creates the IO/USDC pool through it; it never deploys Uniswap itself)."""
    from ionet.chain.uniswap import contract_type

    w3 = net.w3
    code = contract_type("UniswapV3Factory").deployment_bytecode.bytecode
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "data": code})
    return w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]


def live_config(net: LiveNet, usdc: str, delay: int = 3_600, factory: str = "") -> Path:
    """config/deploy.example-live.json with real addresses: Safe owners, operational keys, USDC, the
    network's Uniswap factory (no other asset pools: this chain has none)."""
    cfg = json.loads((ROOT / "config" / "deploy.example-live.json").read_text())
    cfg["market"].update({"assets": [], "uniswap": {"factory": factory}})
    dev = net.w3.eth.accounts  # Anvil's funded dev accounts stand for the people
    cfg["settlement"].update({"usdc": usdc, "operator": dev[7], "treasury": dev[8]})
    cfg["staking"].update({"slasher": dev[7], "pauser": dev[9]})
    cfg["rewards"].update({"oracle": dev[7], "governance": dev[9]})
    cfg["governance"].update(
        {
            "governance_safe": {"owners": dev[1:4], "threshold": 2},
            "guardian_safe": {"owners": dev[4:7], "threshold": 2},
            "timelock": {"min_delay_seconds": delay, "executor": "anyone"},
        }
    )
    path = net.workdir / "deploy.sepolia.json"
    path.write_text(json.dumps(cfg, indent=2))
    return path

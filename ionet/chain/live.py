"""A live deploy a person (or a release pipeline) can run: one plan, one confirmation, then
unattended signing.

* `rehearse`: the whole deploy (or what a resumed one still has to do) is run first on a throwaway
  Anvil that forks the target network, from the deployer's address (impersonated: no key, no
  signature). It counts the transactions and their gas exactly, with the network's real state
  (its USDC, its Safe contracts, the partial deployment being resumed).
* `plan_lines`: network, chain id, deployer and balance, transactions, gas, and cost at the
  current gas price.
* `unlock`: an ape keystore account is unlocked once (`set_autosign`), with the passphrase from
  `APE_ACCOUNTS_<alias>_PASSPHRASE` or one prompt, so no transaction asks "Sign: [y/N]"; never when
  the plan has nothing to send.
* `backup_manifest`: `--fresh` moves the old manifest out of `deployments/` (committed) into ape's
  data folder.

The rehearsal silences ape's logger below ERROR: its "Confirmed …" and "Contract … deployed" lines
for the rehearsed transactions would look like the real deploy starting before the plan is shown.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ape import accounts, chain, networks
from ape.logging import LogLevel, logger

from ionet.manifest import Manifest

WEI_PER_ETH = 10**18


@dataclass
class Plan:
    transactions: int
    gas: int
    error: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_rpc(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    from web3 import HTTPProvider, Web3

    w3 = Web3(HTTPProvider(url))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the rehearsal Anvil exited ({proc.returncode})")
        try:
            if w3.eth.chain_id:
                return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError("the rehearsal Anvil did not start")


def rpc_url() -> str | None:
    """The HTTP(S) endpoint of the connected provider, if it has one."""
    url = getattr(chain.provider, "http_uri", None)
    return str(url) if url and str(url).startswith("http") else None


def rehearse(
    deployer_address: str,
    run: Callable[[Any, Manifest | None], Any],
    resume: Manifest | None,
) -> Plan:
    """Run `run(deployer, resume_copy)` (which calls deploy_suite) on an Anvil forking the connected
    network, as the impersonated deployer; return what it sent. Nothing reaches the real network."""
    url = rpc_url()
    if not url:
        return Plan(0, 0, "the provider has no HTTP endpoint to fork")
    port = _free_port()
    fork_url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        ["anvil", "--fork-url", url, "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved_host = os.environ.get("APE_FOUNDRY_HOST")
    try:
        _wait_for_rpc(fork_url, proc)
        os.environ["APE_FOUNDRY_HOST"] = fork_url
        with quiet_ape(), networks.ethereum.local.use_provider("foundry", disconnect_after=True) as provider:
            provider.set_balance(deployer_address, 10**9 * WEI_PER_ETH)
            deployer = accounts.test_accounts.impersonate_account(deployer_address)
            suite = run(deployer, copy.deepcopy(resume) if resume else None)
            return Plan(transactions=suite.journal.sent, gas=suite.journal.gas_used)
    except Exception as err:  # the plan is advice: a failed rehearsal is shown, not fatal
        return Plan(0, 0, f"{type(err).__name__}: {err}".splitlines()[0][:300])
    finally:
        if saved_host is None:
            os.environ.pop("APE_FOUNDRY_HOST", None)
        else:
            os.environ["APE_FOUNDRY_HOST"] = saved_host
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def quiet_ape(level: LogLevel = LogLevel.ERROR) -> Iterator[None]:
    """ape's logger at `level` inside the block, restored however the block ends (ape's own
    `at_level` does not restore it when the block raises)."""
    saved = logger.level
    logger.set_level(level)
    try:
        yield
    finally:
        logger.set_level(saved)


def has_nothing_to_send(plan: Plan) -> bool:
    """A rehearsed plan (not skipped, not failed) of zero transactions: no confirmation, no key."""
    return not plan.error and plan.transactions == 0


BACKUP_FOLDER = "ionet-deploy-backups"


def backup_manifest(path: Path, data_folder: Path | None = None) -> Path:
    """Move the manifest at `path` out of the project (`deployments/` is committed) into
    `<ape data folder>/ionet-deploy-backups/<name>.<UTC time>.json`; returns the new path."""
    if data_folder is None:
        from ape import config

        data_folder = Path(config.DATA_FOLDER)
    folder = data_folder / BACKUP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(path, target)  # the data folder may be on another file system
    return target


def gas_price() -> int:
    return int(chain.provider.web3.eth.gas_price)


def fmt_eth(wei: int) -> str:
    return f"{wei / WEI_PER_ETH:,.6f} ETH"


def plan_lines(network: str, deployer: Any, plan: Plan, governance: bool, resumed: Manifest | None) -> list[str]:
    price = gas_price()
    balance = int(chain.provider.get_balance(deployer.address))
    lines = [
        f"network      {network} (chain id {chain.chain_id})",
        f"deployer     {deployer.address} (balance {fmt_eth(balance)})",
    ]
    if resumed is not None:
        done = f"{len(resumed.journal)} transactions already done ({len(resumed.contracts)} contracts)"
        lines.append(f"resuming     {done}")
    held = "Safes + timelock (--governance)" if governance else "NONE: the deployer keeps every role"
    lines.append(f"governance   {held}")
    if plan.error:
        lines.append(f"transactions unknown: the rehearsal on a fork failed ({plan.error})")
    else:
        cost = plan.gas * price
        lines += [
            f"transactions {plan.transactions} (rehearsed on a fork of the network)",
            f"gas          {plan.gas:,} at {price / 10**9:,.3f} gwei = {fmt_eth(cost)}",
        ]
        if cost > balance:
            lines.append(f"WARNING      the deployer's balance does not cover the estimated cost ({fmt_eth(cost)})")
    return lines


def unlock(account: Any) -> None:
    """Unlock a keystore account once for the whole deploy (passphrase from
    APE_ACCOUNTS_<alias>_PASSPHRASE, else one prompt). Test accounts need nothing."""
    if hasattr(account, "set_autosign"):
        account.set_autosign(True)
        logging.getLogger("ape").addFilter(_QuietCachedKey())


class _QuietCachedKey(logging.Filter):
    """ape warns "Using cached key for <alias>" before every signature of an unlocked account."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Using cached key" not in record.getMessage()

"""The operator as its own process, on any network: cycles on chain time until stopped.

    python -m ionet.service.daemon --network ethereum:local:foundry --manifest M --feed F --workdir W \\
        --local-keys 1                                   # a local chain: the deterministic role keys
    python -m ionet.service.daemon --network ethereum:sepolia:node --manifest deployments/… --feed F \\
        --workdir W --operator-account op --oracle-account oracle --keeper-account keeper

It connects ape to the network (the chain reader reads views and events through it) and opens its
own retrying connection for the executor (ionet/service/rpc.py). Each role's key is an ape keystore
account, unlocked once at start (its passphrase from IONET_<ROLE>_PASSPHRASE, else asked); a key
without its role on chain, or a manifest of another chain, is refused at start, naming what is wrong.

Then, until SIGTERM/SIGINT: a cycle (`Operator.cycle`: reconcile the journal, plan, send), a status
file (`<workdir>/status.json`, replaced atomically after each cycle: head block, chain time, what the
cycle sent), and a pause of `--poll` seconds when the cycle had nothing to send. The process keeps
nothing in memory that the journal and the feed do not hold: `kill -9` at any moment and a new start
on the same workdir carries on (the chaos run, `make chaos`, checks it). /health and /metrics on
`--health-port` (ionet/service/health.py), JSON-lines logs on stderr and in `<workdir>/operator.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

STATUS = "status.json"


def keystore_signer(alias: str, role: str) -> Any:
    """An ape keystore account as an eth_account signer, unlocked once."""
    import getpass

    from ape import accounts
    from eth_account import Account

    account = accounts.load(alias)
    passphrase = os.environ.get(f"IONET_{role.upper()}_PASSPHRASE")
    if passphrase is None:
        passphrase = getpass.getpass(f"passphrase of {alias} (the {role} key): ")
    return Account.from_key(Account.decrypt(json.loads(Path(account.keyfile_path).read_text()), passphrase))


def write_status(workdir: Path, status: dict[str, Any]) -> None:
    tmp = workdir / (STATUS + ".tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, workdir / STATUS)


def read_status(workdir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(workdir) / STATUS).read_text())
    except (FileNotFoundError, ValueError):
        return None


def build_operator(args: argparse.Namespace, log: Any) -> Any:
    from ape import Contract, chain

    from ionet.chain.deploy_ide import ide_config
    from ionet.config import load_config
    from ionet.manifest import Manifest
    from ionet.service.feed import Feed
    from ionet.service.rpc import connect
    from ionet.service.run import KEYS, ROLES, Operator, role_keys

    manifest = Manifest.from_json(Path(args.manifest).read_text())
    chain_id = int(chain.chain_id)
    if manifest.chain_id != chain_id:
        raise SystemExit(f"the manifest is for chain {manifest.chain_id}, the network's RPC is chain {chain_id}")
    abi_root = Path(__file__).resolve().parents[2] / "abi"
    contracts = {
        k: Contract(manifest.contracts[k].address, abi=json.loads((abi_root / f"{k}.json").read_text())) for k in KEYS
    }
    if args.local_keys is not None:
        signers = role_keys(args.local_keys)
    else:
        named = {r: getattr(args, f"{r}_account") for r in ROLES}
        missing = [r for r, alias in named.items() if not alias]
        if missing:
            raise SystemExit(f"no account for role(s) {', '.join(missing)}: pass --<role>-account ALIAS")
        signers = {r: keystore_signer(alias, r) for r, alias in named.items()}
    cfg = load_config(args.config_network, args.config)
    ide = ide_config(SimpleNamespace(config=cfg))
    targets = {k: int(v) for k, v in ide["usd_target_per_processor_hour_usd6"].items()}
    origin = int(contracts["EmissionSchedule"].START_TIME())
    rpc = args.rpc or chain.provider.uri
    return Operator(
        connect(rpc),
        contracts,
        Path(args.workdir) / "journal.db",
        Feed(args.feed, origin=origin),
        signers,
        targets,
        int(manifest.contracts["SettlementRouter"].block),
        confirmations=args.confirmations,
        log=log,
    )


def serve(args: argparse.Namespace) -> int:
    from ape import chain

    from ionet.service.health import HealthServer, JsonLog
    from ionet.service.rpc import is_transient

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log = JsonLog(str(workdir / "operator.jsonl"), stream=sys.stderr)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    started = time.time()
    op = build_operator(args, log)
    server = HealthServer(lambda: op.health, port=args.health_port) if args.health_port >= 0 else None
    log("started", pid=os.getpid(), health=server.url if server else None,
        roles={r: s.address for r, s in op.signers.items()}, startup_seconds=round(time.time() - started, 3))
    try:
        while not stop.is_set():
            head = chain.provider.web3.eth.get_block("latest")
            try:
                sent = op.cycle()
            except Exception as err:
                if not is_transient(err):
                    raise
                op.executor.failures["rpc"] = op.executor.failures.get("rpc", 0) + 1
                log(f"the RPC failed ({type(err).__name__}): cycle again", level="warning")
                stop.wait(args.poll)
                continue
            write_status(workdir, {"pid": os.getpid(), "cycles": op.cycles, "block": int(head["number"]),
                                   "chain_time": int(head["timestamp"]), "sent": sent, "at": time.time(),
                                   "started": started})
            if sent == 0:
                stop.wait(args.poll)
    finally:
        if server is not None:
            server.close()
        op.close()
        log("stopped")
        log.close()
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ionet.service.daemon", description=__doc__.split("\n")[0])
    p.add_argument("--network", default="ethereum:local:foundry", help="ape network choice")
    p.add_argument("--rpc", default=None,
                   help="the operator's RPC URL for its reads and transactions (default: the ape provider's)")
    p.add_argument("--manifest", required=True)
    p.add_argument("--feed", required=True, help="the usage feed (docs/usage-feed.md)")
    p.add_argument("--workdir", required=True, help="journal, status and log")
    p.add_argument("--config-network", default="local", help="which config/deploy.<name>.json holds the USD targets")
    p.add_argument("--config", default=None, help="an explicit deploy config path")
    p.add_argument("--local-keys", type=int, default=None, help="a local chain: the deterministic role keys of SEED")
    for role in ("operator", "oracle", "keeper"):
        p.add_argument(f"--{role}-account", default=None, help=f"ape keystore alias of the {role} key")
    p.add_argument("--confirmations", type=int, default=2)
    p.add_argument("--poll", type=float, default=1.0, help="seconds between cycles with nothing to send")
    p.add_argument("--health-port", type=int, default=-1, help="serve /health and /metrics (0: any port; -1: off)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from ape import networks

    with networks.parse_network_choice(args.network):
        return serve(args)


if __name__ == "__main__":
    sys.exit(main())

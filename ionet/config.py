"""Deployment configuration: which file a network reads, and what it holds.

`config/deploy.<network>.json` (e.g. `deploy.local.json`, `deploy.sepolia.json`) or a path given
with `--config`. Amounts are whole IO in the file and wei everywhere else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"

GENESIS_CATEGORIES = ("community", "rnd_ecosystem", "seed", "series_a", "core_contributors")


def config_path(network: str, explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit)
    path = CONFIG_DIR / f"deploy.{network}.json"
    if not path.exists():
        raise FileNotFoundError(f"no deployment config for network '{network}': create {path} or pass --config")
    return path


def load_config(network: str, explicit: str | None = None) -> dict[str, Any]:
    cfg = json.loads(config_path(network, explicit).read_text())
    total = sum(int(g["amount_io"]) for g in cfg["genesis"])
    if total != 500_000_000:
        raise ValueError(f"genesis in config sums to {total:,} IO, not 500,000,000")
    return cfg


def resolve_address(value: str, deployer: str) -> str:
    """'deployer' → the deploying account; anything else is taken as an address."""
    return deployer if value == "deployer" else value

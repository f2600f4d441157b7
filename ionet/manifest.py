"""Deployment manifests: what was deployed where, for ABI consumers (front ends, indexers).

A manifest is plain JSON:

    {
      "chain_id": 31337, "network": "ethereum:local", "deployer": "0x…",
      "deployed_at": "2026-11-24T18:00:00Z", "genesis_time": 1764000000,
      "contracts": {"IOToken": {"address": "0x…", "tx": "0x…", "block": 1, "abi": "abi/IOToken.json"}, …},
      "parameters": {…},
      "complete": true, "journal": {…}, "pending": null, "governance": {…},
    }

`journal` records every transaction the deploy sent (action key -> transaction hash and block) and
`pending` the one in flight: a deploy that stopped halfway resumes from them without sending
anything twice (`ionet.chain.journal`). `complete` is false until the last step ran.
`governance` (a governed deploy only): the Safes, the timelock and its pending operations.

Local runs write it under `.build/`, live networks to `deployments/<ecosystem>-<network>.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ContractRecord:
    address: str
    tx: str
    block: int
    abi: str
    args: dict[str, Any] = field(default_factory=dict)
    code_hash: str = ""  # keccak256 of the runtime code at deployment: a resumed deploy checks it


@dataclass
class Manifest:
    chain_id: int
    network: str
    deployer: str
    genesis_time: int = 0
    deployed_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    complete: bool = True
    journal: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, Any] | None = None
    governance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=_jsonable) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        raw["contracts"] = {k: ContractRecord(**v) for k, v in raw["contracts"].items()}
        return cls(**raw)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int):
        return value
    return str(value)


def manifest_path(ecosystem: str, network: str) -> Path:
    """Where a network's manifest lives: `.build/` for local chains, `deployments/` otherwise."""
    if network == "local":
        return ROOT / ".build" / f"deployment-{ecosystem}-{network}.json"
    return ROOT / "deployments" / f"{ecosystem}-{network}.json"


def write_manifest(manifest: Manifest, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")  # written after every deploy step: never leave half a file
    tmp.write_text(manifest.to_json())
    tmp.replace(path)
    return path

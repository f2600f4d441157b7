"""The committed ABIs in `abi/`: publish them from the compiler output, or check they are fresh.

`python -m ionet.abi publish` copies `.build/abi/<Contract>.json` for every deployable contract
(not mocks, not modules) into `abi/`, formatted stably; `check` exits 1 when they differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
BUILD_ABI = ROOT / ".build" / "abi"
ABI_DIR = ROOT / "abi"


def deployable_contracts() -> list[str]:
    """Top-level contracts/*.vy: the ones scripts deploy (mocks/ and modules/ are left out)."""
    return sorted(p.stem for p in CONTRACTS.glob("*.vy"))


def _normalized(raw: str) -> str:
    return json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"


def expected_abis() -> dict[str, str]:
    out = {}
    for name in deployable_contracts():
        src = BUILD_ABI / f"{name}.json"
        if not src.exists():
            raise FileNotFoundError(f"{src} missing: run `ape compile` first")
        out[name] = _normalized(src.read_text())
    return out


def stale_abis() -> list[str]:
    """Names whose committed ABI differs from the compiler's, or is missing, or should not exist."""
    expected = expected_abis()
    stale = [n for n, text in expected.items() if not (ABI_DIR / f"{n}.json").exists()
             or (ABI_DIR / f"{n}.json").read_text() != text]
    stale += [p.stem for p in ABI_DIR.glob("*.json") if p.stem not in expected]
    return sorted(stale)


def publish() -> list[str]:
    ABI_DIR.mkdir(exist_ok=True)
    expected = expected_abis()
    for p in ABI_DIR.glob("*.json"):
        if p.stem not in expected:
            p.unlink()
    for name, text in expected.items():
        (ABI_DIR / f"{name}.json").write_text(text)
    return sorted(expected)


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "publish"
    if cmd == "publish":
        names = publish()
        print(f"abi/: {len(names)} ABIs published ({', '.join(names)})")
        return 0
    if cmd == "check":
        stale = stale_abis()
        if stale:
            print(f"stale ABIs: {', '.join(stale)}; run `make abi`")
            return 1
        print("abi/ is up to date")
        return 0
    print("usage: python -m ionet.abi [publish|check]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

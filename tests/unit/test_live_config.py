"""config/deploy.example-live.json and docs/deploy.md's list of what to edit in a copy of it (issue 18,
the live path): every key whose example value is a network's contract address or a placeholder, and
every operational key, is in the list."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ionet.chain.roles import ROLE_TABLE, Holder
from ionet.manifest import ROOT

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf; a list's items count under the list's key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("_"):
                yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item, path)
    else:
        yield ".".join(path), node


def _edit_list() -> set[str]:
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text[text.index("**What to edit in the copy.**") : text.index("**Resume.**")]
    return set(re.findall(r"`([a-z_]+(?:\.[a-z_*]+)+)`", section))


def _named(key: str, named: set[str]) -> bool:
    return any(key == n or key.startswith(n + ".") for n in named)


def test_deploy_manual__what_to_edit__names_every_address_and_placeholder_of_the_example():
    cfg = json.loads((ROOT / "config" / "deploy.example-live.json").read_text())
    specific = {
        key for key, value in _leaves(cfg)
        if isinstance(value, str) and (ADDRESS.match(value) or value.startswith("REPLACE"))
    }
    assert {"settlement.usdc", "market.uniswap.factory", "market.assets.token", "market.assets.pool"} <= specific
    named = _edit_list()
    assert [key for key in sorted(specific) if not _named(key, named)] == []


def test_deploy_manual__what_to_edit__names_every_operational_key():
    named = _edit_list()
    keys = {spec.config_key for spec in ROLE_TABLE if spec.holder is Holder.OPERATIONAL}
    assert [key for key in sorted(keys) if not _named(key, named)] == []

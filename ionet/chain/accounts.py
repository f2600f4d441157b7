"""Which account signs: a named ape account on live networks, test account 0 on local chains."""

from __future__ import annotations

from typing import Any

from ape import accounts


def pick_account(alias: str | None, is_local: bool) -> Any:
    if alias:
        if alias.startswith("TEST::"):
            return accounts.test_accounts[int(alias.split("::", 1)[1])]
        return accounts.load(alias)
    if not is_local:
        raise SystemExit("a live network needs --account <ape account alias> (see `ape accounts list`)")
    return accounts.test_accounts[0]

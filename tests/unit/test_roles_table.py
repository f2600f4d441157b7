"""ionet/chain/roles.py's table: every line names a role the contract really has, and the governance
manual's table (docs/contracts/governance.md) says the same, line for line and holder for holder."""

from __future__ import annotations

import json
import re

import pytest

from ionet.abi import ABI_DIR
from ionet.chain.roles import (
    ADMIN_HOLDERS,
    DEFAULT_ADMIN_ROLE,
    OWNER,
    ROLE_TABLE,
    Holder,
    is_governed,
    role_hash,
    specs_for,
)
from ionet.manifest import ContractRecord


def abi_of(name: str) -> list[dict]:
    return json.loads((ABI_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("spec", ROLE_TABLE, ids=lambda s: f"{s.contract}:{s.role}")
def test_role_table__each_line__names_a_role_or_owner_the_contract_has(spec):
    contract = spec.contract.split(".")[0]
    names = {item.get("name") for item in abi_of(contract) if item.get("type") == "function"}
    roles = spec.role if isinstance(spec.role, tuple) else (spec.role,)
    if spec.role == OWNER:
        assert {"owner", "pending_owner", "transfer_ownership", "accept_ownership"} <= names
    elif spec.role == DEFAULT_ADMIN_ROLE:
        assert {"DEFAULT_ADMIN_ROLE", "grantRole", "hasRole"} <= names
    else:
        assert any(r in names for r in roles)
    if spec.holder is Holder.OPERATIONAL:
        assert spec.config_key.count(".") == 1
    else:
        assert spec.holder in ADMIN_HOLDERS or spec.holder is Holder.EXECUTOR


def test_specs_for__vault_glob__matches_every_vault_only():
    assert [r for _s, r in specs_for("VestingVault.core_contributors")] == [OWNER]
    assert specs_for("VestingVaultX") == []


def test_role_hash__default_admin_is_zero_and_others_keccak():
    assert role_hash(DEFAULT_ADMIN_ROLE) == b"\x00" * 32
    assert role_hash("PAUSER_ROLE").hex() == "65d7a28e3265b37a6474929f336521b332c1681b933f6cb9f3376673440d862a"


def test_is_governed__mocks_safe_parts_and_third_party_stand_ins__excluded():
    rec = ContractRecord(address="0x" + "00" * 20, tx="", block=0, abi="")
    assert is_governed("NodeStaking", rec)
    assert not is_governed("MockUSDC", rec)
    assert not is_governed("Safe.governance", rec)
    assert not is_governed("Safe.singleton", ContractRecord("0x", "", 0, "", args={"safe_infra": True}))
    assert not is_governed("UniswapV3Factory", ContractRecord("0x", "", 0, "", args={"third_party": True}))


def test_governance_manual__who_holds_what__lists_every_line_of_the_table():
    """The governance manual's table (docs/contracts/governance.md) is what the deploy enforces: each
    (contract, role) of ROLE_TABLE is there."""
    from ionet.manifest import ROOT

    text = (ROOT / "docs" / "contracts" / "governance.md").read_text()
    section = text[text.index("## Who holds what") : text.index("## How the deploy wires it")]
    lines = [line for line in section.splitlines() if line.startswith("| `")]
    for spec in ROLE_TABLE:
        roles = spec.role if isinstance(spec.role, tuple) else (spec.role,)
        assert any(f"`{spec.contract}`" in line and any(f"`{r}`" in line for r in roles) for line in lines), spec


# What the manual's holder column says for each holder class (operational keys: their config key).
HOLDER_WORDS = {
    Holder.TIMELOCK: "timelock",
    Holder.GUARDIAN: "guardian Safe",
    Holder.GOVERNANCE: "governance Safe",
    Holder.EXECUTOR: "anyone",
    Holder.FEE_VAULT: "IncentiveEngine",
    Holder.MARKET_DESK: "MarketDesk",
}


def _readme_rows() -> list[tuple[str, list[str], str]]:
    from ionet.manifest import ROOT

    text = (ROOT / "docs" / "contracts" / "governance.md").read_text()
    section = text[text.index("## Who holds what") : text.index("## How the deploy wires it")]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append((re.findall(r"`([^`]+)`", cells[0])[0], re.findall(r"`([^`]+)`", cells[1]), cells[2]))
    return rows


def test_governance_manual__who_holds_what__every_row_is_a_line_of_the_table_with_its_holder():
    """Issue 18, defect 4: the governance manual's table (docs/contracts/governance.md) says what holds.
    Every role it names is a line of ROLE_TABLE (so a role in the contract's ABI: the test above), held
    by the holder it names; a stale name ("GOVERNANCE_ROLE (to be CANCELLER_ROLE)") fails here."""
    table = {(spec.contract, spec.role): spec for spec in ROLE_TABLE}
    rows = _readme_rows()
    assert len(rows) >= 20
    for contract, roles, holder in rows:
        assert roles, contract
        for role in roles:
            spec = table.get((contract, role))
            assert spec is not None, f"the manual names {contract} {role}, which ROLE_TABLE does not have"
            if spec.holder is Holder.OPERATIONAL:
                assert f"`{spec.config_key}`" in holder, (contract, role, holder)
            else:
                assert HOLDER_WORDS[spec.holder] in holder, (contract, role, holder)

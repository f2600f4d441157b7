"""Bad `governance` sections are refused before any transaction (ionet.chain.governance.parse_governance,
called first by deploy_suite)."""

from __future__ import annotations

import copy

import pytest

from ionet import ZERO_ADDRESS
from ionet.chain.governance import GovernanceConfigError, parse_governance
from ionet.chain.suite import Suite, deploy_suite
from ionet.config import load_config


@pytest.fixture
def cfg():
    return load_config("local")


@pytest.fixture
def section(cfg):
    return copy.deepcopy(cfg["governance"])


@pytest.fixture
def fresh(accounts):
    acct = accounts.generate_test_account()
    acct.balance = 10**24
    return acct


def check(deployer, cfg, section, match: str):
    with pytest.raises(GovernanceConfigError, match=match):
        parse_governance(Suite(deployer=deployer, config=cfg), section)


def test_parse_governance__local_section__accepted(owner, cfg, section):
    parsed = parse_governance(Suite(deployer=owner, config=cfg), section)
    assert parsed.governance.threshold == 2 and len(parsed.guardian.owners) == 3
    assert parsed.min_delay == 600 and parsed.executor == "anyone" and parsed.variant == "SafeL2"


def test_parse_governance__safe_address_without_code__refused(owner, cfg, section):
    section["governance_safe"] = {"address": "0x" + "12" * 20}
    check(owner, cfg, section, "has no code: it is not a Safe")


def test_parse_governance__safe_address_of_a_non_safe_contract__refused(owner, cfg, section, suite):
    section["guardian_safe"] = {"address": suite.IOToken.address}
    check(owner, cfg, section, "is not a Safe")


def test_parse_governance__existing_safe__reused_and_its_threshold_checked(owner, cfg, section, governed):
    address = governed.contracts["Safe.guardian"].address
    section["guardian_safe"] = {"address": address}
    parsed = parse_governance(Suite(deployer=owner, config=cfg), section)
    assert parsed.guardian.address == address and parsed.guardian.threshold == 2
    section["guardian_safe"] = {"address": address, "threshold": 3}
    check(owner, cfg, section, "has threshold 2, not 3")


def test_parse_governance__same_safe_for_both__refused(owner, cfg, section, governed):
    address = governed.contracts["Safe.guardian"].address
    section["guardian_safe"] = section["governance_safe"] = {"address": address}
    check(owner, cfg, section, "must be different Safes")


@pytest.mark.parametrize(
    ("safe", "match"),
    [
        ({"owners": ["test:13", "test:14"], "threshold": 3}, "threshold 3 with 2 owners"),
        ({"owners": ["test:13", "test:14"], "threshold": 0}, "threshold 0 with 2 owners"),
        ({"owners": ["test:13", "test:13"], "threshold": 1}, "listed twice"),
        ({"owners": [], "threshold": 1}, "no owners"),
        ({"owners": ["deployer", "test:14"], "threshold": 1}, "the deployer cannot own a Safe"),
        ({"owners": [ZERO_ADDRESS, "test:14"], "threshold": 1}, "the zero address"),
        ({"owners": ["not an address"], "threshold": 1}, "is not an address"),
    ],
)
def test_parse_governance__bad_owners_or_threshold__refused(owner, cfg, section, safe, match):
    section["governance_safe"] = safe
    check(owner, cfg, section, match)


def test_parse_governance__missing_safe_section__refused(owner, cfg, section):
    del section["guardian_safe"]
    check(owner, cfg, section, "guardian_safe is missing")


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("safe", "GnosisSafe", "'Safe' \\(L1\\) or 'SafeL2'"),
        ("timelock", {"min_delay_seconds": 600, "executor": "everyone"}, "'anyone' or 'governance_safe'"),
        ("timelock", {}, "min_delay_seconds is required on a local chain"),
        ("safe_contracts", {"proxy_factory": "0x" + "34" * 20}, "has no code"),
    ],
)
def test_parse_governance__bad_settings__refused(owner, cfg, section, key, value, match):
    section[key] = value
    check(owner, cfg, section, match)


def test_parse_governance__operational_key_is_the_deployer__refused(owner, cfg, section):
    cfg = copy.deepcopy(cfg)
    cfg["rewards"]["oracle"] = "deployer"
    check(owner, cfg, section, "rewards.oracle is the deployer")


def test_deploy_suite__bad_governance__fails_before_any_transaction(fresh, cfg, section):
    section["governance_safe"] = {"address": "0x" + "12" * 20}
    nonce = fresh.nonce
    with pytest.raises(GovernanceConfigError, match="has no code"):
        deploy_suite(fresh, cfg, governance=section)
    assert fresh.nonce == nonce


def test_deploy_suite__executor_governance_safe__only_the_safe_executes(fresh, cfg, section):
    """The other executor choice: the deployer was a temporary executor for the set-up operation and
    renounced it; afterwards only the governance Safe executes."""
    from ape import chain

    from ionet.chain.roles import audit, role_hash

    section["timelock"]["executor"] = "governance_safe"
    suite = deploy_suite(fresh, cfg, governance=section)
    timelock, council = suite.contracts["Timelock"], suite.contracts["Safe.governance"]
    executor = role_hash("EXECUTOR_ROLE")
    assert timelock.hasRole(executor, council) and not timelock.hasRole(executor, fresh)
    assert not timelock.hasRole(executor, ZERO_ADDRESS)
    assert audit(chain.provider.web3, suite.manifest).ok

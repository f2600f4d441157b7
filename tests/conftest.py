"""Session-scoped deployment of the whole suite, and the role accounts every test uses.

ape snapshots the chain around each test, so tests start from the same freshly deployed suite.
Hypothesis examples and state machines snapshot/restore themselves (see tests/fuzz/helpers.py).
"""

from __future__ import annotations

import pytest
from ape import chain

from ionet.chain.suite import deploy_suite
from ionet.config import load_config


@pytest.fixture(scope="session")
def owner(accounts):
    """The deployer: admin of every contract."""
    return accounts[0]


@pytest.fixture(scope="session")
def operator(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def attacker(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def suite(owner):
    """The full deployment, exactly as `ape run deploy` does it on a local chain."""
    return deploy_suite(owner, load_config("local"))


@pytest.fixture(scope="session")
def token(suite):
    return suite.IOToken


@pytest.fixture(scope="session")
def emission(suite):
    return suite.EmissionSchedule


@pytest.fixture(scope="session")
def staking(suite, fund):
    import tests.staking_helpers as helpers

    helpers.BANK = fund  # staking tests get their IO from the Community vault, like everyone else
    return suite.NodeStaking


def advance(seconds: int) -> None:
    """Move the chain's clock forward by `seconds` and mine a block."""
    chain.pending_timestamp = chain.pending_timestamp + seconds
    chain.mine()


def advance_to(timestamp: int) -> None:
    """Move the chain's clock to `timestamp` (if it is in the future) and mine a block."""
    if timestamp > chain.pending_timestamp:
        chain.pending_timestamp = timestamp
    chain.mine()


# ------------------------------------------------------------------ vesting vaults (issue 3)
@pytest.fixture(scope="session")
def vaults(suite):
    """The five genesis vesting vaults by category."""
    from ionet.chain.deploy_vesting import vaults as deployed_vaults

    return deployed_vaults(suite)


@pytest.fixture(scope="session")
def seed_vault(vaults):
    return vaults["seed"]


@pytest.fixture(scope="session")
def core_vault(vaults):
    return vaults["core_contributors"]


@pytest.fixture(scope="session")
def community_vault(vaults):
    return vaults["community"]


@pytest.fixture(scope="session")
def fund(suite):
    """fund(who, amount_wei) -> grant_id: pay IO out of the Community vault (nobody else holds
    genesis IO after deployment): the admin grants it, 100 % unlocked, and releases it to `who`."""
    from ionet.chain.economy import Economy

    return Economy(suite=suite).fund
# ---------------------------------------------------------------- rewards area
REWARDS_DELAY = 86_400


@pytest.fixture(scope="session")
def mock_staking(owner, project):
    """A NodeStaking test double whose answers each test sets directly."""
    return owner.deploy(project.MockNodeStaking)


@pytest.fixture(scope="session")
def distributor(owner, operator, token, mock_staking, project):
    """A RewardsDistributor wired to the mock staking: governance = owner, oracle = operator,
    1-day activation delay. Tests fund it with `fund` (out of the Community vault)."""
    return owner.deploy(project.RewardsDistributor, token, mock_staking, REWARDS_DELAY, owner, operator)

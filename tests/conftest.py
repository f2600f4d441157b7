"""Session-scoped deployment of the whole suite, and the role accounts every test uses.

ape snapshots the chain around each test, so tests start from the same freshly deployed suite.
Hypothesis examples and state machines snapshot/restore themselves (see tests/fuzz/helpers.py).
"""

from __future__ import annotations

import os

import pytest

from ionet.chain.clock import advance, advance_to  # noqa: F401  (tests import them from here)
from ionet.chain.suite import deploy_suite
from ionet.config import load_config


def pytest_configure(config):
    """Settings of the local chain that cost the suite most of its time and change no result.

    - The Anvil ape starts for the tests records no opcode steps (ape-foundry's `--steps-tracing`:
      ~20 % of the suite's time, read only by ape's traces) and keeps no past states on disk
      (ionet/chain/anvil.py; before, the tests waited on the disk for more than half of their time).
    - ape-foundry prints the whole call trace of every reverting transaction (fetched with
      debug_traceTransaction and decoded) into output pytest captures and nobody reads: ~0.4 s a
      revert, and the suite checks a revert reason in hundreds of places. The revert reason and ape's
      error enrichment do not depend on it. IONET_REVERT_TRACES=1 prints the traces again (and
      records the steps they need).
    """
    from ionet.chain.anvil import lean_anvil

    traces = os.environ.get("IONET_REVERT_TRACES") == "1"
    lean_anvil(traces=traces)
    if not traces:
        from ape_ethereum.trace import Trace

        Trace.show = lambda self, *args, **kwargs: None
        _skip_per_transaction_overhead()
        _skip_repeated_reads()


def _skip_per_transaction_overhead() -> None:
    """Work ape does on every transaction and every revert for output nobody reads (together about a
    third of a unit test file's time; no result, revert reason or event depends on them).

    - After every transaction to a contract ape fetches its call trace (trace_transaction) and walks
      it for Vyper `print` debug logs to log at INFO level; no contract here prints.
    - Every revert (ContractLogicError) builds an "ape traceback": the transaction's trace mapped to
      contract source lines, for Python's traceback display (~0.3 s a revert). The revert message
      that `ape.reverts` checks does not come from it; only `reverts(dev_message=...)` reads it, and
      no test uses dev messages. IONET_REVERT_TRACES=1 brings both back, with the traces above.
    - requests scans the environment for proxy settings on every JSON-RPC request to Anvil (~0.5 ms
      each, tens of thousands a file); web3's sessions to the local node skip that.
    """
    import ape.exceptions
    import ape_ethereum.provider
    from web3._utils.http_session_manager import HTTPSessionManager

    ape_ethereum.provider._post_send_transaction = lambda txn, receipt: None
    ape.exceptions._get_ape_traceback_from_tx = lambda txn: None

    cached_session = HTTPSessionManager.cache_and_return_session

    def session_without_env(self, *args, **kwargs):
        session = cached_session(self, *args, **kwargs)
        session.trust_env = False
        return session

    HTTPSessionManager.cache_and_return_session = session_without_env


def _skip_repeated_reads() -> None:
    """Reads ape repeats around every transaction whose answer cannot change on the tests' Anvil:
    about half of the JSON-RPC requests of a unit test file (each a round trip through requests and
    web3's middlewares). No result, revert reason or event depends on them.

    - the block gas limit (`gas_limit: max`), read from the latest block for every transaction: Anvil's
      does not change;
    - whether Anvil mines automatically, asked before every transaction and every test's isolation:
      remembered, and updated when ape's setter changes it (nothing here changes it otherwise);
    - whether a contract's address has code, asked before every call and transaction to it: once
      it has, it is remembered (only a revert to a snapshot older than the deployment could undo that,
      and then the call fails on the empty address instead);
    - the sender's nonce, polled after a mined receipt until it has moved past the transaction's: with
      automine a receipt in a block means it has.
    (Skipped with IONET_REVERT_TRACES=1, like the rest.)
    """
    from ape.api.transactions import ReceiptAPI
    from ape.contracts.base import ContractMethodHandler
    from ape_ethereum.provider import Web3Provider
    from ape_foundry.provider import FoundryProvider

    max_gas = Web3Provider.max_gas.fget

    def cached_max_gas(self):
        if "_ionet_max_gas" not in self.__dict__:
            self.__dict__["_ionet_max_gas"] = max_gas(self)
        return self.__dict__["_ionet_max_gas"]

    Web3Provider.max_gas = property(cached_max_gas)

    get_auto_mine, set_auto_mine = FoundryProvider.auto_mine.fget, FoundryProvider.auto_mine.fset

    def cached_auto_mine(self):
        if "_ionet_auto_mine" not in self.__dict__:
            self.__dict__["_ionet_auto_mine"] = get_auto_mine(self)
        return self.__dict__["_ionet_auto_mine"]

    def remembered_set_auto_mine(self, value):
        set_auto_mine(self, value)
        self.__dict__["_ionet_auto_mine"] = bool(value)

    FoundryProvider.auto_mine = property(cached_auto_mine, remembered_set_auto_mine)

    validate = ContractMethodHandler._validate_is_contract
    with_code: set[str] = set()

    def validate_once(self):
        if self.contract.address not in with_code:
            validate(self)
            with_code.add(self.contract.address)

    ContractMethodHandler._validate_is_contract = validate_once

    await_nonce = ReceiptAPI._await_sender_nonce_increment

    def await_nonce_unless_mined(self):
        if (self.block_number or -1) < 0:
            await_nonce(self)

    ReceiptAPI._await_sender_nonce_increment = await_nonce_unless_mined


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
# ------------------------------------------------------------------ settlement router (issue 6)
# Unit and property tests use their own router over MockNodeStaking (eligibility set per test);
# the suite's router (suite.SettlementRouter) is exercised by the integration test and the demo.
ROUTER_FUND_USDC = 10_000_000 * 10**6
ROUTER_FUND_IO = 10_000_000 * 10**18


@pytest.fixture(scope="session")
def usdc(suite):
    """The suite's USDC: MockUSDC on a local chain (the deployer is master minter and minter)."""
    return suite.USDC


@pytest.fixture(scope="session")
def provider(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def provider2(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def mock_staking(owner, project):
    """A NodeStaking test double whose answers each test sets directly."""
    return owner.deploy(project.MockNodeStaking)


@pytest.fixture(scope="session")
def distributor(owner, operator, token, mock_staking, project):
    """A RewardsDistributor wired to the mock staking: governance = owner, oracle = operator,
    1-day activation delay. Tests fund it with `fund` (out of the Community vault)."""
    return owner.deploy(project.RewardsDistributor, token, mock_staking, REWARDS_DELAY, owner, operator)

@pytest.fixture(scope="session")
def market_pools(suite):
    """The suite's Uniswap V3 pools: (IO/USDC, WETH/USDC)."""
    return suite.contracts["UniswapV3Pool.IO/USDC"], suite.contracts["UniswapV3Pool.WETH/USDC"]


@pytest.fixture(scope="session")
def router_args(suite, usdc, mock_staking):
    """The test router's constructor arguments before the roles: USDC, IO, staking."""
    return (usdc, suite.IOToken, mock_staking)


@pytest.fixture(scope="session")
def desk_args(market_pools):
    """The test market desk's constructor arguments after the router, before the admin: the pools
    and the default TWAP bounds (1,800 s, 200 bps, 100 bps)."""
    return ([p.address for p in market_pools], 1_800, 200, 100)


@pytest.fixture(scope="session")
def router_deployed(project, owner, operator, treasury, router_args, mock_staking, provider, provider2):
    """A SettlementRouter over the suite's USDC, IO and Uniswap pools and a MockNodeStaking with two
    eligible devices (DEVICE_A of `provider`, DEVICE_B of `provider2`) and one ineligible
    (DEVICE_OFF). Session-scoped: it touches no account other tests use."""
    from tests.router_helpers import DEVICE_A, DEVICE_B, DEVICE_OFF

    r = owner.deploy(project.SettlementRouter, *router_args, owner, operator, treasury)
    zero = "0x" + "00" * 20
    mock_staking.set_device(DEVICE_A, provider, provider, zero, 0, True, sender=owner)
    mock_staking.set_device(DEVICE_B, provider2, provider2, zero, 0, True, sender=owner)
    mock_staking.set_device(DEVICE_OFF, provider, provider, zero, 0, False, sender=owner)
    return r


@pytest.fixture(scope="session")
def desk_deployed(project, owner, router_deployed, desk_args):
    """A MarketDesk over `router_deployed` and the suite's pools (admin: owner), holding the
    router's MARKET_DESK_ROLE."""
    d = owner.deploy(project.MarketDesk, router_deployed, *desk_args, owner)
    router_deployed.grantRole(router_deployed.MARKET_DESK_ROLE(), d, sender=owner)
    return d


@pytest.fixture
def desk(desk_deployed, router):
    """`desk_deployed`, with `router`'s funding of alice and bob."""
    return desk_deployed


def _fund_renters(usdc, owner, fund, renters) -> None:
    for renter in renters:
        usdc.mint(renter, ROUTER_FUND_USDC, sender=owner)
        fund(renter, ROUTER_FUND_IO)


@pytest.fixture
def router(request, router_deployed, suite, usdc, owner, alice, bob, fund):
    """`router_deployed`, with alice and bob holding 10M USDC and 10M IO each, nothing approved.
    Function-scoped so that the funding is rolled back after each test (other areas' tests use
    alice and bob too); in a module that uses `renters_funded_per_module` the funding is that
    fixture's, made once for the module."""
    if "renters_funded_per_module" not in request.fixturenames:
        _fund_renters(usdc, owner, fund, (alice, bob))
    return router_deployed


@pytest.fixture(scope="module")
def renters_funded_per_module(
    _module_isolation, router_deployed, suite, usdc, token, owner, operator, treasury, alice, bob, carol, attacker,
    provider, provider2, mock_staking, fund, market_pools,
):
    """`router`'s funding of alice and bob, made once for a module whose every test starts from it:
    such a module names it in `pytestmark = pytest.mark.usefixtures("renters_funded_per_module")`, so
    that it is made before the module's first test, and ape's per-test snapshot gives every test
    the same funded state (rolled back at the module's end). The session fixtures those modules'
    tests use are named here so that they exist before the module's snapshot (one first named by
    a later test would make ape roll the module back and fund again: InvalidIsolationWarning).
    It names ape's `_module_isolation` so that ape's module snapshot is surely taken before the
    funding: the module's end rolls it back. (Its name is its own: ape keeps its isolation
    bookkeeping per fixture name, so a module-scoped fixture must not share a name with a
    function-scoped one elsewhere.)"""
    _fund_renters(usdc, owner, fund, (alice, bob))
    return router_deployed


@pytest.fixture
def scratch_deployer(accounts):
    """A fresh generated account (a new one per test) for contracts a single test deploys and then
    rolls back. Deploying them from `owner` would reuse owner's next addresses, where ape keeps the
    rolled-back contract's type cached, and later tests deploying from owner would have their
    reverts decoded with the wrong ABI."""
    acct = accounts.generate_test_account()
    acct.balance = 10**24  # set by the provider: no transaction, no nonce used anywhere
    return acct


# ------------------------------------------------------------------ governance (issue 12)
# The `suite` above keeps its direct role holders (the deployer and test accounts) for every other
# area's tests. `governed` is a second, separate deployment of the same suite, handed over to the
# Safes and the timelock exactly as `ape run deploy --governance` does, by its own deployer.
@pytest.fixture(scope="session")
def gov_deployer(accounts):
    acct = accounts.generate_test_account()
    acct.balance = 10**24  # set by the provider: no transaction from any shared account
    return acct


@pytest.fixture(scope="session")
def governed(gov_deployer):
    cfg = load_config("local")
    return deploy_suite(gov_deployer, cfg, governance=cfg["governance"])


@pytest.fixture(scope="session")
def gov(governed):
    """Timelock, governance Safe (council) and guardian Safe, with their owners' test keys."""
    from ionet.chain.governance import governance_of

    return governance_of(governed)


# ------------------------------------------------------------------ the IO market (issue 10)
@pytest.fixture
def market(suite, market_pools, owner, fund):
    """The pools with a TWAP ready: the clock moved past the window (rolled back after the test).
    Returns tests.market_helpers.Market (pools, oracle, Uniswap's periphery, a funded trader)."""
    from tests.market_helpers import Market

    return Market.ready(suite, market_pools, owner, fund)


@pytest.fixture(scope="session", autouse=True)
def _session_deployments_first(request):
    """The session-scoped deployments this run's tests use are made before the first test, outside
    every module's and test's snapshot. Made lazily inside a test instead, a later revert of an
    outer snapshot can take them away while the fixture keeps its addresses (seen on CI: the
    governed suite's Safe singleton without code when another test file had requested it first)."""
    used = {name for item in request.session.items for name in item.fixturenames}
    for name in ("suite", "governed"):
        if name in used:
            request.getfixturevalue(name)

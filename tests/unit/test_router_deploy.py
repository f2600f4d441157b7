"""The router's deploy step: which USDC, recorded in the manifest; no test double on a live network."""

from types import SimpleNamespace

import pytest
from ape import chain

from ionet.chain import deploy_router, usdc
from ionet.chain.suite import STEPS, deploy_suite
from ionet.config import load_config


def test_step_router__registered_after_the_market_then_the_desk_before_the_engine(suite):
    from ionet.chain.deploy_ide import step_ide
    from ionet.chain.deploy_market import step_market

    assert STEPS[-1] is step_ide  # the IncentiveEngine pulls the router's fees
    assert STEPS[-2] is deploy_router.step_desk  # the desk needs the router's address
    assert STEPS[-3] is deploy_router.step_router
    assert STEPS[-4] is step_market  # the desk needs the pools at construction


def test_step_desk__local__desk_over_the_router_holds_its_desk_role_alone(suite, owner):
    router, desk = suite.SettlementRouter, suite.MarketDesk
    record = suite.manifest.contracts["MarketDesk"]
    assert record.abi == "abi/MarketDesk.json"
    assert desk.ROUTER() == router.address == record.args["router"]
    assert (desk.USDC(), desk.IO()) == (router.USDC(), router.IO())
    assert desk.hasRole(desk.DEFAULT_ADMIN_ROLE(), owner) and record.args["admin"] == owner.address
    role = router.MARKET_DESK_ROLE()
    assert router.hasRole(role, desk) and not router.hasRole(role, owner)
    from ionet.chain.roles import role_holders

    holders = role_holders(chain.provider.web3, router.address, suite.manifest.contracts["SettlementRouter"].block)
    assert holders[bytes(role)] == [desk.address]


def test_step_desk__without_the_market_step__refuses():
    fake = SimpleNamespace(market_pools=[], contracts={"SettlementRouter": None}, config={})
    with pytest.raises(SystemExit, match="needs the IO/USDC pool"):
        deploy_router.step_desk(fake)


def test_step_router__local_without_usdc__deploys_mock_and_records_it(suite, owner, accounts):
    router = suite.SettlementRouter
    record = suite.manifest.contracts["SettlementRouter"]
    assert "MockUSDC" in suite.manifest.contracts
    assert record.args["usdc"] == suite.MockUSDC.address == router.USDC()
    assert record.args["usdc_is_mock"] is True
    assert router.IO() == suite.IOToken.address
    assert router.hasRole(router.OPERATOR_ROLE(), accounts[1])
    assert router.hasRole(router.TREASURY_ROLE(), accounts[2])
    assert router.hasRole(router.DEFAULT_ADMIN_ROLE(), owner)
    staking_key = "NodeStaking" if "NodeStaking" in suite.contracts else "MockNodeStaking"
    assert router.STAKING() == suite.contracts[staking_key].address


def test_step_router__usdc_given__uses_it_and_deploys_no_mock(suite, owner, scratch_deployer):
    config = load_config("local")
    config["settlement"] = {"usdc": suite.MockUSDC.address}  # any deployed 6-decimal token stands in
    suite.MockUSDC.mint(scratch_deployer, 2_600_000 * 10**6, sender=owner)  # the pools' USDC side
    other = deploy_suite(scratch_deployer, config)
    record = other.manifest.contracts["SettlementRouter"]
    assert other.SettlementRouter.USDC() == suite.MockUSDC.address
    assert record.args["usdc_is_mock"] is False
    assert "MockUSDC" not in other.manifest.contracts
    assert other.manifest.contracts["UniswapV3Pool.IO/USDC"].args["token1"] in (
        suite.MockUSDC.address, other.IOToken.address)


def test_step_router__live_network_without_usdc__refuses():
    fake = SimpleNamespace(is_local=False, network="sepolia")
    with pytest.raises(SystemExit, match="real USDC address"):
        usdc._usdc(fake, {})


def test_step_router__usdc_address_without_code__refuses(owner):
    fake = SimpleNamespace(is_local=False, network="sepolia")
    with pytest.raises(SystemExit, match="has no code"):
        usdc._usdc(fake, {"usdc": "0x" + "12" * 20})


def test_step_router__live_network_without_staking__refuses():
    fake = SimpleNamespace(is_local=False, contracts={})
    with pytest.raises(SystemExit, match="needs NodeStaking"):
        deploy_router._staking(fake)

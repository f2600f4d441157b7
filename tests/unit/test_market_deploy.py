"""The market's deploy step: Uniswap V3 from its published artifacts on a local chain (never
recompiled), the IO/USDC and WETH/USDC pools with protocol-owned liquidity and a raised
observation cardinality; on a live network only given pools, checked, and nothing of Uniswap
deployed."""

from __future__ import annotations

import json

import pytest
from ape import chain
from eth_utils import keccak

from ionet import IO, USDC
from ionet.chain import deploy_market, uniswap
from ionet.chain.suite import Suite
from ionet.manifest import ROOT, Manifest
from ionet.models import market as m
from ionet.models.market import sqrt_price_x96_for

# v3-periphery's PoolAddress.POOL_INIT_CODE_HASH: the hash of v3-core 1.0.1's pool creation code.
POOL_INIT_CODE_HASH = "e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"


def test_artifacts__published_bytecode__the_pool_is_v3_core_1_0_1s():
    """The pool artifact deployed by the factory is exactly the one the periphery was built for."""
    raw = json.loads(uniswap.artifact_path("UniswapV3Pool").read_text())
    assert keccak(hexstr=raw["bytecode"]).hex() == POOL_INIT_CODE_HASH
    pins = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert pins["@uniswap/v3-core"] == "1.0.1" and pins["@uniswap/v3-periphery"] == "1.4.4"
    assert pins["@uniswap/v2-periphery"] == "1.1.0-beta.0"


def test_step_market__local__deploys_uniswap_from_artifacts_and_records_it(suite):
    m = suite.manifest.contracts
    for key in ("WETH9", "UniswapV3Factory", "SwapRouter", "NonfungiblePositionManager", "QuoterV2"):
        assert m[key].abi == uniswap.relative_artifact(key) and (ROOT / m[key].abi).exists()
    factory_runtime = json.loads(uniswap.artifact_path("UniswapV3Factory").read_text())["deployedBytecode"]
    runtime = chain.provider.web3.eth.get_code(m["UniswapV3Factory"].address).hex()
    own = m["UniswapV3Factory"].address[2:].lower()  # its one immutable: its own address (NoDelegateCall)
    assert runtime.replace(own, "0" * 40) == factory_runtime[2:]
    u = suite.uniswap
    assert u.factory.owner() == suite.deployer.address and u.factory.feeAmountTickSpacing(3000) == 60
    assert u.swap_router.factory() == u.factory.address and u.swap_router.WETH9() == u.weth.address
    assert u.position_manager.factory() == u.factory.address and u.quoter.factory() == u.factory.address


def test_step_market__local__io_pool_at_the_configured_price_with_liquidity_and_cardinality(suite):
    record = suite.manifest.contracts["UniswapV3Pool.IO/USDC"].args
    pool = suite.contracts["UniswapV3Pool.IO/USDC"]
    io, usdc = suite.IOToken.address, suite.USDC.address
    assert {pool.token0(), pool.token1()} == {io, usdc} and pool.fee() == 3000
    expected = m.tick_at_sqrt_ratio(m.sqrt_price_x96_for("0.40", io, 18, usdc, 6))
    assert record["price_usdc"] == "0.40" and record["initial_tick"] == expected
    assert expected == (-285_488 if int(io, 16) < int(usdc, 16) else 285_487)
    assert pool.slot0().observationCardinalityNext == 200 == record["observation_cardinality_next"]
    held_io = suite.IOToken.balanceOf(pool)
    held_usdc = suite.USDC.balanceOf(pool)
    assert held_io == 5_000_000 * IO and held_usdc == 2_000_000 * USDC  # the position and its rounding dust
    assert suite.USDC.balanceOf(suite.deployer) == 0  # USDC was the limiting side: all of it went in
    assert suite.IOToken.balanceOf(suite.deployer) == 0  # the rounding dust went to the pool too
    npm = suite.uniswap.position_manager
    # without --governance the deployer keeps the position (a governed deploy hands it to the timelock:
    # tests/integration/test_governance.py)
    assert npm.ownerOf(record["position_id"]) == record["position_owner"] == suite.deployer.address
    assert record["position_manager"] == npm.address
    assert record["created_by"] == suite.uniswap.factory.address


def test_step_market__local__liquidity_io_comes_from_the_rnd_vault(suite):
    vault = suite.contracts["VestingVault.rnd_ecosystem"]
    granted = sum(int(g["amount_io"]) for g in suite.config["vesting"]["vaults"]["rnd_ecosystem"]["grants"])
    record = suite.manifest.contracts["UniswapV3Pool.IO/USDC"].args
    in_pool = record["amount0"] if record["token0"] == suite.IOToken.address else record["amount1"]
    assert 5_000_000 * IO - 10**7 < in_pool <= 5_000_000 * IO  # all but the position manager's rounding
    assert suite.IOToken.balanceOf(vault) == 123_000_000 * IO  # the other grants are not yet claimed
    assert vault.unallocated() == (123_000_000 - granted) * IO


def test_step_market__local__weth_pool_and_the_market_desk_knows_both(suite):
    weth_pool = suite.contracts["UniswapV3Pool.WETH/USDC"]
    weth = suite.uniswap.weth
    assert {weth_pool.token0(), weth_pool.token1()} == {weth.address, suite.USDC.address}
    assert weth.balanceOf(weth_pool) > 199 * 10**18 and suite.USDC.balanceOf(weth_pool) == 600_000 * USDC
    desk = suite.MarketDesk
    assert desk.asset_pools(weth) == weth_pool.address
    assert desk.asset_pools(suite.IOToken) == suite.contracts["UniswapV3Pool.IO/USDC"].address
    assert suite.manifest.contracts["MarketDesk"].args["pools"] == [
        suite.contracts["UniswapV3Pool.IO/USDC"].address,
        weth_pool.address,
    ]
    assert suite.manifest.contracts["MarketDesk"].args["twap_window_seconds"] == 1_800
    assert (desk.twap_window(), desk.max_deviation_bps(), desk.max_slippage_bps()) == (1_800, 200, 100)


def test_required_cardinality__window_over_block_time():
    assert deploy_market.required_cardinality({"twap_window_seconds": 1800, "block_time_seconds": 12}) == 151
    assert deploy_market.required_cardinality({"twap_window_seconds": 1800, "block_time_seconds": 2}) == 901
    assert deploy_market.required_cardinality({"observation_cardinality": 200}) == 200


# ------------------------------------------------------------------ live networks
def _live(suite, deployer, **market) -> Suite:
    """A suite on a live network ("sepolia"), standing on this chain's contracts, deploying from a
    throwaway account."""
    cfg = {**deploy_market.DEFAULTS, "observation_cardinality": 151, **market}
    keep = {k: suite.contracts[k] for k in ("IOToken", "USDC", "MockUSDC")}
    return Suite(
        deployer=deployer,
        config={"market": cfg},
        network="sepolia",
        contracts=keep,
        manifest=Manifest(chain_id=1, network="ethereum:sepolia", deployer=deployer.address),
    )


def test_step_market__live_without_pool_or_factory__refuses_and_deploys_nothing(suite, scratch_deployer):
    fake = _live(suite, scratch_deployer)
    with pytest.raises(SystemExit, match="needs market.uniswap.factory"):
        deploy_market.step_market(fake)
    fake = _live(suite, scratch_deployer, uniswap={"factory": "0x" + "12" * 20})
    with pytest.raises(SystemExit, match="has no code"):
        deploy_market.step_market(fake)
    assert "IOPriceOracle" not in fake.manifest.contracts


def test_step_market__live_new_token__pool_created_through_the_networks_factory(suite, scratch_deployer):
    """A new IOToken has no pool on a live network: the deploy creates it with the network's own
    Uniswap factory (here the local one stands for it; fee tier 500 has no IO/USDC pool yet),
    initializes it at the configured price and raises its cardinality; Uniswap is not deployed."""
    factory = suite.uniswap.factory
    io, usdc = suite.IOToken.address, suite.USDC.address
    assert int(factory.getPool(io, usdc, 500), 16) == 0
    fake = _live(suite, scratch_deployer, fee_tier=500, observation_cardinality=30, assets=[],
                 uniswap={"factory": factory.address})
    deploy_market.step_market(fake)
    pool = fake.contracts["UniswapV3Pool.IO/USDC"]
    assert pool.address == factory.getPool(io, usdc, 500) and int(pool.fee()) == 500
    assert pool.slot0().sqrtPriceX96 == sqrt_price_x96_for("0.40", io, 18, usdc, 6)
    assert pool.slot0().observationCardinalityNext == 30
    record = fake.manifest.contracts["UniswapV3Pool.IO/USDC"]
    assert record.args["created_by"] == factory.address and "position_id" not in record.args
    assert set(fake.manifest.contracts) == {"UniswapV3Pool.IO/USDC", "IOPriceOracle"}  # nothing of Uniswap deployed
    # run again (a resumed or repeated deploy): the same pool is reused, not created twice
    again = _live(suite, scratch_deployer, fee_tier=500, observation_cardinality=30, assets=[],
                  uniswap={"factory": factory.address})
    deploy_market.step_market(again)
    assert again.contracts["UniswapV3Pool.IO/USDC"].address == pool.address


def test_given_pool__no_code_or_wrong_pair__refuses(suite, scratch_deployer):
    fake = _live(suite, scratch_deployer)
    usdc, io = suite.USDC.address, suite.IOToken.address
    with pytest.raises(SystemExit, match="has no code"):
        deploy_market._given_pool(fake, fake.config["market"], "IO", "0x" + "12" * 20, io, usdc)
    weth_pool = suite.contracts["UniswapV3Pool.WETH/USDC"].address
    with pytest.raises(SystemExit, match="does not pair"):
        deploy_market._given_pool(fake, fake.config["market"], "IO", weth_pool, io, usdc)


def test_given_pool__cardinality_short__refuses_unless_allowed_to_raise(suite, scratch_deployer):
    pool = suite.contracts["UniswapV3Pool.IO/USDC"]
    usdc, io = suite.USDC.address, suite.IOToken.address
    fake = _live(suite, scratch_deployer, observation_cardinality=260)
    with pytest.raises(SystemExit, match="keeps 200 observations"):
        deploy_market._given_pool(fake, fake.config["market"], "IO", pool.address, io, usdc)
    fake = _live(suite, scratch_deployer, observation_cardinality=260, raise_cardinality=True)
    given = deploy_market._given_pool(fake, fake.config["market"], "IO", pool.address, io, usdc)
    assert given.slot0().observationCardinalityNext == 260
    record = fake.manifest.contracts["UniswapV3Pool.IO/USDC"]
    assert record.args["given"] is True and record.args["observation_cardinality_next"] == 260


def test_step_market__live_with_pools__deploys_only_the_oracle(suite, scratch_deployer):
    pools = {
        "io_usdc_pool": suite.contracts["UniswapV3Pool.IO/USDC"].address,
        "assets": [
            {
                "symbol": "WETH",
                "token": suite.uniswap.weth.address,
                "pool": suite.contracts["UniswapV3Pool.WETH/USDC"].address,
            }
        ],
        "uniswap": {"factory": suite.uniswap.factory.address},
    }
    fake = _live(suite, scratch_deployer, **pools)
    deploy_market.step_market(fake)
    deployed = set(fake.manifest.contracts)
    assert deployed == {"UniswapV3Pool.IO/USDC", "UniswapV3Pool.WETH/USDC", "IOPriceOracle"}
    assert fake.contracts["IOPriceOracle"].POOL() == pools["io_usdc_pool"]
    fake = _live(suite, scratch_deployer, **{**pools, "uniswap": {"swap_router": "0x" + "34" * 20}})
    with pytest.raises(SystemExit, match="uniswap.swap_router"):
        deploy_market.step_market(fake)

"""Deploy step of the IO market (issue 10): the IO/USDC Uniswap V3 pool, other assets' pools into
USDC, and the IOPriceOracle. It runs before the router and its market desk, which needs the pools at
construction.

Local chain (no `market.io_usdc_pool` in the config): deploys Uniswap V3 from its published npm
artifacts (WETH9, factory, SwapRouter, NonfungiblePositionManager, QuoterV2; ionet/chain/uniswap.py),
creates the IO/USDC pool at `market.fee_tier` (default 0.3 %), initializes it at
`market.price_usdc_per_io` (default 0.40), adds protocol-owned full-range liquidity
(`market.liquidity.io` IO granted out of the R&D & Ecosystem vault by its admin, plus the USDC that
matches it at that price, minted by MockUSDC), raises the pool's observation cardinality so the TWAP
window is always served, and does the same for each `market.assets` entry (WETH: a WETH/USDC pool,
its WETH wrapped from the deployer's ETH).

Live network: nothing of Uniswap is deployed. A new IOToken has no pool yet, so the IO/USDC pool is
created through the network's own Uniswap V3 factory (`market.uniswap.factory`, checked for code):
`createPool` (or the existing pool of that pair and fee tier), `initialize` at
`market.price_usdc_per_io` if it is not initialized, its observation cardinality raised to
`market.observation_cardinality` (about 22k gas a slot), and, when `market.liquidity.io` is set,
protocol-owned full-range liquidity from the R&D & Ecosystem vault plus USDC the deployer holds
(without liquidity the TWAP price is served but no trade can fill).

The position NFTs are minted to `market.liquidity.position_owner` (default the deployer) and
recorded with their position manager (`position_id`, `position_owner`, `position_manager`); a
governed deploy moves every one the deployer holds to the timelock
(`ionet.chain.governance.hand_over_assets`). A pool that already exists can be
named instead (`market.io_usdc_pool`). Each other asset's `pool` must be an address with code pairing
the asset with USDC; its cardinality is raised only when `market.raise_cardinality` is true.

Either way the IOPriceOracle is deployed over the IO/USDC pool, and the manifest records every
address (Uniswap's contracts with their npm artifact as ABI).
"""

from __future__ import annotations

from math import ceil
from typing import Any

from ape import chain

from ionet import IO
from ionet.chain import uniswap
from ionet.chain.deploy_vesting import resolve, vault_key
from ionet.chain.usdc import ensure_usdc
from ionet.manifest import ContractRecord
from ionet.models.market import sort_tokens, sqrt_price_x96_for

DEFAULTS: dict[str, Any] = {
    "fee_tier": 3000,
    "price_usdc_per_io": "0.40",
    "twap_window_seconds": 1800,
    "max_deviation_bps": 200,
    "max_slippage_bps": 100,
    "block_time_seconds": 12,
}
POOL_KEY = "UniswapV3Pool.{}/USDC"
MAX_UINT256 = 2**256 - 1


def market_config(suite: Any) -> dict[str, Any]:
    """`market` of the deploy config over the defaults."""
    return {**DEFAULTS, **(suite.config.get("market") or {})}


def required_cardinality(cfg: dict[str, Any]) -> int:
    """Observations a pool needs to serve the window when every block moves its price:
    `market.observation_cardinality`, else window / block time + 1."""
    if cfg.get("observation_cardinality"):
        return int(cfg["observation_cardinality"])
    return ceil(int(cfg["twap_window_seconds"]) / int(cfg["block_time_seconds"])) + 1


def pool_key(symbol: str) -> str:
    return POOL_KEY.format(symbol)


def _record(suite: Any, key: str, instance: Any, receipt: Any, artifact: str, params: dict[str, Any]) -> None:
    """Record a Uniswap contract (deployed from its artifact or created by the factory)."""
    suite.manifest.contracts[key] = ContractRecord(
        address=instance.address,
        tx=str(receipt.txn_hash),
        block=receipt.block_number,
        abi=uniswap.relative_artifact(artifact),
        args=params,
    )
    suite.contracts[key] = instance
    suite.log(f"deployed {key:<28} {instance.address}  (block {receipt.block_number}, gas {receipt.gas_used:,})")


def _deploy_artifact(suite: Any) -> Any:
    def deploy(key: str, artifact: str, *args: Any) -> Any:
        # Through the suite's journal (a resumed deploy reuses it). third_party: a local stand-in for
        # a protocol the network does not own (on a live network Uniswap is already there): outside
        # the suite's governance and its audit.
        return suite.deploy(
            key,
            artifact,
            *args,
            container=uniswap.container(artifact),
            abi=uniswap.relative_artifact(artifact),
            runtime_prefix=False,
            params={
                "npm_artifact": uniswap.relative_artifact(artifact),
                "args": [str(a) for a in args],
                "third_party": True,
            },
        )

    return deploy


def _has_code(address: str) -> bool:
    return bool(chain.provider.web3.eth.get_code(address))


# ------------------------------------------------------------------ local
def _rnd_io(suite: Any, amount: int) -> None:
    """`amount` IO from the R&D & Ecosystem vault to the deployer, granted by the vault's admin."""
    vault = suite.contracts[vault_key("rnd_ecosystem")]
    receipt = suite.send(vault.grant, suite.deployer.address, amount)
    grant_id = vault.Granted.from_receipt(receipt)[0].grant_id
    suite.send(vault.release, grant_id)


def _local_pool(
    suite: Any,
    u: uniswap.Uniswap,
    cfg: dict[str, Any],
    symbol: str,
    token: Any,
    decimals: int,
    price: str,
    liquidity: int,
    usdc: Any,
    usdc_is_mock: bool,
    owner: str,
) -> Any:
    """A pool of `token`/USDC at `price` USDC per whole token, with `liquidity` whole tokens (and the
    USDC that matches them) in a full-range position owned by `owner`, its cardinality raised."""
    fee = int(cfg.get("fee_tier", 3000))
    sqrt_price = sqrt_price_x96_for(price, token.address, decimals, usdc.address, 6)
    pool, receipt = uniswap.create_pool(
        u.factory,
        token.address,
        usdc.address,
        fee,
        sqrt_price,
        send=suite.send,
        on_created=lambda p, r: _record(
            suite, pool_key(symbol), p, r, "UniswapV3Pool", {"created_by": u.factory.address}
        ),
    )
    token0, token1 = sort_tokens(token.address, usdc.address)
    amount_token = liquidity * 10**decimals
    from fractions import Fraction

    amount_usdc = int(Fraction(price) * liquidity * 10**6)
    if usdc_is_mock:
        suite.send(usdc.mint, suite.deployer.address, amount_usdc)
    elif usdc.balanceOf(suite.deployer) < amount_usdc:
        raise SystemExit(f"the deployer needs {amount_usdc:,} USDC base units for the {symbol}/USDC liquidity")
    for t in (token, usdc):
        suite.send(t.approve, u.position_manager.address, MAX_UINT256)
    amounts = (amount_token, amount_usdc) if token0 == token.address else (amount_usdc, amount_token)
    token_id, liq, used0, used1 = uniswap.mint_full_range(u.position_manager, pool, *amounts, owner, send=suite.send)
    cardinality = uniswap.raise_cardinality(pool, required_cardinality(cfg), send=suite.send)
    _record(
        suite,
        pool_key(symbol),
        pool,
        receipt,
        "UniswapV3Pool",
        {
            "token0": token0,
            "token1": token1,
            "fee": fee,
            "price_usdc": str(price),
            "sqrt_price_x96": sqrt_price,
            "initial_tick": int(pool.slot0().tick),
            "position_id": token_id,
            "position_owner": owner,
            "position_manager": u.position_manager.address,
            "liquidity": liq,
            "amount0": used0,
            "amount1": used1,
            "observation_cardinality_next": cardinality,
            "created_by": u.factory.address,
        },
    )
    suite.log(
        f"{symbol}/USDC pool at {price} USDC per {symbol}: full-range position #{token_id} "
        f"({used0:,} / {used1:,} base units of token0 / token1), cardinality {cardinality}"
    )
    return pool


def _deploy_local(suite: Any, cfg: dict[str, Any], usdc: Any, usdc_is_mock: bool) -> tuple[Any, list[Any]]:
    u = uniswap.deploy_uniswap(_deploy_artifact(suite))
    suite.uniswap = u
    liq = cfg.get("liquidity") or {}
    owner = resolve(suite, liq.get("position_owner", "deployer"))
    io_amount = int(liq.get("io", 5_000_000))
    _rnd_io(suite, io_amount * IO)
    io_pool = _local_pool(
        suite, u, cfg, "IO", suite.IOToken, 18, str(cfg["price_usdc_per_io"]), io_amount, usdc, usdc_is_mock, owner
    )
    # The position manager rounds the liquidity down: the few wei of IO it did not take (about 1e-12
    # IO) go to the pool as well, so that after deployment only the vaults and the pool hold IO.
    dust = suite.IOToken.balanceOf(suite.deployer)
    if dust:
        suite.send(suite.IOToken.transfer, io_pool.address, dust)
    others = []
    for asset in cfg.get("assets") or []:
        if asset.get("symbol") != "WETH" or asset.get("token"):
            raise SystemExit("a local deploy creates only the WETH/USDC pool (market.assets: symbol WETH)")
        amount = int(asset.get("liquidity", 100))
        suite.send(u.weth.deposit, value=amount * 10**18)
        others.append(
            _local_pool(
                suite,
                u,
                {**cfg, **asset},
                "WETH",
                u.weth,
                18,
                str(asset["price_usdc"]),
                amount,
                usdc,
                usdc_is_mock,
                owner,
            )
        )
    return io_pool, others


# ------------------------------------------------------------------ live
def _given_pool(suite: Any, cfg: dict[str, Any], symbol: str, address: str, token: str, usdc: str) -> Any:
    if not address or not _has_code(address):
        raise SystemExit(f"market: the {symbol}/USDC pool {address!r} has no code on {suite.network}")
    pool = uniswap.at("UniswapV3Pool", address)
    if {pool.token0().lower(), pool.token1().lower()} != {token.lower(), usdc.lower()}:
        raise SystemExit(f"market: pool {address} does not pair {symbol} ({token}) with USDC ({usdc})")
    needed = required_cardinality(cfg)
    have = int(pool.slot0().observationCardinalityNext)
    if have < needed:
        if not cfg.get("raise_cardinality"):
            raise SystemExit(
                f"market: pool {address} keeps {have} observations, the {cfg['twap_window_seconds']} s window "
                f"needs {needed}: set market.raise_cardinality (about {22_200 * (needed - have):,} gas) or raise it"
            )
        have = uniswap.raise_cardinality(pool, needed, send=suite.send)
    suite.contracts[pool_key(symbol)] = pool
    suite.manifest.contracts[pool_key(symbol)] = ContractRecord(
        address=pool.address,
        tx="",
        block=0,
        abi=uniswap.relative_artifact("UniswapV3Pool"),
        args={
            "given": True,
            "token0": pool.token0(),
            "token1": pool.token1(),
            "fee": int(pool.fee()),
            "observation_cardinality_next": have,
        },
    )
    suite.log(f"{symbol}/USDC pool given: {address} (cardinality {have})")
    return pool


def _factory_io_pool(suite: Any, cfg: dict[str, Any], usdc: Any) -> Any:
    """The IO/USDC pool created through the live network's Uniswap V3 factory (see the module doc)."""
    factory_address = (cfg.get("uniswap") or {}).get("factory") or ""
    if not factory_address or not _has_code(factory_address):
        raise SystemExit(
            f"market: a live network needs market.uniswap.factory (Uniswap V3's factory, {factory_address!r} "
            f"has no code on {suite.network}) to create the IO/USDC pool, or market.io_usdc_pool if it exists"
        )
    factory = uniswap.at("UniswapV3Factory", factory_address)
    io, fee = suite.IOToken.address, int(cfg.get("fee_tier", 3000))
    key = pool_key("IO")
    address = factory.getPool(io, usdc.address, fee)
    if int(address, 16) == 0:
        receipt = suite.send(factory.createPool, io, usdc.address, fee)
        address = factory.getPool(io, usdc.address, fee)
        _record(
            suite, key, uniswap.at("UniswapV3Pool", address), receipt, "UniswapV3Pool", {"created_by": factory.address}
        )
    pool = uniswap.at("UniswapV3Pool", address)
    if int(pool.slot0().sqrtPriceX96) == 0:
        price = str(cfg["price_usdc_per_io"])
        suite.send(pool.initialize, sqrt_price_x96_for(price, io, 18, usdc.address, 6))
    cardinality = uniswap.raise_cardinality(pool, required_cardinality(cfg), send=suite.send)
    liq = cfg.get("liquidity") or {}
    position: dict[str, Any] = {}
    if liq.get("io"):
        owner = resolve(suite, liq.get("position_owner", "deployer"))
        position_manager = (cfg.get("uniswap") or {}).get("position_manager") or ""
        if not position_manager or not _has_code(position_manager):
            raise SystemExit("market: liquidity on a live network needs market.uniswap.position_manager")
        amount_io = int(liq["io"]) * IO
        from fractions import Fraction

        amount_usdc = int(Fraction(str(cfg["price_usdc_per_io"])) * int(liq["io"]) * 10**6)
        if usdc.balanceOf(suite.deployer) < amount_usdc:
            raise SystemExit(f"market: the deployer needs {amount_usdc:,} USDC base units for the IO/USDC liquidity")
        _rnd_io(suite, amount_io)
        npm = uniswap.at("NonfungiblePositionManager", position_manager)
        for t in (suite.IOToken, usdc):
            suite.send(t.approve, npm.address, MAX_UINT256)
        token0, _ = sort_tokens(io, usdc.address)
        amounts = (amount_io, amount_usdc) if token0 == io else (amount_usdc, amount_io)
        token_id, liquidity, used0, used1 = uniswap.mint_full_range(npm, pool, *amounts, owner, send=suite.send)
        position = {
            "position_id": token_id,
            "position_owner": owner,
            "position_manager": npm.address,
            "liquidity": liquidity,
            "amount0": used0,
            "amount1": used1,
        }
    record = suite.manifest.contracts.get(key)
    suite.manifest.contracts[key] = ContractRecord(
        address=pool.address,
        tx=record.tx if record else "",
        block=record.block if record else 0,
        abi=uniswap.relative_artifact("UniswapV3Pool"),
        args={
            "created_by": factory.address,
            "token0": pool.token0(),
            "token1": pool.token1(),
            "fee": fee,
            "observation_cardinality_next": cardinality,
            **position,
        },
    )
    suite.contracts[key] = pool
    suite.log(
        f"IO/USDC pool {pool.address} through the network's Uniswap factory (cardinality {cardinality}"
        f"{', liquidity position #' + str(position['position_id']) if position else ', no liquidity yet'})"
    )
    return pool


def _given_pools(suite: Any, cfg: dict[str, Any], usdc: str) -> tuple[Any, list[Any]]:
    if cfg.get("io_usdc_pool"):
        io_pool = _given_pool(suite, cfg, "IO", cfg["io_usdc_pool"], suite.IOToken.address, usdc)
    else:
        io_pool = _factory_io_pool(suite, cfg, suite.contracts["USDC"])
    others = [
        _given_pool(suite, cfg, a["symbol"], a.get("pool", ""), a.get("token", ""), usdc)
        for a in cfg.get("assets") or []
    ]
    for name, address in (cfg.get("uniswap") or {}).items():  # periphery, if named: recorded, checked
        if name.startswith("_"):
            continue
        if not _has_code(address):
            raise SystemExit(f"market: uniswap.{name} {address} has no code on {suite.network}")
    return io_pool, others


# ------------------------------------------------------------------ the step
def step_market(suite: Any) -> None:
    """The IO/USDC pool (and other assets' pools) and the IOPriceOracle over it."""
    cfg = market_config(suite)
    usdc_address, usdc_is_mock = ensure_usdc(suite)
    usdc = suite.contracts["USDC"]
    if suite.is_local and not cfg.get("io_usdc_pool"):
        io_pool, others = _deploy_local(suite, cfg, usdc, usdc_is_mock)
    else:  # live: Uniswap is never deployed outside a local chain
        io_pool, others = _given_pools(suite, cfg, usdc_address)
    window = int(cfg["twap_window_seconds"])
    suite.deploy(
        "IOPriceOracle",
        "IOPriceOracle",
        io_pool.address,
        suite.IOToken.address,
        usdc_address,
        window,
        params={"pool": io_pool.address, "io": suite.IOToken.address, "usdc": usdc_address, "window_seconds": window},
    )
    suite.market_pools = [io_pool, *others]
    suite.log(
        f"IOPriceOracle: TWAP over {window} s of {io_pool.address}; trades bounded by "
        f"{cfg['max_deviation_bps']} bps deviation and {cfg['max_slippage_bps']} bps slippage"
    )

"""Uniswap V3 from its published npm artifacts, deployed as they are (never recompiled).

`@uniswap/v3-core` 1.0.1 and `@uniswap/v3-periphery` 1.4.4 ship Hardhat artifacts (ABI + creation
bytecode, no link references for the contracts used here); WETH9 comes from
`@uniswap/v2-periphery` 1.1.0-beta.0 (a Waffle artifact: bytecode without the 0x prefix). The
periphery's hard-coded POOL_INIT_CODE_HASH matches v3-core 1.0.1's pool, which is why both packages
are pinned exactly in package.json.

Local chains only deploy them (`deploy_uniswap`); on a live network the addresses come from the
deploy config and `at()` wraps them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ape import chain
from ape.contracts import ContractContainer
from ethpm_types import ContractType

from ionet.config import ROOT

NODE_MODULES = ROOT / "node_modules"
ARTIFACTS: dict[str, str] = {
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "UniswapV3Factory": "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter": "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
}
FEE_TICK_SPACING = {500: 10, 3000: 60, 10000: 200}
# Observation cardinality the deploy raises per transaction (about 22.2k gas a slot: 500 slots stay
# well under the 2^24 per-transaction gas cap of the Osaka hardfork).
CARDINALITY_STEP = 500


def artifact_path(name: str) -> Path:
    return NODE_MODULES / ARTIFACTS[name]


def relative_artifact(name: str) -> str:
    """The artifact's path from the project root (what the manifest records as the ABI)."""
    return f"node_modules/{ARTIFACTS[name]}"


@cache
def contract_type(name: str) -> ContractType:
    """ABI and creation bytecode of a published artifact, exactly as published."""
    path = artifact_path(name)
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `npm ci` (package.json pins the Uniswap packages)")
    raw = json.loads(path.read_text())
    code = raw["bytecode"]
    if isinstance(code, dict):  # never for the artifacts above, kept for other Waffle builds
        code = code["object"]
    if not code.startswith("0x"):
        code = "0x" + code  # Waffle format (WETH9)
    if raw.get("linkReferences"):
        raise ValueError(f"{name} needs libraries linked; not supported")
    deployed = raw.get("deployedBytecode")
    if isinstance(deployed, str) and deployed and not deployed.startswith("0x"):
        deployed = "0x" + deployed
    return ContractType.model_validate(
        {
            "contractName": name,
            "abi": raw["abi"],
            "deploymentBytecode": {"bytecode": code},
            "runtimeBytecode": {"bytecode": deployed} if isinstance(deployed, str) else {},
        }
    )


def container(name: str) -> ContractContainer:
    return ContractContainer(contract_type(name))


def at(name: str, address: str) -> Any:
    """An ape contract instance of a Uniswap contract at `address` (ABI from the artifact)."""
    return chain.contracts.instance_at(address, contract_type=contract_type(name))


@dataclass
class Uniswap:
    """The Uniswap V3 contracts of one chain."""

    weth: Any
    factory: Any
    swap_router: Any
    position_manager: Any
    quoter: Any


def deploy_uniswap(deploy: Any) -> Uniswap:
    """WETH9, the factory, SwapRouter, NonfungiblePositionManager and QuoterV2, in that order.
    `deploy(key, artifact, *args)` deploys one artifact and returns the instance (the suite's
    recording deploy). The position manager's token descriptor is the zero address: nothing here
    calls `tokenURI` (the real descriptor needs the NFTDescriptor library linked)."""
    weth = deploy("WETH9", "WETH9")
    factory = deploy("UniswapV3Factory", "UniswapV3Factory")
    swap_router = deploy("SwapRouter", "SwapRouter", factory.address, weth.address)
    npm = deploy(
        "NonfungiblePositionManager", "NonfungiblePositionManager", factory.address, weth.address, "0x" + "00" * 20
    )
    quoter = deploy("QuoterV2", "QuoterV2", factory.address, weth.address)
    return Uniswap(weth, factory, swap_router, npm, quoter)


def direct(sender: Any, **tx: Any) -> Callable[..., Any]:
    """A `send(fn, *args, value=0)` that sends each call from `sender` at once (no journal)."""
    return lambda fn, *args, value=0: fn(*args, sender=sender, value=value, **tx)


def create_pool(
    factory: Any,
    token_a: str,
    token_b: str,
    fee: int,
    sqrt_price_x96: int,
    sender: Any = None,
    send: Callable[..., Any] | None = None,
    on_created: Callable[[Any, Any], None] | None = None,
    **tx: Any,
) -> tuple[Any, Any]:
    """createPool + initialize; returns (pool instance, createPool receipt). Each transaction goes
    through `send(fn, *args)` (the deploy's journal) or straight from `sender`; `on_created(pool,
    receipt)` runs between the two (the deploy records the pool there, so that a resumed deploy
    names the initialize call exactly as the first run did)."""
    send = send or direct(sender, **tx)
    receipt = send(factory.createPool, token_a, token_b, fee)
    address = factory.getPool(token_a, token_b, fee)
    pool = at("UniswapV3Pool", address)
    if on_created is not None:
        on_created(pool, receipt)
    send(pool.initialize, sqrt_price_x96)
    return pool, receipt


def raise_cardinality(
    pool: Any, target: int, sender: Any = None, send: Callable[..., Any] | None = None, **tx: Any
) -> int:
    """increaseObservationCardinalityNext up to `target`, CARDINALITY_STEP slots per transaction;
    returns the pool's observationCardinalityNext."""
    send = send or direct(sender, **tx)
    current = pool.slot0().observationCardinalityNext
    while current < target:
        current = min(target, current + CARDINALITY_STEP)
        send(pool.increaseObservationCardinalityNext, current)
    return pool.slot0().observationCardinalityNext


def mint_full_range(
    position_manager: Any,
    pool: Any,
    amount0: int,
    amount1: int,
    recipient: str,
    sender: Any = None,
    send: Callable[..., Any] | None = None,
    **tx: Any,
) -> tuple[int, int, int, int]:
    """A full-range position of (amount0, amount1) through the position manager (the sender has
    approved it for both tokens); returns (token id, liquidity, amount0 used, amount1 used)."""
    from ionet.models.market import full_range

    send = send or direct(sender, **tx)
    lower, upper = full_range(FEE_TICK_SPACING[int(pool.fee())])
    # A fixed deadline (2106): the same arguments in every run, so a resumed deploy recognises it.
    deadline = 2**32 - 1
    params = (pool.token0(), pool.token1(), int(pool.fee()), lower, upper, amount0, amount1, 0, 0, recipient, deadline)
    receipt = send(position_manager.mint, params)
    event = position_manager.IncreaseLiquidity.from_receipt(receipt)[0]
    return int(event.tokenId), int(event.liquidity), int(event.amount0), int(event.amount1)


def swap_exact_input(
    swap_router: Any,
    token_in: str,
    token_out: str,
    fee: int,
    amount_in: int,
    trader: Any,
    recipient: str | None = None,
    **tx: Any,
) -> Any:
    """SwapRouter.exactInputSingle (an outside trader; the trader approved the router)."""
    params = (token_in, token_out, fee, recipient or trader.address, chain.pending_timestamp + 3_600, amount_in, 0, 0)
    return swap_router.exactInputSingle(params, sender=trader, **tx)


def swap_exact_output(
    swap_router: Any,
    token_in: str,
    token_out: str,
    fee: int,
    amount_out: int,
    trader: Any,
    max_in: int = 2**256 - 1,
    recipient: str | None = None,
    **tx: Any,
) -> Any:
    """SwapRouter.exactOutputSingle (an outside trader; the trader approved the router)."""
    params = (
        token_in,
        token_out,
        fee,
        recipient or trader.address,
        chain.pending_timestamp + 3_600,
        amount_out,
        max_in,
        0,
    )
    return swap_router.exactOutputSingle(params, sender=trader, **tx)

"""Deploy steps of the settlement router (issue 6): USDC + IO, node staking, roles; and of its market
desk (issue 17: the router's trading split out of it), deployed right after the router.

Which USDC: `config["settlement"]["usdc"]` (or `scripts/deploy.py --usdc 0x…`, which sets it).
On a live network the real USDC address is required and nothing is deployed in its place; only on
a local chain with no address given does the step deploy `MockUSDC` (the test double, whose
deployer is its master minter and a minter). The manifest records which USDC was used: the
router's entry has `usdc` and `usdc_is_mock` in its args.

Roles: `admin`, `operator`, `treasury` in the config (addresses or "deployer"); when absent, the
deployer on a live network, and on a local chain the demo accounts (operator = test account 1,
treasury = test account 2, admin = deployer).
"""

from __future__ import annotations

from typing import Any

from ape import accounts

from ionet.chain.deploy_market import market_config
from ionet.chain.usdc import ensure_usdc

DESK_KEY = "MarketDesk"
LOCAL_ROLE_INDEX = {"operator": 1, "treasury": 2}


def _role(suite: Any, cfg: dict[str, Any], name: str) -> str:
    value = cfg.get(name)
    if value:
        return suite.address_of(value)
    if suite.is_local and name in LOCAL_ROLE_INDEX:
        return accounts.test_accounts[LOCAL_ROLE_INDEX[name]].address
    return suite.deployer.address


def _market(suite: Any) -> tuple[list[str], dict[str, Any]]:
    """The pools the market desk trades on (the IO/USDC pool first) and its TWAP bounds, from the market
    step (ionet/chain/deploy_market.py)."""
    pools = [p.address for p in getattr(suite, "market_pools", None) or []]
    if not pools:
        raise SystemExit("the market desk needs the IO/USDC pool: the market step must run first")
    cfg = market_config(suite)
    return pools, {k: int(cfg[k]) for k in ("twap_window_seconds", "max_deviation_bps", "max_slippage_bps")}


def _staking(suite: Any) -> Any:
    if "NodeStaking" in suite.contracts:
        return suite.contracts["NodeStaking"]
    if not suite.is_local:
        raise SystemExit("the settlement router needs NodeStaking, deployed by an earlier step")
    # Until the staking step exists (issue: node staking), a local chain uses its test double.
    mock = suite.deploy("MockNodeStaking", "MockNodeStaking", params={"test_double": True})
    suite.log("NodeStaking not in this deployment: the router uses MockNodeStaking")
    return mock


def step_router(suite: Any) -> None:
    """SettlementRouter over USDC and IO, booking devices that node staking says are eligible."""
    cfg = dict(suite.config.get("settlement") or {})
    usdc, is_mock = ensure_usdc(suite)
    staking = _staking(suite)
    admin, operator, treasury = (_role(suite, cfg, n) for n in ("admin", "operator", "treasury"))
    router = suite.deploy(
        "SettlementRouter",
        "SettlementRouter",
        usdc,
        suite.IOToken.address,
        staking.address,
        admin,
        operator,
        treasury,
        params={
            "usdc": usdc,
            "usdc_is_mock": is_mock,
            "io": suite.IOToken.address,
            "staking": staking.address,
            "admin": admin,
            "operator": operator,
            "treasury": treasury,
        },
    )
    suite.log(
        f"SettlementRouter: USDC {usdc} ({'MockUSDC' if is_mock else 'given'}), operator {operator}, "
        f"treasury {treasury}"
    )
    suite.contracts["SettlementRouter"] = router


def step_desk(suite: Any) -> None:
    """MarketDesk over the router and the market step's pools (the IO/USDC pool first), with the TWAP
    bounds of the market config; the router's admin grants it MARKET_DESK_ROLE. Its admin is the
    router's (config `settlement.admin`), handed to the timelock with the router's by a governed deploy."""
    cfg = dict(suite.config.get("settlement") or {})
    router = suite.contracts["SettlementRouter"]
    pools, bounds = _market(suite)
    admin = _role(suite, cfg, "admin")
    desk = suite.deploy(
        DESK_KEY,
        "MarketDesk",
        router.address,
        pools,
        bounds["twap_window_seconds"],
        bounds["max_deviation_bps"],
        bounds["max_slippage_bps"],
        admin,
        params={"router": router.address, "pools": pools, **bounds, "admin": admin},
    )
    role = router.MARKET_DESK_ROLE()
    if not router.hasRole(role, desk.address):
        if router.hasRole(b"\x00" * 32, suite.deployer.address):
            suite.send(router.grantRole, role, desk.address)
        else:  # the config named another admin: it grants the role (`ape run roles` shows it missing)
            suite.log(f"SettlementRouter's admin {admin} must grant MARKET_DESK_ROLE to MarketDesk {desk.address}")
    suite.log(f"MarketDesk: trades for the router on {len(pools)} pools, holds MARKET_DESK_ROLE")

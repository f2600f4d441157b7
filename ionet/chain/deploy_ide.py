"""Deploy step of the Incentive Dynamic Engine (issue 11): `contracts/IncentiveEngine.vy`.

It runs after the router (the engine pulls the router's fees) and deploys the engine inactive, over
the IO/USDC pool of the market step, with the parameters of the config's `ide` section
(docs/incentive-engine.md, "Parameters"):

    epoch_seconds, max_usd_per_epoch_usd6, max_swap_usdc_usd6, burn_share_bps, reserve_epochs,
    retire_buffer_epochs, max_deviation_bps, max_slippage_bps (default: the market's),
    twap_window_seconds (default: the market's), oracle (default: `rewards.oracle`),
    activate_at_deploy (default false)

The deployer is its first DEFAULT_ADMIN_ROLE and PAUSER_ROLE holder; a governed deploy hands both to
the timelock and the guardian Safe (ionet/roles.py). `activate_ide(suite)` switches the network to
the IDE: the EmissionSchedule pays the engine, the engine holds the router's TREASURY_ROLE (every
other holder loses it), then `activate()`. With `activate_at_deploy` the step does it at once
(the live example config); locally the demo does it later, so the pre-IDE rewards run first.
After a governed deploy the same three calls are a timelock operation (`activation_calls`).
"""

from __future__ import annotations

from typing import Any

from ionet import USDC
from ionet.chain.deploy_market import market_config, pool_key
from ionet.chain.deploy_rewards import role_address
from ionet.roles import role_hash

DEFAULTS: dict[str, Any] = {
    "epoch_seconds": 86_400,
    "max_usd_per_epoch_usd6": 100_000 * USDC,
    "max_swap_usdc_usd6": 25_000 * USDC,
    "burn_share_bps": 5_000,
    "reserve_epochs": 30,
    "retire_buffer_epochs": 90,
    "activate_at_deploy": False,
}
KEY = "IncentiveEngine"
TREASURY_ROLE = "TREASURY_ROLE"


def ide_config(suite: Any) -> dict[str, Any]:
    """`ide` of the deploy config over the defaults (the market's TWAP bounds unless given)."""
    market = market_config(suite)
    cfg = {**DEFAULTS, **{k: v for k, v in (suite.config.get("ide") or {}).items() if not k.startswith("_")}}
    for name in ("twap_window_seconds", "max_deviation_bps", "max_slippage_bps"):
        cfg.setdefault(name, market[name])
    return cfg


def step_ide(suite: Any) -> None:
    """The IncentiveEngine, inactive (or activated at once with `ide.activate_at_deploy`)."""
    cfg = ide_config(suite)
    oracle = role_address(suite, cfg.get("oracle") or (suite.config.get("rewards") or {}).get("oracle", "deployer"))
    pool = suite.contracts[pool_key("IO")]
    params = {
        "io": suite.IOToken.address,
        "usdc": suite.contracts["USDC"].address,
        "pool": pool.address,
        "emission": suite.EmissionSchedule.address,
        "router": suite.SettlementRouter.address,
        "distributor": suite.RewardsDistributor.address,
        "epoch_seconds": int(cfg["epoch_seconds"]),
        "max_usd_per_epoch": int(cfg["max_usd_per_epoch_usd6"]),
        "max_swap_usdc": int(cfg["max_swap_usdc_usd6"]),
        "burn_share_bps": int(cfg["burn_share_bps"]),
        "reserve_epochs": int(cfg["reserve_epochs"]),
        "retire_buffer_epochs": int(cfg["retire_buffer_epochs"]),
        "twap_window_seconds": int(cfg["twap_window_seconds"]),
        "max_deviation_bps": int(cfg["max_deviation_bps"]),
        "max_slippage_bps": int(cfg["max_slippage_bps"]),
        "admin": suite.deployer.address,
        "oracle": oracle,
    }
    suite.deploy(KEY, KEY, *params.values(), params=params)
    suite.log(
        f"IncentiveEngine: oracle {oracle}, at most ${params['max_usd_per_epoch'] / USDC:,.0f} an epoch, "
        f"burn share {params['burn_share_bps'] / 100:g} %, inactive until activated"
    )
    if cfg["activate_at_deploy"]:
        activate_ide(suite)


def activation_calls(suite: Any) -> list[tuple[Any, tuple[Any, ...]]]:
    """The calls that switch the network to the IDE, in order: (bound method, args). The sender
    must own the EmissionSchedule and hold DEFAULT_ADMIN_ROLE on the router and the engine (the
    deployer before governance, the timelock after)."""
    engine, router, emission = suite.contracts[KEY], suite.SettlementRouter, suite.EmissionSchedule
    treasury = role_hash(TREASURY_ROLE)
    calls: list[tuple[Any, tuple[Any, ...]]] = []
    if emission.reward_recipient() != engine.address:
        calls.append((emission.set_reward_recipient, (engine.address,)))
    if not router.hasRole(treasury, engine.address):
        calls.append((router.grantRole, (treasury, engine.address)))
    for holder in _treasury_holders(suite):
        if holder != engine.address:
            calls.append((router.revokeRole, (treasury, holder)))
    if not engine.active():
        calls.append((engine.activate, ()))
    return calls


def _treasury_holders(suite: Any) -> list[str]:
    from ape import chain

    from ionet.roles import role_holders

    router = suite.SettlementRouter
    record = suite.manifest.contracts["SettlementRouter"]
    return role_holders(chain.provider.web3, router.address, record.block).get(role_hash(TREASURY_ROLE), [])


def activate_ide(suite: Any) -> Any:
    """Switch the network to the IDE from the deployer (before governance): the emission pays the
    engine, the engine alone holds the router's TREASURY_ROLE, `activate()`. Idempotent (a resumed
    deploy sends only what is missing). Returns the engine."""
    engine = suite.contracts[KEY]
    for fn, args in activation_calls(suite):
        suite.send(fn, *args)
    suite.log(
        f"IncentiveEngine activated: epoch 1 starts at {engine.start_time()}; it receives the emission "
        "and every router fee"
    )
    return engine

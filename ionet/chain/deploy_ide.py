"""Deploy step of the Incentive Dynamic Engine (issues 11, 17): `contracts/FeeVaultDesk.vy` and
`contracts/IncentiveEngine.vy`.

It runs after the router (the engine pulls the router's fees) and deploys, over the IO/USDC pool of
the market step, the FeeVaultDesk (it holds the Fee Vault's USDC and trades it for IO on the engine's
orders, up to a price limit), the engine inactive, and binds the desk to the engine (the deployer's
one-time `bind_engine`; it keeps no power over the desk). Parameters from the config's `ide` section
(docs/incentive-engine.md, "Parameters"):

    epoch_seconds, max_usd_per_epoch_usd6, max_swap_usdc_usd6, burn_share_bps, reserve_epochs,
    retire_buffer_epochs, max_slippage_bps (default: the market's; the desk's), max_price_move_bps
    (default 1,000: an epoch's price moves at most 10 % from the previous one), twap_window_seconds
    (default: the market's), oracle (default: `rewards.oracle`), activate_at_deploy (default false)

The deployer is its first DEFAULT_ADMIN_ROLE and PAUSER_ROLE holder; a governed deploy hands both to
the timelock and the guardian Safe (ionet/chain/roles.py). `activate_ide(suite)` switches the network to
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
from ionet.chain.roles import role_hash

DEFAULTS: dict[str, Any] = {
    "epoch_seconds": 86_400,
    "max_usd_per_epoch_usd6": 100_000 * USDC,
    "max_swap_usdc_usd6": 25_000 * USDC,
    "burn_share_bps": 5_000,
    "reserve_epochs": 30,
    "retire_buffer_epochs": 90,
    "max_price_move_bps": 1_000,
    "activate_at_deploy": False,
}
KEY = "IncentiveEngine"
DESK_KEY = "FeeVaultDesk"
TREASURY_ROLE = "TREASURY_ROLE"


def ide_config(suite: Any) -> dict[str, Any]:
    """`ide` of the deploy config over the defaults (the market's TWAP bounds unless given)."""
    market = market_config(suite)
    cfg = {**DEFAULTS, **{k: v for k, v in (suite.config.get("ide") or {}).items() if not k.startswith("_")}}
    for name in ("twap_window_seconds", "max_slippage_bps"):
        cfg.setdefault(name, market[name])
    return cfg


def step_ide(suite: Any) -> None:
    """The FeeVaultDesk and the IncentiveEngine, inactive (or activated at once with
    `ide.activate_at_deploy`), the desk bound to the engine."""
    cfg = ide_config(suite)
    oracle = role_address(suite, cfg.get("oracle") or (suite.config.get("rewards") or {}).get("oracle", "deployer"))
    pool = suite.contracts[pool_key("IO")]
    desk_params = {
        "usdc": suite.contracts["USDC"].address,
        "io": suite.IOToken.address,
        "pool": pool.address,
        "max_slippage_bps": int(cfg["max_slippage_bps"]),
    }
    desk = suite.deploy(DESK_KEY, DESK_KEY, *desk_params.values(), params=desk_params)
    params = {
        "io": suite.IOToken.address,
        "usdc": suite.contracts["USDC"].address,
        "pool": pool.address,
        "desk": desk.address,
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
        "max_price_move_bps": int(cfg["max_price_move_bps"]),
        "admin": suite.deployer.address,
        "oracle": oracle,
    }
    engine = suite.deploy(KEY, KEY, *params.values(), params=params)
    if desk.engine() != engine.address:
        suite.send(desk.bind_engine, engine.address)
    suite.log(
        f"IncentiveEngine: oracle {oracle}, at most ${params['max_usd_per_epoch'] / USDC:,.0f} an epoch, "
        f"burn share {params['burn_share_bps'] / 100:g} %, an epoch's price within "
        f"{params['max_price_move_bps'] / 100:g} % of the last, trades within "
        f"{desk_params['max_slippage_bps'] / 100:g} % of the TWAP (FeeVaultDesk), inactive until activated"
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

    from ionet.chain.roles import role_holders

    router = suite.SettlementRouter
    record = suite.manifest.contracts["SettlementRouter"]
    return role_holders(chain.provider.web3, router.address, record.block).get(role_hash(TREASURY_ROLE), [])


def ensure_pool_history(suite: Any) -> None:
    """`activate()` takes the pool's TWAP as the reference of epoch 1's price clamp. On a local chain
    the clock moves past the window when the pool cannot serve it yet; on a live network a pool
    created by this deploy has no history: activation goes ahead without a reference, and epoch 1
    pays at its close TWAP unclamped (said in the log)."""
    from ape import chain

    from ionet.chain import clock

    engine = suite.contracts[KEY]
    try:
        engine.price()
        return
    except Exception:  # noqa: BLE001 (the view's revert: "pool history shorter than window")
        pass
    if not suite.is_local:
        suite.log(
            f"IncentiveEngine: the IO/USDC pool does not yet serve the {engine.twap_window()} s TWAP window: "
            "activation takes no reference price, so epoch 1 pays at its close TWAP unclamped (epochs after it move "
            f"at most {engine.max_price_move_bps() / 100:g} % a day)"
        )
        return
    clock.advance(int(engine.twap_window()) + 1)
    chain.mine()


def activate_ide(suite: Any) -> Any:
    """Switch the network to the IDE from the deployer (before governance): the emission pays the
    engine, the engine alone holds the router's TREASURY_ROLE, `activate()`. Idempotent (a resumed
    deploy sends only what is missing). Returns the engine."""
    engine = suite.contracts[KEY]
    ensure_pool_history(suite)
    for fn, args in activation_calls(suite):
        suite.send(fn, *args)
    suite.log(
        f"IncentiveEngine activated: epoch 1 starts at {engine.start_time()}; it receives the emission "
        "and every router fee"
    )
    return engine

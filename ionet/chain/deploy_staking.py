"""Deploy step of NodeStaking: the staking contract, its class multipliers and its roles.

Config key `staking` (config/deploy.<network>.json):
    max_slash_bps       largest slash as bps of a device's slashable stake
    min_slash_interval_seconds
                        least time between two slashes of one device (default 3 days); refused if
                        shorter than rewards.activation_delay_seconds + one root period (1 day),
                        which bounds how long the slasher can keep a device's rewards unclaimable
                        (issue 18; the argument is in NodeStaking's @dev, "Slash interval")
    class_multipliers   {"H100": 100000, ...}: class name -> multiplier in bps (10_000 = 1.0x),
                        each at most MAX_MULTIPLIER_BPS (1,000,000 = 100x; the contract refuses more)
    slasher, pauser     addresses (or "deployer"); locally the slasher is test account 1
"""

from __future__ import annotations

from typing import Any

from ape import accounts

from ionet.models.staking import (
    DEFAULT_MIN_SLASH_INTERVAL_SECONDS,
    MAX_MULTIPLIER_BPS,
    check_slash_interval,
    device_class,
)

DAY = 86_400


def step_staking(suite: Any) -> None:
    cfg = suite.config.get("staking", {})
    multipliers = cfg.get("class_multipliers", {})
    names = list(multipliers)
    too_high = {n: m for n, m in multipliers.items() if not 0 <= int(m) <= MAX_MULTIPLIER_BPS}
    if too_high:
        raise ValueError(f"staking.class_multipliers out of 0..{MAX_MULTIPLIER_BPS:,} bps: {too_high}")
    interval = int(cfg.get("min_slash_interval_seconds", DEFAULT_MIN_SLASH_INTERVAL_SECONDS))
    # The same default as the rewards step's (deploy_rewards.py), which deploys the distributor next.
    check_slash_interval(interval, int(suite.config.get("rewards", {}).get("activation_delay_seconds", DAY)))
    staking = suite.deploy(
        "NodeStaking", "NodeStaking", suite.IOToken.address, int(cfg.get("max_slash_bps", 5_000)), interval,
        [device_class(n) for n in names], [int(multipliers[n]) for n in names],
        params={"max_slash_bps": int(cfg.get("max_slash_bps", 5_000)), "min_slash_interval_seconds": interval,
                "class_multipliers": multipliers},
    )
    default_slasher = accounts.test_accounts[1].address if suite.is_local else "deployer"
    slasher = suite.address_of(cfg.get("slasher") or default_slasher)
    pauser = suite.address_of(cfg.get("pauser") or "deployer")
    suite.send(staking.grantRole, staking.SLASHER_ROLE(), slasher)
    suite.send(staking.grantRole, staking.PAUSER_ROLE(), pauser)
    suite.log(f"NodeStaking: {len(names)} device classes; slasher {slasher}; pauser {pauser}; "
              f"one slash per device per {interval:,} s")

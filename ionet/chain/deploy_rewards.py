"""Deploy step of the rewards area: the RewardsDistributor, recipient of the emission.

Reads `config["rewards"]`:
    activation_delay_seconds  delay between a root's publication and its activation (default 1 day)
    governance                the CANCELLER: address (or "deployer", or "test:<n>" on local chains) given
                              CANCELLER_ROLE, which only cancels pending roots (a guardian Safe, no
                              delay; the key keeps its historical name). DEFAULT_ADMIN_ROLE stays with
                              the deployer, to be handed to the governance timelock.
    oracle                    address (same forms) given ORACLE_ROLE
It must run after the staking step (it needs `suite.contracts["NodeStaking"]`) and before the
emission step (which then pays this contract).
"""

from __future__ import annotations

from typing import Any

from ape import accounts

DAY = 86_400


def role_address(suite: Any, value: str) -> str:
    """'deployer' -> the deployer; 'test:<n>' -> ape test account n (local chains only); else an address."""
    if value.startswith("test:"):
        if not suite.is_local:
            raise ValueError(f"role '{value}' names a test account on a live network")
        return accounts.test_accounts[int(value.split(":", 1)[1])].address
    return suite.address_of(value)


def step_rewards(suite: Any) -> None:
    cfg = suite.config.get("rewards", {})
    delay = int(cfg.get("activation_delay_seconds", DAY))
    canceller = role_address(suite, cfg.get("governance", "deployer"))
    oracle = role_address(suite, cfg.get("oracle", "deployer"))
    staking = suite.contracts["NodeStaking"]
    distributor = suite.deploy(
        "RewardsDistributor",
        "RewardsDistributor",
        suite.IOToken.address,
        staking.address,
        delay,
        canceller,
        oracle,
        params={
            "activation_delay_seconds": delay,
            "canceller": canceller,
            "oracle": oracle,
            "staking": staking.address,
        },
    )
    suite.log(f"RewardsDistributor: oracle {oracle}, canceller {canceller}, activation delay {delay:,} s")
    suite.contracts["RewardsDistributor"] = distributor

"""Deploy the whole suite, step by step, and record a manifest.

Each contract issue adds a step (a function `step(suite)`) to STEPS in dependency order; a step
reads its parameters from `suite.config`, deploys with `suite.deploy(...)` and wires what it needs.
`deploy_suite` is used by `scripts/deploy.py`, the demo, the gas benchmarks and the test fixtures,
so all of them run exactly the same deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ape import chain, project

from ionet import IO
from ionet.chain.deploy_rewards import step_rewards
from ionet.chain.deploy_vesting import genesis_plan, step_vesting_grants, step_vesting_vaults
from ionet.config import resolve_address
from ionet.manifest import ContractRecord, Manifest


@dataclass
class Suite:
    deployer: Any
    config: dict[str, Any]
    network: str = "local"
    ecosystem: str = "ethereum"
    contracts: dict[str, Any] = field(default_factory=dict)
    manifest: Manifest | None = None
    tx_kwargs: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = lambda _msg: None
    # The market step's Uniswap V3 (ionet.chain.uniswap.Uniswap; local chains only) and the pools the
    # router trades on, the IO/USDC pool first.
    uniswap: Any = None
    market_pools: list[Any] = field(default_factory=list)

    @property
    def is_local(self) -> bool:
        return self.network == "local"

    def __getattr__(self, name: str) -> Any:  # suite.IOToken etc.
        contracts = self.__dict__.get("contracts", {})
        if name in contracts:
            return contracts[name]
        raise AttributeError(name)

    def address_of(self, value: str) -> str:
        return resolve_address(value, self.deployer.address)

    def deploy(self, key: str, contract_name: str, *args: Any, params: dict[str, Any] | None = None) -> Any:
        """Deploy `project.<contract_name>` as `key` in the manifest (e.g. key 'VestingVault.seed')."""
        container = getattr(project, contract_name)
        instance = self.deployer.deploy(container, *args, **self.tx_kwargs)
        receipt = chain.provider.get_receipt(instance.txn_hash)
        assert self.manifest is not None
        self.manifest.contracts[key] = ContractRecord(
            address=instance.address,
            tx=str(instance.txn_hash),
            block=receipt.block_number,
            # mocks (local chains only) are not published in abi/; their ABI is the compiler output
            abi=f".build/abi/{contract_name}.json" if contract_name.startswith("Mock") else f"abi/{contract_name}.json",
            args=params or {},
        )
        self.contracts[key] = instance
        self.log(f"deployed {key:<28} {instance.address}  (block {receipt.block_number}, gas {receipt.gas_used:,})")
        return instance

    def send(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Send a wiring transaction from the deployer."""
        return fn(*args, sender=self.deployer, **self.tx_kwargs)


# ------------------------------------------------------------------ steps
def step_token(suite: Suite) -> None:
    """IOToken with its genesis minted straight into the vesting vaults (deploy_vesting.genesis_plan),
    at the address the vaults were deployed for."""
    genesis = suite.config["genesis"]
    recipients, pinned = genesis_plan(suite)
    amounts = [int(g["amount_io"]) * IO for g in genesis]
    saved, suite.tx_kwargs = suite.tx_kwargs, {**suite.tx_kwargs, **pinned}
    try:
        token = suite.deploy(
            "IOToken", "IOToken", recipients, amounts,
            params={"genesis": [{**g, "recipient": r} for g, r in zip(genesis, recipients, strict=True)]},
        )
    finally:
        suite.tx_kwargs = saved
    assert suite.manifest is not None
    # The vaults fixed the genesis time; without them it is the token's deployment block.
    suite.manifest.genesis_time = (suite.manifest.genesis_time
                                   or chain.blocks[suite.manifest.contracts["IOToken"].block].timestamp)
    suite.contracts["IOToken"] = token


def step_emission(suite: Suite) -> None:
    """EmissionSchedule, minter of the token, paying the rewards distributor once it exists."""
    cfg = suite.config["emission"]
    recipient = (
        suite.contracts["RewardsDistributor"].address
        if "RewardsDistributor" in suite.contracts
        else suite.address_of(cfg.get("reward_recipient", "deployer"))
    )
    start = int(cfg.get("start_time", 0)) or suite.manifest.genesis_time  # type: ignore[union-attr]
    emission = suite.deploy(
        "EmissionSchedule", "EmissionSchedule", suite.IOToken.address, start, recipient,
        params={"start_time": start, "reward_recipient": recipient},
    )
    suite.send(suite.IOToken.set_minter, emission.address)
    suite.log(f"IOToken minter set to EmissionSchedule; emission starts at {start}, pays {recipient}")


from ionet.chain.deploy_market import step_market  # noqa: E402
from ionet.chain.deploy_router import step_router  # noqa: E402
from ionet.chain.deploy_staking import step_staking  # noqa: E402

STEPS: list[Callable[[Suite], None]] = [
    step_vesting_vaults,  # before the token: the genesis is minted straight into the vaults
    step_token,
    step_vesting_grants,
    step_staking,
    step_rewards,
    step_emission,
    step_market,  # before the router: it needs the pools at construction
    step_router,
]


def deploy_suite(deployer: Any, config: dict[str, Any], network: str = "local", ecosystem: str = "ethereum",
                 log: Callable[[str], None] | None = None, tx_kwargs: dict[str, Any] | None = None) -> Suite:
    suite = Suite(deployer=deployer, config=config, network=network, ecosystem=ecosystem,
                  tx_kwargs=tx_kwargs or {}, log=log or (lambda _m: None))
    suite.manifest = Manifest(chain_id=chain.chain_id, network=f"{ecosystem}:{network}", deployer=deployer.address)
    for step in STEPS:
        step(suite)
    suite.manifest.parameters = {k: v for k, v in config.items() if not k.startswith("_")}
    return suite

"""Deploy the whole suite, step by step, and record a manifest.

Each contract issue adds a step (a function `step(suite)`) to STEPS in dependency order; a step
reads its parameters from `suite.config`, deploys with `suite.deploy(...)` and wires what it needs.
`deploy_suite` is used by `scripts/deploy.py`, the demo, the gas benchmarks and the test fixtures,
so all of them run exactly the same deployment.

Every transaction goes through `Suite.deploy` or `Suite.send`, which record it in the manifest's
journal (`ionet.chain.journal`): a deploy that stopped halfway resumes from its partial manifest
(`deploy_suite(..., resume=manifest)`) and sends only what is missing. `governance=` (the config's
`governance` section) hands every role to the Safes and the timelock at the end
(`ionet.chain.governance.wire_governance`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ape import chain, project
from eth_utils import keccak

from ionet import IO
from ionet.chain.deploy_rewards import step_rewards
from ionet.chain.deploy_vesting import genesis_plan, step_vesting_grants, step_vesting_vaults
from ionet.chain.journal import Journal, ResumeError, digest, resolve_pending, verify_recorded_contracts
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
    journal: Journal | None = None
    # The market step's Uniswap V3 (ionet.chain.uniswap.Uniswap; local chains only) and the pools the
    # market desk trades on, the IO/USDC pool first.
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

    def deploy(self, key: str, contract_name: str, *args: Any, params: dict[str, Any] | None = None,
               container: Any = None, abi: str | None = None, runtime_prefix: bool = True) -> Any:
        """Deploy `project.<contract_name>` (or `container`) as `key` in the manifest (e.g. key
        'VestingVault.seed'). In a resumed deploy, a contract the journal has is reused, not redeployed;
        its code must start with this checkout's runtime code (`runtime_prefix=False` for Solidity
        artifacts, whose immutables sit inside the code: their recorded code hash is checked instead)."""
        container = container if container is not None else getattr(project, contract_name)
        self._ensure_journal()
        assert self.manifest is not None and self.journal is not None
        jkey = self.journal.key(f"deploy:{key}")
        reused = self.journal.done(jkey)
        receipt = self.journal.run(jkey, self.next_nonce(), lambda: chain.provider.get_receipt(
            self.deployer.deploy(container, *args, **self.tx_kwargs).txn_hash))
        address = receipt.contract_address
        code = bytes(chain.provider.web3.eth.get_code(address))
        runtime = container.contract_type.runtime_bytecode
        if reused and runtime_prefix and runtime and runtime.bytecode and not code.startswith(bytes.fromhex(
                runtime.bytecode.removeprefix("0x"))):
            raise ResumeError(f"{key} at {address} runs other code than this checkout compiles")
        instance = container.at(address)
        previous = self.manifest.contracts.get(key)
        self.manifest.contracts[key] = ContractRecord(
            address=instance.address,
            tx=str(receipt.txn_hash),
            block=receipt.block_number,
            # mocks (local chains only) are not published in abi/; their ABI is the compiler output
            abi=abi or (f".build/abi/{contract_name}.json" if contract_name.startswith("Mock")
                        else f"abi/{contract_name}.json"),
            args=previous.args if (reused and previous) else (params or {}),
            code_hash="0x" + keccak(code).hex(),
        )
        self.contracts[key] = instance
        self.journal.save()
        verb = "reused  " if reused else "deployed"
        self.log(f"{verb} {key:<28} {instance.address}  (block {receipt.block_number}, gas {receipt.gas_used:,})")
        return instance

    def send(self, fn: Callable[..., Any], *args: Any, value: int = 0) -> Any:
        """Send a wiring transaction from the deployer (once: a resumed deploy skips it if the journal
        has it, and returns the receipt of the first time). `value`: wei sent along (WETH deposits)."""
        self._ensure_journal()
        assert self.journal is not None
        contract = getattr(fn, "contract", None)
        label = self.label_of(contract.address) if contract is not None else "call"
        method = fn.abis[0].name if getattr(fn, "abis", None) else getattr(fn, "__name__", "call")
        key = self.journal.key(f"{label}.{method}({digest([*args, value] if value else args)})")
        calldata = bytes(fn.encode_input(*args)) if hasattr(fn, "encode_input") else None
        extra = {"value": value} if value else {}
        return self.journal.run(key, self.next_nonce(),
                                lambda: fn(*args, sender=self.deployer, **extra, **self.tx_kwargs),
                                to=contract.address if contract is not None else None, calldata=calldata)

    def _ensure_journal(self) -> None:
        """A Suite built by hand (tests of single steps) gets an in-memory journal."""
        if self.journal is None:
            assert self.manifest is not None
            self.journal = Journal(self.manifest)

    def next_nonce(self) -> int:
        return int(self.tx_kwargs.get("nonce", self.deployer.nonce))

    def label_of(self, address: str) -> str:
        """The manifest key of a deployed address (else the address)."""
        assert self.manifest is not None
        for key, record in self.manifest.contracts.items():
            if record.address == address:
                return key
        for key, instance in self.contracts.items():
            if getattr(instance, "address", None) == address:
                return key
        return str(address)

    def resumed(self, key: str) -> bool:
        """True when contract `key` was deployed by an earlier run of this (resumed) deploy."""
        return self.journal is not None and self.journal.done(f"deploy:{key}")


# ------------------------------------------------------------------ steps
def step_token(suite: Suite) -> None:
    """IOToken with its genesis minted straight into the vesting vaults (deploy_vesting.genesis_plan),
    at the address the vaults were deployed for."""
    genesis = suite.config["genesis"]
    if suite.resumed("IOToken"):  # a resumed deploy: the token and its genesis exist already
        suite.deploy("IOToken", "IOToken")
        assert suite.manifest is not None
        suite.manifest.genesis_time = (suite.manifest.genesis_time
                                       or chain.blocks[suite.manifest.contracts["IOToken"].block].timestamp)
        return
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


from ionet.chain.deploy_ide import step_ide  # noqa: E402
from ionet.chain.deploy_market import step_market  # noqa: E402
from ionet.chain.deploy_router import step_desk, step_router  # noqa: E402
from ionet.chain.deploy_staking import step_staking  # noqa: E402

STEPS: list[Callable[[Suite], None]] = [
    step_vesting_vaults,  # before the token: the genesis is minted straight into the vaults
    step_token,
    step_vesting_grants,
    step_staking,
    step_rewards,
    step_emission,
    step_market,  # before the desk: it needs the pools at construction
    step_router,
    step_desk,  # after the router: it needs the router's address, then holds its MARKET_DESK_ROLE
    step_ide,  # after the router and the market: it pulls the router's fees and trades on the pool
]


def deploy_suite(deployer: Any, config: dict[str, Any], network: str = "local", ecosystem: str = "ethereum",
                 log: Callable[[str], None] | None = None, tx_kwargs: dict[str, Any] | None = None,
                 governance: dict[str, Any] | None = None, resume: Manifest | None = None,
                 save: Callable[[Manifest], Any] | None = None, stop_after: int | None = None) -> Suite:
    """Run every step (and, with `governance`, the hand-off to the Safes and the timelock).

    resume      a partial manifest of an earlier run on this chain by this deployer: continue it
    save        called with the manifest after every transaction (scripts/deploy.py writes the file)
    stop_after  stop (DeployStopped) before the (n+1)-th transaction of this run (tests of resume)
    """
    suite = Suite(deployer=deployer, config=config, network=network, ecosystem=ecosystem,
                  tx_kwargs=tx_kwargs or {}, log=log or (lambda _m: None))
    if governance is not None:
        from ionet.chain.governance import parse_governance

        parse_governance(suite, governance)  # a bad section fails here, before any transaction
    if resume is not None:
        if resume.chain_id != chain.chain_id or resume.deployer != deployer.address:
            raise ResumeError(f"the partial manifest is for chain {resume.chain_id} and deployer {resume.deployer}, "
                              f"not chain {chain.chain_id} and {deployer.address}")
        verify_recorded_contracts(resume)
        note = resolve_pending(resume, deployer.address)
        if note:
            suite.log(f"resume: {note}")
        suite.manifest = resume
    else:
        suite.manifest = Manifest(chain_id=chain.chain_id, network=f"{ecosystem}:{network}",
                                  deployer=deployer.address)
    suite.manifest.complete = False
    manifest = suite.manifest
    suite.journal = Journal(manifest, save=(lambda: save(manifest)) if save else (lambda: None), stop_after=stop_after)
    for step in STEPS:
        step(suite)
    suite.manifest.parameters = {k: v for k, v in config.items() if not k.startswith("_")}
    if governance is not None:
        from ionet.chain.governance import wire_governance

        wire_governance(suite, governance)
    suite.manifest.complete = True
    suite.journal.save()
    return suite

"""Governance on chain: the Safes (official 1.4.1 artifacts), the Timelock, the hand-off of every
role by `ionet.chain.roles.ROLE_TABLE`, and the client that drives a Safe with owners' EIP-712 signatures.

`wire_governance(suite, section)` is the deploy's last step when the config's `governance` section
is given (`ape run deploy --governance`, `deploy_suite(..., governance=...)`):

1. the Safe singleton (Safe or SafeL2), proxy factory and fallback handler: reused where the
   network already has them with the exact runtime code of the artifacts, else deployed from the
   artifacts' bytecode (never recompiled);
2. the governance Safe and the guardian Safe: created (owners and threshold from the config) or
   reused (an address that must hold a Safe);
3. the Timelock: proposer and canceller the governance Safe, executor anyone or the Safe. It is
   born with delay 0 and the deployer as a temporary proposer, only for its set-up operation (5b);
4. every access_control role converges to the table: the holder is granted, anyone else revoked;
5. every `ownable_2step` contract: `transfer_ownership(timelock)`, then ONE timelock batch
   (chained batches of at most `MAX_BATCH_CALLS` calls if there were more), scheduled and executed
   at once, accepts every ownership and, last, raises the timelock's delay to the configured one
   (default 2 days on live networks) with `update_delay`. So the deploy finishes in
   one run and the deployer never keeps an owner's power while a delay runs; from then on every
   operation waits the full delay (the `MinimumDelayChange` event shows it);
6. the protocol's assets the deploy left with the deployer go to the timelock (`hand_over_assets`):
   every recorded Uniswap position NFT (the protocol-owned liquidity) and every balance of a token
   the manifest records (rounding dust of the liquidity);
7. the deployer renounces every role it still holds, the timelock's proposer role included;
8. the audit (`ionet.chain.roles.audit`) runs and must find no problem: no role, and no asset (token
   balance, position NFT, allowance, vesting claim) left with the deployer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from ape import chain
from ape.contracts import ContractContainer
from eth_utils import keccak, to_checksum_address
from ethpm_types import ContractType

from ionet import ZERO_ADDRESS
from ionet.chain.deploy_vesting import resolve
from ionet.chain.roles import (
    DEFAULT_ADMIN_ROLE,
    DESK_KEY,
    ENGINE_KEY,
    GOVERNANCE_SAFE_KEY,
    GUARDIAN_SAFE_KEY,
    OWNER,
    TIMELOCK_KEY,
    AuditReport,
    Holder,
    audit,
    fee_vault_holder,
    is_governed,
    role_hash,
    role_holders,
    specs_for,
)
from ionet.chain.safe import (
    CANONICAL_ADDRESSES,
    SafeTx,
    encode_setup,
    exec_transaction_args,
    load_artifact,
    pack_signatures,
    sign,
)
from ionet.chain.timelock import DAY, MAX_BATCH_CALLS, BatchOperation, Operation, chunked, salt_of
from ionet.manifest import ContractRecord

DEFAULT_LIVE_DELAY_SECONDS = 2 * DAY
SAFE_INFRA = {
    "singleton": None,
    "proxy_factory": "SafeProxyFactory",
    "fallback_handler": "CompatibilityFallbackHandler",
}
ACCEPT_OWNERSHIP = keccak(text="accept_ownership()")[:4]


class GovernanceConfigError(ValueError):
    pass


# ------------------------------------------------------------------ configuration
@dataclass
class SafeSpec:
    key: str  # manifest key
    owners: list[str] = field(default_factory=list)
    threshold: int = 0
    address: str | None = None  # reuse this Safe


@dataclass
class GovernanceConfig:
    variant: str  # "Safe" (Ethereum mainnet) or "SafeL2" (L2s: events for indexers)
    infra: dict[str, str | None]
    governance: SafeSpec
    guardian: SafeSpec
    min_delay: int
    executor: str  # "anyone" or "governance_safe"


def _safe_spec(suite: Any, key: str, raw: dict[str, Any] | None, name: str) -> SafeSpec:
    if not raw:
        raise GovernanceConfigError(f"governance.{name} is missing (owners and threshold, or address)")
    owners = []
    for owner in raw.get("owners", []):
        try:
            owners.append(resolve(suite, owner))
        except ValueError as err:
            raise GovernanceConfigError(f"governance.{name}.owners: '{owner}' is not an address ({err})") from err
    spec = SafeSpec(key=key, owners=owners, threshold=int(raw.get("threshold", 0)), address=raw.get("address"))
    if spec.address:
        spec.address = to_checksum_address(spec.address)
        return spec
    if not owners:
        raise GovernanceConfigError(f"governance.{name}: no owners")
    if len(set(owners)) != len(owners):
        raise GovernanceConfigError(f"governance.{name}: an owner is listed twice")
    if ZERO_ADDRESS in owners:
        raise GovernanceConfigError(f"governance.{name}: the zero address cannot own a Safe")
    if suite.deployer.address in owners:
        raise GovernanceConfigError(f"governance.{name}: the deployer cannot own a Safe (it keeps no power)")
    if not 1 <= spec.threshold <= len(owners):
        raise GovernanceConfigError(f"governance.{name}: threshold {spec.threshold} with {len(owners)} owners")
    return spec


def operational_key(suite: Any, config_key: str) -> str | None:
    """The account the deploy config names for an operational role ("staking.slasher"), if any."""
    section, name = config_key.split(".", 1)
    value = (suite.config.get(section) or {}).get(name)
    return resolve(suite, value) if value else None


def parse_governance(suite: Any, raw: dict[str, Any]) -> GovernanceConfig:
    """Read and check the config's `governance` section; nothing is sent. Raises
    GovernanceConfigError (before any transaction) on a bad section."""
    web3 = chain.provider.web3
    variant = raw.get("safe", "SafeL2")
    if variant not in ("Safe", "SafeL2"):
        raise GovernanceConfigError(f"governance.safe is '{variant}': 'Safe' (L1) or 'SafeL2' (L2)")
    tl = raw.get("timelock") or {}
    default_delay = None if suite.is_local else DEFAULT_LIVE_DELAY_SECONDS
    delay = tl.get("min_delay_seconds", default_delay)
    if delay is None:
        raise GovernanceConfigError("governance.timelock.min_delay_seconds is required on a local chain")
    executor = tl.get("executor", "anyone")
    if executor not in ("anyone", "governance_safe"):
        raise GovernanceConfigError(f"governance.timelock.executor is '{executor}': 'anyone' or 'governance_safe'")
    cfg = GovernanceConfig(
        variant=variant,
        infra={k: (raw.get("safe_contracts") or {}).get(k) for k in SAFE_INFRA},
        governance=_safe_spec(suite, GOVERNANCE_SAFE_KEY, raw.get("governance_safe"), "governance_safe"),
        guardian=_safe_spec(suite, GUARDIAN_SAFE_KEY, raw.get("guardian_safe"), "guardian_safe"),
        min_delay=int(delay),
        executor=executor,
    )
    if cfg.governance.address and cfg.governance.address == cfg.guardian.address:
        raise GovernanceConfigError("the governance Safe and the guardian Safe must be different Safes")
    for spec in (cfg.governance, cfg.guardian):
        if spec.address:
            _check_is_safe(web3, spec)
    for name, address in cfg.infra.items():
        if address and not web3.eth.get_code(to_checksum_address(address)):
            raise GovernanceConfigError(f"governance.safe_contracts.{name} {address} has no code")
    for spec, _role in _operational_specs():
        key = operational_key(suite, spec.config_key)
        if key == suite.deployer.address:
            raise GovernanceConfigError(
                f"{spec.config_key} is the deployer: with governance the deployer keeps no "
                f"role; name the {spec.config_key.split('.')[1]}'s own account"
            )
    return cfg


def _check_is_safe(web3: Any, spec: SafeSpec) -> None:
    from ionet.chain.roles import safe_info

    name = spec.key.split(".")[1]
    if not web3.eth.get_code(spec.address):
        raise GovernanceConfigError(f"governance.{name}_safe.address {spec.address} has no code: it is not a Safe")
    try:
        owners, threshold = safe_info(web3, spec.address)
    except Exception as err:
        raise GovernanceConfigError(
            f"governance.{name}_safe.address {spec.address} is not a Safe (getOwners/getThreshold failed)"
        ) from err
    if spec.owners and sorted(owners) != sorted(spec.owners):
        raise GovernanceConfigError(f"the Safe at {spec.address} has other owners than governance.{name}_safe lists")
    if spec.threshold and threshold != spec.threshold:
        raise GovernanceConfigError(f"the Safe at {spec.address} has threshold {threshold}, not {spec.threshold}")
    spec.owners, spec.threshold = owners, threshold


def _operational_specs() -> list[tuple[Any, str]]:
    from ionet.chain.roles import ROLE_TABLE

    return [(s, s.role) for s in ROLE_TABLE if s.holder is Holder.OPERATIONAL]


# ------------------------------------------------------------------ Safe artifacts in ape
@functools.cache
def artifact_container(name: str) -> ContractContainer:
    """An ape container for one of the Safe 1.4.1 artifacts (bytecode as published)."""
    art = load_artifact(name)
    return ContractContainer(
        ContractType.model_validate(
            {
                "contractName": name,
                "abi": art.abi,
                "deploymentBytecode": {"bytecode": "0x" + art.bytecode.hex()},
                "runtimeBytecode": {"bytecode": "0x" + art.deployed_bytecode.hex()},
            }
        )
    )


def _record_existing(suite: Any, key: str, address: str, name: str, args: dict[str, Any]) -> Any:
    art = load_artifact(name)
    code = bytes(chain.provider.web3.eth.get_code(address))
    suite.manifest.contracts[key] = ContractRecord(
        address=address,
        tx="",
        block=0,
        abi=art.path,
        args={**args, "reused": True},
        code_hash="0x" + keccak(code).hex(),
    )
    instance = artifact_container(name).at(address)
    suite.contracts[key] = instance
    suite.log(f"reused   {key:<28} {address}  (existing {name} {art.name})")
    return instance


def ensure_safe_infra(suite: Any, cfg: GovernanceConfig) -> dict[str, Any]:
    """Singleton, proxy factory and fallback handler: the network's own if it has them with the
    artifacts' exact runtime code, else deployed from the artifacts."""
    web3 = chain.provider.web3
    out = {}
    for role, artifact in SAFE_INFRA.items():
        name = artifact or cfg.variant
        key = f"Safe.{role}"
        art = load_artifact(name)
        if key in suite.manifest.contracts and suite.manifest.contracts[key].args.get("reused"):
            out[role] = _record_existing(
                suite, key, suite.manifest.contracts[key].address, name, suite.manifest.contracts[key].args
            )
            continue
        given = cfg.infra.get(role)
        candidate = to_checksum_address(given or CANONICAL_ADDRESSES[name])
        if bytes(web3.eth.get_code(candidate)) == art.deployed_bytecode:
            out[role] = _record_existing(
                suite, key, candidate, name, {"safe_infra": True, "artifact": name, "version": "1.4.1"}
            )
            continue
        if given:
            raise GovernanceConfigError(f"governance.safe_contracts.{role} {given} is not Safe 1.4.1's {name}")
        out[role] = suite.deploy(
            key,
            name,
            container=artifact_container(name),
            abi=art.path,
            params={"safe_infra": True, "artifact": name, "version": "1.4.1"},
        )
    return out


def ensure_safe(suite: Any, spec: SafeSpec, infra: dict[str, Any], variant: str) -> Any:
    """The Safe of `spec`: reused, or a new proxy created through the factory."""
    if spec.address:
        return _record_existing(
            suite, spec.key, spec.address, variant, {"owners": spec.owners, "threshold": spec.threshold}
        )
    factory, singleton, handler = infra["proxy_factory"], infra["singleton"], infra["fallback_handler"]
    initializer = encode_setup(spec.owners, spec.threshold, handler.address)
    # Unique per deployment (the manifest's start time is fixed across resumed runs).
    salt_nonce = int.from_bytes(keccak(text=f"ionet:{spec.key}:{suite.manifest.deployed_at}"), "big")
    receipt = suite.send(factory.createProxyWithNonce, singleton.address, initializer, salt_nonce)
    address = to_checksum_address(factory.ProxyCreation.from_receipt(receipt)[0].proxy)
    art = load_artifact(variant)
    code = bytes(chain.provider.web3.eth.get_code(address))
    suite.manifest.contracts[spec.key] = ContractRecord(
        address=address,
        tx=str(receipt.txn_hash),
        block=receipt.block_number,
        abi=art.path,
        args={
            "owners": spec.owners,
            "threshold": spec.threshold,
            "singleton": singleton.address,
            "salt_nonce": str(salt_nonce),
        },
        code_hash="0x" + keccak(code).hex(),
    )
    instance = artifact_container(variant).at(address)
    suite.contracts[spec.key] = instance
    suite.journal.save()
    suite.log(f"created  {spec.key:<28} {address}  ({spec.threshold} of {len(spec.owners)} owners)")
    return instance


# ------------------------------------------------------------------ driving a Safe
@dataclass
class SafeClient:
    """Sends Safe transactions signed by owners (eth-account EIP-712 signatures)."""

    safe: Any  # ape ContractInstance of the Safe (proxy address, singleton ABI)

    @property
    def address(self) -> str:
        return self.safe.address

    def nonce(self) -> int:
        return int(self.safe.call_view_method("nonce"))  # `.nonce` is the account nonce in ape

    def owners(self) -> list[str]:
        return [to_checksum_address(o) for o in self.safe.getOwners()]

    def threshold(self) -> int:
        return int(self.safe.getThreshold())

    def tx(self, fn: Any, *args: Any, value: int = 0, nonce: int | None = None) -> SafeTx:
        """A Safe transaction calling contract method `fn` with `args` (at the Safe's next nonce)."""
        data = bytes(fn.encode_input(*args))
        return SafeTx(to=fn.contract.address, data=data, value=value, nonce=self.nonce() if nonce is None else nonce)

    def sign(self, tx: SafeTx, signers: list[Any]) -> bytes:
        """Packed signatures of `signers` (accounts with private keys), in the Safe's order."""
        return pack_signatures(dict(sign(s.private_key, chain.chain_id, self.address, tx) for s in signers))

    def execute(
        self,
        tx: SafeTx,
        signers: list[Any] | None = None,
        sender: Any = None,
        signatures: bytes | None = None,
        **kwargs: Any,
    ) -> Any:
        """`execTransaction` with the signatures of `signers` (or ready `signatures`), sent by
        `sender` (anyone: it pays the gas)."""
        sigs = signatures if signatures is not None else self.sign(tx, signers or [])
        return self.safe.execTransaction(
            *exec_transaction_args(tx, sigs), sender=sender or (signers or [None])[0], **kwargs
        )

    def call(self, fn: Any, *args: Any, signers: list[Any], sender: Any = None, **kwargs: Any) -> Any:
        return self.execute(self.tx(fn, *args), signers, sender, **kwargs)

    def inner_revert_reason(self, tx: SafeTx) -> str | None:
        """With safeTxGas 0 a failing inner call surfaces only as GS013: replay the inner call from
        the Safe's address to read its reason."""
        try:
            chain.provider.web3.eth.call(
                {"from": self.address, "to": tx.to, "data": "0x" + tx.data.hex(), "value": tx.value}
            )
        except Exception as err:  # web3 ContractLogicError carries the reason
            return str(getattr(err, "message", None) or err)
        return None


@dataclass
class Governance:
    """The governed suite's Timelock and Safes, and (on local chains) the owners' keys."""

    timelock: Any
    council: SafeClient  # the governance Safe
    guardian: SafeClient
    council_signers: list[Any] = field(default_factory=list)
    guardian_signers: list[Any] = field(default_factory=list)

    @property
    def min_delay(self) -> int:
        return int(self.timelock.get_minimum_delay())

    def operation(self, fn: Any, *args: Any, salt: str) -> Operation:
        return Operation(target=fn.contract.address, payload=bytes(fn.encode_input(*args)), salt=salt_of(salt))

    def schedule(
        self, op: Operation, delay: int | None = None, signers: list[Any] | None = None, sender: Any = None
    ) -> Any:
        """The governance Safe schedules `op` in the timelock."""
        delay = self.min_delay if delay is None else delay
        return self.council.call(
            self.timelock.schedule, *op.schedule_args(delay), signers=signers or self.council_signers, sender=sender
        )

    def execute(self, op: Operation, sender: Any) -> Any:
        """Anyone executes a ready operation (executor = anyone)."""
        return self.timelock.execute(*op.execute_args(), sender=sender)

    def batch(self, calls: list[tuple[Any, tuple[Any, ...]]], salt: str) -> BatchOperation:
        """One operation of several calls (bound method, args), run in order, all or none: at most
        `MAX_BATCH_CALLS` (for more, `ionet.chain.timelock.chunked` chains batches)."""
        return BatchOperation(
            targets=tuple(fn.contract.address for fn, _args in calls),
            payloads=tuple(bytes(fn.encode_input(*args)) for fn, args in calls),
            salt=salt_of(salt),
        )

    def schedule_batch(
        self, op: BatchOperation, delay: int | None = None, signers: list[Any] | None = None, sender: Any = None
    ) -> Any:
        """The governance Safe schedules the batch `op` in the timelock."""
        delay = self.min_delay if delay is None else delay
        return self.council.call(
            self.timelock.schedule_batch,
            *op.schedule_args(delay),
            signers=signers or self.council_signers,
            sender=sender,
        )

    def execute_batch(self, op: BatchOperation, sender: Any) -> Any:
        """Anyone executes a ready batch (executor = anyone)."""
        return self.timelock.execute_batch(*op.execute_args(), sender=sender)

    def cancel(self, op: Operation, signers: list[Any] | None = None, sender: Any = None) -> Any:
        return self.council.call(self.timelock.cancel, op.id, signers=signers or self.council_signers, sender=sender)


def governance_of(suite: Any) -> Governance:
    """The Governance of a governed suite; locally the Safes' owners are ape test accounts."""
    from ape import accounts

    by_address = {a.address: a for a in accounts.test_accounts} if suite.is_local else {}
    council = SafeClient(suite.contracts[GOVERNANCE_SAFE_KEY])
    guardian = SafeClient(suite.contracts[GUARDIAN_SAFE_KEY])

    def signers(client: SafeClient) -> list[Any]:
        owners = [by_address[o] for o in client.owners() if o in by_address]
        return owners[: client.threshold()]

    return Governance(
        timelock=suite.contracts[TIMELOCK_KEY],
        council=council,
        guardian=guardian,
        council_signers=signers(council),
        guardian_signers=signers(guardian),
    )


# ------------------------------------------------------------------ the hand-off
def _abi_dicts(instance: Any) -> list[dict[str, Any]]:
    return [abi.model_dump(mode="json", by_alias=True) for abi in instance.contract_type.abi]


def _holder_address(suite: Any, holder: Holder, config_key: str, current: list[str], addresses: dict) -> list[str]:
    if holder is Holder.OPERATIONAL:
        named = operational_key(suite, config_key)
        if named:
            return [named]
        kept = [a for a in current if a != suite.deployer.address]
        if not kept:
            raise GovernanceConfigError(
                f"{config_key} is not set and only the deployer holds the role: name the account in the deploy config"
            )
        return kept
    return [addresses[holder]]


def wire_governance(suite: Any, raw: dict[str, Any]) -> AuditReport:
    """Hand every role of the deployed suite to the Safes, the timelock and the operational keys
    (see the module docstring). Idempotent: a resumed deploy converges from where it stopped.
    Returns the final audit, which must find no problem."""
    cfg = parse_governance(suite, raw)
    web3 = chain.provider.web3
    deployer = suite.deployer.address
    infra = ensure_safe_infra(suite, cfg)
    council = ensure_safe(suite, cfg.governance, infra, cfg.variant)
    guardian = ensure_safe(suite, cfg.guardian, infra, cfg.variant)
    executor = ZERO_ADDRESS if cfg.executor == "anyone" else council.address
    # Born with delay 0 and the deployer as a temporary proposer (and executor), so that the
    # set-up batch below runs at once; the batch itself raises the delay.
    executors = [executor] if executor == ZERO_ADDRESS else [executor, deployer]
    timelock = suite.deploy(
        TIMELOCK_KEY,
        "Timelock",
        0,
        [council.address, deployer],
        executors,
        ZERO_ADDRESS,
        params={
            "min_delay_seconds": cfg.min_delay,
            "proposers": [council.address],
            "executor": "anyone" if executor == ZERO_ADDRESS else executor,
            "bootstrap": {"initial_delay_seconds": 0, "temporary_proposer_and_executor": deployer},
        },
    )
    engine = suite.contracts.get(ENGINE_KEY)
    addresses = {
        Holder.TIMELOCK: timelock.address,
        Holder.GUARDIAN: guardian.address,
        Holder.GOVERNANCE: council.address,
        Holder.FEE_VAULT: fee_vault_holder(web3, engine.address if engine else None, timelock.address),
    }
    if DESK_KEY in suite.contracts:
        addresses[Holder.MARKET_DESK] = suite.contracts[DESK_KEY].address
    governed = [
        k
        for k, r in suite.manifest.contracts.items()
        if is_governed(k, r) and k != TIMELOCK_KEY and k in suite.contracts
    ]

    # 4. access_control roles converge to the table; 5a. every ownable_2step owner starts the hand-off
    owned: list[str] = []
    for key in governed:
        contract = suite.contracts[key]
        specs = specs_for(key)
        if any(role == OWNER for _s, role in specs) and contract.owner() != timelock.address:
            if contract.pending_owner() != timelock.address:
                suite.send(contract.transfer_ownership, timelock.address)
            owned.append(key)
        roles = [(s, r) for s, r in specs if r != OWNER]
        if not roles:
            continue
        current = role_holders(web3, contract.address, suite.manifest.contracts[key].block)
        for spec, role in roles:
            rh = role_hash(role)
            holders = current.get(rh, [])
            wanted = _holder_address(suite, spec.holder, spec.config_key, holders, addresses)
            for account in wanted:
                if account not in holders:
                    suite.send(contract.grantRole, rh, account)
            for account in holders:
                if account not in wanted and account != deployer:
                    suite.send(contract.revokeRole, rh, account)
        suite.log(f"{key}: roles handed over ({', '.join(r for _s, r in roles)})")

    # 5b. one timelock batch (chained batches beyond MAX_BATCH_CALLS calls, run in order) accepts
    # every ownership and, last, raises the delay to the configured one
    targets = [suite.contracts[k].address for k in owned]
    payloads = [ACCEPT_OWNERSHIP for _ in owned]
    what = [f"{k}.accept_ownership()" for k in owned]
    if int(timelock.get_minimum_delay()) != cfg.min_delay:
        targets.append(timelock.address)
        payloads.append(bytes(timelock.update_delay.encode_input(cfg.min_delay)))
        what.append(f"Timelock.update_delay({cfg.min_delay})")
    if targets:
        ops = chunked(targets, payloads, f"ionet:governance-setup:{suite.manifest.deployed_at}")
        suite.manifest.governance["setup_operations"] = [
            {"what": what[i * MAX_BATCH_CALLS : (i + 1) * MAX_BATCH_CALLS], **op.to_json()} for i, op in enumerate(ops)
        ]
        for op in ops:
            if not timelock.is_operation(op.id):
                suite.send(timelock.schedule_batch, *op.schedule_args(0))
            if not timelock.is_operation_done(op.id):
                suite.send(timelock.execute_batch, *op.execute_args())
        suite.log(
            f"Timelock: accepted the ownership of {len(owned)} contracts and set its delay to "
            f"{cfg.min_delay:,} s ({len(ops)} operation(s): " + ", ".join(f"0x{op.id.hex()}" for op in ops) + ")"
        )

    # 6. the protocol-owned liquidity and any token balance the deploy left with the deployer
    hand_over_assets(suite, timelock.address)

    # 7. the deployer renounces every role it still holds (DEFAULT_ADMIN_ROLE and the timelock last)
    for key in governed + [TIMELOCK_KEY]:
        contract = suite.contracts[key]
        if "hasRole" not in {a.get("name") for a in _abi_dicts(contract)}:
            continue
        held = [
            rh
            for rh, accounts in role_holders(web3, contract.address, suite.manifest.contracts[key].block).items()
            if deployer in accounts
        ]
        for rh in sorted(held, key=lambda r: r == role_hash(DEFAULT_ADMIN_ROLE)):
            suite.send(contract.renounceRole, rh, deployer)
    suite.log("the deployer renounced every role")

    suite.manifest.governance.update(
        {
            "safe": cfg.variant,
            "timelock": timelock.address,
            "min_delay_seconds": cfg.min_delay,
            "executor": "anyone" if executor == ZERO_ADDRESS else executor,
            "governance_safe": {
                "address": council.address,
                "owners": council_owners(council),
                "threshold": int(council.getThreshold()),
            },
            "guardian_safe": {
                "address": guardian.address,
                "owners": council_owners(guardian),
                "threshold": int(guardian.getThreshold()),
            },
        }
    )
    suite.journal.save()

    # 8. the audit (roles, and every asset the deployer could still move)
    report = audit(web3, suite.manifest)
    if not report.ok:
        raise RuntimeError("governance audit failed:\n  " + "\n  ".join(report.problems))
    suite.log(f"governance audit: {len(report.rows)} role holdings checked, no problem")
    for note in report.notes:
        if note.startswith("the deployer's assets"):
            suite.log(f"governance audit: {note}")
    return report


ERC20_ABI = [
    {"type": "function", "name": name, "stateMutability": mut, "inputs": [{"name": n, "type": t} for n, t in ins],
     "outputs": [{"name": "", "type": out}]}
    for name, mut, ins, out in (
        ("balanceOf", "view", [("account", "address")], "uint256"),
        ("transfer", "nonpayable", [("to", "address"), ("amount", "uint256")], "bool"),
    )
]


def _erc20(suite: Any, address: str) -> Any:
    """The suite's own instance of a token, else a bare ERC-20 view of it (not cached by ape, so no
    other ABI is ever recorded for that address)."""
    from ape.contracts import ContractInstance

    for instance in suite.contracts.values():
        if getattr(instance, "address", None) == address:
            return instance
    return ContractInstance(address, ContractType.model_validate({"contractName": "ERC20", "abi": ERC20_ABI}))


def _position_manager(suite: Any, address: str) -> Any:
    u = suite.uniswap
    if u is not None and u.position_manager.address == address:
        return u.position_manager
    from ionet.chain import uniswap

    return uniswap.at("NonfungiblePositionManager", address)


def hand_over_assets(suite: Any, timelock: str) -> None:
    """Every recorded liquidity position NFT the deployer owns (`market.liquidity.position_owner`,
    default the deployer) and every balance it holds of a token the manifest records go to the
    timelock. Idempotent: what the deployer no longer holds is not sent again, so a resumed deploy
    converges. The pool records then name the timelock as `position_owner`."""
    from ionet.chain.roles import protocol_tokens, recorded_positions

    deployer = suite.deployer.address
    moved: list[str] = []
    for key, npm_address, token_id in recorded_positions(suite.manifest):
        npm = _position_manager(suite, npm_address)
        if npm.ownerOf(token_id) == deployer:
            suite.send(npm.transferFrom, deployer, timelock, token_id)
            moved.append(f"position #{token_id} ({key})")
        record = suite.manifest.contracts[key]
        owner = npm.ownerOf(token_id)
        if record.args.get("position_owner") != owner:
            record.args = {**record.args, "position_owner": owner, "minted_to": record.args.get("position_owner")}
    for address, label in protocol_tokens(suite.manifest).items():
        token = _erc20(suite, address)
        balance = int(token.balanceOf(deployer))
        if balance:
            suite.send(token.transfer, timelock, balance)
            moved.append(f"{balance:,} base units of {label}")
    suite.journal.save()
    suite.log("the deployer's assets went to the timelock: " + (", ".join(moved) if moved else "none left"))


def council_owners(safe: Any) -> list[str]:
    return [to_checksum_address(o) for o in safe.getOwners()]

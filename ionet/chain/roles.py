"""Who holds what: the one table of the suite's privileged roles, and the audit that reads every
holder back from the chain.

`ROLE_TABLE` is the single source of both the governed deploy's hand-off
(`ionet.chain.governance.wire_governance`) and the audit's expectations (`audit`, `ape run roles`).
A contract added later is one line per role here (manifest key, role, holder class, powers).

Holder classes:
    timelock         the governance Timelock (rules and funds: every change waits out its delay)
    guardian         the guardian Safe (stop, never move: pause, cancel a pending rewards root)
    governance Safe  proposer and canceller of the timelock
    executor         the timelock's executor: anyone (the zero address) or the governance Safe
    operational key  a plain account from the deploy config, bounded by the contract's own limits
                     (slasher, reward oracle, router operator); the timelock can replace it
    fee vault        the router's fees: the IncentiveEngine once it is active (its Fee Vault pulls
                     them), the timelock before (ionet.chain.deploy_ide.activate_ide moves the role)
    market desk      the router's MARKET_DESK_ROLE: the MarketDesk contract of the same deploy and
                     nobody else (it books paid bookings and takes income to swap it to IO)

The audit is plain web3 (no ape): holders come from `RoleGranted`/`RoleRevoked` events (snekmate
`access_control`, confirmed with `hasRole`) and the `owner()`/`pending_owner()` views of
`ownable_2step`, never from a config file. It also counts what the deployer could still move
(`deployer_holdings`): token balances, liquidity position NFTs, allowances, vesting claims.
"""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from ionet import ZERO_ADDRESS
from ionet.manifest import ROOT, Manifest

OWNER = "owner"  # the `ownable_2step` owner of a contract
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"



class Holder(StrEnum):
    TIMELOCK = "timelock"
    GUARDIAN = "guardian Safe"
    GOVERNANCE = "governance Safe"
    EXECUTOR = "executor"
    OPERATIONAL = "operational key"
    FEE_VAULT = "IncentiveEngine once active, else timelock"
    MARKET_DESK = "MarketDesk"


# Holder classes that administer (change rules, move funds, stop): never an EOA, never the deployer.
ADMIN_HOLDERS = {Holder.TIMELOCK, Holder.GUARDIAN, Holder.GOVERNANCE, Holder.FEE_VAULT, Holder.MARKET_DESK}


@dataclass(frozen=True)
class RoleSpec:
    contract: str  # manifest key; a glob ("VestingVault.*") matches several
    role: str  # OWNER, or an access_control role name
    holder: Holder
    powers: str
    config_key: str = ""  # operational keys: where the deploy config names the account


ROLE_TABLE: list[RoleSpec] = [
    RoleSpec("IOToken", OWNER, Holder.TIMELOCK, "set the minter (set once at deploy, never again)"),
    RoleSpec(
        "EmissionSchedule",
        OWNER,
        Holder.TIMELOCK,
        "change where the emission goes from now on (what is due is minted to the old recipient first)",
    ),
    RoleSpec("VestingVault.*", OWNER, Holder.TIMELOCK, "grant from the vault, revoke revocable grants"),
    RoleSpec("NodeStaking", DEFAULT_ADMIN_ROLE, Holder.TIMELOCK, "grant and revoke every role"),
    RoleSpec(
        "NodeStaking",
        "GOVERNANCE_ROLE",
        Holder.TIMELOCK,
        "class multipliers, slash maximum, overturn slashes, unjail, unpause",
    ),
    RoleSpec("NodeStaking", "PAUSER_ROLE", Holder.GUARDIAN, "pause new stakes, offers and acceptances"),
    RoleSpec(
        "NodeStaking",
        "SLASHER_ROLE",
        Holder.OPERATIONAL,
        "slash up to max_slash_bps, once per device per MIN_SLASH_INTERVAL_SECONDS, into the 30-day appeal escrow",
        "staking.slasher",
    ),
    RoleSpec("RewardsDistributor", DEFAULT_ADMIN_ROLE, Holder.TIMELOCK, "grant and revoke every role"),
    RoleSpec(
        "RewardsDistributor", "CANCELLER_ROLE", Holder.GUARDIAN, "cancel a pending root inside its activation delay"
    ),
    RoleSpec(
        "RewardsDistributor",
        "ORACLE_ROLE",
        Holder.OPERATIONAL,
        "publish roots (funded totals only, each cancellable for a day)",
        "rewards.oracle",
    ),
    RoleSpec("SettlementRouter", DEFAULT_ADMIN_ROLE, Holder.TIMELOCK, "grant and revoke every role, unpause"),
    RoleSpec("SettlementRouter", "TREASURY_ROLE", Holder.FEE_VAULT, "withdraw the accrued fees"),
    RoleSpec("SettlementRouter", "PAUSER_ROLE", Holder.GUARDIAN, "pause new bookings"),
    RoleSpec(
        "SettlementRouter",
        "OPERATOR_ROLE",
        Holder.OPERATIONAL,
        "record work and end bookings (at most what was booked)",
        "settlement.operator",
    ),
    RoleSpec(
        "SettlementRouter",
        "MARKET_DESK_ROLE",
        Holder.MARKET_DESK,
        "book USDC bookings the router was paid for; take a provider's USDC income, fee-free, to swap it to IO",
    ),
    RoleSpec("MarketDesk", DEFAULT_ADMIN_ROLE, Holder.TIMELOCK, "set the pools and the TWAP bounds of every trade"),
    RoleSpec(
        "IncentiveEngine",
        DEFAULT_ADMIN_ROLE,
        Holder.TIMELOCK,
        "activate, set the bounds (burn share never below 50 %), retire emission above the buffer, unpause",
    ),
    RoleSpec("IncentiveEngine", "PAUSER_ROLE", Holder.GUARDIAN, "pause new epoch statements"),
    RoleSpec(
        "IncentiveEngine",
        "ORACLE_ROLE",
        Holder.OPERATIONAL,
        "state the USD owed per epoch (at most max_usd_per_epoch, in order, once)",
        "ide.oracle",
    ),
    RoleSpec("Timelock", DEFAULT_ADMIN_ROLE, Holder.TIMELOCK, "grant timelock roles (only by its own operations)"),
    RoleSpec("Timelock", "PROPOSER_ROLE", Holder.GOVERNANCE, "schedule operations"),
    RoleSpec("Timelock", "CANCELLER_ROLE", Holder.GOVERNANCE, "cancel scheduled operations"),
    RoleSpec("Timelock", "EXECUTOR_ROLE", Holder.EXECUTOR, "execute operations whose delay has passed"),
]

# Manifest keys of the governance contracts (ionet.chain.governance writes them).
TIMELOCK_KEY = "Timelock"
ENGINE_KEY = "IncentiveEngine"
DESK_KEY = "MarketDesk"
GOVERNANCE_SAFE_KEY = "Safe.governance"
GUARDIAN_SAFE_KEY = "Safe.guardian"


def role_hash(name: str) -> bytes:
    return b"\x00" * 32 if name == DEFAULT_ADMIN_ROLE else keccak(text=name)


def specs_for(key: str) -> list[tuple[RoleSpec, str]]:
    """The table's lines for manifest key `key`, each with its role name (every role of the table
    is in its contract's ABI: tests/unit/test_roles_table.py checks)."""
    return [(spec, spec.role) for spec in ROLE_TABLE if fnmatch.fnmatchcase(key, spec.contract)]


def is_governed(key: str, record: Any) -> bool:
    """Contracts the governance covers: everything but test doubles, the Safe's own parts and
    third-party protocols deployed locally in place of the live ones (Uniswap from npm)."""
    args = getattr(record, "args", {}) or {}
    return not (
        key.startswith("Mock")
        or args.get("test_double")
        or args.get("third_party")
        or args.get("safe_infra")
        or key in (GOVERNANCE_SAFE_KEY, GUARDIAN_SAFE_KEY)
    )


# ------------------------------------------------------------------ reading the chain
ROLE_GRANTED = "0x" + keccak(text="RoleGranted(bytes32,address,address)").hex()
ROLE_REVOKED = "0x" + keccak(text="RoleRevoked(bytes32,address,address)").hex()
LOG_CHUNK_BLOCKS = 10_000


def _call(w3: Any, address: str, signature: str, types: list[str], args: list[Any], out: list[str]) -> Any:
    data = function_signature_to_4byte_selector(signature) + encode(types, args)
    raw = w3.eth.call({"to": address, "data": "0x" + data.hex()})
    values = decode(out, bytes(raw))
    return values[0] if len(values) == 1 else values


def _call_many(w3: Any, address_args: list[tuple[str, list[Any]]], signature: str, types: list[str],
               out: list[str]) -> list[Any]:
    """One view called on many (address, args), in one JSON-RPC batch (one round trip); one call at a
    time where the endpoint does not take batches."""
    selector = function_signature_to_4byte_selector(signature)
    txs = [{"to": to_checksum_address(a), "data": "0x" + (selector + encode(types, a_args)).hex()}
           for a, a_args in address_args]
    if not txs:
        return []
    try:
        with w3.batch_requests() as batch:
            for tx in txs:
                batch.add(w3.eth.call(tx))
            raw = batch.execute()
        if len(raw) != len(txs):
            raise ValueError("short batch")
    except Exception:  # no batches here (or one item failed): call one by one
        raw = [w3.eth.call(tx) for tx in txs]
    values = [decode(out, bytes(r)) for r in raw]
    return [v[0] if len(v) == 1 else v for v in values]


def has_code(w3: Any, address: str) -> bool:
    return len(w3.eth.get_code(to_checksum_address(address))) > 0


def _logs(
    w3: Any, address: str, from_block: int, to_block: int, topics: list[Any] | None = None
) -> list[Any]:
    """Events of one contract (default: its role events), in chunks (public RPCs cap a query's block
    range)."""
    out: list[Any] = []
    start, chunk = from_block, LOG_CHUNK_BLOCKS
    while start <= to_block:
        end = min(to_block, start + chunk - 1)
        try:
            out += w3.eth.get_logs(
                {
                    "address": to_checksum_address(address),
                    "fromBlock": start,
                    "toBlock": end,
                    "topics": topics or [[ROLE_GRANTED, ROLE_REVOKED]],
                }
            )
        except Exception:
            if chunk <= 100:
                raise
            chunk //= 10
            continue
        start = end + 1
    return sorted(out, key=lambda log: (log["blockNumber"], log["logIndex"]))


def role_holders(w3: Any, address: str, from_block: int, to_block: int | None = None) -> dict[bytes, list[str]]:
    """Every role of an access_control contract with its current holders, replayed from its
    RoleGranted/RoleRevoked events and confirmed with `hasRole`."""
    to_block = w3.eth.block_number if to_block is None else to_block
    holders: dict[bytes, list[str]] = {}
    for log in _logs(w3, address, from_block, to_block):
        role = bytes(log["topics"][1])
        account = to_checksum_address(bytes(log["topics"][2])[-20:])
        current = holders.setdefault(role, [])
        if "0x" + bytes(log["topics"][0]).hex() == ROLE_GRANTED:
            if account not in current:
                current.append(account)
        elif account in current:
            current.remove(account)
    for role, accounts in holders.items():
        confirmed = [
            a
            for a in accounts
            if _call(w3, address, "hasRole(bytes32,address)", ["bytes32", "address"], [role, a], ["bool"])
        ]
        if confirmed != accounts:
            raise RuntimeError(f"{address}: role events disagree with hasRole for {role.hex()}")
    return holders


def role_admin(w3: Any, address: str, role: bytes) -> bytes:
    return _call(w3, address, "getRoleAdmin(bytes32)", ["bytes32"], [role], ["bytes32"])


def owner_of(w3: Any, address: str) -> tuple[str, str]:
    """(owner, pending_owner) of an ownable_2step contract (pending: the zero address if none)."""
    owner = _call(w3, address, "owner()", [], [], ["address"])
    try:  # a one-step Ownable (no pending owner) reads as nothing pending
        pending = _call(w3, address, "pending_owner()", [], [], ["address"])
    except Exception:
        pending = ZERO_ADDRESS
    return to_checksum_address(owner), to_checksum_address(pending)


def safe_info(w3: Any, address: str) -> tuple[list[str], int]:
    """(owners, threshold) of a Safe."""
    owners = _call(w3, address, "getOwners()", [], [], ["address[]"])
    threshold = _call(w3, address, "getThreshold()", [], [], ["uint256"])
    return [to_checksum_address(o) for o in owners], int(threshold)


# ------------------------------------------------------------------ the audit
@dataclass
class Row:
    contract: str
    role: str
    holder: str  # address, or "" when nobody holds it
    kind: str  # "EOA", "contract", "Timelock", "Safe 2 of 3", "anyone", "nobody", ...
    expected: str
    powers: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class AuditReport:
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"{r.contract} {r.role}: {p}" for r in self.rows for p in r.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    def pending_handoffs(self) -> list[Row]:
        return [r for r in self.rows if r.role == "pending_owner" and r.holder]


def _abi(record: Any) -> list[dict[str, Any]] | None:
    path = ROOT / record.abi if record.abi else None
    if path is None or not path.exists():
        return None
    raw = json.loads(path.read_text())
    return raw["abi"] if isinstance(raw, dict) else raw


def _role_names(abi: list[dict[str, Any]] | None, extra: Iterable[str]) -> dict[bytes, str]:
    """Role hash -> name: every `*_ROLE` constant of the ABI and the table's names."""
    names = {n for n in extra}
    names |= {
        item["name"]
        for item in abi or []
        if item.get("type") == "function" and str(item.get("name", "")).endswith("_ROLE") and not item.get("inputs")
    }
    return {role_hash(n): n for n in names}


def audit(w3: Any, manifest: Manifest, log: Callable[[str], None] | None = None) -> AuditReport:
    """Read every role of every governed contract of `manifest` from the chain and check it
    against ROLE_TABLE. A row's problems make `ape run roles --strict` fail:
    the deployer holds it; an EOA holds an admin role (timelock, guardian or governance class, or
    a role the table does not know); nobody holds it; it is held by another account than the one
    the table names; a two-step hand-off is pending; a role is administered by another role than
    DEFAULT_ADMIN_ROLE."""
    contracts = manifest.contracts
    deployer = to_checksum_address(manifest.deployer)
    addr = {k: to_checksum_address(r.address) for k, r in contracts.items()}
    timelock = addr.get(TIMELOCK_KEY)
    gov_safe = addr.get(GOVERNANCE_SAFE_KEY)
    guardian = addr.get(GUARDIAN_SAFE_KEY)
    names_by_address = {a: k for k, a in addr.items()}
    code_cache: dict[str, bool] = {}
    notes: list[str] = []

    def contract_code(a: str) -> bool:
        if a not in code_cache:
            code_cache[a] = has_code(w3, a)
        return code_cache[a]

    safe_kinds: dict[str, str] = {}
    for key in (GOVERNANCE_SAFE_KEY, GUARDIAN_SAFE_KEY):
        if key in addr and contract_code(addr[key]):
            owners, threshold = safe_info(w3, addr[key])
            safe_kinds[addr[key]] = f"{key} ({threshold} of {len(owners)})"
            notes.append(f"{key} {addr[key]}: {threshold} of {len(owners)} owners: {', '.join(owners)}")
    timelock_problems: list[str] = []
    if timelock and contract_code(timelock):
        delay = _call(w3, timelock, "get_minimum_delay()", [], [], ["uint256"])
        notes.append(f"Timelock {timelock}: minimum delay {delay:,} s ({delay / 86_400:g} days)")
        configured = (manifest.governance or {}).get("min_delay_seconds")
        if configured is not None and delay < int(configured):
            timelock_problems.append(f"minimum delay {delay:,} s, below the {int(configured):,} s of the deploy")

    def kind(a: str) -> str:
        if a == ZERO_ADDRESS:
            return "anyone"
        if a in safe_kinds:
            return safe_kinds[a]
        label = names_by_address.get(a)
        if a == deployer:
            return "deployer (EOA)"
        if label:
            return label
        return "contract" if contract_code(a) else "EOA"

    def expected_address(holder: Holder) -> str | None:
        if holder is Holder.TIMELOCK:
            return timelock
        if holder is Holder.GUARDIAN:
            return guardian
        if holder is Holder.GOVERNANCE:
            return gov_safe
        if holder is Holder.FEE_VAULT:
            return fee_vault_holder(w3, addr.get(ENGINE_KEY), timelock)
        if holder is Holder.MARKET_DESK:
            return addr.get(DESK_KEY)
        return None

    rows: list[Row] = []
    for key, record in contracts.items():
        if not is_governed(key, record):
            continue
        address = addr[key]
        if not contract_code(address):
            rows.append(Row(key, "-", "", "no code", "-", problems=["no code at the manifest's address"]))
            continue
        abi = _abi(record)
        specs = specs_for(key)
        fn_names = {i.get("name") for i in abi or [] if i.get("type") == "function"}
        # ---- ownable_2step
        owner_specs = [s for s, r in specs if r == OWNER]
        if OWNER in fn_names or owner_specs:
            spec = owner_specs[0] if owner_specs else None
            owner, pending = owner_of(w3, address)
            want = expected_address(spec.holder) if spec else None
            row = Row(
                key,
                OWNER,
                owner,
                kind(owner),
                spec.holder.value if spec else "(not in the table)",
                spec.powers if spec else "",
            )
            _check_holder(row, owner, spec.holder if spec else None, want, deployer, contract_code)
            rows.append(row)
            if pending != ZERO_ADDRESS:
                rows.append(
                    Row(
                        key,
                        "pending_owner",
                        pending,
                        kind(pending),
                        "none",
                        problems=[f"hand-off to {kind(pending)} {pending} not accepted yet"],
                    )
                )
        # ---- access_control
        if "hasRole" not in fn_names:
            continue
        role_specs = {role_hash(r): (s, r) for s, r in specs if r != OWNER}
        holders = role_holders(w3, address, record.block)
        names = _role_names(abi, [r for _s, r in role_specs.values()] + [DEFAULT_ADMIN_ROLE])
        for rh in list(role_specs) + [h for h in holders if h not in role_specs]:
            spec, name = role_specs.get(rh, (None, names.get(rh, "0x" + rh.hex())))
            accounts = holders.get(rh, [])
            expected = spec.holder.value if spec else "(not in the table)"
            powers = spec.powers if spec else ""
            if not accounts:
                rows.append(Row(key, name, "", "nobody", expected, powers, problems=["held by nobody"]))
                continue
            admin_role = role_admin(w3, address, rh)
            for account in accounts:
                row = Row(key, name, account, kind(account), expected, powers)
                if spec and spec.holder is Holder.EXECUTOR and account not in (ZERO_ADDRESS, gov_safe):
                    row.problems.append("the executor must be anyone (the zero address) or the governance Safe")
                want = expected_address(spec.holder) if spec else None
                _check_holder(row, account, spec.holder if spec else None, want, deployer, contract_code)
                if admin_role != b"\x00" * 32:
                    row.problems.append(
                        f"administered by {names.get(admin_role, '0x' + admin_role.hex())}, not DEFAULT_ADMIN_ROLE"
                    )
                rows.append(row)
    if timelock_problems:
        rows.append(
            Row(TIMELOCK_KEY, "minimum delay", timelock, "Timelock", "the deploy's delay", problems=timelock_problems)
        )
    held, note = deployer_holdings(w3, manifest)
    rows += held
    notes.append(note)
    if log:
        for n in notes:
            log(n)
    return AuditReport(rows=rows, notes=notes)


# ------------------------------------------------------------------ what the deployer can still move
GRANTED = "0x" + keccak(text="Granted(uint256,address,uint256,uint256,uint256)").hex()
# VestingVault.grant_state's GrantState: id, serial, beneficiary, status, status_name, current id, amount, claimed,
# vested, claimable, revoked, revoked_at, unvested_returned, pending_beneficiary
GRANT_STATE = (
    "(uint256,uint256,address,uint256,string,uint256,uint256,uint256,uint256,uint256,bool,uint256,uint256,address)"
)
GRANT_ACTIVE, GRANT_REVOKED = 1, 2
NOTHING = "nothing (the deployer keeps no asset)"


def protocol_tokens(manifest: Manifest) -> dict[str, str]:
    """Every ERC-20 the manifest records, address -> label: the IO token, the USDC (the test double
    or the router's), WETH9, and both tokens of every recorded pool (a live network's assets)."""
    out: dict[str, str] = {}
    names = {to_checksum_address(r.address): k for k, r in manifest.contracts.items()}

    def add(address: Any, label: str) -> None:
        if isinstance(address, str) and address.startswith("0x") and len(address) == 42 and int(address, 16):
            a = to_checksum_address(address)
            out.setdefault(a, names.get(a, label))

    for key in ("IOToken", "MockUSDC", "WETH9"):
        if key in manifest.contracts:
            add(manifest.contracts[key].address, key)
    for key, record in manifest.contracts.items():
        args = record.args or {}
        for name in ("token0", "token1"):
            add(args.get(name), f"{name} of {key}")
        if key == "SettlementRouter":
            add(args.get("usdc"), "USDC")
    return out


def recorded_positions(manifest: Manifest) -> list[tuple[str, str, int]]:
    """(pool key, position manager, token id) of every liquidity position the deploy minted."""
    out = []
    fallback = manifest.contracts.get("NonfungiblePositionManager")
    market = (manifest.parameters or {}).get("market") or {}
    configured = (market.get("uniswap") or {}).get("position_manager")
    for key, record in manifest.contracts.items():
        args = record.args or {}
        if args.get("position_id") is None:
            continue
        npm = args.get("position_manager") or (fallback.address if fallback else configured)
        if npm:
            out.append((key, to_checksum_address(npm), int(args["position_id"])))
    return out


def deployer_holdings(w3: Any, manifest: Manifest) -> tuple[list[Row], str]:
    """Everything of the protocol the deployer could still move, read from the chain: its balance of
    every token the manifest records, every recorded Uniswap position NFT it owns or is approved for
    (and any other position of those managers it owns), every allowance a recorded contract gave it
    on those tokens, and what it could still claim from a vesting grant. Returns one row per holding
    found (each a problem: `--strict` fails) and a summary note."""
    deployer = to_checksum_address(manifest.deployer)
    rows: list[Row] = []
    checked: Counter = Counter()

    def hold(contract: str, what: str, problem: str) -> None:
        rows.append(Row(contract, what, deployer, "deployer (EOA)", NOTHING, problems=[problem]))

    tokens = protocol_tokens(manifest)
    balances = _call_many(w3, [(t, [deployer]) for t in tokens], "balanceOf(address)", ["address"], ["uint256"])
    for label, balance in zip(tokens.values(), balances, strict=True):
        checked["token balances"] += 1
        if balance:
            hold(label, "balance", f"the deployer holds {balance:,} base units")
    positions = recorded_positions(manifest)
    owners: dict[tuple[str, int], str] = {}
    for key, npm, token_id in positions:
        checked["positions"] += 1
        owner = to_checksum_address(_call(w3, npm, "ownerOf(uint256)", ["uint256"], [token_id], ["address"]))
        owners[(npm, token_id)] = owner
        if owner == deployer:
            hold(key, f"position #{token_id}", "the deployer owns this liquidity position NFT")
        approved = to_checksum_address(_call(w3, npm, "getApproved(uint256)", ["uint256"], [token_id], ["address"]))
        if approved == deployer:
            hold(key, f"position #{token_id}", "the deployer is approved for this liquidity position NFT")
    for npm in sorted({n for _k, n, _t in positions}):
        count = _call(w3, npm, "balanceOf(address)", ["address"], [deployer], ["uint256"])
        recorded = sum(1 for (n, _t), owner in owners.items() if n == npm and owner == deployer)
        if count > recorded:  # positions the manifest does not record
            hold("NonfungiblePositionManager", "positions", f"the deployer owns {count} position NFTs of {npm}")
    for npm, owner in sorted({(n, o) for (n, _t), o in owners.items()}):
        if owner != deployer and _call(
            w3, npm, "isApprovedForAll(address,address)", ["address", "address"], [owner, deployer], ["bool"]
        ):
            hold("NonfungiblePositionManager", "operator", f"the deployer may move every position of {owner}")
    holders = sorted({to_checksum_address(r.address) for r in manifest.contracts.values()} - {deployer})
    pairs = [(token, holder) for token in tokens for holder in holders]
    allowances = _call_many(w3, [(t, [h, deployer]) for t, h in pairs], "allowance(address,address)",
                            ["address", "address"], ["uint256"])
    for (token, holder), allowance in zip(pairs, allowances, strict=True):
        checked["allowances"] += 1
        if allowance:
            hold(tokens[token], "allowance", f"{holder} lets the deployer spend {allowance:,} base units")
    topic = "0x" + bytes.fromhex(deployer[2:]).rjust(32, b"\x00").hex()
    head = w3.eth.block_number
    for key, record in manifest.contracts.items():
        if not key.startswith("VestingVault."):
            continue
        for log in _logs(w3, record.address, record.block, head, [GRANTED, None, topic]):
            checked["vesting grants"] += 1
            grant_id = int.from_bytes(bytes(log["topics"][1]), "big")
            state = _call(w3, record.address, "grant_state(uint256)", ["uint256"], [grant_id], [GRANT_STATE])
            serial, status, amount, claimed, claimable = state[1], state[3], state[6], state[7], state[9]
            left = amount - claimed if status == GRANT_ACTIVE else claimable if status == GRANT_REVOKED else 0
            if left:
                hold(key, f"grant #{serial}", f"the deployer can still claim {left:,} wei of IO")
    what = ", ".join(f"{n} {k}" for k, n in checked.items()) or "nothing recorded"
    verdict = "nothing held" if not rows else f"{len(rows)} held (listed as problems)"
    return rows, f"the deployer's assets ({what} checked): {verdict}"


def fee_vault_holder(w3: Any, engine: str | None, timelock: str | None) -> str | None:
    """Who should withdraw the router's fees: the IncentiveEngine once active, else the timelock."""
    if engine and has_code(w3, engine) and _call(w3, engine, "active()", [], [], ["bool"]):
        return to_checksum_address(engine)
    return timelock


def _check_holder(
    row: Row, account: str, holder: Holder | None, want: str | None, deployer: str, contract_code: Callable[[str], bool]
) -> None:
    if account == deployer:
        row.problems.append("held by the deployer")
    is_admin = holder is None or holder in ADMIN_HOLDERS
    if is_admin and account != ZERO_ADDRESS and account != deployer and not contract_code(account):
        row.problems.append("an EOA holds an admin role")
    if holder in ADMIN_HOLDERS and want and account != want and account != deployer:
        row.problems.append(f"held by {account}, expected the {holder.value} {want}")
    if holder in ADMIN_HOLDERS and not want:
        row.problems.append(f"no {holder.value} in the manifest")


def load_manifest(path: str | Path) -> Manifest:
    return Manifest.from_json(Path(path).read_text())

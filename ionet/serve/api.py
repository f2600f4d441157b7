"""The network's HTTP API (FastAPI): the indexer's SQLite, the proof store and a few chain views.

    app = create_app(manifest, "index.sqlite", "proofs.sqlite", w3)   # refuses a wrong chain id
    uvicorn.run(app, host="127.0.0.1", port=8700)                      # or `ape run serve`

Sources: every state figure comes from the indexer's tables (ionet/serve/indexer.py, ionet/serve/index_state.py,
read only); leaves and proofs from the proof store (ionet/serve/proofs.py, ~log2(n) SQLite lookups);
`preview_claim` / `preview_settle_slash` (what a claim would do now) and the engine's trailing
sustainability ratio from the chain through `w3`; the emission outlook and vesting calendars from the
plain-Python models (ionet/models/emission.py, ionet/models/vesting.py).

Amounts: every amount is {"value": "<decimal string in base units>", "token": "IO" | "USDC" | "USD",
"decimals": 18 | 6 | 6}; a price is the USDC base units paid for one IO (10**18 wei), decimals 6.
Errors: 422 for a malformed device id (not 0x + 64 hex) or address (not 0x + 40 hex), 404 with a
reason for an unknown device or address, 404 for a root the proof store does not hold.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from fastapi import FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel

from ionet.engines.merkle import ZERO_ADDRESS, RewardLeaf, SlashLeaf
from ionet.manifest import ROOT, Manifest
from ionet.models import emission, vesting
from ionet.serve import dashboard
from ionet.serve.proofs import ProofStore, UnknownRoot

API_VERSION = "1"
DEVICE_PATTERN = r"^0x[0-9a-fA-F]{64}$"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
DECIMALS = {"IO": 18, "USDC": 6, "USD": 6}
ZERO_ROOT = b"\x00" * 32
CLAIM_TYPES = ["bytes32", "uint256", "address", "uint256", "uint256", "uint256", "bytes32[]"]
SETTLE_TYPES = ["bytes32", "uint256", "uint256", "uint256", "address", "uint256", "uint256", "bytes32[]"]
CLAIM_SELECTOR = keccak(text=f"claim({','.join(CLAIM_TYPES)})")[:4]
SETTLE_SELECTOR = keccak(text=f"settle_slash({','.join(SETTLE_TYPES)})")[:4]
OUTCOMES = {0: "none", 1: "pending", 2: "overturned", 3: "finalized"}
CO_STATES = {0: "none", 1: "offered", 2: "active", 3: "exiting"}

Device = Annotated[str, PathParam(pattern=DEVICE_PATTERN, description="device id: 0x + 64 hex digits")]
Address = Annotated[str, PathParam(pattern=ADDRESS_PATTERN, description="address: 0x + 40 hex digits")]


class ChainMismatch(RuntimeError):
    """The RPC's chain id is not the manifest's: the server refuses to start."""


# ---------------------------------------------------------------- response models (documentation)
class Amount(BaseModel):
    value: str
    token: str
    decimals: int


class Error(BaseModel):
    detail: Any


class ProofLeaf(BaseModel):
    kind: str
    fields: dict[str, Any]
    proof: list[str]


class ProofsResponse(BaseModel):
    device: str
    root: str
    root_status: str
    note: str
    reward_leaves: list[ProofLeaf]
    slash_leaves: list[ProofLeaf]


def amt(value: Any, token: str = "IO") -> dict[str, Any]:
    return {"value": str(int(value or 0)), "token": token, "decimals": DECIMALS[token]}


def price(value: Any) -> dict[str, Any]:
    return {"value": str(int(value or 0)), "token": "USDC", "decimals": 6, "per": "1 IO (10**18 wei)"}


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def _json(data: Any) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), media_type="application/json")


def _leaf_json(leaf: RewardLeaf | SlashLeaf, proof: list[bytes]) -> dict[str, Any]:
    if isinstance(leaf, RewardLeaf):
        fields = {
            "device": _hex(leaf.device),
            "owner_cumulative": amt(leaf.owner_cumulative),
            "co_staker": leaf.co_staker,
            "co_cumulative": amt(leaf.co_cumulative),
            "slash_id": leaf.slash_id,
            "co_slash_id": leaf.co_slash_id,
        }
        kind = "reward"
    else:
        fields = {
            "device": _hex(leaf.device),
            "slash_id": leaf.slash_id,
            "owner_prev": leaf.owner_prev,
            "owner_at": amt(leaf.owner_at),
            "co_staker": leaf.co_staker,
            "co_prev": leaf.co_prev,
            "co_at": amt(leaf.co_at),
        }
        kind = "slash"
    return {"kind": kind, "fields": fields, "proof": [_hex(p) for p in proof]}


def claim_calldata(leaf: RewardLeaf, proof: list[bytes]) -> str:
    return _hex(CLAIM_SELECTOR + abi_encode(CLAIM_TYPES, [*leaf, proof]))


def settle_calldata(leaf: SlashLeaf, proof: list[bytes]) -> str:
    return _hex(SETTLE_SELECTOR + abi_encode(SETTLE_TYPES, [*leaf, proof]))


@dataclass
class Context:
    manifest: Manifest
    index_path: str
    store: ProofStore
    w3: Any
    abi_root: Path

    def __post_init__(self) -> None:
        self._local = threading.local()
        self.keys: dict[str, list[str]] = {}
        for key, rec in self.manifest.contracts.items():
            self.keys.setdefault(Path(rec.abi).stem, []).append(key)
        self._contracts: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}  # address -> symbol
        for key, rec in self.manifest.contracts.items():
            if key == "IOToken":
                self.tokens[to_checksum_address(rec.address)] = "IO"
            elif key == "USDC" or Path(rec.abi).stem in ("MockUSDC", "FiatTokenV2_2"):
                self.tokens[to_checksum_address(rec.address)] = "USDC"

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True, check_same_thread=False, timeout=10)
            self._local.db = conn
        return conn

    def q(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def key(self, kind: str) -> str | None:
        return (self.keys.get(kind) or [None])[0]

    def contract(self, kind: str) -> Any:
        if kind not in self._contracts:
            key = self.key(kind)
            if key is None:
                raise HTTPException(503, f"the manifest has no {kind}")
            rec = self.manifest.contracts[key]
            abi = json.loads((self.abi_root / rec.abi).read_text())
            self._contracts[kind] = self.w3.eth.contract(address=to_checksum_address(rec.address), abi=abi)
        return self._contracts[kind]

    def token_amount(self, value: Any, token_address: str) -> dict[str, Any]:
        return amt(value, self.tokens.get(to_checksum_address(token_address), "USDC"))

    # ------------------------------------------------------------ roots
    def active_root(self) -> bytes | None:
        """The active root as indexed (one query), None before the first activation."""
        row = self.db.execute(
            "SELECT r.root FROM dist_state s JOIN dist_roots r ON r.contract = s.contract "
            "AND r.root_id = s.active_root_id WHERE s.contract = ?",
            (self.key("RewardsDistributor"),),
        ).fetchone()
        return bytes.fromhex(row[0][2:]) if row else None

    def roots(self) -> dict[str, dict[str, Any] | None]:
        """The distributor's active and pending roots as the indexer has them."""
        key = self.key("RewardsDistributor")
        out: dict[str, dict[str, Any] | None] = {"active": None, "pending": None}
        rows = self.q("SELECT active_root_id, pending_root_id FROM dist_state WHERE contract = ?", (key,))
        if not rows:
            return out
        for name, rid in zip(("active", "pending"), rows[0], strict=True):
            if rid:
                r = self.q(
                    "SELECT root_id, root, total, through_epoch, through_time, published_at, activates_at "
                    "FROM dist_roots WHERE contract = ? AND root_id = ?",
                    (key, rid),
                )[0]
                root = bytes.fromhex(r[1][2:])
                out[name] = {
                    "root_id": r[0],
                    "root": r[1],
                    "total": amt(r[2]),
                    "through_epoch": r[3],
                    "through_time": r[4],
                    "published_at": r[5],
                    "activates_at": r[6],
                    "in_store": self.store.root_id(root, missing_ok=True) is not None,
                    "_bytes": root,
                }
        return out


def _public(root: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if root is None else {k: v for k, v in root.items() if not k.startswith("_")}


def _device_bytes(device: str) -> bytes:
    return bytes.fromhex(device[2:])


def create_app(
    manifest: Manifest,
    index_db: str | Path,
    proof_store: ProofStore | str | Path,
    w3: Any,
    abi_root: Path = ROOT,
    check_chain: bool = True,
) -> FastAPI:
    """The API over one deployment. Raises ChainMismatch when the RPC's chain id differs from the
    manifest's (the server does not start)."""
    if check_chain:
        rpc_chain = int(w3.eth.chain_id)
        if rpc_chain != int(manifest.chain_id):
            raise ChainMismatch(
                f"the RPC is on chain {rpc_chain}, the manifest ({manifest.network}) on chain "
                f"{manifest.chain_id}: refusing to serve"
            )
    if not Path(index_db).exists():
        raise FileNotFoundError(f"no index at {index_db}: run `ape run index` first")
    store = proof_store if isinstance(proof_store, ProofStore) else ProofStore(proof_store, readonly=True)
    ctx = Context(manifest, str(index_db), store, w3, abi_root)
    app = FastAPI(
        title="IO network API",
        version=API_VERSION,
        description=(__doc__ or "").split("\n\n")[0] + " Amounts are decimal strings in base units with "
        "their token's decimals named.",
    )
    app.state.ctx = ctx
    errors = {
        404: {"model": Error, "description": "unknown device, address or root (the reason in `detail`)"},
        422: {"description": "malformed device id or address"},
    }

    # ------------------------------------------------------------ status
    @app.get("/v1/status", summary="chain, index and proof store")
    def status() -> Response:
        roots = ctx.roots()
        last = ctx.q("SELECT value FROM meta WHERE key = 'last_block'")
        return _json(
            {
                "chain_id": manifest.chain_id,
                "network": manifest.network,
                "indexed_through_block": int(last[0][0]) if last else None,
                "chain_time": _chain_time(w3),
                "active_root": _public(roots["active"]),
                "pending_root": _public(roots["pending"]),
                "store_roots": store.roots(),
            }
        )

    # ------------------------------------------------------------ proofs (SQLite only)
    @app.get(
        "/v1/proofs/{device}",
        summary="a device's leaves and proofs under the active root (or `root`)",
        responses={200: {"model": ProofsResponse}, **errors},
    )
    async def proofs(
        device: Device,
        root: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
        co_staker: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    ) -> Response:
        d = _device_bytes(device)
        active = ctx.active_root() if root is None else None
        if active is not None:  # the common case: one query for the root, then the store
            rb, status_, note = active, "active", "claims are proven against this root"
        elif root is None:
            pending = ctx.roots()["pending"]
            raise HTTPException(
                404,
                "no root is active yet"
                + (f" (root #{pending['root_id']} is pending until {pending['activates_at']})" if pending else ""),
            )
        else:
            rb = bytes.fromhex(root[2:])
            status_, note = _root_status(ctx.roots(), rb)
        party = to_checksum_address(co_staker) if co_staker else None
        try:
            if party is None:
                rewards, slashes = store.device_leaves(rb, d)
            else:
                rewards, slashes = store.reward_leaves(rb, device=d, party=party), []
        except UnknownRoot as e:
            raise HTTPException(404, str(e.args[0])) from None
        if not rewards and not slashes:
            raise HTTPException(
                404, f"device {device} has no leaf under root {_hex(rb)}" + (f" for co-staker {party}" if party else "")
            )
        return _json(
            {
                "device": device.lower(),
                "root": _hex(rb),
                "root_status": status_,
                "note": note,
                "reward_leaves": [_leaf_json(lf, store.proof(rb, n)) for lf, n in rewards],
                "slash_leaves": [_leaf_json(sl, store.proof(rb, n)) for sl, n in slashes],
            }
        )

    # ------------------------------------------------------------ devices
    def staking_row(device: str) -> tuple | None:
        rows = ctx.q(
            "SELECT owner, device_class, processors, wallet, jailed, last_slash_id, last_slashed_at, active, "
            "cooldown, release_at, co_staker, co_state, co_amount, co_share, co_counts_until "
            "FROM staking_devices WHERE contract = ? AND device = ?",
            (ctx.key("NodeStaking"), device),
        )
        return rows[0] if rows else None

    def known_device(device: str) -> tuple:
        row = staking_row(device.lower())
        if row is None:
            raise HTTPException(404, f"unknown device {device}: never registered in NodeStaking (as indexed)")
        return row

    def rewards_of(d: bytes, party: str | None) -> dict[str, Any]:
        """Leaves, proofs, calldata and previews under the active root; the pending root's leaves."""
        roots = ctx.roots()
        out: dict[str, Any] = {"active_root": _public(roots["active"]), "pending_root": _public(roots["pending"])}
        dist = ctx.contract("RewardsDistributor")
        for name in ("active", "pending"):
            r = roots[name]
            if r is None or not r["in_store"]:
                out[f"{name}_leaves"] = []
                if r is not None:
                    out[f"{name}_note"] = f"root {r['root']} is not in the proof store"
                continue
            rb = r["_bytes"]
            rewards = store.reward_leaves(rb, device=d, party=party) if d else store.reward_leaves(rb, party=party)
            items = []
            for lf, node in rewards:
                proof = store.proof(rb, node)
                item = _leaf_json(lf, proof)
                if name == "active":
                    p = dist.functions.preview_claim(*lf, proof).call()
                    item["claim_calldata"] = claim_calldata(lf, proof)
                    item["preview_claim"] = {
                        "owner_wallet": p[0],
                        "owner_amount": amt(p[1]),
                        "co_staker": p[2],
                        "co_amount": amt(p[3]),
                        "reason": p[4],
                        "would_succeed": p[4] == "",
                    }
                items.append(item)
            out[f"{name}_leaves"] = items
            if name == "pending":
                out["pending_note"] = (
                    f"root #{r['root_id']} is pending: it is not claimable before "
                    f"{r['activates_at']} (activate_root after that)"
                )
            if d and party is None:
                slash_items = []
                for sl, node in store.slash_leaves(rb, d):
                    proof = store.proof(rb, node)
                    item = _leaf_json(sl, proof)
                    if name == "active":
                        p = dist.functions.preview_settle_slash(*sl, proof).call()
                        item["settle_calldata"] = settle_calldata(sl, proof)
                        item["preview_settle_slash"] = {
                            "owner_wallet": p[0],
                            "owner_held": amt(p[1]),
                            "owner_released": amt(p[2]),
                            "owner_forfeited": amt(p[3]),
                            "co_staker": p[4],
                            "co_held": amt(p[5]),
                            "co_released": amt(p[6]),
                            "co_forfeited": amt(p[7]),
                            "outcome": OUTCOMES.get(p[8], str(p[8])),
                            "reason": p[9],
                            "to_settle": p[9] == "",
                        }
                    slash_items.append(item)
                out[f"{name}_slash_leaves"] = slash_items
        return out

    @app.get(
        "/v1/devices/{device}",
        summary="a device: staking, its reward and slash leaves with proofs, "
        "claim / settle_slash calldata and what a claim would do now",
        responses=errors,
    )
    def device_view(device: Device) -> Response:
        row = known_device(device)
        body = {"device": device.lower(), **_device_json(row)}
        body["rewards"] = rewards_of(_device_bytes(device), None)
        body["rewards"]["order"] = "send every slash leaf with to_settle (oldest first), then the claims"
        return _json(body)

    @app.get("/v1/devices/{device}/stakes", summary="the owner's stake and its history", responses=errors)
    def device_stakes(device: Device) -> Response:
        row = known_device(device)
        hist = _history(ctx, "NodeStaking", device, ("Staked", "Unstaked", "Withdrawn", "OverflowWithdrawn"))
        return _json(
            {
                "device": device.lower(),
                "owner": row[0],
                "active": amt(row[7]),
                "cooldown": amt(row[8]),
                "release_at": row[9],
                "history": hist,
            }
        )

    @app.get("/v1/devices/{device}/co-stakes", summary="the device's co-stake and its history", responses=errors)
    def device_co_stakes(device: Device) -> Response:
        row = known_device(device)
        hist = _history(
            ctx,
            "NodeStaking",
            device,
            (
                "CoStakeOffered",
                "CoStakeOfferCancelled",
                "CoStakeOfferDeclined",
                "CoStakeAccepted",
                "CoStakeExited",
                "CoStakeWithdrawn",
            ),
        )
        return _json({"device": device.lower(), "co_stake": _device_json(row)["co_stake"], "history": hist})

    @app.get("/v1/devices/{device}/slashes", summary="the device's slashes and the rewards they hold", responses=errors)
    def device_slashes(device: Device) -> Response:
        known_device(device)
        rows = ctx.q(
            "SELECT slash_id, active_part, cooldown_part, co_part, co_staker, amount, created_at, outcome "
            "FROM staking_slashes WHERE contract = ? AND device = ? ORDER BY slash_id",
            (ctx.key("NodeStaking"), device.lower()),
        )
        holds = ctx.q(
            "SELECT party, slash_id, held FROM dist_holds WHERE contract = ? AND device = ?",
            (ctx.key("RewardsDistributor"), device.lower()),
        )
        return _json(
            {
                "device": device.lower(),
                "slashes": [
                    {
                        "slash_id": r[0],
                        "owner_active_part": amt(r[1]),
                        "owner_cooldown_part": amt(r[2]),
                        "co_part": amt(r[3]),
                        "co_staker": r[4],
                        "amount": amt(r[5]),
                        "created_at": r[6],
                        "outcome": OUTCOMES.get(r[7], str(r[7])),
                        "rewards_held": [
                            {"party": "owner" if p == ZERO_ADDRESS else p, "held": amt(h)}
                            for p, s, h in holds
                            if s == r[0]
                        ],
                    }
                    for r in rows
                ],
            }
        )

    # ------------------------------------------------------------ co-stakers and accounts
    def checksum(address: str) -> str:
        return to_checksum_address(address.lower())

    @app.get(
        "/v1/co-stakers/{address}",
        summary="a co-staker: its co-stakes, its reward leaves with proofs, "
        "claim calldata and what a claim would do now",
        responses=errors,
    )
    def co_staker_view(address: Address) -> Response:
        a = checksum(address)
        held = ctx.q(
            "SELECT device, co_state, co_amount, co_share, co_counts_until FROM staking_devices "
            "WHERE contract = ? AND co_staker = ?",
            (ctx.key("NodeStaking"), a),
        )
        rewards = rewards_of(b"", a)
        if not held and not rewards["active_leaves"] and not rewards["pending_leaves"]:
            raise HTTPException(
                404,
                f"unknown co-staker {a}: no co-stake in NodeStaking and no reward leaf "
                "under the active or pending root",
            )
        return _json(
            {
                "co_staker": a,
                "co_stakes": [
                    {
                        "device": r[0],
                        "state": CO_STATES.get(r[1], str(r[1])),
                        "amount": amt(r[2]),
                        "reward_share_bps": r[3],
                        "counts_until": r[4],
                    }
                    for r in held
                ],
                "rewards": rewards,
            }
        )

    def account_rows(a: str) -> dict[str, list[tuple]]:
        router = ctx.key("SettlementRouter")
        found = {
            "bookings": ctx.q(
                "SELECT booking_id, device, renter, provider, token, hours, hours_recorded, rate, start, "
                "end_time, open FROM router_bookings WHERE contract = ? AND (renter = ? OR provider = ?) "
                "ORDER BY booking_id",
                (router, a, a),
            ),
            "router": ctx.q(
                "SELECT token, income, refunds FROM router_accounts WHERE contract = ? AND account = ?", (router, a)
            ),
            "staking": ctx.q(
                "SELECT refunds FROM staking_accounts WHERE contract = ? AND account = ?", (ctx.key("NodeStaking"), a)
            ),
            "balance": ctx.q("SELECT balance FROM token_balances WHERE account = ?", (a,)),
        }
        if not any(found.values()):
            raise HTTPException(404, f"unknown address {a}: no booking, income, refund or IO balance in the index")
        return found

    @app.get("/v1/accounts/{address}/bookings", summary="bookings made (renter) or served (provider)", responses=errors)
    def bookings(address: Address) -> Response:
        a = checksum(address)
        rows = account_rows(a)["bookings"]
        return _json(
            {
                "address": a,
                "bookings": [
                    {
                        "booking_id": r[0],
                        "device": r[1],
                        "role": "renter" if r[2] == a else "provider",
                        "renter": r[2],
                        "provider": r[3],
                        "hours": r[5],
                        "hours_recorded": r[6],
                        "rate_per_hour": ctx.token_amount(r[7], r[4]),
                        "cost": ctx.token_amount(int(r[7]) * r[5], r[4]),
                        "start": r[8],
                        "end": r[9],
                        "open": bool(r[10]),
                    }
                    for r in rows
                ],
            }
        )

    @app.get(
        "/v1/accounts/{address}/income", summary="provider income waiting in the router, per token", responses=errors
    )
    def income(address: Address) -> Response:
        a = checksum(address)
        rows = account_rows(a)["router"]
        return _json({"address": a, "income": [ctx.token_amount(inc, tok) for tok, inc, _ in rows]})

    @app.get(
        "/v1/accounts/{address}/refunds",
        summary="refunds waiting: renters' (router) and co-stakers' (staking)",
        responses=errors,
    )
    def refunds(address: Address) -> Response:
        a = checksum(address)
        found = account_rows(a)
        return _json(
            {
                "address": a,
                "router_refunds": [ctx.token_amount(ref, tok) for tok, _, ref in found["router"]],
                "staking_refunds": amt(found["staking"][0][0] if found["staking"] else 0),
            }
        )

    # ------------------------------------------------------------ supply, emission, vesting
    @app.get("/v1/supply", summary="genesis, emitted, burned by source, total supply")
    def supply() -> Response:
        return _json(_supply(ctx))

    @app.get("/v1/emission/outlook", summary="the emission year by year (ionet/models/emission.py)")
    def outlook(years: Annotated[int, Query(ge=1, le=20)] = 20) -> Response:
        rows, cum = [], 0
        for y in range(1, years + 1):
            e = emission.year_emission(y)
            cum += e
            rows.append(
                {
                    "year": y,
                    "emitted": amt(e),
                    "emitted_cumulative": amt(cum),
                    "max_supply_minted": amt(emission.GENESIS_SUPPLY + cum),
                }
            )
        sched = ctx.key("EmissionSchedule")
        start = int(manifest.genesis_time or 0)
        now_emitted = ctx.q("SELECT total_emitted, through_epoch FROM emission WHERE contract = ?", (sched,))
        return _json(
            {
                "genesis": amt(emission.GENESIS_SUPPLY),
                "max_supply": amt(emission.MAX_SUPPLY),
                "epoch_seconds": emission.EPOCH_SECONDS,
                "epochs": emission.EPOCH_COUNT,
                "start_time": start,
                "emitted_so_far": amt(now_emitted[0][0] if now_emitted else 0),
                "through_epoch": now_emitted[0][1] if now_emitted else 0,
                "years": rows,
            }
        )

    @app.get("/v1/vesting/grants", summary="every vesting grant, per category")
    def grants(category: str | None = None) -> Response:
        return _json({"grants": [g for g in _grants(ctx) if category in (None, g["category"])]})

    @app.get("/v1/vesting/calendar", summary="the unlock calendar per category (tranches ahead)")
    def calendar(after: int | None = None) -> Response:
        return _json(_calendar(ctx, after))

    # ------------------------------------------------------------ the Incentive Dynamic Engine
    @app.get("/v1/ide/epochs", summary="the Incentive Dynamic Engine per epoch and in total")
    def ide_epochs() -> Response:
        return _json(_ide(ctx))

    # ------------------------------------------------------------ the network at a glance (dashboard)
    @app.get("/v1/network", summary="devices and stake: counts and totals, per device class")
    def network() -> Response:
        return _json(_network(ctx))

    @app.get("/v1/price", summary="the IO price: the engine's TWAP now and each epoch's price")
    def io_price() -> Response:
        return _json(_price(ctx))

    dashboard.mount(app)
    return app


def _chain_time(w3: Any) -> int | None:
    """The latest block's timestamp (the page's "now"), None without a chain."""
    if w3 is None:
        return None
    try:
        return int(w3.eth.get_block("latest")["timestamp"])
    except Exception:  # noqa: BLE001 - the status stays up when the RPC is not
        return None


def _network(ctx: Context) -> dict[str, Any]:
    """Devices and stake from the index: what NodeStaking.totals() counts (device_count, owner_active,
    co_staked: deposited co-stake offered, active or exiting) and the same per device class."""
    key = ctx.key("NodeStaking")
    classes: dict[str, dict[str, Any]] = {}
    count = jailed = active_total = co_total = 0
    for cls, processors, active, co_state, co_amount, jail in ctx.q(
        "SELECT device_class, processors, active, co_state, co_amount, jailed FROM staking_devices WHERE contract = ?",
        (key,),
    ):
        c = classes.setdefault(cls, {"devices": 0, "processors": 0, "owner_active": 0, "co_staked": 0})
        co = int(co_amount or 0) if co_state else 0
        c["devices"] += 1
        c["processors"] += int(processors or 0)
        c["owner_active"] += int(active or 0)
        c["co_staked"] += co
        count += 1
        jailed += bool(jail)
        active_total += int(active or 0)
        co_total += co
    return {
        "as_of_block": _last_block(ctx),
        "device_count": count,
        "jailed": jailed,
        "owner_active": amt(active_total),
        "co_staked": amt(co_total),
        "stake_total": amt(active_total + co_total),
        "by_class": [
            {
                "device_class": cls,
                "name": _class_name(cls),
                "devices": c["devices"],
                "processors": c["processors"],
                "owner_active": amt(c["owner_active"]),
                "co_staked": amt(c["co_staked"]),
            }
            for cls, c in sorted(classes.items())
        ],
    }


def _last_block(ctx: Context) -> int | None:
    last = ctx.q("SELECT value FROM meta WHERE key = 'last_block'")
    return int(last[0][0]) if last else None


def _class_name(device_class: str | None) -> str:
    """A device class (bytes32, as indexed "0x..") as its text when it is printable ASCII."""
    if not device_class:
        return ""
    try:
        text = bytes.fromhex(device_class[2:] if device_class.startswith("0x") else device_class).rstrip(b"\0")
        name = text.decode("ascii")
    except ValueError:
        return device_class
    return name if name.isprintable() and name else device_class


def _price(ctx: Context) -> dict[str, Any]:
    """The engine's TWAP now (IncentiveEngine.price(), over twap_window() seconds; from the chain) and
    the price each stated epoch paid at (the index)."""
    out: dict[str, Any] = {"twap": None, "twap_window_seconds": None, "as_of": _chain_time(ctx.w3)}
    try:
        engine = ctx.contract("IncentiveEngine")
        out["twap"] = price(engine.functions.price().call())
        out["twap_window_seconds"] = int(engine.functions.twap_window().call())
    except Exception as e:  # noqa: BLE001 - no engine, no pool history yet, or no chain
        out["note"] = f"no TWAP: {str(e)[:200]}"
    rows = ctx.q(
        "SELECT epoch, twap, price_flag FROM ide_epochs WHERE contract = ? AND epoch > 0 ORDER BY epoch",
        (ctx.key("IncentiveEngine"),),
    )
    out["epochs"] = [{"epoch": e, "price": price(t), "price_flag": f} for e, t, f in rows]
    return out


def _root_status(roots: dict[str, Any], rb: bytes) -> tuple[str, str]:
    for name in ("active", "pending"):
        r = roots[name]
        if r is not None and r["_bytes"] == rb:
            if name == "active":
                return "active", "claims are proven against this root"
            return "pending", (
                f"root #{r['root_id']} is pending: not claimable before {r['activates_at']}; "
                "claims are proven against the active root"
            )
    return "not-active", "this root is neither active nor pending on chain (as indexed): a claim with it reverts"


def _device_json(row: tuple) -> dict[str, Any]:
    (
        owner,
        cls,
        processors,
        wallet,
        jailed,
        last_slash,
        last_at,
        active,
        cooldown,
        release_at,
        co,
        co_state,
        co_amount,
        co_share,
        co_until,
    ) = row
    return {
        "owner": owner,
        "device_class": cls,
        "processors": processors,
        "reward_wallet": wallet,
        "jailed": bool(jailed),
        "last_slash_id": last_slash,
        "last_slashed_at": last_at,
        "stake": {"active": amt(active), "cooldown": amt(cooldown), "release_at": release_at},
        "co_stake": {
            "co_staker": co,
            "state": CO_STATES.get(co_state, str(co_state)),
            "amount": amt(co_amount),
            "reward_share_bps": co_share,
            "counts_until": co_until,
        },
    }


def _history(ctx: Context, kind: str, device: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    key = ctx.key(kind)
    marks = ",".join("?" * len(names))
    rows = ctx.q(
        f"SELECT block, log_index, tx, event, args FROM events WHERE contract = ? AND event IN ({marks}) "
        "AND json_extract(args, '$.device') = ? ORDER BY block, log_index",
        (key, *names, device.lower()),
    )
    out = []
    for block, li, tx, event, args in rows:
        a = json.loads(args)
        a.pop("device", None)
        fields = {k: (amt(v) if k in ("amount", "active", "cooldown") else v) for k, v in a.items()}
        out.append({"block": block, "log_index": li, "tx": tx, "event": event, "args": fields})
    return out


def _supply(ctx: Context) -> dict[str, Any]:
    token = ctx.manifest.contracts.get("IOToken")
    t = (
        ctx.q("SELECT supply, minted, burned FROM token_totals WHERE token = ?", (to_checksum_address(token.address),))
        if token
        else []
    )
    supply_, minted, burned = (int(x or 0) for x in (t[0] if t else (0, 0, 0)))
    e = ctx.q("SELECT total_emitted FROM emission WHERE contract = ?", (ctx.key("EmissionSchedule"),))
    emitted = int(e[0][0] or 0) if e else 0
    s = ctx.q("SELECT burned FROM staking_globals WHERE contract = ?", (ctx.key("NodeStaking"),))
    slashing = int(s[0][0] or 0) if s else 0
    i = ctx.q(
        "SELECT burned_by_buyback, burned_fee_io, retired FROM ide_state WHERE contract = ?",
        (ctx.key("IncentiveEngine"),),
    )
    buyback, fee_io, retired = (int(x or 0) for x in (i[0] if i else (0, 0, 0)))
    holders = burned - slashing - buyback - fee_io - retired
    return {
        "genesis": amt(minted - emitted),
        "emitted": amt(emitted),
        "minted": amt(minted),
        "burned": amt(burned),
        "total_supply": amt(supply_),
        "max_supply": amt(emission.MAX_SUPPLY),
        "burned_by_source": {
            "slashing": amt(slashing),
            "buyback": amt(buyback),
            "fee_io": amt(fee_io),
            "retirement": amt(retired),
            "holders": amt(holders),
        },
        "notes": "buyback = IO bought back and burned; fee_io = fee IO burned by buyback_and_burn; "
        "holders = every other burn (IOToken.burn by a holder)",
    }


def _vaults(ctx: Context) -> dict[str, tuple]:
    rows = ctx.q(
        "SELECT contract, category, start_time, period_seconds, cliff_periods, tranche_count, unlocked_bps, "
        "revocable FROM vesting_vaults"
    )
    return {r[0]: r[1:] for r in rows}


def _grants(ctx: Context) -> list[dict[str, Any]]:
    vaults = _vaults(ctx)
    out = []
    for contract, gid, serial, ben, amount_, claimed, _revoked, revoked_at, returned, status, current in ctx.q(
        "SELECT contract, grant_id, serial, beneficiary, amount, claimed, revoked, revoked_at, unvested_returned, "
        "status, current_grant_id FROM vesting_grants ORDER BY contract, serial"
    ):
        v = vaults.get(contract)
        out.append(
            {
                "vault": contract,
                "category": v[0] if v else None,
                "grant_id": gid,
                "serial": serial,
                "beneficiary": ben,
                "amount": amt(amount_),
                "claimed": amt(claimed),
                "status": status,
                "revoked_at": revoked_at or None,
                "unvested_returned": amt(returned),
                "current_grant_id": current,
            }
        )
    return out


def _calendar(ctx: Context, after: int | None) -> dict[str, Any]:
    """Per category: every tranche time with the IO its live grants unlock then (revoked grants vest
    nothing more; moved ids are counted once, under their current id)."""
    vaults = _vaults(ctx)
    cats: dict[str, Any] = {}
    for contract, (category, start, period, cliff, tranches, unlocked_bps, revocable) in vaults.items():
        s = vesting.Schedule(
            start=start,
            period=period,
            cliff=cliff,
            tranches=tranches,
            unlocked_bps=unlocked_bps,
            revocable=bool(revocable),
        )
        live = [
            int(a)
            for (a,) in ctx.q("SELECT amount FROM vesting_grants WHERE contract = ? AND status = 'active'", (contract,))
        ]
        times = [start, *vesting.tranche_times(s)]
        rows, prev = [], 0
        for t in times:
            vested = sum(vesting.vested_amount(s, a, t) for a in live)
            if vested > prev and (after is None or t > after):
                rows.append({"time": t, "unlocks": amt(vested - prev), "unlocked_total": amt(vested)})
            prev = vested
        cats[category] = {
            "vault": contract,
            "start_time": start,
            "period_seconds": period,
            "cliff_periods": cliff,
            "tranches": tranches,
            "unlocked_bps_at_start": unlocked_bps,
            "granted_live": amt(sum(live)),
            "calendar": rows,
        }
    return {"categories": cats}


def _ide(ctx: Context) -> dict[str, Any]:
    key = ctx.key("IncentiveEngine")
    if key is None:
        return {"epochs": [], "note": "the manifest has no IncentiveEngine"}
    settled: dict[int, dict[str, Any]] = {}
    for (args,) in ctx.q(
        "SELECT args FROM events WHERE contract = ? AND event = 'EpochSettled' ORDER BY block, log_index", (key,)
    ):
        a = json.loads(args)
        settled[int(a["epoch"])] = a
    burns: dict[int, list[int]] = {}
    for (args,) in ctx.q("SELECT args FROM events WHERE contract = ? AND event = 'BoughtBackAndBurned'", (key,)):
        a = json.loads(args)
        b = burns.setdefault(int(a["epoch"]), [0, 0, 0, 0])
        b[0] += int(a["io_bought_burned"])
        b[1] += int(a["io_fee_burned"])
        b[2] += int(a["usdc_spent"])
        b[3] = int(a["reserve_target_usd"])
    epochs = []
    for epoch, usd_owed, twap, flag, close_twap, fee_usd, released, shortfall in ctx.q(
        "SELECT epoch, usd_owed, twap, price_flag, close_twap, fee_usd, released, shortfall_usd FROM ide_epochs "
        "WHERE contract = ? AND epoch > 0 ORDER BY epoch",
        (key,),
    ):
        s = settled.get(epoch)
        b = burns.get(epoch, [0, 0, 0, 0])
        owed = int(usd_owed or 0)
        epochs.append(
            {
                "epoch": epoch,
                "usd_owed": amt(owed, "USD"),
                "price": price(twap),
                "price_flag": flag,
                "close_twap": price(close_twap),
                "fee_usd": amt(fee_usd, "USD"),
                "settled": s is not None,
                "io_paid": amt(released),
                "io_paid_by_source": {
                    "reward_vault": amt(s["from_reward_vault"] if s else 0),
                    "fee_io": amt(s["from_fee_io"] if s else 0),
                    "fee_usdc_swap": amt(s["from_fee_usdc_swap"] if s else 0),
                    "usdc_spent_on_swap": amt(s["usdc_spent"] if s else 0, "USDC"),
                },
                "shortfall": {"usd": amt(shortfall, "USD"), "io": amt(s["shortfall_io"] if s else 0)},
                "burned": {
                    "bought_back": amt(b[0]),
                    "fee_io": amt(b[1]),
                    "usdc_spent": amt(b[2], "USDC"),
                    "reserve_target_usd": amt(b[3], "USD"),
                },
                "sustainability_ratio_bps": (int(fee_usd or 0) * 10_000 // owed) if owed else None,
            }
        )
    state = ctx.q(
        "SELECT active, start_time, reward_vault, fee_usdc, fee_io, last_stated, last_settled, "
        "fee_usd_in, released_from_reward, released_from_fee_io, released_from_swap, burned_by_buyback, "
        "burned_fee_io, retired, shortfall_usd_total, shortfall_epochs FROM ide_state WHERE contract = ?",
        (key,),
    )
    summary: dict[str, Any] = {}
    if state:
        (active, start, rv, fusdc, fio, stated, settled_, fee_in, rel_r, rel_f, rel_s, bb, bf, ret, sf, sf_epochs) = (
            state[0]
        )
        owed_total = sum(int(e["usd_owed"]["value"]) for e in epochs)
        summary = {
            "active": bool(active),
            "start_time": start,
            "last_stated": stated,
            "last_settled": settled_,
            "reward_vault": amt(rv),
            "fee_vault_usdc": amt(fusdc, "USDC"),
            "fee_vault_io": amt(fio),
            "fee_usd_in": amt(fee_in, "USD"),
            "usd_owed_total": amt(owed_total, "USD"),
            "released": {"reward_vault": amt(rel_r), "fee_io": amt(rel_f), "fee_usdc_swap": amt(rel_s)},
            "burned": {"bought_back": amt(bb), "fee_io": amt(bf), "retired": amt(ret)},
            "shortfall_usd_total": amt(sf, "USD"),
            "shortfall_epochs": sf_epochs,
            "sustainability_ratio_bps_all_time": (int(fee_in or 0) * 10_000 // owed_total) if owed_total else None,
        }
        try:
            summary["sustainability_ratio_bps_trailing"] = int(
                ctx.contract("IncentiveEngine").functions.sustainability_ratio_bps().call()
            )
        except Exception as e:  # noqa: BLE001 - the chain is optional for this figure
            summary["sustainability_ratio_bps_trailing"] = None
            summary["chain_error"] = str(e)[:200]
    return {
        "summary": summary,
        "epochs": epochs,
        "units": {"USD": "6 decimals", "price": "USDC base units per 1 IO", "IO": "18 decimals"},
    }


# ---------------------------------------------------------------- entry points
ENV = {
    "manifest": "IONET_SERVE_MANIFEST",
    "index": "IONET_SERVE_INDEX",
    "proofs": "IONET_SERVE_PROOFS",
    "rpc": "IONET_SERVE_RPC",
}


def app_from_env() -> FastAPI:
    """The app of a uvicorn worker (`uvicorn --factory ionet.serve.api:app_from_env`): paths and RPC
    from the IONET_SERVE_* environment variables (`scripts/serve.py` sets them)."""
    import os

    from web3 import Web3

    manifest = Manifest.from_json(Path(os.environ[ENV["manifest"]]).read_text())
    w3 = Web3(Web3.HTTPProvider(os.environ[ENV["rpc"]]))
    return create_app(manifest, os.environ[ENV["index"]], os.environ[ENV["proofs"]], w3)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI schema, built without a chain (an empty index and store in a temporary folder)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index.sqlite"
        sqlite3.connect(index).close()
        store = ProofStore(Path(tmp) / "proofs.sqlite")
        app = create_app(
            Manifest(chain_id=0, network="any", deployer=ZERO_ADDRESS), index, store, None, check_chain=False
        )
        doc = app.openapi()
        store.close()
    return doc


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """python -m ionet.serve.api openapi [PATH]   write the OpenAPI schema (default docs/openapi.json)
    python -m ionet.serve.api serve --manifest M --index I --proofs P --rpc URL [--port N] [--workers N]"""
    import argparse
    import os

    p = argparse.ArgumentParser(description="The IO network HTTP API")
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("openapi")
    o.add_argument("path", nargs="?", default=str(ROOT / "docs" / "openapi.json"))
    s = sub.add_parser("serve")
    for name in ("manifest", "index", "proofs", "rpc"):
        s.add_argument(f"--{name}", required=True)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8700)
    s.add_argument("--workers", type=int, default=1)
    args = p.parse_args(argv)
    if args.cmd == "openapi":
        Path(args.path).write_text(openapi_text())
        print(f"wrote {args.path}")
        return 0
    import uvicorn

    for name, var in ENV.items():
        os.environ[var] = str(Path(getattr(args, name)).resolve()) if name != "rpc" else args.rpc
    app_from_env()  # fail here (chain id, missing files) rather than in every worker
    uvicorn.run(
        "ionet.serve.api:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        app_dir=str(ROOT),  # the workers import the app from this checkout (ape run drops its path again)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

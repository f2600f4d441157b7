"""The state tables the indexer rebuilds from events, and one reducer per event kind.

Each table mirrors a view of a contract (the integration test compares them): a reducer applies
one event to the tables; nothing here calls a contract. Amounts are decimal TEXT (`_add` keeps
them exact).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ionet.serve.index_events import Event, amount, reducer

ZERO = "0x" + "00" * 20

TABLES = """
CREATE TABLE IF NOT EXISTS token_balances (token TEXT, account TEXT, balance TEXT, PRIMARY KEY (token, account));
CREATE TABLE IF NOT EXISTS token_totals (token TEXT PRIMARY KEY, supply TEXT, minted TEXT, burned TEXT);
CREATE TABLE IF NOT EXISTS token_minters (token TEXT, account TEXT, is_minter INTEGER, PRIMARY KEY (token, account));
CREATE TABLE IF NOT EXISTS emission (contract TEXT PRIMARY KEY, recipient TEXT, total_emitted TEXT,
                                     through_epoch INTEGER);
"""


def create_tables(db: sqlite3.Connection) -> None:
    db.executescript(TABLES)


def _add(db: sqlite3.Connection, table: str, keys: dict[str, Any], column: str, delta: int) -> None:
    """table[keys].column += delta (the row is created at 0 when missing)."""
    where = " AND ".join(f"{k} = ?" for k in keys)
    row = db.execute(f"SELECT {column} FROM {table} WHERE {where}", tuple(keys.values())).fetchone()
    if row is None:
        cols = ", ".join([*keys, column])
        marks = ", ".join("?" * (len(keys) + 1))
        db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", (*keys.values(), str(delta)))
    else:
        db.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (str(amount(row[0]) + delta), *keys.values()))


def _set(db: sqlite3.Connection, table: str, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Upsert one row: keys identify it, values are written (ints as decimal TEXT)."""
    cols = {**keys, **{k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                       for k, v in values.items()}}
    names = ", ".join(cols)
    marks = ", ".join("?" * len(cols))
    updates = ", ".join(f"{k} = excluded.{k}" for k in values)
    conflict = ", ".join(keys)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
               tuple(cols.values()))


# ---------------------------------------------------------------- IOToken
@reducer("IOToken", "Transfer")
def _token_transfer(db: sqlite3.Connection, ev: Event) -> None:
    sender, receiver, value = ev.args["sender"], ev.args["receiver"], int(ev.args["value"])
    if sender != ZERO:
        _add(db, "token_balances", {"token": ev.address, "account": sender}, "balance", -value)
    else:
        _add(db, "token_totals", {"token": ev.address}, "minted", value)
        _add(db, "token_totals", {"token": ev.address}, "supply", value)
    if receiver != ZERO:
        _add(db, "token_balances", {"token": ev.address, "account": receiver}, "balance", value)
    else:
        _add(db, "token_totals", {"token": ev.address}, "burned", value)
        _add(db, "token_totals", {"token": ev.address}, "supply", -value)


@reducer("IOToken", "RoleMinterChanged")
def _token_minter(db: sqlite3.Connection, ev: Event) -> None:
    """snekmate's minter event: the deployer's grant at construction and its revocation, then the
    emission schedule's grant by `set_minter` (the rows with is_minter = 1 are the minters)."""
    _set(db, "token_minters", {"token": ev.address, "account": ev.args["minter"]},
         {"is_minter": int(bool(ev.args["status"]))})


# ---------------------------------------------------------------- EmissionSchedule
@reducer("EmissionSchedule", "RewardRecipientUpdated")
def _emission_recipient(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "emission", {"contract": ev.contract}, {"recipient": ev.args["new_recipient"]})


@reducer("EmissionSchedule", "EmissionMinted")
def _emission_minted(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "emission", {"contract": ev.contract},
         {"total_emitted": int(ev.args["total_emitted"]), "through_epoch": int(ev.args["through_epoch"])})


# ---------------------------------------------------------------- NodeStaking
TABLES += """
CREATE TABLE IF NOT EXISTS staking_devices (contract TEXT, device TEXT, owner TEXT, device_class TEXT,
    processors INTEGER, wallet TEXT, idx INTEGER, jailed INTEGER DEFAULT 0, last_slash_id INTEGER DEFAULT 0,
    last_slashed_at INTEGER DEFAULT 0, active TEXT DEFAULT '0', cooldown TEXT DEFAULT '0', release_at INTEGER DEFAULT 0,
    co_staker TEXT, co_state INTEGER DEFAULT 0, co_amount TEXT DEFAULT '0', co_share INTEGER DEFAULT 0,
    co_counts_until INTEGER DEFAULT 0, PRIMARY KEY (contract, device));
CREATE TABLE IF NOT EXISTS staking_classes (contract TEXT, device_class TEXT, multiplier_bps INTEGER,
    PRIMARY KEY (contract, device_class));
CREATE TABLE IF NOT EXISTS staking_slashes (contract TEXT, slash_id INTEGER, device TEXT, active_part TEXT,
    cooldown_part TEXT, co_part TEXT, co_staker TEXT, amount TEXT, created_at INTEGER, outcome INTEGER,
    PRIMARY KEY (contract, slash_id));
CREATE TABLE IF NOT EXISTS staking_accounts (contract TEXT, account TEXT, offers_held INTEGER DEFAULT 0,
    refunds TEXT DEFAULT '0', PRIMARY KEY (contract, account));
CREATE TABLE IF NOT EXISTS staking_globals (contract TEXT PRIMARY KEY, max_slash_bps INTEGER,
    slash_count INTEGER DEFAULT 0,     escrowed TEXT DEFAULT '0', burned TEXT DEFAULT '0');
"""

CO_NONE, CO_OFFERED, CO_ACTIVE, CO_EXITING = 0, 1, 2, 3
SLASH_PENDING, SLASH_OVERTURNED, SLASH_FINALIZED = 1, 2, 3


def _dev(ev: Event) -> dict[str, Any]:
    return {"contract": ev.contract, "device": ev.args["device"]}


def _get(db: sqlite3.Connection, table: str, keys: dict[str, Any], column: str) -> Any:
    where = " AND ".join(f"{k} = ?" for k in keys)
    row = db.execute(f"SELECT {column} FROM {table} WHERE {where}", tuple(keys.values())).fetchone()
    return None if row is None else row[0]


@reducer("NodeStaking", "DeviceRegistered")
def _staking_registered(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "staking_devices", _dev(ev), {"owner": a["owner"], "device_class": a["device_class"],
                                           "processors": a["processors"], "wallet": a["reward_wallet"],
                                           "idx": a["index"], "co_staker": ZERO})


@reducer("NodeStaking", "RewardWalletUpdated")
def _staking_wallet(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"wallet": ev.args["new_wallet"]})


@reducer("NodeStaking", "ClassMultiplierUpdated")
def _staking_class(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_classes", {"contract": ev.contract, "device_class": ev.args["device_class"]},
         {"multiplier_bps": ev.args["new_multiplier_bps"]})


@reducer("NodeStaking", "MaxSlashUpdated")
def _staking_max_slash(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_globals", {"contract": ev.contract}, {"max_slash_bps": ev.args["new_bps"]})


@reducer("NodeStaking", "Staked", "OverflowWithdrawn")
def _staking_active(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"active": int(ev.args["active"])})


@reducer("NodeStaking", "Unstaked")
def _staking_unstaked(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"active": 0, "cooldown": int(ev.args["cooldown"]),
                                           "release_at": ev.args["release_at"]})


@reducer("NodeStaking", "Withdrawn")
def _staking_withdrawn(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"cooldown": 0, "release_at": 0})


@reducer("NodeStaking", "CoStakeOffered")
def _staking_offered(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "staking_devices", _dev(ev), {"co_staker": a["co_staker"], "co_state": CO_OFFERED,
                                           "co_amount": int(a["amount"]), "co_share": a["reward_share_bps"],
                                           "co_counts_until": 0})


@reducer("NodeStaking", "CoStakeOfferCancelled", "CoStakeOfferDeclined")
def _staking_offer_gone(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"co_staker": ZERO, "co_state": CO_NONE, "co_amount": 0, "co_share": 0,
                                           "co_counts_until": 0})


@reducer("NodeStaking", "CoStakeAccepted")
def _staking_accepted(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"co_state": CO_ACTIVE, "co_amount": int(ev.args["amount"])})
    _set(db, "staking_accounts", {"contract": ev.contract, "account": ev.args["co_staker"]},
         {"offers_held": ev.args["offers_held"]})


@reducer("NodeStaking", "CoStakeExited")
def _staking_exited(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"co_state": CO_EXITING, "co_counts_until": ev.args["counts_until"]})


@reducer("NodeStaking", "CoStakeWithdrawn")
def _staking_co_withdrawn(db: sqlite3.Connection, ev: Event) -> None:
    _staking_offer_gone(db, ev)
    _set(db, "staking_accounts", {"contract": ev.contract, "account": ev.args["co_staker"]},
         {"offers_held": ev.args["offers_held"]})


@reducer("NodeStaking", "Slashed")
def _staking_slashed(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    keys = _dev(ev)
    _add(db, "staking_devices", keys, "active", -int(a["owner_active_part"]))
    _add(db, "staking_devices", keys, "cooldown", -int(a["owner_cooldown_part"]))
    if int(a["co_part"]):
        _add(db, "staking_devices", keys, "co_amount", -int(a["co_part"]))
    _set(db, "staking_devices", keys, {"last_slash_id": a["slash_id"], "last_slashed_at": ev.timestamp})
    _set(db, "staking_slashes", {"contract": ev.contract, "slash_id": a["slash_id"]},
         {"device": a["device"], "active_part": int(a["owner_active_part"]),
          "cooldown_part": int(a["owner_cooldown_part"]), "co_part": int(a["co_part"]), "co_staker": a["co_staker"],
          "amount": int(a["amount"]), "created_at": ev.timestamp, "outcome": SLASH_PENDING})
    _add(db, "staking_globals", {"contract": ev.contract}, "escrowed", int(a["amount"]))
    _set(db, "staking_globals", {"contract": ev.contract}, {"slash_count": a["slash_id"]})


@reducer("NodeStaking", "SlashOverturned")
def _staking_overturned(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    keys = _dev(ev)
    _add(db, "staking_devices", keys, "active", int(a["owner_active_part"]))
    _add(db, "staking_devices", keys, "cooldown", int(a["owner_cooldown_part"]))
    if int(a["co_part"]):
        if a["co_refunded_to_balance"]:
            _add(db, "staking_accounts", {"contract": ev.contract, "account": a["co_staker"]}, "refunds",
                 int(a["co_part"]))
        else:
            _add(db, "staking_devices", keys, "co_amount", int(a["co_part"]))
    _set(db, "staking_slashes", {"contract": ev.contract, "slash_id": a["slash_id"]}, {"outcome": SLASH_OVERTURNED})
    _add(db, "staking_globals", {"contract": ev.contract}, "escrowed", -int(a["amount"]))


@reducer("NodeStaking", "SlashFinalized")
def _staking_finalized(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "staking_slashes", {"contract": ev.contract, "slash_id": a["slash_id"]}, {"outcome": SLASH_FINALIZED})
    _add(db, "staking_globals", {"contract": ev.contract}, "escrowed", -int(a["amount"]))
    _add(db, "staking_globals", {"contract": ev.contract}, "burned", int(a["amount"]))


@reducer("NodeStaking", "JailUpdated")
def _staking_jail(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "staking_devices", _dev(ev), {"jailed": int(bool(ev.args["jailed"]))})


@reducer("NodeStaking", "RefundClaimed")
def _staking_refund_claimed(db: sqlite3.Connection, ev: Event) -> None:
    _add(db, "staking_accounts", {"contract": ev.contract, "account": ev.args["co_staker"]}, "refunds",
         -int(ev.args["amount"]))


# ---------------------------------------------------------------- VestingVault
TABLES += """
CREATE TABLE IF NOT EXISTS vesting_vaults (contract TEXT PRIMARY KEY, token TEXT, category TEXT, start_time INTEGER,
    period_seconds INTEGER, cliff_periods INTEGER, tranche_count INTEGER, unlocked_bps INTEGER, revocable INTEGER,
    owner TEXT, pending_owner TEXT);
CREATE TABLE IF NOT EXISTS vesting_grants (contract TEXT, grant_id TEXT, serial INTEGER, beneficiary TEXT,
    amount TEXT, claimed TEXT DEFAULT '0', revoked INTEGER DEFAULT 0, revoked_at INTEGER DEFAULT 0,
    unvested_returned TEXT DEFAULT '0', pending TEXT, status TEXT DEFAULT 'active',
    current_grant_id TEXT, PRIMARY KEY (contract, grant_id));
"""


def _gid(value: Any) -> str:
    return str(int(value))


@reducer("VestingVault", "VaultCreated")
def _vault_created(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "vesting_vaults", {"contract": ev.contract},
         {"token": a["token"], "category": a["category"], "start_time": a["start_time"],
          "period_seconds": a["period_seconds"], "cliff_periods": a["cliff_periods"],
          "tranche_count": a["tranche_count"], "unlocked_bps": a["unlocked_bps"], "revocable": int(a["revocable"])})


@reducer("VestingVault", "OwnershipTransferred")
def _vault_owner(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "vesting_vaults", {"contract": ev.contract}, {"owner": ev.args["new_owner"], "pending_owner": ZERO})


@reducer("VestingVault", "OwnershipTransferStarted")
def _vault_pending_owner(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "vesting_vaults", {"contract": ev.contract}, {"pending_owner": ev.args["new_owner"]})


@reducer("VestingVault", "Granted")
def _vault_granted(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    gid = _gid(a["grant_id"])
    _set(db, "vesting_grants", {"contract": ev.contract, "grant_id": gid},
         {"serial": a["serial"], "beneficiary": a["beneficiary"], "amount": int(a["amount"]), "pending": ZERO,
          "current_grant_id": gid})


@reducer("VestingVault", "Claimed")
def _vault_claimed(db: sqlite3.Connection, ev: Event) -> None:
    _add(db, "vesting_grants", {"contract": ev.contract, "grant_id": _gid(ev.args["grant_id"])}, "claimed",
         int(ev.args["amount"]))


@reducer("VestingVault", "Revoked")
def _vault_revoked(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "vesting_grants", {"contract": ev.contract, "grant_id": _gid(ev.args["grant_id"])},
         {"revoked": 1, "revoked_at": ev.timestamp, "unvested_returned": int(ev.args["unvested"]), "status": "revoked"})


@reducer("VestingVault", "BeneficiaryProposed")
def _vault_proposed(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "vesting_grants", {"contract": ev.contract, "grant_id": _gid(ev.args["grant_id"])},
         {"pending": ev.args["proposed"]})


@reducer("VestingVault", "BeneficiaryRotated")
def _vault_rotated(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    old, new = _gid(a["old_grant_id"]), _gid(a["new_grant_id"])
    row = db.execute(
        "SELECT serial, amount, claimed, revoked, revoked_at, unvested_returned, status FROM vesting_grants "
        "WHERE contract = ? AND grant_id = ?", (ev.contract, old)).fetchone()
    serial, amount_, claimed, revoked, revoked_at, returned, status = row
    _set(db, "vesting_grants", {"contract": ev.contract, "grant_id": new},
         {"serial": serial, "beneficiary": a["new_beneficiary"], "amount": amount_, "claimed": claimed,
          "revoked": revoked, "revoked_at": revoked_at, "unvested_returned": returned, "pending": ZERO,
          "status": status, "current_grant_id": new})
    _set(db, "vesting_grants", {"contract": ev.contract, "grant_id": old}, {"status": "moved", "pending": ZERO})
    db.execute("UPDATE vesting_grants SET current_grant_id = ? WHERE contract = ? AND current_grant_id = ?",
               (new, ev.contract, old))


# ---------------------------------------------------------------- SettlementRouter
TABLES += """
CREATE TABLE IF NOT EXISTS router_bookings (contract TEXT, booking_id INTEGER, device TEXT, renter TEXT, provider TEXT,
    token TEXT, hours INTEGER, hours_recorded INTEGER DEFAULT 0, rate TEXT, start INTEGER, end_time INTEGER,
    open INTEGER DEFAULT 1, PRIMARY KEY (contract, booking_id));
CREATE TABLE IF NOT EXISTS router_accounts (contract TEXT, account TEXT, token TEXT, income TEXT DEFAULT '0',
    refunds TEXT DEFAULT '0', PRIMARY KEY (contract, account, token));
CREATE TABLE IF NOT EXISTS router_ledgers (contract TEXT, token TEXT, escrow TEXT DEFAULT '0', fees TEXT DEFAULT '0',
    PRIMARY KEY (contract, token));
"""


def _acct(ev: Event, account: str, token: str) -> dict[str, Any]:
    return {"contract": ev.contract, "account": account, "token": token}


def _ledger(ev: Event, token: str) -> dict[str, Any]:
    return {"contract": ev.contract, "token": token}


@reducer("SettlementRouter", "Booked")
def _router_booked(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "router_bookings", {"contract": ev.contract, "booking_id": a["booking_id"]},
         {"device": a["device"], "renter": a["renter"], "provider": a["provider"], "token": a["token"],
          "hours": a["hours"], "rate": int(a["rate"]), "start": a["start"], "end_time": a["end"]})
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "escrow", int(a["cost"]))
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "fees",
         int(a["reservation_fee"]) + int(a["facilitation_fee"]))


@reducer("SettlementRouter", "WorkRecorded")
def _router_recorded(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    amount_, fee = int(a["amount"]), int(a["supplier_fee"])
    _set(db, "router_bookings", {"contract": ev.contract, "booking_id": a["booking_id"]},
         {"hours_recorded": a["hours_recorded"]})
    _add(db, "router_accounts", _acct(ev, a["provider"], a["token"]), "income", amount_ - fee)
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "escrow", -amount_)
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "fees", fee)


@reducer("SettlementRouter", "BookingEnded")
def _router_ended(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    pay, fee, refund = int(a["provider_amount"]), int(a["supplier_fee"]), int(a["refund"])
    _set(db, "router_bookings", {"contract": ev.contract, "booking_id": a["booking_id"]},
         {"open": 0, "hours_recorded": a["hours_paid"]})
    if pay:
        _add(db, "router_accounts", _acct(ev, a["provider"], a["token"]), "income", pay - fee)
    if refund:
        _add(db, "router_accounts", _acct(ev, a["renter"], a["token"]), "refunds", refund)
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "escrow", -(pay + refund))
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "fees", fee)


@reducer("SettlementRouter", "Withdrawn")
def _router_withdrawn(db: sqlite3.Connection, ev: Event) -> None:
    # Also the income the router hands its market desk to be taken as IO (to = the desk, no fee).
    a = ev.args
    _add(db, "router_accounts", _acct(ev, a["account"], a["token"]), "income", -int(a["amount"]))
    _add(db, "router_ledgers", _ledger(ev, a["token"]), "fees", int(a["payment_fee"]))


@reducer("SettlementRouter", "RefundWithdrawn")
def _router_refund_withdrawn(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _add(db, "router_accounts", _acct(ev, a["account"], a["token"]), "refunds", -int(a["amount"]))


@reducer("SettlementRouter", "FeesWithdrawn")
def _router_fees_withdrawn(db: sqlite3.Connection, ev: Event) -> None:
    _add(db, "router_ledgers", _ledger(ev, ev.args["token"]), "fees", -int(ev.args["amount"]))


# ---------------------------------------------------------------- MarketDesk
# The desk holds nothing between calls: its state is its pool registry; its trades are a journal
# (the router's own events carry the bookings and withdrawals they make).
TABLES += """
CREATE TABLE IF NOT EXISTS desk_pools (contract TEXT, asset TEXT, pool TEXT, PRIMARY KEY (contract, asset));
CREATE TABLE IF NOT EXISTS desk_trades (contract TEXT, block INTEGER, log_index INTEGER, kind TEXT, account TEXT,
    asset TEXT, amount_in TEXT, amount_out TEXT, twap TEXT, bound TEXT, booking_id INTEGER,
    PRIMARY KEY (contract, block, log_index));
"""


@reducer("MarketDesk", "AssetPoolUpdated")
def _desk_pool(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "desk_pools", {"contract": ev.contract, "asset": ev.args["asset"]}, {"pool": ev.args["new_pool"]})


@reducer("MarketDesk", "BookedWithAsset")
def _desk_booked(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "desk_trades", {"contract": ev.contract, "block": ev.block, "log_index": ev.log_index},
         {"kind": "book_with_asset", "account": a["renter"], "asset": a["asset"], "amount_in": int(a["asset_in"]),
          "amount_out": int(a["usdc_out"]), "twap": int(a["twap_asset_in"]), "bound": int(a["max_asset_in"]),
          "booking_id": a["booking_id"]})


@reducer("MarketDesk", "WithdrawnAsIO")
def _desk_withdrawn_as_io(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "desk_trades", {"contract": ev.contract, "block": ev.block, "log_index": ev.log_index},
         {"kind": "withdraw_as_io", "account": a["account"], "asset": a["usdc"], "amount_in": int(a["usdc_amount"]),
          "amount_out": int(a["io_amount"]), "twap": int(a["twap_io"]), "bound": int(a["min_io"])})


# ---------------------------------------------------------------- RewardsDistributor
TABLES += """
CREATE TABLE IF NOT EXISTS dist_roots (contract TEXT, root_id INTEGER, root TEXT, total TEXT, through_epoch INTEGER,
    through_time INTEGER, published_at INTEGER, activates_at INTEGER, status TEXT, PRIMARY KEY (contract, root_id));
CREATE TABLE IF NOT EXISTS dist_state (contract TEXT PRIMARY KEY, active_root_id INTEGER DEFAULT 0,
    pending_root_id INTEGER DEFAULT 0, root_count INTEGER DEFAULT 0, total_paid TEXT DEFAULT '0',
    total_held TEXT DEFAULT '0', total_forfeited TEXT DEFAULT '0');
CREATE TABLE IF NOT EXISTS dist_parties (contract TEXT, device TEXT, party TEXT, settled TEXT DEFAULT '0',
    applied_slash INTEGER DEFAULT 0, PRIMARY KEY (contract, device, party));
CREATE TABLE IF NOT EXISTS dist_holds (contract TEXT, device TEXT, party TEXT, slash_id INTEGER,
    held TEXT DEFAULT '0', PRIMARY KEY (contract, device, party, slash_id));
"""


def _party(ev: Event, party: str) -> dict[str, Any]:
    return {"contract": ev.contract, "device": ev.args["device"], "party": party}


@reducer("RewardsDistributor", "RootPublished")
def _dist_published(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "dist_roots", {"contract": ev.contract, "root_id": a["root_id"]},
         {"root": a["root"], "total": int(a["total"]), "through_epoch": a["through_epoch"],
          "through_time": a["through_time"], "published_at": ev.timestamp, "activates_at": a["activates_at"],
          "status": "pending"})
    _set(db, "dist_state", {"contract": ev.contract}, {"pending_root_id": a["root_id"], "root_count": a["root_id"]})


@reducer("RewardsDistributor", "RootActivated")
def _dist_activated(db: sqlite3.Connection, ev: Event) -> None:
    rid = ev.args["root_id"]
    old = _get(db, "dist_state", {"contract": ev.contract}, "active_root_id")
    if old:
        _set(db, "dist_roots", {"contract": ev.contract, "root_id": old}, {"status": "superseded"})
    _set(db, "dist_roots", {"contract": ev.contract, "root_id": rid}, {"status": "active"})
    _set(db, "dist_state", {"contract": ev.contract}, {"active_root_id": rid, "pending_root_id": 0})


@reducer("RewardsDistributor", "RootCancelled")
def _dist_cancelled(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "dist_roots", {"contract": ev.contract, "root_id": ev.args["root_id"]}, {"status": "cancelled"})
    _set(db, "dist_state", {"contract": ev.contract}, {"pending_root_id": 0})


def _settle_to(db: sqlite3.Connection, keys: dict[str, Any], cumulative: int, slash_id: int) -> None:
    settled = amount(_get(db, "dist_parties", keys, "settled"))
    _set(db, "dist_parties", keys, {"settled": max(settled, cumulative), "applied_slash": slash_id})


@reducer("RewardsDistributor", "RewardsClaimed")
def _dist_claimed(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _settle_to(db, _party(ev, ZERO), int(a["owner_cumulative"]), a["slash_id"])
    if a["co_staker"] != ZERO:
        _settle_to(db, _party(ev, a["co_staker"]), int(a["co_cumulative"]), a["co_slash_id"])
    _add(db, "dist_state", {"contract": ev.contract}, "total_paid",
         int(a["owner_amount"]) + int(a["co_staker_amount"]))


@reducer("RewardsDistributor", "RewardsHeld")
def _dist_held(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "dist_parties", _party(ev, a["party"]), {"settled": int(a["settled"]), "applied_slash": a["slash_id"]})
    _set(db, "dist_holds", {**_party(ev, a["party"]), "slash_id": a["slash_id"]}, {"held": int(a["amount"])})
    _add(db, "dist_state", {"contract": ev.contract}, "total_held", int(a["amount"]))


@reducer("RewardsDistributor", "RewardsReleased", "RewardsForfeited")
def _dist_decided(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "dist_holds", {**_party(ev, a["party"]), "slash_id": a["slash_id"]}, {"held": 0})
    _add(db, "dist_state", {"contract": ev.contract}, "total_held", -int(a["amount"]))
    column = "total_paid" if ev.name == "RewardsReleased" else "total_forfeited"
    _add(db, "dist_state", {"contract": ev.contract}, column, int(a["amount"]))


# ---------------------------------------------------------------- IncentiveEngine
# The vaults after each event are in the event (reward_vault, fee_usdc, fee_io); the cumulative totals
# are sums of event fields; the fee USD of a collection is booked to the epoch after the last settled.
_IDE_TOTALS = ("emitted_in", "released_from_reward", "released_from_fee_io", "released_from_swap", "fee_usdc_in",
               "fee_io_in", "fee_usd_in", "usdc_spent_topup", "io_bought_topup", "usdc_spent_buyback",
               "burned_by_buyback", "burned_fee_io", "retired", "shortfall_usd_total")
TABLES += f"""
CREATE TABLE IF NOT EXISTS ide_state (contract TEXT PRIMARY KEY, active INTEGER DEFAULT 0, start_time INTEGER,
    reward_vault TEXT DEFAULT '0', fee_usdc TEXT DEFAULT '0', fee_io TEXT DEFAULT '0',
    last_stated INTEGER DEFAULT 0, last_settled INTEGER DEFAULT 0, last_burn_epoch INTEGER DEFAULT 0,
    shortfall_epochs INTEGER DEFAULT 0, max_usd_per_epoch TEXT, max_swap_usdc TEXT, burn_share_bps INTEGER,
    reserve_epochs INTEGER, retire_buffer_epochs INTEGER,
    {", ".join(f"{t} TEXT DEFAULT '0'" for t in _IDE_TOTALS)});
CREATE TABLE IF NOT EXISTS ide_epochs (contract TEXT, epoch INTEGER, usd_owed TEXT DEFAULT '0',
    twap TEXT DEFAULT '0', price_flag INTEGER DEFAULT 0, close_twap TEXT DEFAULT '0', fee_usd TEXT DEFAULT '0',
    released TEXT DEFAULT '0', shortfall_usd TEXT DEFAULT '0',
    PRIMARY KEY (contract, epoch));
"""


def _ide(ev: Event) -> dict[str, Any]:
    return {"contract": ev.contract}


@reducer("IncentiveEngine", "Activated")
def _ide_activated(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "ide_state", _ide(ev), {"active": 1, "start_time": ev.args["start_time"]})
    # epoch 0's price: the reference of epoch 1's clamp
    _set(db, "ide_epochs", {**_ide(ev), "epoch": 0}, {"twap": int(ev.args["reference_price"])})


@reducer("IncentiveEngine", "EmissionReceived")
def _ide_emission(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "ide_state", _ide(ev),
         {"reward_vault": int(ev.args["reward_vault"]), "emitted_in": int(ev.args["total_emitted_in"])})


@reducer("IncentiveEngine", "FeesCollected")
def _ide_fees(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "ide_state", _ide(ev), {"fee_usdc": int(a["fee_usdc"]), "fee_io": int(a["fee_io"])})
    for column, value in (("fee_usdc_in", a["usdc"]), ("fee_io_in", a["io"]), ("fee_usd_in", a["usd_value"])):
        _add(db, "ide_state", _ide(ev), column, int(value))
    booked_to = int(_get(db, "ide_state", _ide(ev), "last_settled") or 0) + 1
    _add(db, "ide_epochs", {**_ide(ev), "epoch": booked_to}, "fee_usd", int(a["usd_value"]))


@reducer("IncentiveEngine", "EpochStated")
def _ide_stated(db: sqlite3.Connection, ev: Event) -> None:
    # the statement fixes the epoch's price (`twap`: the price it pays at; `close_twap`: the pool's TWAP
    # of the window ending at its close, 0 when carried; `price_flag`: how the price was fixed)
    a = ev.args
    _set(db, "ide_epochs", {**_ide(ev), "epoch": a["epoch"]},
         {"usd_owed": int(a["usd_owed"]), "twap": int(a["price"]), "price_flag": int(a["price_flag"]),
          "close_twap": int(a["twap_price"])})
    _set(db, "ide_state", _ide(ev), {"last_stated": ev.args["epoch"]})


@reducer("IncentiveEngine", "EpochSettled")
def _ide_settled(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    released = int(a["from_reward_vault"]) + int(a["from_fee_io"]) + int(a["from_fee_usdc_swap"])
    _set(db, "ide_epochs", {**_ide(ev), "epoch": a["epoch"]},
         {"twap": int(a["twap_price"]), "released": released, "shortfall_usd": int(a["shortfall_usd"])})
    _set(db, "ide_state", _ide(ev), {"last_settled": a["epoch"], "reward_vault": int(a["reward_vault"]),
                                     "fee_usdc": int(a["fee_usdc"]), "fee_io": int(a["fee_io"])})
    for column, value in (("released_from_reward", a["from_reward_vault"]), ("released_from_fee_io", a["from_fee_io"]),
                          ("released_from_swap", a["from_fee_usdc_swap"]), ("usdc_spent_topup", a["usdc_spent"]),
                          ("io_bought_topup", a["io_bought"]), ("shortfall_usd_total", a["shortfall_usd"])):
        _add(db, "ide_state", _ide(ev), column, int(value))
    if int(a["shortfall_io"]):
        _add(db, "ide_state", _ide(ev), "shortfall_epochs", 1)


@reducer("IncentiveEngine", "BoughtBackAndBurned")
def _ide_burned(db: sqlite3.Connection, ev: Event) -> None:
    a = ev.args
    _set(db, "ide_state", _ide(ev), {"last_burn_epoch": a["epoch"], "fee_usdc": int(a["fee_usdc"]),
                                     "fee_io": int(a["fee_io"])})
    for column, value in (("usdc_spent_buyback", a["usdc_spent"]), ("burned_by_buyback", a["io_bought_burned"]),
                          ("burned_fee_io", a["io_fee_burned"])):
        _add(db, "ide_state", _ide(ev), column, int(value))


@reducer("IncentiveEngine", "EmissionRetired")
def _ide_retired(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "ide_state", _ide(ev),
         {"reward_vault": int(ev.args["reward_vault"]), "retired": int(ev.args["total_retired"])})


_IDE_PARAMS = {"MaxUsdPerEpochUpdated": "max_usd_per_epoch", "MaxSwapUsdcUpdated": "max_swap_usdc",
               "BurnShareBpsUpdated": "burn_share_bps", "ReserveEpochsUpdated": "reserve_epochs",
               "RetireBufferEpochsUpdated": "retire_buffer_epochs"}


@reducer("IncentiveEngine", *_IDE_PARAMS)
def _ide_param(db: sqlite3.Connection, ev: Event) -> None:
    _set(db, "ide_state", _ide(ev), {_IDE_PARAMS[ev.name]: int(ev.args["new"])})

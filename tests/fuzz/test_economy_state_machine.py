"""Hypothesis state machine over the whole economy: the suite of the real deploy (`suite` fixture),
every kind of actor, and a plain-Python model of every IO and USDC balance to the base unit.

Actors: three providers (two devices each), two co-stakers, two renters, the genesis vesting
beneficiaries (seed, series A, two contributors, the R&D treasury), the reward oracle (also the
settlement operator and the slasher), governance/admin (the deployer) and the treasury.

Rules (one transaction each, or one refused call checked by eth_call): emission minting; time jumps
of every size (seconds to a year); vesting grants (Community vault), claims, releases, key
rotations (propose, withdraw, accept) and revocations (Core contributors); IO and USDC transfers
and IO burns by holders, USDC minting; stake, overflow withdrawal, unstake, withdraw; co-stake
offer, cancel, decline, accept, exit, withdraw and refunds; slash, overturn, finalize, unjail;
bookings in USDC, in IO and paid in WETH (`book_with_asset` on the suite's WETH/USDC pool), and
signed instead of approved (EIP-2612 permits in USDC and IO, EIP-3009 authorizations in USDC); work
records (single and batch), endings by renter and operator, expiry settlements; provider
withdrawals (USDC, IO, USDC taken as IO on the IO/USDC pool), refunds, fees; rewards roots
published, cancelled and activated (each commits every slash so far: a slash leaf per slash, with its
own checkpoints), slash leaves of the active root settled in any order by anyone (each slash's hold
held, released or forfeited by its own outcome, overlapping slashes included; an out-of-order call
refused) and claims of its reward leaves (refused until the device's slashes are settled); the
Incentive Dynamic Engine: governance switches the network to it (not in an example's first 25
steps; the emission then pays the engine and the engine alone collects the router's fees),
emission syncs, fee collections, the oracle's statements (nothing, a part of the Reward Vault, a
Fee Vault top-up, a shortfall, above the maximum, the wrong epoch), settlements (Reward Vault, fee
IO, exact-output and exact-input purchases on the IO/USDC pool,
shortfalls, each at the epoch's price fixed by its statement), buybacks and burns, retirements,
governance bounds (within, on and past their limits: the market bounds too, and from the wrong key),
whole network days, and an outside trader who pushes the IO/USDC pool either way, within and far
beyond the FeeVaultDesk's 1 % bound (2k to 900k USDC, or the IO equivalent), maybe holds it for a whole
TWAP window, or leaves the desk just short of its price limit, before the next statement, settlement,
day or burn, and then sells back (issue 17: settle and buyback never revert for a market reason, an
epoch's price moves at most max_price_move_bps, partial fills and fills of nothing included).
A prologue made of the same rules (not counted) gives every example the same rich start.

The model is made of the project's own reference models (ionet.models: staking.StakingModel,
settlement.Settlement, vesting.VaultModel, distributor.DistributorModel, emission,
ide.IncentiveEngine) sharing one ledger of IO and one of USDC. Every refusal the model predicts is
checked on chain (the same call must revert with the model's reason). The only amounts taken from
the chain are what Uniswap pays in a swap (the pools are outside the model; their balances are
followed from the Transfer events of the swap, the FeeVaultDesk's fills from its IOBought events, each
checked by the engine's model against the TWAP bound it computed itself), the TWAPs the engine reads
(its `price()` on the pending block, and an epoch's close-window TWAP from the pool's own `observe`;
the oracle contract is tested against Uniswap's maths on its own), and whether the router's market
desk's guards (spot vs TWAP, a fill within the slippage) let a trade through. The engine has no market
refusal any more: anything its model accepts must succeed, whatever the pool did.

After EVERY step, in one JSON-RPC batch of eth_calls (docs/toolchain.md: ape costs ~30 ms a call):
  invariant_io_conservation      Σ IO of every holder == totalSupply; total_minted <= 800M IO;
                                 total_minted - totalSupply == total_burned == Σ burns by source
                                 (slashing, buyback, retirement, holders) rebuilt from the Transfer
                                 events of every transaction sent since genesis, and == the model's
                                 burns by source
  invariant_usdc_conservation    Σ USDC of every holder == USDC.totalSupply
  invariant_contracts_hold_what_they_owe
                                 vaults: balance == unallocated + outstanding >= outstanding (the
                                 model's); staking: balance == totals() + Σ device cooldown (the model's); router:
                                 per currency balance == escrow + credited + fees (the model's);
                                 distributor: balance >= active total - paid - forfeited, totals
                                 paid/held/forfeited == the model's; emission holds nothing;
                                 IncentiveEngine: IO == Reward Vault + fee IO + emission minted to
                                 it and not yet synced, no USDC; FeeVaultDesk: USDC == the Fee
                                 Vault's `fee_usdc`, no IO; the engine's vaults, epochs, every
                                 `totals()` figure, the trailing figures, every bound (the desk's
                                 slippage and its ticks too) and the last stated epoch's record
                                 (price, how it was fixed, IO needed, fee USD) == the model's to the
                                 wei, its `burned` == the buyback and retirement burns rebuilt from
                                 events, and the model's own invariants (ionet/models/ide.py, among them
                                 price_fixed_by_epoch); before activation it holds and has recorded
                                 nothing
  invariant_every_balance_equals_the_model
                                 every holder's IO and USDC == the model's, to the base unit
See docs/economy.md for the economy itself.

`IONET_SOAK_STEPS=100000 IONET_SOAK_SEED=7 ape test tests/fuzz/test_economy_state_machine.py -s`
(`make soak`) runs the same machine for that many steps with that seed and a progress line.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import sys
import time
from collections import Counter
from typing import Any

import requests
from ape import accounts, chain
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ionet import IO, USDC
from ionet.chain.signing import Domain, sign_authorization, sign_permit
from ionet.engines.merkle import ZERO_ADDRESS as ZERO
from ionet.engines.merkle import MerkleTree, RewardLeaf, SlashLeaf
from ionet.models import emission as em
from ionet.models import ide as im
from ionet.models import market as mm
from ionet.models import vesting as vm
from ionet.models.distributor import DistributorError, DistributorModel
from ionet.models.settlement import GRACE_SECONDS, Settlement, SettlementError, quote, started_hours
from ionet.models.staking import (
    APPEAL_SECONDS,
    BPS,
    COOLDOWN_SECONDS,
    StakingError,
    StakingModel,
    device_class,
    device_id,
)
from tests.ide_helpers import TOTALS  # IncentiveEngine.totals(), in order

MAX = 2**256 - 1
EARLIER = "RewardsDistributor: earlier slash not settled"
CAP = 800_000_000 * IO
DAY = 86_400
SOAK_STEPS = int(os.environ.get("IONET_SOAK_STEPS", "0") or 0)
SOAK_SEED = int(os.environ.get("IONET_SOAK_SEED", "0") or 0)
STEPS = int(os.environ.get("IONET_ECONOMY_STEPS", "150"))  # steps per example
EXAMPLES = int(os.environ.get("IONET_ECONOMY_EXAMPLES", "32"))  # in-suite: up to 32 x 150 (an example may end early)
# Fewer examples (the mutation tool's judge, tools/mutate.py: IONET_ECONOMY_EXAMPLES=8): the same
# derandomized sequences' first examples and the same checks after every step, but such a short run
# need not reach 3,000 steps or every rule.
SHORT = EXAMPLES < 32
MIN_STEPS = 1 if SHORT else min(3_000, STEPS * EXAMPLES)
PROGRESS_EVERY = 1_000

TRANSFER = keccak(text="Transfer(address,address,uint256)")
TREASURY_ROLE = keccak(text="TREASURY_ROLE")
AUTH_BOOKING = "book_with_authorization(bytes32,uint256,uint256,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"
IDE_VIEWS = ["reward_vault", "fee_io", "fee_usdc", "last_stated", "last_settled", "last_burn_epoch", "totals"]
# every other view of the engine (and the FeeVaultDesk's bound), compared with the model once active
IDE_MORE_VIEWS = [
    "pending_fee_usd", "sustainability_ratio_bps", "reserve_target_usd", "retire_buffer_io", "retirable",
    "max_usd_per_epoch", "max_swap_usdc", "burn_share_bps", "reserve_epochs", "retire_buffer_epochs", "twap_window",
    "max_price_move_bps",
]  # fmt: skip
DESK_VIEWS = ["max_slippage_bps", "slippage_ticks"]
IDE_EVENTS = {  # the engine's events the machine reads: topic 0 -> (name, data words)
    keccak(text=f"{name}({','.join(['uint256'] * n)})"): (name, n - indexed)
    for name, n, indexed in (
        ("Activated", 5, 0),
        ("EmissionReceived", 3, 0),
        ("EpochStated", 6, 1),
        ("EpochSettled", 15, 1),
        ("BoughtBackAndBurned", 8, 1),
    )
}
# the FeeVaultDesk's fill: IOBought(recipient indexed, exact_output, amount, usdc_paid, io_received, price,
# sqrt_price_limit_x96)
IO_BOUGHT = keccak(text="IOBought(address,bool,uint256,uint256,uint256,uint256,uint160)")
SWAP_SINGLE = "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))"
OBSERVE = "observe(uint32[])"
IDE_SETTINGS = {  # governance bounds of the engine: values within, on and past their limits
    "set_max_usd_per_epoch": [0, 100_000 * USDC, 10**9 * USDC, 10**9 * USDC, im.MAX_USD_PER_EPOCH_LIMIT + 1],
    "set_max_swap_usdc": [0, 200 * USDC, 25_000 * USDC],
    "set_burn_share_bps": [im.MIN_BURN_SHARE_BPS - 1, im.MIN_BURN_SHARE_BPS, 7_500, im.BPS, im.BPS + 1],
    "set_reserve_epochs": [0, 1, 30, im.MAX_RESERVE_EPOCHS, im.MAX_RESERVE_EPOCHS + 1],
    "set_retire_buffer_epochs": [0, 1, 1, 90, im.MAX_RETIRE_BUFFER_EPOCHS, im.MAX_RETIRE_BUFFER_EPOCHS + 1],
}
# set_market_bounds(twap_window, max_slippage_bps, max_price_move_bps): each bound within, on and one past its
# hard limits (the slippage also one bp below the least the pool's fee allows: 33 bps for the 0.3 % tier),
# the defaults (1,800 s, 100 bps, 1,000 bps) most often
IDE_MARKET = {
    "window": [im.MIN_TWAP_WINDOW - 1, im.MIN_TWAP_WINDOW, 1_800, 1_800, 1_800, 7_200, im.MAX_TWAP_WINDOW,
               im.MAX_TWAP_WINDOW + 1],
    "slippage": [0, 32, 33, 100, 100, 100, 250, im.MAX_SLIPPAGE_LIMIT_BPS, im.MAX_SLIPPAGE_LIMIT_BPS + 1],
    "move": [im.MIN_PRICE_MOVE_BPS - 1, im.MIN_PRICE_MOVE_BPS, 300, 1_000, 1_000, 1_000, im.MAX_PRICE_MOVE_BPS,
             im.MAX_PRICE_MOVE_BPS + 1],
}  # fmt: skip
# an outside trader's push of the IO/USDC pool (2M USDC and 5M IO at 0.40): USDC in (IO up), or IO in (IO down),
# within the desk's 1 % bound (2k-5k USDC move it 0.2-0.5 %) and far beyond it (900k USDC: about 2x)
PUSH_USDC = [2_000, 5_000, 15_000, 60_000, 250_000, 900_000]
PUSH_IO = [5_000, 12_500, 37_500, 150_000, 625_000, 2_077_300]
IDE_STATEMENTS = st.sampled_from(
    ["zero", "zero", "small", "small", "part", "topup", "topup", "beyond", "above_max", "wrong"]
)
DEVICES = [  # (name, provider index, class, processors)
    ("eco-0", 0, "H100", 1),
    ("eco-1", 0, "RTX 4090", 2),
    ("eco-2", 1, "A100-80GB", 1),
    ("eco-3", 1, "RTX 4090", 1),
    ("eco-4", 2, "L40S", 2),
    ("eco-5", 2, "H100", 1),
]
PART = st.integers(0, 9)  # of a balance: 0 nothing, 1..8 eighths, 9 one base unit too much
RARELY = st.sampled_from([False] * 6 + [True])
# a booking: renter, device pick (see _booked_device), hours, rate (in USDC or IO units per hour)
BOOKING = dict(r=st.integers(0, 1), i=st.integers(0, 5), hours=st.integers(1, 48), rate=st.integers(1, 5_000))
JUMPS = {"small": (13, 600), "medium": (601, DAY), "large": (DAY + 1, 30 * DAY), "huge": (30 * DAY + 1, 400 * DAY)}

OUTCOMES: Counter = Counter()  # "rule: ok" / "rule: refused: reason", for the coverage check
REASONS: Counter = Counter()  # refusals by reason (printed)
RUN = {"steps": 0, "examples": 0, "start": 0.0}


def share(balance: int, part: int) -> int:
    return balance + 1 if part == 9 else balance * part // 8


@functools.cache
def selector(sig: str) -> bytes:
    return keccak(text=sig)[:4]


def calldata(sig: str, *args: Any) -> str:
    inner = sig[sig.index("(") + 1 : -1]
    types, depth, cur = [], 0, ""
    for ch in inner + ",":  # split at the top-level commas (a tuple is one type)
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            types += [cur] if cur else []
            cur = ""
        else:
            cur += ch
    return "0x" + (selector(sig) + encode(types, list(args))).hex()


# the distributor's hold events: topic 0 -> name as the model spells it (device, party, slash_id indexed)
HOLD_EVENTS = {
    keccak(text=f"Rewards{name}({args})"): name
    for name, args in (
        ("Held", "bytes32,address,uint256,uint256,uint256"),
        ("Released", "bytes32,address,uint256,uint256,address"),
        ("Forfeited", "bytes32,address,uint256,uint256"),
    )
}


def hold_events(receipt: dict, dist: str, device: bytes, wallet: str) -> list[tuple[str, str, int, int]]:
    """(name, party, slash_id, amount) of the distributor's hold events in a receipt, in order; a
    release must be paid to the party (the owner's part: to `wallet`)."""
    out = []
    for log in receipt["logs"]:
        if log["address"].lower() != dist.lower() or not log["topics"]:
            continue
        name = HOLD_EVENTS.get(bytes.fromhex(log["topics"][0][2:]))
        if name is None:
            continue
        assert bytes.fromhex(log["topics"][1][2:]) == device
        party = to_checksum_address("0x" + log["topics"][2][-40:])
        data = bytes.fromhex(log["data"][2:])
        if name == "Released":
            paid_to = to_checksum_address(data[44:64])
            assert paid_to == (wallet if party == ZERO else party), (party, paid_to)
        out.append((name, party, int(log["topics"][3], 16), int.from_bytes(data[:32], "big")))
    return out


class Revert(Exception):
    pass


class _Trade(Exception):
    """The IDE model asked the pool for a trade (a probe of the model stops there)."""


class Rpc:
    """Raw JSON-RPC to the Anvil ape started: one HTTP request per call or per batch."""

    def __init__(self, uri: str):
        self.uri = uri
        self.http = requests.Session()
        self.http.trust_env = False  # a local Anvil: no proxy settings to look up in the environment per request

    def one(self, method: str, params: list) -> Any:
        r = self.http.post(self.uri, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
        if "error" in r:
            raise Revert(str(r["error"]))
        return r["result"]

    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        out = sorted(self.http.post(self.uri, json=body).json(), key=lambda r: r["id"])
        for r in out:
            if "error" in r:
                raise AssertionError(f"batched call failed: {r['error']}")
        return [r["result"] for r in out]


class Ctx:
    """Filled in by the test (fixtures cannot reach a state machine directly)."""

    rpc: Rpc
    c: dict[str, str] = {}  # contract addresses by name
    admin = operator = treasury = ""
    providers: list[str] = []
    co_stakers: list[str] = []
    renters: list[str] = []
    beneficiaries: list[str] = []
    vaults: dict[str, str] = {}  # category -> address
    vault_base: dict[str, vm.VaultModel] = {}
    staking_base: StakingModel | None = None
    multipliers: dict[bytes, int] = {}
    io_holders: list[str] = []
    usdc_holders: list[str] = []
    io_base: dict[str, int] = {}
    usdc_base: dict[str, int] = {}
    burns_base: dict[str, int] = {}
    emission_start = 0
    emitted_base = 0
    delay = DAY
    minted_base = 0
    next_booking_id = 1
    weth_pool = ""  # "" when the suite's router has no WETH pool
    trader = ""  # an outside trader on the IO/USDC pool (SwapRouter, approved)
    swap_router = ""
    pool_fee = 0
    observed: list[tuple[str, str]] = []  # the eth_calls of every step's observation (built by the first)
    keys: dict[str, Any] = {}  # renter address -> private key (signed bookings)
    chain_id = 0


def slashed_devs(ids: set[bytes], m: StakingModel) -> list:
    return [m.devices[d] for d in ids]


class EconomyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.snap = chain.snapshot()
        RUN["examples"] += 1
        C = Ctx.c
        self.rpc = Ctx.rpc
        self.now = int(self.rpc.one("eth_getBlockByNumber", ["latest", False])["timestamp"], 16) + 5
        self.io: dict[str, int] = dict(Ctx.io_base)
        self.usdc: dict[str, int] = dict(Ctx.usdc_base)
        self.st: StakingModel = copy.deepcopy(Ctx.staking_base)
        self.st.balances = self.io  # the staking model moves IO in the shared ledger ...
        self.io["staking"] = self.io.pop(C["NodeStaking"])  # ... under its own key for itself
        self.vaults = {k: copy.deepcopy(v) for k, v in Ctx.vault_base.items()}
        self.router = Settlement(usdc=C["USDC"], io=C["IOToken"])
        self.router.next_booking_id = Ctx.next_booking_id
        self.dist = DistributorModel()
        self.emitted = Ctx.emitted_base
        self.burns = dict(Ctx.burns_base)  # by source, as the model sees them
        self.event_burns = dict(Ctx.burns_base)  # by source, from the Transfer events we received
        self.event_mints = Ctx.minted_base
        # rewards: cumulative per (device, party) of the last published tree; roots
        self.cum: dict[tuple[bytes, str], int] = {}
        self.co_seen: dict[bytes, list[str]] = {d: [] for d in self.st.devices}
        self.at_slash: dict[tuple[bytes, str, int], int] = {}
        self.published_total = 0  # the pending (or else active) root's total
        self.active_total = 0
        self.active_through = 0
        self.pending: tuple[MerkleTree, int, int] | None = None  # (tree, total, published_at)
        self.active_tree: MerkleTree | None = None
        self.active_slash_leaves: list[tuple[int, SlashLeaf]] = []  # (index in the tree, leaf)
        self.active_reward_leaves: list[tuple[int, RewardLeaf]] = []
        self.epoch = 0
        self.reading: dict[str, Any] | None = None
        self.read_at = -1
        self.steps = 0
        self.active_cum: dict[tuple[bytes, str], int] = {}
        # the Incentive Dynamic Engine: None until `ide_activate`; then its integer model (ionet/models/ide.py)
        self.ide: im.IncentiveEngine | None = None
        self.ide_seen = 0  # the schedule's total_emitted the engine last credited (its `seen`)
        self.position: tuple[str, int] | None = None  # the outside trader's open push: (token to sell back, amount)
        self.counting = False
        self.prologue()
        self.counting = True
        self.prologue_steps = self.steps

    def prologue(self) -> None:
        """The same start for every example, made by the rules themselves (not counted in the
        coverage nor in the steps): every device staked, two co-stakes, three roots (the last after
        a slash of a co-staked device, whose co-staker then leaves and which is then overturned: a
        refund is owed, the rewards it holds are not settled yet), bookings in USDC, IO and WETH; two
        more roots around two slashes of another device (the first overturned), none settled."""
        self.advance("large", 0)  # a day of emission for the first roots
        self.mint_emission(0)
        for i in range(6):
            self.stake(i, 2)
        self.co_offer(0, 0, 4, 2_000)
        self.co_answer(0, "accept", False)
        self.co_offer(1, 1, 4, 3_000)
        self.co_answer(0, "accept", False)
        self.publish_root(0, 4)
        self.activate_root(True)
        self.publish_root(2, 4)
        self.activate_root(True)
        self.slash(0, 4, False)
        self.publish_root(4, 4)
        self.activate_root(True)
        self.co_exit_or_withdraw(0, False, False)  # the slashed co-staker leaves: an overturn now refunds it
        self.co_exit_or_withdraw(0, False, True)
        self.settle_slash(0, False, False)  # overturned: the co-staker's part is owed to it as a refund
        assert any(self.st.refunds.values())
        self.book(0, 2, "usdc", 24, 2_000)
        self.book(1, 4, "io", 24, 2_000)
        self.book(0, 0, "weth", 12, 1_000)
        # something for every two-stage rule from the first step (hypothesis enables a random subset
        # of the rules in each example): a stake cooling down, an open offer, a pending slash
        self.unstake(5)
        self.co_offer(3, 1, 4, 1_000)
        self.slash(4, 4, False)
        # ... and two overlapping slashes of device 4 in the active root, neither settled: the first
        # overturned, the second pending (both hold some of its unclaimed rewards): they can only be
        # settled in order, each resolves by its own outcome
        self.publish_root(4, 4)
        self.activate_root(True)
        d4 = self.st.devices[self.dev(4)]
        self._jump(max(0, d4.last_slashed_at + self.st.min_slash_interval - self.now))  # one slash per interval
        self.slash(4, 4, False)
        self.settle_slash(0, False, False)  # overturns the first
        self.publish_root(1, 4)
        self.activate_root(True)
        assert [x[1].device for x in self.active_slash_leaves].count(self.dev(4)) == 2

    def teardown(self) -> None:
        chain.restore(self.snap)

    # ------------------------------------------------------------ plumbing
    def _jump(self, seconds: int) -> None:
        """Time passes within a step (to reach a deadline the step is about), never onto it."""
        self.now += seconds
        self.rpc.one("evm_setNextBlockTimestamp", [self.now])

    def count(self, key: str) -> None:
        if self.counting:
            OUTCOMES[key] += 1

    def _step(self, seconds: int = 1) -> None:
        self.steps += 1
        RUN["steps"] += self.counting
        if self.counting and SOAK_STEPS and RUN["steps"] % PROGRESS_EVERY == 0:
            el = time.time() - RUN["start"]
            print(
                f"soak: {RUN['steps']:>7,} / {SOAK_STEPS:,} steps  example {RUN['examples']:,}  "
                f"{el:7.0f} s  {RUN['steps'] / el:5.1f} steps/s",
                file=sys.stderr,
                flush=True,
            )
        self.now += seconds
        self.rpc.one("evm_setNextBlockTimestamp", [self.now])

    def send(self, label: str, sender: str, to: str, sig: str, *args: Any) -> dict:
        """Send one transaction (Anvil's unlocked test accounts sign it); it must succeed. The IO
        Transfer events of its receipt are read for the burn/mint ledger rebuilt from events."""
        tx = {"from": sender, "to": to, "data": calldata(sig, *args), "gas": hex(12_000_000)}
        h = self.rpc.one("eth_sendTransaction", [tx])
        r = self.rpc.one("eth_getTransactionReceipt", [h])
        while r is None:  # Anvil answers before its automine has finished now and then
            time.sleep(0.001)
            r = self.rpc.one("eth_getTransactionReceipt", [h])
        if r["status"] != "0x1":
            try:
                self.rpc.one("eth_call", [tx, hex(int(r["blockNumber"], 16) - 1)])
                why = "(no reason on replay)"
            except Revert as e:
                why = str(e)
            raise AssertionError(f"{label}: {sig}{args} from {sender} reverted: {why}")
        io = Ctx.c["IOToken"].lower()
        for log in r["logs"]:
            if log["address"].lower() == io and log["topics"] and bytes.fromhex(log["topics"][0][2:]) == TRANSFER:
                frm = "0x" + log["topics"][1][-40:]
                to_ = "0x" + log["topics"][2][-40:]
                value = int(log["data"], 16)
                if int(to_, 16) == 0:
                    src = {
                        Ctx.c["NodeStaking"].lower(): "slashing",
                        Ctx.c["IncentiveEngine"].lower(): "retirement" if label == "ide_retire" else "buyback",
                    }.get(frm.lower(), "holders")
                    self.event_burns[src] = self.event_burns.get(src, 0) + value
                if int(frm, 16) == 0:
                    self.event_mints += value
        self.count(f"{label}: ok")
        return r

    def refused(self, label: str, reason: str, sender: str, to: str, sig: str, *args: Any) -> None:
        """The model refuses: the same call on the pending block must revert with `reason`."""
        self.count(f"{label}: refused")
        REASONS[f"{label}: {reason}"] += 1
        tx = {"from": sender, "to": to, "data": calldata(sig, *args), "gas": hex(12_000_000)}
        try:
            self.rpc.one("eth_call", [tx, "pending"])
        except Revert as e:
            assert reason in str(e), f"{label}{args}: expected {reason!r}, chain said {e}"
            return
        raise AssertionError(f"{label}{args}: the model refused ({reason}) but the chain accepts it")

    def would_revert(self, sender: str, to: str, sig: str, *args: Any) -> str | None:
        tx = {"from": sender, "to": to, "data": calldata(sig, *args), "gas": hex(12_000_000)}
        try:
            self.rpc.one("eth_call", [tx, "pending"])
        except Revert as e:
            return str(e)
        return None

    def move(self, ledger: dict[str, int], frm: str, to: str, amount: int) -> None:
        assert ledger.get(frm, 0) >= amount, f"model: {frm} cannot pay {amount}"
        ledger[frm] = ledger.get(frm, 0) - amount
        ledger[to] = ledger.get(to, 0) + amount

    def ledger_key(self, address: str) -> str:
        return "staking" if address == Ctx.c["NodeStaking"] else address

    def staking_call(self, label: str, model_call, sender: str, sig: str, *args: Any) -> bool:
        try:
            model_call()
        except StakingError as e:
            reason = str(e)
            if "insufficient balance" in reason:  # the model's word for the token's own refusal
                reason = "transfer amount exceeds balance"
            self.refused(label, reason, sender, Ctx.c["NodeStaking"], sig, *args)
            return False
        self.send(label, sender, Ctx.c["NodeStaking"], sig, *args)
        return True

    def dev(self, i: int) -> bytes:
        return device_id(DEVICES[i % len(DEVICES)][0])

    def pick(self, i: int, pred) -> bytes:  # noqa: ANN001
        """A device: usually (i != 5) one where `pred(device)` holds, if any; else device i."""
        cands = [d for d, x in self.st.devices.items() if pred(x)]
        return cands[i % len(cands)] if cands and i != 5 else self.dev(i)

    def _anyone(self, who: int) -> str:
        """A caller for what anyone may call: a provider, a renter or the operator."""
        everyone = Ctx.providers + Ctx.renters + [Ctx.operator]
        return everyone[who % len(everyone)]

    def owner_of(self, d: bytes) -> str:
        return self.st.devices[d].owner

    # ------------------------------------------------------------ time and emission
    @rule(kind=st.sampled_from(["small"] * 3 + ["medium"] * 3 + ["large"] * 2 + ["huge"]), x=st.integers(0, 10**6))
    def advance(self, kind: str, x: int) -> None:
        lo, hi = JUMPS[kind]
        self._step(lo + x % (hi - lo))
        self.rpc.one("evm_mine", [])
        self.count(f"advance_{kind}: ok")

    @rule(who=st.integers(0, 20))
    def mint_emission(self, who: int) -> None:
        self._step()
        due = em.due_at(Ctx.emission_start, self.now) - self.emitted
        self.send("mint_due", self._anyone(who), Ctx.c["EmissionSchedule"], "mint_due()")
        self.emitted += due
        self.io[self._recipient()] += due

    def _recipient(self) -> str:
        """The EmissionSchedule's recipient: the distributor, the engine once the IDE is active."""
        return Ctx.c["IncentiveEngine"] if self.ide is not None else Ctx.c["RewardsDistributor"]

    # ------------------------------------------------------------ vesting
    def _grants(self) -> list[tuple[str, int]]:
        return [
            (cat, g.grant_id) for cat, v in self.vaults.items() for g in v.grants.values() if g.grant_id not in v.moved
        ]

    @rule(i=st.integers(0, 10**6), other=RARELY)
    def vesting_claim(self, i: int, other: bool) -> None:
        self._vesting_pay(i, other, False)

    @rule(i=st.integers(0, 10**6))
    def vesting_release(self, i: int) -> None:
        self._vesting_pay(i, False, True)

    def _vesting_pay(self, i: int, other: bool, by_anyone: bool) -> None:
        """Mostly (i % 7 != 0) a grant with something claimable, if any."""
        self._step()
        grants = self._grants()
        due = [(c, g) for c, g in grants if self.vaults[c].claimable(g, self.now) > 0] if i % 7 else []
        cat, gid = (due or grants)[i % len(due or grants)]
        v = self.vaults[cat]
        ben = to_checksum_address(vm.beneficiary_of(gid))
        if by_anyone:  # release: anyone pays the beneficiary
            amount = v.release(gid, self.now)
            self.send("vesting_release", Ctx.operator, Ctx.vaults[cat], "release(uint256)", gid)
            to = ben
        else:
            to = Ctx.renters[i % 2] if other else ben
            amount = v.claim(ben, gid, to, self.now)
            self.send("vesting_claim", ben, Ctx.vaults[cat], "claim(uint256,address)", gid, to)
        self.move(self.io, Ctx.vaults[cat], to, amount)
        if amount:
            self.count("vesting_paid: ok")

    @rule(who=st.integers(0, 10), amount=st.integers(1, 200_000 * IO))
    def vesting_grant(self, who: int, amount: int) -> None:
        grantees = Ctx.providers + Ctx.co_stakers + Ctx.renters
        ben = grantees[who % len(grantees)]
        v = self.vaults["community"]
        self._step()
        try:
            v.grant(ben, amount)
        except vm.VestingError as e:
            self.refused(
                "vesting_grant", str(e), Ctx.admin, Ctx.vaults["community"], "grant(address,uint256)", ben, amount
            )
            return
        self.send("vesting_grant", Ctx.admin, Ctx.vaults["community"], "grant(address,uint256)", ben, amount)

    @rule(i=st.integers(0, 10**6), k=st.integers(0, 20), withdraw=RARELY)
    def vesting_rotate(self, i: int, k: int, withdraw: bool) -> None:
        """Key rotation: the beneficiary proposes a new key (or withdraws its proposal); when one
        is pending, the proposed key takes the grant over (a new id; the old one is refused)."""
        cat, gid = self._grants()[i % len(self._grants())]
        v, vault = self.vaults[cat], Ctx.vaults[cat]
        g = v.live(gid)
        ben = to_checksum_address(g.beneficiary)
        self._step()
        if g.pending is not None and not withdraw:
            new = to_checksum_address(g.pending)
            v.accept(new, gid)
            self.send("vesting_accept_beneficiary", new, vault, "accept_beneficiary(uint256)", gid)
            return
        people = self._people()
        new = ZERO if withdraw else people[k % len(people)]
        try:
            v.propose(ben, gid, new)
        except vm.VestingError as e:
            self.refused(
                "vesting_propose_beneficiary", str(e), ben, vault, "propose_beneficiary(uint256,address)", gid, new
            )
            return
        self.send("vesting_propose_beneficiary", ben, vault, "propose_beneficiary(uint256,address)", gid, new)

    @rule(i=st.integers(0, 10**6))
    def vesting_revoke(self, i: int) -> None:
        v = self.vaults["core_contributors"]
        ids = [g.grant_id for g in v.grants.values() if not g.revoked_at] if i % 7 else []
        ids = ids or [g.grant_id for g in v.grants.values()]
        gid = ids[i % len(ids)]
        self._step()
        try:
            v.revoke(gid, self.now)
        except vm.VestingError as e:
            self.refused("vesting_revoke", str(e), Ctx.admin, Ctx.vaults["core_contributors"], "revoke(uint256)", gid)
            return
        self.send("vesting_revoke", Ctx.admin, Ctx.vaults["core_contributors"], "revoke(uint256)", gid)

    # ------------------------------------------------------------ holders
    def _people(self) -> list[str]:
        return Ctx.providers + Ctx.co_stakers + Ctx.renters + Ctx.beneficiaries

    @rule(a=st.integers(0, 100), b=st.integers(0, 100), part=PART, usdc=st.booleans())
    def transfer(self, a: int, b: int, part: int, usdc: bool) -> None:
        people = self._people()
        holders = [p for p in people if (self.usdc if usdc else self.io).get(p, 0) > 0] or people
        frm, to = holders[a % len(holders)], people[b % len(people)]
        ledger = self.usdc if usdc else self.io
        amount = share(ledger.get(frm, 0), part)
        token = Ctx.c["USDC"] if usdc else Ctx.c["IOToken"]
        self._step()
        if amount > ledger.get(frm, 0):
            reason = "transfer amount exceeds balance"
            self.refused(
                "transfer_usdc" if usdc else "transfer_io", reason, frm, token, "transfer(address,uint256)", to, amount
            )
            return
        self.send("transfer_usdc" if usdc else "transfer_io", frm, token, "transfer(address,uint256)", to, amount)
        self.move(ledger, frm, to, amount)

    @rule(a=st.integers(0, 100), part=PART)
    def burn(self, a: int, part: int) -> None:
        people = self._people()
        holders = [p for p in people if self.io.get(p, 0) > 0] or people
        who = holders[a % len(holders)]
        amount = share(self.io.get(who, 0), part)
        self._step()
        if amount > self.io.get(who, 0):
            self.refused("burn", "burn amount exceeds balance", who, Ctx.c["IOToken"], "burn(uint256)", amount)
            return
        self.send("burn", who, Ctx.c["IOToken"], "burn(uint256)", amount)
        self.io[who] -= amount
        self.burns["holders"] = self.burns.get("holders", 0) + amount

    @rule(who=st.integers(0, 10), amount=st.integers(1, 100_000 * USDC))
    def mint_usdc(self, who: int, amount: int) -> None:
        to = (Ctx.renters + Ctx.providers)[who % 5]
        self._step()
        self.send("mint_usdc", Ctx.admin, Ctx.c["USDC"], "mint(address,uint256)", to, amount)
        self.usdc[to] = self.usdc.get(to, 0) + amount

    # ------------------------------------------------------------ staking
    @rule(i=st.integers(0, 5), part=PART)
    def stake(self, i: int, part: int) -> None:
        d = self.dev(i)
        o = self.owner_of(d)
        amount = max(1, share(self.io.get(o, 0), part) // 4)
        if part == 9:
            amount = self.io.get(o, 0) + 1
        self._step()
        self.staking_call("stake", lambda: self.st.stake(o, d, amount), o, "stake(bytes32,uint256)", d, amount)

    @rule(i=st.integers(0, 5), part=PART)
    def withdraw_overflow(self, i: int, part: int) -> None:
        d = self.dev(i)
        o = self.owner_of(d)
        self._step()
        amount = share(self.st.overflow(d, self.now), part)
        self.staking_call(
            "withdraw_overflow",
            lambda: self.st.withdraw_overflow(o, d, amount, self.now),
            o,
            "withdraw_overflow(bytes32,uint256)",
            d,
            amount,
        )

    @rule(i=st.integers(0, 5))
    def unstake(self, i: int) -> None:
        d = self.pick(i, lambda x: x.active > 0)
        o = self.owner_of(d)
        self._step()
        self.staking_call("unstake", lambda: self.st.unstake(o, d, self.now), o, "unstake(bytes32)", d)

    @precondition(lambda self: any(x.cooldown for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5), jump=st.booleans())
    def withdraw_stake(self, i: int, jump: bool) -> None:
        d = self.pick(i, lambda x: x.cooldown > 0)
        o = self.owner_of(d)
        dev = self.st.devices[d]
        self._step()
        if jump and dev.cooldown and self.now < dev.release_at:
            self._jump(dev.release_at - self.now + 7)
        self.staking_call("withdraw_stake", lambda: self.st.withdraw(o, d, self.now), o, "withdraw(bytes32)", d)

    @rule(i=st.integers(0, 5), k=st.integers(0, 1), part=st.integers(1, 9), bps=st.integers(1, 10_000))
    def co_offer(self, i: int, k: int, part: int, bps: int) -> None:
        d = self.pick(i, lambda x: x.active > 0 and x.co_state == 0)
        o = self.owner_of(d)
        co = Ctx.co_stakers[k]
        amount = max(1, share(self.st.devices[d].active, part))
        self._step()
        if self.staking_call(
            "co_offer",
            lambda: self.st.offer_co_stake(o, d, co, amount, bps),
            o,
            "offer_co_stake(bytes32,address,uint256,uint256)",
            d,
            co,
            amount,
            bps,
        ):
            if co not in self.co_seen[d]:
                self.co_seen[d].append(co)

    def co_answer(self, i: int, how: str, wrong: bool) -> None:
        d = self.pick(i, lambda x: x.co_state == 1)  # an open offer
        dev = self.st.devices[d]
        co = dev.co_staker or Ctx.co_stakers[i % 2]
        if wrong:
            co = Ctx.co_stakers[0] if co == Ctx.co_stakers[1] else Ctx.co_stakers[1]
        self._step()
        if how == "cancel":
            o = self.owner_of(d)
            self.staking_call(
                "co_cancel", lambda: self.st.cancel_co_stake_offer(o, d), o, "cancel_co_stake_offer(bytes32)", d
            )
        elif how == "decline":
            self.staking_call("co_decline", lambda: self.st.decline_co_stake(co, d), co, "decline_co_stake(bytes32)", d)
        else:
            terms = (dev.co_amount, dev.co_share_bps)  # the acceptance names the offer's terms
            self.staking_call(
                "co_accept",
                lambda: self.st.accept_co_stake(co, d, *terms),
                co,
                "accept_co_stake(bytes32,uint256,uint256)",
                d,
                *terms,
            )

    def co_exit_or_withdraw(self, i: int, by_owner: bool, jump: bool) -> None:
        slashed = {x.device for x in self.st.slashes.values() if x.outcome == 1 and x.co_part}
        d = self.pick(i, lambda x: x.co_state >= 2 and x in slashed_devs(slashed, self.st))  # slashed co-stakes
        if d not in slashed:
            d = self.pick(i, lambda x: x.co_state >= 2)  # active or exiting
        dev = self.st.devices[d]
        co = dev.co_staker or Ctx.co_stakers[i % 2]
        self._step()
        if dev.co_state == 2:  # CO_ACTIVE
            self.staking_call(
                "co_exit", lambda: self.st.exit_co_stake(co, d, self.now), co, "exit_co_stake(bytes32)", d
            )
            return
        if jump and dev.co_state == 3 and self.now < dev.co_exit_at + COOLDOWN_SECONDS:
            self._jump(dev.co_exit_at + COOLDOWN_SECONDS - self.now + 7)
        caller = self.owner_of(d) if by_owner else co
        self.staking_call(
            "co_withdraw",
            lambda: self.st.withdraw_co_stake(caller, d, self.now),
            caller,
            "withdraw_co_stake(bytes32)",
            d,
        )

    @precondition(lambda self: any(self.st.refunds.values()))
    @rule(k=st.integers(0, 1))
    def claim_refund(self, k: int) -> None:
        owed = [c for c in Ctx.co_stakers if self.st.refunds.get(c)]
        co = owed[k % len(owed)]
        self._step()
        self.staking_call("claim_refund", lambda: self.st.claim_refund(co), co, "claim_refund()")

    @precondition(lambda self: sum(x.outcome == 1 for x in self.st.slashes.values()) < 2)
    @rule(i=st.integers(0, 5), part=PART, jail=st.booleans())
    def slash(self, i: int, part: int, jail: bool) -> None:
        d = self.dev(i)
        dev = self.st.devices[d]
        co = self.st.deposited_co(dev)
        most = (dev.active + dev.cooldown + co) * self.st.max_slash_bps // BPS
        amount = share(most, part)
        self._step()
        self.staking_call(
            "slash",
            lambda: self.st.slash(d, amount, jail, self.now),
            Ctx.operator,
            "slash(bytes32,uint256,bytes32,bool)",
            d,
            amount,
            b"\x5e" * 32,
            jail,
        )

    def settle_slash(self, j: int, finalize: bool, jump: bool) -> None:
        ids = [s for s, x in self.st.slashes.items() if x.outcome == 1] or list(self.st.slashes) or [1]
        if not finalize:  # overturns: first those whose co-staker has gone (its part becomes a refund)
            gone = [
                s
                for s in ids
                if s in self.st.slashes
                and self.st.slashes[s].co_part
                and self.st.devices[self.st.slashes[s].device].co_staker != self.st.slashes[s].co_staker
            ]
            ids = gone or ids
        sid = ids[j % len(ids)]
        s = self.st.slashes.get(sid)
        self._step()
        if finalize:
            if jump and s is not None and self.now < s.created_at + APPEAL_SECONDS:
                self._jump(s.created_at + APPEAL_SECONDS - self.now + 7)
            ok = self.staking_call(
                "finalize_slash",
                lambda: self.st.finalize_slash(sid, self.now),
                Ctx.operator,
                "finalize_slash(uint256)",
                sid,
            )
            if ok:
                self.burns["slashing"] = self.burns.get("slashing", 0) + s.amount
        else:
            self.staking_call(
                "overturn_slash",
                lambda: self.st.overturn_slash(sid, self.now),
                Ctx.admin,
                "overturn_slash(uint256)",
                sid,
            )

    @precondition(lambda self: any(x.jailed for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5))
    def unjail(self, i: int) -> None:
        d = self.pick(i, lambda x: x.jailed)
        self._step()
        self.staking_call("unjail", lambda: self.st.unjail(d), Ctx.admin, "unjail(bytes32)", d)

    # ------------------------------------------------------------ settlement router
    def _router_call(self, label: str, model_call, sender: str, sig: str, *args: Any, to: str = "") -> Any:
        """A call to the router (or, `to`, to its market desk, whose refusals are the router's)."""
        to = to or Ctx.c["SettlementRouter"]
        trial = copy.deepcopy(self.router)
        try:
            getattr(trial, model_call[0])(*model_call[1:])
        except SettlementError as e:
            self.refused(label, str(e), sender, to, sig, *args)
            return None
        r = self.send(label, sender, to, sig, *args)
        return r, getattr(self.router, model_call[0])(*model_call[1:])

    @rule(cur=st.sampled_from(["usdc", "io", "weth"]), **BOOKING)
    def book(self, r: int, i: int, cur: str, hours: int, rate: int) -> None:
        renter = Ctx.renters[r]
        if cur == "weth" and not Ctx.weth_pool:
            cur = "usdc"
        is_usdc = cur != "io"
        rate = rate * (10**3 if is_usdc else 10**15)
        token = Ctx.c["IOToken"] if cur == "io" else Ctx.c["USDC"]
        q = quote(rate, hours, is_usdc)
        self._step()
        d = self._booked_device(i)
        provider = self.owner_of(d)
        eligible = self.st.is_eligible(d, self.now)
        if cur == "weth":
            sig, args = "book_with_asset(bytes32,address,uint256,uint256,uint256)", (d, Ctx.c["WETH"], hours, rate, MAX)
            if eligible:  # the pool's own guard (spot vs TWAP) is outside the model: ask the chain
                why = self.would_revert(renter, Ctx.c["MarketDesk"], sig, *args)
                if why is not None:
                    assert "guarded_swap" in why, why
                    self.count("book_with_asset: market refused")
                    return
            res = self._router_call(
                "book_with_asset",
                ("book", renter, provider, eligible, token, hours, rate, q.total, self.now),
                renter,
                sig,
                *args,
                to=Ctx.c["MarketDesk"],
            )
            if res is not None:
                rcpt, _ = res
                usdc_in = self._transfers(rcpt, Ctx.c["USDC"], Ctx.weth_pool, Ctx.c["SettlementRouter"])
                assert usdc_in == q.total, (usdc_in, q.total)
                self.move(self.usdc, Ctx.weth_pool, Ctx.c["SettlementRouter"], q.total)
            return
        ledger = self.usdc if is_usdc else self.io
        if q.total > ledger.get(renter, 0):
            return  # (an unfunded renter: the token's own refusal is not the economy's)
        sig = "book(bytes32,address,uint256,uint256,uint256)"
        model = ("book", renter, provider, eligible, token, hours, rate, q.total, self.now)
        res = self._router_call(f"book_{cur}", model, renter, sig, d, token, hours, rate, q.total)
        if res is not None:
            self.move(ledger, renter, self.ledger_key(Ctx.c["SettlementRouter"]), q.total)

    @rule(how=st.sampled_from(["usdc_permit", "io_permit", "usdc_auth"]), **BOOKING)
    def book_signed(self, r: int, i: int, how: str, hours: int, rate: int) -> None:
        """A booking paid by a signature instead of an approval: an EIP-2612 permit (USDC or IO) or
        an EIP-3009 receive-authorization (USDC), signed with the renter's key (ionet/chain/signing.py).
        A permit replaces the renter's standing approval, so the renter approves the router again
        afterwards (its own transaction)."""
        C = Ctx.c
        renter, router = Ctx.renters[r], C["SettlementRouter"]
        is_usdc = how != "io_permit"
        rate = rate * (10**3 if is_usdc else 10**15)
        token = C["USDC"] if is_usdc else C["IOToken"]
        q = quote(rate, hours, is_usdc)
        ledger = self.usdc if is_usdc else self.io
        self._step()
        d = self._booked_device(i)
        if q.total > ledger.get(renter, 0):
            return  # (an unfunded renter: the token's own refusal is not the economy's)
        key, before = Ctx.keys[renter], self.now + 3_600
        domain = Domain("USD Coin", "2", Ctx.chain_id, token) if is_usdc else Domain("IO", "1", Ctx.chain_id, token)
        if how == "usdc_auth":
            nonce = keccak(text=f"{RUN['examples']}:{self.steps}:{renter}")
            v, r_, s_ = sign_authorization(key, domain, renter, router, q.total, 0, before, nonce)
            sig = AUTH_BOOKING
            args: tuple = (d, hours, rate, q.total, 0, before, nonce, v, r_, s_)
        else:
            read = {"to": token, "data": calldata("nonces(address)", renter)}
            nonce_ = int(self.rpc.one("eth_call", [read, "latest"]), 16)
            v, r_, s_ = sign_permit(key, domain, renter, router, q.total, nonce_, before)
            sig = "book_with_permit(bytes32,address,uint256,uint256,uint256,uint256,uint8,bytes32,bytes32)"
            args = (d, token, hours, rate, q.total, before, v, r_, s_)
        eligible = self.st.is_eligible(d, self.now)
        model = ("book", renter, self.owner_of(d), eligible, token, hours, rate, q.total, self.now)
        if self._router_call(f"book_{how}", model, renter, sig, *args) is None:
            return
        self.move(ledger, renter, router, q.total)
        if how != "usdc_auth":
            self.send("approve", renter, token, "approve(address,uint256)", router, MAX)

    def _booked_device(self, i: int) -> bytes:
        """Usually (i != 5) an eligible device, if any; else device i (maybe refused)."""
        eligible_ids = [x for x in self.st.devices if self.st.is_eligible(x, self.now)]
        return eligible_ids[i % len(eligible_ids)] if eligible_ids and i != 5 else self.dev(i)

    def _transfers(self, receipt: dict, token: str, frm: str, to: str) -> int:
        total = 0
        for log in receipt["logs"]:
            if (
                log["address"].lower() == token.lower()
                and bytes.fromhex(log["topics"][0][2:]) == TRANSFER
                and int(log["topics"][1], 16) == int(frm, 16)
                and int(log["topics"][2], 16) == int(to, 16)
            ):
                total += int(log["data"], 16)
        return total

    def _booking(self, i: int, open_only: bool = True) -> int | None:
        ids = [b for b, x in self.router.bookings.items() if x.open or not open_only]
        return ids[i % len(ids)] if ids else None

    @precondition(lambda self: any(b.open for b in self.router.bookings.values()))
    @rule(i=st.integers(0, 10**6), hours=st.integers(0, 30))
    def record_work(self, i: int, hours: int) -> None:
        bid = self._booking(i)
        b = self.router.bookings[bid]
        self._step()
        room = min(b.hours, started_hours(b.start, self.now)) - b.recorded
        if room > 0 and hours:
            hours = 1 + hours % room
        self._router_call(
            "record_work", ("record", bid, hours, self.now), Ctx.operator, "record_work(uint256,uint256)", bid, hours
        )

    @precondition(lambda self: any(b.open for b in self.router.bookings.values()))
    @rule(picks=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 12)), min_size=1, max_size=5))
    def record_work_batch(self, picks: list[tuple[int, int]]) -> None:
        """Several records in one transaction, all or nothing; mostly valid (capped at what each
        booking may still record), else the model's refusal is checked."""
        self._step()
        items: list[tuple[int, int]] = []
        for i, h in picks:
            bid = self._booking(i)
            b = self.router.bookings[bid]
            room = min(b.hours, started_hours(b.start, self.now)) - b.recorded - sum(x for y, x in items if y == bid)
            items.append((bid, min(h, room) if room > 0 else h))
        self._router_call(
            "record_work_batch",
            ("record_batch", items, self.now),
            Ctx.operator,
            "record_work_batch(uint256[],uint256[])",
            [b for b, _ in items],
            [h for _, h in items],
        )

    def end_booking(self, i: int, how: str, final: int, jump: bool) -> None:
        bid = self._booking(i)
        b = self.router.bookings[bid]
        self._step()
        if how == "renter":
            self._router_call(
                "end_booking", ("end_by_renter", bid, b.renter, self.now), b.renter, "end_booking(uint256)", bid
            )
        elif how == "operator":
            room = max(min(b.hours, started_hours(b.start, self.now)) - b.recorded, 0)
            final = min(final, room)
            self._router_call(
                "operator_end_booking",
                ("end_by_operator", bid, final, self.now),
                Ctx.operator,
                "operator_end_booking(uint256,uint256)",
                bid,
                final,
            )
        else:
            if jump and self.now < b.end + GRACE_SECONDS:
                self._jump(b.end + GRACE_SECONDS - self.now + 7)
            self._router_call(
                "settle_expired", ("settle_expired", bid, self.now), Ctx.treasury, "settle_expired(uint256)", bid
            )

    def router_withdraw(self, i: int, cur: str, part: int, refund: bool) -> None:
        book = self.router.refunds if refund else self.router.income
        token = Ctx.c["IOToken"] if cur == "io" else Ctx.c["USDC"]
        if refund and cur == "as_io":
            cur = "usdc"
        people = [a for (a, t), v in book.items() if t == token and v > 0] or (Ctx.renters if refund else Ctx.providers)
        who = people[i % len(people)]
        amount = share(book[(who, token)], part)
        router, desk = Ctx.c["SettlementRouter"], Ctx.c["MarketDesk"]
        self._step()
        if refund:
            res = self._router_call(
                "withdraw_refund",
                ("withdraw_refund", who, token, amount),
                who,
                "withdraw_refund(address,uint256,address)",
                token,
                amount,
                who,
            )
            if res is not None:
                self.move(self.usdc if cur == "usdc" else self.io, router, who, amount)
        elif cur == "as_io":
            sig, args = "withdraw_as_io(uint256,uint256,address)", (amount, 0, who)
            if 0 < amount <= book[(who, token)]:
                why = self.would_revert(who, desk, sig, *args)
                if why is not None:
                    assert "guarded_swap" in why, why
                    self.count("withdraw_as_io: market refused")
                    return
            res = self._router_call("withdraw_as_io", ("withdraw_as_io", who, amount), who, sig, *args, to=desk)
            if res is not None:
                pool = Ctx.c["io_pool"]
                io_out = self._transfers(res[0], Ctx.c["IOToken"], pool, who)
                assert io_out > 0
                # the router hands the income to the desk, which sells all of it on the pool
                assert self._transfers(res[0], Ctx.c["USDC"], router, desk) == amount
                assert self._transfers(res[0], Ctx.c["USDC"], desk, pool) == amount
                self.move(self.usdc, router, desk, amount)
                self.move(self.usdc, desk, pool, amount)
                self.move(self.io, pool, who, io_out)
        else:
            res = self._router_call(
                "withdraw_income",
                ("withdraw", who, token, amount),
                who,
                "withdraw(address,uint256,address)",
                token,
                amount,
                who,
            )
            if res is not None:
                _fee, paid = res[1]
                self.move(self.usdc if cur == "usdc" else self.io, router, who, paid)

    @precondition(lambda self: any(v for v in self.router.fees.values()))
    @rule(cur=st.sampled_from(["usdc", "io"]), part=PART)
    def withdraw_fees(self, cur: str, part: int) -> None:
        token = Ctx.c["IOToken"] if cur == "io" else Ctx.c["USDC"]
        amount = share(self.router.fees[token], part)
        self._step()
        if self.ide is not None:  # the engine alone holds TREASURY_ROLE now: fees are collected by it
            sig, args = "withdraw_fees(address,uint256,address)", (token, amount, Ctx.treasury)
            self.refused("withdraw_fees", im.R_MISSING_ROLE, Ctx.treasury, Ctx.c["SettlementRouter"], sig, *args)
            return
        res = self._router_call(
            "withdraw_fees",
            ("withdraw_fees", token, amount),
            Ctx.treasury,
            "withdraw_fees(address,uint256,address)",
            token,
            amount,
            Ctx.treasury,
        )
        if res is not None:
            self.move(self.usdc if cur == "usdc" else self.io, Ctx.c["SettlementRouter"], Ctx.treasury, amount)

    # ---- each branch its own rule: hypothesis picks among the enabled rules evenly
    @precondition(lambda self: any(x.co_state == 1 for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5), wrong=RARELY)
    def co_accept(self, i: int, wrong: bool) -> None:
        self.co_answer(i, "accept", wrong)

    @precondition(lambda self: any(x.co_state == 1 for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5), wrong=RARELY)
    def co_decline(self, i: int, wrong: bool) -> None:
        self.co_answer(i, "decline", wrong)

    @precondition(lambda self: any(x.co_state == 1 for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5))
    def co_cancel(self, i: int) -> None:
        self.co_answer(i, "cancel", False)

    @precondition(lambda self: any(x.co_state == 2 for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5))
    def co_exit(self, i: int) -> None:
        self.co_exit_or_withdraw(i, False, False)

    @precondition(lambda self: any(x.co_state == 3 for x in self.st.devices.values()))
    @rule(i=st.integers(0, 5), by_owner=RARELY, jump=st.booleans())
    def co_withdraw(self, i: int, by_owner: bool, jump: bool) -> None:
        self.co_exit_or_withdraw(i, by_owner, jump)

    @precondition(lambda self: any(x.outcome == 1 for x in self.st.slashes.values()))
    @rule(j=st.integers(0, 10**6))
    def overturn_slash(self, j: int) -> None:
        self.settle_slash(j, False, False)

    @precondition(lambda self: any(x.outcome == 1 for x in self.st.slashes.values()))
    @rule(j=st.integers(0, 10**6), jump=st.booleans())
    def finalize_slash(self, j: int, jump: bool) -> None:
        self.settle_slash(j, True, jump)

    @precondition(lambda self: any(b.open for b in self.router.bookings.values()))
    @rule(i=st.integers(0, 10**6))
    def end_by_renter(self, i: int) -> None:
        self.end_booking(i, "renter", 0, False)

    @precondition(lambda self: any(b.open for b in self.router.bookings.values()))
    @rule(i=st.integers(0, 10**6), final=st.integers(0, 4))
    def end_by_operator(self, i: int, final: int) -> None:
        self.end_booking(i, "operator", final, False)

    @precondition(lambda self: any(b.open for b in self.router.bookings.values()))
    @rule(i=st.integers(0, 10**6), jump=st.booleans())
    def settle_expired(self, i: int, jump: bool) -> None:
        self.end_booking(i, "expired", 0, jump)

    @precondition(lambda self: any(v for v in self.router.income.values()))
    @rule(i=st.integers(0, 10), cur=st.sampled_from(["usdc", "io"]), part=PART)
    def withdraw_income(self, i: int, cur: str, part: int) -> None:
        self.router_withdraw(i, cur, part, False)

    @precondition(lambda self: any(v for (_a, t), v in self.router.income.items() if t == self.router.usdc))
    @rule(i=st.integers(0, 10), part=PART)
    def withdraw_as_io(self, i: int, part: int) -> None:
        self.router_withdraw(i, "as_io", part, False)

    @precondition(lambda self: any(v for v in self.router.refunds.values()))
    @rule(i=st.integers(0, 10), cur=st.sampled_from(["usdc", "io"]), part=PART)
    def withdraw_refund(self, i: int, cur: str, part: int) -> None:
        self.router_withdraw(i, cur, part, True)

    # ------------------------------------------------------------ rewards
    def _funding_limit(self) -> int:
        return self.io[Ctx.c["RewardsDistributor"]] + self.dist.total_paid + self.dist.total_forfeited

    def _last_slash(self, d: bytes) -> int:
        return max((s for s, x in self.st.slashes.items() if x.device == d), default=0)

    @precondition(lambda self: self.pending is not None)
    @rule()
    def cancel_root(self) -> None:
        """The canceller (governance) cancels the pending root."""
        self.publish_root(0, 0, True)

    @rule(i=st.integers(0, 5), part=st.integers(0, 8))
    def publish_root(self, i: int, part: int, cancel: bool = False) -> None:
        dist = Ctx.c["RewardsDistributor"]
        self._step()
        if self.pending is not None:
            if cancel:
                self.send("cancel_root", Ctx.admin, dist, "cancel_root()")
                self.pending = None
                self.published_total = self.active_total
                self.cum = dict(self.active_cum)
                return
            if self.now < self.pending[2] + Ctx.delay:
                self.refused(
                    "publish_root",
                    "RewardsDistributor: root pending",
                    Ctx.operator,
                    dist,
                    "publish_root(bytes32,uint256,uint256,uint256)",
                    b"\x01" * 32,
                    self.published_total,
                    self.epoch + 1,
                    self.now,
                )
                return
            self._activated()  # a ripe pending root is activated by the next publication
        new = (self._funding_limit() - self.published_total) * part // 8
        d = self.dev(i)
        dev = self.st.devices[d]
        cum = dict(self.cum)
        if new:
            co_part = new * dev.co_share_bps // BPS if dev.co_state == 2 else 0
            if co_part:
                cum[(d, dev.co_staker)] = cum.get((d, dev.co_staker), 0) + co_part
            cum[(d, ZERO)] = cum.get((d, ZERO), 0) + new - co_part
        leaves: list[RewardLeaf | SlashLeaf] = []
        for dd in self.st.devices:
            # the root commits every slash of the device so far: a slash leaf each (its checkpoints: the
            # parties' cumulatives before this root's new rewards, kept from the first root that commits
            # it), and the reward leaves name the latest slash and the latest that hit their co-staker
            sids = sorted(s for s, x in self.st.slashes.items() if x.device == dd)
            latest_hit: dict[str, int] = {}  # co-staker -> the latest of these slashes that hit it
            for n, sid in enumerate(sids):
                co = self.st.slashes[sid].co_staker or ZERO  # the co-staker it hit (co part > 0), if any
                owner_at = self.at_slash.setdefault((dd, ZERO, sid), self.cum.get((dd, ZERO), 0))
                co_at = self.at_slash.setdefault((dd, co, sid), self.cum.get((dd, co), 0)) if co != ZERO else 0
                prev = sids[n - 1] if n else 0
                leaves.append(SlashLeaf(dd, sid, prev, owner_at, co, latest_hit.get(co, 0), co_at))
                if co != ZERO:
                    latest_hit[co] = sid
            last = sids[-1] if sids else 0
            owner_cum = cum.get((dd, ZERO), 0)
            for party in self.co_seen[dd] or [ZERO]:
                co_cum = cum.get((dd, party), 0) if party != ZERO else 0
                leaves.append(RewardLeaf(dd, owner_cum, party, co_cum, last, latest_hit.get(party, 0)))
        total = sum(cum.values())
        tree = MerkleTree(leaves)
        root = tree.root() if callable(tree.root) else tree.root
        self.epoch += 1
        self.send(
            "publish_root",
            Ctx.operator,
            dist,
            "publish_root(bytes32,uint256,uint256,uint256)",
            root,
            total,
            self.epoch,
            self.now,
        )
        self.pending = (tree, total, self.now)
        self.published_total = total
        self.cum = cum

    @precondition(lambda self: self.pending is not None)
    @rule(jump=st.booleans())
    def activate_root(self, jump: bool) -> None:
        dist = Ctx.c["RewardsDistributor"]
        self._step()
        tree, total, at = self.pending
        if self.now < at + Ctx.delay:
            if not jump:
                self.refused(
                    "activate_root",
                    "RewardsDistributor: activation delay not passed",
                    Ctx.operator,
                    dist,
                    "activate_root()",
                )
                return
            self._jump(at + Ctx.delay - self.now + 601)
        self.send("activate_root", Ctx.operator, dist, "activate_root()")
        self._activated()

    def _activated(self) -> None:
        tree, total, _at = self.pending
        self.pending = None
        self.active_tree, self.active_total = tree, total
        self.active_cum = dict(self.cum)
        self.active_slash_leaves = [(k, lf) for k, lf in enumerate(tree.entries) if isinstance(lf, SlashLeaf)]
        self.active_reward_leaves = [(k, lf) for k, lf in enumerate(tree.entries) if isinstance(lf, RewardLeaf)]
        self.dist.activate(tree.entries)

    @precondition(lambda self: self.active_tree is not None)
    @rule(i=st.integers(0, 10**6), who=st.integers(0, 5))
    def claim_rewards(self, i: int, who: int) -> None:
        """Anyone claims a reward leaf of the active root (mostly one with something to pay; who == 5:
        any leaf, maybe refused: a slash not settled yet, nothing to claim, a root before a slash)."""
        tree = self.active_tree
        sender = (Ctx.providers + Ctx.co_stakers + [Ctx.operator])[who]
        self._step()
        sig = "claim(bytes32,uint256,address,uint256,uint256,uint256,bytes32[])"
        leaves = self.active_reward_leaves
        n = len(leaves)
        first_reason = None
        for k, lf in [leaves[(i + j) % n] for j in range(n)] if who != 5 else [leaves[i % n]]:
            dev = self.st.devices[lf.device]
            try:
                self.dist.plan_claim(
                    lf, dev.wallet, self._last_slash(lf.device), balance=self.io[Ctx.c["RewardsDistributor"]]
                )
                break
            except DistributorError as e:
                first_reason = first_reason or (e.reason, lf, k)
        else:
            reason, lf, k = first_reason
            self.refused("claim_rewards", reason, sender, Ctx.c["RewardsDistributor"], sig, *lf, tree.proof(k))
            return
        self.send("claim_rewards", sender, Ctx.c["RewardsDistributor"], sig, *lf, tree.proof(k))
        fx = self.dist.claim(lf, dev.wallet, self._last_slash(lf.device))
        dist = Ctx.c["RewardsDistributor"]
        self.move(self.io, dist, fx.wallet, fx.owner.transferred)
        if fx.co.transferred:
            self.move(self.io, dist, fx.co_staker, fx.co.transferred)

    def _settle_refusal(self, lf: SlashLeaf) -> str | None:
        """Why the model refuses `settle_slash` of a slash leaf now (None: it goes through)."""
        try:
            wallet = self.st.devices[lf.device].wallet
            self.dist.plan_settle(lf, wallet, self._last_slash(lf.device), self.st.slash_outcome)
        except DistributorError as e:
            return e.reason
        return None

    @precondition(lambda self: self.active_slash_leaves)
    @rule(i=st.integers(0, 10**6), who=st.integers(0, 5))
    def settle_rewards(self, i: int, who: int) -> None:
        """Anyone (a provider, a co-staker, a stranger) settles a slash leaf of the active root, in any
        order: the slash is applied to the owner and to the co-staker it hit (each party's slashes in
        order), its own hold resolved by its own outcome (overturned: paid to the party, finalized:
        forfeited). Mostly a leaf with something to do; who == 5: any leaf, maybe refused (an earlier
        slash not settled, nothing to settle). The receipt's RewardsHeld/Released/Forfeited are the
        model's, party by party."""
        tree = self.active_tree
        sender = (Ctx.providers + Ctx.co_stakers + [Ctx.operator])[who]
        self._step()
        sig = "settle_slash(bytes32,uint256,uint256,uint256,address,uint256,uint256,bytes32[])"
        leaves = self.active_slash_leaves
        n = len(leaves)
        candidates = [leaves[(i + j) % n] for j in range(n)]
        if who == 5:  # one leaf, maybe refused: one applied out of order when there is one
            candidates = [next((c for c in candidates if self._settle_refusal(c[1]) == EARLIER), leaves[i % n])]
        first_reason = None
        for k, lf in candidates:
            dev = self.st.devices[lf.device]
            try:
                self.dist.plan_settle(
                    lf,
                    dev.wallet,
                    self._last_slash(lf.device),
                    self.st.slash_outcome,
                    balance=self.io[Ctx.c["RewardsDistributor"]],
                )
                break
            except DistributorError as e:
                first_reason = first_reason or (e.reason, lf, k)
        else:
            reason, lf, k = first_reason
            self.refused("settle_rewards", reason, sender, Ctx.c["RewardsDistributor"], sig, *lf, tree.proof(k))
            if reason == EARLIER:  # the chain refused a slash applied out of order, as the model did
                self.count("settle_rewards_out_of_order: ok")
            return
        r = self.send("settle_rewards", sender, Ctx.c["RewardsDistributor"], sig, *lf, tree.proof(k))
        fx = self.dist.settle(lf, dev.wallet, self._last_slash(lf.device), self.st.slash_outcome)
        dist = Ctx.c["RewardsDistributor"]
        self.move(self.io, dist, fx.wallet, fx.owner.transferred)
        if fx.co.transferred:
            self.move(self.io, dist, fx.co_staker, fx.co.transferred)
        expected = [(n_, ZERO, sid, a) for n_, sid, a in fx.owner.events]
        expected += [(n_, lf.co_staker, sid, a) for n_, sid, a in fx.co.events]
        assert hold_events(r, dist, lf.device, fx.wallet) == expected, (lf, expected)
        for what, amount in (
            ("held", fx.owner.locked + fx.co.locked),
            ("released", fx.owner.released + fx.co.released),
            ("forfeited", fx.owner.forfeited + fx.co.forfeited),
        ):
            if amount:
                self.count(f"settle_rewards_{what}: ok")

    # The rewards cycle (publish, activate, settle, claim) needs steps in a row where every other area
    # needs one: activation, settlements and claims get twice the weight (hypothesis picks among enabled
    # rules evenly).
    @rule(i=st.integers(0, 5), k=st.integers(0, 1), part=st.integers(1, 9), bps=st.integers(1, 10_000))
    def co_offer_more(self, i: int, k: int, part: int, bps: int) -> None:
        """Offers, twice the weight: each one opens three rules (accept, decline, cancel)."""
        self.co_offer(i, k, part, bps)

    @precondition(lambda self: self.pending is not None)
    @rule(jump=st.booleans())
    def activate_root_more(self, jump: bool) -> None:
        self.activate_root(jump)

    @precondition(lambda self: self.active_tree is not None)
    @rule(i=st.integers(0, 10**6), who=st.integers(0, 4))
    def claim_rewards_more(self, i: int, who: int) -> None:
        self.claim_rewards(i, who)

    @precondition(lambda self: self.active_slash_leaves)
    @rule(i=st.integers(0, 10**6), who=st.integers(0, 5))
    def settle_rewards_more(self, i: int, who: int) -> None:
        self.settle_rewards(i, who)

    # ------------------------------------------------------------ the Incentive Dynamic Engine
    def _ide_events(self, receipt: dict, name: str) -> list[list[int]]:
        """The data words of the engine's `name` events in a receipt."""
        out = []
        for log in receipt["logs"]:
            if log["address"].lower() != Ctx.c["IncentiveEngine"].lower() or not log["topics"]:
                continue
            ev = IDE_EVENTS.get(bytes.fromhex(log["topics"][0][2:]))
            if ev is not None and ev[0] == name:
                data = bytes.fromhex(log["data"][2:])
                out.append([int.from_bytes(data[32 * k : 32 * k + 32], "big") for k in range(ev[1])])
        return out

    def _desk_fills(self, receipt: dict) -> list[tuple[str, list[int]]]:
        """The FeeVaultDesk's fills in a receipt: (recipient, [exact_output, amount, usdc_paid, io_received,
        price, sqrt_price_limit_x96]) of each IOBought."""
        out = []
        for log in receipt["logs"]:
            if log["address"].lower() == Ctx.c["FeeVaultDesk"].lower() and log["topics"] and \
                    bytes.fromhex(log["topics"][0][2:]) == IO_BOUGHT:  # fmt: skip
                types = ["bool", "uint256", "uint256", "uint256", "uint256", "uint160"]
                words = decode(types, bytes.fromhex(log["data"][2:]))
                out.append((to_checksum_address("0x" + log["topics"][1][-40:]), [int(w) for w in words]))
        return out

    def _desk_fill(self, request: im.SwapRequest, fills: list, recipient: str) -> im.Fill:
        """What the desk did with the model's request, from its IOBought (none: the pool was already at or
        beyond the price limit, nothing traded). The trade was bounded by the model's own price (the epoch's,
        or the last settled epoch's for a burn) and went to `recipient`; the model checks the fill against
        its bound itself (twap_bound)."""
        if not fills:
            self.count("ide_no_fill_at_limit: ok")
            return im.Fill(0, 0)
        [(to, (exact_output, amount, paid, received, price, _limit))] = fills
        assert (bool(exact_output), amount, to) == (request.kind == im.EXACT_OUTPUT, request.amount, recipient)
        assert price == request.twap
        if (received < amount) if exact_output else (paid < amount):
            self.count("ide_partial_fill: ok")
        return im.Fill(paid, received)

    def _ide_price(self) -> im.Price:
        """The TWAP the engine reads in the next block (its `price()` view on the pending block); history_ok
        False when the pool's observations do not cover the window (the view then reverts)."""
        try:
            out = self.rpc.one("eth_call", [{"to": Ctx.c["IncentiveEngine"], "data": calldata("price()")}, "pending"])
        except Revert as e:
            assert im.R_HISTORY in str(e), e
            return im.Price(0, history_ok=False)
        return im.Price(int(out, 16))

    def _close_twap(self, epoch: int) -> int | None:
        """The TWAP over the window that ended at `epoch`'s close, as a statement in the next block reads it
        (the pool's own `observe([ago + window, ago])` on the pending block, rounded as OracleLibrary), or None
        when the pool's history no longer reaches back to it."""
        window = self.ide.params.twap_window_seconds
        ago = min(self.now - self.ide.epoch_end(epoch), 2**32 - 1)
        if ago + window > 2**32 - 1:
            return None
        try:
            out = self.rpc.one("eth_call", [{"to": Ctx.c["io_pool"], "data": calldata(OBSERVE, [ago + window, ago])},
                                            "pending"])  # fmt: skip
        except Revert:  # Uniswap's "OLD"
            return None
        cumulatives, _ = decode(["int56[]", "uint160[]"], bytes.fromhex(out[2:]))
        mean = mm.mean_tick(cumulatives[0], cumulatives[1], window)
        return mm.quote_at_tick(mean, IO, Ctx.c["IOToken"], Ctx.c["USDC"])

    def _engine_emission(self) -> tuple[int, int]:
        """What the engine's sync finds in this step: (the emission due that its `mint_due` mints to
        it, the rise of the schedule's total it has not credited yet, that due included)."""
        due = em.due_at(Ctx.emission_start, self.now) - self.emitted
        return due, self.emitted + due - self.ide_seen

    def _minted_to_engine(self, due: int) -> None:
        """The engine synced: `due` was minted to it and the schedule's total is credited."""
        self.emitted += due
        self.io[Ctx.c["IncentiveEngine"]] += due
        self.ide_seen = self.emitted

    def _ide_refused(self, label: str, op, sender: str, sig: str, *args: Any) -> bool:  # noqa: ANN001
        """Try `op(model)` on a copy of the model (trades refused): True when the model refuses,
        after checking the chain refuses with the same reason. A trade request is not a refusal."""

        def probe(_request: im.SwapRequest) -> int:
            raise _Trade

        try:
            op(copy.deepcopy(self.ide), probe)
        except im.IDEError as e:
            self.refused(label, str(e), sender, Ctx.c["IncentiveEngine"], sig, *args)
            return True
        except _Trade:
            pass
        return False

    def _model_event(self, name: str) -> list[int]:
        """The fields of the model's last `name` event after the epoch (the chain's data words, in order)."""
        fields = next(f for n, f in reversed(self.ide.events) if n == name)
        return [v for k, v in fields.items() if k != "epoch"]

    @precondition(lambda self: self.ide is None and self.steps >= self.prologue_steps + 25)
    @rule()
    def ide_activate(self) -> None:
        """Governance switches the network to the IDE (ionet.chain.deploy_ide.activation_calls): the
        emission pays the engine (the switch itself first mints what is due to the distributor, the
        old recipient: EmissionSchedule invariant 5), the engine alone holds the router's
        TREASURY_ROLE, `activate()` mints what is due since and forwards all it holds to the
        distributor (the pre-IDE rewards) and takes the pool's TWAP as epoch 0's price (the reference
        of epoch 1's clamp). Not in an example's first 25 steps: the economy runs without the IDE
        first, as the network does."""
        C = Ctx.c
        engine, router = C["IncentiveEngine"], C["SettlementRouter"]
        self._step()
        due_to_old = em.due_at(Ctx.emission_start, self.now) - self.emitted
        self.send("ide_switch", Ctx.admin, C["EmissionSchedule"], "set_reward_recipient(address)", engine)
        self.emitted += due_to_old
        self.io[C["RewardsDistributor"]] += due_to_old
        self.send("ide_switch", Ctx.admin, router, "grantRole(bytes32,address)", TREASURY_ROLE, engine)
        self.send("ide_switch", Ctx.admin, router, "revokeRole(bytes32,address)", TREASURY_ROLE, Ctx.treasury)
        reference = self._ide_price()
        r = self.send("ide_activate", Ctx.admin, engine, "activate()")
        due = em.due_at(Ctx.emission_start, self.now) - self.emitted
        [[start, baseline, _epoch, forwarded, reference_price]] = self._ide_events(r, "Activated")
        self.emitted += due
        self.io[C["RewardsDistributor"]] += due  # minted to the engine and forwarded at once
        assert (baseline, forwarded) == (self.emitted, due), (baseline, forwarded, self.emitted, due)
        assert start <= self.now
        assert reference_price == reference.twap, (reference_price, reference)
        self.ide = im.IncentiveEngine(governance=Ctx.admin, oracle=Ctx.operator, start_time=None)
        self.ide.activate(Ctx.admin, start, reference)
        self.ide_seen = self.emitted
        self._ide_first_days()

    def _ide_first_days(self) -> None:
        """The engine's first three days, the same in every example that activates it (each operation
        checked as in its own rule), so that every run reaches its rarer paths whatever came before:
        day 1 states nothing, so the trailing reserve and retirement buffer are 0: the day's fees
        are burned (buyback) and governance retires an eighth of the Reward Vault; day 2 asks for
        what the Reward Vault holds plus 90 % of the Fee Vault's USDC: an exact-output purchase; on
        day 3 an outside trader pushes the pool about 2x (up in odd examples, down in even ones) and
        holds it through the epoch's close: its price is clamped to max_price_move_bps of day 2's,
        and the day is settled at that price with the pool still pushed; then the trader sells back."""
        if self.router.fees[Ctx.c["USDC"]] < 3 * USDC:
            self.book(0, 0, "usdc", 48, 5_000)  # a renter books two days at 5 USDC an hour: 5.4 USDC of fees
        self.advance("medium", 1_200)  # the TWAP window passes: the pool's spot is its TWAP
        if any(self.router.fees.values()):
            self.ide_collect_fees(0)
        self.ide_state_epoch("zero", 1)
        self.ide_settle(0, False)
        self._trader_to_limit(USDC)  # an outside trader leaves the desk 1 USDC before its limit: a partial fill
        self.ide_buyback_and_burn(0)
        self._trader_unwind()
        self.ide_sync_emission(0)  # the day's emission into the Reward Vault (a zero day did not need it)
        self.ide_retire(1)
        self.ide_state_epoch("topup", 85)  # (odd: the clock goes to the epoch's end; 85: 90 % of the USDC)
        self._trader_push(RUN["examples"] % 2 == 1, len(PUSH_USDC) - 1)
        self.ide_state_epoch("part", 31)  # (odd: to the epoch's end, a day after the push: the window is all pushed)
        assert self.ide.prices[self.ide.last_stated][1] in (im.PRICE_CLAMPED_UP, im.PRICE_CLAMPED_DOWN)
        self.count("ide_trader_hold: ok")  # (held a whole day, through the close)
        self.ide_settle(0, False)
        self._trader_unwind()
        self.ide_set_market_bounds(1_800, 100, 1_000, False)  # governance confirms the market bounds

    @precondition(lambda self: self.ide is not None)
    @rule(who=st.integers(0, 20))
    def ide_sync_emission(self, who: int) -> None:
        self._step()
        self.send("ide_sync_emission", self._anyone(who), Ctx.c["IncentiveEngine"], "sync_emission()")
        due, amount = self._engine_emission()
        self._minted_to_engine(due)
        self.ide.receive_emission(amount)

    @precondition(lambda self: self.ide is not None and any(self.router.fees.values()))
    @rule(who=st.integers(0, 20))
    def ide_collect_fees(self, who: int) -> None:
        """Anyone pulls the router's fees into the Fee Vault (IO valued at the TWAP, to the engine; USDC to
        the FeeVaultDesk, which holds the Fee Vault's USDC); refused when IO must be valued and the pool's
        history does not cover the window."""
        C = Ctx.c
        usdc, io = self.router.fees[C["USDC"]], self.router.fees[C["IOToken"]]
        sender = self._anyone(who)
        self._step()
        price = self._ide_price() if io else None
        if price is not None and not price.history_ok:
            self.refused("ide_collect_fees", im.R_HISTORY, sender, C["IncentiveEngine"], "collect_fees()")
            return
        self.send("ide_collect_fees", sender, C["IncentiveEngine"], "collect_fees()")
        self.ide.collect_fees(usdc, io, price)
        for token, amount, ledger, to in ((C["USDC"], usdc, self.usdc, C["FeeVaultDesk"]),
                                          (C["IOToken"], io, self.io, C["IncentiveEngine"])):  # fmt: skip
            if amount:
                self.router.withdraw_fees(token, amount)
                self.move(ledger, C["SettlementRouter"], to, amount)
        if usdc or io:
            self.count("ide_fees_collected: ok")

    @precondition(lambda self: self.ide is not None)
    @rule(kind=IDE_STATEMENTS, x=st.integers(0, 10**6))
    def ide_state_epoch(self, kind: str, x: int) -> None:
        """The oracle states the USD owed for the next epoch (jumping to its end when it has not
        ended): nothing, a small day (under 50 USD), a part of what the Reward Vault (with the
        emission not yet synced) is worth at the epoch's price, that and a part of the Fee Vault's USDC
        (a top-up), more than both vaults (a shortfall), above the maximum; or the wrong epoch. The
        statement fixes the epoch's price: the TWAP of the window that ended at its close (read here
        from the pool's own observations), clamped to max_price_move_bps of the previous epoch's, the
        previous one carried when the pool no longer reaches back; the event says which."""
        ide = self.ide
        epoch = ide.last_stated + (1 if kind != "wrong" else 2 if x % 2 else 0)  # wrong: out of order, or again
        self._step()
        if kind != "wrong" and self.now < ide.epoch_end(epoch) and x % 4:
            self._jump(ide.epoch_end(epoch) - self.now + 61)
        if kind == "topup" and self.router.fees[Ctx.c["USDC"]]:
            self.ide_collect_fees(x)  # the day's fees first: the Fee Vault's USDC tops the day up
        close = self._close_twap(epoch) if kind != "wrong" and self.now >= ide.epoch_end(epoch) else None
        reference = ide.epoch_price(epoch - 1) if epoch else 0  # (0: none, the close TWAP unclamped)
        price = im.clamp_price(close, reference, ide.params.max_price_move_bps)[0] if reference else close or 0
        unsynced = em.due_at(Ctx.emission_start, self.now) - self.ide_seen
        worth = (ide.reward_vault + ide.fee_io + unsynced) * price // IO
        usd = {
            "zero": 0,
            "small": x % (50 * USDC),
            "part": worth * (x % 100) // 100,
            "topup": worth + ide.fee_usdc * (5 + x % 90) // 100,
            "beyond": worth + ide.fee_usdc + x % (2_000 * USDC),
            "above_max": ide.params.max_usd_per_epoch + 1 + x % 7,
            "wrong": x % (100 * USDC),
        }[kind]
        if kind == "topup" and usd > ide.params.max_usd_per_epoch and ide.last_settled == epoch - 1:
            self.ide_set_param("set_max_usd_per_epoch", 2, False)  # governance raised the daily maximum
        usd = min(usd, ide.params.max_usd_per_epoch) if kind in ("topup", "beyond") else usd
        sig = "state_epoch(uint256,uint256)"
        if self._ide_refused("ide_state_epoch", lambda m, _s: m.state_epoch(Ctx.operator, epoch, usd, self.now, close),
                             Ctx.operator, sig, epoch, usd):  # fmt: skip
            return
        r = self.send("ide_state_epoch", Ctx.operator, Ctx.c["IncentiveEngine"], sig, epoch, usd)
        ide.state_epoch(Ctx.operator, epoch, usd, self.now, close)
        # price_fixed_by_epoch: the close TWAP, the reference, the price and how it was fixed, as the model says
        assert self._ide_events(r, "EpochStated") == [self._model_event("EpochStated")]
        flag = ide.prices[epoch][1]
        self.count(["ide_price_at_twap", "ide_price_clamped", "ide_price_clamped", "ide_price_carried"][flag] + ": ok")
        if kind == "topup" and ide.last_settled == epoch - 1:
            # settled at once: an hour later the emission would cover what the Fee Vault tops up
            self.ide_settle(x, False)

    @precondition(lambda self: self.ide is not None and self.ide.last_stated > 0)
    @rule(who=st.integers(0, 20), wrong=RARELY)
    def ide_settle(self, who: int, wrong: bool) -> None:
        """Anyone settles the next stated epoch at its price: IO from the Reward Vault (synced first when
        short), the Fee Vault's IO, IO the FeeVaultDesk buys with its USDC up to the price limit of the TWAP
        now (fully, partly, or not at all when the pool is already beyond it); the rest a shortfall. The IO
        goes to the distributor; what the pool filled is read from the desk's IOBought. settle_is_live:
        nothing the model accepts may revert, whatever the pool did (no market refusal any more)."""
        C, ide = Ctx.c, self.ide
        sender = self._anyone(who)
        epoch = ide.last_settled + (2 if wrong else 1)
        self._step()
        sig = "settle(uint256)"
        if self._ide_refused("ide_settle", lambda m, sw: m.settle(epoch, sw), sender, sig, epoch):
            return
        due, emission_due = self._engine_emission()
        r = self.send("ide_settle", sender, C["IncentiveEngine"], sig, epoch)
        engine, dist, pool, desk = C["IncentiveEngine"], C["RewardsDistributor"], C["io_pool"], C["FeeVaultDesk"]
        fills = self._desk_fills(r)
        asked: list[im.SwapRequest] = []

        def swap(request: im.SwapRequest) -> im.Fill:
            asked.append(request)
            return self._desk_fill(request, fills, dist if request.kind == im.EXACT_OUTPUT else engine)

        credited = ide.emitted_in
        st_ = ide.settle(epoch, swap, emission_due)
        assert len(fills) <= len(asked) <= 1, (fills, asked)
        synced = ide.emitted_in - credited  # the model synced only when the vault was short, as the contract
        if synced:  # (nothing to sync, nothing minted: emission_due includes the due)
            self._minted_to_engine(due)
        assert [x[0] for x in self._ide_events(r, "EmissionReceived")] == ([synced] if synced else [])
        assert self._ide_events(r, "EpochSettled") == [self._model_event("EpochSettled")]
        exact_output = bool(asked) and asked[0].kind == im.EXACT_OUTPUT
        if st_.usdc_spent:
            # exact output: the pool pays the distributor; exact input: the engine, which keeps any extra
            to = dist if exact_output else engine
            assert self._transfers(r, C["USDC"], desk, pool) == st_.usdc_spent
            assert self._transfers(r, C["IOToken"], pool, to) == st_.io_bought
            self.move(self.usdc, desk, pool, st_.usdc_spent)
            self.move(self.io, pool, to, st_.io_bought)
            self.count(f"ide_settle_{asked[0].kind}: ok")
        from_engine = st_.io_released - (st_.from_fee_usdc_swap if exact_output else 0)
        assert self._transfers(r, C["IOToken"], engine, dist) == from_engine
        self.move(self.io, engine, dist, from_engine)
        if st_.shortfall_io:
            self.count("ide_shortfall: ok")

    @precondition(lambda self: self.ide is not None and self.ide.last_settled > 0)
    @rule(who=st.integers(0, 20))
    def ide_buyback_and_burn(self, who: int) -> None:
        """Anyone burns the burn share of the Fee Vault's surplus above its reserve: surplus USDC
        buys IO through the FeeVaultDesk up to the price limit (partly, or not at all), surplus IO is burned
        without a trade. Never a market refusal: a burn that could neither buy nor burn changes nothing."""
        C, ide = Ctx.c, self.ide
        sender = self._anyone(who)
        self._step()
        sig = "buyback_and_burn()"
        if self._ide_refused("ide_buyback_and_burn", lambda m, sw: m.buyback_and_burn(sw), sender, sig):
            return
        r = self.send("ide_buyback_and_burn", sender, C["IncentiveEngine"], sig)
        engine, pool, desk = C["IncentiveEngine"], C["io_pool"], C["FeeVaultDesk"]
        fills = self._desk_fills(r)
        asked: list[im.SwapRequest] = []

        def swap(request: im.SwapRequest) -> im.Fill:
            asked.append(request)
            return self._desk_fill(request, fills, engine)

        b = ide.buyback_and_burn(swap)
        assert len(fills) <= len(asked) <= 1, (fills, asked)
        if b is None:  # nothing bought (the pool beyond the limit) and no fee IO to burn: nothing changed
            assert not self._ide_events(r, "BoughtBackAndBurned") and not r["logs"], r["logs"]
            self.count("ide_buyback_nothing: ok")
            return
        assert self._ide_events(r, "BoughtBackAndBurned") == [self._model_event("BoughtBackAndBurned")]
        if b.usdc_spent:
            assert self._transfers(r, C["USDC"], desk, pool) == b.usdc_spent
            assert self._transfers(r, C["IOToken"], pool, engine) == b.io_bought_burned
            self.move(self.usdc, desk, pool, b.usdc_spent)
            self.move(self.io, pool, engine, b.io_bought_burned)
        self.io[engine] -= b.io_burned
        self.burns["buyback"] = self.burns.get("buyback", 0) + b.io_burned
        self.count("ide_buyback: ok")

    @precondition(lambda self: self.ide is not None)
    @rule(setter=st.sampled_from(sorted(IDE_SETTINGS)), k=st.integers(0, 10**6), wrong=RARELY)
    def ide_set_param(self, setter: str, k: int, wrong: bool) -> None:
        """Governance changes a bound: within it, on its limits and one past them (refused); now and
        then from the oracle's key (refused: governance only). A high `max_usd_per_epoch` lets a
        statement exceed the Reward Vault (top-ups, shortfalls); a one-epoch retirement buffer
        lets governance retire."""
        values = IDE_SETTINGS[setter]
        value = values[k % len(values)]
        sender = Ctx.operator if wrong else Ctx.admin
        self._step()
        sig = f"{setter}(uint256)"
        if self._ide_refused("ide_set_param", lambda m, _s: getattr(m, setter)(sender, value), sender, sig, value):
            return
        self.send("ide_set_param", sender, Ctx.c["IncentiveEngine"], sig, value)
        getattr(self.ide, setter)(sender, value)

    @precondition(lambda self: self.ide is not None)
    @rule(window=st.sampled_from(IDE_MARKET["window"]), slippage=st.sampled_from(IDE_MARKET["slippage"]),
          move=st.sampled_from(IDE_MARKET["move"]), wrong=RARELY)  # fmt: skip
    def ide_set_market_bounds(self, window: int, slippage: int, move: int, wrong: bool) -> None:
        """Governance sets the market bounds (the engine's TWAP window and price move, the FeeVaultDesk's
        slippage), all or nothing: each within, on and one past its hard limits (the slippage also just
        below what the pool's fee allows); now and then from the oracle's key (refused). A long window the
        pool's history cannot serve refuses valuations and burns, and carries an epoch's price; a 10 bps
        move clamps nearly every epoch."""
        sender = Ctx.operator if wrong else Ctx.admin
        self._step()
        sig = "set_market_bounds(uint32,uint256,uint256)"
        args = (window, slippage, move)
        if self._ide_refused("ide_set_market_bounds", lambda m, _s: m.set_market_bounds(sender, *args), sender, sig,
                             *args):  # fmt: skip
            return
        self.send("ide_set_market_bounds", sender, Ctx.c["IncentiveEngine"], sig, *args)
        self.ide.set_market_bounds(sender, *args)

    @precondition(lambda self: self.ide is not None)
    @rule(kind=IDE_STATEMENTS, x=st.integers(0, 10**6), burn=st.booleans(), part=PART)
    def ide_day(self, kind: str, x: int, burn: bool, part: int) -> None:
        """A network day, each operation its own transaction: the day's fees collected, the next
        epoch stated at its end, the stated epochs settled, then a burn and a retirement when there
        is something to burn or retire. (The operations also come one by one, interleaved with
        everything else, in the rules above.)"""
        ide = self.ide
        if any(self.router.fees.values()):
            self.ide_collect_fees(x)
        self.ide_state_epoch("zero" if kind == "wrong" else kind, x | 1)  # (odd: the clock goes to the epoch's end)
        for _ in range(ide.last_stated - ide.last_settled):
            self.ide_settle(x, False)
        assert ide.last_settled == ide.last_stated  # settle_is_live: whatever the pool did
        if burn and ide.can_burn():
            self.ide_buyback_and_burn(x)
        if part and ide.retirable():
            self.ide_retire(part)

    # ---- an outside trader on the IO/USDC pool (issue 17: pushes and holds before settlements)
    def _trader_swap(self, label: str, token_in: str, token_out: str, amount: int, limit: int = 0) -> int:
        """The trader sells `amount` of token_in on the IO/USDC pool (SwapRouter.exactInputSingle, no
        minimum; up to the sqrt price `limit` if given); returns what it received (both legs followed from
        the receipt's Transfer events)."""
        pool, trader = Ctx.c["io_pool"], Ctx.trader
        ledger_in, ledger_out = (self.usdc, self.io) if token_in == Ctx.c["USDC"] else (self.io, self.usdc)
        amount = min(amount, ledger_in.get(trader, 0))  # (10M USDC and 10M IO: far more than a push and back)
        params = (token_in, token_out, Ctx.pool_fee, trader, self.now + 3_600, amount, 0, limit)
        r = self.send(label, trader, Ctx.swap_router, SWAP_SINGLE, params)
        paid = self._transfers(r, token_in, trader, pool)
        got = self._transfers(r, token_out, pool, trader)
        assert (paid == amount or (limit and paid < amount)) and got > 0, (paid, amount, got)
        self.move(ledger_in, trader, pool, paid)
        self.move(ledger_out, pool, trader, got)
        return got

    def _trader_push(self, up: bool, size: int) -> None:
        """Buy IO with USDC (the IO price up) or sell IO (down), PUSH_USDC / PUSH_IO[size]; the position is
        sold back by `_trader_unwind` (at once, or before the trader's next push)."""
        self._step()
        C = Ctx.c
        if up:
            got = self._trader_swap("ide_trader_push", C["USDC"], C["IOToken"], PUSH_USDC[size] * USDC)
            self.position = (C["IOToken"], got)
        else:
            got = self._trader_swap("ide_trader_push", C["IOToken"], C["USDC"], PUSH_IO[size] * IO)
            self.position = (C["USDC"], got)

    def _trader_to_limit(self, room: int) -> bool:
        """Buy IO up to a hair short of the FeeVaultDesk's price limit for the engine's next trade, leaving
        about `room` USDC of purchases before it: the desk's next trade fills at most that much (a partial
        fill). The limit is the desk's `price_limit` of the price that trade is bounded by: the next
        epoch's when one is stated and unsettled, else the last settled epoch's (a burn). False (no trade)
        when the pool is already at or beyond it."""
        C, ide = Ctx.c, self.ide
        self._step()
        usdc0 = int(C["USDC"], 16) < int(C["IOToken"], 16)  # buying IO moves the price down when USDC is token0
        pool = C["io_pool"]
        epoch = ide.last_settled + 1 if ide.last_stated > ide.last_settled else ide.last_settled
        price = ide.epoch_price(epoch)
        if price == 0:
            return False
        limit = int(self.rpc.one("eth_call", [{"to": C["FeeVaultDesk"],
                                                "data": calldata("price_limit(uint256)", price)}, "pending"]), 16)
        slot0 = bytes.fromhex(self.rpc.one("eth_call", [{"to": pool, "data": calldata("slot0()")}, "pending"])[2:])
        spot = int.from_bytes(slot0[:32], "big")
        liquidity = int(self.rpc.one("eth_call", [{"to": pool, "data": calldata("liquidity()")}, "pending"]), 16)
        if usdc0:  # room USDC (token0) ~ liquidity * delta * 2**96 / sqrtP**2
            target = limit + max(1, room * limit * limit // (liquidity << 96))
        else:  # room USDC (token1) ~ liquidity * delta / 2**96
            target = limit - max(1, (room << 96) // liquidity)
        if (spot <= target) if usdc0 else (spot >= target):
            return False
        got = self._trader_swap("ide_trader_to_limit", C["USDC"], C["IOToken"], PUSH_USDC[-1] * USDC, target)
        self.position = (C["IOToken"], got)
        return True

    def _trader_unwind(self) -> None:
        if self.position is None:
            return
        token, amount = self.position
        self.position = None
        self._step()
        other = Ctx.c["USDC"] if token == Ctx.c["IOToken"] else Ctx.c["IOToken"]
        self._trader_swap("ide_trader_unwind", token, other, amount)

    @precondition(lambda self: self.ide is not None)
    @rule(up=st.booleans(), size=st.integers(0, len(PUSH_USDC) - 1), hold=st.booleans(),
          then=st.sampled_from(["state", "settle", "day", "burn", "none"]), kind=IDE_STATEMENTS,
          unwind=st.booleans(), x=st.integers(0, 10**6), to_limit=RARELY)  # fmt: skip
    def ide_trader(
        self, up: bool, size: int, hold: bool, then: str, kind: str, unwind: bool, x: int, to_limit: bool
    ) -> None:
        """An outside trader pushes the IO/USDC pool, either way, within and far beyond the desk's 1 %
        bound, maybe holds it for a whole TWAP window (no trade for the window and a bit), then the next
        statement (at the epoch's end: the push held through the close when the close is still ahead),
        settlement, network day or burn comes. The epoch's price moves at most max_price_move_bps whatever
        the push; settle and buyback never revert for it; every fill stays within the TWAP bound; the
        model still matches the chain to the wei. The trader sells back now or before its next push. Now and
        then (`to_limit`) it buys up to just short of the desk's price limit instead, a settlement or burn
        comes next, unheld: the desk fills partly, or nothing."""
        ide = self.ide
        self._trader_unwind()
        if to_limit:
            self._trader_to_limit(USDC * (1 + x % 200))
            hold, then = False, "settle" if ide.last_stated > ide.last_settled else "burn"
        else:
            self._trader_push(up, size)
        if hold:
            self._jump(ide.params.twap_window_seconds + 1 + x % 600)
            self.count("ide_trader_hold: ok")
        if then == "state" or (then == "settle" and ide.last_stated == ide.last_settled):
            self.ide_state_epoch("zero" if kind == "wrong" else kind, x | 1)  # (odd: the clock goes to the epoch's end)
        if then == "settle" and ide.last_stated > ide.last_settled:
            self.ide_settle(x, False)
        elif then == "day":
            self.ide_day(kind, x, True, 0)
        elif then == "burn" and ide.can_burn():
            self.ide_buyback_and_burn(x)
        if unwind:
            self._trader_unwind()

    # The IDE's daily cycle (state, settle, then burn or retire) needs steps in a row: twice the weight.
    @precondition(lambda self: self.ide is not None)
    @rule(kind=IDE_STATEMENTS, x=st.integers(0, 10**6))
    def ide_state_epoch_more(self, kind: str, x: int) -> None:
        self.ide_state_epoch(kind, x)

    @precondition(lambda self: self.ide is not None and self.ide.last_stated > self.ide.last_settled)
    @rule(who=st.integers(0, 20))
    def ide_settle_more(self, who: int) -> None:
        self.ide_settle(who, False)

    @precondition(lambda self: self.ide is not None and self.ide.can_burn() and any(self._ide_burn_amounts()))
    @rule(who=st.integers(0, 20))
    def ide_buyback_and_burn_more(self, who: int) -> None:
        self.ide_buyback_and_burn(who)

    def _ide_burn_amounts(self) -> tuple[int, int]:
        """What a burn would take at the last settlement's TWAP (for a rule's weight only)."""
        return self.ide.burn_amounts(self.ide.settlements[self.ide.last_settled].twap)

    @precondition(lambda self: self.ide is not None and self.ide.retirable() > 0)
    @rule(part=PART)
    def ide_retire(self, part: int) -> None:
        """Governance burns Reward Vault IO above the retirement buffer: a part of `retirable`, or
        nothing or one wei more (refused). Only while something is retirable (else every try would
        be the same refusal)."""
        amount = share(self.ide.retirable(), part)
        self._step()
        sig = "retire(uint256)"
        if self._ide_refused("ide_retire", lambda m, _s: m.retire(Ctx.admin, amount), Ctx.admin, sig, amount):
            return
        self.send("ide_retire", Ctx.admin, Ctx.c["IncentiveEngine"], sig, amount)
        self.ide.retire(Ctx.admin, amount)
        self.io[Ctx.c["IncentiveEngine"]] -= amount
        self.burns["retirement"] = self.burns.get("retirement", 0) + amount

    # ------------------------------------------------------------ invariants
    def _observed_calls(self) -> list[tuple[str, str]]:
        """(to, data) of the eth_calls `observe` makes every step, in the order it reads them (built once:
        the same every step)."""
        C = Ctx.c
        calls: list[tuple[str, str]] = []  # (to, data)
        bal = "0x70a08231"
        for h in Ctx.io_holders:
            calls.append((C["IOToken"], bal + "00" * 12 + h[2:].lower()))
        for h in Ctx.usdc_holders:
            calls.append((C["USDC"], bal + "00" * 12 + h[2:].lower()))
        extra = [
            (C["IOToken"], calldata("totalSupply()")),
            (C["IOToken"], calldata("total_minted()")),
            (C["IOToken"], calldata("total_burned()")),
            (C["USDC"], calldata("totalSupply()")),
            (C["NodeStaking"], calldata("totals()")),
            (C["RewardsDistributor"], calldata("total_paid()")),
            (C["RewardsDistributor"], calldata("total_held()")),
            (C["RewardsDistributor"], calldata("total_forfeited()")),
            (C["RewardsDistributor"], calldata("active()")),
            (C["EmissionSchedule"], calldata("total_emitted()")),
        ]
        for t in (C["USDC"], C["IOToken"]):
            extra += [
                (C["SettlementRouter"], calldata("total_escrow(address)", t)),
                (C["SettlementRouter"], calldata("total_credited(address)", t)),
                (C["SettlementRouter"], calldata("fees(address)", t)),
            ]
        for cat in Ctx.vaults:
            extra.append((Ctx.vaults[cat], calldata("totals()")))
        for view in IDE_VIEWS + IDE_MORE_VIEWS + ["trailing"]:
            extra.append((C["IncentiveEngine"], calldata(f"{view}()")))
        extra += [(C["FeeVaultDesk"], calldata(f"{view}()")) for view in DESK_VIEWS]
        return calls + extra

    def observe(self) -> dict[str, Any]:
        """Everything the invariants compare, in ONE JSON-RPC batch, once per step."""
        if self.read_at == self.steps and self.reading is not None:
            return self.reading
        C = Ctx.c
        if not Ctx.observed:
            Ctx.observed = self._observed_calls()
        last_stated = self.ide.last_stated if self.ide is not None else 0
        calls = [*Ctx.observed, (C["IncentiveEngine"], calldata("epoch_info(uint256)", last_stated))]
        out = self.rpc.batch([("eth_call", [{"to": to, "data": data}, "latest"]) for to, data in calls])
        words = [bytes.fromhex(o[2:]) for o in out]
        n_io, n_usdc = len(Ctx.io_holders), len(Ctx.usdc_holders)
        w = words[n_io + n_usdc :]

        def u(b: bytes, k: int = 0) -> int:
            return int.from_bytes(b[32 * k : 32 * k + 32], "big")

        r = {
            "io": dict(zip(Ctx.io_holders, (u(x) for x in words[:n_io]), strict=True)),
            "usdc": dict(zip(Ctx.usdc_holders, (u(x) for x in words[n_io : n_io + n_usdc]), strict=True)),
            "supply": u(w[0]),
            "minted": u(w[1]),
            "burned": u(w[2]),
            "usdc_supply": u(w[3]),
            "staking": [u(w[4], k) for k in range(7)],
            "paid": u(w[5]),
            "held": u(w[6]),
            "forfeited": u(w[7]),
            "active_total": u(w[8], 1),
            "emitted": u(w[9]),
            "router": {"usdc": [u(x) for x in w[10:13]], "io": [u(x) for x in w[13:16]]},
            "vaults": {cat: [u(w[16 + j], k) for k in range(7)] for j, cat in enumerate(Ctx.vaults)},
        }
        w = w[16 + len(Ctx.vaults) :]
        r["ide"] = {view: u(w[j]) for j, view in enumerate(IDE_VIEWS[:-1])}
        r["ide"].update(zip(TOTALS, (u(w[len(IDE_VIEWS) - 1], k) for k in range(len(TOTALS))), strict=True))
        w = w[len(IDE_VIEWS) :]
        views = {view: u(w[j]) for j, view in enumerate(IDE_MORE_VIEWS)}
        w = w[len(IDE_MORE_VIEWS) :]
        views["trailing"] = tuple(u(w[0], k) for k in range(4))
        views.update({view: u(w[1 + j]) for j, view in enumerate(DESK_VIEWS)})
        views["epoch_info"] = (last_stated, *(u(w[-1], k) for k in range(7)))
        r["ide_views"] = views
        self.reading, self.read_at = r, self.steps
        return r

    @invariant()
    def invariant_io_conservation(self) -> None:
        r = self.observe()
        assert sum(r["io"].values()) == r["supply"], "Σ IO over every holder != totalSupply"
        assert r["minted"] <= CAP
        burned = sum(self.event_burns.values())
        assert r["minted"] - r["supply"] == r["burned"] == burned, (r["minted"] - r["supply"], r["burned"], burned)
        assert self.event_burns == {k: v for k, v in self.burns.items() if v or k in self.event_burns}, (
            self.event_burns,
            self.burns,
        )
        assert self.event_mints == r["minted"]
        assert r["emitted"] == self.emitted
        assert sum(self.io.values()) == r["supply"], "the model's IO does not add up to the supply"

    @invariant()
    def invariant_usdc_conservation(self) -> None:
        r = self.observe()
        assert sum(r["usdc"].values()) == r["usdc_supply"], "Σ USDC over every holder != totalSupply"

    @invariant()
    def invariant_contracts_hold_what_they_owe(self) -> None:
        r, C = self.observe(), Ctx.c
        for cat, (granted, claimed, revoked, outstanding, unallocated, balance, _n) in r["vaults"].items():
            v = self.vaults[cat]
            assert r["io"][Ctx.vaults[cat]] == balance == unallocated + outstanding, cat
            assert outstanding == granted - claimed - revoked == v.outstanding, cat
            assert (granted, claimed, revoked) == (v.total_granted, v.total_claimed, v.total_revoked), cat
            assert balance >= outstanding
        active, co, escrowed, refunds, balance, _s, _d = r["staking"]
        t = self.st.totals()
        assert r["io"][C["NodeStaking"]] == balance == active + t.owner_cooldown + co + escrowed + refunds
        assert (active, co, escrowed, refunds) == (t.owner_active, t.co_staked, t.escrowed, t.refunds_owed)
        for name, token, ledger in (("usdc", C["USDC"], r["usdc"]), ("io", C["IOToken"], r["io"])):
            escrow, credited, fees = r["router"][name]
            assert ledger[C["SettlementRouter"]] == escrow + credited + fees, name
            m = self.router
            assert (escrow, credited, fees) == (m.escrow[token], m.credited[token], m.fees[token]), name
        dist = r["io"][C["RewardsDistributor"]]
        assert dist + r["paid"] + r["forfeited"] >= r["active_total"] == self.active_total
        assert dist >= r["held"]
        if self.pending is not None:  # a pending root is funded too
            assert dist + r["paid"] + r["forfeited"] >= self.pending[1]
        assert (r["paid"], r["held"], r["forfeited"]) == (
            self.dist.total_paid,
            self.dist.total_held,
            self.dist.total_forfeited,
        )
        assert r["io"][C["EmissionSchedule"]] == 0
        engine, desk, ide = C["IncentiveEngine"], C["FeeVaultDesk"], self.ide
        assert r["usdc"][engine] == 0  # the engine never holds USDC: the FeeVaultDesk holds the Fee Vault's
        if ide is None:  # inactive: it holds nothing and has recorded nothing
            assert r["io"][engine] == r["usdc"][desk] == 0
            assert not any(v for k, v in r["ide"].items() if k != "burned_elsewhere"), r["ide"]
            return
        # the engine holds its two vaults' IO exactly, and the emission minted to it but not yet synced; the
        # desk holds the Fee Vault's USDC exactly (fee_vault_custody)
        assert r["io"][engine] == ide.reward_vault + ide.fee_io + self.emitted - self.ide_seen
        assert r["usdc"][desk] == ide.fee_usdc
        assert r["io"][desk] == 0
        chain_ide = {k: v for k, v in r["ide"].items() if k != "burned_elsewhere"}
        model_ide = {k: getattr(ide, k) for k in chain_ide}
        # every other view: the trailing figures, the bounds (the desk's slippage among them), the last
        # stated epoch's record (epoch 0: the activation's reference price)
        chain_ide.update(r["ide_views"])
        p, e = ide.params, r["ide_views"]["epoch_info"][0]
        price, flag = ide.prices[e]
        owed = ide.usd_owed.get(e, 0)
        fee_usd = ide.settlements[e].fee_usd if 0 < e <= ide.last_settled else \
            ide.pending_fee_usd if e == ide.last_settled + 1 else 0  # fmt: skip
        model_ide.update(
            pending_fee_usd=ide.pending_fee_usd, sustainability_ratio_bps=ide.sustainability_ratio_bps(),
            reserve_target_usd=ide.reserve_target_usd(), retire_buffer_io=ide.retire_buffer_io(),
            retirable=ide.retirable(), max_usd_per_epoch=p.max_usd_per_epoch, max_swap_usdc=p.max_swap_usdc,
            burn_share_bps=p.burn_share_bps, reserve_epochs=p.reserve_epochs,
            retire_buffer_epochs=p.retire_buffer_epochs, twap_window=p.twap_window_seconds,
            max_price_move_bps=p.max_price_move_bps, max_slippage_bps=p.max_slippage_bps,
            slippage_ticks=ide.slippage_ticks,
            trailing=(ide.trailing_count, ide.trailing_usd_owed, ide.trailing_fee_usd, ide.trailing_io_needed),
            epoch_info=(e, owed, price, flag, owed * IO // price if e else 0, fee_usd, int(e > 0),
                        int(0 < e <= ide.last_settled)),
        )  # fmt: skip
        differ = {k: (chain_ide[k], model_ide[k]) for k in chain_ide if chain_ide[k] != model_ide[k]}
        assert not differ, f"engine (chain, model): {differ}"
        # burns_accounted: the engine's own burns are the buyback and retirement burns rebuilt from events
        assert r["ide"]["burned"] == self.event_burns.get("buyback", 0) + self.event_burns.get("retirement", 0)
        ide.check_invariants()

    @invariant()
    def invariant_every_balance_equals_the_model(self) -> None:
        r = self.observe()
        for h in Ctx.io_holders:
            assert r["io"][h] == self.io.get(self.ledger_key(h), 0), f"IO of {h}: chain {r['io'][h]}"
        for h in Ctx.usdc_holders:
            assert r["usdc"][h] == self.usdc.get(h, 0), f"USDC of {h}: chain {r['usdc'][h]}"
        assert set(self.io) <= {self.ledger_key(h) for h in Ctx.io_holders}, "the model pays someone unfollowed"
        assert set(self.usdc) <= set(Ctx.usdc_holders)


# ---------------------------------------------------------------------------------------------- setup
def _holders_from_logs(rpc: Rpc, token: str) -> tuple[set[str], dict[str, int], int]:
    """Every address that ever received `token`, burns by sender, and minted, from genesis."""
    logs = rpc.one(
        "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest", "address": token, "topics": ["0x" + TRANSFER.hex()]}]
    )
    seen: set[str] = set()
    burns: dict[str, int] = {}
    minted = 0
    for log in logs:
        frm = to_checksum_address("0x" + log["topics"][1][-40:])
        to = to_checksum_address("0x" + log["topics"][2][-40:])
        v = int(log["data"], 16)
        if int(to, 16) == 0:
            burns[frm] = burns.get(frm, 0) + v
        else:
            seen.add(to)
        if int(frm, 16) == 0:
            minted += v
    return seen, burns, minted


def _setup(suite, fund) -> None:  # noqa: ANN001
    from ionet.chain.deploy_vesting import vaults as deployed_vaults

    A = accounts.test_accounts
    C = {k: v.address for k, v in suite.contracts.items() if hasattr(v, "address")}
    C["USDC"] = suite.USDC.address
    C["WETH"] = suite.uniswap.weth.address
    C["io_pool"] = suite.market_pools[0].address
    Ctx.c = C
    Ctx.observed = []
    Ctx.rpc = Rpc(chain.provider.web3.provider.endpoint_uri)
    Ctx.admin, Ctx.operator, Ctx.treasury = A[0].address, A[1].address, A[2].address
    Ctx.providers = [A[3].address, A[4].address, A[5].address]
    Ctx.co_stakers = [A[6].address, A[7].address]
    Ctx.renters = [A[8].address, A[14].address]
    Ctx.keys = {A[i].address: A[i].private_key for i in (8, 14)}
    Ctx.chain_id = chain.chain_id
    Ctx.beneficiaries = [A[2].address, A[9].address, A[10].address, A[11].address, A[12].address]
    router = suite.SettlementRouter
    pool = suite.MarketDesk.asset_pools(C["WETH"])
    Ctx.weth_pool = pool if int(pool, 16) else ""
    staking, token, usdc = suite.NodeStaking, suite.IOToken, suite.USDC
    owner = suite.deployer
    # devices, and a start: some IO and USDC for everybody, a few stakes (from the Community vault)
    for name, p, cls, procs in DEVICES:
        staking.register_device(device_id(name), device_class(cls), procs, Ctx.providers[p], sender=A[3 + p])
    people = Ctx.providers + Ctx.co_stakers + Ctx.renters
    for who in people:
        fund(who, 60_000 * IO)
        usdc.mint(who, 20_000 * USDC, sender=owner)
        for spender in (staking, router):
            token.approve(spender, MAX, sender=_acct(who))
            usdc.approve(spender, MAX, sender=_acct(who))
    # the outside trader on the IO/USDC pool (its pushes reach 900k USDC or 2.08M IO; it sells back)
    Ctx.trader, Ctx.swap_router = A[15].address, suite.uniswap.swap_router.address
    Ctx.pool_fee = int(suite.market_pools[0].fee())
    fund(Ctx.trader, 10_000_000 * IO)
    usdc.mint(Ctx.trader, 10_000_000 * USDC, sender=owner)
    for t in (token, usdc):
        t.approve(suite.uniswap.swap_router, MAX, sender=_acct(Ctx.trader))
    for r in Ctx.renters:
        suite.uniswap.weth.deposit(value=100 * 10**18, sender=_acct(r))
        suite.uniswap.weth.approve(suite.MarketDesk, MAX, sender=_acct(r))
    initial = {}
    for name, p, _cls, _procs in DEVICES[::2]:
        d = device_id(name)
        initial[d] = staking.min_stake(d) + 100 * IO
        staking.stake(d, initial[d], sender=_acct(Ctx.providers[p]))
    chain.pending_timestamp = chain.blocks.head.timestamp + 1_801  # the pools' TWAP window is covered
    chain.mine()
    # the model's starting point, read once
    multipliers = {device_class(n): int(m) for n, m in suite.config["staking"]["class_multipliers"].items()}
    m = StakingModel(
        multipliers=multipliers,
        max_slash_bps=staking.max_slash_bps(),
        min_slash_interval=staking.MIN_SLASH_INTERVAL_SECONDS(),
    )
    for name, p, cls, procs in DEVICES:
        d = device_id(name)
        m.register_device(Ctx.providers[p], d, device_class(cls), procs, Ctx.providers[p])
        m.devices[d].active = initial.get(d, 0)
        assert staking.owner_stake(d)[0] == m.devices[d].active
    Ctx.staking_base = m
    vaults = deployed_vaults(suite)
    Ctx.vaults = {cat: v.address for cat, v in vaults.items()}
    Ctx.vault_base = {}
    known = [A[i].address for i in range(19)]
    for cat, v in vaults.items():
        vm_ = vm.VaultModel(vm.category_schedule(cat, v.START_TIME(), v.PERIOD_SECONDS()), balance=token.balanceOf(v))
        for serial in range(1, v.grant_count() + 1):
            for who in known:
                s = v.grant_state(v.grant_id_of(serial, who))
                if s.amount:
                    vm_.grants[serial] = vm.GrantModel(serial, s.beneficiary.lower(), s.amount, claimed=s.claimed)
                    vm_.total_granted += s.amount
                    vm_.total_claimed += s.claimed
                    break
            assert serial in vm_.grants, f"grant {serial} of {cat}: unknown beneficiary"
        Ctx.vault_base[cat] = vm_
    seen, burns, minted = _holders_from_logs(Ctx.rpc, C["IOToken"])
    useen, _ub, _um = _holders_from_logs(Ctx.rpc, C["USDC"])
    contracts = [
        C["NodeStaking"],
        C["RewardsDistributor"],
        C["SettlementRouter"],
        C["MarketDesk"],
        C["EmissionSchedule"],
        C["IncentiveEngine"],
        C["FeeVaultDesk"],
        C["io_pool"],
        *Ctx.vaults.values(),
    ]
    actors = [Ctx.admin, Ctx.operator, Ctx.treasury, Ctx.trader, *people, *Ctx.beneficiaries]
    Ctx.io_holders = sorted(set(seen) | set(contracts) | set(actors))
    Ctx.usdc_holders = sorted(
        set(useen)
        | {C["SettlementRouter"], C["MarketDesk"], C["io_pool"], C["IncentiveEngine"], C["FeeVaultDesk"]}
        | set(actors)
        | ({Ctx.weth_pool} if Ctx.weth_pool else set())
    )
    Ctx.io_base = {h: token.balanceOf(h) for h in Ctx.io_holders}
    Ctx.usdc_base = {h: usdc.balanceOf(h) for h in Ctx.usdc_holders}
    Ctx.burns_base = {
        "slashing": burns.get(C["NodeStaking"], 0),
        "holders": sum(v for k, v in burns.items() if k != C["NodeStaking"]),
    }
    Ctx.minted_base = minted
    Ctx.emission_start = suite.EmissionSchedule.START_TIME()
    Ctx.emitted_base = suite.EmissionSchedule.total_emitted()
    Ctx.delay = suite.RewardsDistributor.ACTIVATION_DELAY_SECONDS()
    Ctx.next_booking_id = router.next_booking_id()


def _acct(address: str):  # noqa: ANN202
    return next(a for a in accounts.test_accounts if a.address == address)


RULES = [
    "advance_small",
    "advance_medium",
    "advance_large",
    "advance_huge",
    "mint_due",
    "vesting_claim",
    "vesting_release",
    "vesting_paid",
    "vesting_grant",
    "vesting_revoke",
    "vesting_propose_beneficiary",
    "vesting_accept_beneficiary",
    "transfer_io",
    "transfer_usdc",
    "burn",
    "mint_usdc",
    "stake",
    "withdraw_overflow",
    "unstake",
    "withdraw_stake",
    "co_offer",
    "co_accept",
    "co_decline",
    "co_cancel",
    "co_exit",
    "co_withdraw",
    "claim_refund",
    "slash",
    "overturn_slash",
    "finalize_slash",
    "unjail",
    "book_usdc",
    "book_io",
    "book_with_asset",
    "book_usdc_permit",
    "book_io_permit",
    "book_usdc_auth",
    "record_work",
    "record_work_batch",
    "end_booking",
    "operator_end_booking",
    "settle_expired",
    "withdraw_income",
    "withdraw_as_io",
    "withdraw_refund",
    "withdraw_fees",
    "publish_root",
    "cancel_root",
    "activate_root",
    "claim_rewards",
    "settle_rewards",
    "settle_rewards_held",
    "settle_rewards_released",
    "settle_rewards_forfeited",
    "settle_rewards_out_of_order",
    "ide_activate",
    "ide_sync_emission",
    "ide_fees_collected",
    "ide_state_epoch",
    "ide_settle",
    "ide_settle_exact_output",
    "ide_shortfall",
    "ide_buyback",
    "ide_buyback_and_burn",
    "ide_retire",
    "ide_set_param",
    "ide_set_market_bounds",
    "ide_price_at_twap",
    "ide_price_clamped",
    "ide_trader_push",
    "ide_trader_hold",
    "ide_trader_unwind",
    "ide_trader_to_limit",
    "ide_partial_fill",
]


def test_economy_state_machine__every_step__conservation_and_every_balance_equal_the_model(suite, fund):
    """The whole economy under random sequences of every operation (see the module docstring):
    after every step Σ IO == supply and the burns by source rebuilt from events, Σ USDC == supply,
    every contract holds what it owes, and every balance equals the model to the base unit. In
    `make test`: >= 3,000 steps, derandomized; every rule succeeds at least once."""
    _setup(suite, fund)
    OUTCOMES.clear()
    RUN.update(steps=0, examples=0, start=time.time())
    soak = SOAK_STEPS > 0
    target = SOAK_STEPS if soak else MIN_STEPS
    round_ = 0

    def missing() -> list[str]:
        return [r for r in RULES if OUTCOMES[f"{r}: ok"] == 0 and (r != "book_with_asset" or Ctx.weth_pool)]

    while True:
        # In-suite: one derandomized run (no database: the same sequences on every machine while the
        # chain answers the same), then seeded runs of half as many examples only while a rule never
        # succeeded (CI's chain once steered the derandomized run past a rare rule; tests/machines.py).
        # Soak: seeded runs of 1,000-step examples until the steps are done (an example may end early).
        left = SOAK_STEPS - RUN["steps"]
        if soak:
            machine = seed(SOAK_SEED + round_)(EconomyMachine)
        else:
            machine = seed(round_)(EconomyMachine) if round_ else EconomyMachine
        run_state_machine_as_test(
            machine,
            settings=settings(
                deadline=None,
                max_examples=max(1, math.ceil(left / 600)) if soak else (EXAMPLES if not round_ else EXAMPLES // 2),
                stateful_step_count=1_000 if soak else STEPS,
                derandomize=not soak and not round_,
                database=None,
                print_blob=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
        round_ += 1
        if soak and RUN["steps"] >= SOAK_STEPS:
            break
        if not soak and (SHORT or not missing() or round_ > 2):
            break
    elapsed = time.time() - RUN["start"]
    print(
        f"\neconomy state machine: {RUN['steps']:,} steps in {RUN['examples']} examples, {elapsed:.0f} s "
        f"({RUN['steps'] / max(elapsed, 1e-9):.1f} steps/s)",
        file=sys.stderr,
    )
    print("outcomes:", dict(sorted(OUTCOMES.items())), file=sys.stderr)
    print("refusals:", dict(sorted(REASONS.items())), file=sys.stderr)
    assert RUN["steps"] >= target, RUN["steps"]
    if (soak and SOAK_STEPS < 20_000) or (not soak and SHORT):
        return  # a short soak or run need not reach every rule
    assert not missing(), f"rules that never succeeded: {missing()} (after {round_} runs)"

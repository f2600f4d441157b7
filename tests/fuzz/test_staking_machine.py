"""Hypothesis state machine: NodeStaking against the Python model ionet.models.staking.StakingModel.

Many devices (6, of 3 owners and 4 classes), 3 co-stakers, and every operation: stakes, overflow
withdrawals, unstakes, withdrawals (by the staker and by others), offers (to any co-staker, pending
offers never blocking one), cancellations, declines (by the right and the wrong co-staker),
owners who cancel and offer other terms between an offer and its acceptance, acceptances naming
the terms the co-staker saw (stale ones revert, invariant terms_named) or the terms in force (at
most 2 held), exits, co-stake withdrawals, time jumps, slashes (with and without jail, above the
maximum, too soon after the device's last one, exactly one interval after it: invariant
slash_interval), appeals (overturns), finalizations, unjails, refunds, pauses, class
multipliers (up to and above the 100x bound). Every call is made on both; when the model refuses,
the contract must revert with the same reason. After every step every followed wallet's IO
balance, the contract's IO, the total supply, `totals()` (each aggregate), every device's stake,
co-stake (state and phase), eligibility and overflow, and the touched slash's record and outcome
are compared; invariant io_held (token balance == Σ owner active + Σ owner cooldown + Σ deposited
co-stake + escrow + refunds owed == totals() + every device's cooldown) and co_cap (a counting co-stake never above
the owner's active stake) are checked on both sides.
"""

from __future__ import annotations

import collections
import time

from ape import chain, networks
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import collapse_if_tuple, function_abi_to_4byte_selector, to_checksum_address
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from web3.exceptions import ContractLogicError

from ionet import IO
from ionet.models.staking import (
    CLASS_MULTIPLIERS,
    SLASH_OUTCOME_NAMES,
    StakingError,
    StakingModel,
    device_class,
    device_id,
)

DAY = 86_400
STATS: collections.Counter = collections.Counter()  # calls made / refused, printed with -s
from ionet import ZERO_ADDRESS as ZERO  # noqa: E402
from tests.machines import SCALE  # noqa: E402

FUND = 100_000 * IO
DEVICES = [  # (name, owner index into OWNERS, class, processors)
    ("m-0", 0, "RTX 4090", 1), ("m-1", 0, "H100", 1), ("m-2", 1, "A100-80GB", 2),
    ("m-3", 1, "RTX 4090", 2), ("m-4", 2, "RTX 6000 Ada", 1), ("m-5", 2, "H100", 1),
]
# What each device starts with: the minimum, above it, below it.
INITIAL_STAKES = [250 * IO, 3_000 * IO, 2_000 * IO, 500 * IO - 1, 900 * IO, 0]
# (device, co-staker, amount, share bps, accepted?)
INITIAL_CO_STAKES = [(1, 0, 1_000 * IO, 2_000, True), (2, 1, 1_000 * IO, 1_000, False),
                     (4, 2, 450 * IO, 5_000, True)]
AMOUNTS = st.sampled_from([1, 50 * IO, 250 * IO, 1_000 * IO + 7, 2_000 * IO, 2_500 * IO - 3, 5_000 * IO])


class Ctx:
    staking = token = gov = slasher = w3s = w3t = None
    device_count = 0
    addrs: list = []
    owners: list = []
    co_stakers: list = []


class StakingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.snap = chain.snapshot()
        self.c = Ctx
        self.ids = [device_id(n) for n, *_ in DEVICES]
        self.now = chain.blocks.head.timestamp
        self.supply = Ctx.token.totalSupply()
        m = StakingModel(multipliers={device_class(k): v for k, v in CLASS_MULTIPLIERS.items()},
                         max_slash_bps=Ctx.staking.max_slash_bps(),
                         min_slash_interval=Ctx.staking.MIN_SLASH_INTERVAL_SECONDS())
        for (_n, oi, cls, procs), d in zip(DEVICES, self.ids, strict=True):
            o = Ctx.owners[oi].address
            m.register_device(o, d, device_class(cls), procs, o)
        for d, amount in zip(self.ids, INITIAL_STAKES, strict=True):
            m.devices[d].active += amount
        for i, k, amount, share, accept in INITIAL_CO_STAKES:
            o, co = Ctx.owners[DEVICES[i][1]].address, Ctx.co_stakers[k].address
            m.offer_co_stake(o, self.ids[i], co, amount, share)
            if accept:
                m.balances[co] = amount  # the deposit below moves it into the contract
                m.accept_co_stake(co, self.ids[i], amount, share)
        for a in Ctx.owners + Ctx.co_stakers:
            m.balances[a.address] = Ctx.token.balanceOf(a)
        m.balances["staking"] = Ctx.token.balanceOf(Ctx.staking)
        self.m = m
        self.touched_slash: int | None = None
        self.touched: list[bytes] = []  # devices whose state the last step may have changed
        # the terms each offered co-staker saw when the offer was made (an owner may re-offer since)
        self.seen: dict[bytes, tuple[int, int]] = {
            self.ids[i]: (amount, share) for i, _k, amount, share, accept in INITIAL_CO_STAKES if not accept}

    def teardown(self) -> None:
        chain.restore(self.snap)

    # ---------------------------------------------------------------- plumbing
    def tick(self, seconds: int = 1) -> None:
        self.now += seconds
        chain.pending_timestamp = self.now

    def both(self, model_call, name: str, args: tuple, sender):
        """Run on the model; then on chain. When the model refuses, the same call made as an
        eth_call on the pending block (which carries the next timestamp) must revert with the
        model's reason; when it accepts, the real transaction is sent."""
        self.tick()
        self.touched = [args[0]] if args and isinstance(args[0], bytes) and args[0] in self.ids else []
        try:
            result = model_call()
        except StakingError as e:
            STATS["revert " + name + ": " + str(e)] += 1
            try:
                to, data, _ = getattr(Ctx.w3s, name)(*[getattr(a, "address", a) for a in args])
                networks.provider.web3.eth.call({"from": sender.address, "to": to, "data": data}, "pending")
            except ContractLogicError as err:
                assert str(e) in str(err), (str(e), str(err))
            else:
                raise AssertionError(f"chain accepted what the model refused: {e}")
            return None
        t = time.time()
        receipt = getattr(Ctx.staking, name)(*args, sender=sender)
        STATS["tx_time"] += time.time() - t
        STATS["ok " + name] += 1
        assert receipt.timestamp == self.now
        return result

    def pick(self, i: int, pred) -> int:
        """A device index: usually (5 in 6) one where `pred(device)` holds, if any, else `i`."""
        cands = [j for j, d in enumerate(self.ids) if pred(self.m.devices[d])]
        return cands[i % len(cands)] if cands and i != 5 else i

    def co_account(self, i: int, k: int):
        """The device's own co-staker for k < 2, else co-staker k (possibly the wrong one)."""
        dev = self.m.devices[self.ids[i]]
        own = next((a for a in Ctx.co_stakers if a.address == dev.co_staker), None)
        return own if own is not None and k < 2 else Ctx.co_stakers[k % 3]

    def owner_of(self, i: int):
        return Ctx.owners[DEVICES[i][1]]

    # ---------------------------------------------------------------- rules
    @rule(i=st.integers(0, 5), amount=AMOUNTS)
    def stake(self, i, amount):
        d, o = self.ids[i], self.owner_of(i)
        self.both(lambda: self.m.stake(o.address, d, amount), "stake", (d, amount), o)

    @rule(i=st.integers(0, 5), frac=st.sampled_from([1, 2, 3, 0]))
    def withdraw_overflow(self, i, frac):
        d, o = self.ids[i], self.owner_of(i)
        ov = self.m.overflow(d, self.now + 1)
        amount = ov // frac if frac else ov + 1
        self.both(lambda: self.m.withdraw_overflow(o.address, d, amount, self.now),
                  "withdraw_overflow", (d, amount), o)

    @rule(i=st.integers(0, 5))
    def unstake(self, i):
        i = self.pick(i, lambda dev: dev.active)
        d, o = self.ids[i], self.owner_of(i)
        self.both(lambda: self.m.unstake(o.address, d, self.now), "unstake", (d,), o)

    @rule(i=st.integers(0, 5), other=st.integers(0, 3))
    def withdraw(self, i, other):
        i = self.pick(i, lambda dev: dev.cooldown)
        d = self.ids[i]
        who = Ctx.co_stakers[0] if other == 0 else self.owner_of(i)
        self.both(lambda: self.m.withdraw(who.address, d, self.now),
                  "withdraw", (d,), who)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2), frac=st.sampled_from([4, 2, 1, 0]),
          share=st.sampled_from([1, 2_000, 2_000, 10_000, 10_001]))
    def offer(self, i, k, frac, share):
        i = self.pick(i, lambda dev: dev.co_state == 0 and dev.active)  # mostly a device that can take one
        d, o, co = self.ids[i], self.owner_of(i), Ctx.co_stakers[k]
        active = self.m.devices[d].active
        amount = (active // frac if frac else active + 1) or 1
        self.both(lambda: self.m.offer_co_stake(o.address, d, co.address, amount, share),
                  "offer_co_stake", (d, co, amount, share), o)
        dev = self.m.devices[d]
        if dev.co_state == 1 and dev.co_staker == co.address and (dev.co_amount, dev.co_share_bps) == (amount, share):
            self.seen[d] = (amount, share)  # what the co-staker saw

    @rule(i=st.integers(0, 5), how=st.sampled_from(["more", "less", "same"]),
          share=st.sampled_from([1, 2_000, 9_999]))
    def reoffer(self, i, how, share):
        """The owner front-runs an acceptance: it cancels the pending offer and offers the same
        co-staker other terms (its whole active stake, or half the amount, at `share`) or the
        same terms again, then the co-staker's acceptance of the terms it saw executes: it
        reverts "offer terms changed" unless they are the terms in force, and the model says
        which. The co-staker keeps the old terms in `seen` (the accept rule may name them later)."""
        i = self.pick(i, lambda dev: dev.co_state == 1)
        d, o = self.ids[i], self.owner_of(i)
        dev = self.m.devices[d]
        co, old_amount, old_share = dev.co_staker, dev.co_amount, dev.co_share_bps
        self.both(lambda: self.m.cancel_co_stake_offer(o.address, d), "cancel_co_stake_offer", (d,), o)
        if not co:
            return
        amount = {"more": dev.active, "less": max(old_amount // 2, 1), "same": old_amount}[how]
        share = old_share if how == "same" else share
        self.both(lambda: self.m.offer_co_stake(o.address, d, co, amount, share),
                  "offer_co_stake", (d, co, amount, share), o)
        who = next(a for a in Ctx.co_stakers if a.address == co)
        named = self.seen.get(d, (old_amount, 0))
        self.both(lambda: self.m.accept_co_stake(co, d, *named), "accept_co_stake", (d, *named), who)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2))
    def decline(self, i, k):
        """The offered co-staker (k < 2) or another one turns the offer down."""
        i = self.pick(i, lambda dev: dev.co_state == 1)
        d, co = self.ids[i], self.co_account(i, k)
        self.both(lambda: self.m.decline_co_stake(co.address, d),
                  "decline_co_stake", (d,), co)

    @rule(cls=st.sampled_from(sorted({c for _n, _o, c, _p in DEVICES})),
          mult=st.sampled_from([0, 12_500, 100_000, 1_000_000, 1_000_001]))
    def set_multiplier(self, cls, mult):
        """Governance sets a class multiplier (0 = unsupported; above 100x refused)."""
        c = device_class(cls)
        self.both(lambda: self.m.set_class_multiplier(c, mult), "set_class_multiplier", (c, mult), Ctx.gov)
        self.touched = list(self.ids)  # eligibility of every device of the class may change

    @rule(i=st.integers(0, 5))
    def cancel_offer(self, i):
        i = self.pick(i, lambda dev: dev.co_state == 1)
        d, o = self.ids[i], self.owner_of(i)
        self.both(lambda: self.m.cancel_co_stake_offer(o.address, d),
                  "cancel_co_stake_offer", (d,), o)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2), stale=st.booleans())
    def accept(self, i, k, stale):
        """The co-staker accepts naming the terms it saw (`stale`: possibly re-offered since) or the
        terms in force now; other terms revert "offer terms changed" and nothing moves."""
        i = self.pick(i, lambda dev: dev.co_state == 1)
        d, co = self.ids[i], self.co_account(i, k)
        dev = self.m.devices[d]
        amount, share = self.seen.get(d, (dev.co_amount, dev.co_share_bps)) if stale else (
            dev.co_amount, dev.co_share_bps)
        self.both(lambda: self.m.accept_co_stake(co.address, d, amount, share),
                  "accept_co_stake", (d, amount, share), co)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2))
    def exit_co(self, i, k):
        i = self.pick(i, lambda dev: dev.co_state == 2)
        d, co = self.ids[i], self.co_account(i, k)
        self.both(lambda: self.m.exit_co_stake(co.address, d, self.now),
                  "exit_co_stake", (d,), co)

    @rule(i=st.integers(0, 5), k=st.integers(0, 3))
    def withdraw_co(self, i, k):
        i = self.pick(i, lambda dev: dev.co_state == 3)
        d, dev = self.ids[i], self.m.devices[self.ids[i]]
        # mostly the co-staker itself, sometimes the owner, sometimes a stranger
        who = {2: self.owner_of(i), 3: Ctx.co_stakers[i % 3]}.get(k) or next(
            (a for a in Ctx.co_stakers if a.address == dev.co_staker), Ctx.co_stakers[0])
        self.both(lambda: self.m.withdraw_co_stake(who.address, d, self.now),
                  "withdraw_co_stake", (d,), who)

    @rule(k=st.integers(0, 2))
    def claim_refund(self, k):
        co = Ctx.co_stakers[k]
        self.both(lambda: self.m.claim_refund(co.address), "claim_refund", (), co)

    @rule(i=st.integers(0, 5), bps=st.sampled_from([1, 1_000, 3_333, 5_000, 5_001]), extra=st.integers(0, 3),
          jail=st.booleans())
    def slash(self, i, bps, extra, jail):
        d = self.ids[i]
        dev = self.m.devices[d]
        amount = (dev.active + dev.cooldown + self.m.deposited_co(dev)) * bps // 10_000 + extra
        self.both(lambda: self.m.slash(d, amount, jail, self.now),
                  "slash", (d, amount, b"\x11" * 32, jail), Ctx.slasher)
        self.touched_slash = self.m.slash_count

    @rule(i=st.integers(0, 5), early=st.booleans(), jail=st.booleans())
    def slash_at_interval(self, i, early, jail):
        """Invariant slash_interval at its boundary: the clock moves to one second before the
        device's next allowed slash (it reverts "slashed too recently") or exactly onto it (it
        passes). A never-slashed device may be slashed at any time."""
        i = self.pick(i, lambda dev: dev.last_slash_id)
        d = self.ids[i]
        at = self.m.next_slash_at(d) - (1 if early else 0)
        if at - 1 > self.now:
            self.tick(at - 1 - self.now)  # `both` adds the last second
            self.touched = list(self.ids)
        dev = self.m.devices[d]
        amount = max((dev.active + dev.cooldown + self.m.deposited_co(dev)) // 100, 1)
        self.both(lambda: self.m.slash(d, amount, jail, self.now),
                  "slash", (d, amount, b"\x12" * 32, jail), Ctx.slasher)
        self.touched = list(self.ids)
        self.touched_slash = self.m.slash_count

    def _slash_id(self, pick: int) -> int:
        """Mostly a pending slash; sometimes a settled or unknown id."""
        pending = sorted(k for k, s in self.m.slashes.items() if s.outcome == 1)
        if pending and pick % 4:
            return pending[pick % len(pending)]
        return pick % (self.m.slash_count + 2) + 1

    @rule(pick=st.integers(0, 50))
    def overturn(self, pick):
        sid = self._slash_id(pick)
        self.touched_slash = sid
        self.both(lambda: self.m.overturn_slash(sid, self.now),
                  "overturn_slash", (sid,), Ctx.gov)
        s = self.m.slashes.get(sid)
        self.touched = [s.device] if s else []

    @rule(pick=st.integers(0, 50))
    def finalize(self, pick):
        sid = self._slash_id(pick)
        self.touched_slash = sid
        burned = self.both(lambda: self.m.finalize_slash(sid, self.now),
                           "finalize_slash", (sid,), Ctx.co_stakers[0])
        if burned:
            self.supply -= burned

    @rule(i=st.integers(0, 5))
    def unjail(self, i):
        i = self.pick(i, lambda dev: dev.jailed)
        d = self.ids[i]
        self.both(lambda: self.m.unjail(d), "unjail", (d,), Ctx.gov)

    @rule(roll=st.integers(0, 3))
    def pause(self, roll):
        on = roll == 0  # pause rarely, unpause often
        if on == self.m.paused:
            return
        self.tick()
        self.touched = []
        (Ctx.staking.pause if on else Ctx.staking.unpause)(sender=Ctx.gov)
        self.m.paused = on

    @rule(seconds=st.sampled_from([DAY, 7 * DAY - 1, 7 * DAY, 14 * DAY, 14 * DAY + 1, 30 * DAY]))
    def time_jump(self, seconds):
        self.tick(seconds)
        self.touched = list(self.ids)  # waits and cooldowns end with time alone: every device

    @rule(seconds=st.sampled_from([15 * DAY, 22 * DAY, 31 * DAY]))
    def long_wait(self, seconds):
        """A second time rule, so that cooldowns and appeal windows end often enough."""
        self.time_jump(seconds)

    # ---------------------------------------------------------------- checks after every step
    @invariant()
    def io_held__balances__match_model(self):
        t0 = time.time()
        self._io_held()
        STATS["inv_time"] += time.time() - t0

    def _io_held(self):
        m, t, w = self.m, Ctx.w3t, Ctx.w3s
        calls = [t.balanceOf(Ctx.staking.address), t.totalSupply(), w.totals()]
        calls += [t.balanceOf(a) for a in Ctx.addrs]
        calls += [f(a) for a in Ctx.addrs[3:] for f in (w.refunds, w.offers_held)]  # the co-stakers
        got = batch(calls, "latest")  # none of these depends on the clock
        tot = m.totals()
        want = [m.balances["staking"], self.supply,
                (tot.owner_active, tot.co_staked, tot.escrowed, tot.refunds_owed,
                 m.balances["staking"], tot.slash_count, Ctx.device_count)]
        want += [m.balances[a] for a in Ctx.addrs]
        want += [v for a in Ctx.addrs[3:] for v in (m.refunds.get(a, 0), m.offers_held.get(a, 0))]
        got[2] = tuple(got[2])
        assert got == want
        # invariant io_held: the contract's IO == its running totals + every device's cooldown (on
        # chain: owner_stake of each device, the model's per-device cooldown checked by the device
        # invariant), and the model's balance == its books
        assert got[0] == sum(got[2][:4]) + tot.owner_cooldown and m.balances["staking"] == m.held()

    @invariant()
    def devices__state__match_model_and_co_cap(self):
        """The devices the step may have changed (after a time jump or a multiplier change, all):
        stake, co-stake (state and phase), eligibility, overflow, jail, last slash, reward split,
        counting stake. co_cap on the model for every device, every step (the model equals the
        chain on every compared device)."""
        for d in self.ids:
            dev = self.m.devices[d]
            # co_cap: a counting co-stake is never above the owner's active stake
            assert not self.m.co_counts(dev, self.now) or dev.co_amount <= dev.active, (d, dev)
        w, calls, want = Ctx.w3s, [], []
        for d in self.touched:
            dev = self.m.devices[d]
            wallet, co_staker, share = self.m.reward_split(d)
            v = self.m.co_stake(d, self.now)
            # views run on the pending block, whose timestamp is the model's clock
            calls += [w.owner_stake(d), w.co_stake(d), w.is_eligible(d), w.overflow(d), w.is_jailed(d),
                      w.last_slashed_at(d), w.reward_split(d), w.counting_stake(d)]
            want += [[dev.active, dev.cooldown, dev.release_at],
                     [v.co_staker or ZERO, v.state, v.state_name, v.amount, v.reward_share_bps, v.counts_until,
                      v.withdrawable_at],
                     self.m.is_eligible(d, self.now), self.m.overflow(d, self.now), dev.jailed,
                     dev.last_slashed_at, [wallet, co_staker or ZERO, share], self.m.counting(d, self.now)]
        if not calls:
            return
        got = batch(calls)
        assert [list(g) if isinstance(g, (list, tuple)) else g for g in got] == want

    @invariant()
    def touched_slash__record_and_outcome__match_model(self):
        sid = self.touched_slash
        if sid is None:
            return
        w = Ctx.w3s
        got = batch([w.slash_info(sid), w.slash_outcome(sid)], "latest")
        s = self.m.slashes.get(sid)
        if s is None:
            want_info = [bytes(32), 0, 0, 0, ZERO, 0, 0, 0, 0, "unknown"]
        else:
            want_info = [s.device, s.active_part, s.cooldown_part, s.co_part, s.co_staker or ZERO, s.amount,
                         s.created_at, s.created_at + 30 * DAY, s.outcome, SLASH_OUTCOME_NAMES[s.outcome]]
        assert [list(got[0]), got[1]] == [want_info, self.m.slash_outcome(sid)]


class Raw:
    """eth_call payloads straight from the ABI: `Raw(contract).name(*args)` is (to, calldata,
    decoder). (web3's contract functions re-validate the whole ABI on every call, which made
    this machine spend most of its time hashing signatures.)"""

    def __init__(self, contract) -> None:
        self.address = contract.address
        self.fns = {e["name"]: e for e in contract.contract_type.dict()["abi"] if e["type"] == "function"}

    def __getattr__(self, name: str):
        abi = self.fns[name]
        ins = [collapse_if_tuple(i) for i in abi["inputs"]]
        outs = [collapse_if_tuple(o) for o in abi["outputs"]]
        selector = function_abi_to_4byte_selector(abi)

        def payload(*args):
            def decode(raw: bytes):
                values = checksummed(abi_decode(outs, raw))
                return values[0] if len(values) == 1 else values
            return self.address, "0x" + (selector + abi_encode(ins, list(args))).hex(), decode
        return payload


def checksummed(value):
    """eth_abi gives addresses in lower case; the model (and ape) use checksummed ones."""
    if isinstance(value, (list, tuple)):
        return type(value)(checksummed(v) for v in value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    return value


def batch(calls: list, block: str = "pending") -> list:
    """Many eth_calls in one JSON-RPC round trip, on the pending block (its timestamp is the
    model's clock) unless told otherwise."""
    w3 = networks.provider.web3
    with w3.batch_requests() as b:
        for to, data, _ in calls:
            b.add(w3.eth.call({"to": to, "data": data}, block))
        raw = b.execute()
    return [decode(bytes(r)) for (_, _, decode), r in zip(calls, raw, strict=True)]


def test_staking_machine__io_held_slash_bounded_cooldown_slashable__match_model(
        staking, token, owner, operator, accounts, fund):
    """Invariants io_held, slash_bounded, cooldown_slashable, eligibility, co_cap, burn_on_finalize,
    slash_interval and terms_named over random sequences, against the Python model."""
    Ctx.staking, Ctx.token, Ctx.gov, Ctx.slasher = staking, token, owner, operator
    Ctx.w3t, Ctx.w3s = Raw(token), Raw(staking)
    Ctx.device_count = staking.device_count() + len(DEVICES)
    Ctx.owners = [accounts[3], accounts[4], accounts[5]]
    Ctx.co_stakers = [accounts[6], accounts[7], accounts[8]]
    Ctx.addrs = [a.address for a in Ctx.owners + Ctx.co_stakers]
    staking.grantRole(staking.PAUSER_ROLE(), owner, sender=owner)
    for a in Ctx.owners + Ctx.co_stakers:
        fund(a, FUND)
        token.approve(staking, 2**256 - 1, sender=a)
    for name, oi, cls, procs in DEVICES:
        o = Ctx.owners[oi]
        staking.register_device(device_id(name), device_class(cls), procs, o, sender=o)
    for (name, oi, _cls, _p), amount in zip(DEVICES, INITIAL_STAKES, strict=True):
        if amount:
            staking.stake(device_id(name), amount, sender=Ctx.owners[oi])
    for i, k, amount, share, accept in INITIAL_CO_STAKES:
        d, o, co = device_id(DEVICES[i][0]), Ctx.owners[DEVICES[i][1]], Ctx.co_stakers[k]
        staking.offer_co_stake(d, co, amount, share, sender=o)
        if accept:
            staking.accept_co_stake(d, amount, share, sender=co)
    run_state_machine_as_test(StakingMachine, settings=settings(
        deadline=None, max_examples=MAX_EXAMPLES, stateful_step_count=STEPS, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
    print("\nstaking machine:", dict(STATS))  # with -s: which calls went through, which were refused


MAX_EXAMPLES = int(14 * SCALE)
STEPS = 50


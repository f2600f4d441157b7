"""Hypothesis state machine: NodeStaking against the Python model ionet.staking.StakingModel.

Many devices (6, of 3 owners and 4 classes), 3 co-stakers, and every operation: stakes, overflow
withdrawals, unstakes, withdrawals (by the staker and by others), offers, cancellations,
acceptances, exits, co-stake withdrawals, time jumps, slashes (with and without jail, above the
maximum), appeals (overturns), finalizations, unjails, refunds, pauses. Every call is made on both;
when the model refuses, the contract must revert with the same reason. After every step every
followed wallet's IO balance, the contract's IO, the escrow, the total supply and the touched
device's whole state are compared, and invariant io_held (IO held == Σ active + Σ wait/cooldown +
Σ escrow + Σ refunds owed) is checked on both sides.
"""

from __future__ import annotations

import collections
import time

from ape import chain, networks
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from web3.exceptions import ContractLogicError

from ionet import IO
from ionet.staking import CLASS_MULTIPLIERS, StakingError, StakingModel, device_class, device_id

DAY = 86_400
STATS: collections.Counter = collections.Counter()  # calls made / refused, printed with -s
from ionet import ZERO_ADDRESS as ZERO  # noqa: E402

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
                         max_slash_bps=Ctx.staking.max_slash_bps())
        for (_n, oi, cls, procs), d in zip(DEVICES, self.ids, strict=True):
            o = Ctx.owners[oi].address
            m.register_device(o, d, device_class(cls), procs, o)
        for d, amount in zip(self.ids, INITIAL_STAKES, strict=True):
            m.devices[d].active += amount
        for i, k, amount, share, accept in INITIAL_CO_STAKES:
            o, co = Ctx.owners[DEVICES[i][1]].address, Ctx.co_stakers[k].address
            m.offer_co_stake(o, self.ids[i], co, amount, share)
            if accept:
                m.devices[self.ids[i]].co_state = 2
        for a in Ctx.owners + Ctx.co_stakers:
            m.balances[a.address] = Ctx.token.balanceOf(a)
        m.balances["staking"] = Ctx.token.balanceOf(Ctx.staking)
        self.m = m
        self.touched: bytes | None = None

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
        try:
            result = model_call()
        except StakingError as e:
            STATS["revert " + name + ": " + str(e)] += 1
            try:
                fn = getattr(Ctx.w3s.functions, name)(*[getattr(a, "address", a) for a in args])
                fn.call({"from": sender.address}, block_identifier="pending")
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
        self.touched = d
        self.both(lambda: self.m.stake(o.address, d, amount), "stake", (d, amount), o)

    @rule(i=st.integers(0, 5), frac=st.sampled_from([1, 2, 3, 0]))
    def withdraw_overflow(self, i, frac):
        d, o = self.ids[i], self.owner_of(i)
        self.touched = d
        ov = self.m.overflow(d, self.now + 1)
        amount = ov // frac if frac else ov + 1
        self.both(lambda: self.m.withdraw_overflow(o.address, d, amount, self.now),
                  "withdraw_overflow", (d, amount), o)

    @rule(i=st.integers(0, 5))
    def unstake(self, i):
        i = self.pick(i, lambda dev: dev.active)
        d, o = self.ids[i], self.owner_of(i)
        self.touched = d
        self.both(lambda: self.m.unstake(o.address, d, self.now), "unstake", (d,), o)

    @rule(i=st.integers(0, 5), other=st.integers(0, 3))
    def withdraw(self, i, other):
        i = self.pick(i, lambda dev: dev.cooldown)
        d = self.ids[i]
        who = Ctx.co_stakers[0] if other == 0 else self.owner_of(i)
        self.touched = d
        self.both(lambda: self.m.withdraw(who.address, d, self.now),
                  "withdraw", (d,), who)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2), frac=st.sampled_from([4, 2, 1, 0]),
          share=st.sampled_from([1, 2_000, 10_000, 10_001]))
    def offer(self, i, k, frac, share):
        d, o, co = self.ids[i], self.owner_of(i), Ctx.co_stakers[k]
        self.touched = d
        active = self.m.devices[d].active
        amount = (active // frac if frac else active + 1) or 1
        self.both(lambda: self.m.offer_co_stake(o.address, d, co.address, amount, share),
                  "offer_co_stake", (d, co, amount, share), o)

    @rule(i=st.integers(0, 5))
    def cancel_offer(self, i):
        i = self.pick(i, lambda dev: dev.co_state == 1)
        d, o = self.ids[i], self.owner_of(i)
        self.touched = d
        self.both(lambda: self.m.cancel_co_stake_offer(o.address, d),
                  "cancel_co_stake_offer", (d,), o)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2))
    def accept(self, i, k):
        i = self.pick(i, lambda dev: dev.co_state == 1)
        d, co = self.ids[i], self.co_account(i, k)
        self.touched = d
        self.both(lambda: self.m.accept_co_stake(co.address, d),
                  "accept_co_stake", (d,), co)

    @rule(i=st.integers(0, 5), k=st.integers(0, 2))
    def exit_co(self, i, k):
        i = self.pick(i, lambda dev: dev.co_state == 2)
        d, co = self.ids[i], self.co_account(i, k)
        self.touched = d
        self.both(lambda: self.m.exit_co_stake(co.address, d, self.now),
                  "exit_co_stake", (d,), co)

    @rule(i=st.integers(0, 5), k=st.integers(0, 3))
    def withdraw_co(self, i, k):
        i = self.pick(i, lambda dev: dev.co_state == 3)
        d, dev = self.ids[i], self.m.devices[self.ids[i]]
        # mostly the co-staker itself, sometimes the owner, sometimes a stranger
        who = {2: self.owner_of(i), 3: Ctx.co_stakers[i % 3]}.get(k) or next(
            (a for a in Ctx.co_stakers if a.address == dev.co_staker), Ctx.co_stakers[0])
        self.touched = d
        self.both(lambda: self.m.withdraw_co_stake(who.address, d, self.now),
                  "withdraw_co_stake", (d,), who)

    @rule(k=st.integers(0, 2))
    def claim_refund(self, k):
        co = Ctx.co_stakers[k]
        self.touched = None
        self.both(lambda: self.m.claim_refund(co.address), "claim_refund", (), co)

    @rule(i=st.integers(0, 5), bps=st.sampled_from([1, 1_000, 3_333, 5_000, 5_001]), extra=st.integers(0, 3),
          jail=st.booleans())
    def slash(self, i, bps, extra, jail):
        d = self.ids[i]
        self.touched = d
        dev = self.m.devices[d]
        amount = (dev.active + dev.cooldown + self.m.deposited_co(dev)) * bps // 10_000 + extra
        self.both(lambda: self.m.slash(d, amount, jail, self.now),
                  "slash", (d, amount, b"\x11" * 32, jail), Ctx.slasher)

    def _slash_id(self, pick: int) -> int:
        """Mostly a pending slash; sometimes a settled or unknown id."""
        pending = sorted(self.m.slashes)
        if pending and pick % 4:
            return pending[pick % len(pending)]
        return pick % (self.m.slash_count + 2) + 1

    @rule(pick=st.integers(0, 50))
    def overturn(self, pick):
        sid = self._slash_id(pick)
        s = self.m.slashes.get(sid)
        self.touched = s.device if s else None
        self.both(lambda: self.m.overturn_slash(sid, self.now),
                  "overturn_slash", (sid,), Ctx.gov)

    @rule(pick=st.integers(0, 50))
    def finalize(self, pick):
        sid = self._slash_id(pick)
        self.touched = None
        burned = self.both(lambda: self.m.finalize_slash(sid, self.now),
                           "finalize_slash", (sid,), Ctx.co_stakers[0])
        if burned:
            self.supply -= burned

    @rule(i=st.integers(0, 5))
    def unjail(self, i):
        i = self.pick(i, lambda dev: dev.jailed)
        d = self.ids[i]
        self.touched = d
        self.both(lambda: self.m.unjail(d), "unjail", (d,), Ctx.gov)

    @rule(roll=st.integers(0, 3))
    def pause(self, roll):
        on = roll == 0  # pause rarely, unpause often
        if on == self.m.paused:
            return
        self.tick()
        self.touched = None
        (Ctx.staking.pause if on else Ctx.staking.unpause)(sender=Ctx.gov)
        self.m.paused = on

    @rule(seconds=st.sampled_from([DAY, 7 * DAY - 1, 7 * DAY, 14 * DAY, 14 * DAY + 1, 30 * DAY]))
    def time_jump(self, seconds):
        self.tick(seconds)
        self.touched = None
        # waits end with time alone: eligibility of every device
        got = batch([Ctx.w3s.functions.is_eligible(d) for d in self.ids])
        assert got == [self.m.is_eligible(d, self.now) for d in self.ids]

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
        m, t, w = self.m, Ctx.w3t.functions, Ctx.w3s.functions
        calls = [t.balanceOf(Ctx.staking.address), w.escrowed(), w.slash_count(), t.totalSupply()]
        calls += [t.balanceOf(a) for a in Ctx.addrs]
        calls += [f(a) for a in Ctx.addrs[3:] for f in (w.refunds, w.offers_held)]  # the co-stakers
        got = batch(calls)
        want = [m.balances["staking"], m.escrowed(), m.slash_count, self.supply]
        want += [m.balances[a] for a in Ctx.addrs]
        want += [v for a in Ctx.addrs[3:] for v in (m.refunds.get(a, 0), m.offers_held.get(a, 0))]
        assert got == want
        assert m.balances["staking"] == m.held()  # invariant io_held, on the model's own books

    @invariant()
    def touched_device__state__matches_model(self):
        if self.touched is None:
            return
        d, dev, w = self.touched, self.m.devices[self.touched], Ctx.w3s.functions
        wallet, co_staker, share = self.m.reward_split(d)
        # views run on the pending block, whose timestamp is the model's clock
        got = batch([w.owner_stake(d), w.co_stake(d), w.is_eligible(d), w.overflow(d), w.is_jailed(d),
                     w.last_slashed_at(d), w.reward_split(d)])
        want = [[dev.active, dev.cooldown, dev.release_at],
                [dev.co_staker or ZERO, dev.co_amount, dev.co_share_bps, dev.co_state, dev.co_exit_at],
                self.m.is_eligible(d, self.now), self.m.overflow(d, self.now), dev.jailed,
                dev.last_slashed_at,
                [wallet, co_staker or ZERO, share]]
        assert [list(g) if isinstance(g, (list, tuple)) else g for g in got] == want


def batch(calls: list) -> list:
    """Many eth_calls on the pending block in one JSON-RPC round trip."""
    w3 = networks.provider.web3
    with w3.batch_requests() as b:
        for c in calls:
            b.add(c.call(block_identifier="pending"))
        return b.execute()


def test_staking_machine__io_held_slash_bounded_cooldown_slashable__match_model(
        staking, token, owner, operator, accounts, fund):
    """Invariants io_held, slash_bounded, cooldown_slashable, eligibility, co_cap, burn_on_finalize
    over random sequences, against the Python model."""
    Ctx.staking, Ctx.token, Ctx.gov, Ctx.slasher = staking, token, owner, operator
    w3 = networks.provider.web3
    Ctx.w3t = w3.eth.contract(address=token.address, abi=token.contract_type.dict()["abi"])
    Ctx.w3s = w3.eth.contract(address=staking.address, abi=staking.contract_type.dict()["abi"])
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
            staking.accept_co_stake(d, sender=co)
    run_state_machine_as_test(StakingMachine, settings=settings(
        deadline=None, max_examples=MAX_EXAMPLES, stateful_step_count=STEPS,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
    print("\nstaking machine:", dict(STATS))  # with -s: which calls went through, which were refused


MAX_EXAMPLES = 20
STEPS = 50


"""Gas of the Incentive Dynamic Engine (issues 11, 17) beside Uniswap's own swaps measured in the same run.

Anchors (docs/gas-anchors.md, re-measured here on the suite's IO/USDC pool and tokens, in the same
window): SwapRouter `exactOutputSingle` and `exactInputSingle` USDC->IO (the engine only ever buys IO).
Goals (issues 11 and 17), each in two windows, and for the first-ever operation of each kind too:
  - settle an epoch funded by the Reward Vault alone <= 120,000;
  - settle an epoch topped up by a Fee Vault swap (exact output) <= exactOutput anchor + 90,000;
  - buyback_and_burn (one exact-input swap and the burn, one TWAP read) <= exactInput anchor + 60,000.
Windows (as in the market bench):
  - quiet: nobody traded in the last 1,800 s (observe interpolates from one observation);
  - active: a trade every 12 s on the IO/USDC pool, alternately buying and selling, the pool's whole
    ring (200 observations) full and the window holding 150 of them, the last trade one block before.
"First ever" is the engine's first settlement of that kind, or its first buyback (its counters and
trailing sums written from zero); the steady rows come two epochs later. Also measured: state_epoch
(which reads the TWAP of the window ending at the close), collect_fees, sync_emission.
"""

from __future__ import annotations

from typing import Any

from ape import accounts, chain

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO, USDC
from ionet.chain.deploy_ide import activate_ide
from ionet.chain.devices import ensure_eligible_device
from ionet.chain.settlement_setup import fund
from ionet.chain.uniswap import swap_exact_input, swap_exact_output
from ionet.models.settlement import quote

AREA = "IDE"
MAX = 2**256 - 1
WINDOW = 1_800
MARGIN = 60


class Env:
    def __init__(self, eco: Any) -> None:
        s = eco.suite
        self.s, self.eco = s, eco
        self.engine, self.usdc, self.io, self.router = s.IncentiveEngine, s.USDC, s.IOToken, s.SettlementRouter
        self.admin, self.oracle = eco.admin, eco.operator
        self.swap_router = s.uniswap.swap_router
        self.trader = accounts.test_accounts.generate_test_account()
        self.admin.transfer(self.trader, 10_000 * 10**18)
        fund(s, self.admin, self.trader, usdc=5_000_000 * USDC, io=5_000_000 * IO)
        for t in (self.usdc, self.io):
            t.approve(self.swap_router, MAX, sender=self.trader)
        self.renter = accounts.test_accounts.generate_test_account()
        self.admin.transfer(self.renter, 10**18)
        fund(s, self.admin, self.renter, usdc=20_000_000 * USDC, io=5_000_000 * IO)
        self.usdc.approve(self.router, MAX, sender=self.renter)
        self.io.approve(self.router, MAX, sender=self.renter)
        owner = accounts.test_accounts.generate_test_account()
        self.admin.transfer(owner, 10**18)
        self.device = ensure_eligible_device(s, "ide-bench-gpu", owner, "H100", 8)
        activate_ide(s)
        self.epoch = 0
        # both directions traded once (steady state of the pool)
        self._wait(12)
        swap_exact_input(self.swap_router, self.usdc.address, self.io.address, 3000, 1_000 * USDC, self.trader)
        self._wait(12)
        swap_exact_input(self.swap_router, self.io.address, self.usdc.address, 3000, 1_000 * IO, self.trader)
        # short buffers (governance parameters) so that the Reward Vault can be drawn down and the Fee
        # Vault has a surplus every epoch
        self.engine.set_retire_buffer_epochs(1, sender=self.admin)
        self.engine.set_reserve_epochs(1, sender=self.admin)
        self.ring_full = False

    def activity(self, label: str) -> None:
        """The window before the next transaction: quiet (no trade for 1,800 s) or active (a trade
        every 12 s, alternately buying and selling, over the whole ring the first time, over the
        window afterwards; the last trade one block before)."""
        if label.startswith("quiet"):
            self._wait(WINDOW + 60)
            return
        trades = 215 if not self.ring_full else WINDOW // 12 + 5
        for i in range(trades):
            chain.pending_timestamp = chain.blocks.head.timestamp + 12
            if i % 2 == 0:
                swap_exact_input(self.swap_router, self.usdc.address, self.io.address, 3000, 4_000 * USDC, self.trader)
            else:
                swap_exact_input(self.swap_router, self.io.address, self.usdc.address, 3000, 10_000 * IO, self.trader)
        self.ring_full = True

    def draw_down(self) -> None:
        """Governance retires the Reward Vault down to its buffer (one epoch of payouts)."""
        retirable = int(self.engine.retirable())
        if retirable:
            self.engine.retire(retirable, sender=self.admin)

    @staticmethod
    def _wait(seconds: int) -> None:
        chain.pending_timestamp = chain.blocks.head.timestamp + seconds
        chain.mine()

    def next_block(self) -> None:
        chain.pending_timestamp = chain.blocks.head.timestamp + 12

    def book(self, usdc_cost: int, io_cost: int) -> None:
        self.router.book(self.device, self.usdc, 1, usdc_cost, quote(usdc_cost, 1, True).total, sender=self.renter)
        self.router.book(self.device, self.io, 1, io_cost, quote(io_cost, 1, False).total, sender=self.renter)

    def next_epoch(self) -> None:
        self.epoch += 1
        end = int(self.engine.start_time()) + self.epoch * int(self.engine.EPOCH_SECONDS())
        if end + MARGIN > chain.blocks.head.timestamp:
            chain.pending_timestamp = end + MARGIN
            chain.mine()
        self._wait(WINDOW + 60)

    def state(self, usd: int) -> None:
        self.engine.state_epoch(self.epoch, usd, sender=self.oracle)

    def topup_usd(self, extra: int) -> int:
        """USD owed that the Reward Vault and the Fee Vault's IO cover but for `extra` (at the price
        the statement will fix: the TWAP of the window ending at the epoch's close)."""
        twap = int(self.engine.price())
        return (int(self.engine.reward_vault()) + int(self.engine.fee_io())) * twap // IO + extra


def measure(eco: Any) -> list[GasRow]:
    rows: list[GasRow] = []
    with isolated():
        env = Env(eco)
        for label in ("quiet window", "active window, full ring"):
            with isolated():
                env.epoch, env.ring_full = 0, False  # the chain rolls back after each round: so does the bench
                rows += _round(env, label)
    return rows


def _anchor(env: Env, label: str, exact_output: bool) -> int:
    with isolated():
        env.activity(label)
        env.next_block()
        if exact_output:
            tx = swap_exact_output(env.swap_router, env.usdc.address, env.io.address, 3000, 500 * IO, env.trader)
        else:
            tx = swap_exact_input(env.swap_router, env.usdc.address, env.io.address, 3000, 500 * USDC, env.trader)
        return gas_of(tx)


def _settles(env: Env, label: str, when: str, exact_out: int) -> list[GasRow]:
    """The two settlements of the current (ended, unstated) epoch, each on a snapshot: the window's
    activity first, then the emission synced and the statement (one block), then the settlement."""
    e, t = env.engine, env.trader
    with isolated():
        env.activity(label)
        e.sync_emission(sender=t)
        env.state(10 * USDC)
        env.next_block()
        gas = gas_of(e.settle(env.epoch, sender=t))
    rows = [at_most(AREA, f"settle, funded by the Reward Vault alone, {when} ({label})", gas, 120_000)]
    with isolated():
        env.activity(label)
        e.sync_emission(sender=t)
        env.draw_down()
        env.state(env.topup_usd(1_000 * USDC))
        env.next_block()
        tx = e.settle(env.epoch, sender=t)
        [ev] = e.EpochSettled.from_receipt(tx)
        assert ev.from_fee_usdc_swap > 0 and ev.io_bought == ev.from_fee_usdc_swap and ev.shortfall_io == 0, ev
        gas = gas_of(tx)
    goal = exact_out + 90_000
    row = at_most(AREA, f"settle, topped up by a Fee Vault swap (exact output), {when} ({label})", gas, goal,
                  f"exactOutput {exact_out:,}", exact_out)
    row.goal = f"<= exactOutput + 90,000 = {goal:,}"
    return [*rows, row]


def _buyback(env: Env, label: str, when: str, exact_in: int) -> GasRow:
    e, t = env.engine, env.trader
    with isolated():
        env.activity(label)
        env.next_block()
        tx = e.buyback_and_burn(sender=t)
        [ev] = e.BoughtBackAndBurned.from_receipt(tx)
        assert ev.usdc_spent > 0 and ev.io_fee_burned > 0
        gas = gas_of(tx)
    goal = exact_in + 60_000
    row = at_most(AREA, f"buyback_and_burn (USDC bought back and fee IO, both burned), {when} ({label})", gas, goal,
                  f"exactInput {exact_in:,}", exact_in)
    row.goal = f"<= exactInput + 60,000 = {goal:,}"
    return row


def _round(env: Env, label: str) -> list[GasRow]:
    e, t = env.engine, env.trader
    exact_out, exact_in = _anchor(env, label, True), _anchor(env, label, False)
    rows = [
        GasRow(AREA, f"anchor: SwapRouter exactOutputSingle USDC->IO, 500 IO out ({label})", exact_out),
        GasRow(AREA, f"anchor: SwapRouter exactInputSingle USDC->IO, 500 USDC ({label})", exact_in),
    ]
    # epoch 1: the engine's first settlement of each kind, then its first buyback
    env.book(100_000 * USDC, 100_000 * IO)
    env.next_epoch()
    e.collect_fees(sender=t)
    e.sync_emission(sender=t)
    rows += _settles(env, label, "first ever", exact_out)
    env.state(10 * USDC)
    e.settle(env.epoch, sender=t)
    rows.append(_buyback(env, label, "first ever", exact_in))
    e.buyback_and_burn(sender=t)
    # epoch 2: a top-up and a buyback for real (every counter written once)
    env.book(100_000 * USDC, 100_000 * IO)
    env.next_epoch()
    e.collect_fees(sender=t)
    e.sync_emission(sender=t)
    env.draw_down()
    env.state(env.topup_usd(200 * USDC))
    e.settle(env.epoch, sender=t)
    env.next_block()
    e.buyback_and_burn(sender=t)
    # epoch 3: steady state
    env.book(100_000 * USDC, 100_000 * IO)
    env.next_epoch()
    if label.startswith("quiet"):
        for name, fn in (("collect_fees (USDC and IO, valued at the TWAP)", lambda: e.collect_fees(sender=t)),
                         ("sync_emission (the hours since the last sync)", lambda: e.sync_emission(sender=t)),
                         ("state_epoch (the oracle; the TWAP of the window ending at the close)",
                          lambda: e.state_epoch(env.epoch, 10 * USDC, sender=env.oracle))):
            with isolated():
                env.next_block()
                rows.append(GasRow(AREA, name, gas_of(fn())))
    e.collect_fees(sender=t)
    e.sync_emission(sender=t)
    rows += _settles(env, label, "steady", exact_out)
    env.state(10 * USDC)
    e.settle(env.epoch, sender=t)
    rows.append(_buyback(env, label, "steady", exact_in))
    return rows

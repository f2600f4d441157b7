"""Gas of the Incentive Dynamic Engine (issue 11) beside Uniswap's own swaps measured in the same run.

Anchors (docs/gas-anchors.md, re-measured here on the suite's IO/USDC pool and tokens, quiet window):
SwapRouter `exactOutputSingle` and `exactInputSingle` USDC->IO (the engine only ever buys IO).
Goals (issue 11):
  - settle an epoch funded by the Reward Vault alone <= 120,000;
  - settle an epoch topped up by a Fee Vault swap (exact output) <= exactOutput anchor + 90,000;
  - buyback_and_burn (one exact-input swap and the burn) <= exactInput anchor + 60,000.
Also measured: state_epoch, collect_fees (USDC and IO), sync_emission (an hour of emission).
Steady state as in the market bench: both directions of the pool traded before, the engine's own
first top-up and first buyback done (a direction's first swap and a counter's first write cost
more), the engine already holds IO and USDC, earlier epochs settled (the trailing window is warm),
the TWAP window quiet, one transaction per block.
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
from ionet.settlement import quote

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
        # Vault has a surplus: epoch 1 settled from the Reward Vault, then a buyback; epoch 2 topped
        # up by the engine's first exact-output swap (its counters written once), then a buyback
        self.engine.set_retire_buffer_epochs(1, sender=self.admin)
        self.engine.set_reserve_epochs(1, sender=self.admin)
        self.book(100_000 * USDC, 100_000 * IO)
        self.next_epoch()
        self.engine.collect_fees(sender=self.trader)
        self.state(10 * USDC)
        self.engine.settle(self.epoch, sender=self.trader)
        self._wait(WINDOW + 60)
        self.engine.buyback_and_burn(sender=self.trader)
        self.book(100_000 * USDC, 100_000 * IO)
        self.next_epoch()
        self.engine.collect_fees(sender=self.trader)
        self.engine.sync_emission(sender=self.trader)
        self.draw_down()
        self.state(self.topup_usd(200 * USDC))
        self.engine.settle(self.epoch, sender=self.trader)
        self._wait(WINDOW + 60)
        self.engine.buyback_and_burn(sender=self.trader)

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
        """USD owed that the Reward Vault and the Fee Vault's IO cover but for `extra`."""
        twap = int(self.engine.price())
        return (int(self.engine.reward_vault()) + int(self.engine.fee_io())) * twap // IO + extra


def measure(eco: Any) -> list[GasRow]:
    rows: list[GasRow] = []
    with isolated():
        env = Env(eco)
        e, t = env.engine, env.trader
        with isolated():
            env.next_block()
            exact_out = gas_of(swap_exact_output(env.swap_router, env.usdc.address, env.io.address, 3000, 500 * IO, t))
        rows.append(GasRow(AREA, "anchor: SwapRouter exactOutputSingle USDC->IO, 500 IO out (quiet window)", exact_out))
        with isolated():
            env.next_block()
            exact_in = gas_of(swap_exact_input(env.swap_router, env.usdc.address, env.io.address, 3000, 500 * USDC, t))
        rows.append(GasRow(AREA, "anchor: SwapRouter exactInputSingle USDC->IO, 500 USDC (quiet window)", exact_in))

        # the next epoch, ended and with its fees in the router
        env.book(100_000 * USDC, 100_000 * IO)
        env.next_epoch()
        with isolated():
            env.next_block()
            rows.append(
                GasRow(AREA, "collect_fees (USDC and IO, valued at the TWAP)", gas_of(e.collect_fees(sender=t)))
            )
        with isolated():
            env.next_block()
            rows.append(
                GasRow(AREA, "sync_emission (the hours since the last sync)", gas_of(e.sync_emission(sender=t)))
            )
        with isolated():
            env.next_block()
            rows.append(
                GasRow(AREA, "state_epoch (the oracle)", gas_of(e.state_epoch(env.epoch, 10 * USDC, sender=env.oracle)))
            )
        e.collect_fees(sender=t)
        e.sync_emission(sender=t)
        env._wait(WINDOW + 60)
        with isolated():
            env.state(10 * USDC)
            env.next_block()
            gas = gas_of(e.settle(env.epoch, sender=t))
        rows.append(at_most(AREA, "settle, funded by the Reward Vault alone", gas, 120_000))
        with isolated():
            e.sync_emission(sender=t)  # the hour's emission in, then drawn down: the settlement syncs nothing new
            env.draw_down()
            env.state(env.topup_usd(300 * USDC))
            env.next_block()
            tx = e.settle(env.epoch, sender=t)
            [ev] = e.EpochSettled.from_receipt(tx)
            assert ev.from_fee_usdc_swap > 0 and ev.io_bought == ev.from_fee_usdc_swap and ev.shortfall_io == 0, ev
            gas = gas_of(tx)
        goal = exact_out + 90_000
        rows.append(
            at_most(
                AREA,
                "settle, topped up by a Fee Vault swap (exact output)",
                gas,
                goal,
                f"exactOutput {exact_out:,}",
                exact_out,
            )
        )
        rows[-1].goal = f"<= exactOutput + 90,000 = {goal:,}"
        env.state(10 * USDC)
        e.settle(env.epoch, sender=t)
        env._wait(WINDOW + 60)
        with isolated():
            env.next_block()
            tx = e.buyback_and_burn(sender=t)
            [ev] = e.BoughtBackAndBurned.from_receipt(tx)
            assert ev.usdc_spent > 0 and ev.io_fee_burned > 0
            gas = gas_of(tx)
        goal = exact_in + 60_000
        rows.append(
            at_most(
                AREA,
                "buyback_and_burn (USDC bought back and fee IO, both burned)",
                gas,
                goal,
                f"exactInput {exact_in:,}",
                exact_in,
            )
        )
        rows[-1].goal = f"<= exactInput + 60,000 = {goal:,}"
    return rows

"""Gas of the IO market (issue 10) beside Uniswap's own operations measured in the same run.

Anchors (docs/gas-anchors.md, re-measured here on the suite's pools and tokens): SwapRouter
`exactInputSingle` USDC->IO and `exactOutputSingle` IO->USDC on the IO/USDC pool, a bare
`observe([1800, 0])` sent as a transaction, and the router's own USDC booking. Each is measured in
two conditions:
  - quiet: nobody traded in the last 1,800 s (observe interpolates from one observation);
  - active: a trade every 12 s on each pool, alternately buying and selling, for longer than the
    pools' whole ring (200 observations), so the ring is full and the window holds 150 of them.
`withdraw_as_io` and `book_with_asset` are the MarketDesk's (the router's trading desk, issue 17):
each crosses into the router once (desk_withdraw / desk_book). Goals, computed from the anchors of
the same condition:
  - a TWAP read (IOPriceOracle.price as a transaction) <= bare observe + 5,000;
  - withdraw_as_io <= exact-input swap + bare observe + 25,000;
  - book_with_asset (WETH) <= exact-output swap + bare observe + USDC booking + 20,000.
Steady state as in the other benches: every swap direction has been used before (a direction's
first swap ever costs about 17,100 more), recipients already hold the token they receive, one
transaction per block.
"""

from __future__ import annotations

from typing import Any

from ape import accounts, chain

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO, USDC
from ionet.chain.settlement_setup import fund, register_eligible_device
from ionet.chain.uniswap import swap_exact_input, swap_exact_output

AREA = "Market"
MAX = 2**256 - 1
BLOCK = 12
WINDOW = 1_800
RATE = 2 * USDC


class Env:
    def __init__(self, eco: Any) -> None:
        s = eco.suite
        self.s, self.eco = s, eco
        self.router, self.usdc, self.io, self.oracle = s.SettlementRouter, s.USDC, s.IOToken, s.IOPriceOracle
        self.desk = s.MarketDesk
        self.pool, self.weth_pool = s.contracts["UniswapV3Pool.IO/USDC"], s.contracts["UniswapV3Pool.WETH/USDC"]
        u = s.uniswap
        self.weth, self.swap_router = u.weth, u.swap_router
        self.admin, self.operator = eco.admin, eco.operator
        # a trader holding all three tokens
        self.trader = accounts.test_accounts.generate_test_account()
        self.admin.transfer(self.trader, 10_000 * 10**18)
        fund(s, self.admin, self.trader, usdc=20_000_000 * USDC, io=20_000_000 * IO)
        self.weth.deposit(value=5_000 * 10**18, sender=self.trader)
        for t in (self.usdc, self.io, self.weth):
            t.approve(self.swap_router, MAX, sender=self.trader)
        # a provider with a USDC income, a renter with USDC and WETH
        self.provider = accounts.test_accounts.generate_test_account()
        self.admin.transfer(self.provider, 10**18)
        self.device = register_eligible_device(s, self.admin, self.provider, "market-bench-gpu")
        self.renter = eco.renter_x
        fund(s, self.admin, self.renter, usdc=1_000_000 * USDC)
        self.weth.deposit(value=100 * 10**18, sender=self.renter)
        self.usdc.approve(self.router, MAX, sender=self.renter)
        self.weth.approve(self.desk, MAX, sender=self.renter)
        bid = self.router.book(self.device, self.usdc, 1_000, RATE, MAX, sender=self.renter).return_value
        self._wait(500 * 3_600)
        self.router.record_work(bid, 500, sender=self.operator)  # ~997 USDC of income
        fund(s, self.admin, self.provider, io=IO)  # the IO recipient already holds IO
        # steady state: every direction of both pools traded once, then the window left quiet
        for token_in, token_out in (
            (self.usdc, self.io),
            (self.io, self.usdc),
            (self.usdc, self.weth),
            (self.weth, self.usdc),
        ):
            amount = 1_000 * USDC if token_in == self.usdc else (1_000 * IO if token_in == self.io else 10**17)
            self._wait(BLOCK)
            swap_exact_input(self.swap_router, token_in.address, token_out.address, 3000, amount, self.trader)
        self.desk.withdraw_as_io(USDC, 0, self.provider, sender=self.provider)  # the desk's first swap
        self.desk.book_with_asset(self.device, self.weth, 1, RATE, MAX, sender=self.renter)
        self._wait(WINDOW + 60)

    @staticmethod
    def _wait(seconds: int) -> None:
        chain.pending_timestamp = chain.blocks.head.timestamp + seconds
        chain.mine()

    def fill_ring(self) -> None:
        """A trade every 12 s on each pool, alternately buying and selling, over more than the ring."""
        for i in range(215):
            chain.pending_timestamp = chain.blocks.head.timestamp + BLOCK - 1
            if i % 2 == 0:
                swap_exact_input(self.swap_router, self.usdc.address, self.io.address, 3000, 4_000 * USDC, self.trader)
            else:
                swap_exact_input(self.swap_router, self.io.address, self.usdc.address, 3000, 10_000 * IO, self.trader)
            chain.pending_timestamp = chain.blocks.head.timestamp + 1
            if i % 2 == 0:
                swap_exact_input(
                    self.swap_router, self.usdc.address, self.weth.address, 3000, 2_000 * USDC, self.trader
                )
            else:
                swap_exact_input(
                    self.swap_router, self.weth.address, self.usdc.address, 3000, 666 * 10**15, self.trader
                )
        assert self.pool.slot0().observationCardinality == 200

    def next_block(self) -> None:
        """The measured transaction lands in the next 12 s block."""
        chain.pending_timestamp = chain.blocks.head.timestamp + BLOCK


def _round(env: Env, label: str) -> list[GasRow]:
    rows: list[GasRow] = []
    t = env.trader
    with isolated():
        env.next_block()
        observe = gas_of(env.pool.observe.transact([WINDOW, 0], sender=t))
    rows.append(GasRow(AREA, f"anchor: bare observe([1800, 0]) as a transaction ({label})", observe))
    with isolated():
        env.next_block()
        exact_in = gas_of(swap_exact_input(env.swap_router, env.usdc.address, env.io.address, 3000, 100 * USDC, t))
    rows.append(GasRow(AREA, f"anchor: SwapRouter exactInputSingle USDC->IO, 100 USDC ({label})", exact_in))
    with isolated():
        env.next_block()
        exact_out = gas_of(swap_exact_output(env.swap_router, env.io.address, env.usdc.address, 3000, 100 * USDC, t))
    rows.append(GasRow(AREA, f"anchor: SwapRouter exactOutputSingle IO->USDC, 100 USDC out ({label})", exact_out))
    with isolated():
        env.next_block()
        weth_out = gas_of(swap_exact_output(env.swap_router, env.weth.address, env.usdc.address, 3000, 100 * USDC, t))
    rows.append(GasRow(AREA, f"SwapRouter exactOutputSingle WETH->USDC, 100 USDC out ({label})", weth_out))
    with isolated():
        env.next_block()
        book = gas_of(env.router.book(env.device, env.usdc, 48, RATE, MAX, sender=env.renter))
    rows.append(GasRow(AREA, f"anchor: SettlementRouter book in USDC, prior approve ({label})", book))

    with isolated():
        env.next_block()
        read = gas_of(env.oracle.price.transact(sender=t))
    rows.append(
        at_most(
            AREA,
            f"TWAP read: IOPriceOracle.price() as a transaction ({label})",
            read,
            observe + 5_000,
            f"bare observe {observe:,}",
            observe,
        )
    )
    rows[-1].goal = f"<= observe + 5,000 = {observe + 5_000:,}"
    with isolated():
        env.next_block()
        wio = gas_of(env.desk.withdraw_as_io(100 * USDC, 0, env.provider, sender=env.provider))
    goal = exact_in + observe + 25_000
    rows.append(
        at_most(
            AREA,
            f"withdraw_as_io, 100 USDC of income ({label})",
            wio,
            goal,
            f"exactInput {exact_in:,} + observe {observe:,}",
            exact_in + observe,
        )
    )
    rows[-1].goal = f"<= exactInput + observe + 25,000 = {goal:,}"
    with isolated():
        env.next_block()
        bwa = gas_of(env.desk.book_with_asset(env.device, env.weth, 48, RATE, MAX, sender=env.renter))
    goal = exact_out + observe + book + 20_000
    rows.append(
        at_most(
            AREA,
            f"book_with_asset WETH, 48 h at 2 USDC ({label})",
            bwa,
            goal,
            f"exactOutput {exact_out:,} + observe {observe:,} + book {book:,}",
            exact_out + observe + book,
        )
    )
    rows[-1].goal = f"<= exactOutput + observe + book + 20,000 = {goal:,}"
    with isolated():
        env.next_block()
        dev = gas_of(env.oracle.deviation_bps.transact(sender=t))
    rows.append(GasRow(AREA, f"IOPriceOracle.deviation_bps() as a transaction ({label})", dev))
    return rows


def measure(eco: Any) -> list[GasRow]:
    rows: list[GasRow] = []
    with isolated():
        env = Env(eco)
        rows += _round(env, "quiet window")
        env.fill_ring()
        rows += _round(env, "active window, full ring")
    return rows

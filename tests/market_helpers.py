"""The IO market in tests: the suite's Uniswap V3 pools, an outside trader who moves their price
through Uniswap's own SwapRouter, and the pool's own figures (observe, slot0, QuoterV2) that the
contracts are checked against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ape import accounts, chain

from ionet import IO, USDC
from ionet.chain import clock
from ionet.chain.uniswap import swap_exact_input
from ionet.models import market as m

WINDOW = 1_800
BLOCK = 12  # seconds between outside trades: one observation per block, as on a 12 s chain
MAX = 2**256 - 1
TRADER_USDC = 50_000_000 * USDC
TRADER_IO = 50_000_000 * IO
TRADER_WETH = 5_000 * 10**18


@dataclass
class Market:
    suite: Any
    io_pool: Any
    weth_pool: Any
    oracle: Any
    weth: Any
    swap_router: Any
    quoter: Any
    usdc: Any
    io: Any
    trader: Any

    @classmethod
    def ready(cls, suite: Any, pools: tuple[Any, Any], owner: Any, fund: Any) -> Market:
        """A funded trader (USDC, IO, WETH, all approved to SwapRouter), then the clock moved past the
        window so that both pools serve the TWAP."""
        u = suite.uniswap
        trader = accounts.test_accounts.generate_test_account()
        trader.balance = 10**25
        suite.USDC.mint(trader, TRADER_USDC, sender=owner)
        fund(trader, TRADER_IO)
        u.weth.deposit(value=TRADER_WETH, sender=trader)
        for t in (suite.USDC, suite.IOToken, u.weth):
            t.approve(u.swap_router, MAX, sender=trader)
        mk = cls(
            suite,
            pools[0],
            pools[1],
            suite.IOPriceOracle,
            u.weth,
            u.swap_router,
            u.quoter,
            suite.USDC,
            suite.IOToken,
            trader,
        )
        clock.advance(WINDOW + 1)
        return mk

    # ------------------------------------------------------------ the pool's own figures
    def spot_tick(self, pool: Any | None = None) -> int:
        return int((pool or self.io_pool).slot0().tick)

    def mean_tick(self, pool: Any | None = None, window: int = WINDOW) -> int:
        """The model's mean tick from the pool's own observe (the chain's latest block)."""
        cumulatives, _ = (pool or self.io_pool).observe([window, 0])
        return m.mean_tick(int(cumulatives[0]), int(cumulatives[1]), window)

    def mean_tick_at(self, window: int = WINDOW, ago: int = 0, pool: Any | None = None) -> int:
        """The mean tick over the window that ended `ago` seconds before the latest block."""
        cumulatives, _ = (pool or self.io_pool).observe([ago + window, ago])
        return m.mean_tick(int(cumulatives[0]), int(cumulatives[1]), window)

    def twap_value(self, amount: int, base: Any, quote: Any, pool: Any | None = None) -> int:
        return m.quote_at_tick(self.mean_tick(pool), amount, base.address, quote.address)

    def quote_exact_input(self, token_in: Any, token_out: Any, amount: int, pool: Any | None = None) -> int:
        """What the pool would pay for `amount` of token_in now (Uniswap's QuoterV2, an eth_call)."""
        fee = int((pool or self.io_pool).fee())
        return int(self.quoter.quoteExactInputSingle.call((token_in.address, token_out.address, amount, fee, 0))[0])

    def quote_exact_output(self, token_in: Any, token_out: Any, amount: int, pool: Any | None = None) -> int:
        fee = int((pool or self.io_pool).fee())
        return int(self.quoter.quoteExactOutputSingle.call((token_in.address, token_out.address, amount, fee, 0))[0])

    # ------------------------------------------------------------ outside traders
    def trade(self, token_in: Any, token_out: Any, amount: int, wait: int = BLOCK) -> Any:
        """An outside trader sells `amount` of token_in through SwapRouter, `wait` seconds after the
        last block (one trade per block, as on a live chain)."""
        chain.pending_timestamp = chain.blocks.head.timestamp + wait
        fee = int((self.weth_pool if self.weth in (token_in, token_out) else self.io_pool).fee())
        return swap_exact_input(self.swap_router, token_in.address, token_out.address, fee, amount, self.trader)

    def push_io_price(self, usdc_in: int, wait: int = BLOCK) -> Any:
        """Buy IO with `usdc_in` USDC: the IO price goes up."""
        return self.trade(self.usdc, self.io, usdc_in, wait)

    def dump_io(self, io_in: int, wait: int = BLOCK) -> Any:
        """Sell `io_in` IO for USDC: the IO price goes down."""
        return self.trade(self.io, self.usdc, io_in, wait)

    def settle(self, seconds: int = WINDOW + 1) -> None:
        """Let the market rest until the TWAP catches up with the spot price."""
        clock.advance(seconds)

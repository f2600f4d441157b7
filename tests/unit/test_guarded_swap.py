"""modules/guarded_swap.vy on its own, through a thin harness (contracts/mocks/MockGuardedSwapper.vy)
used as the Incentive Engine will use it: a contract selling its own USDC for IO (as a Fee Vault
buying IO to burn would), and buying an exact amount for a caller who pays."""

from __future__ import annotations

import ape
import pytest

from ionet import IO, USDC
from ionet.models import market as m
from tests.market_helpers import WINDOW

MAX = 2**256 - 1


@pytest.fixture
def swapper(project, scratch_deployer, market, owner, usdc):
    s = scratch_deployer.deploy(project.MockGuardedSwapper, WINDOW, 200, 100)
    usdc.mint(s, 10_000 * USDC, sender=owner)
    return s


def test_init__bounds_logged_and_readable(swapper):
    assert (swapper.twap_window(), swapper.max_deviation_bps(), swapper.max_slippage_bps()) == (WINDOW, 200, 100)


@pytest.mark.parametrize(
    "args, reason",
    [
        ((299, 200, 100), "guarded_swap: window out of bounds"),
        ((WINDOW, 1_001, 100), "guarded_swap: deviation out of bounds"),
        ((WINDOW, 200, 501), "guarded_swap: slippage out of bounds"),
    ],
)
def test_init__out_of_bounds__reverts(project, scratch_deployer, args, reason):
    with ape.reverts(reason):
        scratch_deployer.deploy(project.MockGuardedSwapper, *args)


def test_swap_exact_input__own_usdc_for_io__at_least_twap_less_slippage(swapper, market, usdc, token, carol):
    amount = 1_000 * USDC
    twap = m.quote_at_tick(market.mean_tick(), amount, usdc.address, token.address)
    assert swapper.twap_quote(market.io_pool, amount, usdc, token) == twap
    expected = market.quote_exact_input(usdc, token, amount)
    before = token.balanceOf(carol)
    out, twap_out, bound = swapper.sell(market.io_pool, usdc, token, amount, 0, carol, sender=carol).return_value
    assert (out, twap_out, bound) == (expected, twap, m.min_out(twap, 100))
    assert token.balanceOf(carol) - before == out >= bound
    assert usdc.balanceOf(swapper) == 9_000 * USDC  # exactly the input left


def test_swap_exact_output__caller_pays_exactly_what_the_pool_asks(swapper, market, usdc, token, carol, fund):
    fund(carol, 10_000 * IO)
    token.approve(swapper, MAX, sender=carol)
    want = 400 * USDC
    cost = market.quote_exact_output(token, usdc, want)
    io_before, usdc_before = token.balanceOf(carol), usdc.balanceOf(carol)
    paid, twap_in, bound = swapper.buy(market.io_pool, token, usdc, want, MAX, carol, sender=carol).return_value
    assert paid == cost <= bound == m.max_in(twap_in, 100)
    assert io_before - token.balanceOf(carol) == paid and usdc.balanceOf(carol) - usdc_before == want
    assert token.balanceOf(swapper) == 0  # nothing passed through the harness


def test_swap__zero_amount__reverts(swapper, market, usdc, token, carol):
    with ape.reverts("guarded_swap: zero amount"):
        swapper.sell(market.io_pool, usdc, token, 0, 0, carol, sender=carol)
    with ape.reverts("guarded_swap: zero amount"):
        swapper.buy(market.io_pool, token, usdc, 0, MAX, carol, sender=carol)


def test_checked_mean_tick__deviation_beyond_bound__reverts(swapper, market):
    assert swapper.checked_mean_tick(market.io_pool) == market.mean_tick()
    market.push_io_price(100_000 * USDC)
    with ape.reverts("guarded_swap: spot price too far from twap"):
        swapper.checked_mean_tick(market.io_pool)


def test_callback__outside_a_swap__reverts(swapper, attacker):
    with ape.reverts("guarded_swap: callback from unexpected caller"):
        swapper.uniswapV3SwapCallback(1, 0, b"", sender=attacker)

"""The IncentiveEngine on Anvil against its integer reference model (ionet/models/ide.py), to the wei.

A seeded random run of 30 daily epochs over the suite's real contracts and the real IO/USDC pool:
renters' bookings leave fees in the router, outside traders move the price, the emission flows,
the oracle states USD owed (small days, days beyond the Reward Vault that the Fee Vault tops up by
exact-output or exact-input swaps, days with shortfalls, a statement above the maximum), anyone
settles, burns and syncs, governance retires and changes the burn share and the bounds; some days an
outside trader moves the pool far enough that the epoch's price is clamped. The chain goes first;
the model does the same operation (its trades filled with the pool's own fills as the FeeVaultDesk
logs them, partial ones included, each checked by the model against the bound it computed itself),
and after every operation every view of the engine equals the model's figure, and the engine's and
the desk's token balances equal the ledgers. A call the model refuses must revert on chain with the
same reason; nothing else may revert (settle_is_live). Invariants: the model's `check_invariants`
(released_le_sources, fee_vault_covered, burn_share_ge_half, emission_ceiling, ordered_epochs,
price_fixed_by_epoch) after every step; reward_vault_first and twap_bound on every settlement and burn.
The harness (`Run`: chain first, then the model, then every view compared) is tests/ide_harness.py.
"""

from __future__ import annotations

import random

import pytest

from ionet import IO, USDC
from ionet.chain import clock
from ionet.models import ide as model
from ionet.models.settlement import quote
from tests.ide_harness import Run
from tests.ide_helpers import activate, epoch_end, fee_device

EPOCHS = 30
SEED = 20260611
MAX = 2**256 - 1


class RandomRun(Run):
    """The shared harness (tests/ide_harness.py) with this test's random renters and traders."""

    def book(self, rng: random.Random) -> None:
        router = self.suite.SettlementRouter
        if rng.random() < 0.8:
            cost = rng.randrange(1_000, 150_000) * USDC
            router.book(self.device, self.suite.USDC, 1, cost, quote(cost, 1, True).total, sender=self.renter)
        if rng.random() < 0.6:
            cost = rng.randrange(1_000, 200_000) * IO
            router.book(self.device, self.suite.IOToken, 1, cost, quote(cost, 1, False).total, sender=self.renter)

    def trade(self, rng: random.Random) -> None:
        self.moved = True
        if rng.random() < 0.5:
            self.market.push_io_price(rng.randrange(1_000, 150_000) * USDC)
        else:
            self.market.dump_io(rng.randrange(1_000, 400_000) * IO)

    def big_move(self, up: bool) -> None:
        """An outside trader moves the pool by about 2x either way and holds it through the close:
        the next statement is clamped (and the one after, on its way back)."""
        self.moved = True
        if up:
            self.market.push_io_price(830_920 * USDC)
        else:
            self.market.dump_io(2_077_300 * IO)


@pytest.fixture
def run(suite, market, owner, operator, alice, bob, carol):
    activate(suite, owner)
    device = fee_device(suite, bob)
    renter = carol
    suite.USDC.mint(renter, 20_000_000 * USDC, sender=owner)
    from ionet.chain.economy import fund_from_community

    fund_from_community(suite, renter, 8_000_000 * IO)
    suite.USDC.approve(suite.SettlementRouter, MAX, sender=renter)
    suite.IOToken.approve(suite.SettlementRouter, MAX, sender=renter)
    return RandomRun(suite, market, owner, operator, alice, renter, device)


def test_differential__30_epochs_with_outside_traders__chain_equals_model_to_the_wei(run):
    rng = random.Random(SEED)
    r = run
    r.check("activated")
    # a short retirement buffer and reserve, so that the Reward Vault runs low and the Fee Vault burns
    r.set_param("set_retire_buffer_epochs", 1)
    r.set_param("set_reserve_epochs", 1)
    for epoch in range(1, EPOCHS + 1):
        r.book(rng)
        big_day = epoch == 20  # a day beyond what the pool fills within the bound: a partial top-up
        if big_day:
            cost = 1_200_000 * USDC  # 27,000 USDC of fees
            r.suite.SettlementRouter.book(r.device, r.suite.USDC, 1, cost, quote(cost, 1, True).total, sender=r.renter)
            r.set_param("set_max_swap_usdc", 25_000 * USDC)
        if epoch in (5, 6, 14, 15):  # up and back, down and back: both clamps, twice each
            r.big_move(up=epoch in (5, 15))
        elif rng.random() < 0.7:
            r.trade(rng)
        r.collect()
        clock.advance_to(epoch_end(r.engine, epoch) + 60)
        if rng.random() < 0.8:
            r.sync()  # else the settlement syncs by itself when the Reward Vault is short
        if rng.random() < 0.7:  # governance retires the emission above the buffer (one epoch of payouts)
            retirable = r.ide.retirable()
            r.retire(retirable + 1 if rng.random() < 0.2 or retirable == 0 else retirable)
        # what the day's statement asks of the vaults
        twap = r.price().twap
        held_usd = (r.ide.reward_vault + r.ide.fee_io) * twap // IO
        kind = rng.random() if not big_day else 0.85
        if kind < 0.5:
            usd = rng.randrange(10, 2_000) * USDC  # the Reward Vault covers it
        elif kind < 0.8:
            usd = held_usd + rng.randrange(50, 1_500) * USDC  # the Fee Vault's USDC tops it up
        elif kind < 0.92:
            usd = held_usd + rng.randrange(3_000, 30_000) * USDC  # beyond the budget: exact input, shortfall
            usd = usd if not big_day else held_usd + 60_000 * USDC
        else:
            usd = r.ide.params.max_usd_per_epoch + 1  # refused
        r.state(epoch, min(usd, model.MAX_USD_PER_EPOCH_LIMIT))
        if r.ide.last_stated < epoch:  # the statement was refused: state a small day
            r.state(epoch, 100 * USDC)
        if rng.random() < 0.1:
            r.settle(epoch + 1)  # not stated yet: refused
        r.settle(epoch)
        assert r.ide.last_settled == epoch  # settle_is_live: whatever the pool did
        if rng.random() < 0.15:
            r.settle(epoch)  # twice: refused
        if rng.random() < 0.9:
            r.burn()
        if epoch % 9 == 0:
            r.set_param("set_burn_share_bps", rng.choice([4_999, 5_000, 6_500, 10_000]))
            r.set_param("set_max_swap_usdc", rng.choice([200 * USDC, 2_000 * USDC, 25_000 * USDC]))
        if epoch % 12 == 0:
            r.set_param("set_reserve_epochs", rng.choice([1, 5, 366]))
    assert r.ide.last_settled == EPOCHS
    # the run reached every kind of operation it is meant to compare
    for what in (
        "settle exact_output",
        "settle exact_input",
        "buyback_and_burn exact_input",
        "partial fill",
        f"price flag {model.PRICE_AT_TWAP}",
        f"price flag {model.PRICE_CLAMPED_UP}",
        f"price flag {model.PRICE_CLAMPED_DOWN}",
        "retire",
        "state_epoch reverts",
        "settle reverts",
        "buyback_and_burn reverts",
    ):
        assert r.seen.get(what, 0) > 0, (what, sorted(r.seen.items()))
    assert r.ide.shortfall_epochs > 0 and r.ide.burned_fee_io > 0

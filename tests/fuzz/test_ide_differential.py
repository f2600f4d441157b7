"""The IncentiveEngine on Anvil against its integer reference model (ionet/ide.py), to the wei.

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
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import ape
import pytest

from ionet import IO, USDC
from ionet import ide as model
from ionet import market as m
from ionet.chain import clock
from ionet.settlement import quote
from tests.ide_helpers import activate, chain_state, close_twap, epoch_end, fee_device, model_state

EPOCHS = 30
SEED = 20260611
MAX = 2**256 - 1
GOV, ORACLE = "governance", "oracle"


class _Probe(Exception):
    """The model asked for a trade: the chain's fill is needed first."""


def _probe(_request: model.SwapRequest) -> int:
    raise _Probe


ModelOp = Callable[[model.IncentiveEngine, model.Swap], Any]


class Run:
    def __init__(self, suite: Any, market: Any, owner: Any, operator: Any, alice: Any, renter: Any, device: bytes):
        self.suite, self.market, self.owner, self.operator, self.alice = suite, market, owner, operator, alice
        self.renter, self.device = renter, device
        self.engine = suite.IncentiveEngine
        self.ide = model.IncentiveEngine(governance=GOV, oracle=ORACLE, start_time=int(self.engine.start_time()),
                                         reference_price=int(self.engine.epoch_info(0).twap_price))
        self.seen: dict[str, int] = {}
        self.moved = True  # a trade since the pool last rested

    def count(self, what: str) -> None:
        self.seen[what] = self.seen.get(what, 0) + 1

    # ------------------------------------------------------------ comparing
    def check(self, what: str) -> None:
        assert chain_state(self.engine) == model_state(self.ide), what
        assert self.suite.IOToken.balanceOf(self.engine) == self.ide.reward_vault + self.ide.fee_io, what
        assert self.suite.USDC.balanceOf(self.suite.FeeVaultDesk) == self.ide.fee_usdc, what
        self.ide.check_invariants()

    def price(self) -> model.Price:
        """Rest the pool past the window first: the mean tick is then the spot tick, the same in the
        block the next transaction lands in."""
        window = int(self.engine.twap_window())
        if self.moved:  # (only then: resting costs time, and time brings emission)
            clock.advance(window + 1)
            self.moved = False
        mean = self.market.mean_tick(window=window)
        return model.Price(twap=m.quote_at_tick(mean, IO, self.suite.IOToken.address, self.suite.USDC.address))

    # ------------------------------------------------------------ one operation: chain first, then the model
    def both(
        self,
        name: str,
        model_op: ModelOp,
        chain_op: Callable[[], Any],
        fill: Callable[[Any, model.SwapRequest], model.Fill] | None = None,
    ) -> tuple[Any, Any] | None:
        try:
            model_op(copy.deepcopy(self.ide), _probe)
        except model.IDEError as err:
            with ape.reverts(str(err)):
                chain_op()
            self.count(f"{name} reverts")
            self.count(f"{name} reverts: {err}")
            return None
        except _Probe:
            pass
        tx = chain_op()  # settle_is_live: nothing the model accepts may revert, whatever the pool did

        def swap(request: model.SwapRequest) -> model.Fill:
            assert fill is not None, f"{name}: the model traded, the chain did not"
            self.count(f"{name} {request.kind}")
            return fill(tx, request)

        result = model_op(self.ide, swap)
        self.count(name)
        self.check(name)
        return tx, result

    # ------------------------------------------------------------ the operations
    def book(self, rng: random.Random) -> None:
        router = self.suite.SettlementRouter
        if rng.random() < 0.8:
            cost = rng.randrange(1_000, 150_000) * USDC
            router.book(self.device, self.suite.USDC, 1, cost, quote(cost, 1, True).total, sender=self.renter)
        if rng.random() < 0.6:
            cost = rng.randrange(1_000, 200_000) * IO
            router.book(self.device, self.suite.IOToken, 1, cost, quote(cost, 1, False).total, sender=self.renter)

    def collect(self) -> None:
        router = self.suite.SettlementRouter
        usdc, io = int(router.fees(self.suite.USDC)), int(router.fees(self.suite.IOToken))
        price = self.price() if io else None
        self.both(
            "collect_fees",
            lambda ide, _s: ide.collect_fees(usdc, io, price),
            lambda: self.engine.collect_fees(sender=self.alice),
        )

    def sync(self) -> None:
        tx = self.engine.sync_emission(sender=self.alice)
        self.ide.receive_emission(int(tx.return_value))
        self.count("sync_emission")
        self.check("sync_emission")

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

    def state(self, epoch: int, usd: int) -> None:
        clock.advance_to(epoch_end(self.engine, epoch) + 60)
        now = int(ape.chain.pending_timestamp)
        twap = close_twap(self.engine, self.market, epoch)
        out = self.both(
            "state_epoch",
            lambda ide, _s: ide.state_epoch(ORACLE, epoch, usd, now, twap),
            lambda: self.engine.state_epoch(epoch, usd, sender=self.operator),
        )
        if out is not None:
            [ev] = self.engine.EpochStated.from_receipt(out[0])
            assert (ev.twap_price, ev.price, ev.price_flag) == (twap or 0, *self.ide.prices[epoch])
            self.count(f"price flag {ev.price_flag}")

    def settle(self, epoch: int) -> None:
        price = self.price()
        due = {"amount": 0}

        def chain_op() -> Any:
            tx = self.engine.settle(epoch, sender=self.alice)
            received = self.engine.EmissionReceived.from_receipt(tx)
            due["amount"] = int(received[0].amount) if received else 0
            return tx

        def fill(tx: Any, request: model.SwapRequest) -> model.Fill:
            return self.desk_fill(tx, request)

        out = self.both("settle", lambda ide, sw: ide.settle(epoch, price, sw, due["amount"]), chain_op, fill)
        if out is None:
            return
        tx, s = out
        self.moved = self.moved or s.io_bought > 0
        [ev] = self.engine.EpochSettled.from_receipt(tx)
        assert (
            ev.from_reward_vault, ev.from_fee_io, ev.from_fee_usdc_swap, ev.usdc_spent, ev.io_bought,
            ev.shortfall_io, ev.shortfall_usd, ev.fee_usd, ev.twap_price, ev.io_needed,
        ) == (
            s.from_reward_vault, s.from_fee_io, s.from_fee_usdc_swap, s.usdc_spent, s.io_bought,
            s.shortfall_io, s.shortfall_usd, s.fee_usd, s.twap, s.io_needed,
        )  # fmt: skip
        if s.from_fee_io or s.from_fee_usdc_swap:  # reward_vault_first
            assert ev.reward_vault == 0
        if s.from_fee_usdc_swap:  # reward_vault_first: the Fee Vault's IO went before its USDC
            assert ev.fee_io == s.io_bought - s.from_fee_usdc_swap
        if s.shortfall_io:
            self.count("shortfall")

    def burn(self) -> None:
        price = self.price()

        def fill(tx: Any, request: model.SwapRequest) -> model.Fill:
            return self.desk_fill(tx, request)

        supply, minted = self.suite.IOToken.totalSupply(), self.suite.IOToken.total_minted()
        out = self.both(
            "buyback_and_burn",
            lambda ide, sw: ide.buyback_and_burn(price, sw),
            lambda: self.engine.buyback_and_burn(sender=self.alice),
            fill,
        )
        if out is not None and out[1] is not None:
            _tx, b = out
            self.moved = self.moved or b.usdc_spent > 0
            # burns_accounted: the supply falls by exactly the burn; the emission alone mints
            assert self.suite.IOToken.totalSupply() == supply - b.io_burned
            assert self.suite.IOToken.total_minted() == minted

    def desk_fill(self, tx: Any, request: model.SwapRequest) -> model.Fill:
        """The FeeVaultDesk's fill of the request (none when the pool was at the limit already)."""
        fills = self.suite.FeeVaultDesk.IOBought.from_receipt(tx)
        if not fills:
            self.count("no fill at the limit")
            return model.Fill(0, 0)
        [ev] = fills
        assert ev.exact_output == (request.kind == model.EXACT_OUTPUT) and ev.amount == request.amount
        if (ev.io_received < request.amount) if ev.exact_output else (ev.usdc_paid < request.amount):
            self.count("partial fill")
        return model.Fill(int(ev.usdc_paid), int(ev.io_received))

    def retire(self, amount: int) -> None:
        self.both(
            "retire", lambda ide, _s: ide.retire(GOV, amount), lambda: self.engine.retire(amount, sender=self.owner)
        )

    def set_param(self, setter: str, value: int) -> None:
        self.both(
            setter,
            lambda ide, _s: getattr(ide, setter)(GOV, value),
            lambda: getattr(self.engine, setter)(value, sender=self.owner),
        )


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
    return Run(suite, market, owner, operator, alice, renter, device)


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

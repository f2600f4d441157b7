"""The IncentiveEngine on Anvil against its integer reference model (ionet/models/ide.py), to the wei: the
harness the differential tests share (tests/fuzz/test_ide_differential.py, a seeded random run;
tests/integration/test_ide_stress_on_chain.py, the published stress scenarios of `make ide-sim`).

`Run.both` does one operation on the chain first, then the same operation on the model, whose trades
are filled with the pool's own fills as the FeeVaultDesk logs them (partial ones included, each
checked by the model against the bound it computed itself); then every view of the engine must equal
the model's figure, the engine's IO and the desk's USDC balances the ledgers, and the model's
invariants hold. A call the model refuses must revert on chain with the same reason; nothing else may
revert (settle_is_live). reward_vault_first and twap_bound are checked on every settlement and burn.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import ape

from ionet import IO
from ionet.chain import clock
from ionet.models import ide as model
from ionet.models import market as m
from tests.ide_helpers import chain_state, close_twap, epoch_end, model_state

GOV, ORACLE = "governance", "oracle"


class _Probe(Exception):
    """The model asked for a trade: the chain's fill is needed first."""


def _probe(_request: model.SwapRequest) -> int:
    raise _Probe


ModelOp = Callable[[model.IncentiveEngine, model.Swap], Any]


class Run:
    """The suite's engine (already active) and a model started at its activation, compared after
    every operation. `renter` and `device` are for the tests' bookings; `seen` counts what ran."""

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
    def collect(self) -> int | None:
        """Anyone collects the router's fees into the Fee Vault; returns their USD value."""
        router = self.suite.SettlementRouter
        usdc, io = int(router.fees(self.suite.USDC)), int(router.fees(self.suite.IOToken))
        price = self.price() if io else None
        out = self.both(
            "collect_fees",
            lambda ide, _s: ide.collect_fees(usdc, io, price),
            lambda: self.engine.collect_fees(sender=self.alice),
        )
        return None if out is None else out[1]

    def sync(self) -> int:
        """Anyone syncs the emission into the Reward Vault; returns what it brought."""
        tx = self.engine.sync_emission(sender=self.alice)
        amount = int(tx.return_value)
        self.ide.receive_emission(amount)
        self.count("sync_emission")
        self.check("sync_emission")
        return amount

    def state(self, epoch: int, usd: int) -> None:
        """The oracle states `usd` owed for `epoch`, 60 s after its close (the epoch's price is
        checked against the model's: the close TWAP, the clamp, its flag)."""
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

    def settle(self, epoch: int) -> model.Settlement | None:
        """Anyone settles `epoch`; returns the model's settlement (None when refused)."""
        self.price()  # the pool rests past the window first (the run's timeline; no price is read by settle)
        due = {"amount": 0}

        def chain_op() -> Any:
            tx = self.engine.settle(epoch, sender=self.alice)
            received = self.engine.EmissionReceived.from_receipt(tx)
            due["amount"] = int(received[0].amount) if received else 0
            return tx

        def fill(tx: Any, request: model.SwapRequest) -> model.Fill:
            return self.desk_fill(tx, request)

        out = self.both("settle", lambda ide, sw: ide.settle(epoch, sw, due["amount"]), chain_op, fill)
        if out is None:
            return None
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
        return s

    def burn(self) -> model.Burn | None:
        """Anyone triggers the buyback-and-burn; returns the model's burn (None when refused or
        when nothing could be bought or burned)."""
        self.price()  # the pool rests past the window first (the run's timeline; a burn reads no price)

        def fill(tx: Any, request: model.SwapRequest) -> model.Fill:
            return self.desk_fill(tx, request)

        supply, minted = self.suite.IOToken.totalSupply(), self.suite.IOToken.total_minted()
        out = self.both(
            "buyback_and_burn",
            lambda ide, sw: ide.buyback_and_burn(sw),
            lambda: self.engine.buyback_and_burn(sender=self.alice),
            fill,
        )
        if out is None or out[1] is None:
            return None
        _tx, b = out
        self.moved = self.moved or b.usdc_spent > 0
        # burns_accounted: the supply falls by exactly the burn; the emission alone mints
        assert self.suite.IOToken.totalSupply() == supply - b.io_burned
        assert self.suite.IOToken.total_minted() == minted
        return b

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

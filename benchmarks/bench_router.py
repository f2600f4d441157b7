"""Gas of the SettlementRouter (issues 6 and 10) beside LlamaPay and Sablier Flow (docs/gas-anchors.md), each
operation measured with 1 and with 10,000 open bookings. Every record bears the supplier reservation
fee (0.25 %) and a provider's USDC withdrawal the payment fee (2 %); the market's operations
(the MarketDesk's withdraw_as_io and book_with_asset) are in bench_market.py.

Conventions (the anchors' own): one transaction per block, so every access is cold; a provider
that is paid has been paid before (its router balance is nonzero: providers are credited daily),
and a withdrawal goes to an address that already holds USDC. The first-ever credit of a provider
and a withdrawal to a fresh address cost about 17,100 more each (a storage slot going from zero to
nonzero, the same for any ERC-20 transfer); they are listed without a goal. USDC is MockUSDC,
which keeps FiatTokenV2_2's storage layout (blacklist flag in the balance word) but has no proxy
(the real USDC's proxy adds about 7,200 gas to every call into it).

The 10,000 open bookings are made by a bench-only contract (contracts/mocks/BenchBookingFiller.vy,
up to 300 bookings per transaction); the measured transactions are real single transactions.
"""

from __future__ import annotations

from typing import Any

from ape import accounts, chain, project

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO, USDC
from ionet.chain.settlement_setup import fund, register_eligible_device
from ionet.chain.signing import Domain, random_nonce, sign_authorization, sign_permit

AREA = "SettlementRouter"
RATE = 2 * USDC  # 2 USDC per GPU-hour
BATCH = 50
OPEN_BOOKINGS = 10_000
FILL_PER_TX = 300
MAX = 2**256 - 1
LLAMAPAY = ("LlamaPay create+fund 156,500; Sablier Flow createAndDeposit 126,203", 156_500)


def _advance(seconds: int) -> None:
    chain.pending_timestamp = chain.pending_timestamp + seconds
    chain.mine()


class Env:
    """Devices, providers and a renter for the bench, on the suite's router and NodeStaking."""

    def __init__(self, eco: Any) -> None:
        s = eco.suite
        self.eco, self.router, self.usdc, self.io = eco, s.SettlementRouter, s.USDC, s.IOToken
        self.admin, self.operator, self.treasury = eco.admin, eco.operator, eco.treasury
        self.renter = eco.renter_x
        fund(s, self.admin, self.renter, usdc=10_000_000 * USDC, io=1_000_000 * IO)
        self.usdc.approve(self.router, MAX, sender=self.renter)  # the prior approve
        self.io.approve(self.router, MAX, sender=self.renter)
        self.provider = eco.provider_a
        self.device = register_eligible_device(s, self.admin, self.provider, "bench-gpu-main")
        self.providers, self.devices = [], []
        for i in range(BATCH):
            acct = accounts.test_accounts.generate_test_account()
            self.admin.transfer(acct, 10**18)
            self.providers.append(acct)
            self.devices.append(register_eligible_device(s, self.admin, acct, f"bench-gpu-{i}"))
        # Steady state: every provider has been credited before, and holds USDC in its wallet.
        ids = [self.book(d) for d in [self.device, *self.devices]]
        _advance(3_600)
        self.router.record_work_batch(ids, [1] * len(ids), sender=self.operator)  # completes them
        fund(s, self.admin, self.provider, usdc=1)

    def book(self, device: bytes, hours: int = 1, token: Any = None) -> int:
        token = token or self.usdc
        rate = RATE if token == self.usdc else 3 * IO
        self.router.book(device, token, hours, rate, MAX, sender=self.renter)
        return self.router.next_booking_id() - 1

    def fill(self, count: int) -> None:
        """`count` open bookings (1,000 h at 1 base unit/h) made by BenchBookingFiller."""
        filler = self.admin.deploy(project.BenchBookingFiller)
        fund(self.eco.suite, self.admin, filler, usdc=count * 1_100)
        done = 0
        while done < count:
            n = min(FILL_PER_TX, count - done)
            filler.fill(self.router, self.usdc, self.device, n, 1_000, 1, sender=self.admin)
            done += n


def _round(env: Env, label: str) -> list[GasRow]:
    """The measured operations, in a state with `label` open bookings (plus the measured ones)."""
    r, rows = env.router, []
    rows.append(
        at_most(
            AREA,
            f"book in USDC, prior approve ({label})",
            gas_of(r.book(env.device, env.usdc, 48, RATE, MAX, sender=env.renter)),
            150_000,
            *LLAMAPAY,
        )
    )
    bid = r.next_booking_id() - 1
    batch_ids = [env.book(d, hours=48) for d in env.devices]
    _advance(3_600)
    rows.append(
        at_most(
            AREA,
            f"record_work, one booking ({label})",
            gas_of(r.record_work(bid, 1, sender=env.operator)),
            50_000,
        )
    )
    tx = r.record_work_batch(batch_ids, [1] * BATCH, sender=env.operator)
    rows.append(
        at_most(
            AREA,
            f"record_work_batch of {BATCH} ({BATCH} providers), per booking ({label})",
            gas_of(tx) // BATCH,
            30_000,
        )
    )
    rows.append(GasRow(AREA, f"record_work_batch of {BATCH}, whole transaction ({label})", gas_of(tx)))
    rows.append(
        at_most(
            AREA,
            f"withdraw USDC income by a provider (2 % payment fee), to an address holding USDC ({label})",
            gas_of(r.withdraw(env.usdc, RATE, env.provider, sender=env.provider)),
            60_000,
        )
    )
    return rows


def _others(env: Env) -> list[GasRow]:
    """Operations without a goal, for the record."""
    r, rows, s = env.router, [], env.eco.suite
    env.book(env.device, hours=48, token=env.io)  # the router already holds IO, as in steady state
    rows.append(
        GasRow(
            AREA,
            "book in IO, prior approve",
            gas_of(r.book(env.device, env.io, 48, 3 * IO, MAX, sender=env.renter)),
        )
    )
    # book_with_permit / book_with_authorization need a renter without an allowance
    renter = env.eco.renter_y
    fund(s, env.admin, renter, usdc=1_000 * USDC)
    total = r.quote(env.usdc, RATE, 48)[3]
    domain = Domain("USD Coin", "2", chain.chain_id, env.usdc.address)
    deadline = chain.pending_timestamp + 3_600
    v, rr, ss = sign_permit(
        renter.private_key, domain, renter.address, r.address, total, env.usdc.nonces(renter), deadline
    )
    rows.append(
        GasRow(
            AREA,
            "book_with_permit in USDC (no prior approve)",
            gas_of(
                r.book_with_permit(env.device, env.usdc, 48, RATE, total, deadline, v, rr, ss, sender=renter)
            ),
        )
    )
    nonce = random_nonce()
    v, rr, ss = sign_authorization(
        renter.private_key, domain, renter.address, r.address, total, 0, deadline, nonce
    )
    rows.append(
        GasRow(
            AREA,
            "book_with_authorization (EIP-3009 receiveWithAuthorization)",
            gas_of(
                r.book_with_authorization(
                    env.device, 48, RATE, total, 0, deadline, nonce, v, rr, ss, sender=renter
                )
            ),
        )
    )
    bid = r.next_booking_id() - 1
    _advance(7_200)
    rows.append(
        GasRow(AREA, "end_booking by the renter (refund credited)", gas_of(r.end_booking(bid, sender=renter)))
    )
    rows.append(
        GasRow(
            AREA,
            "withdraw_refund USDC by the renter (no fee), to its wallet",
            gas_of(r.withdraw_refund(env.usdc, RATE, renter, sender=renter)),
        )
    )
    rows.append(
        GasRow(
            AREA,
            "operator_end_booking, final hours 1",
            gas_of(r.operator_end_booking(bid - 1, 1, sender=env.operator)),
        )
    )
    bid = env.book(env.device, hours=1)
    _advance(3_600 + 86_400)
    rows.append(
        GasRow(
            AREA,
            "settle_expired (anyone, after the grace period)",
            gas_of(r.settle_expired(bid, sender=env.provider)),
        )
    )
    fresh = accounts.test_accounts.generate_test_account()
    env.admin.transfer(fresh, 10**18)
    device = register_eligible_device(s, env.admin, fresh, "bench-gpu-fresh")
    bid = env.book(device, hours=2)
    _advance(3_600)
    rows.append(
        GasRow(
            AREA,
            "record_work, first-ever credit of a provider (+zero-to-nonzero slot)",
            gas_of(r.record_work(bid, 1, sender=env.operator)),
        )
    )
    rows.append(
        GasRow(
            AREA,
            "withdraw USDC income to a fresh address (+zero-to-nonzero slot)",
            gas_of(r.withdraw(env.usdc, r.income(fresh, env.usdc), fresh, sender=fresh)),
        )
    )
    rows.append(
        GasRow(
            AREA,
            "withdraw_fees USDC by the treasury (to its fresh address)",
            gas_of(r.withdraw_fees(env.usdc, r.fees(env.usdc), env.treasury, sender=env.treasury)),
        )
    )
    return rows


def measure(eco: Any) -> list[GasRow]:
    rows: list[GasRow] = []
    with isolated():
        env = Env(eco)
        with isolated():
            env.book(env.device, hours=1_000)  # the one open booking
            rows += _round(env, "1 open booking")
        with isolated():
            rows += _others(env)
        env.fill(OPEN_BOOKINGS)
        assert env.router.next_booking_id() > OPEN_BOOKINGS
        rows += _round(env, f"{OPEN_BOOKINGS:,} open bookings")
    return rows

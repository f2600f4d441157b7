"""Shared constants and helpers of the settlement router tests."""

from __future__ import annotations

from eth_utils import keccak

from ionet.models.settlement import payment_fee, payout, quote

DEVICE_A = keccak(text="device-a")
DEVICE_B = keccak(text="device-b")
DEVICE_OFF = keccak(text="device-ineligible")
UNKNOWN_DEVICE = keccak(text="device-unknown")
HOUR = 3_600
DAY = 86_400
USDC_RATE = 2_500_000  # 2.5 USDC per hour
IO_RATE = 3 * 10**18  # 3 IO per hour
MAX = 2**256 - 1


def total_of(router, token, rate: int, hours: int) -> int:
    return quote(rate, hours, token.address == router.USDC()).total


def net(gross: int) -> int:
    """What a provider's income grows by for one payment of `gross` (less the supplier fee)."""
    return payout(gross).net


def sfee(gross: int) -> int:
    """The supplier reservation fee of one payment of `gross`."""
    return payout(gross).supplier_fee


def paid_out(amount: int, is_usdc: bool = True) -> int:
    """What a provider receives for withdrawing `amount` of its income (less the payment fee)."""
    return amount - payment_fee(amount, is_usdc)


def book(router, token, renter, rate: int, hours: int, device: bytes = DEVICE_A, approve: bool = True):
    """Approve exactly the total and book; returns (booking_id, receipt)."""
    total = total_of(router, token, rate, hours)
    if approve:
        token.approve(router, total, sender=renter)
    tx = router.book(device, token, hours, rate, total, sender=renter)
    return tx.return_value, tx


def conserved(router, usdc, io) -> bool:
    """Invariant 1 (conservation): tokens held == escrow + credited + fees, per currency."""
    return all(
        t.balanceOf(router) == router.total_escrow(t) + router.total_credited(t) + router.fees(t)
        for t in (usdc, io)
    )


def usdc_domain(usdc):
    from ape import chain

    from ionet.chain.signing import Domain

    return Domain("USD Coin", "2", chain.chain_id, usdc.address)


def io_domain(io):
    from ape import chain

    from ionet.chain.signing import Domain

    return Domain("IO", "1", chain.chain_id, io.address)


def one_log(tx, event):
    logs = tx.decode_logs(event)
    assert len(logs) == 1, f"expected one {event.name}, got {len(logs)}"
    return logs[0]

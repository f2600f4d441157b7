"""The suite's SettlementRouter over the real NodeStaking: eligibility comes from staking, the
provider is fixed at booking time, and the money adds up across a whole flow."""

import ape
from ape import chain

from ionet import IO, USDC
from ionet.chain.settlement_setup import fund, register_eligible_device
from ionet.chain.signing import random_nonce, sign_authorization
from ionet.models.staking import device_id
from tests.router_helpers import HOUR, MAX, conserved, net, usdc_domain


def test_router_with_node_staking__full_flow__pays_everyone_and_conserves(
    suite, owner, operator, treasury, alice, bob, provider, provider2
):
    router, usdc, io = suite.SettlementRouter, suite.USDC, suite.IOToken
    gpu = register_eligible_device(suite, owner, provider, "it-gpu-1", "H100", 2)
    rig = register_eligible_device(suite, owner, provider2, "it-gpu-2", "RTX 4090", 1)
    fund(suite, owner, alice, usdc=10_000 * USDC)
    fund(suite, owner, bob, io=10_000 * IO)
    total = router.quote(usdc, 4 * USDC, 24)[3]
    nonce, before = random_nonce(), chain.pending_timestamp + HOUR
    v, r, s = sign_authorization(
        alice.private_key, usdc_domain(usdc), alice.address, router.address, total, 0, before, nonce
    )
    router.book_with_authorization(gpu, 24, 4 * USDC, total, 0, before, nonce, v, r, s, sender=alice)
    b1 = router.next_booking_id() - 1
    io.approve(router, MAX, sender=bob)
    router.book(rig, io, 10, IO, MAX, sender=bob)
    b2 = router.next_booking_id() - 1
    chain.pending_timestamp += 6 * HOUR
    chain.mine()
    router.record_work_batch([b1, b2], [6, 6], sender=operator)
    router.end_booking(b2, sender=bob)
    chain.pending_timestamp = router.settleable_at(b1)
    chain.mine()
    router.settle_expired(b1, sender=provider)
    assert router.income(provider, usdc) == net(6 * 4 * USDC) + net(18 * 4 * USDC)
    assert router.income(provider2, io) >= net(6 * IO) and router.refunds(bob, io) > 0
    router.withdraw(usdc, router.income(provider, usdc), provider, sender=provider)
    router.withdraw_refund(io, router.refunds(bob, io), bob, sender=bob)
    router.withdraw_fees(usdc, router.fees(usdc), treasury, sender=treasury)
    assert conserved(router, usdc, io)
    assert router.total_escrow(usdc) == 0 and router.total_escrow(io) == 0


def test_router_with_node_staking__unstaked_device__refused_but_open_booking_still_pays(
    suite, owner, operator, alice, provider
):
    router, usdc, staking = suite.SettlementRouter, suite.USDC, suite.NodeStaking
    gpu = register_eligible_device(suite, owner, provider, "it-gpu-3")
    fund(suite, owner, alice, usdc=1_000 * USDC)
    usdc.approve(router, MAX, sender=alice)
    router.book(gpu, usdc, 5, USDC, MAX, sender=alice)
    bid = router.next_booking_id() - 1
    staking.unstake(gpu, sender=provider)  # stake in cooldown no longer counts: the device is ineligible
    assert not staking.is_eligible(gpu)
    with ape.reverts("SettlementRouter: device not eligible"):
        router.book(gpu, usdc, 5, USDC, MAX, sender=alice)
    with ape.reverts("SettlementRouter: unknown device"):
        router.book(device_id("never registered"), usdc, 5, USDC, MAX, sender=alice)
    chain.pending_timestamp += 2 * HOUR
    chain.mine()
    router.record_work(bid, 2, sender=operator)  # the booking made while eligible is honoured
    assert router.income(provider, usdc) == net(2 * USDC)

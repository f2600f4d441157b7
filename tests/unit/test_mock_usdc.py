"""MockUSDC behaves as Circle's FiatTokenV2_2 is published to (the router's tests rely on it)."""

import ape
import pytest
from ape import chain

from ionet.chain.signing import _sign, random_nonce, sign_authorization, sign_permit
from tests.router_helpers import HOUR, usdc_domain

CANCEL_TYPES = {
    "CancelAuthorization": [{"name": "authorizer", "type": "address"}, {"name": "nonce", "type": "bytes32"}]
}


@pytest.fixture
def funded(usdc, owner, alice):
    usdc.mint(alice, 1_000 * 10**6, sender=owner)
    return usdc


def test_metadata__as_fiat_token_v2_2(usdc):
    assert (usdc.name(), usdc.symbol(), usdc.decimals(), usdc.version(), usdc.currency()) == (
        "USD Coin",
        "USDC",
        6,
        "2",
        "USD",
    )
    domain = usdc.eip712Domain()
    assert (domain[1], domain[2], domain[3], domain[4]) == ("USD Coin", "2", chain.chain_id, usdc.address)


def test_transfer__plain__moves_balance(funded, alice, bob):
    before = funded.balanceOf(bob)
    tx = funded.transfer(bob, 10, sender=alice)
    assert funded.balanceOf(bob) == before + 10
    assert len(tx.decode_logs(funded.Transfer)) == 1
    with ape.reverts("ERC20: transfer amount exceeds balance"):
        funded.transfer(bob, 10**18, sender=alice)


def test_permit__signed__sets_allowance_and_rejects_expired_wrong_or_replayed(funded, alice, bob, carol):
    d = usdc_domain(funded)
    deadline = chain.pending_timestamp + HOUR
    v, r, s = sign_permit(alice.private_key, d, alice.address, bob.address, 50, 0, deadline)
    funded.permit(alice, bob, 50, deadline, v, r, s, sender=carol)
    assert funded.allowance(alice, bob) == 50 and funded.nonces(alice) == 1
    with ape.reverts("EIP2612: invalid signature"):  # replay: the nonce moved on
        funded.permit(alice, bob, 50, deadline, v, r, s, sender=carol)
    v, r, s = sign_permit(bob.private_key, d, alice.address, bob.address, 50, 1, deadline)
    with ape.reverts("EIP2612: invalid signature"):
        funded.permit(alice, bob, 50, deadline, v, r, s, sender=carol)
    past = chain.blocks.head.timestamp - 1
    v, r, s = sign_permit(alice.private_key, d, alice.address, bob.address, 50, 1, past)
    with ape.reverts("FiatTokenV2: permit is expired"):
        funded.permit(alice, bob, 50, past, v, r, s, sender=carol)


def test_transfer_with_authorization__random_nonce__anyone_submits_once(funded, alice, bob, carol):
    nonce = random_nonce()
    args = (alice.address, bob.address, 7, 0, chain.pending_timestamp + HOUR, nonce)
    v, r, s = sign_authorization(alice.private_key, usdc_domain(funded), *args, receive=False)
    assert not funded.authorizationState(alice, nonce)
    before = funded.balanceOf(bob)
    funded.transferWithAuthorization(*args, v, r, s, sender=carol)
    assert funded.balanceOf(bob) == before + 7 and funded.authorizationState(alice, nonce)
    with ape.reverts("FiatTokenV2: authorization is used or canceled"):
        funded.transferWithAuthorization(*args, v, r, s, sender=carol)


def test_receive_with_authorization__only_the_payee__submits(funded, alice, bob, carol):
    args = (alice.address, bob.address, 7, 0, chain.pending_timestamp + HOUR, random_nonce())
    v, r, s = sign_authorization(alice.private_key, usdc_domain(funded), *args)
    with ape.reverts("FiatTokenV2: caller must be the payee"):
        funded.receiveWithAuthorization(*args, v, r, s, sender=carol)
    funded.receiveWithAuthorization(*args, v, r, s, sender=bob)
    # a transfer-type signature is not a receive-type one
    args2 = (alice.address, bob.address, 7, 0, chain.pending_timestamp + HOUR, random_nonce())
    v, r, s = sign_authorization(alice.private_key, usdc_domain(funded), *args2, receive=False)
    with ape.reverts("FiatTokenV2: invalid signature"):
        funded.receiveWithAuthorization(*args2, v, r, s, sender=bob)


def test_cancel_authorization__unused_nonce__blocks_it(funded, alice, bob):
    nonce = random_nonce()
    v, r, s = _sign(
        alice.private_key, usdc_domain(funded), CANCEL_TYPES, {"authorizer": alice.address, "nonce": nonce}
    )
    tx = funded.cancelAuthorization(alice, nonce, v, r, s, sender=bob)
    assert funded.authorizationState(alice, nonce)
    assert len(tx.decode_logs(funded.AuthorizationCanceled)) == 1
    with ape.reverts("FiatTokenV2: authorization is used or canceled"):
        funded.cancelAuthorization(alice, nonce, v, r, s, sender=bob)


def test_blacklist__listed_account__cannot_send_receive_approve(funded, usdc, owner, alice, bob, carol):
    with ape.reverts("Blacklistable: caller is not the blacklister"):
        funded.blacklist(bob, sender=alice)
    funded.blacklist(bob, sender=owner)
    assert funded.isBlacklisted(bob)
    with ape.reverts("Blacklistable: account is blacklisted"):
        funded.transfer(bob, 1, sender=alice)
    with ape.reverts("Blacklistable: account is blacklisted"):
        funded.approve(bob, 1, sender=alice)
    funded.approve(carol, 5, sender=alice)
    with ape.reverts("Blacklistable: account is blacklisted"):
        funded.transferFrom(alice, bob, 1, sender=carol)
    balance = funded.balanceOf(alice)
    funded.blacklist(alice, sender=owner)
    assert funded.balanceOf(alice) == balance  # the flag bit never shows in the balance
    with ape.reverts("Blacklistable: account is blacklisted"):
        funded.transfer(carol, 1, sender=alice)
    funded.unBlacklist(alice, sender=owner)
    funded.transfer(carol, 1, sender=alice)


def test_pause__paused__every_transfer_reverts(funded, owner, alice, bob):
    with ape.reverts("Pausable: caller is not the pauser"):
        funded.pause(sender=alice)
    funded.pause(sender=owner)
    assert funded.paused()
    with ape.reverts("Pausable: paused"):
        funded.transfer(bob, 1, sender=alice)
    with ape.reverts("Pausable: paused"):
        funded.mint(bob, 1, sender=owner)
    funded.unpause(sender=owner)
    funded.transfer(bob, 1, sender=alice)


def test_mint__minters_only_within_allowance(usdc, owner, alice, bob):
    with ape.reverts("FiatToken: caller is not a minter"):
        usdc.mint(bob, 1, sender=alice)
    with ape.reverts("FiatToken: caller is not the masterMinter"):
        usdc.configureMinter(alice, 5, sender=alice)
    usdc.configureMinter(alice, 5, sender=owner)
    usdc.mint(bob, 5, sender=alice)
    with ape.reverts("FiatToken: mint amount exceeds minterAllowance"):
        usdc.mint(bob, 1, sender=alice)

"""IOToken: genesis, the set-once minter, the cumulative cap, burns, ERC-20, EIP-2612, admin."""

from __future__ import annotations

import ape
import pytest
from ape import chain, project

from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.chain.signing import Domain, sign_permit
from ionet.models.emission import GENESIS_SUPPLY, MAX_SUPPLY


@pytest.fixture
def holder(fund, carol):
    """An account holding 1,000 IO (after deployment the genesis sits in the vesting vaults)."""
    fund(carol, 1_000 * IO)
    return carol


@pytest.fixture
def bare_token(owner, alice):
    """A token with the whole genesis at `owner` and no minter yet (for mint-path tests)."""
    return owner.deploy(project.IOToken, [owner.address], [GENESIS_SUPPLY])


@pytest.fixture
def minted_by_alice(bare_token, owner, alice):
    bare_token.set_minter(alice, sender=owner)
    return bare_token


# ---------------------------------------------------------------- metadata and genesis
def test_metadata__deployed__ERC20_fields_and_constants(token):
    assert token.name() == "IO"
    assert token.symbol() == "IO"
    assert token.decimals() == 18
    assert token.MAX_SUPPLY() == MAX_SUPPLY
    assert token.GENESIS_SUPPLY() == GENESIS_SUPPLY


def test_constructor__genesis_list__mints_exactly_500M_with_events(owner, alice, bob):
    amounts = [100_000_000 * IO, 400_000_000 * IO]
    token = owner.deploy(project.IOToken, [alice.address, bob.address], amounts)
    assert token.balanceOf(alice) == amounts[0]
    assert token.balanceOf(bob) == amounts[1]
    assert token.totalSupply() == GENESIS_SUPPLY
    assert token.total_minted() == GENESIS_SUPPLY
    assert token.total_burned() == 0
    assert token.mintable_supply() == MAX_SUPPLY - GENESIS_SUPPLY
    assert token.owner() == owner.address
    assert token.minter() == ZERO
    receipt = chain.provider.get_receipt(token.txn_hash)
    genesis_logs = list(receipt.decode_logs(token.GenesisMinted))
    assert [(log.recipient, log.amount) for log in genesis_logs] == [
        (alice.address, amounts[0]), (bob.address, amounts[1])]
    transfers = list(receipt.decode_logs(token.Transfer))
    assert [(t.sender, t.receiver, t.value) for t in transfers] == [
        (ZERO, alice.address, amounts[0]), (ZERO, bob.address, amounts[1])]


@pytest.mark.parametrize("amounts", [[GENESIS_SUPPLY - 1], [GENESIS_SUPPLY + 1], [MAX_SUPPLY]])
def test_constructor__genesis_sum_not_500M__reverts(owner, alice, amounts, scratch_deployer):
    with ape.reverts("IOToken: genesis sum is not 500M"):
        scratch_deployer.deploy(project.IOToken, [alice.address], amounts)


def test_constructor__zero_recipient__reverts(owner, alice, scratch_deployer):
    with ape.reverts("IOToken: genesis recipient is the zero address"):
        scratch_deployer.deploy(project.IOToken, [alice.address, ZERO], [GENESIS_SUPPLY - IO, IO])


def test_constructor__zero_amount__reverts(owner, alice, bob, scratch_deployer):
    with ape.reverts("IOToken: genesis amount is zero"):
        scratch_deployer.deploy(project.IOToken, [alice.address, bob.address], [GENESIS_SUPPLY, 0])


def test_constructor__one_wei_genesis_amount__minted(owner, alice, bob):
    """The smallest genesis amount, one wei, is minted like any other: only 0 is refused."""
    token = owner.deploy(project.IOToken, [alice.address, bob.address], [GENESIS_SUPPLY - 1, 1])
    assert (token.balanceOf(alice), token.balanceOf(bob)) == (GENESIS_SUPPLY - 1, 1)
    assert token.total_minted() == token.totalSupply() == GENESIS_SUPPLY


def test_constructor__lengths_differ__reverts(owner, alice, bob, scratch_deployer):
    with ape.reverts("IOToken: genesis lengths differ"):
        scratch_deployer.deploy(project.IOToken, [alice.address, bob.address], [GENESIS_SUPPLY])


# ---------------------------------------------------------------- minter
def test_set_minter__by_admin_once__sets_and_logs(bare_token, owner, alice):
    receipt = bare_token.set_minter(alice, sender=owner)
    assert bare_token.minter() == alice.address
    assert [log.minter for log in receipt.decode_logs(bare_token.MinterSet)] == [alice.address]
    assert [(log.minter, log.status) for log in receipt.decode_logs(bare_token.RoleMinterChanged)] == [
        (alice.address, True)]


def test_set_minter__twice__reverts(minted_by_alice, owner, bob):
    with ape.reverts("IOToken: minter already set"):
        minted_by_alice.set_minter(bob, sender=owner)
    assert minted_by_alice.minter() != bob.address


def test_set_minter__by_non_admin__reverts(bare_token, attacker):
    with ape.reverts("ownable: caller is not the owner"):
        bare_token.set_minter(attacker, sender=attacker)
    assert bare_token.minter() == ZERO


def test_set_minter__zero_address__reverts(bare_token, owner):
    with ape.reverts("IOToken: minter is the zero address"):
        bare_token.set_minter(ZERO, sender=owner)


def test_set_minter__deployed_suite__is_the_emission_schedule(token, emission):
    assert token.minter() == emission.address


def test_role_minter_changed__replayed_from_deployment__the_emission_schedule_alone(suite, token, emission):
    """Issue 18, defect 4: snekmate's constructor logs RoleMinterChanged(deployer, true); the token
    revokes it (with the event) when its constructor ends and logs the emission schedule's grant in
    `set_minter`, so an indexer replaying the events finds the true minter set."""
    deployer = suite.deployer.address
    logs = list(token.RoleMinterChanged.range(suite.manifest.contracts["IOToken"].block, chain.blocks.head.number + 1))
    assert [(log.minter, log.status) for log in logs] == [(deployer, True), (deployer, False), (emission.address, True)]
    minters: set[str] = set()
    for log in logs:
        (minters.add if log.status else minters.discard)(log.minter)
    assert minters == {token.minter()} == {emission.address}


def test_mint__by_minter__mints_and_counts(minted_by_alice, alice, bob):
    receipt = minted_by_alice.mint(bob, 5 * IO, sender=alice)
    assert minted_by_alice.balanceOf(bob) == 5 * IO
    assert minted_by_alice.total_minted() == GENESIS_SUPPLY + 5 * IO
    assert minted_by_alice.totalSupply() == GENESIS_SUPPLY + 5 * IO
    assert [(t.sender, t.receiver, t.value) for t in receipt.decode_logs(minted_by_alice.Transfer)] == [
        (ZERO, bob.address, 5 * IO)]


def test_mint__by_non_minter__reverts(minted_by_alice, owner, attacker):
    for who in (attacker, owner):  # not even the admin
        with ape.reverts("IOToken: caller is not the minter"):
            minted_by_alice.mint(who, IO, sender=who)
    assert minted_by_alice.total_minted() == GENESIS_SUPPLY


def test_mint__before_minter_set__nobody_can_mint(bare_token, owner):
    with ape.reverts("IOToken: caller is not the minter"):
        bare_token.mint(owner, IO, sender=owner)


def test_mint__to_zero_address__reverts(minted_by_alice, alice):
    with ape.reverts("IOToken: mint to the zero address"):
        minted_by_alice.mint(ZERO, IO, sender=alice)


def test_mint__up_to_the_cap__allowed_then_one_wei_more_reverts(minted_by_alice, alice, bob):
    room = MAX_SUPPLY - GENESIS_SUPPLY
    with ape.reverts("IOToken: cap exceeded"):
        minted_by_alice.mint(bob, room + 1, sender=alice)
    minted_by_alice.mint(bob, room, sender=alice)
    assert minted_by_alice.total_minted() == MAX_SUPPLY
    assert minted_by_alice.mintable_supply() == 0
    with ape.reverts("IOToken: cap exceeded"):
        minted_by_alice.mint(bob, 1, sender=alice)


def test_mint__after_burn__cap_does_not_reopen(minted_by_alice, owner, alice, bob):
    minted_by_alice.mint(bob, MAX_SUPPLY - GENESIS_SUPPLY, sender=alice)
    minted_by_alice.burn(1_000 * IO, sender=owner)
    assert minted_by_alice.totalSupply() == MAX_SUPPLY - 1_000 * IO
    assert minted_by_alice.total_burned() == 1_000 * IO
    with ape.reverts("IOToken: cap exceeded"):
        minted_by_alice.mint(bob, 1, sender=alice)


# ---------------------------------------------------------------- burn
def test_burn__holder__lowers_supply_not_total_minted(token, holder):
    receipt = token.burn(7 * IO, sender=holder)
    assert token.totalSupply() == GENESIS_SUPPLY - 7 * IO
    assert token.total_minted() == GENESIS_SUPPLY
    assert token.total_burned() == 7 * IO
    assert token.balanceOf(holder) == 993 * IO
    assert [(t.sender, t.receiver, t.value) for t in receipt.decode_logs(token.Transfer)] == [
        (holder.address, ZERO, 7 * IO)]


def test_burn__more_than_balance__reverts(token, alice):
    with ape.reverts("erc20: burn amount exceeds balance"):
        token.burn(1, sender=alice)


def test_burn_from__with_allowance__burns_and_spends_allowance(token, holder, alice):
    token.approve(alice, 10 * IO, sender=holder)
    token.burn_from(holder, 4 * IO, sender=alice)
    assert token.allowance(holder, alice) == 6 * IO
    assert token.total_burned() == 4 * IO
    assert token.balanceOf(holder) == 996 * IO


def test_burn_from__without_allowance__reverts(token, owner, attacker):
    with ape.reverts("erc20: insufficient allowance"):
        token.burn_from(owner, IO, sender=attacker)


# ---------------------------------------------------------------- ERC-20
def test_transfer__balance__moves_and_logs(token, holder, alice):
    receipt = token.transfer(alice, 3 * IO, sender=holder)
    assert token.balanceOf(alice) == 3 * IO
    assert token.balanceOf(holder) == 997 * IO
    assert [(t.sender, t.receiver, t.value) for t in receipt.decode_logs(token.Transfer)] == [
        (holder.address, alice.address, 3 * IO)]


def test_transfer__more_than_balance__reverts(token, alice, bob):
    with ape.reverts("erc20: transfer amount exceeds balance"):
        token.transfer(bob, 1, sender=alice)


def test_transfer__to_zero_address__reverts(token, holder):
    with ape.reverts("erc20: transfer to the zero address"):
        token.transfer(ZERO, 1, sender=holder)


def test_approve_transferFrom__allowance__spent(token, holder, alice, bob):
    receipt = token.approve(alice, 5 * IO, sender=holder)
    assert [(a.owner, a.spender, a.value) for a in receipt.decode_logs(token.Approval)] == [
        (holder.address, alice.address, 5 * IO)]
    token.transferFrom(holder, bob, 2 * IO, sender=alice)
    assert token.balanceOf(bob) == 2 * IO
    assert token.allowance(holder, alice) == 3 * IO


def test_transferFrom__over_allowance__reverts(token, holder, alice, bob):
    token.approve(alice, IO, sender=holder)
    with ape.reverts("erc20: insufficient allowance"):
        token.transferFrom(holder, bob, IO + 1, sender=alice)


# ---------------------------------------------------------------- EIP-2612 / EIP-5267
def _permit_args(token, signer, spender, value, deadline, nonce=None, key=None):
    domain = Domain("IO", "1", chain.chain_id, token.address)
    nonce = token.nonces(signer) if nonce is None else nonce
    v, r, s = sign_permit(key or signer.private_key, domain, signer.address, spender.address, value, nonce, deadline)
    return (signer, spender, value, deadline, v, r, s)


def test_permit__valid_signature__sets_allowance_and_nonce(token, alice, bob):
    deadline = chain.pending_timestamp + 600
    token.permit(*_permit_args(token, alice, bob, 9 * IO, deadline), sender=bob)
    assert token.allowance(alice, bob) == 9 * IO
    assert token.nonces(alice) == 1


def test_permit__domain__matches_eip5267(token):
    fields = token.eip712Domain()
    assert fields[1] == "IO" and fields[2] == "1"
    assert fields[3] == chain.chain_id and fields[4] == token.address


def test_permit__expired__reverts(token, alice, bob):
    deadline = chain.pending_timestamp - 1
    with ape.reverts("erc20: expired deadline"):
        token.permit(*_permit_args(token, alice, bob, IO, deadline), sender=bob)
    assert token.nonces(alice) == 0


def test_permit__wrong_signer__reverts(token, alice, bob, attacker):
    deadline = chain.pending_timestamp + 600
    args = _permit_args(token, alice, bob, IO, deadline, key=attacker.private_key)
    with ape.reverts("erc20: invalid signature"):
        token.permit(*args, sender=bob)
    assert token.allowance(alice, bob) == 0


def test_permit__replayed__reverts(token, alice, bob):
    deadline = chain.pending_timestamp + 600
    args = _permit_args(token, alice, bob, IO, deadline)
    token.permit(*args, sender=bob)
    token.approve(bob, 0, sender=alice)
    with ape.reverts("erc20: invalid signature"):
        token.permit(*args, sender=bob)
    assert token.allowance(alice, bob) == 0


# ---------------------------------------------------------------- admin handover (two steps)
def test_transfer_ownership__two_steps__new_admin_only_after_accept(bare_token, owner, alice):
    bare_token.transfer_ownership(alice, sender=owner)
    assert bare_token.owner() == owner.address
    assert bare_token.pending_owner() == alice.address
    bare_token.accept_ownership(sender=alice)
    assert bare_token.owner() == alice.address
    bare_token.set_minter(alice, sender=alice)
    assert bare_token.minter() == alice.address


def test_accept_ownership__wrong_address__reverts(bare_token, owner, alice, attacker):
    bare_token.transfer_ownership(alice, sender=owner)
    with ape.reverts("ownable_2step: caller is not the new owner"):
        bare_token.accept_ownership(sender=attacker)
    assert bare_token.owner() == owner.address


def test_transfer_ownership__by_non_admin__reverts(bare_token, attacker):
    with ape.reverts("ownable: caller is not the owner"):
        bare_token.transfer_ownership(attacker, sender=attacker)

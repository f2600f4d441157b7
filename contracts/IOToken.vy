# pragma version ~=0.4.3
"""
@title IO Token
@custom:contract-name IOToken
@license GNU Affero General Public License v3.0 only
@notice The IO network's token: an ERC-20 with EIP-2612 permit and EIP-5267 (snekmate `erc20`),
        whose supply is fixed forever. 500,000,000 IO are minted once, at deployment, over a list
        of genesis recipients; the other 300,000,000 IO can only be minted by one minter, the
        emission schedule, set once by the admin and never changeable. Burning is open to every
        holder and lowers the supply for good: the cap bounds what was ever minted, not what
        exists, so a burn never re-opens room to mint.
@dev Invariants (tests/fuzz/test_token_properties.py names them):
     1. total_minted() <= MAX_SUPPLY, always.
     2. totalSupply == total_minted() - total_burned(), always.
     3. total_minted() only grows; total_burned() only grows.
     4. Only the constructor and `mint` (called by `minter`) create tokens; `minter` is written once.
     5. The sum of the genesis amounts is exactly GENESIS_SUPPLY.
     6. Replaying snekmate's RoleMinterChanged events gives the true minter set: the deployer's
        role, granted by erc20's constructor, is revoked (event included) when the constructor
        ends, since only the constructor mints for it; `set_minter` grants the emission schedule
        (RoleMinterChanged(minter, true) beside MinterSet). `erc20.is_minter` is kept equal to
        the events; it is not exported and no mint path reads it (`mint` checks `minter`).
     The admin role (snekmate `ownable_2step`) can be handed to a multisig in two steps; after the
     minter is set it has no power over balances or supply.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

implements: IERC20
implements: IERC20Detailed

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.tokens import erc20

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: erc20[ownable := ownable]

# `erc20.mint`, `erc20.set_minter`, `erc20.is_minter` and erc20's ownership functions are
# deliberately not exported: the capped `mint` below is the only mint path, and ownership moves
# through `ownable_2step`.
exports: (
    erc20.totalSupply,
    erc20.balanceOf,
    erc20.allowance,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.nonces,
    erc20.transfer,
    erc20.transferFrom,
    erc20.approve,
    erc20.burn,
    erc20.burn_from,
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


# @dev The cap on everything ever minted (genesis plus emission), in wei.
MAX_SUPPLY: public(constant(uint256)) = 800_000_000 * 10**18
# @dev What the constructor mints, in wei.
GENESIS_SUPPLY: public(constant(uint256)) = 500_000_000 * 10**18
# @dev The most genesis recipients one deployment may name.
MAX_GENESIS_RECIPIENTS: constant(uint256) = 32


# @dev The only address that may call `mint`; empty until `set_minter`, then fixed forever.
minter: public(address)
# @dev Everything ever minted, genesis included; burns never lower it.
total_minted: public(uint256)


# @dev Emitted once, when the admin fixes the minter.
event MinterSet:
    minter: indexed(address)


# @dev Emitted for each genesis allocation (the Transfer event from the zero address follows).
event GenesisMinted:
    recipient: indexed(address)
    amount: uint256


@deploy
def __init__(genesis_recipients: DynArray[address, MAX_GENESIS_RECIPIENTS], genesis_amounts: DynArray[uint256, MAX_GENESIS_RECIPIENTS]):
    """
    @notice Mints the genesis supply. The deployer becomes the admin.
    @param genesis_recipients Who receives the genesis (the vesting vaults, in a full deployment).
    @param genesis_amounts The amount of each, in wei; they must add up to exactly 500,000,000 IO.
    """
    ownable.__init__()
    ownable_2step.__init__()
    erc20.__init__("IO", "IO", 18, "IO", "1")

    assert len(genesis_recipients) == len(genesis_amounts), "IOToken: genesis lengths differ"
    total: uint256 = 0
    for i: uint256 in range(len(genesis_recipients), bound=MAX_GENESIS_RECIPIENTS):
        recipient: address = genesis_recipients[i]
        amount: uint256 = genesis_amounts[i]
        assert recipient != empty(address), "IOToken: genesis recipient is the zero address"
        assert amount != 0, "IOToken: genesis amount is zero"
        total += amount
        erc20._mint(recipient, amount)
        log GenesisMinted(recipient=recipient, amount=amount)
    assert total == GENESIS_SUPPLY, "IOToken: genesis sum is not 500M"
    self.total_minted = total
    # erc20.__init__ made the deployer a minter (and logged it); the genesis above was its only
    # mint: it is no minter from here on, and the event log says so.
    erc20.is_minter[msg.sender] = False
    log erc20.RoleMinterChanged(minter=msg.sender, status=False)


@external
def set_minter(new_minter: address):
    """
    @notice Fixes the one address that may mint the emission. Once set, it can never change.
    @dev Only the admin (owner), once. Logs MinterSet and snekmate's RoleMinterChanged(minter,
         true), so that indexers of either event see the one minter.
    @param new_minter The emission schedule contract.
    """
    ownable._check_owner()
    assert self.minter == empty(address), "IOToken: minter already set"
    assert new_minter != empty(address), "IOToken: minter is the zero address"
    self.minter = new_minter
    erc20.is_minter[new_minter] = True
    log MinterSet(minter=new_minter)
    log erc20.RoleMinterChanged(minter=new_minter, status=True)


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints new IO under the cap. Only the minter may call it.
    @param to The recipient (the reward pool, in a full deployment).
    @param amount The amount in wei; total_minted + amount must stay within MAX_SUPPLY.
    """
    assert msg.sender == self.minter, "IOToken: caller is not the minter"
    assert to != empty(address), "IOToken: mint to the zero address"
    minted: uint256 = self.total_minted + amount
    assert minted <= MAX_SUPPLY, "IOToken: cap exceeded"
    self.total_minted = minted
    erc20._mint(to, amount)


@external
@view
def total_burned() -> uint256:
    """
    @notice Everything ever burned: total_minted - totalSupply.
    @return uint256 The burned amount in wei.
    """
    # total_minted >= totalSupply always (invariant 2), so this cannot underflow.
    return unsafe_sub(self.total_minted, erc20.totalSupply)


@external
@view
def mintable_supply() -> uint256:
    """
    @notice Room left under the cap: MAX_SUPPLY - total_minted.
    @return uint256 The amount in wei that can still ever be minted.
    """
    return MAX_SUPPLY - self.total_minted

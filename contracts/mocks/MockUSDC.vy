# pragma version ~=0.4.3
"""
@title MockUSDC
@custom:contract-name MockUSDC
@license GNU Affero General Public License v3.0 only
@notice Test double of Circle's USDC (FiatTokenV2_2, release v2.2.0) as it is published to behave:
        name "USD Coin", symbol "USDC", 6 decimals, EIP-712 version "2"; EIP-2612 `permit`;
        EIP-3009 `transferWithAuthorization`, `receiveWithAuthorization` (only the payee may submit
        it) and `cancelAuthorization` with random bytes32 nonces and `authorizationState`; a
        blacklist (every transfer, approval, permit or authorization to or from a listed address
        reverts) kept by a blacklister; a global pause (every transfer, approval, permit,
        authorization and mint reverts) kept by a pauser; minting by minters that a master
        minter configures with an allowance. Reason strings are FiatToken's.
        Never deployed by scripts on a live network: a local deployment without a USDC address
        creates one (ionet/chain/deploy_router.py).
@dev As FiatTokenV2_2, the blacklist flag lives in the high bit of the balance word, so a transfer
     checks it without an extra storage read. Balances therefore stay below 2**255.
     Omitted from the real token: the proxy, rescuer, ownership transfer, the bytes-signature
     overloads of V2_2 and `increaseAllowance`/`decreaseAllowance`.
"""

from snekmate.utils import eip712_domain_separator

initializes: eip712_domain_separator

exports: eip712_domain_separator.eip712Domain


# @dev High bit of a balance word: the account is blacklisted.
_BLACKLIST_FLAG: constant(uint256) = 1 << 255
# @dev Everything below the blacklist flag: the balance.
_BALANCE_MASK: constant(uint256) = (1 << 255) - 1
_PERMIT_TYPEHASH: constant(bytes32) = keccak256(
    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
)
_TRANSFER_WITH_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
)
_RECEIVE_WITH_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
)
_CANCEL_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256("CancelAuthorization(address authorizer,bytes32 nonce)")
# @dev secp256k1n / 2: signatures with a larger `s` are malleable and rejected.
_MALLEABILITY_THRESHOLD: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

# @dev ERC-20 metadata.
name: public(constant(String[8])) = "USD Coin"
symbol: public(constant(String[4])) = "USDC"
decimals: public(constant(uint8)) = 6
currency: public(constant(String[3])) = "USD"

# @dev Balance (low 255 bits) and blacklist flag (high bit) of each account.
_balance_and_blacklist: HashMap[address, uint256]
# @dev ERC-20 allowances.
allowance: public(HashMap[address, HashMap[address, uint256]])
# @dev ERC-20 total supply.
totalSupply: public(uint256)
# @dev EIP-2612 nonces.
nonces: public(HashMap[address, uint256])
# @dev EIP-3009: (authorizer, nonce) used or canceled.
authorizationState: public(HashMap[address, HashMap[bytes32, bool]])
# @dev Roles, as FiatToken's.
masterMinter: public(address)
pauser: public(address)
blacklister: public(address)
owner: public(address)
# @dev Every transfer reverts while paused.
paused: public(bool)
# @dev Configured minters and what each may still mint.
isMinter: public(HashMap[address, bool])
minterAllowance: public(HashMap[address, uint256])


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


event AuthorizationUsed:
    authorizer: indexed(address)
    nonce: indexed(bytes32)


event AuthorizationCanceled:
    authorizer: indexed(address)
    nonce: indexed(bytes32)


event Blacklisted:
    account: indexed(address)


event UnBlacklisted:
    account: indexed(address)


event Pause:
    pass


event Unpause:
    pass


event MinterConfigured:
    minter: indexed(address)
    minterAllowedAmount: uint256


event Mint:
    minter: indexed(address)
    to: indexed(address)
    amount: uint256


@deploy
def __init__():
    """
    @notice The deployer holds every role (owner, master minter, pauser, blacklister).
    """
    eip712_domain_separator.__init__("USD Coin", "2")
    self.owner = msg.sender
    self.masterMinter = msg.sender
    self.pauser = msg.sender
    self.blacklister = msg.sender


# ------------------------------------------------------------------ ERC-20
@external
@view
def balanceOf(account: address) -> uint256:
    return self._balance_and_blacklist[account] & _BALANCE_MASK


@external
@view
def version() -> String[1]:
    return "2"


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    return eip712_domain_separator._domain_separator_v4()


@external
def transfer(to: address, amount: uint256) -> bool:
    self._when_not_paused()
    self._not_blacklisted(msg.sender)
    self._not_blacklisted(to)
    self._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(sender: address, to: address, amount: uint256) -> bool:
    self._when_not_paused()
    self._not_blacklisted(msg.sender)
    self._not_blacklisted(sender)
    self._not_blacklisted(to)
    allowed: uint256 = self.allowance[sender][msg.sender]
    assert amount <= allowed, "ERC20: transfer amount exceeds allowance"
    self._transfer(sender, to, amount)
    self.allowance[sender][msg.sender] = allowed - amount
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self._when_not_paused()
    self._not_blacklisted(msg.sender)
    self._not_blacklisted(spender)
    self._approve(msg.sender, spender, amount)
    return True


# ------------------------------------------------------------------ EIP-2612
@external
def permit(owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32):
    self._when_not_paused()
    self._not_blacklisted(owner)
    self._not_blacklisted(spender)
    assert deadline == max_value(uint256) or deadline >= block.timestamp, "FiatTokenV2: permit is expired"
    nonce: uint256 = self.nonces[owner]
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(_PERMIT_TYPEHASH, owner, spender, amount, nonce, deadline))
    )
    assert self._recover(digest, v, r, s) == owner, "EIP2612: invalid signature"
    self.nonces[owner] = nonce + 1
    self._approve(owner, spender, amount)


# ------------------------------------------------------------------ EIP-3009
@external
def transferWithAuthorization(sender: address, to: address, amount: uint256, validAfter: uint256,
                              validBefore: uint256, nonce: bytes32, v: uint8, r: bytes32, s: bytes32):
    self._when_not_paused()
    self._not_blacklisted(sender)
    self._not_blacklisted(to)
    self._use_authorization(_TRANSFER_WITH_AUTHORIZATION_TYPEHASH, sender, to, amount, validAfter, validBefore,
                            nonce, v, r, s)
    self._transfer(sender, to, amount)


@external
def receiveWithAuthorization(sender: address, to: address, amount: uint256, validAfter: uint256,
                             validBefore: uint256, nonce: bytes32, v: uint8, r: bytes32, s: bytes32):
    self._when_not_paused()
    self._not_blacklisted(sender)
    self._not_blacklisted(to)
    assert to == msg.sender, "FiatTokenV2: caller must be the payee"
    self._use_authorization(_RECEIVE_WITH_AUTHORIZATION_TYPEHASH, sender, to, amount, validAfter, validBefore,
                            nonce, v, r, s)
    self._transfer(sender, to, amount)


@external
def cancelAuthorization(authorizer: address, nonce: bytes32, v: uint8, r: bytes32, s: bytes32):
    self._when_not_paused()
    assert not self.authorizationState[authorizer][nonce], "FiatTokenV2: authorization is used or canceled"
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(_CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce))
    )
    assert self._recover(digest, v, r, s) == authorizer, "FiatTokenV2: invalid signature"
    self.authorizationState[authorizer][nonce] = True
    log AuthorizationCanceled(authorizer=authorizer, nonce=nonce)


# ------------------------------------------------------------------ blacklist, pause, mint
@external
@view
def isBlacklisted(account: address) -> bool:
    return self._balance_and_blacklist[account] & _BLACKLIST_FLAG != 0


@external
def blacklist(account: address):
    assert msg.sender == self.blacklister, "Blacklistable: caller is not the blacklister"
    self._balance_and_blacklist[account] |= _BLACKLIST_FLAG
    log Blacklisted(account=account)


@external
def unBlacklist(account: address):
    assert msg.sender == self.blacklister, "Blacklistable: caller is not the blacklister"
    self._balance_and_blacklist[account] &= _BALANCE_MASK
    log UnBlacklisted(account=account)


@external
def updateBlacklister(new_blacklister: address):
    assert msg.sender == self.owner, "Ownable: caller is not the owner"
    self.blacklister = new_blacklister


@external
def pause():
    assert msg.sender == self.pauser, "Pausable: caller is not the pauser"
    self.paused = True
    log Pause()


@external
def unpause():
    assert msg.sender == self.pauser, "Pausable: caller is not the pauser"
    self.paused = False
    log Unpause()


@external
def updatePauser(new_pauser: address):
    assert msg.sender == self.owner, "Ownable: caller is not the owner"
    self.pauser = new_pauser


@external
def configureMinter(minter: address, minter_allowed_amount: uint256) -> bool:
    self._when_not_paused()
    assert msg.sender == self.masterMinter, "FiatToken: caller is not the masterMinter"
    self.isMinter[minter] = True
    self.minterAllowance[minter] = minter_allowed_amount
    log MinterConfigured(minter=minter, minterAllowedAmount=minter_allowed_amount)
    return True


@external
def mint(to: address, amount: uint256) -> bool:
    self._when_not_paused()
    assert self.isMinter[msg.sender], "FiatToken: caller is not a minter"
    self._not_blacklisted(msg.sender)
    self._not_blacklisted(to)
    assert to != empty(address), "FiatToken: mint to the zero address"
    assert amount > 0, "FiatToken: mint amount not greater than 0"
    allowed: uint256 = self.minterAllowance[msg.sender]
    assert amount <= allowed, "FiatToken: mint amount exceeds minterAllowance"
    self.totalSupply += amount
    new_balance: uint256 = (self._balance_and_blacklist[to] & _BALANCE_MASK) + amount
    assert new_balance <= _BALANCE_MASK, "FiatToken: balance overflow"
    self._balance_and_blacklist[to] += amount
    self.minterAllowance[msg.sender] = allowed - amount
    log Mint(minter=msg.sender, to=to, amount=amount)
    log Transfer(sender=empty(address), receiver=to, value=amount)
    return True


# ------------------------------------------------------------------ internal
@internal
@view
def _when_not_paused():
    assert not self.paused, "Pausable: paused"


@internal
@view
def _not_blacklisted(account: address):
    assert self._balance_and_blacklist[account] & _BLACKLIST_FLAG == 0, "Blacklistable: account is blacklisted"


@internal
def _transfer(sender: address, to: address, amount: uint256):
    assert sender != empty(address), "ERC20: transfer from the zero address"
    assert to != empty(address), "ERC20: transfer to the zero address"
    from_word: uint256 = self._balance_and_blacklist[sender]
    assert amount <= from_word & _BALANCE_MASK, "ERC20: transfer amount exceeds balance"
    # amount <= the balance bits, so the subtraction leaves the flag bit untouched.
    self._balance_and_blacklist[sender] = unsafe_sub(from_word, amount)
    # totalSupply < 2**255 bounds every balance, so the sum stays below the flag bit.
    self._balance_and_blacklist[to] = unsafe_add(self._balance_and_blacklist[to], amount)
    log Transfer(sender=sender, receiver=to, value=amount)


@internal
def _approve(owner: address, spender: address, amount: uint256):
    assert owner != empty(address), "ERC20: approve from the zero address"
    assert spender != empty(address), "ERC20: approve to the zero address"
    self.allowance[owner][spender] = amount
    log Approval(owner=owner, spender=spender, value=amount)


@internal
def _use_authorization(typehash: bytes32, sender: address, to: address, amount: uint256, valid_after: uint256,
                       valid_before: uint256, nonce: bytes32, v: uint8, r: bytes32, s: bytes32):
    assert block.timestamp > valid_after, "FiatTokenV2: authorization is not yet valid"
    assert block.timestamp < valid_before, "FiatTokenV2: authorization is expired"
    assert not self.authorizationState[sender][nonce], "FiatTokenV2: authorization is used or canceled"
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(typehash, sender, to, amount, valid_after, valid_before, nonce))
    )
    assert self._recover(digest, v, r, s) == sender, "FiatTokenV2: invalid signature"
    self.authorizationState[sender][nonce] = True
    log AuthorizationUsed(authorizer=sender, nonce=nonce)


@internal
@view
def _recover(digest: bytes32, v: uint8, r: bytes32, s: bytes32) -> address:
    assert convert(s, uint256) <= _MALLEABILITY_THRESHOLD, "ECRecover: invalid signature 's' amount"
    assert v == 27 or v == 28, "ECRecover: invalid signature 'v' amount"
    signer: address = ecrecover(digest, v, r, s)
    assert signer != empty(address), "ECRecover: invalid signature"
    return signer

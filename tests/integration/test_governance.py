"""The governed suite (`governed` fixture: the local config's `governance` section, as
`ape run deploy --governance`): parameter changes go Safe (2 of 3 owners) -> Timelock (delay) ->
contract; the guardian Safe stops without delay and can never move; the deployer keeps nothing;
the audit reads it all back from the chain.

A Safe transaction whose inner call fails reverts as GS013 (safeTxGas 0) and hides the reason:
`expect_inner_revert` checks both the GS013 and the inner reason (replayed from the Safe's address).
"""

from __future__ import annotations

import ape
import pytest
from ape import chain
from eth_utils import keccak

from ionet import IO, ZERO_ADDRESS
from ionet.chain.governance import SafeClient
from ionet.chain.roles import audit, is_governed, role_hash
from ionet.chain.safe import SafeTx, pack_signatures, sign
from ionet.chain.timelock import Operation, salt_of
from ionet.models.staking import device_class
from tests.conftest import advance

MISSING_ROLE = "access_control: account is missing role"
ALLOWANCE_ABI = {"type": "function", "name": "allowance", "stateMutability": "view",
                 "inputs": [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}],
                 "outputs": [{"name": "", "type": "uint256"}]}
NOT_OWNER = "ownable: caller is not the owner"
H100 = device_class("H100")


def expect_inner_revert(client: SafeClient, tx: SafeTx, signers, sender, reason: str) -> None:
    assert reason in (client.inner_revert_reason(tx) or ""), client.inner_revert_reason(tx)
    with ape.reverts("GS013"):
        client.execute(tx, signers, sender)


@pytest.fixture
def staking(governed):
    return governed.NodeStaking


@pytest.fixture
def multiplier_op(gov, staking):
    return gov.operation(staking.set_class_multiplier, H100, 110_000, salt="H100 1.0x -> 1.1x")


# ------------------------------------------------------------------ Safe -> Timelock -> contract
def test_set_class_multiplier__two_of_three_through_safe_and_timelock__applied_after_the_delay(
    gov, staking, multiplier_op, attacker
):
    council = gov.council
    assert council.threshold() == 2 and len(council.owners()) == 3
    nonce = council.nonce()
    receipt = gov.schedule(multiplier_op, signers=gov.council_signers[:2])
    assert council.nonce() == nonce + 1
    assert [e.id for e in gov.timelock.CallScheduled.from_receipt(receipt)] == [multiplier_op.id]
    assert len(council.safe.ExecutionSuccess.from_receipt(receipt)) == 1
    assert staking.class_multiplier(H100) == 100_000  # nothing changes before the delay
    advance(gov.min_delay)
    done = gov.execute(multiplier_op, sender=attacker)  # executor: anyone
    assert staking.class_multiplier(H100) == 110_000
    [ev] = staking.ClassMultiplierUpdated.from_receipt(done)
    assert (ev.device_class, ev.old_multiplier_bps, ev.new_multiplier_bps) == (H100, 100_000, 110_000)


def test_set_class_multiplier__five_classes_in_one_batch__applied_together_after_the_delay(gov, staking, attacker):
    """One Safe transaction schedules a batch of 5 calls; after the delay anyone executes it and
    the 5 changes land in one transaction."""
    classes = [device_class(c) for c in ("B200", "A100-80GB", "L40S", "RTX 4090", "M4 Max")]
    before = [staking.class_multiplier(c) for c in classes]
    batch = gov.batch(
        [(staking.set_class_multiplier, (c, 60_000 + i)) for i, c in enumerate(classes)], salt="five classes"
    )
    receipt = gov.schedule_batch(batch)
    assert [(e.id, e.index) for e in gov.timelock.CallScheduled.from_receipt(receipt)] == [
        (batch.id, i) for i in range(5)
    ]
    # a minute short of the delay: Anvil stamps blocks with the wall clock too, so on a loaded machine
    # a second short could already be ready by the time the call is mined
    advance(gov.min_delay - 60)
    with ape.reverts("timelock_controller: operation is not ready"):
        gov.execute_batch(batch, sender=attacker)
    assert [staking.class_multiplier(c) for c in classes] == before
    advance(60)
    done = gov.execute_batch(batch, sender=attacker)
    assert [staking.class_multiplier(c) for c in classes] == [60_000 + i for i in range(5)]
    assert len(staking.ClassMultiplierUpdated.from_receipt(done)) == 5


def test_wire_governance__setup_operation__one_batch_done(governed, gov):
    """The hand-off's set-up (every accept_ownership, then update_delay) is one batch, executed."""
    [setup] = governed.manifest.governance["setup_operations"]
    assert len(setup["targets"]) == len(setup["what"]) == 8  # token, emission, 5 vaults, the delay
    assert setup["what"][-1].startswith("Timelock.update_delay(")
    assert gov.timelock.is_operation_done(bytes.fromhex(setup["id"][2:]))


def test_safe__one_signature_of_two__reverts_gs020(gov, staking, multiplier_op):
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    with ape.reverts("GS020"):
        gov.council.execute(tx, gov.council_signers[:1])


def test_safe__signature_of_a_non_owner__reverts_gs026(gov, multiplier_op, attacker):
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    with ape.reverts("GS026"):
        gov.council.execute(tx, [gov.council_signers[0], attacker], sender=gov.council_signers[0])


def test_safe__same_owner_signing_twice__reverts_gs026(gov, multiplier_op):
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    owner = gov.council_signers[0]
    one = sign(owner.private_key, chain.chain_id, gov.council.address, tx)
    with ape.reverts("GS026"):
        gov.council.execute(tx, signatures=pack_signatures([one, one]), sender=owner)


def test_safe__signatures_out_of_owner_order__reverts_gs026(gov, multiplier_op):
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    sigs = sorted(
        (sign(s.private_key, chain.chain_id, gov.council.address, tx) for s in gov.council_signers[:2]),
        key=lambda item: int(item[0], 16),
        reverse=True,
    )
    with ape.reverts("GS026"):
        gov.council.execute(tx, signatures=b"".join(sig for _o, sig in sigs), sender=gov.council_signers[0])


def test_safe__signed_for_another_nonce__reverts_gs026(gov, multiplier_op):
    """A signature over nonce n+1 recovers to a stranger at nonce n: refused."""
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    ahead = tx.with_nonce(tx.nonce + 1)
    with ape.reverts("GS026"):
        gov.council.execute(
            tx, signatures=gov.council.sign(ahead, gov.council_signers[:2]), sender=gov.council_signers[0]
        )


def test_safe__replayed_signatures__reverts_gs026(gov, multiplier_op):
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    sigs = gov.council.sign(tx, gov.council_signers[:2])
    gov.council.execute(tx, signatures=sigs, sender=gov.council_signers[0])
    with ape.reverts("GS026"):  # the nonce moved on: the same signatures no longer match
        gov.council.execute(tx, signatures=sigs, sender=gov.council_signers[0])


# ------------------------------------------------------------------ the timelock's guarantees
def test_timelock__execute_before_the_delay__reverts(gov, staking, multiplier_op, attacker):
    gov.schedule(multiplier_op)
    advance(gov.min_delay - 5)
    with ape.reverts("timelock_controller: operation is not ready"):
        gov.execute(multiplier_op, sender=attacker)
    assert staking.class_multiplier(H100) == 100_000


def test_timelock__execute_twice__reverts(gov, multiplier_op, attacker):
    gov.schedule(multiplier_op)
    advance(gov.min_delay)
    gov.execute(multiplier_op, sender=attacker)
    with ape.reverts("timelock_controller: operation is not ready"):
        gov.execute(multiplier_op, sender=attacker)


def test_timelock__other_payload_than_scheduled__reverts(gov, staking, multiplier_op, attacker):
    gov.schedule(multiplier_op)
    advance(gov.min_delay)
    swapped = Operation(
        target=multiplier_op.target,
        payload=bytes(staking.set_class_multiplier.encode_input(H100, 10_000_000)),
        salt=multiplier_op.salt,
    )
    with ape.reverts("timelock_controller: operation is not ready"):
        gov.execute(swapped, sender=attacker)
    assert staking.class_multiplier(H100) == 100_000


def test_timelock__cancelled_by_the_proposer__never_executes(gov, staking, multiplier_op, attacker):
    gov.schedule(multiplier_op)
    receipt = gov.cancel(multiplier_op)
    assert [e.id for e in gov.timelock.Cancelled.from_receipt(receipt)] == [multiplier_op.id]
    advance(gov.min_delay)
    with ape.reverts("timelock_controller: operation is not ready"):
        gov.execute(multiplier_op, sender=attacker)
    assert staking.class_multiplier(H100) == 100_000


def test_timelock__scheduled_by_the_guardian__reverts(gov, multiplier_op):
    tx = gov.guardian.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay))
    expect_inner_revert(gov.guardian, tx, gov.guardian_signers, gov.guardian_signers[0], MISSING_ROLE)


def test_timelock__scheduled_by_an_owner_alone__reverts(gov, multiplier_op):
    """A Safe owner is nobody on its own: only the Safe proposes."""
    with ape.reverts(MISSING_ROLE):
        gov.timelock.schedule(*multiplier_op.schedule_args(gov.min_delay), sender=gov.council_signers[0])


def test_timelock__shorter_delay_than_the_minimum__reverts(gov, multiplier_op):
    tx = gov.council.tx(gov.timelock.schedule, *multiplier_op.schedule_args(gov.min_delay - 1))
    expect_inner_revert(
        gov.council, tx, gov.council_signers, gov.council_signers[0], "timelock_controller: insufficient delay"
    )


# ------------------------------------------------------------------ the guardian: stop, never move
def test_guardian__pauses_staking_and_router__at_once(gov, governed):
    for contract in (governed.NodeStaking, governed.SettlementRouter):
        receipt = gov.guardian.call(contract.pause, signers=gov.guardian_signers)
        assert contract.paused()
        assert [e.account for e in contract.Paused.from_receipt(receipt)] == [gov.guardian.address]


def test_guardian__paused_staking__new_stake_reverts_until_the_timelock_unpauses(gov, governed, attacker):
    staking = governed.NodeStaking
    gov.guardian.call(staking.pause, signers=gov.guardian_signers)
    with ape.reverts("pausable: contract is paused"):
        staking.stake(keccak(text="any device"), IO, sender=attacker)
    tx = gov.guardian.tx(staking.unpause)
    expect_inner_revert(gov.guardian, tx, gov.guardian_signers, gov.guardian_signers[0], MISSING_ROLE)
    op = gov.operation(staking.unpause, salt="unpause staking")
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    assert not staking.paused()


def test_guardian__cancels_a_pending_root_inside_its_activation_delay(gov, governed, operator, attacker):
    dist = governed.RewardsDistributor
    advance(6 * 3_600)
    governed.EmissionSchedule.mint_due(sender=attacker)
    now = chain.blocks.head.timestamp
    dist.publish_root(keccak(text="suspicious root"), IO, 1, now, sender=operator)  # the oracle
    advance(3_600)  # well inside the 24 h activation delay
    receipt = gov.guardian.call(dist.cancel_root, signers=gov.guardian_signers)
    [ev] = dist.RootCancelled.from_receipt(receipt)
    assert ev.cancelled_by == gov.guardian.address and ev.root == keccak(text="suspicious root")
    advance(86_400)
    with ape.reverts("RewardsDistributor: no pending root"):
        dist.activate_root(sender=attacker)


@pytest.mark.parametrize(
    "what",
    ["unpause router", "grant a role", "withdraw fees", "grant from a vault", "set a multiplier", "publish a root"],
)
def test_guardian__anything_beyond_stopping__reverts(gov, governed, what):
    router, staking, vault = (
        governed.SettlementRouter,
        governed.NodeStaking,
        governed.contracts["VestingVault.community"],
    )
    calls = {
        "unpause router": (router.unpause, (), MISSING_ROLE),
        "grant a role": (staking.grantRole, (role_hash("SLASHER_ROLE"), gov.guardian.address), MISSING_ROLE),
        "withdraw fees": (router.withdraw_fees, (governed.USDC.address, 1, gov.guardian.address), MISSING_ROLE),
        "grant from a vault": (vault.grant, (gov.guardian.address, IO), NOT_OWNER),
        "set a multiplier": (staking.set_class_multiplier, (H100, 1), MISSING_ROLE),
        "publish a root": (governed.RewardsDistributor.publish_root, (keccak(text="r"), 0, 1, 1), MISSING_ROLE),
    }
    fn, args, reason = calls[what]
    if what == "unpause router":
        gov.guardian.call(router.pause, signers=gov.guardian_signers)
    tx = gov.guardian.tx(fn, *args)
    expect_inner_revert(gov.guardian, tx, gov.guardian_signers, gov.guardian_signers[0], reason)


# ------------------------------------------------------------------ the deployer keeps nothing
def test_wire_governance__deployer__holds_no_role_and_owns_nothing(governed, gov_deployer):
    deployer = gov_deployer.address
    names = (
        "DEFAULT_ADMIN_ROLE",
        "GOVERNANCE_ROLE",
        "PAUSER_ROLE",
        "SLASHER_ROLE",
        "ORACLE_ROLE",
        "OPERATOR_ROLE",
        "TREASURY_ROLE",
        "MARKET_DESK_ROLE",
        "PROPOSER_ROLE",
        "CANCELLER_ROLE",
        "EXECUTOR_ROLE",
    )
    checked = 0
    for key, contract in governed.contracts.items():
        record = governed.manifest.contracts.get(key)
        if key == "USDC" or record is None or not is_governed(key, record):  # test doubles, Uniswap's stand-ins
            continue
        abi = {a.name for a in contract.contract_type.abi if getattr(a, "name", None)}
        if "owner" in abi:
            assert contract.owner() != deployer and contract.pending_owner() == ZERO_ADDRESS, key
            checked += 1
        if "hasRole" in abi:
            for name in names:
                assert not contract.hasRole(role_hash(name), deployer), (key, name)
            checked += 1
    assert checked == 13  # 5 vaults, token, emission, staking, rewards, router, market desk, engine, timelock


def test_wire_governance__deployer__keeps_no_position_balance_allowance_or_claim(governed, gov_deployer, gov):
    """Issue 18, defect 3: nothing the deployer could still move. The protocol-owned liquidity's
    position NFTs (IO/USDC from the R&D & Ecosystem vault, WETH/USDC) belong to the timelock, with
    no approval left; the deployer holds no IO, USDC or WETH, no contract of the deploy lets it spend
    any, and its vesting grant (the liquidity's IO) is paid out (the audit reads the same:
    test_audit__governed_suite__passes)."""
    deployer, timelock = gov_deployer.address, gov.timelock.address
    npm = governed.uniswap.position_manager
    records = governed.manifest.contracts
    positions = {k: r.args["position_id"] for k, r in records.items() if "position_id" in (r.args or {})}
    assert sorted(positions) == ["UniswapV3Pool.IO/USDC", "UniswapV3Pool.WETH/USDC"]
    for key, token_id in positions.items():
        assert npm.ownerOf(token_id) == timelock == records[key].args["position_owner"], key
        assert records[key].args["minted_to"] == deployer and npm.getApproved(token_id) == ZERO_ADDRESS
    assert npm.balanceOf(deployer) == 0 and not npm.isApprovedForAll(timelock, deployer)
    w3 = chain.provider.web3
    tokens = {"IO": governed.IOToken, "USDC": governed.USDC, "WETH": governed.uniswap.weth}
    owners = {r.address for r in records.values()}
    for name, token in tokens.items():
        assert token.balanceOf(deployer) == 0, name
        erc20 = w3.eth.contract(address=token.address, abi=[ALLOWANCE_ABI])
        assert all(erc20.functions.allowance(o, deployer).call() == 0 for o in owners), name  # plain web3: fast
    vault = governed.contracts["VestingVault.rnd_ecosystem"]
    [grant] = [g for g in vault.Granted.range(records["VestingVault.rnd_ecosystem"].block, chain.blocks.head.number + 1)
               if g.beneficiary == deployer]
    state = vault.grant_state(grant.grant_id)
    assert state.amount == state.claimed == 5_000_000 * IO and state.claimable == 0


def test_position__only_the_timelock__can_take_the_liquidity_out(governed, gov_deployer, gov, attacker):
    """The timelock owns the IO/USDC position: the deployer cannot touch it, a timelocked operation can."""
    npm = governed.uniswap.position_manager
    token_id = governed.manifest.contracts["UniswapV3Pool.IO/USDC"].args["position_id"]
    liquidity = npm.positions(token_id).liquidity
    take = (token_id, liquidity // 10, 0, 0, 2**32 - 1)
    with ape.reverts("Not approved"):
        npm.decreaseLiquidity(take, sender=gov_deployer)
    op = gov.operation(npm.decreaseLiquidity, take, salt="a tenth of the liquidity")
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    assert npm.positions(token_id).liquidity == liquidity - liquidity // 10


def test_audit__assets_back_with_the_deployer__fails_naming_each(governed, gov_deployer, gov, attacker):
    """`ape run roles --strict` counts the deployer's assets: one timelock batch hands it a position
    NFT back, lets it spend the timelock's WETH and grants it IO from a vault, and a stranger sends
    it 7 wei of WETH: four problems, each named."""
    npm, weth = governed.uniswap.position_manager, governed.uniswap.weth
    vault = governed.contracts["VestingVault.community"]
    deployer, timelock = gov_deployer.address, gov.timelock.address
    token_id = governed.manifest.contracts["UniswapV3Pool.WETH/USDC"].args["position_id"]
    batch = gov.batch(
        [
            (npm.transferFrom, (timelock, deployer, token_id)),
            (weth.approve, (deployer, 5)),
            (vault.grant, (deployer, 3 * IO)),
        ],
        salt="give it back",
    )
    gov.schedule_batch(batch)
    advance(gov.min_delay)
    gov.execute_batch(batch, sender=attacker)
    weth.deposit(value=7, sender=attacker)
    weth.transfer(gov_deployer, 7, sender=attacker)
    assert audit(chain.provider.web3, governed.manifest).problems == [
        "WETH9 balance: the deployer holds 7 base units",
        f"UniswapV3Pool.WETH/USDC position #{token_id}: the deployer owns this liquidity position NFT",
        f"WETH9 allowance: {timelock} lets the deployer spend 5 base units",
        f"VestingVault.community grant #1: the deployer can still claim {3 * IO:,} wei of IO",
    ]


@pytest.mark.parametrize(
    "what",
    [
        "vault grant",
        "emission recipient",
        "multiplier",
        "pause",
        "grant role",
        "withdraw fees",
        "cancel root",
        "schedule",
        "unpause router",
        "desk pool",
        "desk role",
    ],
)
def test_deployer__after_the_deploy__can_do_nothing(governed, gov_deployer, gov, what):
    g = governed
    calls = {
        "vault grant": (
            lambda: g.contracts["VestingVault.community"].grant(gov_deployer, IO, sender=gov_deployer),
            NOT_OWNER,
        ),
        "emission recipient": (
            lambda: g.EmissionSchedule.set_reward_recipient(gov_deployer, sender=gov_deployer),
            NOT_OWNER,
        ),
        "multiplier": (lambda: g.NodeStaking.set_class_multiplier(H100, 1, sender=gov_deployer), MISSING_ROLE),
        "pause": (lambda: g.NodeStaking.pause(sender=gov_deployer), MISSING_ROLE),
        "grant role": (
            lambda: g.RewardsDistributor.grantRole(role_hash("ORACLE_ROLE"), gov_deployer, sender=gov_deployer),
            MISSING_ROLE,
        ),
        "withdraw fees": (
            lambda: g.SettlementRouter.withdraw_fees(g.USDC, 1, gov_deployer, sender=gov_deployer),
            MISSING_ROLE,
        ),
        "cancel root": (lambda: g.RewardsDistributor.cancel_root(sender=gov_deployer), MISSING_ROLE),
        "desk pool": (lambda: g.MarketDesk.set_asset_pool(g.IOToken, ZERO_ADDRESS, sender=gov_deployer), MISSING_ROLE),
        "desk role": (
            lambda: g.SettlementRouter.grantRole(role_hash("MARKET_DESK_ROLE"), gov_deployer, sender=gov_deployer),
            MISSING_ROLE,
        ),
        "schedule": (
            lambda: gov.timelock.schedule(
                *Operation(g.NodeStaking.address, b"", salt=salt_of("x")).schedule_args(gov.min_delay),
                sender=gov_deployer,
            ),
            MISSING_ROLE,
        ),
        "unpause router": (lambda: g.SettlementRouter.unpause(sender=gov_deployer), MISSING_ROLE),
    }
    call, reason = calls[what]
    with ape.reverts(reason):
        call()


# ------------------------------------------------------------------ the audit
def test_audit__governed_suite__passes(governed, gov):
    report = audit(chain.provider.web3, governed.manifest)
    assert report.ok, report.problems
    # 22 + the IncentiveEngine's admin, pauser and oracle + the router's MARKET_DESK_ROLE and the desk's admin
    assert len(report.rows) == 27
    desk = governed.MarketDesk
    rows = {(r.contract, r.role): r for r in report.rows}
    assert rows[("SettlementRouter", "MARKET_DESK_ROLE")].holder == desk.address
    assert rows[("MarketDesk", "DEFAULT_ADMIN_ROLE")].holder == gov.timelock.address
    assert {r.kind for r in report.rows if r.expected == "guardian Safe"} == {"Safe.guardian (2 of 3)"}
    [assets] = [n for n in report.notes if n.startswith("the deployer's assets")]
    assert assets == ("the deployer's assets (3 token balances, 2 positions, 84 allowances, 1 vesting grants "
                      "checked): nothing held"), assets


def test_audit__a_role_given_back_to_the_deployer__fails_with_the_reason(gov, governed, gov_deployer, attacker):
    staking = governed.NodeStaking
    op = gov.operation(staking.grantRole, role_hash("PAUSER_ROLE"), gov_deployer.address, salt="mistake")
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    report = audit(chain.provider.web3, governed.manifest)
    assert not report.ok
    assert report.problems == ["NodeStaking PAUSER_ROLE: held by the deployer"]


def test_audit__admin_role_held_by_an_eoa__fails(gov, governed, alice, attacker):
    op = gov.operation(governed.NodeStaking.grantRole, role_hash("GOVERNANCE_ROLE"), alice.address, salt="eoa")
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    problems = audit(chain.provider.web3, governed.manifest).problems
    assert "NodeStaking GOVERNANCE_ROLE: an EOA holds an admin role" in problems
    assert any(
        p.startswith(f"NodeStaking GOVERNANCE_ROLE: held by {alice.address}, expected the timelock") for p in problems
    )


def test_audit__role_held_by_nobody__fails(gov, governed, operator, attacker):
    op = gov.operation(
        governed.RewardsDistributor.revokeRole, role_hash("ORACLE_ROLE"), operator.address, salt="no oracle"
    )
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    assert audit(chain.provider.web3, governed.manifest).problems == ["RewardsDistributor ORACLE_ROLE: held by nobody"]


def test_audit__hand_off_never_accepted__fails(gov, governed, attacker):
    vault = governed.contracts["VestingVault.seed"]
    op = gov.operation(vault.transfer_ownership, gov.council.address, salt="half a hand-off")
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    report = audit(chain.provider.web3, governed.manifest)
    assert report.problems == [
        f"VestingVault.seed pending_owner: hand-off to Safe.governance (2 of 3) {gov.council.address} not accepted yet"
    ]


def test_audit__desk_role_granted_to_another_contract__fails(gov, governed, attacker):
    """MARKET_DESK_ROLE moves providers' income: the audit accepts the suite's MarketDesk alone."""
    router, other = governed.SettlementRouter, governed.IOPriceOracle.address  # any contract but the desk
    op = gov.operation(router.grantRole, role_hash("MARKET_DESK_ROLE"), other, salt="second desk")
    gov.schedule(op)
    advance(gov.min_delay)
    gov.execute(op, sender=attacker)
    problems = audit(chain.provider.web3, governed.manifest).problems
    assert problems == [
        f"SettlementRouter MARKET_DESK_ROLE: held by {other}, expected the MarketDesk {governed.MarketDesk.address}"
    ]


def test_timelock__replaces_an_operational_key__audit_still_passes(gov, governed, operator, carol, attacker):
    staking, slasher = governed.NodeStaking, role_hash("SLASHER_ROLE")
    ops = [
        gov.operation(staking.grantRole, slasher, carol.address, salt="new slasher"),
        gov.operation(staking.revokeRole, slasher, operator.address, salt="old slasher"),
    ]
    for op in ops:
        gov.schedule(op)
    advance(gov.min_delay)
    for op in ops:
        gov.execute(op, sender=attacker)
    assert staking.hasRole(slasher, carol) and not staking.hasRole(slasher, operator)
    assert audit(chain.provider.web3, governed.manifest).ok


def test_audit__suite_with_direct_roles__fails_naming_the_deployer(suite):
    """The un-governed test suite (direct role holders) is exactly what --strict must refuse."""
    problems = audit(chain.provider.web3, suite.manifest).problems
    assert "IOToken owner: held by the deployer" in problems
    assert "NodeStaking DEFAULT_ADMIN_ROLE: held by the deployer" in problems
    assert "SettlementRouter TREASURY_ROLE: an EOA holds an admin role" in problems

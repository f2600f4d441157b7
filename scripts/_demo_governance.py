"""Demo section: the network goes live under governance. The deployer hands every role to a
governance Safe behind a timelock, a guardian Safe and the operational keys, and keeps nothing; the
council changes a class multiplier (two signatures of three, then the timelock's delay, which an
early execution cannot skip); the guardian cancels a suspicious rewards root and pauses new stakes
(it can stop, never restart or move); the audit reads who holds what back from the chain.

The earlier sections ran the economy with the deployer's direct powers (Community-vault grants,
revocations, overturns); this one comes last and hands them over, as a real launch would.
"""

from __future__ import annotations

from ape import chain

from ionet import IO
from ionet.chain.economy import Economy, fmt_io
from ionet.chain.governance import governance_of, wire_governance
from ionet.chain.roles import audit
from ionet.chain.safe import exec_transaction_args, safe_tx_hash
from ionet.config import load_config
from ionet.engines.merkle import MerkleTree, RewardLeaf
from ionet.manifest import manifest_path, write_manifest
from ionet.models.staking import device_class, device_id

CLASS, OLD_BPS, NEW_BPS = "H200", 120_000, 130_000


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def _refused(fn, *args, sender) -> str:
    """Dry-run a call that must fail (eth_call, nothing is sent); return its revert reason."""
    data = "0x" + bytes(fn.encode_input(*args)).hex()
    try:
        chain.provider.web3.eth.call({"from": sender.address, "to": fn.contract.address, "data": data})
    except Exception as err:  # web3 ContractLogicError: "execution reverted: <reason>"
        return str(getattr(err, "message", None) or err).removeprefix("execution reverted: ")
    raise AssertionError("the call went through")


def run(eco: Economy) -> None:
    eco.section("Governance: every role to a Safe + timelock, a guardian that can only stop, an audit")
    suite = eco.suite
    wire_governance(suite, load_config("local")["governance"])
    write_manifest(suite.manifest, manifest_path("ethereum", "local"))
    gov = governance_of(suite)
    council, guardian, timelock = gov.council, gov.guardian, gov.timelock
    eco.say(
        f"governance Safe {_short(council.address)} ({council.threshold()} of {len(council.owners())}) proposes "
        f"to the Timelock {_short(timelock.address)} (delay {gov.min_delay // 60} min here, 2 days on a live "
        f"network); guardian Safe {_short(guardian.address)} ({guardian.threshold()} of "
        f"{len(guardian.owners())}) can pause and cancel a pending rewards root, nothing else"
    )

    # ---------------------------------------------------------- a parameter change, the slow way
    staking = suite.NodeStaking
    cls = device_class(CLASS)
    assert staking.class_multiplier(cls) == OLD_BPS
    op = gov.operation(staking.set_class_multiplier, cls, NEW_BPS, salt=f"{CLASS} {OLD_BPS} -> {NEW_BPS}")
    tx = council.tx(timelock.schedule, *op.schedule_args(gov.min_delay))
    signer_a, signer_b = gov.council_signers[:2]
    one = council.sign(tx, [signer_a])
    reason = _refused(council.safe.execTransaction, *exec_transaction_args(tx, one), sender=signer_a)
    eco.say(f"one council owner alone submits the proposal: refused ({reason}: fewer signatures than the threshold)")
    receipt = council.execute(tx, [signer_a, signer_b])
    ready_at = timelock.get_timestamp(op.id)
    eco.say(
        f"two owners ({_short(signer_a.address)}, {_short(signer_b.address)}) sign Safe transaction "
        f"0x{safe_tx_hash(chain.chain_id, council.address, tx).hex()[:16]}… (EIP-712); it schedules operation "
        f"0x{op.id.hex()[:16]}…: set the {CLASS} multiplier {OLD_BPS / 10_000:g}x -> {NEW_BPS / 10_000:g}x "
        f"(gas {receipt.gas_used:,})"
    )
    eco.advance(gov.min_delay // 2)
    reason = _refused(timelock.execute, *op.execute_args(), sender=eco.renter_x)
    eco.say(f"halfway through the delay, someone executes it: refused ({reason})")
    assert staking.class_multiplier(cls) == OLD_BPS
    eco.advance_to(ready_at)
    gov.execute(op, sender=eco.renter_x)  # the executor is anyone
    assert staking.class_multiplier(cls) == NEW_BPS
    eco.table(
        f"{CLASS} after the timelock executed it (anyone may execute a ready operation)",
        ["", "multiplier", "minimum stake per GPU (IO)", "reward weight per GPU"],
        [
            ["before", f"{OLD_BPS / 10_000:g}x", fmt_io(200 * IO * OLD_BPS // 10_000, 0), f"{OLD_BPS / 10_000:g}"],
            ["after", f"{NEW_BPS / 10_000:g}x", fmt_io(200 * IO * NEW_BPS // 10_000, 0), f"{NEW_BPS / 10_000:g}"],
        ],
    )
    eco.say("every provider saw the change coming a full delay ahead (the Timelock's CallScheduled event)")

    # ---------------------------------------------------------- the guardian: a suspicious root
    dist, sched = suite.RewardsDistributor, suite.EmissionSchedule
    sched.mint_due(sender=eco.renter_x)
    if dist.pending().root != b"\x00" * 32:  # let an honest pending root take effect first
        eco.advance_to(dist.pending().published_at + dist.ACTIVATION_DELAY_SECONDS())
        dist.activate_root(sender=eco.renter_x)
    pool = dist.funding_limit()
    stranger = device_id("io-demo/unknown-device")
    tree = MerkleTree([RewardLeaf(stranger, pool)])
    dist.publish_root(tree.root, pool, sched.completed_epochs(), chain.blocks.head.timestamp, sender=eco.operator)
    eco.say(
        f"the oracle key publishes a root paying the whole pool ({fmt_io(pool, 0)} IO) to one unknown device: "
        f"it could be activated in {dist.ACTIVATION_DELAY_SECONDS() // 3_600} h"
    )
    eco.advance(2 * 3_600)
    receipt = guardian.call(dist.cancel_root, signers=gov.guardian_signers)
    [ev] = dist.RootCancelled.from_receipt(receipt)
    assert ev.cancelled_by == guardian.address and dist.pending().root == b"\x00" * 32
    eco.say(
        f"2 h later the guardian Safe (2 signatures, no delay) cancels root #{ev.root_id}: nothing can claim "
        f"from it (a 2-day timelock could never have acted inside the 24 h window)"
    )

    # ---------------------------------------------------------- the guardian: pause new stakes
    receipt = guardian.call(staking.pause, signers=gov.guardian_signers)
    assert staking.paused()
    device = eco.notes["devices"]["provider_a"]
    reason = _refused(staking.stake, device, IO, sender=eco.provider_a)
    eco.say(
        f"the guardian pauses new stakes; provider A's new stake is refused ({reason}); unstaking, withdrawals "
        f"and slashing go on"
    )
    unpause = guardian.tx(staking.unpause)
    inner = (guardian.inner_revert_reason(unpause) or "").removeprefix("execution reverted: ")
    signatures = guardian.sign(unpause, gov.guardian_signers)
    reason = _refused(
        guardian.safe.execTransaction, *exec_transaction_args(unpause, signatures), sender=gov.guardian_signers[0]
    )
    eco.say(f"the guardian cannot restart it: unpause refused ({reason}; inside: {inner})")
    op = gov.operation(staking.unpause, salt="unpause staking after the incident")
    gov.schedule(op)
    eco.advance(gov.min_delay)
    gov.execute(op, sender=eco.renter_x)
    assert not staking.paused()
    eco.say("the council restarts staking through the timelock, after its delay")

    # ---------------------------------------------------------- the audit
    report = audit(chain.provider.web3, suite.manifest)
    rows = [
        [r.contract, r.role, r.kind if r.holder else "nobody", r.expected, "ok" if r.ok else "; ".join(r.problems)]
        for r in report.rows
    ]
    eco.table(
        "Who holds what, read from the chain (`ape run roles --strict`)",
        ["contract", "role", "holder", "expected", "verdict"],
        rows,
    )
    assert report.ok, report.problems
    eco.say(
        f"{len(report.rows)} role holdings checked: the deployer ({_short(suite.deployer.address)}) holds none; "
        f"no admin role sits with a plain key"
    )

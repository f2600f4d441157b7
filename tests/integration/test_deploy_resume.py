"""A deploy that stops halfway resumes from its partial manifest (ionet.chain.journal): nothing is
deployed or sent twice, and the result is the same suite, governance included.

Each test deploys from a fresh generated account (rolled back with the test), with the manifest
written after every transaction as `ape run deploy` does."""

from __future__ import annotations

import pytest
from ape import chain

from ionet.chain.journal import DeployStopped, ResumeError
from ionet.chain.roles import audit
from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.manifest import Manifest


@pytest.fixture
def cfg():
    return load_config("local")


@pytest.fixture(scope="module")
def whole(accounts):
    """The journal keys of the whole local deploy with governance, in order (run once, rolled back)."""
    cfg = load_config("local")
    snap = chain.snapshot()
    try:
        acct = accounts.generate_test_account()
        acct.balance = 10**24
        return list(deploy_suite(acct, cfg, governance=cfg["governance"]).manifest.journal)
    finally:
        chain.restore(snap)


@pytest.fixture(scope="module")
def full(whole):
    """How many transactions the whole local deploy with governance sends."""
    return len(whole)


@pytest.fixture
def fresh(accounts):
    acct = accounts.generate_test_account()
    acct.balance = 10**24
    return acct


class Disk:
    """The manifest file: what survives when the deploy process dies."""

    def __init__(self) -> None:
        self.text = ""

    def save(self, manifest: Manifest) -> None:
        self.text = manifest.to_json()

    def load(self) -> Manifest:
        return Manifest.from_json(self.text)


def stopped_deploy(fresh, cfg, after: int) -> Disk:
    disk = Disk()
    with pytest.raises(DeployStopped, match=f"stopped after {after} transactions"):
        deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save, stop_after=after)
    return disk


@pytest.mark.parametrize(
    "after",
    [3, 5, "first position"],
    ids=["among the vaults", "between the vaults and the token", "in the hand-off, between the position NFTs"],
)
def test_deploy_suite__stopped_halfway__resumes_without_sending_twice(fresh, cfg, after, full, whole):
    if after == "first position":  # the hand-off has moved the IO/USDC position to the timelock, not yet the rest
        [first, second] = [i for i, k in enumerate(whole) if k.startswith("NonfungiblePositionManager.transferFrom")]
        assert second == first + 1
        after = first + 1
    start_nonce = fresh.nonce
    disk = stopped_deploy(fresh, cfg, after)
    partial = disk.load()
    assert not partial.complete and len(partial.journal) == after and partial.pending is None
    assert fresh.nonce == start_nonce + after
    before = {k: r.address for k, r in partial.contracts.items()}
    suite = deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save, resume=partial)
    assert suite.journal.sent == full - after
    assert fresh.nonce == start_nonce + full
    final = disk.load()
    assert final.complete and len(final.journal) == full
    assert all(final.contracts[k].address == a for k, a in before.items())
    assert final.contracts["IOToken"].address == suite.contracts["VestingVault.seed"].token()
    def actions(keys):  # without the arguments' digests (the addresses differ from deployer to deployer)
        return [k.split("(")[0] for k in keys]

    assert actions(final.journal) == actions(whole)  # the same actions, in the same order, each once
    assert audit(chain.provider.web3, final).ok  # roles, and nothing left with the deployer


def test_resume__complete_deploy__sends_nothing(fresh, cfg):
    disk = Disk()
    deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save)
    again = deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save, resume=disk.load())
    assert again.journal.sent == 0 and disk.load().complete


def test_resume__crash_after_sending_before_recording__found_by_its_nonce(fresh, cfg, full):
    """The process dies right after its 10th transaction is mined, before the manifest records it:
    the file still says it is pending. The resume finds it on chain by its nonce."""
    disk = Disk()

    def save(manifest: Manifest) -> None:
        if manifest.pending is None and len(manifest.journal) == 10:
            raise KeyboardInterrupt("killed")
        disk.save(manifest)

    with pytest.raises(KeyboardInterrupt):
        deploy_suite(fresh, cfg, governance=cfg["governance"], save=save)
    partial = disk.load()
    assert len(partial.journal) == 9 and partial.pending["nonce"] == fresh.nonce - 1
    suite = deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save, resume=partial)
    assert suite.journal.sent == full - 10  # the lost one was found on chain, not sent again
    assert len(disk.load().journal) == full


def test_resume__pending_transaction_never_mined__sent_again(fresh, cfg, full):
    disk = stopped_deploy(fresh, cfg, 10)
    partial = disk.load()
    partial.pending = {"key": "the next one", "nonce": fresh.nonce, "block": chain.blocks.head.number}
    suite = deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save, resume=partial)
    assert suite.journal.sent == full - 10


def test_resume__nonce_used_by_something_else__refused(fresh, cfg, alice):
    disk = stopped_deploy(fresh, cfg, 10)
    partial = disk.load()
    partial.pending = {"key": "the next one", "nonce": fresh.nonce, "block": chain.blocks.head.number}
    fresh.transfer(alice, 1)  # the deployer key used outside the deploy
    with pytest.raises(ResumeError, match="was used by a transaction this deploy did not send"):
        deploy_suite(fresh, cfg, governance=cfg["governance"], save=disk.save, resume=partial)


def test_resume__recorded_contract_without_code__refused(fresh, cfg):
    partial = stopped_deploy(fresh, cfg, 3).load()
    partial.contracts["VestingVault.community"].address = "0x" + "77" * 20
    with pytest.raises(ResumeError, match="no code at"):
        deploy_suite(fresh, cfg, save=lambda m: None, resume=partial)


def test_resume__recorded_code_hash_differs__refused(fresh, cfg):
    partial = stopped_deploy(fresh, cfg, 3).load()
    partial.contracts["VestingVault.seed"].code_hash = "0x" + "00" * 32
    with pytest.raises(ResumeError, match="not the code recorded at deployment"):
        deploy_suite(fresh, cfg, save=lambda m: None, resume=partial)


def test_resume__manifest_of_another_deployer__refused(fresh, owner, cfg):
    partial = stopped_deploy(fresh, cfg, 3).load()
    with pytest.raises(ResumeError, match="not chain"):
        deploy_suite(owner, cfg, save=lambda m: None, resume=partial)

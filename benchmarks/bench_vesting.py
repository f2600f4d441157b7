"""Gas of VestingVault beside OpenZeppelin's VestingWallet 5.7 (docs/gas-anchors.md), with 1 and 1,000
grants in the vault (every operation must be O(1) in the number of grants), and a vault's very
first grant (issue 9 item 9: it must meet the same 70,000 goal)."""

from __future__ import annotations

from typing import Any

from ape import chain, project
from eth_utils import keccak, to_checksum_address

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated
from ionet import IO
from ionet import ZERO_ADDRESS as ZERO
from ionet.models.vesting import MONTH

OZ_FIRST, OZ_LATER = 82_598, 48_398


def filler(n: int, salt: int = 0) -> list[str]:
    """n distinct fresh addresses (nobody's keys; they only hold grants)."""
    return [to_checksum_address(keccak(f"vesting-bench-{salt}-{i}".encode())[12:]) for i in range(n)]


def fill(vault: Any, admin: Any, grants_total: int) -> None:
    """Top the vault up to `grants_total` grants with grant_many batches (1 IO each)."""
    missing = grants_total - vault.grant_count()
    salt = 0
    while missing > 0:
        batch = min(missing, 250)
        vault.grant_many(filler(batch, salt), [IO] * batch, sender=admin)
        missing -= batch
        salt += 1


def measure(eco: Any) -> list[GasRow]:
    vault = eco.suite.contracts["VestingVault.seed"]
    core = eco.suite.contracts["VestingVault.core_contributors"]
    admin, investor = eco.admin, eco.investor_seed
    start = vault.START_TIME()
    rows: list[GasRow] = []
    for n in (1, 1_000):
        tag = f"{n:,} grant{'s' if n > 1 else ''} in vault"
        with isolated():
            fill(vault, admin, n)
            fill(core, admin, n)
            assert vault.grant_count() == n
            gid = vault.grant_id_of(1, investor)  # the config's seed grant (investor holds no IO yet)
            fresh = filler(1, 999)[0]
            rows.append(at_most("VestingVault", f"grant to a fresh beneficiary ({tag})",
                                gas_of(vault.grant(fresh, 1_000 * IO, sender=admin)), 70_000))
            chain.pending_timestamp = max(chain.pending_timestamp, start + 14 * MONTH)
            chain.mine()
            rows.append(at_most("VestingVault", f"claim, first (fresh recipient) ({tag})",
                                gas_of(vault.claim(gid, investor, sender=investor)), 75_000,
                                f"OZ VestingWallet {OZ_FIRST:,}", OZ_FIRST))
            chain.pending_timestamp = chain.pending_timestamp + MONTH
            chain.mine()
            rows.append(at_most("VestingVault", f"claim, later ({tag})",
                                gas_of(vault.claim(gid, investor, sender=investor)), 45_000,
                                f"OZ VestingWallet {OZ_LATER:,}", OZ_LATER))
            chain.pending_timestamp = chain.pending_timestamp + MONTH
            chain.mine()
            rows.append(GasRow("VestingVault", f"release by a third party, later ({tag})",
                               gas_of(vault.release(gid, sender=admin))))
            cid = core.grant_id_of(1, eco.contributor)
            rows.append(GasRow("VestingVault", f"revoke (core vault, {core.grant_count():,} grants)",
                               gas_of(core.revoke(cid, sender=admin))))
            rows.append(GasRow("VestingVault", f"propose_beneficiary ({tag})",
                               gas_of(vault.propose_beneficiary(gid, eco.treasury, sender=investor))))
            rows.append(GasRow("VestingVault", f"propose_beneficiary, withdraw the proposal ({tag})",
                               gas_of(vault.propose_beneficiary(gid, ZERO, sender=investor))))
            vault.propose_beneficiary(gid, eco.treasury, sender=investor)
            rows.append(GasRow("VestingVault", f"accept_beneficiary ({tag})",
                               gas_of(vault.accept_beneficiary(gid, sender=eco.treasury))))
    with isolated():
        fresh = admin.deploy(project.VestingVault, vault.token(), "bench", 0, MONTH, 12, 24, 0, False)
        eco.fund(admin, 10 * IO)
        eco.suite.IOToken.transfer(fresh, 10 * IO, sender=admin)
        assert fresh.grant_count() == 0
        rows.append(at_most("VestingVault", "grant, a vault's first (fresh vault)",
                            gas_of(fresh.grant(filler(1, 998)[0], IO, sender=admin)), 70_000))
    with isolated():
        rows.append(GasRow("VestingVault", "grant_many, 100 grants (per grant: see gas / 100)",
                           gas_of(vault.grant_many(filler(100, 77), [IO] * 100, sender=admin))))
    return rows

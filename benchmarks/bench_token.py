"""Gas of IOToken and EmissionSchedule beside snekmate's erc20 (docs/gas-anchors.md)."""

from __future__ import annotations

from typing import Any

from ape import chain

from benchmarks.gasbench import GasRow, at_most, gas_of, isolated, within
from ionet import IO
from ionet.chain.signing import Domain, sign_permit
from ionet.models.emission import EPOCH_COUNT, EPOCH_SECONDS


def measure(eco: Any) -> list[GasRow]:
    token, sched = eco.suite.IOToken, eco.suite.EmissionSchedule
    alice, bob = eco.renter_x, eco.renter_y
    rows: list[GasRow] = []
    with isolated():
        eco.fund(alice, 1_000 * IO)  # genesis IO sits in the vesting vaults only
        eco.fund(bob, 1_000 * IO)
        fresh = eco.contributor
        rows.append(within("IOToken", "transfer to a zero-balance address",
                           gas_of(token.transfer(fresh, 100 * IO, sender=alice)), "snekmate 51,263", 51_263))
        rows.append(within("IOToken", "transfer to a nonzero-balance address",
                           gas_of(token.transfer(bob, 100 * IO, sender=alice)), "snekmate 34,151", 34_151))
        rows.append(within("IOToken", "approve (0 -> nonzero)",
                           gas_of(token.approve(bob, 100 * IO, sender=alice)), "snekmate 45,976", 45_976))
        rows.append(within("IOToken", "transferFrom, finite allowance, to nonzero balance",
                           gas_of(token.transferFrom(alice, bob, 50 * IO, sender=bob)), "snekmate 41,868", 41_868))
        # As the anchors: each permit sets a fresh allowance (0 -> nonzero) for a new spender; the
        # first one of the signer also takes its nonce from 0 to 1.
        domain = Domain("IO", "1", chain.chain_id, token.address)
        deadline = chain.pending_timestamp + 3_600
        signer = eco.provider_c
        for (label, anchor), spender in zip((("permit, first of a signer", 74_139), ("permit, repeat signer", 57_027)),
                                            (eco.provider_a, eco.provider_b), strict=True):
            nonce = token.nonces(signer)
            v, r, s = sign_permit(signer.private_key, domain, signer.address, spender.address, 100 * IO,
                                  nonce, deadline)
            rows.append(within("IOToken", label, gas_of(token.permit(signer, spender, 100 * IO, deadline, v, r, s,
                                                                     sender=bob)), f"snekmate {anchor:,}", anchor))
        rows.append(GasRow("IOToken", "burn", gas_of(token.burn(10 * IO, sender=bob))))
    # mint_due as deployed: the first mint ever goes into the empty reward pool (its balance slot
    # goes from zero to nonzero, the one-time 17.1k of any first credit), later mints into a pool
    # that holds IO. Either way its cost does not depend on how many epochs are due.
    start = sched.START_TIME()
    for pool, seed in (("first mint ever, empty reward pool", False), ("reward pool holds IO", True)):
        for label, epochs in (("one epoch due", 1), ("one day due", 24), ("twenty years due at once", EPOCH_COUNT)):
            with isolated():
                if seed:
                    eco.fund(sched.reward_recipient(), 1)
                chain.pending_timestamp = max(chain.pending_timestamp, start + epochs * EPOCH_SECONDS)
                chain.mine()
                rows.append(at_most("EmissionSchedule", f"mint_due, {label} ({pool})",
                                    gas_of(sched.mint_due(sender=alice)), 80_000))
    with isolated():
        chain.pending_timestamp = max(chain.pending_timestamp, start + 2 * EPOCH_SECONDS)
        chain.mine()
        sched.mint_due(sender=alice)
        chain.pending_timestamp = chain.pending_timestamp + EPOCH_SECONDS
        chain.mine()
        rows.append(at_most("EmissionSchedule", "mint_due, one epoch after an earlier mint",
                            gas_of(sched.mint_due(sender=alice)), 80_000))
    return rows

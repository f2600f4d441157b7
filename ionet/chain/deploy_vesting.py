"""Deploy steps of the genesis vesting vaults (issue 3).

The genesis must land in the five vaults during deployment, so that afterwards no other address
(the deployer neither) holds any genesis IO. The order is:

1. `step_vesting_vaults` (before `step_token`): predict the IOToken's address from the deployer's
   nonce (the token is the deployer's next contract after the five vaults), deploy one
   VestingVault per category pointing at that address, all with the same start: the genesis time
   (config `vesting.start_time`, 0 = the block time of the first vault's deployment). It becomes
   `manifest.genesis_time`, which the emission schedule also starts from.
2. `step_token` mints the genesis straight into the vaults (it reads their addresses from the suite).
3. `step_vesting_grants` (after `step_token`): asserts that the prediction held and that each vault
   holds exactly its category's genesis and the deployer nothing; then makes the grants of the
   config file and hands each vault's admin role to the configured admin (two-step on live networks).

The token's deployment is sent with the predicted nonce pinned (`genesis_plan`), after checking
that the deployer's next nonce is still that one: if anything used the deployer key in between, the
token deployment fails instead of landing at another address, no IO is minted into vaults that
could not move it, and the deployment simply starts again.
"""

from __future__ import annotations

from typing import Any

import rlp
from ape import accounts
from eth_utils import keccak, to_checksum_address

from ionet import IO
from ionet.models.vesting import MONTH

VAULT_KEY = "VestingVault.{}"


def vault_key(category: str) -> str:
    return VAULT_KEY.format(category)


def contract_address(deployer: str, nonce: int) -> str:
    """The address of the contract that `deployer` creates with transaction nonce `nonce`."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(deployer[2:]), nonce]))[12:])


def resolve(suite: Any, value: str) -> str:
    """'deployer', 'test:<n>' (local chains: ape's test account n) or a 0x address."""
    if value == "deployer":
        return suite.deployer.address
    if value.startswith("test:"):
        if not suite.is_local:
            raise ValueError(f"'{value}' names a test account: only for local chains")
        return accounts.test_accounts[int(value.split(":", 1)[1])].address
    return to_checksum_address(value)


def vaults(suite: Any) -> dict[str, Any]:
    """The deployed vaults by category, in genesis order."""
    return {g["category"]: suite.contracts[vault_key(g["category"])] for g in suite.config["genesis"]
            if vault_key(g["category"]) in suite.contracts}


def genesis_plan(suite: Any) -> tuple[list[str], dict[str, Any]]:
    """For `step_token`: the genesis recipients (each category's vault, else the config's
    `recipient`) and the transaction kwargs that pin the token to its predicted address."""
    genesis = suite.config["genesis"]
    deployed = vaults(suite)
    recipients = [deployed[g["category"]].address if g["category"] in deployed
                  else suite.address_of(g.get("recipient", "deployer")) for g in genesis]
    if not deployed:
        return recipients, {}
    predicted = {v.token() for v in deployed.values()}
    assert len(predicted) == 1, "vaults disagree on the token address"
    nonce = suite.deployer.nonce
    assert contract_address(suite.deployer.address, nonce) == predicted.pop(), \
        "the deployer key was used since the vaults were deployed: the token would miss its predicted address"
    return recipients, {"nonce": nonce}


def step_vesting_vaults(suite: Any) -> None:
    """One VestingVault per genesis category, at the token's predicted address, one start for all."""
    cfg = suite.config["vesting"]
    categories = [g["category"] for g in suite.config["genesis"]]
    nonce = suite.deployer.nonce
    # A resumed deploy (ionet.chain.journal) reuses the vaults an earlier run deployed: the token
    # comes after the ones still missing.
    missing = [c for c in categories if not suite.resumed(vault_key(c))]
    predicted = contract_address(suite.deployer.address, nonce + len(missing))
    period = int(cfg.get("period_seconds", MONTH))
    start = int(cfg.get("start_time", 0))
    for category in categories:
        v = cfg["vaults"][category]
        args = (predicted, category, start, period, int(v["cliff_periods"]), int(v["tranche_count"]),
                int(v["unlocked_bps"]), bool(v["revocable"]))
        vault = suite.deploy(vault_key(category), "VestingVault", *args, params={
            "category": category, "token": predicted, "start_time": start or "deployment block",
            "period_seconds": period, "cliff_periods": args[4], "tranche_count": args[5],
            "unlocked_bps": args[6], "revocable": args[7]})
        if start == 0:  # the first vault fixed the genesis time; the others take the same
            start = vault.START_TIME()
            suite.manifest.contracts[vault_key(category)].args["start_time"] = start
    suite.manifest.genesis_time = start
    suite.log(f"vesting vaults start at genesis time {start}; "
              f"IOToken predicted at {predicted} (nonce {nonce + len(missing)})")


def step_vesting_grants(suite: Any) -> None:
    """Check the genesis landed in the vaults only, then make the configured grants."""
    cfg = suite.config["vesting"]
    token = suite.IOToken
    # Checked while nothing has been granted yet; a resumed deploy that already made grants (here or
    # in the market step, which takes the pool's IO from the R&D vault) checked it in its first run.
    untouched = all(suite.contracts[vault_key(g["category"])].total_granted() == 0 for g in suite.config["genesis"])
    for g in suite.config["genesis"]:
        vault = suite.contracts[vault_key(g["category"])]
        assert vault.token() == token.address, f"IOToken address prediction failed for {g['category']}"
        assert not untouched or token.balanceOf(vault) == int(g["amount_io"]) * IO, \
            f"vault {g['category']} holds the wrong genesis"
    assert not untouched or token.balanceOf(suite.deployer) == 0, "the deployer holds genesis IO"
    for category, vault in vaults(suite).items():
        made = []
        for grant in cfg["vaults"][category].get("grants", []):
            who = resolve(suite, grant["beneficiary"])
            amount = int(grant["amount_io"]) * IO
            receipt = suite.send(vault.grant, who, amount)
            grant_id = vault.Granted.from_receipt(receipt)[0].grant_id
            made.append({**grant, "beneficiary": who, "grant_id": hex(grant_id)})
            suite.log(f"{vault_key(category)}: granted {int(grant['amount_io']):,} IO to "
                      f"{grant.get('label', who)} ({who})")
        suite.manifest.contracts[vault_key(category)].args["grants"] = made
        admin = resolve(suite, cfg.get("admin", "deployer"))
        if admin != suite.deployer.address:
            suite.send(vault.transfer_ownership, admin)
            suite.log(f"{vault_key(category)}: admin handover to {admin} started (it must accept_ownership)")

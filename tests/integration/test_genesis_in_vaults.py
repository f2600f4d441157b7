"""After deployment the genesis sits in the five vesting vaults and nowhere else, but for the
protocol-owned liquidity of the IO/USDC pool, granted out of the R&D & Ecosystem vault."""

from __future__ import annotations

from ape import chain

from ionet import IO


def test_deploy__genesis_only_in_vaults__no_other_address_holds_io(suite, token, vaults, owner):
    vault_addresses = {v.address for v in vaults.values()}
    # Replay every Transfer of the token from its deployment to now (the end of the deployment).
    balances: dict[str, int] = {}
    for log in token.Transfer.range(suite.manifest.contracts["IOToken"].block, chain.blocks.head.number + 1):
        balances[log.sender] = balances.get(log.sender, 0) - log.value
        balances[log.receiver] = balances.get(log.receiver, 0) + log.value
    holders = {a for a, b in balances.items() if b > 0 and a != "0x0000000000000000000000000000000000000000"}
    pool = suite.manifest.contracts["UniswapV3Pool.IO/USDC"]
    assert holders == vault_addresses | {pool.address}
    assert token.balanceOf(owner) == 0
    in_pool = balances[pool.address]  # the position, and the position manager's rounding dust
    assert 5_000_000 * IO == in_pool
    assert sum(token.balanceOf(v) for v in vaults.values()) + in_pool == token.totalSupply() == 500_000_000 * IO
    for g in suite.config["genesis"]:
        from_vault = in_pool if g["category"] == "rnd_ecosystem" else 0
        assert token.balanceOf(vaults[g["category"]]) == g["amount_io"] * IO - from_vault
    minted = token.GenesisMinted.range(suite.manifest.contracts["IOToken"].block,
                                       suite.manifest.contracts["IOToken"].block + 1)
    assert {m.recipient for m in minted} == vault_addresses


def test_deploy__manifest_lists_vaults_by_category(suite, vaults):
    for category, vault in vaults.items():
        record = suite.manifest.contracts[f"VestingVault.{category}"]
        assert record.address == vault.address and record.args["category"] == category
        assert record.args["start_time"] == suite.manifest.genesis_time == vault.START_TIME()
    assert set(vaults) == {"community", "rnd_ecosystem", "seed", "series_a", "core_contributors"}


def test_fund__community_vault__pays_by_grant_and_release(suite, token, vaults, alice):
    from ionet.chain.economy import Economy

    eco = Economy(suite=suite)
    before = vaults["community"].totals()
    gid = eco.fund(alice, 123 * IO)
    assert token.balanceOf(alice) == 123 * IO
    st = vaults["community"].grant_state(gid)
    assert (st.beneficiary, st.amount, st.claimed) == (alice.address, 123 * IO, 123 * IO)
    after = vaults["community"].totals()
    assert after.unallocated == before.unallocated - 123 * IO


def test_genesis_plan__deployer_key_used_after_vaults__refuses_to_deploy_token(owner):
    """If the token would miss its predicted address, the deployment stops before minting anything."""
    import pytest

    from ionet.chain.deploy_vesting import genesis_plan, step_vesting_vaults
    from ionet.chain.suite import Suite
    from ionet.config import load_config
    from ionet.manifest import Manifest

    s = Suite(deployer=owner, config=load_config("local"))
    s.manifest = Manifest(chain_id=chain.chain_id, network="ethereum:local", deployer=owner.address)
    step_vesting_vaults(s)
    recipients, pinned = genesis_plan(s)
    assert recipients == [s.contracts[f"VestingVault.{g['category']}"].address for g in s.config["genesis"]]
    assert pinned == {"nonce": owner.nonce}
    owner.transfer(owner, 0)  # the deployer key sends something else in between
    with pytest.raises(AssertionError, match="deployer key was used"):
        genesis_plan(s)

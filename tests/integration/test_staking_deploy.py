"""The staking deploy step reads its roles and parameters from the config, as on a live network."""

import copy

from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.models.staking import device_class


def test_step_staking__config_roles_and_classes__applied(scratch_deployer, owner, treasury, carol):
    cfg = copy.deepcopy(load_config("local"))
    cfg["staking"].update({"max_slash_bps": 2_500, "slasher": treasury.address, "pauser": carol.address,
                           "min_slash_interval_seconds": 2 * 86_400,  # the least the 1-day delay allows
                           "class_multipliers": {"H100": 100_000, "RTX 4090": 12_500}})
    # A fresh deployer: a second suite from `owner` would reuse addresses later tests deploy to.
    suite = deploy_suite(scratch_deployer, cfg)
    st = suite.NodeStaking
    assert st.hasRole(st.SLASHER_ROLE(), treasury) and st.hasRole(st.PAUSER_ROLE(), carol)
    assert not st.hasRole(st.PAUSER_ROLE(), owner)
    assert st.max_slash_bps() == 2_500
    assert st.class_multiplier(device_class("RTX 4090")) == 12_500
    assert st.class_multiplier(device_class("B200")) == 0
    assert st.token() == suite.IOToken.address
    record = suite.manifest.contracts["NodeStaking"]
    assert record.args["max_slash_bps"] == 2_500 and record.abi == "abi/NodeStaking.json"
    assert st.MIN_SLASH_INTERVAL_SECONDS() == 2 * 86_400 == record.args["min_slash_interval_seconds"]

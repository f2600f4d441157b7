from ionet import IO
from ionet.staking import device_class, device_id


def test_stake__minimum_met__device_eligible(staking, token, owner, alice, operator):
    dev = device_id("smoke-1")
    staking.register_device(dev, device_class("H100"), 8, alice, sender=alice)
    assert staking.min_stake(dev) == 16_000 * IO
    token.transfer(alice, 16_000 * IO, sender=owner)
    token.approve(staking, 16_000 * IO, sender=alice)
    tx = staking.stake(dev, 16_000 * IO, sender=alice)
    print("stake gas", tx.gas_used)
    assert staking.is_eligible(dev)
    tx = staking.slash(dev, 1_000 * IO, b"\x01" * 32, True, sender=operator)
    print("slash gas", tx.gas_used)
    assert not staking.is_eligible(dev)

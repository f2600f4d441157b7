def test_dbg(suite, owner):
    import json
    from ape import chain
    w3 = chain.provider.web3
    abi = json.load(open("abi/NodeStaking.json"))
    for dt in (False, True):
        c = w3.eth.contract(address=suite.NodeStaking.address, abi=abi, decode_tuples=dt)
        d = b"\x01" * 32
        print("single", dt, c.functions.device_info(d).call(), c.functions.reward_split(d).call(), c.functions.device_count().call())
        print("ape", suite.NodeStaking.device_info(d))
    assert 0

"""Room under EIP-170 (issue 17): every deployable contract keeps its runtime code at most 22,000 bytes
of the 24,576 the chain accepts, so that a fix never has to wait for a split. The same figures are
the size table `make gas` writes into benchmarks/gas.md."""

from __future__ import annotations

import pytest

from benchmarks.gasbench import EIP170_BYTES, SIZE_GOAL_BYTES, deployable_contracts, render_sizes, runtime_sizes


def test_deployable_contracts__the_suite__every_top_level_contract():
    names = deployable_contracts()
    split = {"IncentiveEngine", "FeeVaultDesk", "SettlementRouter", "MarketDesk"}
    assert split | {"NodeStaking", "Timelock", "IOToken"} <= set(names)
    assert not any(n.startswith("Mock") for n in names)


@pytest.mark.parametrize("name", deployable_contracts())
def test_runtime_size__every_deployable_contract__at_most_22000_bytes(name):
    size = runtime_sizes()[name]
    assert 0 < size <= SIZE_GOAL_BYTES < EIP170_BYTES, f"{name}: {size:,} bytes"


def test_render_sizes__a_contract_over_the_goal__marked_missed():
    lines = render_sizes({"Big": SIZE_GOAL_BYTES + 1, "Small": 1_000})
    assert any(line.startswith("| Big | 22,001 | 2,575 |") and line.endswith("MISSED |") for line in lines)
    assert any(line.startswith("| Small | 1,000 | 23,576 |") and line.endswith("met |") for line in lines)

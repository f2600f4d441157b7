"""The suite's USDC, chosen once for the market step (which runs first) and the router step: the
address the deploy config names (checked to have code), or on a local chain only the test double
`MockUSDC` (whose deployer is its master minter and a minter)."""

from __future__ import annotations

from typing import Any

from ape import chain

MAX_UINT256 = 2**256 - 1


def _usdc(suite: Any, cfg: dict[str, Any]) -> tuple[str, bool]:
    """(address, is_mock). Refuses to stand in a mock anywhere but a local chain."""
    given = cfg.get("usdc")
    if given:
        if not chain.provider.web3.eth.get_code(given):
            raise SystemExit(f"settlement.usdc {given} has no code on {suite.network}")
        return given, False
    if not suite.is_local:
        raise SystemExit(
            "a live network needs the real USDC address: set settlement.usdc in the deploy "
            "config or pass --usdc; no test double is deployed outside a local chain"
        )
    mock = suite.deploy("MockUSDC", "MockUSDC", params={"test_double": True})
    suite.send(mock.configureMinter, suite.deployer.address, MAX_UINT256)
    suite.log("no USDC address given on a local chain: deployed MockUSDC (deployer is its minter)")
    return mock.address, True


def ensure_usdc(suite: Any) -> tuple[str, bool]:
    """The suite's USDC (address, is_mock), chosen once: the market step (which runs first) and the
    router step share it. Sets suite.contracts["USDC"]."""
    if "USDC" not in suite.contracts:
        cfg = dict(suite.config.get("settlement") or {})
        usdc, is_mock = _usdc(suite, cfg)
        if is_mock:
            suite.contracts["USDC"] = suite.contracts["MockUSDC"]
        else:
            from ape import Contract

            suite.contracts["USDC"] = Contract(usdc, abi=_usdc_abi())
    usdc = suite.contracts["USDC"].address
    return usdc, "MockUSDC" in suite.contracts and suite.contracts["MockUSDC"].address == usdc


def _usdc_abi() -> list[dict[str, Any]]:
    from ape import project

    return [abi.model_dump(mode="json", by_alias=True) for abi in project.MockUSDC.contract_type.abi]

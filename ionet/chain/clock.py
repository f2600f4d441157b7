"""Moving a local chain's clock (Anvil): the one implementation the demo, benches and tests use."""

from __future__ import annotations

from ape import chain


def advance(seconds: int) -> None:
    """Move the chain's clock forward by `seconds` and mine a block."""
    chain.pending_timestamp = chain.pending_timestamp + seconds
    chain.mine()


def advance_to(timestamp: int) -> None:
    """Move the chain's clock to `timestamp` (if it is in the future) and mine a block."""
    if timestamp > chain.pending_timestamp:
        chain.pending_timestamp = timestamp
    chain.mine()

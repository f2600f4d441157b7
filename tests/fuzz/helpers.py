"""Helpers for hypothesis on Anvil (docs/toolchain.md): ape isolates per test, not per example."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ape import chain


@contextmanager
def chain_snapshot() -> Iterator[None]:
    """Roll the chain back after one hypothesis example. (Not `chain.isolate()`, which swallows
    assertion errors in eth-ape 0.8.51.)"""
    snap = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snap)

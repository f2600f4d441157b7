"""The operator's own connection to a node: web3's HTTPProvider with its retry configuration over
every method the operator calls, so that an RPC that drops, delays or fails a request is retried
(with back-off) instead of failing a cycle.

Retrying is safe for every one of these methods: reads are idempotent, and `eth_sendRawTransaction`
carries a signed transaction, so sending it twice is the same transaction (the node answers
"already known", or "nonce too low" once it is mined: the executor treats both as sent). A request
that fails every retry raises, the cycle stops, and the next cycle reconciles the journal with the
chain before acting again (nothing is lost: every transaction is in the journal before it is sent).
"""

from __future__ import annotations

import time
from typing import Any

import requests
from web3 import Web3
from web3.providers.rpc.utils import ExceptionRetryConfiguration

# every JSON-RPC method the operator's chain reader, executor and journal reconciliation use
METHODS = (
    "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getBlockByHash", "eth_getBalance",
    "eth_getTransactionCount", "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_estimateGas",
    "eth_call", "eth_maxPriorityFeePerGas", "eth_gasPrice", "eth_sendRawTransaction", "eth_getLogs",
)
RETRIES = 10
BACKOFF = 0.02  # seconds, doubled each retry (at most ~20 s over all retries)
BATCH_SIZE = 500  # calls a JSON-RPC batch (public RPCs cap batches: 100 to 1,000)
TRANSIENT = (requests.ConnectionError, requests.HTTPError, requests.Timeout, ConnectionError, TimeoutError)


def connect(url: str, retries: int = RETRIES, backoff: float = BACKOFF, timeout: float = 10.0) -> Any:
    """A Web3 on `url` whose every operator method is retried on a dropped connection, an HTTP
    error or a timeout."""
    provider = Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": timeout},
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=(requests.ConnectionError, requests.HTTPError, requests.Timeout),
            retries=retries,
            backoff_factor=backoff,
            method_allowlist=list(METHODS),
        ),
    )
    return Web3(provider)


def is_transient(err: BaseException) -> bool:
    """An RPC failure (retry later), not an answer of the chain."""
    return isinstance(err, TRANSIENT)


def batch_call(w3: Any, calls: list[Any], block: int | str = "latest", size: int = BATCH_SIZE,
               retries: int = RETRIES, backoff: float = BACKOFF) -> list[Any]:
    """The results of many contract view calls (web3 `ContractFunction`s with their arguments bound)
    at one block, in JSON-RPC batches of `size`: one HTTP request a batch instead of one a call.
    web3 retries single requests only, so a batch whose request fails is retried here the same way
    (a call answered with an error is not retried: it raises)."""
    out: list[Any] = []
    for i in range(0, len(calls), size):
        chunk = calls[i : i + size]
        for attempt in range(retries + 1):
            try:
                with w3.batch_requests() as batch:
                    for fn in chunk:
                        batch.add(fn.call(block_identifier=block))
                    out.extend(batch.execute())
                break
            except TRANSIENT:
                if attempt == retries:
                    raise
                time.sleep(backoff * 2**attempt)
    return out

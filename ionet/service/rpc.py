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
from types import SimpleNamespace
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


class View:
    """One function of a contract (a view, for `batch_call`), encoded and decoded with eth_abi directly: web3's
    `ContractFunction.call` spends ~4 ms of CPU preparing each call, which at 10,000 open bookings was
    most of a snapshot. `View(contract, "bookings")(7)` is a call to put in `batch_call`."""

    def __init__(self, contract: Any, name: str) -> None:
        from eth_utils import function_signature_to_4byte_selector
        from eth_utils.abi import collapse_if_tuple

        [abi] = [x for x in contract.abi if x.get("type") == "function" and x["name"] == name]
        self.to = str(contract.address)
        self.inputs = [collapse_if_tuple(i) for i in abi["inputs"]]
        self.outputs = [collapse_if_tuple(o) for o in abi["outputs"]]
        self.selector = function_signature_to_4byte_selector(f"{name}({','.join(self.inputs)})")
        outs = abi["outputs"]
        # a struct (one tuple output): its components' names, for `struct`
        self.fields = [c["name"] for c in outs[0]["components"]] if len(outs) == 1 and "components" in outs[0] else []

    def __call__(self, *args: Any) -> tuple[View, tuple]:
        return self, args

    def data(self, *args: Any) -> str:
        """The call's calldata, 0x-hex."""
        from eth_abi import encode

        return "0x" + (self.selector + encode(self.inputs, list(args))).hex()

    def request(self, args: tuple, block: int | str) -> tuple[str, list]:
        return "eth_call", [{"to": self.to, "data": self.data(*args)}, hex(block) if isinstance(block, int) else block]

    def decode(self, result: str) -> Any:
        """One output as itself (a struct as a tuple), several as a tuple."""
        from eth_abi import decode

        values = decode(self.outputs, bytes.fromhex(result.removeprefix("0x")))
        return values[0] if len(values) == 1 else values

    def struct(self, value: Any) -> SimpleNamespace:
        """A decoded struct as attributes named by the ABI's components."""
        return SimpleNamespace(**dict(zip(self.fields, value, strict=True)))


def batch_call(w3: Any, calls: list[tuple[View, tuple]], block: int | str = "latest", size: int = BATCH_SIZE,
               retries: int = RETRIES, backoff: float = BACKOFF) -> list[Any]:
    """The results of many view calls (`View(...)(args)`) at one block, in JSON-RPC batches of `size`:
    one HTTP request a batch instead of one a call. web3 retries single requests only, so a batch
    whose request fails is retried here the same way; a call answered with an error (a revert)
    raises RuntimeError with the node's message, and is not retried."""
    out: list[Any] = []
    for i in range(0, len(calls), size):
        chunk = calls[i : i + size]
        requests_ = [view.request(args, block) for view, args in chunk]
        for attempt in range(retries + 1):
            try:
                answers = w3.provider.make_batch_request(requests_)
                break
            except TRANSIENT:
                if attempt == retries:
                    raise
                time.sleep(backoff * 2**attempt)
        if not isinstance(answers, list) or len(answers) != len(chunk):
            raise RuntimeError(f"batch of {len(chunk)} eth_calls answered {answers!r:.200}")
        for (view, _args), answer in zip(chunk, answers, strict=True):
            if "error" in answer:
                error = answer["error"]
                message = error.get("message", error) if isinstance(error, dict) else error
                raise RuntimeError(f"eth_call to {view.to} failed: {message}")
            out.append(view.decode(answer["result"]))
    return out

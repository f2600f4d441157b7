"""A loopback JSON-RPC proxy that injects the faults a real RPC provider has (issue 19, faults):

    drop       the connection is closed before the request reaches the node (no answer)
    delay      the request waits `delay_s` before it is forwarded (then answered)
    fail       HTTP 503 without forwarding (a gateway's "service unavailable")
    lose       eth_sendRawTransaction only: forwarded to the node, then the connection closed
               before the answer (the transaction is in the node; the sender does not know)

Each request meets a fault with probability `rate` (drop, delay and fail equally likely), and each
eth_sendRawTransaction is forwarded-then-lost with probability `lose_rate`; seeded, so a failing run
can be repeated. `counts` tells what was injected.

    with FaultProxy(upstream, rate=0.2, lose_rate=0.5, seed=1) as proxy:
        w3 = ionet.service.rpc.connect(proxy.url)
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultProxy:
    def __init__(self, upstream: str, rate: float = 0.2, lose_rate: float = 0.0, delay_s: float = 0.05,
                 seed: int = 0) -> None:
        self.upstream = upstream
        self.rate, self.lose_rate, self.delay_s = rate, lose_rate, delay_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body leave in two writes: with Nagle's algorithm the body waited for the
            # client's delayed ACK (~40 ms a request on loopback, most of the fault test's time)
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    method = json.loads(body).get("method", "")
                except (ValueError, AttributeError):
                    method = ""
                fault = proxy._draw(method)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == "fail":
                    self._answer(503, b'{"error": "FaultProxy: injected 503"}')
                    return
                if fault == "delay":
                    time.sleep(proxy.delay_s)
                answer = proxy._forward(body)
                if fault == "lose":
                    self.close_connection = True
                    self.connection.close()
                    return
                self._answer(200, answer)

            def _answer(self, code: int, payload: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _draw(self, method: str) -> str | None:
        with self.lock:
            self.counts["requests"] += 1
            fault = None
            if self.rng.random() < self.rate:
                fault = self.rng.choice(("drop", "delay", "fail"))
            elif method == "eth_sendRawTransaction" and self.rng.random() < self.lose_rate:
                fault = "lose"
            if fault:
                self.counts[fault] += 1
                if method == "eth_sendRawTransaction":
                    self.counts[f"{fault} sendRawTransaction"] += 1
            return fault

    def _forward(self, body: bytes) -> bytes:
        req = urllib.request.Request(self.upstream, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

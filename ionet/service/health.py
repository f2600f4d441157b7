"""What the operator shows its operators: a health snapshot after every cycle, served as JSON
(`/health`) and as Prometheus metrics (`/metrics`), and structured (JSON lines) logs.

The snapshot is a pure function of what the cycle already read (the chain snapshot, the journal's
counts, the role keys' balances): `health_of`. The HTTP server never calls the chain: it serves the
last snapshot the operator's loop stored, with its age, so a stuck loop shows as a stale snapshot
(503) instead of a server that still answers "ok".

    /health    200 {"status": "ok", ...} or 503 {"status": "lagging" | "stale", ...}
    /metrics   the Prometheus text format (prometheus_client), every figure of the snapshot

Metrics (gauges unless said): ionet_operator_epoch{stage="ended|stated|settled|rooted"},
ionet_operator_lag_seconds (how long an ended epoch has waited unsettled), ionet_operator_intents
{status="pending|confirmed|failed"}, ionet_operator_failed_intents{kind}, ionet_operator_failures_total
{kind} (counter, this process: revert, no_key, rpc, stuck_replaced), ionet_operator_key_balance_wei{role},
ionet_operator_key_low_balance{role} (1 below the threshold), ionet_operator_snapshot_age_seconds,
ionet_operator_cycles_total, ionet_operator_transactions_sent_total, ionet_operator_notes (feed gaps
and other things the plan declined to do).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ionet.service.plan import Snapshot

LOW_BALANCE_WEI = 5 * 10**16  # 0.05 ETH: a few hundred of the operator's transactions at 10 gwei
MAX_LAG_SECONDS = 3 * 3_600  # an ended epoch unsettled for longer is unhealthy
MAX_AGE_SECONDS = 15 * 60  # a snapshot older than this (chain-independent wall time): the loop is stuck
PENDING = ("planned", "signed", "sent", "mined")


@dataclass(frozen=True)
class Health:
    chain_time: int
    epochs_ended: int  # IDE epochs whose close is behind the chain's clock
    last_stated: int
    last_settled: int
    rooted_through: int  # IDE epochs the active root covers
    lag_seconds: int  # since the close of the oldest ended epoch not settled (0 when none)
    pending: int
    confirmed: int
    failed: int
    failed_by_kind: dict[str, int]  # failed intents in the journal, by intent kind
    failures: dict[str, int]  # this process's send failures, by kind
    balances: dict[str, int]  # role -> wei
    low_balance: list[str]  # roles under the threshold
    notes: list[str]  # what the plan declined to do and why (e.g. hours the feed has no data for)
    cycles: int = 0
    sent: int = 0
    made_at: float = field(default_factory=time.time)  # wall clock

    @property
    def lagging(self) -> bool:
        return self.lag_seconds > MAX_LAG_SECONDS

    def status(self, now: float | None = None, max_age: float = MAX_AGE_SECONDS) -> str:
        if (time.time() if now is None else now) - self.made_at > max_age:
            return "stale"
        return "lagging" if self.lagging else "ok"

    def as_json(self, now: float | None = None) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status(now)
        out["age_seconds"] = round((time.time() if now is None else now) - self.made_at, 3)
        out["balances"] = {k: str(v) for k, v in self.balances.items()}  # wei as decimal strings
        return out


def health_of(
    snap: Snapshot,
    counts: Mapping[str, int],
    failed_by_kind: Mapping[str, int],
    failures: Mapping[str, int],
    balances: Mapping[str, int],
    notes: list[str],
    low_balance_wei: int = LOW_BALANCE_WEI,
    cycles: int = 0,
    sent: int = 0,
) -> Health:
    eng, dist = snap.engine, snap.distributor
    ended = stated = settled = rooted = lag = 0
    if eng is not None and eng.active:
        ended, stated, settled = eng.ended_epochs(snap.now), eng.last_stated, eng.last_settled
        if ended > settled:
            lag = snap.now - eng.epoch_end(settled + 1)
        if dist is not None and dist.active_through_time >= eng.start_time:
            rooted = (dist.active_through_time - eng.start_time) // eng.epoch_seconds
    return Health(
        chain_time=snap.now,
        epochs_ended=ended,
        last_stated=stated,
        last_settled=settled,
        rooted_through=rooted,
        lag_seconds=max(0, lag),
        pending=sum(counts.get(s, 0) for s in PENDING),
        confirmed=counts.get("confirmed", 0),
        failed=counts.get("failed", 0),
        failed_by_kind=dict(failed_by_kind),
        failures=dict(failures),
        balances=dict(balances),
        low_balance=sorted(r for r, wei in balances.items() if wei < low_balance_wei),
        notes=list(notes),
        cycles=cycles,
        sent=sent,
    )


class _Collector:
    """Prometheus collector over the latest snapshot (read at scrape time, never the chain)."""

    def __init__(self, latest: Callable[[], Health | None]) -> None:
        self.latest = latest

    def collect(self):
        h = self.latest()
        if h is None:
            return
        epoch = GaugeMetricFamily("ionet_operator_epoch", "IDE epochs by stage", labels=["stage"])
        for stage, v in (("ended", h.epochs_ended), ("stated", h.last_stated), ("settled", h.last_settled),
                         ("rooted", h.rooted_through)):
            epoch.add_metric([stage], v)
        yield epoch
        yield GaugeMetricFamily("ionet_operator_lag_seconds", "ended epoch unsettled for", value=h.lag_seconds)
        intents = GaugeMetricFamily("ionet_operator_intents", "journal intents by status", labels=["status"])
        for status, v in (("pending", h.pending), ("confirmed", h.confirmed), ("failed", h.failed)):
            intents.add_metric([status], v)
        yield intents
        by_kind = GaugeMetricFamily("ionet_operator_failed_intents", "failed intents by kind", labels=["kind"])
        for kind, v in sorted(h.failed_by_kind.items()):
            by_kind.add_metric([kind], v)
        yield by_kind
        fails = CounterMetricFamily("ionet_operator_failures", "send failures of this process", labels=["kind"])
        for kind, v in sorted(h.failures.items()):
            fails.add_metric([kind], v)
        yield fails
        bal = GaugeMetricFamily("ionet_operator_key_balance_wei", "role keys' balances", labels=["role"])
        low = GaugeMetricFamily("ionet_operator_key_low_balance", "1: under the threshold", labels=["role"])
        for role, wei in sorted(h.balances.items()):
            bal.add_metric([role], wei)
            low.add_metric([role], int(role in h.low_balance))
        yield bal
        yield low
        yield GaugeMetricFamily("ionet_operator_snapshot_age_seconds", "wall seconds since the last cycle",
                                value=time.time() - h.made_at)
        yield CounterMetricFamily("ionet_operator_cycles", "cycles run by this process", value=h.cycles)
        yield CounterMetricFamily("ionet_operator_transactions_sent", "transactions sent by this process", value=h.sent)
        yield GaugeMetricFamily("ionet_operator_notes", "things the last plan declined to do", value=len(h.notes))


class HealthServer:
    """`/health` and `/metrics` on a loopback port, in a daemon thread, over `latest()`."""

    def __init__(self, latest: Callable[[], Health | None], host: str = "127.0.0.1", port: int = 0,
                 max_age: float = MAX_AGE_SECONDS) -> None:
        registry = CollectorRegistry()
        registry.register(_Collector(latest))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                if path == "/metrics":
                    self._send(200, generate_latest(registry), "text/plain; version=0.0.4; charset=utf-8")
                elif path == "/health":
                    h = latest()
                    if h is None:
                        body = {"status": "starting"}
                        code = 503
                    else:
                        body = h.as_json()
                        body["status"] = h.status(max_age=max_age)
                        code = 200 if body["status"] == "ok" else 503
                    self._send(code, json.dumps(body).encode(), "application/json")
                else:
                    self._send(404, b'{"detail": "HealthServer: unknown path (/health, /metrics)"}', "application/json")

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:  # no access log on stderr
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class JsonLog:
    """Structured logs: one JSON object per line (`ts`, `level`, `msg`, and the fields given), to a
    stream and/or a file; also an `Operator.log` (called with a message only)."""

    def __init__(self, path: str | None = None, stream: IO[str] | None = sys.stderr,
                 echo: Callable[[str], None] | None = None) -> None:
        self.file = open(path, "a", buffering=1) if path else None  # noqa: SIM115 (closed by close())
        self.stream = stream
        self.echo = echo

    def __call__(self, msg: str, level: str = "info", **fields: Any) -> None:
        line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg,
                           **fields}, default=str)
        for out in (self.file, self.stream):
            if out is not None:
                out.write(line + "\n")
        if self.echo is not None:
            self.echo(msg)

    def warning(self, msg: str, **fields: Any) -> None:
        self(msg, level="warning", **fields)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

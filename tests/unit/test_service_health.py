"""ionet/service/health.py: the operator's health snapshot (a pure function of what a cycle read),
its /health and /metrics endpoints, and the structured log."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from ionet.service.health import LOW_BALANCE_WEI, MAX_LAG_SECONDS, HealthServer, JsonLog, health_of
from ionet.service.plan import DistributorState, EngineState, Snapshot

DAY = 86_400
START = 1_000_000


def _snap(now: int, stated: int, settled: int, through_time: int = 0, active: bool = True) -> Snapshot:
    engine = EngineState(active=active, start_time=START, epoch_seconds=DAY, last_stated=stated, last_settled=settled)
    return Snapshot(now=now, block=1, origin=START - 5 * 3_600, engine=engine,
                    distributor=DistributorState(activation_delay=3_600, active_through_time=through_time))


def _health(snap, balances=None, **kw):
    counts = {"planned": 1, "signed": 2, "sent": 0, "mined": 3, "confirmed": 40, "failed": 2}
    return health_of(snap, counts, {"settle": 2}, {"revert": 2}, balances or {"oracle": 10**18}, ["no feed"], **kw)


def test_health_of__an_ended_epoch_unsettled__lag_from_its_close():
    # epochs 1..3 ended (now is 40 min into epoch 4), 2 settled: epoch 3 closed 40 min ago
    h = _health(_snap(START + 3 * DAY + 2_400, stated=3, settled=2, through_time=START + 2 * DAY))
    assert (h.epochs_ended, h.last_stated, h.last_settled, h.rooted_through) == (3, 3, 2, 2)
    assert h.lag_seconds == 2_400 and not h.lagging
    assert (h.pending, h.confirmed, h.failed) == (6, 40, 2)
    assert h.failed_by_kind == {"settle": 2} and h.failures == {"revert": 2} and h.notes == ["no feed"]


def test_health_of__every_ended_epoch_settled__no_lag_and_ok():
    h = _health(_snap(START + 3 * DAY + 2_400, stated=3, settled=3))
    assert h.lag_seconds == 0 and h.status() == "ok"


def test_health_of__two_epochs_behind__lagging():
    h = _health(_snap(START + 3 * DAY + 60, stated=1, settled=1))
    assert h.lag_seconds == DAY + 60 > MAX_LAG_SECONDS and h.status() == "lagging"


def test_health_of__engine_not_active__nothing_due():
    h = _health(_snap(START + 9 * DAY, stated=0, settled=0, active=False))
    assert (h.epochs_ended, h.lag_seconds, h.rooted_through) == (0, 0, 0)


def test_health_of__a_key_under_the_threshold__named_low():
    h = _health(_snap(START, 0, 0), balances={"oracle": LOW_BALANCE_WEI - 1, "keeper": LOW_BALANCE_WEI})
    assert h.low_balance == ["oracle"]
    assert _health(_snap(START, 0, 0), balances={"oracle": 10}, low_balance_wei=10).low_balance == []


def test_health__older_than_max_age__stale():
    h = _health(_snap(START, 0, 0))
    assert h.status(now=h.made_at + 10) == "ok" and h.status(now=h.made_at + 10, max_age=5) == "stale"


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_health_server__health_and_metrics__serve_the_latest_snapshot():
    latest = {"h": None}
    server = HealthServer(lambda: latest["h"], max_age=60)
    try:
        code, body = _get(server.url + "/health")
        assert code == 503 and json.loads(body) == {"status": "starting"}
        latest["h"] = _health(_snap(START + 3 * DAY + 2_400, stated=3, settled=2, through_time=START + 2 * DAY),
                              balances={"oracle": 7, "keeper": 10**18})
        code, body = _get(server.url + "/health")
        doc = json.loads(body)
        assert code == 200 and doc["status"] == "ok" and doc["lag_seconds"] == 2_400
        assert doc["balances"] == {"oracle": "7", "keeper": str(10**18)} and doc["low_balance"] == ["oracle"]
        code, body = _get(server.url + "/metrics")
        assert code == 200
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(body.decode()) for s in f.samples}
        assert samples[("ionet_operator_epoch", (("stage", "settled"),))] == 2
        assert samples[("ionet_operator_epoch", (("stage", "rooted"),))] == 2
        assert samples[("ionet_operator_lag_seconds", ())] == 2_400
        assert samples[("ionet_operator_intents", (("status", "pending"),))] == 6
        assert samples[("ionet_operator_failed_intents", (("kind", "settle"),))] == 2
        assert samples[("ionet_operator_failures_total", (("kind", "revert"),))] == 2
        assert samples[("ionet_operator_key_balance_wei", (("role", "oracle"),))] == 7
        assert samples[("ionet_operator_key_low_balance", (("role", "oracle"),))] == 1
        assert samples[("ionet_operator_key_low_balance", (("role", "keeper"),))] == 0
        latest["h"] = _health(_snap(START + 3 * DAY + 60, stated=1, settled=1))
        code, body = _get(server.url + "/health")
        assert code == 503 and json.loads(body)["status"] == "lagging"
        code, body = _get(server.url + "/nowhere")
        assert code == 404 and b"HealthServer: unknown path" in body
    finally:
        server.close()


def test_json_log__one_object_per_line_with_its_fields(tmp_path):
    stream, echoed = io.StringIO(), []
    log = JsonLog(str(tmp_path / "op.jsonl"), stream=stream, echo=echoed.append)
    log("settled", epoch=3)
    log.warning("low balance", role="oracle")
    log.close()
    lines = [json.loads(x) for x in (tmp_path / "op.jsonl").read_text().splitlines()]
    assert [(x["level"], x["msg"]) for x in lines] == [("info", "settled"), ("warning", "low balance")]
    assert lines[0]["epoch"] == 3 and lines[1]["role"] == "oracle" and lines[0]["ts"].endswith("Z")
    assert [json.loads(x) for x in stream.getvalue().splitlines()] == lines and echoed == ["settled", "low balance"]


def test_is_revert__the_call_reverted_vs_the_rpc_failed():
    import requests
    from web3.exceptions import ContractLogicError

    from ionet.service.executor import is_revert
    from ionet.service.rpc import is_transient

    assert is_revert(ContractLogicError("execution reverted: IncentiveEngine: not active"))
    for err in (requests.ConnectionError("dropped"), requests.HTTPError("503"), requests.Timeout("slow")):
        assert not is_revert(err) and is_transient(err)
    assert not is_transient(ContractLogicError("execution reverted")) and not is_transient(ValueError("bug"))


def test_local_network_cycle__rpc_fails_twice__started_again_and_counted():
    import pytest
    import requests

    from ionet.service.run import CYCLE_ATTEMPTS, LocalNetwork

    calls, log = [], []

    class Op:
        executor = type("X", (), {"failures": {}})()

        def cycle(self):
            calls.append(1)
            if len(calls) <= 2:
                raise requests.ConnectionError("dropped")

    net, op = type("N", (), {"log": staticmethod(log.append)})(), Op()
    LocalNetwork.cycle(net, op, 7)
    assert len(calls) == 3 and op.executor.failures == {"rpc": 2} and len(log) == 2 and "hour 7" in log[0]
    # a bug is not an RPC failure: raised at once
    with pytest.raises(ValueError):
        LocalNetwork.cycle(net, op, 8, lambda: (_ for _ in ()).throw(ValueError("bug")))
    # an RPC down for every attempt: the hour is left to the next one
    calls.clear()
    LocalNetwork.cycle(net, op, 9, lambda: (_ for _ in ()).throw(requests.ConnectionError("down")))
    assert op.executor.failures["rpc"] == 2 + CYCLE_ATTEMPTS

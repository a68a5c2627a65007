"""The new-web-files sensor on a real folder and the run-failure alert against a real local
HTTP server."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from orchestration import automation
from orchestration.definitions import defs


def _land(folder, name, mtime):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"{}\n")
    os.utime(path, (mtime, mtime))
    return path


def test_sensor_requests_a_run_only_for_new_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CXM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOURCES__WEB__BUCKET_URL", raising=False)
    folder = automation.web_events_dir()
    assert folder == tmp_path / "landing" / "web" / "events"
    sensor = defs.resolve_sensor_def("new_web_event_files")
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor):
        ctx = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        result = sensor.evaluate_tick(ctx)
        return result.run_requests, result.cursor

    runs, cursor = tick(None)
    assert runs == []  # nothing landed yet

    _land(folder, "dt=2026-11-30/part-0000.jsonl.gz", 1_000)
    _land(folder, "dt=2026-11-30/part-0001.jsonl.gz", 1_000)
    runs, cursor = tick(cursor)
    assert len(runs) == 1 and runs[0].tags["cxm/new_files"] == "2"
    assert runs[0].job_name in (None, "web_incremental")

    runs, cursor = tick(cursor)
    assert runs == []  # same files: no new run

    _land(folder, "dt=2026-11-30/part-0002.jsonl.gz", 1_000)  # same mtime tick, new name
    _land(folder, "dt=2026-12-01/part-0000.jsonl.gz", 2_000)
    runs2, cursor2 = tick(cursor)
    assert len(runs2) == 1 and runs2[0].tags["cxm/new_files"] == "2"
    assert json.loads(cursor2) == {"mtime": 2000.0, "names": ["dt=2026-12-01/part-0000.jsonl.gz"]}
    assert tick(cursor2)[0] == []


def test_sensor_watches_a_configured_local_bucket(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", f"file://{tmp_path}/bucket")
    assert automation.web_events_dir() == tmp_path / "bucket"
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", "s3://events/web")
    monkeypatch.setenv("CXM_DATA_DIR", str(tmp_path))
    assert automation.web_events_dir() == tmp_path / "landing" / "web" / "events"


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append({"content_type": self.headers["Content-Type"],
                               "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    yield f"http://127.0.0.1:{server.server_port}/hook", _Hook.received
    server.shutdown()
    server.server_close()


def _failed_run(instance):
    @dg.op
    def explode():
        raise RuntimeError("warehouse on fire")

    @dg.job
    def doomed():
        explode()

    result = doomed.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    return result.dagster_run, event


def _evaluate(instance, run, event):
    ctx = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure", dagster_instance=instance, dagster_run=run,
        dagster_event=event).for_run_failure()
    automation.alert_on_run_failure(ctx)


def test_run_failure_alert_posts_json_when_a_webhook_is_set(webhook, monkeypatch):
    url, received = webhook
    monkeypatch.setenv(automation.WEBHOOK_ENV, url)
    with dg.instance_for_test() as instance:
        run, event = _failed_run(instance)
        _evaluate(instance, run, event)
    assert len(received) == 1
    message = received[0]
    assert message["content_type"] == "application/json"
    assert message["body"]["job"] == "doomed" and message["body"]["run_id"] == run.run_id
    assert "doomed" in message["body"]["text"]


def test_run_failure_alert_is_off_by_default(webhook, monkeypatch):
    _, received = webhook
    monkeypatch.delenv(automation.WEBHOOK_ENV, raising=False)
    with dg.instance_for_test() as instance:
        run, event = _failed_run(instance)
        _evaluate(instance, run, event)  # logs only
    assert received == []

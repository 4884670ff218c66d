"""A real `fupin serve` on 127.0.0.1 told to stop (SIGTERM) while a request is in flight:
it answers that request in full before it exits, and exits cleanly. Its log lines are JSON
with the request id it returned."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fupin import REPO_ROOT
from tests.support.browser import free_port

pytestmark = pytest.mark.both_databases

FUPIN = str(Path(sys.executable).parent / "fupin")
ACCESS_KEYS = {
    "ts",
    "level",
    "logger",
    "msg",
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
}


def serve(settings, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_SECRET_KEY="serve-test-secret-key-0123456789-abcdefghijklm",
        FUPIN_VAR_DIR=str(settings.var_dir),
    )
    process = subprocess.Popen(
        [FUPIN, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


async def test_sigterm_lets_the_request_in_flight_finish(db) -> None:
    port = free_port()
    server = serve(db, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as ready:
            assert json.load(ready) == {
                "status": "ok",
                "checks": {"database": "ok", "search": "ok"},
            }
            request_id = ready.headers["X-Request-ID"]
        body = json.dumps({"name": "张三", "contact": "13800000000", "reason": "x" * 40}).encode()
        slow = socket.create_connection(("127.0.0.1", port), timeout=30)
        slow.sendall(
            b"POST /api/v1/commendation/rounds/999999/objections HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.5)  # the request is in the app, waiting for the rest of its body
        server.send_signal(signal.SIGTERM)
        time.sleep(1.5)
        assert server.poll() is None  # still serving the request in flight
        slow.sendall(body[10:])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = slow.recv(65536)
            if not chunk:
                break
            answer += chunk
        slow.close()
        head, _, content = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 422"), head  # the whole body was read and judged
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert len(content) == length and json.loads(content)["error"]["code"]
        # uvicorn re-raises the signal once it has shut down cleanly
        assert server.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log = server.stderr.read().decode() if server.stderr else ""
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("msg") == "request"]
    readyz = next(line for line in access if line["route"] == "/readyz")
    assert readyz["request_id"] == request_id and readyz["status"] == 200
    objection = next(line for line in access if line["method"] == "POST")
    assert objection["route"] == "/api/v1/commendation/rounds/{rid}/objections"
    assert "张三" not in log and "13800000000" not in log
    assert all(set(line) <= ACCESS_KEYS for line in access)  # no address, path or user

"""Real webhook receivers on 127.0.0.1 for the delivery tests: docs/webhooks.md's example (read
from the document and run as written), one that fails with 500, one that hangs past the
timeout. Each runs a threading HTTP server and records every request it got."""

from __future__ import annotations

import io
import re
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fupin import REPO_ROOT


def receiver_example() -> types.ModuleType:
    """The standard-library receiver of docs/webhooks.md, as a module."""
    text = (REPO_ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    section = text.split("### A receiver with the standard library", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code, "docs/webhooks.md has no receiver example"
    module = types.ModuleType("webhook_receiver_example")
    exec(compile(code.group(1), "docs/webhooks.md", "exec"), module.__dict__)
    return module


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def resent_headers(self) -> dict[str, str]:
        """The headers a replay sends again (the length follows the body sent)."""
        return {
            k: v for k, v in self.headers.items() if k.startswith("Fupin-") or k == "Content-Type"
        }


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serve(kind: str, *, secret: str = "", hang_seconds: float = 3.0) -> Iterator[Receiver]:
    """``kind``: "example" (docs/webhooks.md's receiver with ``secret``), "fail" (500) or
    "hang" (answers only after ``hang_seconds``)."""
    module = receiver_example() if kind == "example" else None
    record = Receiver(url="")

    def remember(handler: BaseHTTPRequestHandler) -> Received:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        got = Received(dict(handler.headers.items()), body)
        record.requests.append(got)
        return got

    if module is not None:
        module.handle = record.events.append  # the example's "your work"

        class Handler(module.Receiver):  # type: ignore[name-defined,misc]
            def do_POST(self) -> None:
                got = remember(self)
                self.rfile = io.BytesIO(got.body)  # the example reads the body itself
                original = self.send_response

                def send_response(code: int, message: str | None = None) -> None:
                    got.status = code
                    original(code, message)

                self.send_response = send_response  # type: ignore[method-assign]
                super().do_POST()

            def log_message(self, *args: Any) -> None:
                pass

        Handler.secret = secret
    else:

        class Handler(BaseHTTPRequestHandler):  # type: ignore[no-redef]
            def do_POST(self) -> None:
                got = remember(self)
                if kind == "hang":
                    time.sleep(hang_seconds)
                got.status = 500 if kind == "fail" else 200
                try:
                    self.send_response(got.status)
                    self.end_headers()
                except OSError:
                    pass  # the platform gave up waiting and closed the connection

            def log_message(self, *args: Any) -> None:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}/fupin-hook"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()

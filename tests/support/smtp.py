"""A real SMTP server on loopback (aiosmtpd) that keeps what it received, for the
notification tests: it can answer slowly (a worker is stopped mid-batch) or refuse."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.support.browser import free_port


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return body.get_content() if body is not None else ""


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    #: Seconds each message takes to be accepted.
    delay: float = 0.0
    #: Answers given instead of accepting, one per message, before accepting again
    #: ("451 4.3.0 try later", "550 5.1.1 no such user").
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict[str, str]:
        return {
            "FUPIN_SMTP_HOST": self.host,
            "FUPIN_SMTP_PORT": str(self.port),
            "FUPIN_SMTP_SECURITY": "none",
            "FUPIN_SMTP_FROM": "fupin@example.org",
        }

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            raw = envelope.content  # type: ignore[attr-defined]
            message = email.message_from_bytes(
                raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default
            )
            self.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[attr-defined,arg-type]
        return "250 2.0.0 accepted"


@contextmanager
def smtp_server(**options: object) -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port(), **options)  # type: ignore[arg-type]
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()

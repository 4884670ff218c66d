"""Benchmark: the notification outbox drained into a real SMTP server on loopback.

Builds a throw-away SQLite database (migrations), one user who wants e-mail, ``--messages``
notifications made through ``notify()`` (timed: the cost a service pays inside its
transaction), then drains the outbox with the worker's own ``drain_once`` into an aiosmtpd
server on 127.0.0.1 and prints messages per second. Not part of the test suite.

    PYTHONPATH=platform .venv/bin/python bench/notify_outbox.py --messages 500
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from fupin.accounts.models import User
from fupin.db import database, run_migrations, transaction
from fupin.notify.adapters.smtp import SmtpMailer
from fupin.notify.models import NotificationPreference
from fupin.notify.service.inbox import notify
from fupin.notify.service.outbox import drain_once
from fupin.settings import Settings


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


async def main(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        settings = Settings(
            env="test",
            database_url=f"sqlite://{Path(tmp) / 'bench.sqlite3'}",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
        )
        await run_migrations(settings)
        try:
            async with database(settings):
                user = await User.create(username="bench", password_hash="", role="auditor")
                await NotificationPreference.create(user_id=user.id, email="bench@example.org")
                started = time.perf_counter()
                for i in range(messages):
                    async with transaction():
                        await notify(
                            "complaint_status",
                            user_ids=[user.id],
                            params={"subject": f"#{i}", "status": "done"},
                        )
                made = time.perf_counter() - started
                started = time.perf_counter()
                mailer = SmtpMailer(settings)
                while await drain_once("bench", mailer, base_url="http://bench"):
                    pass
                sent = time.perf_counter() - started
        finally:
            controller.stop()
        print(
            f"notify(): {messages} notifications in {made:.2f} s ({made / messages * 1000:.1f} ms each)"
        )
        print(
            f"outbox → SMTP: {sink.count} messages in {sent:.2f} s ({sink.count / sent:.0f} per second,"
            " one connection per message)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    asyncio.run(main(parser.parse_args().messages))

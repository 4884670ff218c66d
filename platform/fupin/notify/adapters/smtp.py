"""Sending one e-mail through the configured SMTP server (aiosmtplib).

The caller learns whether a failure is worth trying again: a 5xx answer (the address does not
exist, the message is refused) is permanent; a 4xx answer, a refused or dropped connection or
a timeout is not.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from fupin.settings import Settings

#: Seconds one conversation with the mail server may take; the worker's lease is far longer.
TIMEOUT_SECONDS = 30.0


class SendFailed(Exception):
    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.permanent = permanent


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    #: Stable per delivery: a mail system that sees the same message twice can tell.
    message_id: str


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = mail.message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text, charset="utf-8")
        return message

    async def send(self, mail: Mail) -> str:
        """Hand the message to the server; returns its answer (for the delivery log)."""
        s = self.settings
        try:
            _refused, answer = await aiosmtplib.send(
                self.message(mail),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=str(s.smtp_password) or None,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                tls_context=ssl.create_default_context() if s.smtp_security != "none" else None,
                timeout=TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise SendFailed(
                f"recipient refused ({', '.join(map(str, codes))})",
                permanent=all(500 <= c < 600 for c in codes),
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(
                f"{exc.code} {exc.message}"[:300], permanent=500 <= exc.code < 600
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}"[:300], permanent=False) from exc
        return answer[:300]

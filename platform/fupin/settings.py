"""All configuration, read from environment variables only (docs/domain.md §4.2).

No other module reads ``os.environ``. ``Settings.from_env`` is called once by the CLI or the ASGI
entry point and the frozen object is passed to whatever needs it, so a test can build a second
app with other settings. Every variable is documented in README.md (a test checks that).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fupin import REPO_ROOT

DEV_SECRET = "dev-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
ENVIRONMENTS = ("development", "test", "production")


def weak_secret(secret: str) -> bool:
    """The development default, too short, or too little entropy to be a random key: at least
    16 distinct characters and about 128 bits by the count of distinct symbols, so "a" × 32 or a
    short word repeated is refused while any generated key (``secrets.token_urlsafe(32)``)
    passes."""
    if secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH:
        return True
    distinct = len(set(secret))
    return distinct < 16 or len(secret) * math.log2(distinct) < 128


class SettingsError(RuntimeError):
    """A setting is missing or unusable; the message names the variable."""


class Secret(str):
    """A string whose repr hides the value, so tracebacks and logs never show secrets."""

    def __repr__(self) -> str:
        return "Secret('**********')"


def _default_sqlite_url() -> str:
    return f"sqlite://{REPO_ROOT / 'var' / 'fupin.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    #: FUPIN_ENV: development | test | production. Production refuses unsafe defaults.
    env: str = "development"
    #: FUPIN_DATABASE_URL: sqlite://PATH (embedded default) or postgres://user:pw@host:port/db.
    database_url: str = field(default_factory=_default_sqlite_url)
    #: FUPIN_SECRET_KEY: signs sessions and CSRF tokens, peppers ID-number hashes (≥ 32 chars).
    secret_key: Secret = Secret(DEV_SECRET)
    #: FUPIN_MEILI_URL: Meilisearch base URL; empty means the embedded search engine.
    meili_url: str = ""
    #: FUPIN_MEILI_KEY: Meilisearch API key.
    meili_key: Secret = Secret("")
    #: FUPIN_VAR_DIR: where the SQLite file, search index and attachments live.
    var_dir: Path = REPO_ROOT / "var"
    #: FUPIN_DATA_DIR: the reference data shipped with the repository.
    data_dir: Path = REPO_ROOT / "data"
    #: FUPIN_HOST / FUPIN_PORT: where `fupin serve` listens.
    host: str = "127.0.0.1"
    port: int = 8000
    #: FUPIN_BASE_URL: public address, used in feeds and printed receipts.
    base_url: str = "http://127.0.0.1:8000"
    #: FUPIN_LOGIN_MAX_FAILURES / FUPIN_LOGIN_WINDOW_SECONDS: failed logins per account within
    #: the window before the account's lock-out (docs/security.md "Login").
    login_max_failures: int = 5
    login_window_seconds: int = 900
    #: FUPIN_LOGIN_ADDRESS_FAILURES: failed logins from one address within the window after which
    #: every further attempt from it is slowed down (never refused: a NAT hides many people).
    login_address_failures: int = 30
    #: FUPIN_SESSION_MAX_AGE_SECONDS: absolute lifetime of a login session (and its cookie).
    session_max_age_seconds: int = 12 * 3600
    #: FUPIN_SESSION_IDLE_SECONDS: a session unused this long has ended.
    session_idle_seconds: int = 2 * 3600
    #: FUPIN_PASSWORD_LINK_SECONDS: lifetime of a one-time set-password link.
    password_link_seconds: int = 48 * 3600
    #: FUPIN_SEARCH_WORKER: run the search outbox worker inside the web process (embedded mode).
    search_worker: bool = True
    #: FUPIN_MAX_UPLOAD_BYTES: largest accepted attachment (and multipart request).
    max_upload_bytes: int = 10 * 1024 * 1024
    #: FUPIN_MAX_BODY_BYTES: largest body of any other request (JSON, forms), read or not.
    max_body_bytes: int = 1024 * 1024
    #: FUPIN_IMPORT_MAX_ROWS: data rows one need import may hold (a larger file is refused).
    import_max_rows: int = 2000
    #: FUPIN_IMPORT_MAX_BYTES: largest CSV or XLSX file one need import may be.
    import_max_bytes: int = 2 * 1024 * 1024
    #: FUPIN_TRUSTED_PROXIES: addresses of the reverse proxies whose X-Forwarded-For is believed
    #: (comma-separated); empty: the peer address is the client's, whatever the headers say.
    trusted_proxies: tuple[str, ...] = ()
    #: FUPIN_PLEDGE_CAP_INDIVIDUAL_FEN: the most an individual may have promised and unpaid on
    #: one need, in fen (0: no cap; docs/security.md "Pledges that block others").
    pledge_cap_individual_fen: int = 50_000_00
    #: FUPIN_PLEDGE_CAP_NEW_PARTICIPANT_FEN: the same for a participant without a confirmed
    #: donation yet (0: no cap).
    pledge_cap_new_participant_fen: int = 1_000_000_00
    #: FUPIN_SMTP_HOST: the mail server notifications are sent through; empty: in-app only.
    smtp_host: str = ""
    #: FUPIN_SMTP_PORT: its port (587 with STARTTLS, 465 with TLS, 25 plain).
    smtp_port: int = 587
    #: FUPIN_SMTP_USERNAME / FUPIN_SMTP_PASSWORD: login at the mail server (empty: none).
    smtp_username: str = ""
    smtp_password: Secret = Secret("")
    #: FUPIN_SMTP_FROM: the sender address of notification e-mail.
    smtp_from: str = "noreply@localhost"
    #: FUPIN_SMTP_SECURITY: starttls | tls | none (none only for a server on the same host).
    smtp_security: str = "starttls"
    #: FUPIN_METRICS_TOKEN: bearer token /metrics requires; empty: /metrics answers only
    #: requests from loopback or private addresses (docs/operations.md).
    metrics_token: Secret = Secret("")

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    #: FUPIN_WEBHOOK_TIMEOUT_SECONDS: how long one webhook delivery waits for the partner's answer.
    webhook_timeout_seconds: float = 10.0
    #: FUPIN_WEBHOOK_ALLOW_LOOPBACK: let webhook URLs point at this machine (127.0.0.1, ::1) for
    #: development and tests; refused in production, where every private address is refused.
    webhook_allow_loopback: bool = False

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def search_dir(self) -> Path:
        return self.var_dir / "search"

    @property
    def attachments_dir(self) -> Path:
        return self.var_dir / "attachments"

    @property
    def open_data_dir(self) -> Path:
        return self.var_dir / "open-data"

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> Settings:
        if self.env not in ENVIRONMENTS:
            raise SettingsError(
                f"FUPIN_ENV must be one of {', '.join(ENVIRONMENTS)}, got {self.env!r}"
            )
        if not (
            self.database_url.startswith(
                ("sqlite://", "postgres://", "postgresql://", "asyncpg://")
            )
        ):
            raise SettingsError("FUPIN_DATABASE_URL must start with sqlite:// or postgres://")
        for name, value in (
            ("FUPIN_LOGIN_MAX_FAILURES", self.login_max_failures),
            ("FUPIN_LOGIN_WINDOW_SECONDS", self.login_window_seconds),
            ("FUPIN_LOGIN_ADDRESS_FAILURES", self.login_address_failures),
            ("FUPIN_SESSION_MAX_AGE_SECONDS", self.session_max_age_seconds),
            ("FUPIN_SESSION_IDLE_SECONDS", self.session_idle_seconds),
            ("FUPIN_PASSWORD_LINK_SECONDS", self.password_link_seconds),
            ("FUPIN_IMPORT_MAX_ROWS", self.import_max_rows),
            ("FUPIN_IMPORT_MAX_BYTES", self.import_max_bytes),
        ):
            if value < 1:
                raise SettingsError(f"{name} must be at least 1, got {value}")
        for name, value in (
            ("FUPIN_PLEDGE_CAP_INDIVIDUAL_FEN", self.pledge_cap_individual_fen),
            ("FUPIN_PLEDGE_CAP_NEW_PARTICIPANT_FEN", self.pledge_cap_new_participant_fen),
        ):
            if value < 0:
                raise SettingsError(f"{name} must be 0 (no cap) or more, got {value}")
        if self.smtp_security not in ("starttls", "tls", "none"):
            raise SettingsError(
                f"FUPIN_SMTP_SECURITY must be starttls, tls or none, got {self.smtp_security!r}"
            )
        if not 0 < self.smtp_port < 65536:
            raise SettingsError(f"FUPIN_SMTP_PORT must be a port number, got {self.smtp_port}")
        if self.session_idle_seconds > self.session_max_age_seconds:
            raise SettingsError(
                "FUPIN_SESSION_IDLE_SECONDS must not exceed FUPIN_SESSION_MAX_AGE_SECONDS"
            )
        if not 0 < self.webhook_timeout_seconds <= 60:
            raise SettingsError(
                "FUPIN_WEBHOOK_TIMEOUT_SECONDS must be more than 0 and at most 60, "
                f"got {self.webhook_timeout_seconds}"
            )
        if self.is_production and self.webhook_allow_loopback:
            raise SettingsError(
                "FUPIN_WEBHOOK_ALLOW_LOOPBACK must not be set in production (server-side "
                "request forgery: docs/webhooks.md)"
            )
        if self.is_production and weak_secret(self.secret_key):
            raise SettingsError(
                f"FUPIN_SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
                "characters in production (the development default, and a low-entropy value such "
                "as one character repeated, are refused)"
            )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        var_dir = Path(env.get("FUPIN_VAR_DIR", str(defaults.var_dir)))
        database_url = (
            env.get("FUPIN_DATABASE_URL")
            or env.get("DATABASE_URL")
            or (f"sqlite://{var_dir / 'fupin.sqlite3'}")
        )

        def integer(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None

        def boolean(name: str, default: bool) -> bool:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise SettingsError(f"{name} must be true or false, got {raw!r}")

        def seconds(name: str, default: float) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None

        port = integer("FUPIN_PORT", defaults.port)
        host = env.get("FUPIN_HOST", defaults.host)
        return cls(
            env=env.get("FUPIN_ENV", defaults.env),
            database_url=database_url,
            secret_key=Secret(env.get("FUPIN_SECRET_KEY", DEV_SECRET)),
            meili_url=env.get("FUPIN_MEILI_URL") or env.get("MEILI_URL", ""),
            meili_key=Secret(env.get("FUPIN_MEILI_KEY", "")),
            var_dir=var_dir,
            data_dir=Path(env.get("FUPIN_DATA_DIR", str(defaults.data_dir))),
            host=host,
            port=port,
            base_url=env.get("FUPIN_BASE_URL", f"http://{host}:{port}"),
            login_max_failures=integer("FUPIN_LOGIN_MAX_FAILURES", defaults.login_max_failures),
            import_max_rows=integer("FUPIN_IMPORT_MAX_ROWS", defaults.import_max_rows),
            import_max_bytes=integer("FUPIN_IMPORT_MAX_BYTES", defaults.import_max_bytes),
            login_window_seconds=integer(
                "FUPIN_LOGIN_WINDOW_SECONDS", defaults.login_window_seconds
            ),
            login_address_failures=integer(
                "FUPIN_LOGIN_ADDRESS_FAILURES", defaults.login_address_failures
            ),
            session_max_age_seconds=integer(
                "FUPIN_SESSION_MAX_AGE_SECONDS", defaults.session_max_age_seconds
            ),
            session_idle_seconds=integer(
                "FUPIN_SESSION_IDLE_SECONDS", defaults.session_idle_seconds
            ),
            password_link_seconds=integer(
                "FUPIN_PASSWORD_LINK_SECONDS", defaults.password_link_seconds
            ),
            search_worker=boolean("FUPIN_SEARCH_WORKER", defaults.search_worker),
            max_upload_bytes=integer("FUPIN_MAX_UPLOAD_BYTES", defaults.max_upload_bytes),
            max_body_bytes=integer("FUPIN_MAX_BODY_BYTES", defaults.max_body_bytes),
            trusted_proxies=tuple(
                p.strip() for p in env.get("FUPIN_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            pledge_cap_individual_fen=integer(
                "FUPIN_PLEDGE_CAP_INDIVIDUAL_FEN", defaults.pledge_cap_individual_fen
            ),
            pledge_cap_new_participant_fen=integer(
                "FUPIN_PLEDGE_CAP_NEW_PARTICIPANT_FEN", defaults.pledge_cap_new_participant_fen
            ),
            smtp_host=env.get("FUPIN_SMTP_HOST", defaults.smtp_host),
            smtp_port=integer("FUPIN_SMTP_PORT", defaults.smtp_port),
            smtp_username=env.get("FUPIN_SMTP_USERNAME", defaults.smtp_username),
            smtp_password=Secret(env.get("FUPIN_SMTP_PASSWORD", "")),
            smtp_from=env.get("FUPIN_SMTP_FROM", defaults.smtp_from),
            smtp_security=env.get("FUPIN_SMTP_SECURITY", defaults.smtp_security),
            metrics_token=Secret(env.get("FUPIN_METRICS_TOKEN", "")),
            webhook_timeout_seconds=seconds(
                "FUPIN_WEBHOOK_TIMEOUT_SECONDS", defaults.webhook_timeout_seconds
            ),
            webhook_allow_loopback=boolean(
                "FUPIN_WEBHOOK_ALLOW_LOOPBACK", defaults.webhook_allow_loopback
            ),
        ).validate()


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a program this one starts (pg_dump), plus ``extra``: the one other
    place the environment is read, so that a child process gets PATH and locale as we have."""
    return {**os.environ, **extra}


#: Environment variables and what they set (README and a test keep them in step).
ENV_VARS = {
    "FUPIN_ENV": "env",
    "FUPIN_DATABASE_URL": "database_url",
    "FUPIN_SECRET_KEY": "secret_key",
    "FUPIN_MEILI_URL": "meili_url",
    "FUPIN_MEILI_KEY": "meili_key",
    "FUPIN_VAR_DIR": "var_dir",
    "FUPIN_DATA_DIR": "data_dir",
    "FUPIN_HOST": "host",
    "FUPIN_PORT": "port",
    "FUPIN_BASE_URL": "base_url",
    "FUPIN_LOGIN_MAX_FAILURES": "login_max_failures",
    "FUPIN_LOGIN_WINDOW_SECONDS": "login_window_seconds",
    "FUPIN_LOGIN_ADDRESS_FAILURES": "login_address_failures",
    "FUPIN_SESSION_MAX_AGE_SECONDS": "session_max_age_seconds",
    "FUPIN_SESSION_IDLE_SECONDS": "session_idle_seconds",
    "FUPIN_PASSWORD_LINK_SECONDS": "password_link_seconds",
    "FUPIN_SEARCH_WORKER": "search_worker",
    "FUPIN_MAX_UPLOAD_BYTES": "max_upload_bytes",
    "FUPIN_MAX_BODY_BYTES": "max_body_bytes",
    "FUPIN_TRUSTED_PROXIES": "trusted_proxies",
    "FUPIN_PLEDGE_CAP_INDIVIDUAL_FEN": "pledge_cap_individual_fen",
    "FUPIN_PLEDGE_CAP_NEW_PARTICIPANT_FEN": "pledge_cap_new_participant_fen",
    "FUPIN_SMTP_HOST": "smtp_host",
    "FUPIN_SMTP_PORT": "smtp_port",
    "FUPIN_SMTP_USERNAME": "smtp_username",
    "FUPIN_SMTP_PASSWORD": "smtp_password",
    "FUPIN_SMTP_FROM": "smtp_from",
    "FUPIN_SMTP_SECURITY": "smtp_security",
    "FUPIN_METRICS_TOKEN": "metrics_token",
    "FUPIN_WEBHOOK_TIMEOUT_SECONDS": "webhook_timeout_seconds",
    "FUPIN_WEBHOOK_ALLOW_LOOPBACK": "webhook_allow_loopback",
}

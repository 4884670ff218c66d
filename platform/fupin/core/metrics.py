"""The process's Prometheus metrics (prometheus-client), declared once here so every area can
count its events without knowing who serves them; ``/metrics`` (fupin.ops) writes them out.
docs/operations.md says what each means and when to worry.

Labels are bounded: route *templates* (``/needs/{need_id:id}``), never paths; kinds from fixed
tables; never a user, an address or an amount.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Our own registry (not the global default), so a test can build several apps in a process.
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "fupin_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "fupin_http_request_duration_seconds",
    "Time from the request to the end of the response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
MONEY_EVENTS = Counter(
    "fupin_money_events",
    "Committed money changes, by ledger entry kind (pledge_made, donation_confirmed, …).",
    ["kind"],
    registry=REGISTRY,
)
NOTIFICATION_DELIVERIES = Counter(
    "fupin_notification_deliveries",
    "E-mail deliveries handled, by outcome (sent, retry, failed, interrupted, skipped).",
    ["outcome"],
    registry=REGISTRY,
)
SWEEP_RUNS = Counter(
    "fupin_sweep_runs",
    "Runs of the periodic sweeps, by sweep and outcome (ok, error).",
    ["sweep", "outcome"],
    registry=REGISTRY,
)
SWEEP_LAST_SUCCESS = Gauge(
    "fupin_sweep_last_success_timestamp_seconds",
    "When each sweep last finished without error (Unix time).",
    ["sweep"],
    registry=REGISTRY,
)
QUEUE_PENDING = Gauge(
    "fupin_queue_pending",
    "Outbox rows due and not yet done, by queue (search, notifications, …).",
    ["queue"],
    registry=REGISTRY,
)
QUEUE_OLDEST_AGE = Gauge(
    "fupin_queue_oldest_age_seconds",
    "Age of the oldest due row of each queue (0 when empty): the queue's lag.",
    ["queue"],
    registry=REGISTRY,
)
DB_POOL = Gauge(
    "fupin_db_pool_connections",
    "Database connections of this process by state (in_use, idle, max).",
    ["state"],
    registry=REGISTRY,
)
UP = Gauge(
    "fupin_dependency_up",
    "1 when the dependency answered the last check, by dependency (database, search).",
    ["dependency"],
    registry=REGISTRY,
)

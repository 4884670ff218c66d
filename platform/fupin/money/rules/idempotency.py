"""The Idempotency-Key of money-creating calls (docs/domain.md §3.5): what a key looks like. One definition
for the API header (``money/schemas``), the hidden field of the money forms and the service that
stores the first result (``money/service/idempotency.py``)."""

from __future__ import annotations

import re

from fupin.i18n import _

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
#: 8–128 visible ASCII characters (no spaces): long enough to be unique, safe in logs.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{8,128}")
CODE = "bad_idempotency_key"


def key_problem(raw: object, *, field: str) -> str | None:
    """Why ``raw`` is not a key (a message naming ``field``), or None when it is one."""
    if isinstance(raw, str) and KEY_PATTERN.fullmatch(raw) is not None:
        return None
    return _("%(field)s 须为 8 至 128 个可见 ASCII 字符（不含空格）。", field=field)

"""What a progress update is and when one may be posted (pure; docs/domain.md §3.13).

Updates tell the donors what happened after funding, so they are posted on needs the public can
see and that money has reached or is being raised for: from publication to closing. The kinds
are the steps a donor asks about; "progress" is anything in between.
"""

from __future__ import annotations

from fupin.i18n import N_

#: Kind → its label. At least started, delivered and accepted (the donors' questions).
UPDATE_KINDS: dict[str, str] = {
    "started": N_("开工"),
    "progress": N_("进展"),
    "delivered": N_("已交付"),
    "accepted": N_("已验收"),
}
#: Need states in which an update may be posted.
UPDATE_STATES: tuple[str, ...] = ("published", "funded", "in_progress", "completed", "closed")
TEXT_MAX = 2000
PHOTOS_MAX = 6
#: The need events shown among the updates: what the need's own lifecycle recorded about its
#: delivery (docs/domain.md §3.4), so the page tells the story in one list.
DELIVERY_EVENTS: dict[str, str] = {
    "start": "started",
    "deliver": "delivered",
    "confirm_receipt": "accepted",
    "close": "accepted",
}
#: The notification kind an update reaches its audience as (``fupin.notify.rules.KINDS``), and
#: the one inbox's filter that lists them.
PROGRESS_KIND = "need_progress"

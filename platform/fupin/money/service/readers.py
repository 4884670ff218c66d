"""What one reader may see of a pledge or a donation (docs/domain.md §3.7: anonymity).

An anonymous donor is named only to the donor's own members and to the offices responsible for
the need — never to the public, never to other donors. ``seen`` gives a row as one reader sees
it: the row's own attributes, and ``donor``: the participant who gave, or ``HIDDEN_DONOR``. The
API's schemas (``money/schemas``) read such a view by attribute like a row, and so do the
templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fupin.accounts.models import Participant
from fupin.core.policy import Actor, Scope, can
from fupin.i18n import N_, _
from fupin.needs.models import Need

ANONYMOUS_LABEL = N_("匿名捐赠人")


def may_see_donor(actor: Actor | None, donor_participant_id: int, need: Need) -> bool:
    """Whether the actor may see who is behind an anonymous pledge or donation: the donor's own
    members, and the offices responsible for the need (never the public, never other donors)."""
    if actor is None:
        return False
    if actor.participant_id is not None and actor.participant_id == donor_participant_id:
        return True
    return actor.role != "participant_member" and can(
        actor,
        "pledge.view",
        Scope(
            region_code=need.region_id,
            county_code=need.county_code,
            province_code=need.province_code,
        ),
    )


@dataclass(frozen=True)
class HiddenDonor:
    """The donor of an anonymous gift, for a reader who may not know who gave."""

    id: None = None
    kind: None = None

    @property
    def name(self) -> str:
        return _(ANONYMOUS_LABEL)


HIDDEN_DONOR = HiddenDonor()


class View:
    """A row with a few attributes more for one reader — the donor as this reader may see it, a
    pledge's schedule, a printed copy's number. Any other attribute is the row's."""

    def __init__(self, row: Any, **extra: Any) -> None:
        self.row = row
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        # Only called for what the view itself does not hold.
        if name == "row":
            raise AttributeError(name)
        return getattr(self.row, name)


def seen(row: Any, donor: Participant, *, reveal: bool, **extra: Any) -> View:
    """A pledge or donation as one reader sees it: ``donor`` is the participant unless the gift
    is anonymous and the reader may not know (``reveal``), then ``HIDDEN_DONOR``."""
    shown: Participant | HiddenDonor = donor if reveal or not row.anonymous else HIDDEN_DONOR
    return View(row, donor=shown, **extra)

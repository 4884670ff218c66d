"""Demo matching (idempotent): stated preferences for the demo participants, so "needs for you"
has categories and regions to explain, and one invitation from the demo county office
(``guangnan``) to the demo enterprise (``donor``), so its inbox is not empty.

Preferences are only written where a participant has none (a user's own choices are never
overwritten by a later `fupin demo`); the invitation only when the enterprise has none.
"""

from __future__ import annotations

from fupin.accounts.models import Participant, User
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.db import transaction
from fupin.demo.service.accounts import DEMO_COUNTY, DEMO_PARTICIPANTS, DemoResult
from fupin.errors import FupinError
from fupin.matching.models import Invitation
from fupin.matching.service import invitations
from fupin.needs.models import Need
from fupin.settings import Settings

#: kind -> (categories, region codes) the demo participant says it supports.
PREFERENCES: dict[str, tuple[list[str], list[str]]] = {
    "enterprise": (["industry", "tourism", "roads"], ["530000"]),
    "social_org": (["education", "health", "drinking_water"], ["530000"]),
    "individual": (["education"], []),
    "central_unit": (["roads", "drinking_water", "informatization"], []),
    "east_partner": (["industry", "education", "health"], []),
    "democratic_party": (["culture", "education"], []),
    "military": (["roads", "housing", "health"], []),
}
INVITATION_MESSAGE = "贵公司关注产业和道路项目，这个项目缺口较大，诚邀了解。（演示）"


async def load_demo_matching(settings: Settings, result: DemoResult, needs_count: int) -> None:
    del settings, needs_count  # same preferences at any size
    updated = 0
    for kind, name, _body, _description in DEMO_PARTICIPANTS:
        participant = await Participant.get_or_none(name=name, kind=kind)
        if participant is None or kind not in PREFERENCES:
            continue
        if participant.stated_categories or participant.stated_region_codes:
            continue
        categories, regions = PREFERENCES[kind]
        participant.stated_categories = categories
        participant.stated_region_codes = regions
        async with transaction():
            await participant.save(update_fields=["stated_categories", "stated_region_codes"])
        updated += 1
    result.extra["matching_preferences"] = updated
    result.extra["matching_invitations"] = await _demo_invitation()


async def _demo_invitation() -> int:
    officer = await User.get_or_none(username="guangnan")
    enterprise = await Participant.get_or_none(
        name=DEMO_PARTICIPANTS[0][1], kind=DEMO_PARTICIPANTS[0][0]
    )
    if officer is None or enterprise is None:
        return 0
    if await Invitation.filter(participant_id=enterprise.id).exists():
        return 0
    # Open needs in the demo county, those in the enterprise's categories first.
    candidates = list(
        await Need.filter(county_code=DEMO_COUNTY, state="published", deadline__gte=today_cn())
        .order_by("id")
        .limit(200)
    )
    preferred = PREFERENCES["enterprise"][0]
    candidates.sort(key=lambda n: (n.category not in preferred, n.id))
    actor = await accounts.actor_for(officer)
    for need in candidates:
        if need.open_fen <= 0:
            continue
        try:
            await invitations.send_invitation(
                actor, need_id=need.id, participant_id=enterprise.id, message=INVITATION_MESSAGE
            )
        except FupinError:  # pledged already, or not for them: try the next need
            continue
        return 1
    return 0

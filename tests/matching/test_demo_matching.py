"""The demo matching step: stated preferences for the demo participants and one invitation in
the demo enterprise's inbox; a second run changes nothing and never overwrites own choices."""

from __future__ import annotations

from fupin.accounts.models import Participant, User
from fupin.accounts.service.reference import load_all
from fupin.accounts.service.users import actor_for
from fupin.demo.service.accounts import DEMO_PARTICIPANTS, load_demo_accounts
from fupin.demo.service.matching import PREFERENCES, load_demo_matching
from fupin.demo.service.money import load_demo_money
from fupin.demo.service.needs import load_demo_needs
from fupin.matching.models import Invitation
from fupin.matching.service import invitations, recommendations


async def test_demo_preferences_and_invitation_are_loaded_once(db, subset_dir) -> None:
    await load_all(subset_dir)
    result = await load_demo_accounts(db)
    await load_demo_needs(db, result, 60)
    await load_demo_money(db, result, 60)
    # A participant that already chose is left alone.
    individual = await Participant.get(name=DEMO_PARTICIPANTS[2][1])
    individual.stated_categories = ["health"]
    await individual.save()
    await load_demo_matching(db, result, 60)
    enterprise = await Participant.get(name=DEMO_PARTICIPANTS[0][1])
    assert enterprise.stated_categories == PREFERENCES["enterprise"][0]
    assert (await Participant.get(id=individual.id)).stated_categories == ["health"]
    assert result.extra["matching_preferences"] == len(PREFERENCES) - 1
    assert result.extra["matching_invitations"] == 1
    donor = await actor_for(await User.get(username="donor"))
    inbox = await invitations.inbox(donor)
    assert inbox.total == 1 and inbox.unread == 1
    own = await recommendations.my_recommendations(donor)
    assert own.items and all(item.reasons for item in own.items)

    await load_demo_matching(db, result, 60)
    assert result.extra["matching_preferences"] == 0
    assert result.extra["matching_invitations"] == 0
    assert await Invitation.all().count() == 1

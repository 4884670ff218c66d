""" "Needs for you" reads like advice: each card is ranked, shows at most three reasons in plain
words, never the same sentence twice nor the open gap its money line already states, and a
"why this" disclosure (为什么推荐) holds the other reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

from fupin.matching.rules.reasons import Reason
from fupin.matching.service import recommendations
from fupin.matching.service.snapshot import seconds_to_next_day
from fupin.regions.models import Region
from tests.matching.support import WAN, actor, days, need, pair, pledge, second_village


@dataclass
class Card:
    need_id: int
    rank: str = ""
    shown: list[str] = field(default_factory=list)
    more: list[str] = field(default_factory=list)
    why_summary: str = ""
    why_text: str = ""
    money_line: str = ""


class Cards(HTMLParser):
    """The recommendation cards of the page: their reasons on the card and behind "why this"."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[Card] = []
        self._stack: list[tuple[str, set[str]]] = []
        self._in_card = False

    def _inside(self, tag: str, cls: str) -> bool:
        return any(t == tag and cls in c for t, c in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag == "li" and {"card", "rec"} <= classes:
            self.cards.append(Card(int(a["data-need-id"] or 0)))
        if tag not in ("input", "br", "img", "meta", "link"):
            self._stack.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not text or not self.cards or not self._inside("li", "rec"):
            return
        card = self.cards[-1]
        top = self._stack[-1]
        if top == ("p", {"rank"}):
            card.rank += text
        if self._inside("details", "why"):
            card.why_text += text
            if top[0] == "summary":
                card.why_summary += text
            if top[0] == "li" and self._inside("ul", "more"):
                card.more.append(text)
        elif top[0] == "li" and self._inside("ul", "reasons"):
            card.shown.append(text)
        elif top[0] == "p" and self._inside("div", "money"):
            card.money_line += text


def cards_of(html: str) -> list[Card]:
    parser = Cards()
    parser.feed(html)
    return parser.cards


async def _donor_with_many_reasons(world) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A donor for whom one need has many true reasons: its pair's county, its stated category,
    closing soon, nearly funded, a typical pledge that closes it, a poverty county, a poor
    village without donors."""
    donor = world.participants["enterprise"]
    donor.stated_categories = ["drinking_water", "education"]
    await donor.save()
    await pair(donor, world.village.county_code)
    village = await Region.get(code=world.village.code)
    village.is_poor_village = True
    await village.save()
    other = await second_village(world)
    many = await need(
        village,
        title="石门村安全饮水巩固提升工程",
        category="drinking_water",
        target_fen=38 * WAN,
        pledged_fen=30 * WAN,
        deadline=days(5),
        people=2000,
    )
    # The donor's history: a typical pledge in the same category (¥100,000) elsewhere.
    past = await need(world.other_village, category="drinking_water", target_fen=50 * WAN)
    await pledge(await actor(world, "participant_member"), past, 10 * WAN)
    await need(other, title="新寨村小学教室修缮", category="education", target_fen=12 * WAN)
    await need(world.other_village, title="新庄村卫生室药品补充", category="health")
    return donor.id, many.id


async def test_cards_are_ranked_with_at_most_three_reasons_and_a_why_this_with_the_rest(
    world, client_as
) -> None:
    donor_id, many_id = await _donor_with_many_reasons(world)
    page = await client_as("participant_member").get("/me/recommendations")
    assert page.status_code == 200
    cards = cards_of(page.text)
    assert len(cards) >= 3
    result = await recommendations.recommendations_for(donor_id)
    by_id = {item.need.id: item for item in result.items}
    assert [c.need_id for c in cards] == [item.need.id for item in result.items]
    for place, card in enumerate(cards, start=1):
        assert card.rank == f"推荐第 {place} 位"
        assert 1 <= len(card.shown) <= 3, card
        assert card.why_summary == "为什么推荐"
        assert card.why_text, card  # the disclosure always explains how the list is ordered
        everything = card.shown + card.more
        assert len(everything) == len(set(everything)), card  # no sentence twice
        assert not any(text.startswith("还差") for text in everything), card  # said once, above
        assert card.money_line.startswith("还差 ¥")
        # Together the card and its disclosure show every reason but the gap, biggest first.
        expected = [r.text for r in by_id[card.need_id].reasons if r.code != "open_amount"]
        assert everything == list(dict.fromkeys(expected))
    rich = next(c for c in cards if c.need_id == many_id)
    assert rich.more, "the need with many reasons keeps the rest behind 为什么推荐"
    assert rich.shown[0] == "在您结对帮扶的广南县"


def test_the_snapshot_is_rebuilt_just_after_midnight_in_china() -> None:
    # 15:30 UTC is 23:30 in China: half an hour to the next day there, whatever the server's zone.
    assert seconds_to_next_day(datetime(2026, 12, 6, 15, 30, tzinfo=UTC)) == 1800
    assert seconds_to_next_day(datetime(2026, 12, 6, 16, 0, tzinfo=UTC)) == 24 * 3600


def test_a_reason_that_lowered_the_need_is_never_card_advice_but_stays_behind_why_this() -> None:
    """A need can come with "this village already received more than its peers" (it was lowered
    for that): the card offers only reasons that raised it; the disclosure keeps the rest."""
    reasons = [
        Reason("in_paired_region", {"county": "广南县", "pair": "designated"}),
        Reason("poverty_county", {"county": "广南县"}),
        Reason("well_funded_village", {"peers": "poor_village"}),
        Reason("open_amount", {"amount_fen": 200_000}),
    ]
    item = recommendations.RecommendedNeed(
        need=None,  # type: ignore[arg-type]  # the reasons are all this test reads
        candidate=None,  # type: ignore[arg-type]
        score=1.0,
        reasons=recommendations.shown(reasons),
    )
    assert [r.code for r in item.card_reasons] == ["in_paired_region", "poverty_county"]
    assert [r.code for r in item.more_reasons] == ["well_funded_village"]

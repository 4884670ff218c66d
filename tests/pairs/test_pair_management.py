"""Adding, ending and re-drawing pairs, and recording their yearly figures: history and audit
rows on success; on bad input a clear error naming the field, and nothing written."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from fupin.accounts.models import Pair, Participant
from fupin.accounts.service.users import actor_for
from fupin.core.models import AuditLog
from fupin.errors import Conflict, InvalidInput, PermissionDenied
from fupin.pairs.models import PairEvent, PairFigure, PairYear
from fupin.pairs.rules.figures import format_figure_input
from fupin.pairs.service import figures as pf
from fupin.pairs.service import management as pm

TODAY = date(2025, 11, 20)


async def _counts() -> tuple[int, int, int, int, int]:
    return (
        await Pair.all().count(),
        await PairEvent.all().count(),
        await AuditLog.all().count(),
        await PairYear.all().count(),
        await PairFigure.all().count(),
    )


async def _actor(world, key: str = "national_admin"):
    return await actor_for(world.users[key])


async def _east_partner() -> Participant:
    return await Participant.get(name="上海市", kind="east_partner")


@pytest.mark.both_databases
async def test_office_adds_a_pair_with_an_audit_row_and_a_history_event(world) -> None:
    actor = await _actor(world, "province_office")
    helper = await _east_partner()
    pair = await pm.add_pair(
        actor=actor,
        kind="east_west",
        helper_id=helper.id,
        helped_region_code="532627",
        start_year=2022,
        period="2021-",
    )
    assert (pair.kind, pair.helped_region_id, pair.start_year, pair.end_year) == (
        "east_west",
        "532627",
        2022,
        None,
    )
    entry = await AuditLog.get(action="pair.add", object_id=str(pair.id))
    assert entry.after["helped_region_id"] == "532627" and entry.actor_label == "province_office"
    event = await PairEvent.get(pair_id=pair.id)
    assert (event.action, event.year) == ("add", 2022)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "sideways"}, "kind"),
        ({"helper_id": "abc"}, "helper_id"),
        ({"helper_id": 999999}, "helper_id"),
        ({"helped_region_code": "999999"}, "helped_region_code"),
        ({"helped_region_code": ""}, "helped_region_code"),
        ({"start_year": "1900"}, "start_year"),
        ({"start_year": "twenty"}, "start_year"),
        ({"start_year": 2022, "end_year": 2020}, "end_year"),
        ({"note": "长" * 2001}, "note"),
    ],
)
async def test_bad_pair_input_names_the_field_and_writes_nothing(world, changes, field) -> None:
    actor = await _actor(world)
    helper = await _east_partner()
    args = {
        "kind": "east_west",
        "helper_id": helper.id,
        "helped_region_code": "532627",
        "start_year": 2022,
    }
    before = await _counts()
    with pytest.raises(InvalidInput) as error:
        await pm.add_pair(actor=actor, **{**args, **changes})
    assert field in {e.field for e in error.value.errors}
    assert await _counts() == before


async def test_helper_of_the_wrong_kind_is_refused(world) -> None:
    actor = await _actor(world)
    with pytest.raises(InvalidInput) as error:
        await pm.add_pair(
            actor=actor,
            kind="east_west",
            helper_id=world.participants["enterprise"].id,
            helped_region_code="532627",
            start_year=2022,
        )
    assert error.value.field == "helper_id" and "东部协作方" in error.value.message


@pytest.mark.both_databases
async def test_a_pair_overlapping_the_same_helper_and_region_is_refused(world) -> None:
    actor = await _actor(world)
    existing = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    before = await _counts()
    with pytest.raises(InvalidInput) as error:
        await pm.add_pair(
            actor=actor,
            kind="east_west",
            helper_id=existing.helper_id,
            helped_region_code="530000",
            start_year=2024,
        )
    assert error.value.code == "overlap" and f"#{existing.id}" in error.value.message
    assert await _counts() == before


@pytest.mark.both_databases
async def test_province_office_cannot_manage_another_provinces_pairs(world) -> None:
    sichuan_office = await _actor(world, "other_province_office")
    yunnan_pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    helper = await _east_partner()
    before = await _counts()
    with pytest.raises(PermissionDenied):
        await pm.end_pair(actor=sichuan_office, pair_id=yunnan_pair.id, end_year=2025)
    with pytest.raises(PermissionDenied):
        await pm.add_pair(
            actor=sichuan_office,
            kind="east_west",
            helper_id=helper.id,
            helped_region_code="532627",
            start_year=2022,
        )
    with pytest.raises(PermissionDenied):
        await pf.save_figures(
            actor=sichuan_office, pair_id=yunnan_pair.id, year=2025, targets={"social_funds": 1}
        )
    with pytest.raises(PermissionDenied):
        await pm.end_pair(
            actor=await _actor(world, "participant_member"), pair_id=yunnan_pair.id, end_year=2025
        )
    assert await _counts() == before


@pytest.mark.both_databases
async def test_ending_a_pair_records_its_last_year_once(world) -> None:
    actor = await _actor(world)
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    ended = await pm.end_pair(actor=actor, pair_id=pair.id, end_year=2025, reason="协作关系调整")
    assert ended.end_year == 2025 and (await Pair.get(id=pair.id)).end_year == 2025
    entry = await AuditLog.get(action="pair.end", object_id=str(pair.id))
    assert entry.before["end_year"] is None and entry.after["end_year"] == 2025
    before = await _counts()
    with pytest.raises(Conflict):
        await pm.end_pair(actor=actor, pair_id=pair.id, end_year=2026)
    with pytest.raises(InvalidInput) as error:
        await pm.end_pair(actor=actor, pair_id=pair.id, end_year=2019)
    assert error.value.field == "end_year"
    assert await _counts() == before


@pytest.mark.both_databases
async def test_ending_a_pair_before_a_year_with_figures_is_refused(world) -> None:
    actor = await _actor(world)
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    await pf.save_figures(
        actor=actor, pair_id=pair.id, year=2025, targets={"social_funds": 100}, today=TODAY
    )
    before = await _counts()
    with pytest.raises(InvalidInput) as error:
        await pm.end_pair(actor=actor, pair_id=pair.id, end_year=2024)
    assert error.value.code == "has_figures" and "2025" in error.value.message
    assert await _counts() == before


@pytest.mark.both_databases
async def test_redrawing_ends_the_old_pair_and_links_the_new_one_with_history(world) -> None:
    actor = await _actor(world)
    old = await Pair.get(kind="designated", helped_region_id="532530")
    new_helper = await Participant.create(kind="central_unit", name="新定点帮扶单位")
    new = await pm.redraw_pair(
        actor=actor, pair_id=old.id, start_year=2021, helper_id=new_helper.id, reason="2021 年调整"
    )
    assert (new.replaces_id, new.helper_id, new.helped_region_id, new.start_year) == (
        old.id,
        new_helper.id,
        "532530",
        2021,
    )
    assert (await Pair.get(id=old.id)).end_year == 2020
    history = await pm.pair_history(new.id)
    actions = [(e.pair_id, e.action) for e in history]
    assert (old.id, "replaced") in actions and (new.id, "redraw") in actions
    assert await AuditLog.filter(action="pair.redraw", object_id=str(old.id)).count() == 1
    # a pair can be re-drawn once; later changes go to its successor
    before = await _counts()
    with pytest.raises(Conflict):
        await pm.redraw_pair(actor=actor, pair_id=old.id, start_year=2022)
    assert await _counts() == before


@pytest.mark.parametrize("start", [2019, 2020, 2016, 2011])
@pytest.mark.both_databases
async def test_a_redrawn_pair_overlapping_itself_is_refused_and_nothing_written(
    world, start
) -> None:
    """The 2016–2020 上海→云南 pair re-drawn from a year inside its own term (or before it)."""
    actor = await _actor(world)
    old = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2016)
    assert old.end_year == 2020
    before = await _counts()
    with pytest.raises(InvalidInput) as error:
        await pm.redraw_pair(actor=actor, pair_id=old.id, start_year=start)
    assert error.value.field == "start_year" and error.value.code == "overlap"
    assert await _counts() == before
    assert (await Pair.get(id=old.id)).end_year == 2020


@pytest.mark.both_databases
async def test_redrawing_onto_a_pair_that_already_exists_is_refused(world) -> None:
    """Re-drawing the 2016–2020 pair from 2021 would duplicate the real 2021– pair."""
    actor = await _actor(world)
    old = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2016)
    before = await _counts()
    with pytest.raises(InvalidInput) as error:
        await pm.redraw_pair(actor=actor, pair_id=old.id, start_year=2021)
    assert error.value.code == "overlap"
    assert await _counts() == before


@pytest.mark.both_databases
async def test_figures_are_recorded_per_pair_year_with_before_and_after_in_the_audit(world) -> None:
    actor = await _actor(world, "province_office")
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    saved = await pf.save_figures(
        actor=actor,
        pair_id=pair.id,
        year=2025,
        targets={"fiscal_aid": "4000.5", "cadres_exchanged": "12", "labour_placed": ""},
        reported={"fiscal_aid": "1,000.000001"},
        grade="good",
        summary="年度总结",
        today=TODAY,
    )
    assert saved.targets["fiscal_aid"] == 4_000_500_000  # 4000.5 万元 in fen
    assert saved.reported["fiscal_aid"] == 1_000_000_001  # exact to the fen
    assert saved.targets["cadres_exchanged"] == 12 and saved.targets["labour_placed"] is None
    again = await pf.save_figures(
        actor=actor, pair_id=pair.id, year=2025, reported={"cadres_exchanged": 7}, today=TODAY
    )
    assert again.targets["cadres_exchanged"] == 12 and again.reported["cadres_exchanged"] == 7
    entries = await AuditLog.filter(action="pair.figures", object_id=f"{pair.id}:2025").order_by(
        "id"
    )
    assert len(entries) == 2
    assert entries[1].before["figures"]["cadres_exchanged"] == {"target": 12, "reported": None}
    assert entries[1].after["figures"]["cadres_exchanged"] == {"target": 12, "reported": 7}
    assert (await PairYear.get(pair_id=pair.id, year=2025)).grade == "good"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"targets": {"social_funds": "-5"}}, "target.social_funds"),
        ({"targets": {"cadres_exchanged": -1}}, "target.cadres_exchanged"),
        ({"reported": {"labour_placed": "3.5"}}, "reported.labour_placed"),
        ({"targets": {"fiscal_aid": "1.0000001"}}, "target.fiscal_aid"),
        ({"targets": {"fiscal_aid": "abc"}}, "target.fiscal_aid"),
        ({"targets": {"fiscal_aid": "NaN"}}, "target.fiscal_aid"),
        ({"targets": {"fiscal_aid": 10**16}}, "target.fiscal_aid"),
        ({"targets": {"no_such_indicator": 1}}, "target.no_such_indicator"),
        ({"year": 2020}, "year"),  # before the 2021– pair started
        ({"year": 2027}, "year"),  # beyond next year for a pair in force
        ({"year": "soon"}, "year"),
        ({"grade": "excellent"}, "grade"),
    ],
)
@pytest.mark.both_databases
async def test_bad_figures_are_refused_with_the_field_and_nothing_written(
    world, kwargs, field
) -> None:
    actor = await _actor(world)
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    await pf.save_figures(
        actor=actor, pair_id=pair.id, year=2025, targets={"social_funds": 100}, today=TODAY
    )
    before = await _counts()
    figures_before = await pf.year_figures(pair.id, 2025)
    args = {"year": 2025, "targets": {"social_funds": 200, "cadres_exchanged": 3}}
    args.update(kwargs)
    if "targets" in kwargs:
        args["targets"] = {"social_funds": 200, **kwargs["targets"]}
    with pytest.raises(InvalidInput) as error:
        await pf.save_figures(actor=actor, pair_id=pair.id, today=TODAY, **args)
    assert field in {e.field for e in error.value.errors}
    assert await _counts() == before
    assert (await pf.year_figures(pair.id, 2025)).targets == figures_before.targets


async def test_figures_for_an_ended_pair_stay_inside_its_term(world) -> None:
    actor = await _actor(world)
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2016)
    await pf.save_figures(
        actor=actor, pair_id=pair.id, year=2020, targets={"fiscal_aid": 1}, today=TODAY
    )
    with pytest.raises(InvalidInput) as error:
        await pf.save_figures(
            actor=actor, pair_id=pair.id, year=2021, targets={"fiscal_aid": 1}, today=TODAY
        )
    assert "2016–2020" in error.value.message


def test_figure_form_text_round_trips_for_money_and_counts() -> None:
    from fupin.pairs.rules.alerts import INDICATOR_BY_CODE

    money = INDICATOR_BY_CODE["fiscal_aid"]
    people = INDICATOR_BY_CODE["labour_placed"]
    for fen in (0, 1, 99, 1_000_000, 4_000_500_000, 123_456_789_012):
        errors: list = []
        assert (
            pf.parse_figure(format_figure_input(fen, money), money, "x", errors) == fen
            and not errors
        )
    errors = []
    assert pf.parse_figure(format_figure_input(1234, people), people, "x", errors) == 1234


@pytest.mark.both_databases
async def test_concurrent_adds_of_the_same_pair_create_it_once(world) -> None:
    actor = await _actor(world)
    helper = await _east_partner()
    results = await asyncio.gather(
        *[
            pm.add_pair(
                actor=actor,
                kind="east_west",
                helper_id=helper.id,
                helped_region_code="532627",
                start_year=2023,
            )
            for _ in range(6)
        ],
        return_exceptions=True,
    )
    created = [r for r in results if isinstance(r, Pair)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(created) == 1 and len(refused) == 5, results
    assert await Pair.filter(helped_region_id="532627", helper_id=helper.id).count() == 1
    assert await AuditLog.filter(action="pair.add").count() == 1


@pytest.mark.both_databases
async def test_concurrent_redraws_of_one_pair_leave_one_successor(world) -> None:
    actor = await _actor(world)
    old = await Pair.get(kind="designated", helped_region_id="532530")
    results = await asyncio.gather(
        *[pm.redraw_pair(actor=actor, pair_id=old.id, start_year=2021) for _ in range(4)],
        return_exceptions=True,
    )
    assert sum(isinstance(r, Pair) for r in results) == 1, results
    assert all(isinstance(r, Pair | Conflict) for r in results), results
    assert await Pair.filter(replaces_id=old.id).count() == 1


@pytest.mark.both_databases
async def test_concurrent_figure_edits_of_a_new_pair_year_keep_one_row_per_indicator(world) -> None:
    actor = await _actor(world)
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    results = await asyncio.gather(
        *[
            pf.save_figures(
                actor=actor,
                pair_id=pair.id,
                year=2024,
                targets={"social_funds": 100 + i},
                today=TODAY,
            )
            for i in range(6)
        ],
        return_exceptions=True,
    )
    assert all(isinstance(r, pf.YearFigures | Conflict) for r in results), results
    saved = sum(isinstance(r, pf.YearFigures) for r in results)
    assert saved >= 1
    assert await PairYear.filter(pair_id=pair.id, year=2024).count() == 1
    assert (
        await PairFigure.filter(pair_year__pair_id=pair.id, indicator="social_funds").count() == 1
    )
    assert await AuditLog.filter(action="pair.figures").count() == saved

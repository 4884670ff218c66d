"""Drafting, editing, the happy path of the lifecycle, derived funding, expiry and the duplicate
guard, through the domain services on real databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.core.models import AuditLog
from fupin.db import transaction
from fupin.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from fupin.ledger.models import LedgerEntry
from fupin.needs.models import Attachment, Need, NeedEvent, NeedItem, SearchOutbox
from fupin.needs.service import documents, drafting, expiry, lifecycle, reading
from tests.needs.support import actors, future, make_need, valid_input


@pytest.mark.both_databases
async def test_village_worker_drafts_and_the_county_publishes_with_history_audit_ledger_and_outbox(
    world,
) -> None:
    a = await actors(world)
    need = await drafting.draft_need(a["village_worker"], valid_input(world.village.code))
    assert need.state == "draft" and need.county_code == "532627" and need.province_code == "530000"
    assert await NeedItem.filter(need_id=need.id).count() == 1
    await lifecycle.transition_need(a["village_worker"], need.id, "submit")
    published = await lifecycle.transition_need(a["county_officer"], need.id, "publish")
    assert published.state == "published"
    assert published.published_by_id == world.users["county_officer"].id
    assert published.published_at is not None
    events = (
        await NeedEvent.filter(need_id=need.id)
        .order_by("id")
        .values_list("action", "from_state", "to_state")
    )
    assert events == [
        ("draft", "", "draft"),
        ("submit", "draft", "submitted"),
        ("publish", "submitted", "published"),
    ]
    assert await AuditLog.filter(object_type="need", object_id=str(need.id)).count() == 3
    assert await SearchOutbox.filter(need_id=need.id).count() == 3
    entry = await LedgerEntry.get(kind="need_published")
    assert entry.subject == f"need:{need.id}"
    assert (
        '"county_code":"532627"' in entry.payload_json
        and '"target_fen":38600000' in entry.payload_json
    )


@pytest.mark.both_databases
async def test_full_lifecycle_to_closed_and_a_dispute_reopens_it(world) -> None:
    a = await actors(world)
    need = await make_need(world, "published", target_fen=500_000)
    await Need.filter(id=need.id).update(pledged_fen=500_000)
    async with transaction():  # as the money services call it, in theirs
        await lifecycle.refresh_funded_state(await Need.get(id=need.id))
    assert (await Need.get(id=need.id)).state == "funded"
    await lifecycle.transition_need(a["county_officer"], need.id, "start")
    with pytest.raises(RuleViolation) as no_evidence:
        await lifecycle.transition_need(a["county_officer"], need.id, "deliver", reason="水池建成")
    assert no_evidence.value.code == "evidence_required"
    await Attachment.filter(need_id=need.id).delete()
    await Attachment.create(
        need_id=need.id, purpose="evidence", sha256="a" * 64, content_type="image/png", size=3
    )
    await lifecycle.transition_need(
        a["county_officer"], need.id, "deliver", reason="蓄水池已建成并通过验收"
    )
    assert await LedgerEntry.filter(kind="need_completed", subject=f"need:{need.id}").count() == 1
    closed = await lifecycle.transition_need(a["village_worker"], need.id, "confirm_receipt")
    assert closed.state == "closed"
    reopened = await lifecycle.transition_need(
        a["village_worker"], need.id, "dispute", reason="管道只铺了一半"
    )
    assert reopened.state == "in_progress"
    event = await NeedEvent.filter(need_id=need.id).order_by("-id").first()
    assert (
        event is not None
        and event.reason == "管道只铺了一半"
        and event.actor_role == "village_worker"
    )


@pytest.mark.both_databases
async def test_funded_is_derived_from_pledged_amount_both_ways(world) -> None:
    need = await make_need(world, "published", target_fen=1_000)
    await Need.filter(id=need.id).update(pledged_fen=999)
    async with transaction():  # as the money services call it, in theirs
        await lifecycle.refresh_funded_state(await Need.get(id=need.id))
    assert (await Need.get(id=need.id)).state == "published"
    await Need.filter(id=need.id).update(pledged_fen=1_000)
    async with transaction():  # as the money services call it, in theirs
        await lifecycle.refresh_funded_state(await Need.get(id=need.id))
    assert (await Need.get(id=need.id)).state == "funded"
    await Need.filter(id=need.id).update(pledged_fen=400)  # a pledge was withdrawn
    async with transaction():  # as the money services call it, in theirs
        await lifecycle.refresh_funded_state(await Need.get(id=need.id), actor_label="system")
    assert (await Need.get(id=need.id)).state == "published"
    events = (
        await NeedEvent.filter(need_id=need.id, actor_role="system")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert events == ["fund", "unfund"]


async def test_refresh_funded_state_leaves_other_states_alone(world) -> None:
    need = await make_need(world, "in_progress", target_fen=1_000, pledged_fen=0)
    async with transaction():  # as the money services call it, in theirs
        await lifecycle.refresh_funded_state(need)
    assert (await Need.get(id=need.id)).state == "in_progress"


@pytest.mark.both_databases
async def test_overdue_published_need_expires_on_read_and_by_the_sweep_exactly_once(world) -> None:
    yesterday = today_cn() - timedelta(days=1)
    on_read = await make_need(world, "published", deadline=yesterday)
    by_sweep = await make_need(world, "published", deadline=yesterday, title="石门村通组道路硬化")
    funded = await make_need(world, "funded", deadline=yesterday, title="石门村卫生室")
    seen = await reading.get_need(None, on_read.id)
    assert seen.state == "expired"
    assert await expiry.expire_all_overdue() == 1  # by_sweep only; on_read already done
    assert await expiry.expire_all_overdue() == 0
    assert (await Need.get(id=by_sweep.id)).state == "expired"
    assert (await Need.get(id=funded.id)).state == "funded"
    for need in (on_read, by_sweep):
        assert await NeedEvent.filter(need_id=need.id, action="expire").count() == 1


async def test_public_list_never_shows_an_overdue_need_as_published(world) -> None:
    overdue = await make_need(world, "published", deadline=today_cn() - timedelta(days=2))
    page = await reading.list_needs(reading.NeedFilters(state="published"))
    assert overdue.id not in [n.id for n in page.items]
    expired = await reading.list_needs(reading.NeedFilters(state="expired"))
    assert [n.id for n in expired.items] == [overdue.id]


@pytest.mark.both_databases
async def test_lists_and_exports_write_nothing_the_sweep_persists_the_expiry(world) -> None:
    overdue = await make_need(world, "published", deadline=today_cn() - timedelta(days=2))
    await reading.list_needs(reading.NeedFilters())
    await reading.list_needs(reading.NeedFilters(state="expired"), card=True)
    exported = reading.iter_needs(reading.NeedFilters(state="expired"))
    assert [n.id async for n in exported] == [overdue.id]
    assert (await Need.get(id=overdue.id)).state == "published"
    assert not await NeedEvent.filter(need_id=overdue.id, action="expire").exists()
    assert await expiry.expire_all_overdue() == 1
    assert (await Need.get(id=overdue.id)).state == "expired"


@pytest.mark.both_databases
async def test_duplicate_guard_requires_acknowledgement_before_publishing(world) -> None:
    a = await actors(world)
    await make_need(world, "published", title="石门村人畜饮水工程")
    need = await make_need(world, "submitted", title="石门村人畜饮水项目")
    other = await make_need(
        world, "submitted", title="石门村小学食堂建设", category="drinking_water"
    )
    assert [
        d.id
        for d in await reading.possible_duplicates(
            await reading.get_need(a["county_officer"], need.id)
        )
    ]
    with pytest.raises(Conflict) as refused:
        await lifecycle.transition_need(a["county_officer"], need.id, "publish")
    assert refused.value.code == "possible_duplicate"
    assert (await Need.get(id=need.id)).state == "submitted"
    done = await lifecycle.transition_need(
        a["county_officer"], need.id, "publish", acknowledge_duplicates=True
    )
    assert done.state == "published"
    assert (
        await reading.possible_duplicates(await reading.get_need(a["county_officer"], other.id))
        == []
    )


def test_title_similarity_ignores_the_shared_place_names_and_generic_words() -> None:
    names = ["石门村"]
    assert reading.title_similarity("石门村人饮工程", "石门村人畜饮水工程", names=names) >= 0.6
    assert reading.title_similarity("石门村通组道路硬化", "石门村道路硬化项目", names=names) >= 0.6
    assert reading.title_similarity("石门村小学食堂", "石门村饮水安全工程", names=names) < 0.6


async def test_bad_input_names_every_field_and_writes_nothing(world) -> None:
    a = await actors(world)
    bad = valid_input(
        world.village.code,
        title="x",
        target_fen=-5,
        deadline=(today_cn() - timedelta(days=1)).isoformat(),
        beneficiary_households=50,
        beneficiary_people=10,
        category="moon_base",
        items=[{"name": "", "quantity": 0, "unit": "吨", "unit_value_fen": 10}],
    )
    with pytest.raises(InvalidInput) as refused:
        await drafting.draft_need(a["village_worker"], bad)
    fields = {e.field for e in refused.value.errors}
    assert {
        "title",
        "target_fen",
        "deadline",
        "beneficiary_people",
        "category",
        "items[0].name",
        "items[0].quantity",
    } <= fields
    assert await Need.all().count() == 0 and await NeedEvent.all().count() == 0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"title": "长" * 61}, "title"),
        ({"description": "太短"}, "description"),
        ({"description": "长" * 5001}, "description"),
        ({"target_fen": 10**12}, "target_fen"),
        ({"target_fen": "abc"}, "target_fen"),
        ({"target_fen": 0, "items": []}, "target_fen"),
        ({"deadline": "2020-13-01"}, "deadline"),
        # Read when the test runs, not at import (tests/test_midnight.py).
        ({"deadline": lambda: future(2000).isoformat()}, "deadline"),
        ({"beneficiary_people": 10**9}, "beneficiary_people"),
        ({"region_code": "12"}, "region_code"),
    ],
)
async def test_each_bad_field_is_refused_by_name(world, override, field) -> None:
    override = {key: value() if callable(value) else value for key, value in override.items()}
    a = await actors(world)
    with pytest.raises(InvalidInput) as refused:
        await drafting.draft_need(
            a["village_worker"], {**valid_input(world.village.code), **override}
        )
    assert field in {e.field for e in refused.value.errors}
    assert await Need.all().count() == 0


async def test_in_kind_only_need_takes_the_items_value_as_target(world) -> None:
    a = await actors(world)
    items = [{"name": "课桌椅", "quantity": 60, "unit": "套", "unit_value_fen": 45_000}]
    need = await drafting.draft_need(
        a["village_worker"], valid_input(world.village.code, target_fen=0, items=items)
    )
    assert need.target_fen == 2_700_000


async def test_village_worker_cannot_draft_for_another_village_or_county(world) -> None:
    a = await actors(world)
    with pytest.raises(PermissionDenied):
        await drafting.draft_need(a["village_worker"], valid_input(world.other_village.code))
    with pytest.raises(PermissionDenied):
        await drafting.draft_need(a["village_worker"], valid_input("532627"))
    county_need = await drafting.draft_need(a["county_officer"], valid_input("532627"))
    assert county_need.region_id == "532627"
    with pytest.raises(PermissionDenied):
        await drafting.draft_need(a["county_officer"], valid_input(world.other_village.code))


async def test_edit_changes_fields_records_an_event_and_is_refused_after_publication(world) -> None:
    a = await actors(world)
    need = await drafting.draft_need(a["village_worker"], valid_input(world.village.code))
    edited = await drafting.edit_need(
        a["village_worker"], need.id, {"title": "石门村饮水工程（修订）", "target_fen": 40_000_000}
    )
    assert edited.title == "石门村饮水工程（修订）" and edited.target_fen == 40_000_000
    event = await NeedEvent.filter(need_id=need.id, action="edit").first()
    assert event is not None and "标题" in event.reason
    await lifecycle.transition_need(a["village_worker"], need.id, "submit")
    with pytest.raises(PermissionDenied):  # under review: only the county edits
        await drafting.edit_need(a["village_worker"], need.id, {"title": "再改一次标题"})
    await drafting.edit_need(a["county_officer"], need.id, {"title": "县里审核时修改"})
    await lifecycle.transition_need(a["county_officer"], need.id, "publish")
    with pytest.raises(InvalidTransition):
        await drafting.edit_need(a["county_officer"], need.id, {"title": "发布后再改"})
    with pytest.raises(InvalidInput) as unknown:
        await drafting.edit_need(a["county_officer"], need.id, {"state": "closed"})
    assert unknown.value.field == "state"


async def test_drafts_are_not_found_for_the_public_and_other_counties(world) -> None:
    a = await actors(world)
    need = await make_need(world, "draft")
    for who in (
        None,
        a["other_county_officer"],
        a["participant_member"],
        a["other_village_worker"],
    ):
        with pytest.raises(NotFound):
            await reading.get_need(who, need.id)
    for who in ("village_worker", "county_officer", "province_office", "national_admin", "auditor"):
        assert (await reading.get_need(a[who], need.id)).id == need.id


async def test_withdrawing_a_published_need_with_pledges_is_refused(world) -> None:
    a = await actors(world)
    need = await make_need(world, "published", pledged_fen=100)
    with pytest.raises(RuleViolation) as refused:
        await lifecycle.transition_need(
            a["county_officer"], need.id, "withdraw", reason="村里另有安排"
        )
    assert refused.value.code == "has_pledges"
    assert (await Need.get(id=need.id)).state == "published"


async def test_closing_a_village_need_needs_the_signed_receipt_scan(world) -> None:
    a = await actors(world)
    need = await make_need(world, "completed")
    with pytest.raises(RuleViolation):
        await lifecycle.transition_need(
            a["county_officer"], need.id, "close", reason="村委会已书面签收"
        )
    await Attachment.create(
        need_id=need.id,
        purpose="receipt_confirmation",
        sha256="b" * 64,
        content_type="application/pdf",
        size=9,
    )
    done = await lifecycle.transition_need(
        a["county_officer"], need.id, "close", reason="村委会已书面签收"
    )
    assert done.state == "closed"
    county_wide = await make_need(world, "completed", region_code="532627")
    assert (
        await lifecycle.transition_need(
            a["county_officer"], county_wide.id, "close", reason="全县项目验收"
        )
    ).state == "closed"


async def test_public_lists_filter_sort_and_count(world) -> None:
    cheap = await make_need(world, "published", target_fen=1_000_000, category="roads")
    dear = await make_need(
        world,
        "published",
        target_fen=9_000_000,
        category="roads",
        deadline=today_cn() + timedelta(days=5),
    )
    await make_need(world, "draft", category="roads")
    other = await make_need(
        world, "funded", region_code=world.other_village.code, category="health"
    )
    page = await reading.list_needs(reading.NeedFilters(category="roads", sort="open_amount"))
    assert [n.id for n in page.items] == [dear.id, cheap.id] and page.total == 2
    by_deadline = await reading.list_needs(reading.NeedFilters(county="532627", sort="deadline"))
    assert by_deadline.items[0].id == dear.id
    assert [
        n.id for n in (await reading.list_needs(reading.NeedFilters(province="510000"))).items
    ] == [other.id]
    with pytest.raises(InvalidInput):
        await reading.list_needs(reading.NeedFilters(state="draft"))
    with pytest.raises(InvalidInput):
        await reading.list_needs(reading.NeedFilters(sort="random"))


async def test_workspace_counts_by_state_for_the_county_and_the_village(world) -> None:
    a = await actors(world)
    await make_need(world, "draft")
    await make_need(world, "submitted")
    await make_need(world, "published", region_code="532627")
    await make_need(world, "published", region_code=world.other_village.code)
    county = await reading.state_counts(a["county_officer"])
    assert county["draft"] == 1 and county["submitted"] == 1 and county["published"] == 1
    village = await reading.state_counts(a["village_worker"])
    assert village["published"] == 0 and village["draft"] == 1


@pytest.mark.both_databases
async def test_search_documents_have_every_field_and_only_public_needs(world) -> None:
    from fupin.search.rules.documents import check_document

    public = await make_need(world, "funded", target_fen=3_000_000)
    draft = await make_need(world, "draft")
    doc = await documents.public_need_document(public.id)
    assert doc is not None
    check_document(doc)
    assert (
        doc["county"] == "广南县"
        and doc["province"] == "云南省"
        and doc["village"] == world.village.name
    )
    assert doc["amount_band"] == "1-5万" and doc["is_poverty_county"] is True
    assert doc["category_label"] == "饮水安全"
    assert await documents.public_need_document(draft.id) is None
    assert await documents.public_need_document(999_999) is None
    batch = await documents.public_need_documents(0, 10)
    assert [d["id"] for d in batch] == [public.id]
    assert await documents.public_need_documents(public.id, 10) == []


async def test_expiry_worker_expires_overdue_needs_in_the_background(world, db) -> None:
    import asyncio

    from fupin import background

    overdue = await make_need(world, "published", deadline=today_cn() - timedelta(days=1))
    (sweep,) = [
        s for s in background.SWEEPS if s.job == "fupin.needs.service.expiry:expire_all_overdue"
    ]
    task = asyncio.create_task(background.run_sweep(sweep))
    try:
        for _attempt in range(100):
            if (await Need.get(id=overdue.id)).state == "expired":
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (await Need.get(id=overdue.id)).state == "expired"
    event = await NeedEvent.get(need_id=overdue.id, action="expire")
    assert event.actor_role == "system" and "截止日期已过" in event.reason


@pytest.mark.both_databases
async def test_concurrent_publish_and_withdraw_make_exactly_one_transition(world) -> None:
    import asyncio

    from fupin.errors import FupinError

    a = await actors(world)
    need = await make_need(world, "submitted")
    attempts = [
        lifecycle.transition_need(a["county_officer"], need.id, "publish") for _ in range(4)
    ]
    attempts += [
        lifecycle.transition_need(a["village_worker"], need.id, "withdraw", reason="并发撤回")
        for _ in range(4)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(done) == 1 and all(isinstance(r, FupinError) for r in refused)
    final = (await Need.get(id=need.id)).state
    assert final in ("published", "withdrawn")
    events = (
        await NeedEvent.filter(need_id=need.id)
        .exclude(action="draft")
        .values_list("action", flat=True)
    )
    assert list(events) == ["publish" if final == "published" else "withdraw"]
    expected_ledger = 1 if final == "published" else 0
    assert await LedgerEntry.filter(kind="need_published").count() == expected_ledger


@pytest.mark.both_databases
async def test_concurrent_expiry_sweeps_expire_each_need_once(world) -> None:
    import asyncio

    overdue = [
        await make_need(
            world,
            "published",
            deadline=today_cn() - timedelta(days=1),
            title=f"石门村过期需求{i}",
        )
        for i in range(6)
    ]
    counts = await asyncio.gather(*(expiry.expire_all_overdue() for _ in range(3)))
    assert sum(counts) == 6
    for need in overdue:
        assert await NeedEvent.filter(need_id=need.id, action="expire").count() == 1

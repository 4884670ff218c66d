"""Demo needs (scope 7): realistic village needs over the real poverty counties.

``fupin demo`` (default 2,000 needs; ``--needs N`` for scale) spreads needs over every one of
the 832 listed poverty counties loaded by ``fupin data load`` (831 distinct codes), in their
real villages (data/villages.csv.gz; no village is invented), spread the way a real year is
(``demo.rules.places``: a few counties with many needs, most with a few, most villages with
none); a share of the villages that post is flagged 建档立卡贫困村 as their county would.
Titles, descriptions, budgets, items and beneficiaries come from
``importers.demo_text`` (per-category templates that read like county project proposals).

States are spread over the lifecycle of docs/domain.md §3.4 with the history each state implies (drafted
→ submitted → published → funded → started → delivered → confirmed; returned, withdrawn and
expired with their reasons), money consistent with the state (funded and later: pledged covers
the target; completed: received in full), delivery evidence for completed needs, and the
``need_published`` / ``need_completed`` ledger entries a real publication appends.

Money note: ``pledged_fen``/``received_fen`` are set from the state so pages and the derived
"funded" rule agree; the money area's demo step may back them with pledge and donation records
(find the needs by ``is_demo``).

Idempotent and resumable: need number i is generated from ``Random(f"{seed}:{i}")``; a run adds
needs ``existing … N-1`` only, in batches of ``BATCH`` committed one at a time (a second run with
the same N adds nothing). Fast: rows are written with ``bulk_create`` and explicit ids, ledger
entries are chained in memory and written in bulk under the locked head.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256
from typing import Any

from PIL import Image, ImageDraw
from tortoise import connections

from fupin.accounts.models import User
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.db import transaction
from fupin.demo.rules.corpus import CATEGORY_WEIGHTS
from fupin.demo.rules.places import active_villages, county_weights
from fupin.demo.rules.texts import need_text
from fupin.ledger import service as ledger
from fupin.needs.models import Attachment, Need, NeedEvent, NeedItem, SearchOutbox
from fupin.needs.service.attachments import store
from fupin.needs.service.lifecycle import ledger_payload
from fupin.regions.models import Region
from fupin.settings import Settings

SEED = 2014  # the year of 中办发〔2013〕25号's publication
BATCH = 2000
#: The demo county and its village with demo logins (importers.demo): their workspaces get needs
#: in every state.
DEMO_COUNTY = "532627"
SHOWCASE_STATES = (
    "draft", "submitted", "returned", "published", "funded", "in_progress",
    "completed", "closed", "withdrawn", "expired", "published", "submitted",
)  # fmt: skip
#: State shares of the demo (most public needs are still collecting).
STATE_WEIGHTS: dict[str, int] = {
    "draft": 5,
    "submitted": 6,
    "returned": 3,
    "published": 40,
    "funded": 10,
    "in_progress": 12,
    "completed": 7,
    "closed": 10,
    "withdrawn": 3,
    "expired": 4,
}
POOR_VILLAGE_SHARE = 0.6
RETURN_REASONS = (
    "预算测算依据不足，请补充工程量清单和单价来源。",
    "受益户数与村情统计不一致，请核实后重新提交。",
    "请补充现场照片和村民代表会议纪要。",
    "建设内容与已安排的财政项目有重叠，请说明区别。",
)
WITHDRAW_REASONS = (
    "该项目已纳入县级财政专项资金安排。",
    "村民代表会议决定调整建设地点，另行申报。",
    "与乡镇统筹项目合并实施。",
)
DELIVERY_NOTES = (
    "工程已完工，经乡镇、村委会和群众代表联合验收合格。",
    "物资已全部发放到户，发放清单经村务监督委员会签字确认。",
    "项目按设计完成建设，县扶贫办组织验收，资料已归档。",
)
CONFIRM_NOTES = ("村委会确认收到，群众满意。", "已召开村民会议公示项目结果。", "")


@dataclass
class _County:
    code: str
    name: str
    province_code: str
    prefecture_code: str
    townships: list[tuple[str, str, str]]  # (code, name, full_name)
    villages: list[tuple[str, str, str]]  # (code, name, township name)
    village_weights: list[float] = field(default_factory=list)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _round_fen(amount: int, step: int = 100_00) -> int:
    return (amount // step) * step


def _demo_images(settings: Settings) -> list[tuple[str, int]]:
    """Three small generated pictures (sky, hills, a finished building) stored like uploads,
    used as site photos and delivery evidence: (sha256, size)."""
    out: list[tuple[str, int]] = []
    palettes = [((135, 190, 235), (88, 140, 70)), ((170, 205, 240), (120, 150, 80)),
                ((200, 220, 240), (95, 125, 90))]  # fmt: skip
    for index, (sky, hill) in enumerate(palettes):
        image = Image.new("RGB", (480, 320), sky)
        draw = ImageDraw.Draw(image)
        draw.polygon(
            [(0, 220), (140, 120 + index * 10), (300, 210), (480, 140), (480, 320), (0, 320)],
            fill=hill,
        )
        draw.rectangle([(180 + index * 30, 190), (300 + index * 30, 260)], fill=(230, 225, 215))
        draw.polygon(
            [(170 + index * 30, 190), (240 + index * 30, 150), (310 + index * 30, 190)],
            fill=(170, 60, 50),
        )
        draw.rectangle([(0, 270), (480, 320)], fill=(150, 150, 150))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
        digest = sha256(data).hexdigest()
        store(settings.attachments_dir, data, digest)
        out.append((digest, len(data)))
    return out


async def _counties(seed: int) -> tuple[list[_County], int]:
    """The poverty counties with their townships and the real villages that post needs this
    year (``demo.rules.places``); a share of those is flagged 建档立卡贫困村 as a county would
    (identified 2014, exited by the county's exit year). Returns (counties, villages flagged)."""
    counties = list(
        await Region.filter(level="county", is_poverty_county=True)
        .order_by("code")
        .values_list("code", "name", "province_code", "prefecture_code", "exit_year")
    )
    if not counties:
        raise RuntimeError("no poverty counties loaded: run `fupin data load` first")
    codes = [c[0] for c in counties]
    townships: dict[str, list[tuple[str, str, str]]] = {}
    township_names: dict[str, str] = {}
    for code, name, county_code, full_name in (
        await Region.filter(level="township", county_code__in=codes)
        .order_by("code")
        .values_list("code", "name", "county_code", "full_name")
    ):
        townships.setdefault(county_code, []).append((code, name, full_name))
        township_names[code] = name
    villages: dict[str, dict[str, tuple[str, str]]] = {}
    for code, name, parent, county_code in await Region.filter(
        level="village", county_code__in=codes, kind="村", merged_into_id__isnull=True
    ).values_list("code", "name", "parent_id", "county_code"):
        villages.setdefault(county_code, {})[code] = (name, parent)
    result: list[_County] = []
    flagged = 0
    for code, name, province_code, prefecture_code, exit_year in counties:
        county = _County(code, name, province_code, prefecture_code, townships.get(code, []), [])
        in_county = villages.get(code, {})
        active, weights = active_villages(list(in_county), code, seed)
        rng = random.Random(f"{seed}:poor:{code}")
        poor = [v for v in active if rng.random() < POOR_VILLAGE_SHARE]
        if poor:
            async with transaction():
                flagged += await Region.filter(code__in=poor, is_poor_village=False).update(
                    is_poor_village=True,
                    poor_identified_year=2014,
                    poor_exited_year=min(exit_year or 2020, 2020),
                )
        for village in active:
            vname, parent = in_county[village]
            county.villages.append((village, vname, township_names.get(parent or "", "")))
        county.village_weights = weights
        result.append(county)
    return result, flagged


@dataclass
class _Plan:
    """Everything one batch writes."""

    needs: list[Need]
    items: list[NeedItem]
    events: list[NeedEvent]
    attachments: list[Attachment]
    published: list[tuple[Need, str]]  # (need, ledger kind) in order
    outbox: list[int]


def _plan_need(
    i: int,
    need_id: int,
    *,
    seed: int,
    county: _County,
    village: tuple[str, str, str],
    users: dict[str, int],
    images: Sequence[tuple[str, int]],
    today: date,
    now: datetime,
    plan: _Plan,
    state: str | None = None,
) -> None:
    rng = random.Random(f"{seed}:{i}")
    category = _weighted(rng, CATEGORY_WEIGHTS)
    state = state or _weighted(rng, STATE_WEIGHTS)
    village_code, village, township = village
    text = need_text(category, county=county.name, township=township, village=village, rng=rng)
    target = text.target_fen
    created = now - timedelta(days=rng.randint(20, 330), minutes=rng.randint(0, 1440))
    submitted = created + timedelta(days=rng.randint(1, 6), minutes=rng.randint(5, 600))
    published = submitted + timedelta(days=rng.randint(1, 12), minutes=rng.randint(5, 600))
    pledged = received = 0
    if state == "expired":
        deadline = today - timedelta(days=rng.randint(1, 60))
        published = min(published, datetime(deadline.year, deadline.month, deadline.day, 2, tzinfo=UTC)
                        - timedelta(days=rng.randint(20, 90)))  # fmt: skip
        submitted = published - timedelta(days=rng.randint(1, 10))
        created = submitted - timedelta(days=rng.randint(1, 6))
    elif state in ("in_progress", "completed", "closed"):
        deadline = today + timedelta(days=rng.randint(-120, 120))
    else:
        deadline = today + timedelta(days=rng.randint(15, 300))
    if state == "published":
        share = rng.choice((0, 0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85))
        pledged = _round_fen(int(target * share))
        received = _round_fen(int(pledged * rng.choice((0, 0.3, 0.6, 1))))
    elif state == "funded":
        pledged, received = target, _round_fen(int(target * rng.uniform(0.1, 0.8)))
    elif state == "in_progress":
        pledged, received = target, _round_fen(int(target * rng.uniform(0.6, 1.0)))
    elif state in ("completed", "closed"):
        pledged = received = target
    is_public = state in ("published", "funded", "in_progress", "completed", "closed", "expired")
    in_demo_county = county.code == DEMO_COUNTY
    worker = (
        users.get("worker") if in_demo_county and village_code == users.get("village") else None
    )
    officer = users.get("officer") if in_demo_county else None
    need = Need(
        id=need_id,
        region_id=village_code,
        county_code=county.code,
        province_code=county.province_code,
        category=category,
        title=text.title,
        description=text.description,
        target_fen=target,
        beneficiary_households=text.households,
        beneficiary_people=text.people,
        deadline=deadline,
        state=state,
        created_by_id=worker,
        published_by_id=officer if is_public else None,
        published_at=published if is_public else None,
        created_at=created,
        updated_at=now,
        pledged_fen=pledged,
        received_fen=received,
        is_demo=True,
        source="demo",
        external_ref="",
    )
    plan.needs.append(need)
    plan.items.extend(
        NeedItem(
            need_id=need_id,
            name=it.name,
            quantity=it.quantity,
            unit=it.unit,
            unit_value_fen=it.unit_value_fen,
        )  # fmt: skip
        for it in text.items
    )
    worker_label = ("shimen" if worker else "demo", worker, "village_worker")
    officer_label = ("guangnan" if officer else "demo", officer, "county_officer")
    system = ("system", None, "system")
    at = created

    def event(action: str, from_state: str, to_state: str, who: tuple[str, int | None, str],
              when: datetime, reason: str = "") -> None:  # fmt: skip
        plan.events.append(
            NeedEvent(need_id=need_id, action=action, from_state=from_state, to_state=to_state,
                      actor_label=who[0], actor_id=who[1], actor_role=who[2], reason=reason, at=when)
        )  # fmt: skip

    event("draft", "", "draft", worker_label, at)
    if state == "draft":
        return
    if state == "withdrawn":
        if rng.random() < 0.5:
            event("submit", "draft", "submitted", worker_label, submitted)
        event("withdraw", "submitted", "withdrawn", officer_label,
              submitted + timedelta(days=rng.randint(1, 9)), rng.choice(WITHDRAW_REASONS))  # fmt: skip
        plan.events[-1].from_state = plan.events[-2].to_state
        return
    event("submit", "draft", "submitted", worker_label, submitted)
    if state == "submitted":
        return
    if state == "returned":
        event("return", "submitted", "returned", officer_label,
              submitted + timedelta(days=rng.randint(1, 7)), rng.choice(RETURN_REASONS))  # fmt: skip
        return
    event("publish", "submitted", "published", officer_label, published)
    plan.published.append((need, "need_published"))
    plan.outbox.append(need_id)
    if rng.random() < 0.35 and images:
        sha, size = rng.choice(images)
        plan.attachments.append(
            Attachment(
                need_id=need_id,
                purpose="photo",
                sha256=sha,
                content_type="image/png",
                size=size,
                original_name="现场照片.png",
                created_at=published,
            )  # fmt: skip
        )
    if state == "published":
        return
    if state == "expired":
        expired_at = datetime(deadline.year, deadline.month, deadline.day, 17, tzinfo=UTC)
        event("expire", "published", "expired", system, expired_at + timedelta(hours=1),
              "截止日期已过，需求未筹满，自动到期。")  # fmt: skip
        return
    funded = max(
        published + timedelta(hours=1),
        min(published + timedelta(days=rng.randint(3, 90)), now - timedelta(days=2)),
    )
    event("fund", "published", "funded", system, funded, "有效认捐已覆盖目标金额。")
    if state == "funded":
        return
    started = funded + timedelta(days=rng.randint(0, 1), hours=rng.randint(1, 20))
    event("start", "funded", "in_progress", officer_label, started)
    if state == "in_progress":
        return
    delivered = started + timedelta(hours=rng.randint(2, 30))
    if images:
        sha, size = rng.choice(images)
        plan.attachments.append(
            Attachment(
                need_id=need_id,
                purpose="evidence",
                sha256=sha,
                content_type="image/png",
                size=size,
                original_name="交付验收照片.png",
                created_at=delivered,
            )  # fmt: skip
        )
    event(
        "deliver", "in_progress", "completed", officer_label, delivered, rng.choice(DELIVERY_NOTES)
    )
    plan.published.append((need, "need_completed"))
    if state == "completed":
        return
    event("confirm_receipt", "completed", "closed", worker_label,
          delivered + timedelta(hours=rng.randint(2, 30)), rng.choice(CONFIRM_NOTES))  # fmt: skip


async def _append_ledger(entries: Sequence[tuple[Need, str]], now: datetime) -> None:
    """The batch's need entries through the one chain writer, in bulk. Call inside the batch's
    transaction."""
    await ledger.append_many(
        [ledger.NewEntry(kind, f"need:{need.id}", ledger_payload(need)) for need, kind in entries],
        now=now,
    )


async def _fix_sequence() -> None:
    """Explicit ids leave PostgreSQL's serial behind; move it past the largest id."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(
            "SELECT setval(pg_get_serial_sequence('need', 'id'), "
            "GREATEST((SELECT COALESCE(MAX(id), 0) FROM need), 1))"
        )


async def load_demo_needs(
    settings: Settings,
    result: Any,
    needs: int,
    *,
    seed: int = SEED,
    today: date | None = None,
    progress: Any = None,
) -> None:
    """Top the demo up to ``needs`` demo needs (see the module docstring)."""
    started = time.perf_counter()
    today = today or today_cn()
    now = clock.now()
    existing = await Need.filter(is_demo=True).count()
    extra = result.extra
    if existing >= needs:
        extra["demo needs created"] = 0
        extra["demo needs total"] = existing
        return
    counties, villages_flagged = await _counties(seed)
    usable = [c for c in counties if c.villages]
    if not usable:
        raise RuntimeError("no villages loaded for the poverty counties: run `fupin data load`")
    weights = county_weights([c.code for c in usable], seed)
    showcase = next((c for c in usable if c.code == DEMO_COUNTY), None)
    users = {}
    for key, username in (("worker", "shimen"), ("officer", "guangnan")):
        user = await User.get_or_none(username=username)
        if user is not None:
            users[key] = user.id
            if key == "worker" and user.region_id:
                users["village"] = user.region_id  # type: ignore[assignment]
    home = users.get("village")
    if showcase is not None and home and all(v[0] != home for v in showcase.villages):
        region = await Region.get_or_none(code=home)
        if region is not None:
            parent = await Region.get_or_none(code=region.parent_id or "")
            showcase.villages.append((region.code, region.name, parent.name if parent else ""))
            showcase.village_weights.append(1.0)
    images = _demo_images(settings)
    last = await Need.all().order_by("-id").first()
    next_id = (last.id if last else 0) + 1
    created = 0
    for start in range(existing, needs, BATCH):
        plan = _Plan([], [], [], [], [], [])
        for i in range(start, min(needs, start + BATCH)):
            rng = random.Random(f"{seed}:place:{i}")
            state = None
            if showcase is not None and i < len(SHOWCASE_STATES) * 2:
                county = showcase
                home = users.get("village")
                in_home = i < len(SHOWCASE_STATES) and home is not None
                village = (
                    next((v for v in county.villages if v[0] == home), None) if in_home else None
                )
                village = village or rng.choices(county.villages, county.village_weights)[0]
                state = SHOWCASE_STATES[i % len(SHOWCASE_STATES)]
            else:
                county = rng.choices(usable, weights)[0]
                village = rng.choices(county.villages, county.village_weights)[0]
            _plan_need(
                i, next_id, seed=seed, county=county, village=village, users=users,  # type: ignore[arg-type]
                images=images, today=today, now=now, plan=plan, state=state,
            )  # fmt: skip
            next_id += 1
        async with transaction():
            await Need.bulk_create(plan.needs, batch_size=500)
            await NeedItem.bulk_create(plan.items, batch_size=1000)
            await NeedEvent.bulk_create(plan.events, batch_size=1000)
            if plan.attachments:
                await Attachment.bulk_create(plan.attachments, batch_size=1000)
            await _append_ledger(plan.published, now)
            await SearchOutbox.bulk_create(
                [SearchOutbox(need_id=i) for i in plan.outbox], batch_size=1000
            )
            await audit.record(
                actor=None,
                actor_label="demo",
                action="need.demo_load",
                object_type="need",
                object_id=f"{plan.needs[0].id}-{plan.needs[-1].id}",
                after={"count": len(plan.needs), "seed": seed},
            )
        await _fix_sequence()
        created += len(plan.needs)
        if progress is not None:
            progress(len(plan.needs))
    extra["demo needs created"] = created
    extra["demo needs total"] = existing + created
    extra["demo villages flagged poor"] = villages_flagged
    extra["demo needs load ms"] = int((time.perf_counter() - started) * 1000)

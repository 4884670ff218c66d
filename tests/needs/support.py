"""Shared helpers for the needs tests: valid input, a need put straight into any state (with
what that state presupposes), the acting users as policy Actors, and small valid files."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image

from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.needs.models import Attachment, Need, NeedEvent
from tests.support.world import World

USER_KEYS = [
    "national_admin",
    "province_office",
    "county_officer",
    "village_worker",
    "participant_member",
    "auditor",
    "other_province_office",
    "other_county_officer",
    "other_village_worker",
    "other_participant_member",
]


def future(days: int = 90) -> date:
    return today_cn() + timedelta(days=days)


def valid_input(region_code: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "region_code": region_code,
        "category": "drinking_water",
        "title": "石门村安全饮水巩固提升工程",
        "description": "石门村地处石漠化山区，全村312户1180人，现有水窖老化渗漏，旱季群众需到3公里外挑水。"
        "拟新建蓄水池1座、铺设管道3.2公里，入户到123户。",
        "target_fen": 38_600_000,
        "beneficiary_households": 123,
        "beneficiary_people": 468,
        "deadline": future().isoformat(),
        "items": [{"name": "PE给水管", "quantity": 3200, "unit": "米", "unit_value_fen": 1800}],
    }
    data.update(overrides)
    return data


async def actors(world: World) -> dict[str, Actor]:
    return {key: await accounts.actor_for(user) for key, user in world.users.items()}


async def make_need(
    world: World,
    state: str = "draft",
    *,
    region_code: str | None = None,
    title: str = "石门村安全饮水巩固提升工程",
    category: str = "drinking_water",
    target_fen: int = 10_000_000,
    deadline: date | None = None,
    **fields: Any,
) -> Need:
    """A need in ``state`` as the lifecycle would have left it: money consistent with the
    state (funded and later: pledges cover the target), evidence for completed needs."""
    region_code = region_code or world.village.code
    region = world.village if region_code == world.village.code else None
    from fupin.regions.models import Region

    region = region or await Region.get(code=region_code)
    county = region.county_code or region.code
    pledged = target_fen if state in ("funded", "in_progress", "completed", "closed") else 0
    received = target_fen if state in ("completed", "closed") else 0
    published = state not in ("draft", "submitted", "returned")
    need = await Need.create(
        region_id=region.code,
        county_code=county,
        province_code=region.province_code,
        category=category,
        title=title,
        description="测试用需求说明，内容足够长以通过校验，描述村情和建设内容。",
        target_fen=target_fen,
        beneficiary_households=10,
        beneficiary_people=40,
        deadline=deadline or future(),
        state=state,
        pledged_fen=fields.pop("pledged_fen", pledged),
        received_fen=fields.pop("received_fen", received),
        published_at=datetime.now(UTC) - timedelta(days=3) if published else None,
        **fields,
    )
    await NeedEvent.create(
        need_id=need.id, action="draft", from_state="", to_state="draft", actor_label="test"
    )
    if state in ("completed", "closed", "in_progress"):
        await Attachment.create(
            need_id=need.id, purpose="evidence", sha256="0" * 64, content_type="image/png", size=1
        )
    return need


def png_bytes(size: tuple[int, int] = (8, 8), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A minimal well-formed one-page PDF."""
    objects = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]" + extra + b" >>\nendobj\n",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for obj in objects:
        offsets.append(len(out))
        out += obj
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return out

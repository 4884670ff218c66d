"""Builders for the disclosure tests: a funded need with money and a photo, actors."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from typing import Any

from PIL import Image

from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.money.service import donations, pledges
from fupin.needs.models import Attachment, Need, NeedEvent
from tests.money.support import WAN, Money, actor, build_money, due
from tests.support.world import World

CHANNEL = "广南县扶贫办 电话 0876-5012345"


def png_bytes(size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((size, size), 40).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def big_png(side: int = 1400) -> bytes:
    """A genuine PNG of random pixels: it does not compress, so it is over 5 MB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Scene:
    money: Money
    need: Need
    officer: Actor
    other_officer: Actor
    province: Actor
    supervisor: Actor


async def scene(world: World, *, funded: bool = True) -> Scene:
    """The money fixture's need in 广南县; when ``funded``, fully pledged and paid (¥1,000,000
    from the enterprise, confirmed) with a photo attached."""
    m = await build_money(world)
    if funded:
        pledge = await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=100 * WAN, due_date=due()
        )
        await donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            pledge_id=pledge.id,
            amount_fen=100 * WAN,
            received_on=today_cn(),
            confirm=True,
        )
        data = png_bytes()
        await Attachment.create(
            need_id=m.need.id,
            purpose="photo",
            sha256=hashlib.sha256(data).hexdigest(),
            content_type="image/png",
            size=len(data),
            original_name="site.png",
        )
    need = await Need.get(id=m.need.id)
    return Scene(
        money=m,
        need=need,
        officer=m.officer,
        other_officer=m.other_officer,
        province=await actor(world, "province_office"),
        supervisor=await actor(world, "supervisor"),
    )


async def last_steps(need: Need, event_at: Any, file_at: Any) -> None:
    """Give the need its last lifecycle event and its last file at these instants (None: none):
    what the stalled-needs alert reads as the need's last step."""
    if event_at is not None:
        event = await NeedEvent.create(need_id=need.id, action="fund", to_state=need.state)
        await NeedEvent.filter(id=event.id).update(at=event_at)
    if file_at is not None:
        file = await Attachment.create(
            need_id=need.id, sha256="0" * 64, content_type="image/png", size=1
        )
        await Attachment.filter(id=file.id).update(created_at=file_at)

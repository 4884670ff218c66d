"""Progress updates and following in the API (docs/architecture.md "One
contract per resource")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema

from fupin.core.schemas import Body, Id, Out, PathParams
from fupin.progress.rules import TEXT_MAX, UPDATE_KINDS

UpdateKind = Literal["started", "progress", "delivered", "accepted"]
assert set(UpdateKind.__args__) == set(UPDATE_KINDS)  # type: ignore[attr-defined]

Instant = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class NeedUpdatePath(PathParams):
    need_id: Id


class NeedUpdateCreate(Body):
    """A progress update; the need page's form posts the same fields (and photos)."""

    kind: UpdateKind = Field(
        description="started 开工, progress 进展, delivered 已交付, accepted 已验收"
    )
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class NeedUpdate(Out):
    """One update as everyone who may see the need reads it: who reported is a role."""

    id: int
    need_id: int
    kind: UpdateKind
    kind_label: str
    text: str
    author: str = Field(description="The reporting office, e.g. 县扶贫办 or 村级信息员")
    created_at: Instant
    photo_urls: list[str]


class NeedUpdateList(Out):
    items: list[NeedUpdate]


class FollowState(Out):
    need_id: int
    following: bool

"""The JSON API's schemas of disclosure and supervision (docs/architecture.md "One contract per
resource"): notices, complaints (public, office and handling-office views), supervision alerts
and docking figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from fupin.core.schemas import Body, Id, Out, Page, PageQuery, PathParams, Query, RegionCode
from fupin.disclosure.models import (
    BODY_MAX,
    CHANNEL_MAX,
    COMPLAINANT_CONTACT_MAX,
    COMPLAINANT_NAME_MAX,
    COMPLAINT_CONTENT_MAX,
    HANDLING_TEXT_MAX,
    REASON_MAX,
    TITLE_MAX,
)

Level = Literal["county", "township", "village", "project"]
Kind = Literal[
    "allocation",
    "loans",
    "project_funds",
    "plans",
    "project_pool",
    "annual_plan",
    "completion",
    "implementation",
    "complaints",
]
Stage = Literal["before", "after"]
#: A need's stage, or "" for a notice not about a need (no union: one error location).
OptionalStage = Literal["", "before", "after"]
Subject = Literal["need", "disclosure", "donation", "county"]
HandlingAction = Literal["accept", "refuse", "investigate", "conclude"]
Outcome = Literal["", "upheld", "partly_upheld", "not_upheld"]
Grouping = Literal["province", "county", "category"]


# ---- notices ---------------------------------------------------------------------------------


class DisclosurePath(PathParams):
    disclosure_id: Id


class DisclosureNeedPath(PathParams):
    need_id: Id


class DisclosureQuery(PageQuery):
    county: RegionCode | None = Field(None, description="The county's code")
    need_id: Id | None = None
    kind: Kind | None = None


class DisclosureCreate(Body):
    """A notice of the actor's county: about a need (``need_id``, its place) or about the
    county, a township or a village (``region_code``). Published at once, never edited."""

    level: Level
    kind: Kind
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    complaint_channel: str = Field(
        min_length=1,
        max_length=CHANNEL_MAX,
        description="The office's channel; the national hotline 12317 is always added",
    )
    need_id: Id | None = None
    region_code: RegionCode | None = None
    stage: OptionalStage = Field("", description="For a need: before / after its implementation")
    corrects_id: Id | None = Field(None, description="The notice (same county) this corrects")
    need_photo_ids: list[Id] = Field(default_factory=list, max_length=40)


class DisclosureUpload(DisclosureCreate):
    """The same notice as multipart/form-data, with its files (``need_photo_ids`` repeated)."""

    files: list[bytes] = Field(
        default_factory=list,
        description="Photos (JPEG/PNG/WebP) or PDFs, each field named files; the type is "
        "decided from the content, active PDF content refused",
    )


class DisclosureTakeDown(Body):
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class DisclosureFile(Out):
    id: int
    content_type: str
    size: int
    original_name: str


class Disclosure(Out):
    id: int
    level: str
    kind: str
    stage: str
    region_code: str = Field(validation_alias="region_id")
    county_code: str
    province_code: str
    need_id: int | None
    title: str
    complaint_channel: str
    publisher_label: str
    published_at: datetime
    min_display_days: int | None
    display_until: date | None
    state: str
    corrects_id: int | None


class DisclosureDetail(Disclosure):
    body: str
    taken_down_at: datetime | None
    taken_down_reason: str
    files: list[DisclosureFile]


DisclosurePage = Page[Disclosure]


class MissingNoticeQuery(Query):
    county: RegionCode | None = None


class MissingNotice(Out):
    need_id: int
    title: str
    state: str
    region_name: str
    received_fen: int
    stage: str


class MissingNoticeList(Out):
    items: list[MissingNotice]
    total: int


class NoticeDraftQuery(Query):
    stage: Stage = "after"


class NoticeDraft(Out):
    need_id: int
    level: str
    kind: str
    stage: str
    title: str
    body: str
    photo_ids: list[int]


# ---- complaints -----------------------------------------------------------------------------


class ComplaintCreate(Body):
    """A complaint about a need, a notice or a donation (``target_id``), or about a county's
    handling (``county_code``). Anonymous unless a name and contact are given with
    ``anonymous: false``. With evidence files, send the same fields as
    multipart/form-data (``ComplaintUpload``)."""

    subject: Subject
    content: str = Field(min_length=1, max_length=COMPLAINT_CONTENT_MAX)
    anonymous: bool = True
    target_id: Id | None = None
    county_code: RegionCode | None = None
    name: str = Field("", max_length=COMPLAINANT_NAME_MAX)
    contact: str = Field("", max_length=COMPLAINANT_CONTACT_MAX)


class ComplaintUpload(ComplaintCreate):
    """The same complaint as multipart/form-data, with its evidence files."""

    files: list[bytes] = Field(
        default_factory=list,
        description="At most 5 photos (JPEG/PNG/WebP) or PDFs of at most 5 MB, each field "
        "named files; the type is decided from the content, active PDF content refused",
    )


class ComplaintFile(Out):
    """An evidence file as anyone but the handling office reads it: its name may name the
    complainant, so it is left out."""

    id: int
    content_type: str
    size: int


class ComplaintFileNamed(ComplaintFile):
    original_name: str


class ComplaintTrackPath(PathParams):
    tracking_code: str = Field(min_length=4, max_length=24, pattern=r"^[0-9A-Za-z-]+$")


class ComplaintPath(PathParams):
    complaint_id: Id


class ComplaintStep(Out):
    action: str
    from_state: str
    to_state: str
    handler_level: str
    at: datetime
    note: str


class ComplaintPublic(Out):
    """What the tracking code shows: the steps and the public outcome, nobody's name."""

    tracking_code: str
    subject: str
    county_code: str
    handler_level: str
    state: str
    received_at: datetime
    due_on: date
    level_due_on: date
    not_accepted_reason: str
    outcome: str
    public_summary: str
    concluded_at: datetime | None
    steps: list[ComplaintStep]
    files: list[ComplaintFile]


class ComplaintOffice(Out):
    """A complaint as the offices and supervisors of its place read it (no complainant)."""

    id: int
    tracking_code: str
    subject: str
    need_id: int | None
    disclosure_id: int | None
    donation_id: int | None
    county_code: str
    province_code: str
    handler_level: str
    content: str
    anonymous: bool
    origin: str
    state: str
    received_at: datetime
    due_on: date
    level_due_on: date
    escalations: int
    not_accepted_reason: str
    outcome: str
    measures: str
    public_summary: str
    concluded_at: datetime | None


class ComplaintOfficeDetail(ComplaintOffice):
    """One complaint as the offices and supervisors of its place read it, with its files."""

    files: list[ComplaintFile]


class ComplaintHandling(ComplaintOffice):
    """The handling office's view: the complainant's name and contact, and the files' names."""

    name: str
    contact: str
    files: list[ComplaintFileNamed]


class ComplaintQuery(PageQuery):
    state: Literal["received", "accepted", "not_accepted", "investigating", "concluded"] | None = (
        None
    )
    mine: bool = Field(False, description="Only the open ones the actor's office handles")


ComplaintPage = Page[ComplaintOffice]


class ComplaintTransition(Body):
    action: HandlingAction
    reason: str = Field("", max_length=REASON_MAX)
    outcome: Outcome = Field("", description="Required to conclude")
    measures: str = Field("", max_length=HANDLING_TEXT_MAX)
    public_summary: str = Field("", max_length=HANDLING_TEXT_MAX)


class ComplaintStatisticsQuery(Query):
    county: RegionCode | None = None
    province: RegionCode | None = None


class ComplaintCountyStatistics(Out):
    county_code: str
    county_name: str
    received: int
    open: int
    concluded: int
    not_accepted: int
    concluded_on_time: int
    overdue: int


class ComplaintStatistics(Out):
    items: list[ComplaintCountyStatistics]


# ---- supervision ------------------------------------------------------------------------------


class AlertAreaQuery(Query):
    region: RegionCode | None = Field(None, description="A province or county inside the area")


class AlertPath(PathParams):
    alert: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[a-z_]+$",
        description="stalled_needs, donations_without_receipt, receipts_without_official_numbers, concentration or overdue_pledges",
    )


class AlertListQuery(AlertAreaQuery):
    threshold: int | None = Field(
        None, ge=0, le=10_000, description="Days, or hundredths of a percent (concentration)"
    )
    year: int | None = Field(None, ge=2000, le=2100, description="Concentration: the year")


class AlertSummary(Out):
    code: str
    label: str
    threshold: int
    unit: str
    explanation: str
    count: int


class AlertSummaries(Out):
    area_level: str
    area_code: str
    items: list[AlertSummary]


class AlertColumn(Out):
    key: str
    label: str
    kind: str


class AlertRows(AlertSummary):
    columns: list[AlertColumn]
    rows: list[dict[str, str | int | None]]


# ---- docking figures ------------------------------------------------------------------------


class DockingQuery(Query):
    start: date | None = Field(None, description="First day of publication (China time)")
    end: date | None = Field(None, description="Last day of publication (inclusive)")
    by: Grouping = "province"
    region: RegionCode | None = Field(None, description="Only a province or county")
    category: str | None = Field(None, max_length=20)


class DockingFigureOut(Out):
    key: str
    name: str
    needs: int
    fully_pledged: int
    pledged_needs: int
    rate_pct_x100: int | None
    median_days_to_first_pledge_x10: int | None
    median_days_to_funded_x10: int | None


class DockingOut(Out):
    start: date
    end: date
    by: str
    total: DockingFigureOut
    groups: list[DockingFigureOut]

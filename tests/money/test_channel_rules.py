"""Qualifying channel and targeted donation (docs/rules.md §1.1, §1.2): decided when a donation is
recorded, printed on its receipt, read by the tax papers."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from fupin.money.rules.channels import (
    CHANNEL_PARAMS,
    CHANNEL_REASONS,
    ChannelParams,
    ChannelParamsError,
    QualificationPeriod,
    RecipientKind,
    TargetBasis,
    is_targeted,
    qualifies_for_deduction,
)


def test_every_recipient_kind_needs_exactly_one_parameter_row() -> None:
    with pytest.raises(ChannelParamsError):
        dataclasses.replace(CHANNEL_PARAMS, recipient_kinds=CHANNEL_PARAMS.recipient_kinds[:2])


def test_default_channel_table_is_consistent() -> None:
    assert ChannelParams(
        **{f.name: getattr(CHANNEL_PARAMS, f.name) for f in dataclasses.fields(ChannelParams)}
    )


def test_channel_reason_messages_have_no_bare_percent_sign() -> None:
    # gettext only %-formats when params are given: a literal "%" would show as "%%" or break.
    for code, message in CHANNEL_REASONS.items():
        assert not re.search(r"%(?!\()", message), code


# --- qualifying channel -----------------------------------------------------------------------

PERIOD = QualificationPeriod.for_years(2021, 2023, reference="民政部2021年第一批")


@pytest.mark.parametrize(
    ("kind", "periods", "day", "ok", "code"),
    [
        (RecipientKind.GOVERNMENT, [], date(2020, 1, 1), True, "recipient_government"),
        ("qualified_org", [PERIOD], date(2021, 1, 1), True, "recipient_qualified_in_period"),
        ("qualified_org", [PERIOD], date(2023, 12, 31), True, "recipient_qualified_in_period"),
        ("qualified_org", [PERIOD], date(2020, 12, 31), False, "recipient_qualification_lapsed"),
        ("qualified_org", [PERIOD], date(2024, 1, 1), False, "recipient_qualification_lapsed"),
        ("qualified_org", [], date(2022, 1, 1), False, "recipient_qualification_lapsed"),
        ("other", [PERIOD], date(2022, 1, 1), False, "recipient_not_qualifying"),
    ],
)
def test_qualifying_channel_depends_on_kind_and_qualification_period(
    kind: str, periods: list[QualificationPeriod], day: date, ok: bool, code: str
) -> None:
    decision = qualifies_for_deduction(
        recipient_kind=kind, qualification_periods=periods, donated_on=day
    )
    assert (decision.ok, decision.reason.code) == (ok, code)
    assert decision.reason.message and decision.reason.citation


# --- targeted ---------------------------------------------------------------------------------

POOR_COUNTIES = frozenset({"652927", "652929", "130125"})  # a slice of the 832 list


@pytest.mark.parametrize(
    ("channel", "county", "poor_village", "receipt", "names", "ok", "code", "basis"),
    [
        (True, "130125", False, "行唐县", ["行唐县"], True, "targeted_county_832", "county_832"),
        (
            True,
            "652901",
            False,
            "阿克苏市",
            [],
            True,
            "targeted_aksu_prefecture",
            "aksu_prefecture",
        ),
        (
            True,
            "110105",
            True,
            "某村",
            ["某村"],
            True,
            "targeted_poor_village",
            "registered_poor_village",
        ),
        (True, "110105", False, "朝阳区", [], False, "targeted_area_not_target", None),
        (False, "130125", False, "行唐县", [], False, "targeted_channel_not_qualifying", None),
        (True, "130125", False, "  ", [], False, "targeted_receipt_area_missing", None),
        (True, "130125", False, None, [], False, "targeted_receipt_area_missing", None),
        (
            True,
            "130125",
            False,
            "灵寿县",
            ["行唐县"],
            False,
            "targeted_receipt_area_mismatch",
            None,
        ),
        (True, None, True, "某村", [], True, "targeted_poor_village", "registered_poor_village"),
    ],
)
def test_targeted_needs_channel_target_area_and_named_receipt(
    channel: bool,
    county: str | None,
    poor_village: bool,
    receipt: str | None,
    names: list[str],
    ok: bool,
    code: str,
    basis: str | None,
) -> None:
    decision = is_targeted(
        channel_qualifies=channel,
        county_code=county,
        village_is_registered_poor=poor_village,
        receipt_area_text=receipt,
        poverty_county_codes=POOR_COUNTIES,
        target_area_names=names,
    )
    assert (decision.ok, decision.reason.code) == (ok, code)
    assert decision.basis == (TargetBasis(basis) if basis else None)
    assert decision.reason.message

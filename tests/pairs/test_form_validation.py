"""The pair forms validate through the API's schemas (core.schemas.validate_form): a value of
the wrong type or a missing field is refused with the form shown again, the field named and
what was typed kept; a field the form does not have is ignored (like the CSRF token); nothing
is written on a refusal."""

from __future__ import annotations

from fupin.accounts.models import Pair, Participant
from fupin.core.models import AuditLog
from fupin.pairs.models import PairFigure
from tests.support.world import CSRF


async def _pair(world) -> Pair:
    return await Pair.create(
        kind="east_west",
        helper_id=world.participants["east_partner"].id,
        helped_region_id="532627",
        start_year=2021,
    )


def _named(text: str, field: str, message: str) -> bool:
    """The refusal lists the field with its message (several problems are listed by field)."""
    return f"<strong>{field}</strong>：{message}" in text


async def test_new_pair_form_names_each_bad_field_and_writes_nothing(world, client_as) -> None:
    client = client_as("national_admin")
    helper = await Participant.get(name="上海市", kind="east_partner")
    before = await Pair.all().count()
    bad = await client.post(
        "/dashboards/pairs/new",
        data={
            "csrf_token": CSRF,
            "kind": "sideways",
            "helper_id": "abc",
            "helped_region_code": "532627",
        },
    )
    assert bad.status_code == 422
    assert _named(bad.text, "kind", "不是可选的取值：sideways")
    assert _named(bad.text, "helper_id", "字段必须是整数。")
    assert _named(bad.text, "start_year", "缺少必填字段。")
    assert 'name="helper_id" value="abc"' in bad.text  # what was typed comes back
    one = await client.post(
        "/dashboards/pairs/new",
        data={
            "csrf_token": CSRF,
            "kind": "east_west",
            "helper_id": str(helper.id),
            "helped_region_code": "532627",
            "start_year": "twenty",
        },
    )
    assert one.status_code == 422 and "字段必须是整数。" in one.text
    assert await Pair.all().count() == before
    # A field the form does not have is left out, as the CSRF token is.
    ok = await client.post(
        "/dashboards/pairs/new",
        data={
            "csrf_token": CSRF,
            "kind": "east_west",
            "helper_id": str(helper.id),
            "helped_region_code": "532627",
            "start_year": "2022",
            "no_such_field": "1",
        },
    )
    assert ok.status_code == 303
    assert await Pair.all().count() == before + 1


async def test_end_and_redraw_forms_name_each_bad_field(world, client_as) -> None:
    client = client_as("national_admin")
    pair = await _pair(world)
    before = (await Pair.all().count(), await AuditLog.all().count())
    wrong = await client.post(
        f"/dashboards/pairs/{pair.id}/end", data={"csrf_token": CSRF, "end_year": "soon"}
    )
    assert wrong.status_code == 422 and "字段必须是整数。" in wrong.text
    several = await client.post(
        f"/dashboards/pairs/{pair.id}/end", data={"csrf_token": CSRF, "reason": "长" * 2001}
    )
    assert several.status_code == 422
    assert _named(several.text, "end_year", "缺少必填字段。")
    assert _named(several.text, "reason", "不能超过 2000 个字符。")
    redraw = await client.post(
        f"/dashboards/pairs/{pair.id}/redraw",
        data={"csrf_token": CSRF, "start_year": "x", "helper_id": "y", "unknown": "1"},
    )
    assert redraw.status_code == 422
    assert _named(redraw.text, "start_year", "字段必须是整数。")
    assert _named(redraw.text, "helper_id", "字段必须是整数。")
    assert "unknown" not in redraw.text
    assert (await Pair.all().count(), await AuditLog.all().count()) == before
    assert (await Pair.get(id=pair.id)).end_year is None


async def test_figures_form_names_each_bad_field_and_ignores_unknown_ones(world, client_as) -> None:
    client = client_as("national_admin")
    pair = await _pair(world)
    url = f"/dashboards/pairs/{pair.id}/figures"
    bad = await client.post(
        url, data={"csrf_token": CSRF, "target.fiscal_aid": "abc", "grade": "excellent"}
    )
    assert bad.status_code == 422
    assert _named(bad.text, "year", "缺少必填字段。")
    assert _named(bad.text, "target.fiscal_aid", "财政援助资金（目标）必须是数字。")
    assert _named(bad.text, "grade", "不是可选的取值：excellent")
    assert 'name="target.fiscal_aid" value="abc" inputmode="decimal"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert await PairFigure.all().count() == 0
    ok = await client.post(
        url,
        data={"csrf_token": CSRF, "year": "2025", "target.fiscal_aid": "1.5", "target.bogus": "9"},
    )
    assert ok.status_code == 303
    assert [(f.indicator, f.target) for f in await PairFigure.filter(target__not_isnull=True)] == [
        ("fiscal_aid", 1_500_000)
    ]


async def test_money_figures_are_read_by_the_one_money_grammar(world, client_as) -> None:
    client = client_as("national_admin")
    pair = await _pair(world)
    url = f"/dashboards/pairs/{pair.id}/figures"
    for typed in ("1e3", "1,2,3", "1.0000001"):
        bad = await client.post(
            url, data={"csrf_token": CSRF, "year": "2025", "target.fiscal_aid": typed}
        )
        assert bad.status_code == 422, typed
        assert 'name="target.fiscal_aid"' in bad.text and 'aria-invalid="true"' in bad.text

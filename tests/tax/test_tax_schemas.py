"""The paper request (tax/schemas.py): profits as yuan text go through the one money grammar and
each problem names ``profit_<year>``, as the paper form's fields; the form posts the same
request, its text parsed leniently."""

from __future__ import annotations

import pytest

from fupin.core.schemas import validate, validate_form
from fupin.errors import InvalidInput
from fupin.tax.schemas import TaxPaperRequest


def test_profits_as_text_or_fen_give_the_same_figures() -> None:
    text = validate(TaxPaperRequest, {"profits": {"2020": "1,000万", "2021": "-200万元"}})
    fen = validate(TaxPaperRequest, {"profit_fen_by_year": {"2020": 1_000_000_000}})
    assert text.fen_by_year() == {2020: 1_000_000_000, 2021: -200_000_000}
    assert fen.fen_by_year() == {2020: 1_000_000_000}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"profits": "required"}),
        ({"profits": {"2020": "1"}, "profit_fen_by_year": {"2020": 1}}, {"profits": "required"}),
        ({"profits": {"2020": "1e3", "2021": "—"}}, {"profit_2020": "not_numeric", "profit_2021": "not_numeric"}),
        ({"profits": {"2020": "0.001"}}, {"profit_2020": "too_many_decimals"}),
        ({"profits": {"2020": "1" * 20}}, {"profit_2020": "too_large"}),
    ],
)  # fmt: skip
def test_each_bad_profit_is_named_by_its_year(body: dict, fields: dict) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(TaxPaperRequest, body).fen_by_year()
    assert {e.field: e.code for e in caught.value.errors} == fields


def test_the_request_refuses_what_is_not_a_year_or_not_text() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(TaxPaperRequest, {"profits": {"twenty": "1"}, "taxable_income": 5})
    assert {e.field: e.code for e in caught.value.errors} == {
        "profits": "not_a_year",
        "taxable_income": "wrong_type",
    }


def test_income_text_or_fen_and_the_form_reads_the_same_request() -> None:
    assert validate(TaxPaperRequest, {"taxable_income": "10万"}).income_fen() == 10_000_000
    both = validate(TaxPaperRequest, {"taxable_income": "1", "taxable_income_fen": 7})
    assert both.income_fen() == 7
    form = {"csrf_token": "t", "format": "html", "taxable_income": "100000", "profit_2020": "1"}
    assert validate_form(TaxPaperRequest, form).income_fen() == 10_000_000
    with pytest.raises(InvalidInput) as caught:
        validate_form(TaxPaperRequest, {"taxable_income": ""}).income_fen()
    assert (caught.value.field, caught.value.code) == ("taxable_income", "required")
    with pytest.raises(InvalidInput) as negative:
        validate(TaxPaperRequest, {"taxable_income": "-1"}).income_fen()
    assert (negative.value.field, negative.value.code) == ("taxable_income", "negative")

"""The OpenAPI document says what the API requires of a new need: one of the two beneficiary
figures (households or people), as the API refuses a need with neither."""

from __future__ import annotations

import jsonschema

from fupin.app import API_MODULES
from fupin.core.openapi import build_document

BASE = {
    "region_code": "532627101201",
    "category": "roads",
    "title": "村道硬化",
    "description": "测试",
    "target_fen": 100000,
    "deadline": "2099-01-01",
}


def _need_create() -> tuple[dict, dict]:
    document = build_document(API_MODULES)
    schemas = document["components"]["schemas"]
    return schemas["NeedCreate"], {"components": {"schemas": schemas}}


def test_need_create_requires_one_of_the_beneficiary_fields() -> None:
    schema, _root = _need_create()
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    assert alternatives, "NeedCreate must say that one of the beneficiary fields is required"
    required = {tuple(alt["required"]) for alt in alternatives}
    assert required == {("beneficiary_households",), ("beneficiary_people",)}
    # the rule alone (the other fields have rules of their own)
    validator = jsonschema.Draft202012Validator({"anyOf": alternatives})
    assert not validator.is_valid(BASE)
    assert not validator.is_valid({**BASE, "beneficiary_people": 0, "beneficiary_households": 0})
    assert validator.is_valid({**BASE, "beneficiary_people": 12})
    assert validator.is_valid({**BASE, "beneficiary_households": 3})

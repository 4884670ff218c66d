"""The vendored Meilisearch contract is the file its README says it is, and the overlay fixes
what it claims to fix."""

from __future__ import annotations

import hashlib
import json

from openapi_core.testing import MockRequest

from tests.contracts.meili_openapi import OVERLAY, SPEC, openapi, spec_dict

SHA256 = "3680d8b7dc56090c334fdc1206ec3c394cf37d968787fa50c3d381f3eb6b1cb5"


def test_vendored_spec_is_the_documented_release_file() -> None:
    assert hashlib.sha256(SPEC.read_bytes()).hexdigest() == SHA256
    raw = json.loads(SPEC.read_text(encoding="utf-8"))
    assert raw["info"]["version"] == "1.53.0" and raw["openapi"].startswith("3.1")
    assert SHA256 in (SPEC.parent / "README-meilisearch.md").read_text(encoding="utf-8")


def test_every_overlay_operation_says_why() -> None:
    for op in json.loads(OVERLAY.read_text(encoding="utf-8")):
        assert op["op"] in ("add", "replace") and op["why"]


def test_overlay_makes_facet_lists_valid_and_unknown_parameters_invalid() -> None:
    schemas = spec_dict()["components"]["schemas"]
    assert schemas["AttributePatterns"] == {"type": "array", "items": {"type": "string"}}
    assert schemas["SearchQuery"]["additionalProperties"] is False

    def search(body: dict) -> bool:
        request = MockRequest(
            "http://localhost:7700",
            "post",
            "/indexes/needs/search",
            data=json.dumps(body).encode(),
            headers={"Authorization": "Bearer k"},
        )
        try:
            openapi().validate_request(request)
        except Exception:
            return False
        return True

    assert search({"q": "饮水", "facets": ["county", "category"], "page": 1, "hitsPerPage": 20})
    assert not search({"q": "饮水", "hitsPerPage": "20"})
    assert not search({"q": "饮水", "facet": ["county"]})

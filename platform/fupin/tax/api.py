"""Tax API (BRIEF §3.8): a donor's tax years, annual statement and working paper.

A donor's member sees only its own participant; auditors any (policy ``tax.view``). The paper is
computed from the profits in the request body and never stored (a POST so that profit figures do
not end up in URLs and logs).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.core.jsonapi import api_actor, error_responses, json_body, json_response
from fupin.core.money import MAX_ABS_FEN, parse_yuan
from fupin.errors import FieldError, InvalidInput
from fupin.i18n import _
from fupin.tax import service as tax_statements


def _pid(request: Request) -> int:
    raw = request.path_params["pid"]
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(_("参与方编号无效。"), field="pid")
    return int(raw)


async def tax_years(request: Request) -> JSONResponse:
    actor = api_actor(request)
    participant, years = await tax_statements.donation_years(
        actor=actor, participant_id=_pid(request)
    )
    return JSONResponse(
        {
            "participant": {
                "id": participant.id,
                "name": participant.name,
                "kind": participant.kind,
            },
            "years": years,
        }
    )


async def statement(request: Request) -> JSONResponse:
    actor = api_actor(request)
    result = await tax_statements.build_statement(
        actor=actor, participant_id=_pid(request), year=request.path_params["year"]
    )
    return JSONResponse(tax_statements.statement_dict(result))


def _profits_from_body(body: dict[str, Any]) -> dict[int, int]:
    """``profits``: {"2019": "1000万", ...} (text, yuan or 万) or ``profit_fen_by_year``:
    {"2019": 1000000000, ...} (integer fen)."""
    errors: list[FieldError] = []
    result: dict[int, int] = {}
    text = body.get("profits")
    fen = body.get("profit_fen_by_year")
    if (text is None) == (fen is None):
        raise InvalidInput(
            _("请提供 profits（文本金额）或 profit_fen_by_year（以分为单位的整数）之一。"),
            field="profits",
            code="required",
        )
    source = text if text is not None else fen
    if not isinstance(source, dict) or not source or len(source) > 60:
        raise InvalidInput(
            _("应为以年度为键的对象。"),
            field="profits" if text is not None else "profit_fen_by_year",
        )
    for key, value in source.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            errors.append(
                FieldError("profits", _("年度应为四位数字：%(k)s", k=str(key)[:8]), "not_a_year")
            )
            continue
        name = f"profit_{key}"
        if text is not None:
            if not isinstance(value, str):
                errors.append(FieldError(name, _('金额应为文本，如 "1000万"。'), "not_text"))
                continue
            try:
                result[int(key)] = parse_yuan(value, field=name, allow_negative=True)
            except InvalidInput as exc:
                errors.extend(exc.errors)
                continue
        else:
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(FieldError(name, _("金额应为以分为单位的整数。"), "not_integer"))
                continue
            if abs(value) > MAX_ABS_FEN:
                errors.append(FieldError(name, _("金额超出合理范围，请检查。"), "too_large"))
                continue
            result[int(key)] = value
    if errors:
        raise InvalidInput(errors=errors, code=errors[0].code)
    return result


def _income_from_body(body: dict[str, Any]) -> int:
    text = body.get("taxable_income")
    fen = body.get("taxable_income_fen")
    if fen is not None:
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise InvalidInput(_("金额应为以分为单位的整数。"), field="taxable_income_fen")
        if fen < 0:
            raise InvalidInput(
                _("应纳税所得额不能为负数。"), field="taxable_income_fen", code="negative"
            )
        if fen > MAX_ABS_FEN:
            raise InvalidInput(
                _("金额超出合理范围，请检查。"), field="taxable_income_fen", code="too_large"
            )
        return fen
    if not isinstance(text, str):
        raise InvalidInput(_("请填写应纳税所得额。"), field="taxable_income", code="required")
    return parse_yuan(text, field="taxable_income")


async def paper(request: Request) -> JSONResponse:
    actor = api_actor(request)
    pid = _pid(request)
    year = request.path_params["year"]
    body = await json_body(request)
    participant, _years = await tax_statements.donation_years(actor=actor, participant_id=pid)
    if tax_statements.is_individual(participant):
        result = await tax_statements.build_individual_helper(
            actor=actor, participant_id=pid, year=year, taxable_income_fen=_income_from_body(body)
        )
        return JSONResponse(tax_statements.individual_dict(result))
    paper_result = await tax_statements.build_working_paper(
        actor=actor, participant_id=pid, year=year, profit_fen_by_year=_profits_from_body(body)
    )
    return JSONResponse(tax_statements.paper_dict(paper_result))


routes = [
    Route("/tax/{pid}/years", tax_years, methods=["GET"], name="api_tax_years"),
    Route("/tax/{pid}/statements/{year}", statement, methods=["GET"], name="api_tax_statement"),
    Route("/tax/{pid}/papers/{year}", paper, methods=["POST"], name="api_tax_paper"),
]

_PID = {"name": "pid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_YEAR = {
    "name": "year",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 2008, "maximum": 2100},
}
_FEN_BY_ORIGIN = {"type": "object", "additionalProperties": {"type": "integer"}}

schemas = {
    "TaxStatement": {
        "type": "object",
        "required": ["participant", "year", "lines", "totals"],
        "properties": {
            "participant": {"type": "object"},
            "year": {"type": "integer"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "donation_id": {"type": "integer"},
                        "received_on": {"type": "string", "format": "date"},
                        "amount_fen": {"type": "integer"},
                        "kind": {"type": "string", "enum": ["cash", "in_kind"]},
                        "receipt_number": {"type": "string"},
                        "official_receipt_code": {"type": "string"},
                        "official_receipt_number": {"type": "string"},
                        "official_check_code": {"type": "string"},
                        "is_tax_voucher": {"type": "boolean"},
                        "recipient": {"type": "object"},
                        "group": {
                            "type": "string",
                            "enum": ["targeted", "general", "non_qualifying"],
                        },
                        "targeted": {"type": "boolean"},
                        "ledger_seq": {"type": ["integer", "null"]},
                        "ledger_hash": {"type": "string"},
                    },
                },
            },
            "unreceipted": {"type": "array", "items": {"type": "object"}},
            "totals": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
    "TaxPaperRequest": {
        "type": "object",
        "description": "Enterprises: profits per year (text yuan or 万, or integer fen); "
        "a negative profit is a loss. Individuals: taxable income (not negative).",
        "properties": {
            "profits": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 40},
                "examples": [{"2019": "1000万", "2020": "500万", "2021": "-200万"}],
            },
            "profit_fen_by_year": {"type": "object", "additionalProperties": {"type": "integer"}},
            "taxable_income": {"type": "string", "maxLength": 40},
            "taxable_income_fen": {"type": "integer", "minimum": 0},
        },
    },
    "TaxPaper": {
        "type": "object",
        "description": "Enterprise working paper (RULES.md §1.4) or, for an individual, the 30% "
        "helper (cap_fen, deductible_fen, excess_fen, lines).",
        "properties": {
            "participant": {"type": "object"},
            "year": {"type": "integer"},
            "required_years": {"type": "array", "items": {"type": "integer"}},
            "years": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "year": {"type": "integer"},
                        "profit_fen": {"type": "integer"},
                        "cap_fen": {"type": "integer"},
                        "brought_forward_used": _FEN_BY_ORIGIN,
                        "current_general_deducted_fen": {"type": "integer"},
                        "targeted_deducted_fen": {"type": "integer"},
                        "carried_forward_fen": {"type": "integer"},
                        "expired": _FEN_BY_ORIGIN,
                        "deducted_fen": {"type": "integer"},
                        "adjustment_fen": {"type": "integer"},
                        "lines": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
            "totals": {"type": "object"},
            "cap_fen": {"type": "integer"},
            "deductible_fen": {"type": "integer"},
            "excess_fen": {"type": "integer"},
        },
    },
}

openapi = {
    "/tax/{pid}/years": {
        "get": {
            "summary": "Tax years with donations (the donor's own, or any for auditors)",
            "parameters": [_PID],
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 404, 422),
            },
        }
    },
    "/tax/{pid}/statements/{year}": {
        "get": {
            "summary": "Annual statement of receipted donations",
            "parameters": [_PID, _YEAR],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/TaxStatement"}),
                **error_responses(401, 403, 404, 422),
            },
        }
    },
    "/tax/{pid}/papers/{year}": {
        "post": {
            "summary": "Deduction working paper (enterprises) or the 30% helper (individuals)",
            "parameters": [_PID, _YEAR],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/TaxPaperRequest"}}
                },
            },
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/TaxPaper"}),
                **error_responses(401, 403, 404, 422),
            },
        }
    },
}

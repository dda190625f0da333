"""The OpenAPI 3 document of /api/v1/, served at /api/v1/openapi.json. A test checks that
every route under /api/v1/ is in it and that every response the API gives validates
against it."""

from __future__ import annotations

from .. import models as m
from ..importer.kinds import KINDS

DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
TEXT = {"type": ["string", "null"]}
REF = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"}

FAMILY_SUMMARY = {
    "type": "object",
    "required": ["family_ref", "family_name", "ward", "postcode", "identified_on",
                 "attached_on", "closed_on"],
    "properties": {"family_ref": REF, "family_name": {"type": "string"}, "ward": TEXT,
                   "postcode": TEXT, "identified_on": NULLABLE_DATE,
                   "attached_on": NULLABLE_DATE, "closed_on": NULLABLE_DATE},
}

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "FamilySummary": FAMILY_SUMMARY,
    "Family": {
        "allOf": [{"$ref": "#/components/schemas/FamilySummary"}, {
            "type": "object", "required": ["address", "local_discretion"],
            "properties": {"address": TEXT, "local_discretion": {"type": "boolean"}}}],
    },
    "FamilyPage": {
        "type": "object", "required": ["items", "page", "per_page", "pages", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/FamilySummary"}},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "pages": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0}},
    },
    "Member": {
        "type": "object",
        "required": ["person_ref", "given_name", "family_name", "date_of_birth",
                     "expected_date_of_birth", "date_of_death", "sex", "gender", "ethnicity",
                     "nhs_number", "upn"],
        "properties": {
            "person_ref": REF, "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "date_of_birth": NULLABLE_DATE, "expected_date_of_birth": NULLABLE_DATE,
            "date_of_death": NULLABLE_DATE,
            "sex": {"enum": ["f", "m", "x", None]},
            "gender": {"enum": ["00", "01", "02", "09", None],
                       "description": "SSD PERS003A"},
            "ethnicity": {"type": ["string", "null"], "pattern": "^[A-Z]{4}$",
                          "description": "SSD PERS004A, the DfE's main categories"},
            "nhs_number": {"type": ["string", "null"], "pattern": "^[0-9]{10}$"},
            "upn": {"type": ["string", "null"], "pattern": "^[A-Z][0-9]{11}[0-9A-Z]$"}},
    },
    "Evaluation": {
        "type": "object",
        "required": ["family_ref", "as_of", "identification", "attached_on", "results",
                     "claimable"],
        "properties": {
            "family_ref": REF, "as_of": DATE,
            "identification": {
                "type": "object",
                "required": ["date", "crime_asb", "education", "work", "local_discretion",
                             "eligible"],
                "properties": {"date": DATE, "crime_asb": {"type": "boolean"},
                               "education": {"type": "boolean"}, "work": {"type": "boolean"},
                               "local_discretion": {"type": "boolean"},
                               "eligible": {"type": "boolean"}}},
            "attached_on": NULLABLE_DATE,
            "results": {"type": "object",
                        "additionalProperties": {"enum": ["met", "not_met", "not_relevant",
                                                          "neutral"]}},
            "claimable": {"type": "array", "items": {
                "type": "object", "required": ["result", "amount"],
                "properties": {"result": {"type": "string"},
                               "amount": {"type": "integer", "minimum": 0}}}}},
    },
    "Episode": {
        "type": "object",
        "required": ["episode_id", "programme", "signed_up_on", "closed_on", "end_reason"],
        "properties": {"episode_id": {"type": "string"}, "programme": {"type": "string"},
                       "signed_up_on": DATE, "closed_on": NULLABLE_DATE,
                       "end_reason": {"type": ["string", "null"]}},
    },
    "Claim": {
        "type": "object",
        "required": ["id", "family_ref", "result", "amount", "state", "as_of", "ruleset"],
        "properties": {"id": {"type": "integer"}, "family_ref": REF,
                       "result": {"type": "string"}, "amount": {"type": "integer"},
                       "state": {"enum": list(m.CLAIM_STATES)},
                       "as_of": DATE, "ruleset": {"type": "string"}},
    },
    "Figures": {
        "type": "object",
        "required": ["as_of", "ruleset", "refreshed_at", "families", "claimable_pounds",
                     "claims"],
        "properties": {
            "as_of": DATE, "ruleset": {"type": "string"},
            "refreshed_at": {"type": ["string", "null"]},
            "families": {"type": "object", "additionalProperties": {"type": "integer"},
                         "required": ["identified", "eligible", "attached", "results_met",
                                      "claimable", "claimed", "validated", "submitted",
                                      "high_contact"]},
            "claimable_pounds": {"type": "integer"},
            "claims": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["claims", "amount"],
                "properties": {"claims": {"type": "integer"}, "amount": {"type": "integer"}}}},
            "stored_totals": {
                "description": "The stored totals the figures are read from: when they were "
                               "counted (UTC) and how many changes saved since they do not "
                               "count yet (the job worker counts them again within a "
                               "minute); null when the figures were counted live",
                "type": ["object", "null"], "required": ["counted_at", "changes_not_counted"],
                "properties": {"counted_at": {"type": ["string", "null"]},
                               "changes_not_counted": {"type": "integer"}}}},
    },
    "EvidenceRows": {
        "type": "object", "required": ["rows"],
        "properties": {"rows": {
            "type": "array", "minItems": 1, "maxItems": 10000,
            "items": {"type": "object", "description": "One row: the CSV kind's column names "
                      "(docs/partner-files.md) and their values; true and false for flags",
                      "additionalProperties": {"type": ["string", "number", "boolean",
                                                        "null"]}}}},
    },
    "ImportSummary": {
        "type": "object", "required": ["kind", "created", "updated", "unchanged"],
        "properties": {"kind": {"type": "string"}, "created": {"type": "integer"},
                       "updated": {"type": "integer"}, "unchanged": {"type": "integer"}},
    },
    "EvidenceErrors": {
        "type": "object", "required": ["error", "message", "errors"],
        "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["line", "field", "message", "text"],
                "properties": {
                    "line": {"type": ["integer", "null"], "minimum": 0,
                             "description": "the row's index in rows (null: the call)"},
                    "field": {"type": "string"}, "message": {"type": "string"},
                    "text": {"type": "string",
                             "description": "rows:INDEX: FIELD: message"}}}}},
    },
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _array(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}}}}}


ERRORS = {
    "401": _json("Error", "No token, or one unknown, expired or revoked"),
    "403": _json("Error", "The token's role may not make this call"),
    "429": _json("Error", "Too many calls this minute; try again after Retry-After seconds"),
}
NOT_FOUND = {"404": _json("Error", "No such family, or not one this token may see: the "
                                   "same answer for both")}
FAMILY_REF = {"name": "family_ref", "in": "path", "required": True, "schema": REF}


def document(evidence_kinds: tuple[str, ...]) -> dict:
    def read(summary, ok, *, params=(), not_found=False, permission):
        return {"get": {
            "summary": summary, "security": [{"bearer": []}],
            "description": f"Needs a token whose role has the permission {permission}.",
            "parameters": list(params),
            "responses": {"200": ok, **ERRORS, **(NOT_FOUND if not_found else {}),
                          **({"400": _json("Error", "A parameter is malformed")}
                             if params and params != [FAMILY_REF] else {})}}}

    return {
        "openapi": "3.1.0",
        "info": {"title": "casework read API", "version": "1",
                 "description": "The council's Troubled Families case management data for "
                                "analysts and partner systems. Every call carries "
                                "`Authorization: Bearer TOKEN` (a token made by an "
                                "administrator); cookies are never read. See docs/api.md."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/api/v1/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document",
                                      "content": {"application/json": {"schema": {
                                          "type": "object"}}}}}}},
            "/api/v1/families": read(
                "The families the token may see, a page at a time, by reference",
                _json("FamilyPage", "One page of families"), permission="view_families",
                params=[{"name": "page", "in": "query", "schema": {"type": "integer",
                                                                   "minimum": 1}},
                        {"name": "per_page", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 200}}]),
            "/api/v1/families/{family_ref}": read(
                "One family", _json("Family", "The family"), params=[FAMILY_REF],
                not_found=True, permission="view_families"),
            "/api/v1/families/{family_ref}/members": read(
                "The family's members", _array("Member", "Its members, by reference"),
                params=[FAMILY_REF], not_found=True, permission="view_families"),
            "/api/v1/families/{family_ref}/evaluation": read(
                "The family evaluated by the rules on a date (as casework evaluate gives it)",
                _json("Evaluation", "The evaluation"), not_found=True,
                permission="view_families",
                params=[FAMILY_REF, {"name": "as_of", "in": "query", "schema": DATE,
                                     "description": "default today"}]),
            "/api/v1/families/{family_ref}/episodes": read(
                "The family's times in a programme: signed up, and closed with a reason",
                _array("Episode", "Its episodes, the first first"), not_found=True,
                permission="view_families",
                params=[FAMILY_REF, {"name": "as_of", "in": "query", "schema": DATE,
                                     "description": "as they stood on this date; default "
                                                    "today"}]),
            "/api/v1/families/{family_ref}/claims": read(
                "The family's payment-by-results claims", _array("Claim", "Its claims"),
                params=[FAMILY_REF], not_found=True, permission="view_claims"),
            "/api/v1/figures": read(
                "The programme's figures, as the dashboard counts them",
                _json("Figures", "The figures"), permission="view_programme"),
            "/api/v1/evidence/{kind}": {"post": {
                "summary": "Import partner evidence rows, all or nothing, checked as the CSV "
                           "files are",
                "description": "Needs a token whose role has the permission import_data.",
                "security": [{"bearer": []}],
                "parameters": [{"name": "kind", "in": "path", "required": True,
                                "schema": {"enum": list(evidence_kinds)}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EvidenceRows"}}}},
                "responses": {
                    "200": _json("ImportSummary", "Every row was imported"),
                    "400": _json("EvidenceErrors", "Nothing was imported: every problem, "
                                                   "by row index and field"),
                    **ERRORS}}},
        },
    }


def api_document() -> dict:
    return document(tuple(k for k in KINDS if k not in ("families", "people")))

"""The JSON Schema of the v2 query body, served at GET /api/docs/query/schema.json.

Generated from the same tables the parser validates against, so the two cannot drift apart.
"""

from __future__ import annotations

import functools
from typing import Any

from footfall.query.model import EVENT_PROPS, FILTER_OPS, METRICS, PROP_KEYS_DIMENSION, TIME_DIMENSIONS, VISIT_PROPS


@functools.cache
def query_schema() -> dict[str, Any]:
    dimension = {
        "oneOf": [
            {"type": "string", "enum": [*TIME_DIMENSIONS, *(f"event:{p}" for p in EVENT_PROPS), PROP_KEYS_DIMENSION]},
            {"type": "string", "enum": [f"visit:{p}" for p in VISIT_PROPS]},
            {"type": "string", "pattern": "^event:props:.+$"},
        ]
    }
    simple_filter = {
        "type": "array",
        "minItems": 3,
        "maxItems": 4,
        "prefixItems": [
            {"type": "string", "enum": list(FILTER_OPS)},
            dimension,
            {"type": "array", "items": {"type": ["string", "integer"]}},
            {"type": "object", "properties": {"case_sensitive": {"type": "boolean"}}, "additionalProperties": False},
        ],
    }
    date = {"type": "string", "format": "date"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "footfall-query-api-schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["site_id", "metrics", "date_range"],
        "$defs": {
            "filter_tree": {
                "oneOf": [
                    simple_filter,
                    {
                        "type": "array",
                        "prefixItems": [
                            {"enum": ["and", "or"]},
                            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/filter_tree"}},
                        ],
                    },
                    {"type": "array", "prefixItems": [{"const": "not"}, {"$ref": "#/$defs/filter_tree"}]},
                ]
            }
        },
        "properties": {
            "site_id": {"type": "string"},
            "metrics": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(METRICS)}},
            "date_range": {
                "oneOf": [
                    {"type": "string", "pattern": "^(day|month|year|all|\\d+d|\\d+mo)$"},
                    {"type": "array", "minItems": 2, "maxItems": 2, "items": date},
                    {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "format": "date-time"}},
                ]
            },
            "dimensions": {"type": "array", "uniqueItems": True, "items": dimension},
            "filters": {"type": "array", "items": {"$ref": "#/$defs/filter_tree"}},
            "order_by": {
                "type": "array",
                "items": {"type": "array", "prefixItems": [{"type": "string"}, {"enum": ["asc", "desc"]}]},
            },
            "include": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "imports": {"type": "boolean"},
                    "time_labels": {"type": "boolean"},
                    "total_rows": {"type": "boolean"},
                    "trim_relative_date_range": {"type": "boolean"},
                    "comparisons": {
                        "type": "object",
                        "properties": {
                            "mode": {"enum": ["previous_period", "year_over_year", "custom"]},
                            "date_range": {"type": "array", "items": date},
                        },
                    },
                },
            },
            "pagination": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "limit": {"type": "integer", "minimum": 1, "maximum": 10000},
                    "offset": {"type": "integer", "minimum": 0},
                },
            },
        },
    }

"""WHERE clauses from filter trees: and/or/not, the operators, goals, names, and empty labels.

On the sessions table an event filter becomes "a visit with a matching event" (a subquery on
events); on the events table an entry/exit page filter becomes "an event of a matching visit".
"""

from __future__ import annotations

from footfall.query.columns import (
    EMPTY_LABELS,
    EVENTS,
    PROPS_EMPTY,
    SESSION_COLUMNS_BY_DIM,
    SESSIONS,
    Sql,
    column,
)
from footfall.query.dialect import Dialect
from footfall.query.model import NEGATED_OPS, SESSION_ONLY_DIMENSIONS, Condition, Filter, Logical, Query
from footfall.query.names import matching_codes, wildcard_to_regex


def where_filter(sql: Sql, query: Query, dialect: Dialect, side: str, f: Filter) -> None:
    if isinstance(f, Logical):
        if f.op == "not":
            sql.add("NOT (")
            where_filter(sql, query, dialect, side, f.children[0])
            sql.add(")")
            return
        sql.add("(")
        for i, child in enumerate(f.children):
            if i:
                sql.add(f" {f.op.upper()} ")
            where_filter(sql, query, dialect, side, child)
        sql.add(")")
        return
    dim = f.dimension
    if side == SESSIONS and dim.startswith("event:") and dim not in SESSION_COLUMNS_BY_DIM:
        # A visit matches an event filter when one of its events does.
        sql.add("session_id IN (SELECT session_id FROM events WHERE site_id = ? AND ", query.site_id)
        where_filter(sql, query, dialect, EVENTS, f)
        sql.add(")")
        return
    if side != SESSIONS and dim in SESSION_ONLY_DIMENSIONS:
        sql.add("session_id IN (SELECT session_id FROM sessions WHERE site_id = ? AND ", query.site_id)
        where_filter(sql, query, dialect, SESSIONS, f)
        sql.add(")")
        return
    _condition(sql, dialect, side, f)


def _condition(sql: Sql, dialect: Dialect, side: str, c: Condition) -> None:
    negate = c.op in NEGATED_OPS
    if c.dimension == "event:goal":
        _goal_condition(sql, dialect, c)
        return
    if c.dimension in ("visit:country_name", "visit:region_name"):
        kind = "country" if c.dimension == "visit:country_name" else "region"
        codes = matching_codes(kind, c.op, c.clauses, c.case_sensitive)
        if not codes:
            sql.add("1 = 1" if negate else "1 = 0")
            return
        sql.add(f"{kind} {'NOT IN' if negate else 'IN'} ({', '.join('?' * len(codes))})", *codes)
        return
    expr, params = column(dialect, side, c.dimension)
    label = PROPS_EMPTY if c.dimension.startswith("event:props:") else EMPTY_LABELS.get(c.dimension)
    # A clause naming the empty label matches empty values (and the label itself, where the
    # enrichment already stores it, as channels do with "Direct").
    if label is not None and c.op in ("is", "is_not"):
        clauses = tuple(dict.fromkeys(x for v in c.clauses for x in ((v, "") if v == label else (v,))))
    else:
        clauses = c.clauses
    case_sensitive = c.case_sensitive and c.dimension != "visit:device"
    _match(sql, dialect, expr, params, c.op, clauses, case_sensitive)


def _match(
    sql: Sql,
    dialect: Dialect,
    expr: str,
    expr_params: tuple[object, ...],
    op: str,
    clauses: tuple[str, ...],
    case_sensitive: bool,
) -> None:
    base = op.removesuffix("_not")
    negate = op != base
    if not clauses:
        sql.add("1 = 1" if negate else "1 = 0")
        return
    sql.add("NOT (" if negate else "(")
    if not case_sensitive and base in ("is", "contains"):
        expr = f"lower({expr})"
        clauses = tuple(v.lower() for v in clauses)
    if base == "is":
        sql.add(f"{expr} IN ({', '.join('?' * len(clauses))})", *expr_params, *clauses)
    else:
        for i, value in enumerate(clauses):
            if i:
                sql.add(" OR ")
            if base == "contains":
                sql.add(dialect.contains(expr), *expr_params, value)
            else:
                pattern = wildcard_to_regex(value) if base == "matches_wildcard" else value
                if not case_sensitive:
                    pattern = "(?i)" + pattern
                sql.add(dialect.regex(expr), *expr_params, pattern)
    sql.add(")")


def _goal_condition(sql: Sql, dialect: Dialect, c: Condition) -> None:
    # Footfall has no goal configuration: a goal is a custom event name, or "Visit <path>" for
    # pageviews of a path (Plausible's display name of a pageview goal; `*` wildcards allowed).
    sql.add("NOT (" if c.op in NEGATED_OPS else "(")
    for i, clause in enumerate(c.clauses):
        if i:
            sql.add(" OR ")
        if c.op.startswith("contains"):
            sql.add(f"(name <> 'pageview' AND {dialect.contains('name')})", clause)
        elif clause.startswith("Visit "):
            path = clause[len("Visit ") :]
            if "*" in path:
                sql.add(f"(name = 'pageview' AND {dialect.regex('pathname')})", wildcard_to_regex(path))
            else:
                sql.add("(name = 'pageview' AND pathname = ?)", path)
        else:
            sql.add("name = ?", clause)
    sql.add(")")

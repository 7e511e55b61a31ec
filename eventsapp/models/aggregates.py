"""JSON functions both databases have under different names: rows folded into text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_rows(FunctionElement[str]):  # noqa: N801 (named like the SQL functions it stands for)
    """JSON text of an array with one array per row: `json_rows(t.a, t.b)` over rows
    (1, 'x'), (2, NULL) gives '[[1,"x"],[2,null]]'; NULL when there are no rows. Lets one
    query return a webinar with its hosts and panel folded in, with no row repeated."""

    type = String()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows, "sqlite")
def _sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    # As text: the caller compares it, so psycopg need not parse it.
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


class json_row(FunctionElement[str]):  # noqa: N801
    """JSON text of one row's values: `json_row(t.a, t.b)` gives '[1,"x"]'. Many columns
    as one: a driver does per-column work (descriptions, type conversion) on every row."""

    type = String()
    name = "json_row"
    inherit_cache = True


@compiles(json_row, "sqlite")
def _sqlite_row(element: json_row, compiler: Any, **kw: Any) -> str:
    return f"json_array({compiler.process(element.clauses, **kw)})"


@compiles(json_row, "postgresql")
def _postgresql_row(element: json_row, compiler: Any, **kw: Any) -> str:
    return f"CAST(json_build_array({compiler.process(element.clauses, **kw)}) AS TEXT)"

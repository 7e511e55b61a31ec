"""JSON functions both databases have under different names: rows folded into text."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _JsonText(FunctionElement[str]):
    """JSON text built by the database; `sql` holds each dialect's spelling."""

    type = String()
    inherit_cache = True
    sql: ClassVar[dict[str, str]]


class json_rows(_JsonText):  # noqa: N801 (named like the SQL functions it stands for)
    """JSON text of an array with one array per row: `json_rows(t.a, t.b)` over rows
    (1, 'x'), (2, NULL) gives '[[1,"x"],[2,null]]'; NULL when there are no rows. Lets one
    query return a webinar with its hosts and panel folded in, with no row repeated."""

    name = "json_rows"
    inherit_cache = True
    # As text on PostgreSQL: the caller compares it, so psycopg need not parse it.
    sql: ClassVar[dict[str, str]] = {
        "sqlite": "json_group_array(json_array({}))",
        "postgresql": "CAST(json_agg(json_build_array({})) AS TEXT)",
    }


class json_row(_JsonText):  # noqa: N801
    """JSON text of one row's values: `json_row(t.a, t.b)` gives '[1,"x"]'. Many columns
    as one: a driver does per-column work (descriptions, type conversion) on every row."""

    name = "json_row"
    inherit_cache = True
    sql: ClassVar[dict[str, str]] = {
        "sqlite": "json_array({})",
        "postgresql": "CAST(json_build_array({}) AS TEXT)",
    }


@compiles(json_rows)
@compiles(json_row)
def _json_text(element: _JsonText, compiler: Any, **kw: Any) -> str:
    return element.sql[compiler.dialect.name].format(compiler.process(element.clauses, **kw))

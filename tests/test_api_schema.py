"""The OpenAPI description kept true, property-based (schemathesis): every documented
operation, public and private, with generated parameters, against the app on SQLite and
PostgreSQL holding two organisations' webinars and registrations. With a read-write key
that includes health details, and with no key: never a 5xx, every status documented, and
every response's content type, headers and body as its schema says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eventsapp import transactions
from eventsapp.api.openapi import DOCUMENT
from eventsapp.models import ApiAccess
from tests.test_api_keys import bearer, make_key, two_organisations

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = sum(len(item) for item in DOCUMENT["paths"].values())
EXAMPLES = 20  # per operation and database, each sent with the key and without


@pytest.fixture
def api_app(any_app: Flask) -> Iterator[tuple[Flask, str, dict[str, list[Any]]]]:
    """The app with demo-like data, a read-write key with health details, and real values
    for path parameters. No app context stays pushed: each request must run in its own,
    as in production."""
    with any_app.app_context(), transactions.begin_mode(transactions.Mode.READ):
        ids = two_organisations()
        key = make_key("clinic", access=ApiAccess.READ_WRITE, health=True)
        make_key("charity")
    real = {
        # The clinic's own (Ann … Fay but Dee) and the charity's (Dee): found and not.
        "registration_id": [ids[p] for p in ("ann", "bob", "cat", "dee", "eve", "fay")],
        "slug": ["clinic-only", "charity-only", "shared"],
    }
    yield any_app, key, real


def _with_real_values(strategy: Any, real: dict[str, list[Any]]) -> Any:
    """Half the cases use real ids and slugs in the path (so found things are exercised
    with generated query values), half keep what schemathesis made up."""

    def swap(drawn: tuple[Any, bool, int]) -> Any:
        case, use_real, index = drawn
        if use_real and case.path_parameters:
            for name, values in real.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = values[index % len(values)]
        return case

    return st.tuples(strategy, st.booleans(), st.integers(0, 5)).map(swap)


# schemathesis's own pytest integration (from_fixture) needs a pytest older than ours, so
# each documented operation is a parametrized test running schemathesis's strategy.
OPERATION_KEYS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]


@pytest.mark.parametrize(("path", "method"), OPERATION_KEYS)
def test_every_operation_keeps_its_contract(
    api_app: tuple[Flask, str, dict[str, list[Any]]], path: str, method: str
) -> None:
    app, key, real = api_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    private = "security" in DOCUMENT["paths"][path][method]

    @given(case=_with_real_values(operation.as_strategy(), real))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def exercise(case: Any) -> None:
        with_key = case.call(headers=bearer(key))
        case.validate_response(with_key, checks=CHECKS)
        # The same request with no key at all (schemathesis may have made up a header).
        case.headers = {
            k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
        }
        without = case.call()
        case.validate_response(without, checks=CHECKS)
        if private:  # refused, unless the address matches no route at all (odd input)
            assert without.status_code == 401 or with_key.status_code == 404, without.text

    exercise()


def test_every_operation_is_exercised() -> None:
    """The test above runs once per documented operation (a new one is picked up with no
    list to update); this pins that there are some of each kind."""
    private = [
        op for item in DOCUMENT["paths"].values() for op in item.values() if "security" in op
    ]
    assert OPERATIONS >= 11 and len(private) >= 8

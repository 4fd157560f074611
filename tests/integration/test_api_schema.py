"""schemathesis against our OpenAPI document, over real HTTP on SQLite and
PostgreSQL: whatever it sends, no 5xx, and every answer matches the schema.

The operations are driven with hypothesis directly (``as_strategy``): the
schemathesis pytest plugin does not run under this pytest version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from shelfpilot.storage import Database
from tests.integration.api_setup import login

EXAMPLES = 40


def test_api_conforms_to_its_schema(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    headers = login(client, "admin")
    schema = schemathesis.openapi.from_url(f"{str(client.base_url).rstrip('/')}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        # what an uploaded file must hold (a header row, known columns) is not
        # in the schema: a refused file is a 422 the schema cannot foresee
        upload = "/imports/" in operation.path
        conforms(operation, headers, [positive_data_acceptance] if upload else [])()


def conforms(operation: Any, headers: dict[str, str], excluded: list[Any]) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    return check

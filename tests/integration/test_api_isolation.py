"""The isolation matrix, generated from the route table: every endpoint, every
role, the other brand's (or another store's) location. A new endpoint with no
example here fails, so none ships untested."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from shelfpilot.api.app import PREFIX, create_app
from shelfpilot.domain.access import PERMISSIONS, Permission, Role
from shelfpilot.storage import Database
from tests.conftest import T0
from tests.integration.api_setup import USERS, ledger_size, line_id, login, sale

#: routes anyone may call (logging in) and routes about the caller only
PUBLIC = {("POST", "/auth/token"), ("POST", "/auth/refresh")}
SELF = {("GET", "/me")}


@dataclass(frozen=True)
class Example:
    json: dict[str, object] | None = None
    params: dict[str, str] = field(default_factory=dict)
    #: a list whose items carry a location code under this key
    lists: str | None = None
    writes: bool = False
    #: the path names a plan line (of the target store)
    line: bool = False


EXAMPLES: dict[tuple[str, str], Example] = {
    ("GET", "/locations"): Example(params={"limit": "500"}, lists="code"),
    ("GET", "/audit"): Example(params={"limit": "500"}, lists="location"),
    ("POST", "/locations/{location}/sales"): Example(json=sale("1"), writes=True),
    ("GET", "/locations/{location}/lots"): Example(params={"at": T0.isoformat()}),
    ("POST", "/locations/{location}/receipts"): Example(
        json={"sku": "CAKE", "lot_code": "ISO", "quantity": "5"}, writes=True
    ),
    ("GET", "/locations/{location}/plans"): Example(),
    ("POST", "/locations/{location}/plan-lines/{line_id}/decision"): Example(
        json={"decision": "approve", "version": 1}, writes=True, line=True
    ),
}


def api_routes() -> dict[tuple[str, str], APIRoute]:
    app = create_app(Database("sqlite://"))
    out = {}
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if isinstance(route, APIRoute) and path and path.startswith(PREFIX):
            for method in context.methods or ():
                out[(method, path.removeprefix(PREFIX))] = route
    return out


def permission_of(route: APIRoute) -> Permission | None:
    for dep in route.dependant.dependencies:
        found = getattr(dep.call, "permission", None)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def test_every_endpoint_has_an_example_and_declares_its_permission() -> None:
    routes = api_routes()
    assert set(routes) == set(EXAMPLES) | PUBLIC | SELF, "add the new endpoint to EXAMPLES"
    for key, route in routes.items():
        if key not in PUBLIC | SELF:
            assert permission_of(route) is not None, f"{key} does not declare a permission"


def foreign(role_place: str) -> str:
    """A store the user must not reach: the rival brand's, or for the rival
    one of ours."""
    return "SZ-01" if role_place == "RIVAL" else "RV-01"


@pytest.mark.parametrize("user", sorted(USERS))
def test_no_role_reaches_another_brand_or_store(
    api: tuple[httpx.Client, Database], user: str
) -> None:
    client, db = api
    role, place = USERS[user]
    headers = login(client, user)
    visible = set(client.get("/me", headers=headers).json()["locations"])
    routes = api_routes()
    for n, ((method, path), example) in enumerate(sorted(EXAMPLES.items())):
        route = routes[(method, path)]
        target = foreign(place)
        if "{location}" not in path:
            r = client.request(method, path, params=example.params, headers=headers)
            if not route_allows(route, role):
                assert r.status_code == 403, (user, path)
                continue
            assert r.status_code == 200, (user, path, r.text)
            if example.lists:
                shown = {item[example.lists] for item in r.json()["items"]}
                assert shown <= visible, (user, path, shown - visible)
            continue
        before = ledger_size(db, target)
        if example.line:
            path = path.replace("{line_id}", str(line_id(db, target)))
        r = client.request(
            method,
            path.replace("{location}", target),
            json=example.json,
            params=example.params,
            headers={**headers, "Idempotency-Key": f"iso-{user}-{n:04d}"},
        )
        assert r.status_code in (403, 404), (user, method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] in ("forbidden", "not_found")
        if example.writes:
            assert ledger_size(db, target) == before


def route_allows(route: APIRoute, role: str) -> bool:
    permission = permission_of(route)
    return permission is None or permission in PERMISSIONS[Role(role)]

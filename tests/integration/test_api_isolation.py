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
    #: other path parameters
    path: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    #: shared by every brand: in a deployment of two brands nobody may change it
    shared: bool = False
    #: a file to upload; "{target}" becomes the foreign store
    upload: str | None = None
    #: a permission the request needs beyond the route's own
    needs: Permission | None = None


LOT = {"sku": "CAKE", "lot_code": "L1"}
DONE = {"at": T0.isoformat()}
PRODUCT = {"category": "cake", "list_price": "12.00", "unit_cost": "4", "shelf_life_days": "3"}

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
    ("POST", "/locations/{location}/sales/batch"): Example(
        json={"sales": [sale("1")]}, writes=True
    ),
    ("POST", "/locations/{location}/removals"): Example(json=LOT | DONE | {"kind": "disposal", "quantity": "1"}, writes=True),
    ("POST", "/locations/{location}/transfers"): Example(json=LOT | DONE | {"to_location": "SZ-02", "quantity": "1"}, writes=True),
    ("POST", "/locations/{location}/counts"): Example(json=LOT | DONE | {"counted": "0"}, writes=True),
    ("POST", "/locations/{location}/returns"): Example(json=LOT | DONE | {"quantity": "1"}, writes=True),
    ("POST", "/locations/{location}/prices"): Example(json=LOT | DONE | {"unit_price": "9.00"}, writes=True),
    ("GET", "/locations/{location}/ledger"): Example(),
    ("GET", "/locations/{location}/donations"): Example(
        params={"since": "2026-11-01", "until": "2026-11-30"}
    ),
    ("GET", "/locations/{location}/risk"): Example(params={"at": T0.isoformat()}),
    ("GET", "/locations/{location}/forecast"): Example(params={"at": T0.isoformat()}),
    ("GET", "/locations/{location}/production-advice"): Example(params={"at": T0.isoformat()}),
    ("GET", "/locations/{location}/exports/{table}"): Example(path={"table": "ledger"}),
    ("POST", "/locations/{location}/daily-runs"): Example(params={"at": T0.isoformat()}, writes=True),
    ("GET", "/locations/{location}/daily-runs/{job_id}"): Example(path={"job_id": "0" * 32}),
    ("GET", "/products"): Example(),
    ("GET", "/products/{sku}"): Example(path={"sku": "CAKE"}),
    ("PUT", "/products/{sku}"): Example(path={"sku": "CAKE"}, json=PRODUCT, shared=True),
    ("GET", "/ladders"): Example(),
    ("PUT", "/ladders/{scope}/{key}"): Example(
        path={"scope": "category", "key": "cake"}, json={"spec": "markdown=1d:markdown"},
        headers={"If-Match": '"any"'}, shared=True,
    ),
    ("GET", "/channels"): Example(shared=True),
    ("GET", "/elasticities"): Example(shared=True),
    ("POST", "/imports/{kind}"): Example(
        path={"kind": "sales"}, needs=Permission.SELL, upload="location,sku,quantity,sold_at\n{target},CAKE,1,2026-11-20 09:00\n"
    ),
}  # fmt: skip


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
    before_all = {store: ledger_size(db, store) for store in ("SZ-01", "RV-01")}
    for n, ((method, path), example) in enumerate(sorted(EXAMPLES.items())):
        route = routes[(method, path)]
        target = foreign(place)
        for name, value in example.path.items():
            path = path.replace(f"{{{name}}}", value)
        files = None
        if example.upload is not None:
            content = example.upload.replace("{target}", target).encode()
            files = {"file": ("sales.csv", content, "text/csv")}
        if "{location}" not in path:
            r = client.request(
                method, path, params=example.params, json=example.json, files=files,
                headers={**headers, **example.headers},
            )  # fmt: skip
            refused = example.needs is not None and example.needs not in PERMISSIONS[Role(role)]
            if not route_allows(route, role) or example.shared or refused:
                assert r.status_code == 403, (user, path, r.text)
                continue
            if files is not None:  # rows naming another brand's store are refused, row by row
                assert r.status_code == 422, (user, path, r.text)
                assert "outside your part of the chain" in r.json()["rows"][0]["message"]
                assert ledger_size(db, target) == before_all[target]
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
            headers={**headers, **example.headers, "Idempotency-Key": f"iso-{user}-{n:04d}"},
        )
        assert r.status_code in (403, 404), (user, method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] in ("forbidden", "not_found")
        if example.writes:
            assert ledger_size(db, target) == before


def route_allows(route: APIRoute, role: str) -> bool:
    permission = permission_of(route)
    return permission is None or permission in PERMISSIONS[Role(role)]

"""The API over a real HTTP server, on SQLite and PostgreSQL: logging in,
tokens, roles and scopes, API keys, idempotent sales and bad input."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from shelfpilot.api.security import TokenIssuer
from shelfpilot.domain.errors import Unauthenticated
from shelfpilot.services import identity
from shelfpilot.services import plans as plan_service
from shelfpilot.storage import Database
from tests.conftest import T0
from tests.integration.api_setup import PASSWORD, line_id, login, on_hand, sale


def test_login_refresh_and_me(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    for user, password in (("admin", "wrong password"), ("nobody", PASSWORD)):
        r = client.post("/auth/token", data={"username": user, "password": password})
        assert r.status_code == 401
        assert r.json()["error"] == {
            "code": "unauthenticated",
            "message": "wrong user name or password",
            "field": None,
        }
    tokens = client.post("/auth/token", data={"username": "dist", "password": PASSWORD}).json()
    me = client.get("/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert me["role"] == "distributor"
    assert me["locations"] == ["NORTH", "SZ-03"]
    # a refresh token is not an access token, and the other way round
    r = client.get("/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert r.status_code == 401
    r = client.post("/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert r.status_code == 401
    fresh = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200
    r = client.get("/me", headers={"Authorization": f"Bearer {fresh.json()['access_token']}"})
    assert r.json()["username"] == "dist"
    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_each_role_sees_its_own_locations_only(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    expected = {
        "admin": ["NORTH", "SUYUAN", "SZ-01", "SZ-02", "SZ-03", "WH"],
        "planner": ["NORTH", "SUYUAN", "SZ-01", "SZ-02", "SZ-03", "WH"],
        "dist": ["NORTH", "SZ-03"],
        "manager": ["SZ-01"],
        "staff": ["SZ-02"],
        "rival": ["RIVAL", "RV-01"],
    }
    for user, codes in expected.items():
        page = client.get("/locations", headers=login(client, user), params={"limit": 500}).json()
        assert [loc["code"] for loc in page["items"]] == codes, user
        assert page["total"] == len(codes)
    page = client.get(
        "/locations",
        headers=login(client, "admin"),
        params={"kind": "store", "sort": "-code", "offset": 1, "limit": 2},
    ).json()
    assert [loc["code"] for loc in page["items"]] == ["SZ-02", "SZ-01"]
    assert page["total"] == 3


def test_sales_are_refused_outside_role_or_scope(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    cases = [
        ("manager", "SZ-01", 201),
        ("manager", "SZ-02", 403),
        ("staff", "SZ-02", 201),
        ("admin", "SZ-03", 201),
        ("admin", "RV-01", 403),
        ("rival", "SZ-01", 403),
        ("planner", "SZ-01", 403),  # a planner does not sell
        ("dist", "SZ-03", 403),
    ]
    for n, (user, store, status) in enumerate(cases):
        before = on_hand(db, store)
        r = client.post(
            f"/locations/{store}/sales",
            json=sale("1"),
            headers={**login(client, user), "Idempotency-Key": f"sale-{n:04d}"},
        )
        assert r.status_code == status, (user, store, r.text)
        assert on_hand(db, store) == before - (1 if status == 201 else 0)
        if status == 403:
            assert r.json()["error"]["code"] == "forbidden"


def test_retried_sale_is_recorded_once(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = {**login(client, "manager"), "Idempotency-Key": "till-1-receipt-0001"}
    first = client.post("/locations/SZ-01/sales", json=sale("3"), headers=headers)
    again = client.post("/locations/SZ-01/sales", json=sale("3"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["operation_id"] == first.json()["operation_id"]
    assert on_hand(db, "SZ-01") == 7
    other = client.post("/locations/SZ-01/sales", json=sale("4"), headers=headers)
    assert other.status_code == 409
    assert "already used" in other.json()["error"]["message"]
    assert on_hand(db, "SZ-01") == 7


def test_store_api_key_acts_as_that_stores_till(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    key = identity.create_api_key(db, "SZ-01", "till 1", actor="test")
    with pytest.raises(Exception, match="works at a store"):
        identity.create_api_key(db, "SUYUAN", "brand key", actor="test")
    headers = {"X-API-Key": key}
    ok = client.post(
        "/locations/SZ-01/sales", json=sale(), headers={**headers, "Idempotency-Key": "key-00001"}
    )
    assert ok.status_code == 201
    no = client.post(
        "/locations/SZ-02/sales", json=sale(), headers={**headers, "Idempotency-Key": "key-00002"}
    )
    assert no.status_code == 403
    assert client.get("/locations", headers=headers).json()["total"] == 1
    bad = client.get("/locations", headers={"X-API-Key": key[:-2] + "xx"})
    assert bad.status_code == 401
    identity.revoke_api_key(db, key.split("_")[1], actor="test")
    assert client.get("/locations", headers=headers).status_code == 401


def test_deactivated_user_is_locked_out_at_once(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = login(client, "staff")
    assert client.get("/me", headers=headers).status_code == 200
    identity.change_user(db, "staff", expected_version=1, active=False, actor="admin")
    assert client.get("/me", headers=headers).status_code == 401
    r = client.post("/auth/token", data={"username": "staff", "password": PASSWORD})
    assert r.status_code == 401
    with pytest.raises(Exception, match="changed by someone else"):
        identity.change_user(db, "staff", expected_version=1, active=True, actor="admin")


def test_a_dashboard_logout_ends_earlier_dashboard_logins_only(
    api: tuple[httpx.Client, Database],
) -> None:
    client, db = api
    api_login = login(client, "manager")
    tokens = TokenIssuer("k" * 32, timedelta(minutes=15), timedelta(days=7))
    before = tokens.read(tokens.issue("manager", "web"), "web")
    principal, language = identity.web_viewer(db, *before)
    assert principal.name == "manager" and language is None
    identity.set_language(db, "manager", "zh-CN")
    identity.sign_out(db, "manager")
    with pytest.raises(Unauthenticated):
        identity.web_viewer(db, *before)
    after = tokens.read(tokens.issue("manager", "web"), "web")  # a login right after
    assert identity.web_viewer(db, *after)[1] == "zh-CN"
    assert client.get("/me", headers=api_login).status_code == 200  # API logins go on
    identity.change_user(db, "manager", expected_version=1, active=False, actor="admin")
    with pytest.raises(Unauthenticated):
        identity.web_viewer(db, *after)


@pytest.mark.parametrize(
    ("payload", "headers", "field"),
    [
        (sale(colour="red"), {}, "colour"),
        ({"lines": [{"sku": "CAKE", "quantity": "two"}]}, {}, "lines.0.quantity"),
        ({"lines": []}, {}, "lines"),
        (sale("-1"), {}, "lines.0.quantity"),
        (sale(), {"Idempotency-Key": None}, "Idempotency-Key"),
    ],
)
def test_bad_sale_requests_are_4xx_and_write_nothing(
    api: tuple[httpx.Client, Database],
    payload: dict[str, object],
    headers: dict[str, str | None],
    field: str,
) -> None:
    client, db = api
    sent = {**login(client, "manager"), "Idempotency-Key": "bad-00001", **headers}
    sent = {k: v for k, v in sent.items() if v is not None}
    r = client.post("/locations/SZ-01/sales", json=payload, headers=sent)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert on_hand(db, "SZ-01") == 10


def test_business_errors_keep_their_message(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = login(client, "manager")
    cases = [
        (sale("11", lot="L1"), 409, "not_sellable"),
        (sale("19"), 409, "not_sellable"),
        ({"lines": [{"sku": "NOPE", "quantity": "1"}]}, 404, "not_found"),
        (
            {"lines": [{"sku": "CAKE", "quantity": "1"}], "at": "2026-11-20T08:00:00"},
            422,
            "invalid",
        ),
    ]
    for n, (payload, status, code) in enumerate(cases):
        r = client.post(
            "/locations/SZ-01/sales",
            json=payload,
            headers={**headers, "Idempotency-Key": f"err-{n:05d}"},
        )
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    r = client.post(
        "/locations/SZ-01/sales",
        content=b'{"lines": [',
        headers={**headers, "Idempotency-Key": "err-99999", "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert on_hand(db, "SZ-01") == 10


def test_hostile_input_is_refused_and_writes_nothing(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = login(client, "manager")
    huge = {"lines": [{"sku": "CAKE", "quantity": "1"}], "reference": "x" * (2 * 1024 * 1024)}
    r = client.post(
        "/locations/SZ-01/sales", json=huge, headers={**headers, "Idempotency-Key": "huge-0001"}
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    for n, sku in enumerate(
        ["'; DROP TABLE lots; --", "<script>alert(1)</script>", "CAKE' OR '1'='1", "CA\x00KE"]
    ):
        r = client.post(
            "/locations/SZ-01/sales",
            json={"lines": [{"sku": sku, "quantity": "1"}]},
            headers={**headers, "Idempotency-Key": f"inject-{n:04d}"},
        )
        assert r.status_code in (404, 422), r.text
        assert r.headers["content-type"].startswith("application/json")
    r = client.get(
        "/locations/'; DROP TABLE locations; --/sales", headers=headers
    )  # no such route for GET
    assert r.status_code in (404, 405)
    r = client.post("/auth/token", data={"username": "adm\x00in", "password": "x"})
    assert r.status_code in (401, 422), r.text
    assert on_hand(db, "SZ-01") == 10
    page = client.get("/locations", headers=login(client, "admin")).json()
    assert page["total"] == 6
    wrong_type = client.post(
        "/locations/SZ-01/sales",
        content=b"lines=1",
        headers={**headers, "Idempotency-Key": "form-0001", "Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 422


def test_lots_and_receipts(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    headers = login(client, "staff")
    receipt = {"sku": "CAKE", "lot_code": "NEW-1", "quantity": "4.5", "received_at": T0.isoformat()}
    first = client.post(
        "/locations/SZ-02/receipts",
        json=receipt,
        headers={**headers, "Idempotency-Key": "rcpt-0001"},
    )
    again = client.post(
        "/locations/SZ-02/receipts",
        json=receipt,
        headers={**headers, "Idempotency-Key": "rcpt-0001"},
    )
    assert (first.status_code, again.status_code) == (201, 200), first.text
    page = client.get(
        "/locations/SZ-02/lots",
        headers=headers,
        params={"at": (T0 + timedelta(days=1)).isoformat(), "sort": "-on_hand"},
    ).json()
    assert [(lot["lot_code"], lot["on_hand"]) for lot in page["items"]] == [
        ("L1", "10.000"),
        ("P1", "8.000"),
        ("NEW-1", "4.500"),
    ]
    assert {lot["location"] for lot in page["items"]} == {"SZ-02"}
    one = client.get(
        "/locations/SZ-02/lots",
        headers=headers,
        params={"at": T0.isoformat(), "sku": "CAKE", "limit": 1, "offset": 1},
    ).json()
    assert one["total"] == 3 and len(one["items"]) == 1


def test_plan_decisions_by_version_and_store(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    manager, staff = login(client, "manager"), login(client, "staff")
    own, other = line_id(db, "SZ-01"), line_id(db, "SZ-02")
    plans = client.get("/locations/SZ-01/plans", headers=manager).json()
    assert [line["line_id"] for p in plans for line in p["lines"]] == [own]
    url = "/locations/SZ-01/plan-lines/{}/decision"
    # a line of another store, named under one's own store, is not there
    r = client.post(url.format(other), json={"decision": "approve", "version": 1}, headers=manager)
    assert r.status_code == 404
    r = client.post(
        f"/locations/SZ-02/plan-lines/{other}/decision",
        json={"decision": "approve", "version": 1},
        headers=staff,
    )
    assert r.status_code == 403  # staff do not decide plans
    r = client.post(
        url.format(own), json={"decision": "adjust", "version": 1, "ratio": "0.3"}, headers=manager
    )
    assert r.status_code == 422 and "floor" in r.json()["error"]["message"]
    ok = client.post(url.format(own), json={"decision": "approve", "version": 1}, headers=manager)
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["line"]["status"] == "approved" and body["line"]["version"] == 2
    assert [e["kind"] for e in body["entries"]] == ["price_change"]
    again = client.post(
        url.format(own), json={"decision": "approve", "version": 1}, headers=manager
    )
    assert again.status_code == 200 and again.json()["replayed"] is True
    stale = client.post(
        url.format(own), json={"decision": "reject", "version": 1}, headers=login(client, "admin")
    )
    assert (
        stale.status_code == 409 and "changed by someone else" in stale.json()["error"]["message"]
    )
    audit = identity_audit(db)
    assert ("manager", "plan.approve") in audit
    # the brand admin reads it; the other brand's admin does not, and no one else may
    mine = client.get("/audit", headers=login(client, "admin"), params={"limit": 500}).json()
    assert ("manager", "plan.approve", "SZ-01") in {
        (r["actor"], r["action"], r["location"]) for r in mine["items"]
    }
    assert mine["total"] == len(mine["items"])
    theirs = client.get("/audit", headers=login(client, "rival"), params={"limit": 500}).json()
    assert {r["location"] for r in theirs["items"]} == {"RIVAL"}  # their own user
    assert client.get("/audit", headers=manager).status_code == 403
    page = client.get(
        "/audit", headers=login(client, "admin"), params={"action": "plan.approve"}
    ).json()
    assert page["total"] == 1


def identity_audit(db: Database) -> set[tuple[str, str]]:
    return {(r.actor, r.action) for r in plan_service.audit_log(db)}

"""The API's stock movements, catalogue, files and daily run over real HTTP,
on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from decimal import Decimal

import httpx

from shelfpilot.services import plans as plan_service
from shelfpilot.storage import Database
from tests.conftest import T0
from tests.integration.api_setup import ledger_size, login, on_hand, sale

LOT = {"sku": "CAKE", "lot_code": "L1", "at": (T0 + timedelta(hours=1)).isoformat()}


def key(text: str) -> dict[str, str]:
    return {"Idempotency-Key": f"test-key-{text}"}


def test_a_batch_of_receipts_is_all_or_nothing(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    till = login(client, "manager")
    batch = {"sales": [sale("2", reference="R1"), sale("3", reference="R2")]}
    r = client.post("/locations/SZ-01/sales/batch", json=batch, headers=till | key("batch-1"))
    assert r.status_code == 201, r.text
    assert [op["entries"][0]["quantity"] for op in r.json()["operations"]] == ["-2.000", "-3.000"]
    assert on_hand(db, "SZ-01") == 5
    again = client.post("/locations/SZ-01/sales/batch", json=batch, headers=till | key("batch-1"))
    assert again.status_code == 200 and again.json()["replayed"]
    assert on_hand(db, "SZ-01") == 5
    # the second receipt wants more than is left: neither is recorded, and it is named
    size = ledger_size(db, "SZ-01")
    short = {"sales": [sale("1", reference="R3"), sale("20", reference="R4")]}
    r = client.post("/locations/SZ-01/sales/batch", json=short, headers=till | key("batch-2"))
    assert r.status_code == 409, r.text
    assert r.json()["error"]["message"].startswith("receipt 2 of 2 (R4): ")
    assert ledger_size(db, "SZ-01") == size and on_hand(db, "SZ-01") == 5


def test_removals_counts_returns_prices_and_the_ledger(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    manager = login(client, "manager")
    r = client.post("/locations/SZ-01/sales", json=sale("4"), headers=manager | key("s"))
    assert r.status_code == 201, r.text
    r = client.post(
        "/locations/SZ-01/removals",
        json=LOT | {"kind": "donation", "quantity": "1", "note": "food bank", "receipt": "FB-7"},
        headers=manager | key("donate"),
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/locations/SZ-01/removals",
        json=LOT | {"kind": "disposal", "quantity": "1", "recipient": "Food bank"},
        headers=manager | key("dispose"),
    )
    assert r.status_code == 422 and "only a donation" in r.json()["error"]["message"]
    day = {"since": "2026-11-20", "until": "2026-11-20"}
    r = client.get("/locations/SZ-01/donations", headers=manager, params=day)
    assert r.status_code == 200, r.text
    statement = r.json()
    assert [(d["units"], d["receipt"], d["note"]) for d in statement["donations"]] == [
        ("1", "FB-7", "food bank")
    ]
    assert statement["totals"][0]["recipient"] == "(not named)"
    assert statement["totals"][0]["value_at_list"] == "28.00"
    r = client.get("/locations/SZ-01/donations", headers=manager, params={"since": "2026-11-21"})
    assert r.status_code == 200 and r.json()["donations"] == []
    r = client.get(
        "/locations/SZ-01/donations", headers=manager,
        params={"since": "2026-11-21", "until": "2026-11-20"},
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert (
        r.json()["error"]["message"] == "the last day (2026-11-20) is before the first (2026-11-21)"
    )
    r = client.get(
        "/locations/SZ-01/donations", headers=manager,
        params={"since": "2000-01-01", "until": "9999-12-31"},
    )  # fmt: skip
    assert r.status_code == 422 and "at most 366 days" in r.json()["error"]["message"]
    r = client.post(
        "/locations/SZ-01/returns", json=LOT | {"quantity": "1"}, headers=manager | key("ret")
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/locations/SZ-01/returns", json=LOT | {"quantity": "9"}, headers=manager | key("ret2")
    )
    assert r.status_code == 422 and "was sold and not yet returned" in r.json()["error"]["message"]
    r = client.post(
        "/locations/SZ-01/counts", json=LOT | {"counted": "5"}, headers=manager | key("count")
    )
    assert r.status_code == 201, r.text
    assert on_hand(db, "SZ-01") == 5
    # below the product's floor is refused; at 7折 it is kept and audited
    low = client.post(
        "/locations/SZ-01/prices", json=LOT | {"unit_price": "0.10"}, headers=manager | key("p0")
    )
    assert low.status_code == 422, low.text
    r = client.post(
        "/locations/SZ-01/prices", json=LOT | {"unit_price": "19.60"}, headers=manager | key("p1")
    )
    assert r.status_code == 201, r.text
    kinds = {a.action for a in plan_service.audit_log(db) if a.location == "SZ-01"}
    assert {"stock.donation", "stock.return", "stock.count", "price.change"} <= kinds
    back = next(a for a in plan_service.audit_log(db) if a.action == "stock.return")
    assert (back.actor, back.before["on_hand"], back.after["on_hand"]) == ("manager", "5", "6")
    page = client.get("/locations/SZ-01/ledger", headers=manager, params={"limit": 3}).json()
    assert page["total"] == ledger_size(db, "SZ-01")
    assert page["items"][0]["kind"] == "price_change"  # newest first
    sales = client.get("/locations/SZ-01/ledger", headers=manager, params={"kind": "sale"}).json()
    assert [e["quantity"] for e in sales["items"]] == ["-4.000"]
    # pages in either order, filtered by lot, add up to the whole ledger
    every = client.get("/locations/SZ-01/ledger", headers=manager, params={"limit": 500}).json()
    oldest = [
        e
        for start in range(0, page["total"], 2)
        for e in client.get(
            "/locations/SZ-01/ledger", headers=manager,
            params={"sort": "occurred_at", "offset": start, "limit": 2},
        ).json()["items"]
    ]  # fmt: skip
    assert oldest == every["items"][::-1] and len(oldest) == page["total"]
    lot = client.get("/locations/SZ-01/ledger", headers=manager, params={"lot_code": "L1"})
    assert lot.json()["total"] == sum(e["lot_code"] == "L1" for e in every["items"])


def test_a_transfer_needs_both_ends_in_scope(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    move = LOT | {"to_location": "SZ-02", "quantity": "3"}
    r = client.post("/locations/SZ-01/transfers", json=move, headers=login(client, "manager"))
    assert r.status_code == 422  # no Idempotency-Key
    r = client.post(
        "/locations/SZ-01/transfers", json=move, headers=login(client, "manager") | key("t1")
    )
    assert r.status_code == 403 and "SZ-02" in r.json()["error"]["message"]
    r = client.post(
        "/locations/SZ-01/transfers",
        json=move | {"to_location": "RV-01"},
        headers=login(client, "planner") | key("t2"),
    )
    assert r.status_code == 403
    assert on_hand(db, "SZ-01") == 10
    r = client.post(
        "/locations/SZ-01/transfers", json=move, headers=login(client, "planner") | key("t3")
    )
    assert r.status_code == 201, r.text
    assert on_hand(db, "SZ-01") == 7
    # audited at both ends, so each store's managers read what left or came
    moves = {a.action: a for a in plan_service.audit_log(db) if a.action.startswith("stock.tr")}
    out, came = moves["stock.transfer_out"], moves["stock.transfer_in"]
    assert (out.location, out.actor, out.before, out.after["on_hand"]) == (
        "SZ-01",
        "planner",
        {"on_hand": "10"},
        "7",
    )
    assert (out.after["to"], came.after["from"], came.location) == ("SZ-02", "SZ-01", "SZ-02")
    # SZ-02 held 10 of the same lot already
    assert (came.before, came.after["on_hand"], came.after["quantity"]) == (
        {"on_hand": "10"}, "13", "3"
    )  # fmt: skip


def test_products_and_ladders_are_changed_only_by_who_covers_every_brand(
    api: tuple[httpx.Client, Database],
) -> None:
    client, _ = api
    admin = login(client, "admin")
    cake = client.get("/products/CAKE", headers=admin).json()
    body = {k: v for k, v in cake.items() if k != "sku"} | {"list_price": "1.00"}
    r = client.put("/products/CAKE", json=body, headers=admin)
    assert r.status_code == 403 and "shared by every brand" in r.json()["error"]["message"]
    assert client.get("/products/CAKE", headers=admin).json()["list_price"] == cake["list_price"]


def test_products_ladders_and_channels(own_api: tuple[httpx.Client, Database]) -> None:
    client, db = own_api
    admin = login(client, "admin")
    new = {
        "name_en": "Egg tart", "name_zh": "蛋挞", "category": "pastry", "list_price": "6.50",
        "unit_cost": "2.1", "shelf_life_days": "1.5", "allergens": ["egg", "milk"],
    }  # fmt: skip
    r = client.put("/products/TART", json=new, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["shelf_life_days"] == "1.5000" and r.json()["allergens"] == ["eggs", "milk"]
    assert client.put("/products/TART", json=new, headers=admin).status_code == 200
    found = client.get("/products", headers=admin, params={"q": "蛋挞"}).json()
    assert [p["sku"] for p in found["items"]] == ["TART"]
    r = client.put("/products/TART", json=new | {"list_price": "-1"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "list_price"
    assert client.get("/products/NOPE", headers=admin).status_code == 404
    changes = [a for a in plan_service.audit_log(db) if a.action == "product.set"]
    assert changes[-1].after["list_price"] == "6.50 CNY"
    # ladders: a change must name the version it was based on
    got = client.get("/ladders", headers=admin)
    tag = got.headers["ETag"]
    spec = {"spec": "remind=2d:review,markdown=12h:markdown,pulled=1h:pull_off!"}
    r = client.put("/ladders/category/pastry", json=spec, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "If-Match"
    r = client.put("/ladders/category/pastry", json=spec, headers=admin | {"If-Match": tag})
    assert r.status_code == 200, r.text
    assert {"scope": "category", "key": "pastry", **spec} in r.json()
    stale = client.put(
        "/ladders/category/pastry", json={"spec": "markdown=1d:markdown"},
        headers=admin | {"If-Match": tag},
    )  # fmt: skip
    assert (
        stale.status_code == 409 and "changed by someone else" in stale.json()["error"]["message"]
    )
    assert client.get("/ladders", headers=admin).headers["ETag"] == r.headers["ETag"] != tag
    assert client.get("/channels", headers=admin).status_code == 200
    # a store manager may read the catalogue but not change it
    manager = login(client, "manager")
    assert client.get("/products/TART", headers=manager).status_code == 200
    assert client.put("/products/TART", json=new, headers=manager).status_code == 403


def test_exports_and_imports(own_api: tuple[httpx.Client, Database]) -> None:
    client, db = own_api
    planner = login(client, "planner")
    r = client.get("/locations/SZ-01/exports/ledger", headers=planner)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].endswith("filename*=UTF-8''SZ-01-ledger.csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == ledger_size(db, "SZ-01") and rows[0]["location"] == "SZ-01"
    r = client.get(
        "/locations/SZ-02/exports/lifecycle",
        headers=planner,
        params={"format": "xlsx", "at": T0.isoformat()},
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
    # a sheet with a bad third row: its row and column are named, nothing is saved
    sheet = (
        "location,sku,quantity,sold_at\n"
        "SZ-01,CAKE,1,2026-11-20 09:00\n"
        "SZ-01,CAKE,many,2026-11-20 09:30\n"
    )
    size = ledger_size(db, "SZ-01")
    files = {"file": ("till-7.csv", sheet.encode(), "text/csv")}
    r = client.post("/imports/sales", files=files, headers=planner)
    assert r.status_code == 403  # a planner does not sell
    manager = login(client, "manager")
    r = client.post("/imports/sales", files=files, headers=manager)
    assert r.status_code == 422, r.text
    assert r.json()["rows"] == [
        {"file": "till-7.csv", "row": 3, "column": "quantity", "message": r.json()["rows"][0]["message"]}
    ]  # fmt: skip
    assert ledger_size(db, "SZ-01") == size
    good = sheet.replace("many", "2").encode()
    files = {"file": ("till-7.csv", good, "text/csv")}
    r = client.post("/imports/sales", files=files, headers=manager)
    assert r.status_code == 200 and r.json()["written"] == 2, r.text
    assert on_hand(db, "SZ-01") == Decimal(7)
    again = client.post("/imports/sales", files=files, headers=manager)
    assert again.json()["written"] == 0 and on_hand(db, "SZ-01") == Decimal(7)
    r = client.post("/imports/bananas", files=files, headers=manager)
    assert r.status_code == 422 and r.json()["error"]["field"] == "kind"


def test_the_daily_run_is_a_job_to_poll(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    manager = login(client, "manager")
    at = {"at": (T0 + timedelta(days=1)).isoformat()}
    r = client.post("/locations/SZ-01/daily-runs", params=at, headers=manager | key("run-1"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"].endswith(f"/locations/SZ-01/daily-runs/{job['job_id']}")
    same = client.post("/locations/SZ-01/daily-runs", params=at, headers=manager | key("run-1"))
    assert same.status_code == 200 and same.json()["job_id"] == job["job_id"]
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/locations/SZ-01/daily-runs/{job['job_id']}", headers=manager).json()
    assert job["status"] == "done", job
    assert job["done_steps"] == job["total_steps"] == 4
    assert set(job["result"]) >= {
        "stage_changes",
        "lots_at_risk",
        "plan_lines",
        "forecasts_kept",
        "notes",
    }
    # another store's staff cannot see it, even with its id
    staff = login(client, "staff")
    r = client.get(f"/locations/SZ-02/daily-runs/{job['job_id']}", headers=staff)
    assert r.status_code == 404


def test_a_location_import_cannot_lift_a_place_out_of_the_tree(
    api: tuple[httpx.Client, Database],
) -> None:
    client, _ = api
    planner = login(client, "planner")

    def upload(rows: str) -> httpx.Response:
        sheet = "code,name,kind,parent\n" + rows
        files = {"file": ("places.csv", sheet.encode(), "text/csv")}
        return client.post("/imports/locations", files=files, headers=planner)

    for row, column in [
        ("SUYUAN,Suyuan,brand,\n", "code"),  # the planner's own top
        ("NORTH,North,brand,\n", "parent"),  # a branch made a brand of its own
        ("SZ-03,Wuxi,store,RIVAL\n", "parent"),  # moved under another brand
        ("RV-01,Rival store,store,SUYUAN\n", "code"),  # taken from another brand
    ]:
        r = upload(row)
        assert r.status_code == 422, (row, r.text)
        assert column in {e["column"] for e in r.json()["rows"]}, (row, r.json())
    seen = client.get("/locations", headers=login(client, "admin"), params={"limit": 500})
    assert len(seen.json()["items"]) == 6
    r = upload("SZ-09,Nanjing,store,NORTH\n")
    assert r.status_code == 200 and r.json()["written"] == 1, r.text
    # a file name that cannot be a file here is replaced, not a 500
    files = {"file": ("..", b"code,name,kind,parent\n", "text/csv")}
    r = client.post("/imports/locations", files=files, headers=planner)
    assert r.status_code == 422 and "upload" in r.json()["error"]["message"]


def test_batch_keys_are_their_own(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    till = login(client, "manager")
    first = {"sales": [sale("1", reference="A"), sale("1", reference="B")]}
    r = client.post("/locations/SZ-01/sales/batch", json=first, headers=till | key("batch-k"))
    assert r.status_code == 201
    # the same key with one receipt less (or more) is another batch: refused
    fewer = {"sales": first["sales"][:1]}
    r = client.post("/locations/SZ-01/sales/batch", json=fewer, headers=till | key("batch-k"))
    assert r.status_code == 409 and "different sale_batch" in r.json()["error"]["message"]
    # keys are plain tokens of at most 100 characters
    for bad in ("k" * 101, "batch-k:1", "a b c d e f"):
        r = client.post(
            "/locations/SZ-01/sales", json=sale("1"), headers=till | {"Idempotency-Key": bad}
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "Idempotency-Key", bad
    assert on_hand(db, "SZ-01") == 8


def test_reads_never_train_and_runs_do_not_pile_up(own_api: tuple[httpx.Client, Database]) -> None:
    client, _ = own_api
    manager = login(client, "manager")
    r = client.get("/locations/SZ-01/forecast", headers=manager, params={"at": T0.isoformat()})
    assert r.status_code == 409 and "no demand model yet" in r.json()["error"]["message"]
    far = {"at": "2999-01-01T00:00:00+08:00"}
    r = client.get("/locations/SZ-01/risk", headers=manager, params=far)
    assert r.status_code == 422
    r = client.post("/locations/SZ-01/daily-runs", params=far, headers=manager | key("far-run"))
    assert r.status_code == 422
    at = {"at": T0.isoformat()}
    r = client.post("/locations/SZ-01/daily-runs", params=at, headers=manager | key("run-a"))
    assert r.status_code == 202
    later = {"at": (T0 + timedelta(hours=1)).isoformat()}
    r = client.post("/locations/SZ-01/daily-runs", params=later, headers=manager | key("run-a"))
    assert r.status_code == 409  # the same key asked for another time
    admin = login(client, "admin")
    r = client.put(
        "/ladders/default/x",
        json={"spec": "markdown=1d:markdown"},
        headers=admin | {"If-Match": "*"},
    )
    assert r.status_code == 200, r.text

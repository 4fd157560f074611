"""Many tills selling the last units of a lot at once, through the HTTP API:
no oversell, no lost or doubled sale, and every till gets a clear answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from shelfpilot.storage import Database
from tests.integration.api_setup import login, on_hand, sale

TILLS = 16  # the lot holds 10


def test_concurrent_sales_of_the_last_units(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = login(client, "manager")
    barrier = threading.Barrier(TILLS)

    def till(n: int) -> tuple[int, dict[str, object]]:
        with httpx.Client(base_url=client.base_url, timeout=60) as own:
            barrier.wait()
            r = own.post(
                "/locations/SZ-01/sales",
                json=sale("1", lot="L1"),
                headers={**headers, "Idempotency-Key": f"race-till-{n:03d}"},
            )
            # a till that lost the connection retries with the same key
            again = own.post(
                "/locations/SZ-01/sales",
                json=sale("1", lot="L1"),
                headers={**headers, "Idempotency-Key": f"race-till-{n:03d}"},
            )
            if r.status_code == 201:
                assert again.status_code == 200 and again.json()["replayed"] is True
            return r.status_code, r.json()

    with ThreadPoolExecutor(TILLS) as pool:
        answers = list(pool.map(till, range(TILLS)))
    statuses = [s for s, _ in answers]
    assert set(statuses) <= {201, 409}, answers
    sold = statuses.count(201)
    for status, body in answers:
        if status == 409:
            error = body["error"]
            assert isinstance(error, dict) and error["code"] in ("not_sellable", "busy")
            assert error["message"]
    assert on_hand(db, "SZ-01") == 10 - sold >= 0
    if not db.is_sqlite:
        # row locks queue the tills: every unit sells, the rest are told it is gone
        assert sold == 10
        assert all(b["error"]["code"] == "not_sellable" for s, b in answers if s == 409)  # type: ignore[index]

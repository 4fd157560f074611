"""Error messages over real HTTP (SQLite and PostgreSQL) in the language the
client asks for: simplified Chinese for ``Accept-Language: zh-CN``, English
without it; the status, code and field are the same either way."""

from __future__ import annotations

from typing import Any

import httpx

from shelfpilot.storage import Database
from tests.conftest import T0
from tests.integration.api_setup import PASSWORD, line_id, login, on_hand, sale

CHINESE = {"Accept-Language": "zh-CN"}


def both(
    client: httpx.Client, method: str, url: str, headers: dict[str, str] | None = None, **sent: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The error body of one request sent without a language and in Chinese."""
    bodies = []
    for language, tag in (({}, "en"), (CHINESE, "zh-CN")):
        r = client.request(method, url, headers={**(headers or {}), **language}, **sent)
        assert r.status_code >= 400, r.text
        assert r.headers["content-language"] == tag
        assert "accept-language" in r.headers["vary"].lower()
        bodies.append((r.status_code, r.json()["error"]))
    (status, english), (status_zh, chinese) = bodies
    assert status == status_zh
    assert (english["code"], english["field"]) == (chinese["code"], chinese["field"])
    return english, chinese


def test_validation_error_in_either_language(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = {**login(client, "manager"), "Idempotency-Key": "lang-422"}
    payload = {"lines": [{"sku": "CAKE", "quantity": "two"}]}
    english, chinese = both(client, "POST", "/locations/SZ-01/sales", headers, json=payload)
    assert english["code"] == "invalid" and english["field"] == "lines.0.quantity"
    assert english["message"].startswith("lines.0.quantity: Input should be")
    assert chinese["message"] == "lines.0.quantity：应为数字（可带小数）"
    payload = {"lines": [{"sku": "CAKE", "quantity": "two", "colour": "red"}]}
    english, chinese = both(client, "POST", "/locations/SZ-01/sales", headers, json=payload)
    assert english["message"].endswith(" (and 1 more problem)")
    assert chinese["message"].endswith("（另有 1 处问题）")
    assert on_hand(db, "SZ-01") == 10


def test_unauthenticated_in_either_language(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    form = {"username": "manager", "password": PASSWORD + "!"}
    english, chinese = both(client, "POST", "/auth/token", data=form)
    assert english == {
        "code": "unauthenticated",
        "message": "wrong user name or password",
        "field": None,
    }
    assert chinese == {"code": "unauthenticated", "message": "用户名或密码错误", "field": None}
    english, chinese = both(client, "GET", "/me")
    assert english["message"] == "log in first (a bearer token) or send the store's X-API-Key"
    assert chinese["message"] == "请先登录（Bearer 令牌），或发送门店的 X-API-Key"


def test_not_found_and_forbidden_in_either_language(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    english, chinese = both(client, "GET", "/no-such-page")
    assert (english["code"], english["message"]) == ("not_found", "Not Found")
    assert chinese["message"] == "找不到该地址"
    headers = {**login(client, "manager"), "Idempotency-Key": "lang-403"}
    english, chinese = both(client, "POST", "/locations/SZ-02/sales", headers, json=sale())
    assert english["code"] == "forbidden"
    assert english["message"].startswith("manager may not record sales at 'SZ-02'")
    assert chinese["message"] == ("manager 不能在 'SZ-02' 登记销售：该地点不在此账号的管辖范围内")


def test_out_of_stock_in_either_language(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    headers = {**login(client, "manager"), "Idempotency-Key": "lang-409"}
    english, chinese = both(
        client, "POST", "/locations/SZ-01/sales", headers, json=sale("11", lot="L1")
    )
    assert english == {
        "code": "not_sellable",
        "message": "out of stock: lot L1 of CAKE at SZ-01 has 10 on hand, asked for 11",
        "field": None,
    }
    assert chinese["message"] == "库存不足：SZ-01 的 CAKE 批次 L1 现有 10，要求 11"
    assert on_hand(db, "SZ-01") == 10
    # the usual case: no lot named, FEFO over every lot the store has
    headers["Idempotency-Key"] = "lang-409-fefo"
    english, chinese = both(client, "POST", "/locations/SZ-01/sales", headers, json=sale("30"))
    assert english["code"] == chinese["code"] == "not_sellable"
    assert "CAKE at SZ-01" in english["message"]
    assert chinese["message"].startswith("库存不足") and "SZ-01 的 CAKE" in chinese["message"]


def test_q_values_choose_the_language(api: tuple[httpx.Client, Database]) -> None:
    client, _ = api
    for header, language in [
        ("zh;q=0.9,en;q=0.5", "zh-CN"),
        ("en;q=0.9,zh;q=0.5", "en"),
        ("zh-Hans", "zh-CN"),
        ("fr-FR", "en"),
    ]:
        r = client.get("/me", headers={"Accept-Language": header})
        assert r.status_code == 401
        assert r.headers["content-language"] == language, header
        assert (r.json()["error"]["message"].startswith("请先登录")) == (language == "zh-CN")
    # a successful answer says its language too
    r = client.get("/me", headers={**login(client, "manager"), **CHINESE})
    assert r.status_code == 200 and r.headers["content-language"] == "zh-CN"


def test_stock_and_plan_refusals_in_either_language(api: tuple[httpx.Client, Database]) -> None:
    client, db = api
    manager = login(client, "manager")
    back = {"sku": "CAKE", "lot_code": "L1", "quantity": "3", "at": T0.isoformat()}
    english, chinese = both(
        client, "POST", "/locations/SZ-01/returns", manager | {"Idempotency-Key": "lang-return"},
        json=back,
    )  # fmt: skip
    assert english["message"].startswith("only 0 of lot L1 of CAKE at SZ-01 was sold")
    assert chinese["message"] == "SZ-01 的 CAKE 批次 L1 已售且未退回的只有 0；退货 3 超出了这个数量"
    line = line_id(db, "SZ-01")
    english, chinese = both(
        client, "POST", f"/locations/SZ-01/plan-lines/{line}/decision", manager,
        json={"decision": "approve", "version": 5},
    )  # fmt: skip
    assert english["message"] == (
        f"plan line {line} was changed by someone else since you saw it (version 5, now 1); "
        "reload the plan"
    )
    assert chinese["message"] == (
        f"计划行 {line} 在您查看后已被他人修改（您看到的版本 5，现在 1）；请重新加载计划"
    )


def test_unknown_things_and_the_demand_model_in_either_language(
    api: tuple[httpx.Client, Database],
) -> None:
    """Refusals raised down in storage and the forecasting service, not only in the API."""
    client, _ = api
    manager = login(client, "manager")
    english, chinese = both(
        client, "POST", "/locations/SZ-01/sales", manager | {"Idempotency-Key": "lang-sku"},
        json={"lines": [{"sku": "NOPE", "quantity": "1"}], "at": T0.isoformat()},
    )  # fmt: skip
    assert english["message"] == "unknown SKU 'NOPE': import or add the product first"
    assert chinese["message"] == "未知商品编码 'NOPE'：请先导入或添加该商品"
    english, chinese = both(client, "GET", "/locations/SZ-01/forecast", manager)
    assert english["message"].startswith("there is no demand model yet")
    assert chinese["message"].startswith("还没有需求模型")
    english, chinese = both(
        client, "GET", "/locations/SZ-01/forecast", manager, params={"at": "2026-11-20T08:00"}
    )
    assert english["message"] == "give the time with its zone, e.g. 2026-11-20T08:00:00+08:00"
    assert chinese["message"] == "请给出带时区的时间，例如 2026-11-20T08:00:00+08:00"

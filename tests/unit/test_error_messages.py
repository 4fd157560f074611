"""Error messages in two languages: every English template a shop manager can
meet has a Chinese translation with the same placeholders, and the API picks
the language from ``Accept-Language``."""

from __future__ import annotations

import ast
import json
import pickle
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import SimpleNamespace

import pytest

from shelfpilot.api import i18n
from shelfpilot.api.i18n import ENGLISH
from shelfpilot.channels import bakery_channels
from shelfpilot.domain import access, ladder, ledger, plans
from shelfpilot.domain.catalog import LocationKind
from shelfpilot.domain.errors import DomainError, InvalidValue, OutOfStock, Text
from shelfpilot.domain.fefo import LotStock, allocate
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.lots import Lot, LotKey
from shelfpilot.domain.money import Money, quantity
from shelfpilot.importing import ImportFailed, RowError, Table, read_calendar, read_products
from shelfpilot.importing.errors import SHOWN
from shelfpilot.importing.tables import SheetRow
from shelfpilot.web.pages.base import IMPORT_KINDS, PREFIX
from shelfpilot.web.templating import render

SRC = Path(__file__).parents[2] / "src" / "shelfpilot"
#: the modules whose messages reach a shop manager through the API
TRANSLATED = [
    *sorted((SRC / "domain").glob("*.py")),
    SRC / "services" / "identity.py",
    SRC / "services" / "inventory.py",
    SRC / "services" / "operations.py",
    SRC / "services" / "adjustments.py",
    SRC / "services" / "plans.py",
    SRC / "services" / "catalog.py",
    SRC / "services" / "dashboard.py",
    SRC / "services" / "clearance.py",
    SRC / "services" / "channels.py",
    SRC / "services" / "channel_outcomes.py",
    SRC / "services" / "bundling.py",
    SRC / "services" / "uploads.py",
    SRC / "clearance" / "markdown.py",
    SRC / "clearance" / "bundles.py",
    SRC / "services" / "imports.py",
    SRC / "services" / "jobs.py",
    SRC / "services" / "forecasting.py",
    SRC / "services" / "expiry_risk.py",
    SRC / "services" / "exports.py",
    SRC / "services" / "presales.py",
    SRC / "services" / "production.py",
    SRC / "services" / "price_response.py",
    SRC / "services" / "donations.py",
    SRC / "clearance" / "ordering.py",
    SRC / "storage" / "catalog_repo.py",
    SRC / "storage" / "channels_repo.py",
    SRC / "storage" / "identity_repo.py",
    SRC / "storage" / "plans_repo.py",
    SRC / "storage" / "preorders_repo.py",
    SRC / "storage" / "stock_repo.py",
    SRC / "storage" / "errors.py",
    SRC / "api" / "routes" / "work.py",
    SRC / "barcode" / "gs1.py",
    *sorted((SRC / "importing").glob("*.py")),
    SRC / "api" / "jobs.py",
    SRC / "api" / "errors.py",
    SRC / "api" / "security.py",
    SRC / "api" / "i18n.py",
    *sorted((SRC / "web").rglob("*.py")),
]
ERRORS = {
    "DomainError",
    "StorageUnavailable",
    "TransientConflict",
    "DuplicateOperation",
    "InvalidValue",
    "NotFound",
    "Conflict",
    "NotSellable",
    "OutOfStock",
    "LotNotSellable",
    "Unauthenticated",
    "Forbidden",
}
#: functions whose ``what`` (the argument at this position) names the value in a message
NAMING = {"to_decimal": 1, "quantity": 1, "ratio": 1, "require_aware": 1, "check_code": 1}
#: the import readers': ``code("SKU")``, ``limited("name", 200)``, ``r.required(col, parse, what)``
NAMING |= {"code": 0, "limited": 0, "required": 2}
#: phrases made from enum values and fixed words (``Text(kind.value)``)
ENUMS: list[type[StrEnum]] = [
    access.Role,
    access.Permission,
    ledger.EntryKind,
    LocationKind,
    plans.LineStatus,
    plans.PlanAction,
    plans.Decision,
]
WORDS = {"nothing", "earlier", "access", "refresh"}
#: what the API routes pass to ``Principal.require_everywhere``
WORDS |= {"products", "suppliers", "expiry ladders", "channels", "elasticities"}
#: the default channels' names (a plan line names its channel; a shop's own name is shown as written)
WORDS |= {channel.name for channel in bakery_channels()}
ZH = "zh-CN"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _calls(path: Path) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            yield node


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def templates() -> set[str]:
    """Every message template and phrase in the translated modules."""
    found = set(WORDS)
    for enum in ENUMS:
        found |= {member.value for member in enum}
    found |= {role.value.replace("_", " ") for role in access.Role}
    for path in TRANSLATED:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.arguments):  # what: str = "quantity"
                named = [*node.posonlyargs, *node.args]
                for arg, default in zip(
                    named[len(named) - len(node.defaults) :], node.defaults, strict=True
                ):
                    if arg.arg == "what" and (text := _literal(default)):
                        found.add(text)
        constants = {  # BAD_LOGIN = "wrong user name or password"
            target.id: text
            for node in tree.body
            if isinstance(node, ast.Assign) and (text := _literal(node.value))
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for call in _calls(path):
            name = _name(call.func)
            first = call.args[0] if call.args else None
            text = constants.get(first.id) if isinstance(first, ast.Name) else _literal(first)
            if name in ERRORS | {"Text", "N_"} and text:
                found.add(text)
            if name in NAMING:
                at = NAMING[name]
                what = call.args[at] if len(call.args) > at else None
                what = what or next((k.value for k in call.keywords if k.arg == "what"), None)
                if text := _literal(what):
                    found.add(text)
    return found


def _fields(template: str) -> set[tuple[str, str, str | None]]:
    return {
        (name, spec or "", conversion)
        for _, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    }


def test_messages_are_templates_not_fstrings() -> None:
    """A message built with an f-string cannot be translated."""
    for path in TRANSLATED:
        for call in _calls(path):
            if _name(call.func) in ERRORS and call.args:
                assert not isinstance(call.args[0], ast.JoinedStr), (path.name, call.lineno)


def test_every_template_has_a_chinese_translation() -> None:
    catalogue = i18n.catalogue(ZH)
    missing = sorted(templates() - set(catalogue))
    assert not missing, missing


def test_the_catalogue_holds_only_used_messages() -> None:
    unused = sorted(set(i18n.catalogue(ZH)) - templates())
    assert not unused, unused


def test_translations_keep_the_placeholders() -> None:
    for english, chinese in i18n.catalogue(ZH).items():
        assert _fields(chinese) == _fields(english), english


def test_validation_messages_are_in_the_catalogue() -> None:
    assert set(i18n.VALIDATION.values()) <= set(i18n.catalogue(ZH))


# the language a request gets -----------------------------------------------------
@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("*", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR", "en"),
        ("zh", ZH),
        ("zh-CN", ZH),
        ("ZH-cn", ZH),
        ("zh_CN", ZH),
        ("zh-Hans", ZH),
        ("zh-Hans-CN", ZH),
        ("zh;q=0.9,en;q=0.5", ZH),
        ("en;q=0.5, zh;q=0.9", ZH),
        ("zh;q=0.5, en;q=0.9", "en"),
        ("fr, zh-CN;q=0.3", ZH),
        ("zh;q=0, en", "en"),
        ("zh;q=banana", "en"),
        ("x" * 5000, "en"),
    ],
)
def test_the_language_is_negotiated(header: str | None, language: str) -> None:
    assert i18n.negotiate(header) == language


# domain errors keep their English ---------------------------------------------------
def test_a_template_error_reads_as_english_and_keeps_its_parts() -> None:
    error = OutOfStock("only {have} of {sku} left", have=Decimal(2), sku="CAKE")
    assert str(error) == "only 2 of CAKE left"
    assert error.template == "only {have} of {sku} left"
    assert error.params == {"have": Decimal(2), "sku": "CAKE"}
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.template == error.template
    phrase = pickle.loads(pickle.dumps(Text("{sku} at {location}", sku="CAKE", location="SZ")))
    assert phrase == "CAKE at SZ" and phrase.template == "{sku} at {location}"


def test_a_plain_message_still_works_and_stays_english() -> None:
    error = InvalidValue(f"row {{3}}: {'bad'} cell")
    assert str(error) == "row {3}: bad cell" and error.params == {}
    assert i18n.message(error, ZH) == "row {3}: bad cell"
    assert str(DomainError()) == ""


def _zh(error: DomainError) -> str:
    return i18n.message(error, ZH)


def test_domain_errors_in_chinese() -> None:
    at = datetime(2026, 5, 1, 9, tzinfo=UTC)
    lot = Lot("L1", "CAKE", "SZ-01", at, at + timedelta(days=3), Decimal(5), Money.of("2"))
    with pytest.raises(OutOfStock) as caught:
        allocate([LotStock(lot, Decimal(5))], Decimal(7), at, ladder.DEFAULT_LADDER, lot_code="L1")
    assert str(caught.value) == "out of stock: lot L1 of CAKE at SZ-01 has 5 on hand, asked for 7"
    assert _zh(caught.value) == "库存不足：SZ-01 的 CAKE 批次 L1 现有 5，要求 7"
    with pytest.raises(OutOfStock) as caught:
        allocate([LotStock(lot, Decimal(5))], Decimal(7), at, ladder.DEFAULT_LADDER)
    assert _zh(caught.value) == "库存不足：SZ-01 的 CAKE 只能卖 5，要求 7"
    with pytest.raises(InvalidValue) as caught:
        quantity("1.2345", "sale quantity")
    assert _zh(caught.value).endswith("1.2345 超过 3 位小数")
    with pytest.raises(InvalidValue) as caught:
        quantity("1.2345")
    assert _zh(caught.value) == "数量 1.2345 超过 3 位小数"
    principal = access.Principal("kim", access.Role.STORE_STAFF, "SZ-01", frozenset({"SZ-01"}))
    with pytest.raises(DomainError) as caught:
        principal.require(access.Permission.DECIDE_PLANS)
    assert str(caught.value) == "a store staff may not approve clearance plans"
    assert _zh(caught.value) == "店员无权审批清仓方案"


def test_phrases_and_wrapped_errors_are_translated_inside_a_message() -> None:
    problem = Guardrails().violation(0.9, 0.3)
    assert problem is not None and "below the floor" in problem
    error = InvalidValue("cannot set {lot} to {ratio:.0%} of list: {problem}",
                         lot=LotKey("SZ-01", "CAKE", "L1"), ratio=0.3, problem=problem)  # fmt: skip
    assert _zh(error) == "不能把 SZ-01 的 CAKE 批次 L1 定为标价的 30%：标价的 30% 低于价格底线 50%"
    wrapped = InvalidValue(
        "product {sku}: {error}", sku="CAKE", error=InvalidValue("lot code is empty")
    )
    assert str(wrapped) == "product CAKE: lot code is empty"
    assert _zh(wrapped) == "商品 CAKE：批次号为空"


def test_a_translation_that_does_not_fit_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(i18n, "catalogue", lambda language: {"{n} left": "还剩 {m}"})
    assert i18n.translate("{n} left", {"n": 3}, ZH) == "3 left"
    assert i18n.translate("nothing here", {}, ZH) == "nothing here"


# pydantic's errors ------------------------------------------------------------------
def test_validation_messages_by_type() -> None:
    short = {"type": "string_too_short", "msg": "String should have at least 1 character",
             "ctx": {"min_length": 1}}  # fmt: skip
    assert i18n.validation_message(short, "en") == "String should have at least 1 character"
    assert i18n.validation_message(short, ZH) == "至少 1 个字符"
    assert i18n.validation_message({"type": "missing", "msg": "Field required"}, ZH) == "必须填写"
    odd = {"type": "something_new", "msg": "Something new"}
    assert i18n.validation_message(odd, ZH) == "Something new"
    raised = {"type": "value_error", "msg": "Value error, a return must be above zero",
              "ctx": {"error": InvalidValue("a return must be above zero")}}  # fmt: skip
    assert i18n.validation_message(raised, ZH) == "退货数量必须大于零"


def test_a_phrase_kept_as_data_comes_back_the_same_in_every_language() -> None:
    move = Text("{ratio:.0%} of list now", ratio=0.7)
    reason = Text(
        "{move}: at the current price about {held} of {stock} would be left at expiry; "
        "a markdown would not earn more",
        move=move, held="12", stock=Decimal("20.000"),
    )  # fmt: skip
    back = Text.from_data(json.loads(json.dumps(reason.to_data())))
    assert back == reason and back.params["stock"] == Decimal("20.000")
    assert i18n.localize(back, ZH) == i18n.localize(reason, ZH)
    assert str(i18n.localize(back, ZH)).startswith("现在降至标价的 70%：")
    # something that is not a phrase's data is read as a plain text
    assert Text.from_data({"template": "as {x}", "params": {"x": {"odd": 1}}}) == "as {'odd': 1}"


# import row errors ------------------------------------------------------------------
def test_import_row_errors_keep_their_english_and_read_in_chinese() -> None:
    products = Table(
        "货品.csv",
        (
            "sku",
            "name_zh",
            "category",
            "unit",
            "list_price",
            "unit_cost",
            "shelf_life_days",
            "gtin",
        ),
        (
            SheetRow(2, ("CAKE", "蛋糕", "cake", "个", "0", "", "3", "")),
            SheetRow(3, ("x" * 70, "挞", "cake", "个", "5", "1", "3", "123")),
            SheetRow(4, ("TART", "挞", "cake", "个", "5", "1", "1.0001", "")),
        ),
        "digest",
    )
    calendar = Table(
        "calendar.csv",
        ("start", "driver", "value"),
        (
            SheetRow(2, ("2026-05-01", "discount", "5")),
            SheetRow(3, ("3026-05-01", "holiday", "")),
            SheetRow(4, ("2026-05-01", "wind", "")),
        ),
        "digest",
    )
    errors = [*read_products(products).errors, *read_calendar(calendar).errors]
    assert [(str(e.message), i18n.localize(e.message, ZH)) for e in errors] == [
        ("a price must be above zero, got 0", "价格必须大于零，填写的是 0"),
        ("missing value: fill in the unit cost", "缺少内容：请填写单位成本"),
        (f"SKU must be 1-64 characters, got {'x' * 70!r}",
         f"SKU须为 1 到 64 个字符，收到的是 {'x' * 70!r}"),
        ("GTIN '123' must be 8, 12, 13 or 14 digits", "GTIN '123' 必须是 8、12、13 或 14 位数字"),
        ("shelf life 1.0001 is not a whole number of minutes", "保质期 1.0001 不是整分钟数"),
        ("discount must be between 0.01 and 2, not 5", "discount 必须在 0.01 到 2 之间，不能是 5"),
        ("3026-05-01 is not a plausible day; check the year", "3026-05-01 不是合理的日期；请检查年份"),
        ("missing value: give the wind for these days", "缺少内容：请填写这些日期的 wind 数值"),
    ]  # fmt: skip
    assert (
        str(errors[0]) == "货品.csv, row 2, column 'list_price': a price must be above zero, got 0"
    )
    assert (
        i18n.localize(errors[0].phrase(), ZH)
        == "货品.csv 第 2 行 'list_price' 列：价格必须大于零，填写的是 0"
    )


def test_a_failed_import_describes_itself_in_either_language() -> None:
    bad = RowError("a.csv", 2, None, Text("the file is empty: row 1 must hold the column names"))
    failed = ImportFailed([bad] * (SHOWN + 2))
    english, chinese = str(failed).splitlines(), failed.describe(lambda p: i18n.localize(p, ZH))
    assert english[0].startswith(
        f"import of a.csv failed with {SHOWN + 2} errors; nothing was saved"
    )
    assert english[1] == "  - a.csv, row 2: the file is empty: row 1 must hold the column names"
    assert english[-1] == "  ... and 2 more" and len(english) == SHOWN + 2
    lines = chinese.splitlines()
    assert lines[0].startswith(f"a.csv 导入失败，有 {SHOWN + 2} 处错误；没有保存任何内容")
    assert lines[1] == "  - a.csv 第 2 行：文件是空的：第 1 行必须是列名"
    assert lines[-1] == "  ……另有 2 处问题"
    one = ImportFailed([bad])
    assert str(one).startswith("import of a.csv failed with 1 error; nothing was saved")


@pytest.mark.parametrize(
    ("language", "shown"),
    [(ENGLISH, "&#39;many&#39; is not a number"), (ZH, "&#39;many&#39; 不是数字")],
)
def test_the_import_page_shows_row_errors_in_its_language(language: str, shown: str) -> None:
    failed = ImportFailed(
        [RowError("a.csv", 3, "数量", Text("{value!r} is not a number", value="many"))]
    )
    context = {
        "viewer": SimpleNamespace(csrf="token", username="kim"), "prefix": PREFIX, "menu": [],
        "path": PREFIX + "/import", "import_kinds": IMPORT_KINDS, "kinds": ["sales"],
        "chosen": "sales", "report": None, "failed": failed, "name": "a.csv",
    }  # fmt: skip
    html = render(language, "import.html", context)
    assert f"<td>数量</td><td>{shown}</td>" in html

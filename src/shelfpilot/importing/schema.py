"""The columns each kind of import file has, with their Chinese names.

Headers are matched after Unicode NFKC folding (full-width （） and letters
become ASCII), trimming, case folding and treating spaces and hyphens like
underscores, so ``SKU``, ``sku ``, ``Shelf Life Days`` and ``保质期（天）`` all
match. Columns the schema does not know are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shelfpilot.domain.errors import Text
from shelfpilot.importing.errors import RowError

_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    aliases: tuple[str, ...]
    required: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return (self.field, *self.aliases)


def _c(field: str, *aliases: str, required: bool = True) -> Column:
    return Column(field, aliases, required)


_LOCATION = ("store", "store_code", "location_code", "门店", "门店编码", "门店代码", "仓库", "地点")
_SKU = ("商品编码", "商品代码", "货号", "SKU编码")
_LOT = ("lot", "batch", "batch_code", "lot_no", "批次号", "批号", "批次")

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "products": (
        _c("sku", *_SKU),
        _c("name_en", "english_name", "英文名称", "英文名", required=False),
        _c("name_zh", "chinese_name", "商品名称", "中文名称", "品名", required=False),
        _c("category", "类别", "分类", "品类"),
        _c("unit", "单位"),
        _c("list_price", "price", "零售价", "售价", "标价"),
        _c("unit_cost", "cost", "成本", "成本价", "进价"),
        _c("shelf_life_days", "保质期(天)", "保质期天数", "保质期", required=False),
        _c("shelf_life_hours", "保质期(小时)", "保质期小时数", required=False),
        _c("gtin", "barcode", "条码", "条形码", "商品条码", required=False),
        _c("price_floor_ratio", "price_floor", "最低折扣", "最低价比例", required=False),
        _c("currency", "币种", "货币", required=False),
        _c("allergens", "allergen", "过敏原", "致敏原", required=False),
    ),
    "locations": (
        _c("code", "location", "location_code", "门店编码", "编码", "代码"),
        _c("name", "名称", "门店名称"),
        _c("kind", "type", "类型", "类别"),
        _c("parent", "parent_code", "上级", "上级编码", "所属", required=False),
        _c("timezone", "time_zone", "时区", required=False),
    ),
    "suppliers": (
        _c("code", "supplier_code", "供应商编码", "编码", "代码"),
        _c("name", "supplier_name", "供应商名称", "名称"),
    ),
    "lots": (
        _c("location", *_LOCATION),
        _c("sku", *_SKU),
        _c("lot_code", *_LOT),
        _c("quantity", "qty", "数量", "入库数量", "收货数量"),
        _c("received_at", "received", "入库时间", "收货时间", "入库日期", "收货日期"),
        _c("produced_at", "produced", "production_date", "生产日期", "生产时间", required=False),
        _c(
            "expiry",
            "expires_at",
            "expiry_date",
            "best_before",
            "到期日",
            "有效期至",
            "到期时间",
            "过期时间",
            required=False,
        ),
        _c("unit_cost", "cost", "成本", "成本价", "进价", required=False),
        _c("supplier", "supplier_code", "供应商", "供应商编码", required=False),
    ),
    "sales": (
        _c("location", *_LOCATION),
        _c("sku", *_SKU, required=False),
        _c("barcode", "gtin", "条码", "条形码", required=False),
        _c("quantity", "qty", "数量", "销售数量"),
        _c("sold_at", "sale_time", "time", "销售时间", "时间"),
        _c("unit_price", "price", "单价", "成交价", "售价", required=False),
        _c("lot_code", *_LOT, required=False),
        _c("receipt", "reference", "receipt_no", "小票号", "单号", "流水号", required=False),
        _c("idempotency_key", "幂等键", required=False),
    ),
    "counts": (
        _c("location", *_LOCATION),
        _c("sku", *_SKU),
        _c("lot_code", *_LOT),
        _c("counted", "counted_quantity", "count", "盘点数量", "实盘数量", "实盘数"),
        _c("counted_at", "count_time", "盘点时间", "盘点日期"),
    ),
    "calendar": (
        _c("start", "date", "day", "from", "日期", "开始日期", "开始"),
        _c("end", "to", "until", "end_date", "结束日期", "结束", required=False),
        _c("location", *_LOCATION, required=False),
        _c("sku", *_SKU, required=False),
        _c("driver", "kind", "type", "因素", "类型"),
        _c("value", "值", "数值", required=False),
        _c("note", "name", "description", "备注", "名称", "说明", required=False),
    ),
}

#: Column groups of which at least one must be present.
ONE_OF: dict[str, tuple[tuple[str, ...], ...]] = {
    "products": (("name_en", "name_zh"), ("shelf_life_days", "shelf_life_hours")),
    "sales": (("sku", "barcode"),),
}

KINDS = tuple(SCHEMAS)


def normalise(header: str) -> str:
    folded = unicodedata.normalize("NFKC", header).strip().casefold()
    return _SEPARATORS.sub("_", folded)


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Which file column holds which field, and the header as the file wrote it."""

    index: Mapping[str, int]
    written: Mapping[str, str]

    def header(self, field: str) -> str | None:
        return self.written.get(field)


def match_headers(kind: str, file: str, headers: Sequence[str]) -> tuple[HeaderMap, list[RowError]]:
    columns = SCHEMAS[kind]
    lookup = {normalise(name): col.field for col in columns for name in col.names}
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    errors: list[RowError] = []
    for position, header in enumerate(headers):
        field = lookup.get(normalise(header)) if header else None
        if field is None:
            continue
        if field in index:
            errors.append(
                RowError(
                    file,
                    1,
                    header,
                    Text(
                        "columns {first!r} and {second!r} both give the {field}; keep only one",
                        first=written[field],
                        second=header,
                        field=field,
                    ),
                )
            )
            continue
        index[field] = position
        written[field] = header
    for col in columns:
        if col.required and col.field not in index:
            errors.append(RowError(file, 1, col.field, _missing(col)))
    for group in ONE_OF.get(kind, ()):
        if not any(f in index for f in group):
            names = [f"{f!r} ({', '.join(_by_field(kind, f).aliases[:2])})" for f in group]
            either: str = names[0]
            for other in names[1:]:
                either = Text("{either} or {other}", either=either, other=other)
            errors.append(
                RowError(file, 1, group[0], Text("missing column: add {names}", names=either))
            )
    return HeaderMap(index, written), errors


def _by_field(kind: str, field: str) -> Column:
    return next(c for c in SCHEMAS[kind] if c.field == field)


def _missing(col: Column) -> Text:
    chinese = [a for a in col.aliases if not a.isascii()]
    if chinese:
        return Text(
            "missing required column {column!r} (or {names}); add it to the header row",
            column=col.field,
            names=", ".join(chinese[:3]),
        )
    return Text("missing required column {column!r}; add it to the header row", column=col.field)

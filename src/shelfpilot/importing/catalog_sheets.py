"""Products, locations and suppliers files."""

from __future__ import annotations

from datetime import timedelta

from shelfpilot.domain.catalog import (
    DEFAULT_PRICE_FLOOR,
    DEFAULT_TIMEZONE,
    Location,
    Product,
    Supplier,
    allergen_tags,
    check_timezone,
)
from shelfpilot.domain.errors import InvalidValue, Text, phrase
from shelfpilot.domain.money import DEFAULT_CURRENCY, Money
from shelfpilot.importing import cells
from shelfpilot.importing.sheet import RowReader, Sheet, code, first_seen, limited, read_rows
from shelfpilot.importing.tables import Table

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def read_products(table: Table) -> Sheet[Product]:
    sheet = read_rows("products", table, _product)
    first_seen(
        sheet,
        lambda p: p.sku,
        lambda row: Text("this SKU is already on row {row}; keep one row per product", row=row),
        "sku",
    )
    first_seen(
        sheet,
        lambda p: p.gtin,
        lambda row: Text("this GTIN is already used by the product on row {row}", row=row),
        "gtin",
    )
    return sheet


def _product(r: RowReader) -> Product | None:
    sku = r.required("sku", code("SKU"), "SKU")
    name_en = r.optional("name_en", limited("English name", 200)) or ""
    name_zh = r.optional("name_zh", limited("Chinese name", 200)) or ""
    if r.blank_in_every("name_en", "name_zh"):
        where = "name_zh" if r.has_column("name_zh") else "name_en"
        r.fail(where, Text("missing value: give the product a name in Chinese or English"))
    category = r.required("category", limited("category", 64), "category")
    unit = r.required("unit", limited("unit", 16), "unit (e.g. 个, kg, 盒)")
    list_price = r.required("list_price", cells.price, "retail price")
    unit_cost = r.required("unit_cost", cells.money, "unit cost")
    shelf_life = _shelf_life(r)
    gtin = r.optional("gtin", _gtin)
    floor = r.optional("price_floor_ratio", cells.share) or DEFAULT_PRICE_FLOOR
    currency = r.optional("currency", _currency) or DEFAULT_CURRENCY
    allergens = r.optional("allergens", lambda v: allergen_tags(cells.text(v)))
    if (
        r.failed
        or sku is None
        or category is None
        or unit is None
        or list_price is None
        or unit_cost is None
        or shelf_life is None
    ):
        return None
    try:
        return Product(
            sku=sku,
            name_en=name_en,
            name_zh=name_zh,
            category=category,
            unit=unit,
            list_price=Money(list_price, currency),
            unit_cost=Money(unit_cost, currency),
            shelf_life=shelf_life,
            gtin=gtin,
            price_floor_ratio=floor,
            allergens=allergens,
        )
    except InvalidValue as error:
        r.fail(None, phrase(error))
        return None


def _shelf_life(r: RowReader) -> timedelta | None:
    days = r.optional("shelf_life_days", lambda v: cells.duration(v, DAY))
    hours = r.optional("shelf_life_hours", lambda v: cells.duration(v, HOUR))
    if not r.blank("shelf_life_days") and not r.blank("shelf_life_hours"):
        r.fail("shelf_life_hours", Text("give the shelf life in days or in hours, not both"))
        return None
    if r.blank_in_every("shelf_life_days", "shelf_life_hours"):
        where = "shelf_life_days" if r.has_column("shelf_life_days") else "shelf_life_hours"
        r.fail(where, Text("missing value: fill in the shelf life"))
        return None
    return days or hours


def _gtin(value: object) -> str:
    digits = cells.text(value).replace(" ", "")
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise InvalidValue("GTIN {digits!r} must be 8, 12, 13 or 14 digits", digits=digits)
    return digits


def _currency(value: object) -> str:
    found = cells.text(value).upper()
    if found in ("RMB", "人民币", "元"):
        return DEFAULT_CURRENCY
    if len(found) != 3 or not found.isalpha() or not found.isascii():
        raise InvalidValue("{value!r} is not a currency code like CNY", value=found)
    return found


def read_locations(table: Table) -> Sheet[Location]:
    sheet = read_rows("locations", table, _location)
    first_seen(
        sheet,
        lambda loc: loc.code,
        lambda row: Text(
            "this location code is already on row {row}; keep one row per location", row=row
        ),
        "code",
    )
    return sheet


def _location(r: RowReader) -> Location | None:
    location_code = r.required("code", code("location code"), "location code")
    name = r.required("name", limited("name", 200), "name")
    kind = r.required("kind", cells.location_kind, "kind (brand, distributor, store, warehouse)")
    parent = r.optional("parent", code("parent location code"))
    zone = r.optional("timezone", lambda v: check_timezone(cells.text(v))) or DEFAULT_TIMEZONE
    if parent is not None and parent == location_code:
        r.fail("parent", Text("a location cannot sit under itself"))
    if r.failed or location_code is None or name is None or kind is None:
        return None
    return Location(location_code, name, kind, parent, zone)


def read_suppliers(table: Table) -> Sheet[Supplier]:
    sheet = read_rows("suppliers", table, _supplier)
    first_seen(
        sheet,
        lambda s: s.code,
        lambda row: Text(
            "this supplier code is already on row {row}; keep one row per supplier", row=row
        ),
        "code",
    )
    return sheet


def _supplier(r: RowReader) -> Supplier | None:
    supplier_code = r.required("code", code("supplier code"), "supplier code")
    name = r.required("name", limited("name", 200), "name")
    if r.failed or supplier_code is None or name is None:
        return None
    return Supplier(supplier_code, name)

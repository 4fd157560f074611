"""What is sold and where: products, locations (brand → distributor → store,
plus warehouses) and suppliers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shelfpilot.domain.errors import InvalidValue, Text
from shelfpilot.domain.money import Money, ratio

DEFAULT_PRICE_FLOOR = Decimal("0.5")
DEFAULT_TIMEZONE = "Asia/Shanghai"
_CODE = re.compile(r"^[^\s].{0,63}$")


#: What may separate allergens in one cell: "nuts, milk", "坚果、乳制品", "nuts; gluten".
_ALLERGEN_SPLIT = re.compile(r"[,，、;；/|]")
#: The major food allergens under one name each, whichever way a shop writes
#: them (English or Chinese); other names are kept as written.
ALLERGEN_NAMES: dict[str, tuple[str, ...]] = {
    "nuts": ("nut", "tree nuts", "tree nut", "坚果", "树坚果", "果仁"),
    "peanuts": ("peanut", "花生"),
    "milk": ("dairy", "lactose", "乳", "乳制品", "乳品", "牛奶", "奶"),
    "eggs": ("egg", "鸡蛋", "蛋", "蛋类", "蛋制品"),
    "gluten": ("wheat", "麸质", "小麦", "麦麸", "谷蛋白"),
    "soy": ("soya", "soybean", "soybeans", "大豆", "黄豆", "大豆制品"),
    "sesame": ("芝麻",),
    "fish": ("鱼", "鱼类"),
    "shellfish": ("crustaceans", "molluscs", "贝类", "甲壳类", "虾", "蟹"),
}
_CANONICAL = {alias: name for name, aliases in ALLERGEN_NAMES.items() for alias in aliases}
#: written in a cell to say "no allergens" (a blank cell says nothing)
NO_ALLERGENS = frozenset({"none", "no", "无", "没有", "-"})


def allergen_tags(values: str | Iterable[str]) -> frozenset[str]:
    """Allergen names compared without case or surrounding spaces ("Nuts " is
    "nuts"), the major ones under one name ("坚果" is "nuts"); a string may hold
    several, separated by commas, 、 or ;. "none" or "无" alone means none."""
    texts = [values] if isinstance(values, str) else list(values)
    names = [n.strip().casefold() for t in texts for n in _ALLERGEN_SPLIT.split(t)]
    tags = frozenset(_CANONICAL.get(n, n) for n in names if n and n not in NO_ALLERGENS)
    if any(len(t) > 40 for t in tags) or len(",".join(tags)) > 200:
        raise InvalidValue("allergens are short names: 40 characters each, 200 in all")
    return tags


def check_code(value: str, what: str) -> str:
    value = value.strip()
    if not value or not _CODE.match(value):
        raise InvalidValue(
            "{what} must be 1-64 characters, got {value!r}", what=Text(what), value=value
        )
    return value


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name_en: str
    name_zh: str
    category: str
    unit: str
    list_price: Money
    unit_cost: Money
    shelf_life: timedelta
    gtin: str | None = None
    price_floor_ratio: Decimal = DEFAULT_PRICE_FLOOR
    #: what a blind box for someone avoiding it must leave out; None = not
    #: recorded (such a product never goes into a box that excludes any)
    allergens: frozenset[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sku", check_code(self.sku, "SKU"))
        if self.allergens is not None:
            try:
                object.__setattr__(self, "allergens", allergen_tags(self.allergens))
            except InvalidValue as error:
                raise InvalidValue("product {sku}: {error}", sku=self.sku, error=error) from None
        if not (self.name_en or self.name_zh):
            raise InvalidValue("product {sku} needs a name (English or Chinese)", sku=self.sku)
        if self.list_price.amount <= 0:
            raise InvalidValue("product {sku}: list price must be above zero", sku=self.sku)
        if self.unit_cost.amount < 0:
            raise InvalidValue("product {sku}: unit cost cannot be negative", sku=self.sku)
        if self.unit_cost.currency != self.list_price.currency:
            raise InvalidValue(
                "product {sku}: cost and list price use different currencies", sku=self.sku
            )
        if self.shelf_life <= timedelta(0):
            raise InvalidValue("product {sku}: shelf life must be positive", sku=self.sku)
        floor = ratio(self.price_floor_ratio, "price floor")
        if not Decimal(0) < floor <= Decimal(1):
            raise InvalidValue(
                "product {sku}: price floor must be a share of list price in (0, 1]", sku=self.sku
            )
        object.__setattr__(self, "price_floor_ratio", floor)
        if self.gtin is not None and not (
            self.gtin.isdigit() and len(self.gtin) in (8, 12, 13, 14)
        ):
            raise InvalidValue(
                "product {sku}: GTIN {gtin!r} must be 8, 12, 13 or 14 digits",
                sku=self.sku,
                gtin=self.gtin,
            )

    @property
    def currency(self) -> str:
        return self.list_price.currency

    @property
    def price_floor(self) -> Money:
        """The lowest price a guardrail allows (default 50 % of list: deeper hurts the brand)."""
        return self.list_price * self.price_floor_ratio

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh


class LocationKind(StrEnum):
    BRAND = "brand"
    DISTRIBUTOR = "distributor"
    STORE = "store"
    WAREHOUSE = "warehouse"


#: Which kind of location may sit under which.
ALLOWED_PARENTS: dict[LocationKind, tuple[LocationKind | None, ...]] = {
    LocationKind.BRAND: (None,),
    LocationKind.DISTRIBUTOR: (LocationKind.BRAND,),
    LocationKind.STORE: (LocationKind.BRAND, LocationKind.DISTRIBUTOR, None),
    LocationKind.WAREHOUSE: (LocationKind.BRAND, LocationKind.DISTRIBUTOR, None),
}


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            "{name!r} is not a time zone (use e.g. Asia/Shanghai)", name=name
        ) from None
    return name


@dataclass(frozen=True, slots=True)
class Location:
    code: str
    name: str
    kind: LocationKind
    parent_code: str | None = None
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", check_code(self.code, "location code"))
        object.__setattr__(self, "kind", LocationKind(self.kind))
        check_timezone(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def holds_stock(self) -> bool:
        return self.kind in (LocationKind.STORE, LocationKind.WAREHOUSE)

    def check_parent(self, parent: Location | None) -> None:
        allowed = ALLOWED_PARENTS[self.kind]
        kind = parent.kind if parent else None
        if kind not in allowed:
            under = Text(parent.kind.value if parent else "nothing")
            raise InvalidValue(
                "a {kind} cannot sit under {under}", kind=Text(self.kind.value), under=under
            )


@dataclass(frozen=True, slots=True)
class Supplier:
    code: str
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", check_code(self.code, "supplier code"))

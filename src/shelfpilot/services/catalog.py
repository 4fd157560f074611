"""Catalogue use cases: products, locations, suppliers and expiry ladders."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from shelfpilot.barcode import normalise_gtin
from shelfpilot.domain.catalog import DEFAULT_TIMEZONE, Location, Product, Supplier
from shelfpilot.domain.errors import Conflict, InvalidValue
from shelfpilot.domain.ladder import ExpiryLadder, LadderPolicy
from shelfpilot.services.adjustments import audit
from shelfpilot.storage import Database, UnitOfWork

LADDER_SCOPES = ("default", "category", "sku")


def apply_product(uow: UnitOfWork, product: Product) -> None:
    if product.gtin is not None:
        product = replace(product, gtin=normalise_gtin(product.gtin))
    uow.catalog.save_product(product)


def apply_location(uow: UnitOfWork, location: Location) -> None:
    parent = uow.catalog.location(location.parent_code) if location.parent_code else None
    location.check_parent(parent)
    uow.catalog.save_location(location)


def save_products(db: Database, products: Iterable[Product]) -> None:
    with db.transaction() as uow:
        for product in products:
            apply_product(uow, product)


def put_product(db: Database, product: Product, *, actor: str) -> bool:
    """Add or change one product; its prices and floor go to the audit log.
    True when it is new."""
    with db.transaction() as uow:
        before = uow.catalog.product(product.sku) if uow.catalog.has_product(product.sku) else None
        apply_product(uow, product)
        was, now = _terms(before), _terms(product)
        if was != now:
            audit(uow, actor, "product.set", f"product {product.sku}", was, now)
    return before is None


def _terms(product: Product | None) -> dict[str, str]:
    if product is None:
        return {}
    return {
        "list_price": str(product.list_price),
        "unit_cost": str(product.unit_cost),
        "price_floor_ratio": str(product.price_floor_ratio),
        "shelf_life": str(product.shelf_life),
    }


def save_locations(db: Database, locations: Iterable[Location]) -> None:
    with db.transaction() as uow:
        for location in locations:
            apply_location(uow, location)


def save_suppliers(db: Database, suppliers: Iterable[Supplier]) -> None:
    with db.transaction() as uow:
        for supplier in suppliers:
            uow.catalog.save_supplier(supplier)


@dataclass(frozen=True)
class LadderRule:
    scope: str
    key: str
    spec: str


def ladders(db: Database) -> tuple[list[LadderRule], str]:
    """Every ladder rule (the default first) and a tag of them all: a change
    sent with the tag it was based on is refused if someone changed them since."""
    with db.transaction(readonly=True) as uow:
        rules = _rules(uow.catalog.ladder_policy())
    return rules, _tag(rules)


def _rules(policy: LadderPolicy) -> list[LadderRule]:
    return [
        LadderRule("default", "*", policy.default.spec()),
        *(LadderRule("category", k, v.spec()) for k, v in sorted(policy.by_category.items())),
        *(LadderRule("sku", k, v.spec()) for k, v in sorted(policy.by_sku.items())),
    ]


def _tag(rules: list[LadderRule]) -> str:
    text = json.dumps([[r.scope, r.key, r.spec] for r in rules])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def set_ladder(
    db: Database,
    scope: str,
    key: str,
    spec: str,
    *,
    actor: str = "system",
    expected_tags: Collection[str] | None = None,
) -> ExpiryLadder:
    """Set the ladder for the default, a category or an SKU from its text form
    (audited). With ``expected_tags`` (the tag from ``ladders``), refused if
    the rules changed since."""
    if scope not in LADDER_SCOPES:
        raise InvalidValue("ladder scope must be one of {scopes}", scopes=", ".join(LADDER_SCOPES))
    ladder = ExpiryLadder.parse(spec)
    key = key if scope != "default" else "*"
    with db.transaction() as uow:
        uow.catalog.lock_ladders()
        if scope == "sku":
            uow.catalog.product(key)
        rules = _rules(uow.catalog.ladder_policy())
        if expected_tags is not None and _tag(rules) not in expected_tags:
            raise Conflict(
                "the expiry ladders were changed by someone else since you read them; "
                "reload them and make your change again"
            )
        before = next((r.spec for r in rules if (r.scope, r.key) == (scope, key)), "")
        uow.catalog.save_ladder(scope, key, ladder)
        audit(uow, actor, "ladder.set", f"ladder {scope} {key}", {"spec": before}, {
            "spec": ladder.spec()
        })  # fmt: skip
    return ladder


def ladder_policy(db: Database) -> LadderPolicy:
    with db.transaction(readonly=True) as uow:
        return uow.catalog.ladder_policy()


def product(db: Database, sku: str) -> Product:
    with db.transaction(readonly=True) as uow:
        return uow.catalog.product(sku)


def products(db: Database) -> list[Product]:
    with db.transaction(readonly=True) as uow:
        return uow.catalog.products()


def locations(db: Database) -> list[Location]:
    with db.transaction(readonly=True) as uow:
        return uow.catalog.locations()


def zone_for(db: Database, location: str | None = None) -> str:
    """The time zone in which to read times a user typed without one: the named
    location's, else the first store's, else the default."""
    with db.transaction(readonly=True) as uow:
        if location:
            return uow.catalog.location(location).timezone
        stores = [loc for loc in uow.catalog.locations() if loc.holds_stock]
        return stores[0].timezone if stores else DEFAULT_TIMEZONE

"""Catalogue use cases: products, locations, suppliers and expiry ladders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from shelfpilot.barcode import normalise_gtin
from shelfpilot.domain.catalog import DEFAULT_TIMEZONE, Location, Product, Supplier
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.ladder import ExpiryLadder, LadderPolicy
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


def save_locations(db: Database, locations: Iterable[Location]) -> None:
    with db.transaction() as uow:
        for location in locations:
            apply_location(uow, location)


def save_suppliers(db: Database, suppliers: Iterable[Supplier]) -> None:
    with db.transaction() as uow:
        for supplier in suppliers:
            uow.catalog.save_supplier(supplier)


def set_ladder(db: Database, scope: str, key: str, spec: str) -> ExpiryLadder:
    """Set the ladder for the default, a category or an SKU from its text form."""
    if scope not in LADDER_SCOPES:
        raise InvalidValue(f"ladder scope must be one of {', '.join(LADDER_SCOPES)}")
    ladder = ExpiryLadder.parse(spec)
    with db.transaction() as uow:
        if scope == "sku":
            uow.catalog.product(key)
        uow.catalog.save_ladder(scope, key if scope != "default" else "*", ladder)
    return ladder


def ladder_policy(db: Database) -> LadderPolicy:
    with db.transaction(readonly=True) as uow:
        return uow.catalog.ladder_policy()


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

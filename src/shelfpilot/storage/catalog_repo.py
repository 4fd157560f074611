"""Products, locations, suppliers and ladder rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shelfpilot.domain.catalog import Location, LocationKind, Product, Supplier, allergen_tags
from shelfpilot.domain.errors import NotFound
from shelfpilot.domain.ladder import DEFAULT_LADDER, ExpiryLadder, LadderPolicy
from shelfpilot.domain.money import Money
from shelfpilot.storage.errors import translate
from shelfpilot.storage.models import LadderRuleRow, LocationRow, ProductRow, SupplierRow


def _product(row: ProductRow) -> Product:
    return Product(
        sku=row.sku,
        name_en=row.name_en,
        name_zh=row.name_zh,
        category=row.category,
        unit=row.unit,
        list_price=Money(row.list_price, row.currency),
        unit_cost=Money(row.unit_cost, row.currency),
        shelf_life=timedelta(minutes=row.shelf_life_minutes),
        gtin=row.gtin,
        price_floor_ratio=row.price_floor_ratio,
        allergens=None if row.allergens is None else allergen_tags(row.allergens),
    )


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.forget()

    def forget(self) -> None:
        """Drop cached rows (after a savepoint rolled back the writes behind them)."""
        self._product_rows: dict[str, ProductRow] = {}
        self._location_rows: dict[str, LocationRow] = {}
        self._parent_codes: dict[int, str | None] = {}
        self._policy: LadderPolicy | None = None

    def _flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as error:
            raise translate(error) from error

    # products ---------------------------------------------------------------
    def product_row(self, sku: str) -> ProductRow:
        row = self._product_rows.get(sku)
        if row is None:
            row = self.session.scalar(select(ProductRow).where(ProductRow.sku == sku))
            if row is None:
                raise NotFound("unknown SKU {sku!r}: import or add the product first", sku=sku)
            self._product_rows[sku] = row
        return row

    def product(self, sku: str) -> Product:
        return _product(self.product_row(sku))

    def has_product(self, sku: str) -> bool:
        try:
            self.product_row(sku)
        except NotFound:
            return False
        return True

    def product_by_gtin(self, gtin: str) -> Product:
        row = self.session.scalar(select(ProductRow).where(ProductRow.gtin == gtin))
        if row is None:
            raise NotFound(
                "no product has GTIN {gtin}: add the GTIN to the product first", gtin=gtin
            )
        return _product(row)

    def products(self) -> list[Product]:
        return [
            _product(r) for r in self.session.scalars(select(ProductRow).order_by(ProductRow.sku))
        ]

    def save_product(self, product: Product) -> None:
        try:
            row = self.product_row(product.sku)
        except NotFound:
            row = ProductRow(sku=product.sku)
            self.session.add(row)
            self._product_rows[product.sku] = row
        row.name_en = product.name_en
        row.name_zh = product.name_zh
        row.category = product.category
        row.unit = product.unit
        row.currency = product.currency
        row.list_price = product.list_price.amount
        row.unit_cost = product.unit_cost.amount
        row.shelf_life_minutes = int(product.shelf_life.total_seconds() // 60)
        row.gtin = product.gtin
        row.price_floor_ratio = product.price_floor_ratio
        if product.allergens is not None:  # a sheet without them keeps what is known
            row.allergens = ",".join(sorted(product.allergens))

    # locations --------------------------------------------------------------
    def location_row(self, code: str) -> LocationRow:
        row = self._location_rows.get(code)
        if row is None:
            row = self.session.scalar(select(LocationRow).where(LocationRow.code == code))
            if row is None:
                raise NotFound(
                    "unknown location {code!r}: import or add the location first", code=code
                )
            self._location_rows[code] = row
        return row

    def _location(self, row: LocationRow) -> Location:
        parent = None
        if row.parent_id is not None:
            if row.parent_id not in self._parent_codes:
                self._parent_codes[row.parent_id] = self.session.scalar(
                    select(LocationRow.code).where(LocationRow.id == row.parent_id)
                )
            parent = self._parent_codes[row.parent_id]
        return Location(row.code, row.name, LocationKind(row.kind), parent, row.timezone)

    def location(self, code: str) -> Location:
        return self._location(self.location_row(code))

    def has_location(self, code: str) -> bool:
        try:
            self.location_row(code)
        except NotFound:
            return False
        return True

    def locations(self) -> list[Location]:
        rows = self.session.scalars(select(LocationRow).order_by(LocationRow.code))
        return [self._location(r) for r in rows]

    def save_location(self, location: Location) -> None:
        parent = self.location_row(location.parent_code) if location.parent_code else None
        try:
            row = self.location_row(location.code)
        except NotFound:
            row = LocationRow(code=location.code)
            self.session.add(row)
            self._location_rows[location.code] = row
        row.name = location.name
        row.kind = location.kind.value
        row.parent_id = parent.id if parent else None
        row.timezone = location.timezone
        self._flush()

    # suppliers --------------------------------------------------------------
    def supplier_id(self, code: str) -> int:
        row = self.session.scalar(select(SupplierRow).where(SupplierRow.code == code))
        if row is None:
            raise NotFound("unknown supplier {code!r}: import or add the supplier first", code=code)
        return row.id

    def save_supplier(self, supplier: Supplier) -> None:
        row = self.session.scalar(select(SupplierRow).where(SupplierRow.code == supplier.code))
        if row is None:
            self.session.add(SupplierRow(code=supplier.code, name=supplier.name))
        else:
            row.name = supplier.name
        self._flush()

    # ladder rules -----------------------------------------------------------
    def ladder_policy(self) -> LadderPolicy:
        if self._policy is None:
            default = DEFAULT_LADDER
            by_category: dict[str, ExpiryLadder] = {}
            by_sku: dict[str, ExpiryLadder] = {}
            for rule in self.session.scalars(select(LadderRuleRow)):
                ladder = ExpiryLadder.parse(rule.spec)
                if rule.scope == "default":
                    default = ladder
                elif rule.scope == "category":
                    by_category[rule.scope_key] = ladder
                else:
                    by_sku[rule.scope_key] = ladder
            self._policy = LadderPolicy(default, by_category, by_sku)
        return self._policy

    def lock_ladders(self) -> None:
        """Hold the ladders until the transaction ends, so a check of what a
        user saw and the change after it cannot interleave with another's.
        SQLite's write transactions are serialised already."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ladder_rules'))"))

    def save_ladder(self, scope: str, key: str, ladder: ExpiryLadder) -> None:
        row = self.session.scalar(
            select(LadderRuleRow).where(
                LadderRuleRow.scope == scope, LadderRuleRow.scope_key == key
            )
        )
        if row is None:
            self.session.add(LadderRuleRow(scope=scope, scope_key=key, spec=ladder.spec()))
        else:
            row.spec = ladder.spec()
        self._policy = None

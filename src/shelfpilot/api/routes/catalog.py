"""The brand's catalogue and settings: products, expiry ladders, channels.

Settings shared by many people carry an ETag: a change must send the tag it
was based on (``If-Match``), so two planners cannot overwrite each other."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from shelfpilot.api.schemas import (
    PLAIN,
    ChannelOut,
    Code,
    LadderIn,
    LadderOut,
    Limit,
    Offset,
    Page,
    ProductIn,
    ProductOut,
)
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.domain.catalog import Product
from shelfpilot.domain.money import Money
from shelfpilot.services import catalog, channels

router = APIRouter(tags=["catalogue"])
DAY = Decimal(86400)


def shared_change(db: Db, principal: Principal, what: str) -> None:
    """Products, suppliers and ladders are shared by every brand on the
    server, so only someone covering every location may change them."""
    codes = [loc.code for loc in catalog.locations(db)]
    principal.require_everywhere(Permission.MANAGE_CATALOG, codes, what)


def shared_read(db: Db, principal: Principal, what: str) -> None:
    """What mixes every brand's results (channel rates, the learned price
    response) may be read only by someone covering every location."""
    codes = [loc.code for loc in catalog.locations(db)]
    principal.require_everywhere(Permission.READ_STOCK, codes, what, read=True)


def product_out(p: Product) -> ProductOut:
    return ProductOut(
        sku=p.sku,
        name_en=p.name_en,
        name_zh=p.name_zh,
        category=p.category,
        unit=p.unit,
        list_price=p.list_price.amount,
        unit_cost=p.unit_cost.amount,
        currency=p.currency,
        shelf_life_days=(Decimal(p.shelf_life.total_seconds()) / DAY).quantize(Decimal("0.0001")),
        gtin=p.gtin,
        price_floor_ratio=p.price_floor_ratio,
        allergens=None if p.allergens is None else sorted(p.allergens),
    )


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    category: Annotated[str | None, Query(max_length=64, pattern=PLAIN)] = None,
    q: Annotated[
        str | None, Query(max_length=100, pattern=PLAIN, description="part of the SKU or a name")
    ] = None,
    sort: Literal["sku", "-sku", "category", "list_price", "-list_price"] = "sku",
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[ProductOut]:
    """The brand's products."""
    needle = (q or "").casefold()
    rows = [
        product_out(p)
        for p in catalog.products(db)
        if (category is None or p.category == category)
        and (not needle or any(needle in t.casefold() for t in (p.sku, p.name_en, p.name_zh)))
    ]
    return Page.of(rows, sort, offset, limit)


@router.get("/products/{sku}", response_model=ProductOut)
def get_product(
    sku: Annotated[str, Path(max_length=64, pattern=PLAIN)],
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
) -> ProductOut:
    return product_out(catalog.product(db, sku))


@router.put(
    "/products/{sku}",
    response_model=ProductOut,
    responses={201: {"model": ProductOut, "description": "a new product"}},
)
def put_product(
    sku: Annotated[str, Path(max_length=64, pattern=PLAIN)],
    body: ProductIn,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.MANAGE_CATALOG)],
    response: Response,
) -> ProductOut:
    """Add or replace a product (sending it again changes nothing). Prices,
    cost, floor and shelf life go to the audit log."""
    shared_change(db, principal, "products")
    product = Product(
        sku=sku,
        name_en=body.name_en,
        name_zh=body.name_zh,
        category=body.category,
        unit=body.unit,
        list_price=Money(body.list_price, body.currency),
        unit_cost=Money(body.unit_cost, body.currency),
        shelf_life=timedelta(seconds=float(body.shelf_life_days * DAY)),
        gtin=body.gtin,
        price_floor_ratio=body.price_floor_ratio,
        allergens=None if body.allergens is None else frozenset(body.allergens),
    )
    if catalog.put_product(db, product, actor=principal.name):
        response.status_code = 201
    return product_out(catalog.product(db, product.sku))


def _etag(tag: str) -> str:
    return f'"{tag}"'


@router.get("/ladders", response_model=list[LadderOut])
def list_ladders(
    db: Db, principal: Annotated[Principal, allowed(Permission.READ_STOCK)], response: Response
) -> list[LadderOut]:
    """The expiry ladders: the default, then per category and per SKU. The
    ``ETag`` header is the tag to send back with a change."""
    rules, tag = catalog.ladders(db)
    response.headers["ETag"] = _etag(tag)
    return [LadderOut(scope=r.scope, key=r.key, spec=r.spec) for r in rules]  # type: ignore[arg-type]


@router.put("/ladders/{scope}/{key}", response_model=list[LadderOut])
def put_ladder(
    scope: Literal["default", "category", "sku"],
    key: Code,
    body: LadderIn,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.MANAGE_CATALOG)],
    response: Response,
    if_match: Annotated[
        str,
        Header(
            alias="If-Match",
            max_length=100,
            description="the ETag of GET /ladders this change is based on",
        ),
    ],
) -> list[LadderOut]:
    """Set the ladder of the default (key ``*``), a category or an SKU, e.g.
    ``remind=3d:review,markdown=1d:markdown,pulled=2h:pull_off!``. Refused
    with 409 if the ladders changed since the ETag was read (``If-Match: *``
    changes them whatever they are now)."""
    shared_change(db, principal, "expiry ladders")
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    catalog.set_ladder(
        db, scope, key, body.spec, actor=principal.name, expected_tags=None if "*" in tags else tags
    )
    return list_ladders(db, principal, response)


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(
    db: Db, principal: Annotated[Principal, allowed(Permission.READ_STOCK)]
) -> list[ChannelOut]:
    """The clearance channels set up (member push, group buy, food bank, ...)
    with what they were expected to sell and what they sold (over every
    brand on the server: only an account covering all of them may read it)."""
    shared_read(db, principal, "channels")
    return [
        ChannelOut(
            code=s.configured.code,
            kind=s.configured.kind.value,
            capacity=s.configured.capacity,
            price_ratio=s.configured.price_ratio,
            sell_through=s.configured.sell_through,
            learned_sell_through=s.learned.sell_through,
            learned_price_ratio=s.learned.price_ratio,
            logistics_cost=s.configured.logistics_cost,
            learned_logistics_cost=s.learned.logistics_cost,
            offered=s.offered,
            sold=s.sold,
        )
        for s in channels.channel_status(db)
    ]

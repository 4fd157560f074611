"""Pricing guardrails: a brand's floor under every markdown."""

from __future__ import annotations

from shelfpilot.domain.catalog import Product
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.money import Money


def check_price(product: Product, price: Money, *, allow_below_floor: bool = False) -> Money:
    """Refuse a price under the product's floor (default 50 % of list: the source
    articles found deeper cuts hurt the brand) unless a manager approved it."""
    if price.currency != product.currency:
        raise InvalidValue(
            "{sku} is priced in {currency}, not {other}",
            sku=product.sku,
            currency=product.currency,
            other=price.currency,
        )
    if price.amount < 0:
        raise InvalidValue("a price cannot be negative")
    if price < product.price_floor and not allow_below_floor:
        raise InvalidValue(
            "{price} is below the floor of {floor} for {sku} "
            "({ratio:.0%} of list); a manager must approve deeper cuts",
            price=str(price),
            floor=str(product.price_floor),
            sku=product.sku,
            ratio=product.price_floor_ratio,
        )
    return price

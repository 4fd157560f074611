"""Database errors turned into domain errors a shop manager can act on."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from shelfpilot.domain.errors import Conflict


class DuplicateOperation(Conflict):
    """A concurrent writer committed the same idempotency key first."""


def translate(error: IntegrityError) -> Conflict:
    text = str(error.orig).lower()
    if "idempotency_key" in text:
        return DuplicateOperation("this request was already recorded by another client")
    if "uq_lots_place_code" in text or "lots.location_id, lots.product_id, lots.lot_code" in text:
        return Conflict("that lot code already exists for this product at this location")
    return Conflict(f"the change conflicts with existing data ({str(error.orig).splitlines()[0]})")

"""The product lifecycle table (产品生命周期表): one row per lot with what came in,
what sold, what is left, how fast it sells and where it stands on the ladder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from shelfpilot.domain.ladder import ExpiryLadder
from shelfpilot.domain.ledger import ZERO, EntryKind
from shelfpilot.domain.lots import Lot, utc

_MIN_ELAPSED = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LifecycleRow:
    location_code: str
    sku: str
    product_name: str
    lot_code: str
    received_at: datetime
    expires_at: datetime
    days_left: int
    quantity_in: Decimal
    sold: Decimal
    removed: Decimal
    on_hand: Decimal
    sales_per_day: Decimal
    days_of_cover: Decimal | None
    stage: str
    action: str


def lifecycle_row(
    lot: Lot,
    product_name: str,
    totals: Mapping[EntryKind, Decimal],
    at: datetime,
    zone: ZoneInfo,
    ladder: ExpiryLadder,
) -> LifecycleRow:
    """``totals`` are the lot's ledger quantities summed by kind up to ``at``."""

    def total(*kinds: EntryKind) -> Decimal:
        return sum((totals.get(k, ZERO) for k in kinds), ZERO)

    quantity_in = total(EntryKind.RECEIPT, EntryKind.TRANSFER_IN)
    sold = -total(EntryKind.SALE) - total(EntryKind.RETURN)
    removed = -total(EntryKind.DONATION, EntryKind.DISPOSAL, EntryKind.TRANSFER_OUT)
    on_hand = sum(totals.values(), ZERO)
    selling_until = min(utc(at), utc(lot.expires_at))
    elapsed = max(selling_until - utc(lot.received_at), _MIN_ELAPSED)
    days = Decimal(int(elapsed.total_seconds())) / Decimal(86400)
    speed = sold / days
    per_day = speed.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cover = (on_hand / speed).quantize(Decimal("0.1")) if speed > 0 else None
    stage = ladder.stage_at(lot.expires_at, at)
    return LifecycleRow(
        location_code=lot.location_code,
        sku=lot.sku,
        product_name=product_name,
        lot_code=lot.code,
        received_at=lot.received_at,
        expires_at=lot.expires_at,
        days_left=lot.days_left(at, zone),
        quantity_in=quantity_in,
        sold=sold,
        removed=removed,
        on_hand=on_hand,
        sales_per_day=per_day,
        days_of_cover=cover,
        stage=stage.code,
        action=stage.action,
    )

"""Channels as the shop set them up (a JSON spec, ``channels.codec``), and
what they achieved. Plain data in and out: storage does not import the
channels capability."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfpilot.domain.errors import NotFound
from shelfpilot.storage.models import ChannelOutcomeRow, ChannelRow


class OutcomeRecord(NamedTuple):
    channel: str
    offered: Decimal
    sold: Decimal
    revenue: Decimal
    list_value: Decimal
    at: datetime
    #: the lot the units came from, where the outcome belongs to a plan line
    lot_id: int | None = None
    #: what getting the units to the channel cost (None: not kept, as before it was)
    logistics: Decimal | None = None
    #: whether that is what the shop said it paid (else what the plan expected)
    logistics_paid: bool = False


class ChannelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, code: str) -> ChannelRow:
        row = self.session.scalar(select(ChannelRow).where(ChannelRow.code == code))
        if row is None:
            raise NotFound("unknown channel {code!r}: see `shelfpilot channels`", code=code)
        return row

    def save(self, spec: dict[str, Any], *, active: bool = True) -> None:
        code, kind = str(spec["code"]), str(spec["kind"])
        row = self.session.scalar(select(ChannelRow).where(ChannelRow.code == code))
        text = json.dumps(spec, ensure_ascii=False, sort_keys=True)
        if row is None:
            self.session.add(ChannelRow(code=code, kind=kind, spec=text, active=active))
        else:
            row.kind, row.spec, row.active = kind, text, active
        self.session.flush()

    def specs(self, *, active_only: bool = True) -> list[dict[str, Any]]:
        query = select(ChannelRow).order_by(ChannelRow.code)
        if active_only:
            query = query.where(ChannelRow.active.is_(True))
        return [json.loads(row.spec) for row in self.session.scalars(query)]

    def add_outcome(
        self,
        code: str,
        *,
        plan_line_id: int | None,
        lot_id: int | None,
        offered: Decimal,
        sold: Decimal,
        revenue: Decimal,
        list_value: Decimal,
        logistics: Decimal,
        logistics_paid: bool,
        at: datetime,
        by: str,
    ) -> None:
        self.session.add(
            ChannelOutcomeRow(
                channel_id=self._row(code).id, plan_line_id=plan_line_id, lot_id=lot_id,
                offered=offered, sold=sold, revenue=revenue, list_value=list_value,
                logistics=logistics, logistics_paid=logistics_paid, occurred_at=at,
                recorded_by=by,
            )
        )  # fmt: skip
        self.session.flush()

    def outcome_for_line(self, plan_line_id: int) -> tuple[Decimal, Decimal, Decimal | None] | None:
        """(offered, sold, logistics paid or None) already recorded for a plan
        line, if any."""
        row = self.session.scalar(
            select(ChannelOutcomeRow).where(ChannelOutcomeRow.plan_line_id == plan_line_id)
        )
        if row is None:
            return None
        return row.offered, row.sold, row.logistics if row.logistics_paid else None

    def outcomes(self) -> list[OutcomeRecord]:
        query = select(ChannelOutcomeRow, ChannelRow.code).join(
            ChannelRow, ChannelRow.id == ChannelOutcomeRow.channel_id
        )
        return [
            OutcomeRecord(
                code,
                r.offered,
                r.sold,
                r.revenue,
                r.list_value,
                r.occurred_at,
                r.lot_id,
                r.logistics,
                r.logistics_paid,
            )
            for r, code in self.session.execute(query)
        ]

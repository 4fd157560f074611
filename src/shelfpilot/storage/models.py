"""Tables. Domain objects are plain dataclasses; these rows are mapped to and
from them in ``repository.py`` so the domain never sees SQLAlchemy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shelfpilot.storage.types import Amount, Quantity, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class LocationRow(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    timezone: Mapped[str] = mapped_column(String(64))


class SupplierRow(Base):
    __tablename__ = "suppliers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class ProductRow(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), index=True)
    unit: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    list_price: Mapped[Decimal] = mapped_column(Amount)
    unit_cost: Mapped[Decimal] = mapped_column(Amount)
    shelf_life_minutes: Mapped[int] = mapped_column(Integer)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    price_floor_ratio: Mapped[Decimal] = mapped_column(Amount)
    #: sorted, comma-separated; "" for none, NULL when not recorded
    allergens: Mapped[str | None] = mapped_column(String(200))


class LotRow(Base):
    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("location_id", "product_id", "lot_code", name="uq_lots_place_code"),
        Index("ix_lots_place_expiry", "product_id", "location_id", "expires_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_code: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    produced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expiry_is_date: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal] = mapped_column(Amount)


class OperationRow(Base):
    """One business event (a sale, a receipt, a count...). Its idempotency key
    makes a retried upload a no-op; its fingerprint spots a key reused for
    different data."""

    __tablename__ = "operations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerRow(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_lot_kind", "lot_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class StageEventRow(Base):
    __tablename__ = "stage_events"
    __table_args__ = (UniqueConstraint("lot_id", "stage", name="uq_stage_events_lot_stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    stage: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LadderRuleRow(Base):
    """A ladder for a scope: 'default', a category or an SKU, as ExpiryLadder.spec() text."""

    __tablename__ = "ladder_rules"
    __table_args__ = (UniqueConstraint("scope", "scope_key", name="uq_ladder_rules_scope"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(64))
    spec: Mapped[str] = mapped_column(Text)


class ClearancePlanRow(Base):
    """One store's clearance plan for one business day."""

    __tablename__ = "clearance_plans"
    __table_args__ = (
        UniqueConstraint("location_id", "business_day", name="uq_clearance_plans_place_day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    business_day: Mapped[date] = mapped_column(Date)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    made_by: Mapped[str] = mapped_column(String(100))


class PlanLineRow(Base):
    """A proposal for one lot and the decision on it; ``version`` guards
    against two managers deciding the same line at once."""

    __tablename__ = "plan_lines"
    __table_args__ = (
        UniqueConstraint(
            "plan_id", "lot_id", "action", "channel", name="uq_plan_lines_plan_lot_action"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("clearance_plans.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    #: markdown (price and donation) or channel (units sent to a channel)
    action: Mapped[str] = mapped_column(String(24), server_default="markdown")
    channel: Mapped[str] = mapped_column(String(64), server_default="")
    units: Mapped[Decimal] = mapped_column(Quantity, server_default="0")
    detail: Mapped[str] = mapped_column(Text, server_default="{}")
    current_ratio: Mapped[Decimal] = mapped_column(Amount)
    proposed_ratio: Mapped[Decimal] = mapped_column(Amount)
    donate: Mapped[Decimal] = mapped_column(Quantity)
    left_if_held: Mapped[Decimal] = mapped_column(Quantity)
    left_with_plan: Mapped[Decimal] = mapped_column(Quantity)
    gain: Mapped[Decimal] = mapped_column(Amount)
    reason: Mapped[str] = mapped_column(Text)
    held_by_cap: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    decided_ratio: Mapped[Decimal | None] = mapped_column(Amount)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)


class AuditRow(Base):
    """Append-only: no repository method updates or deletes these rows."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(64), index=True)


class ChannelRow(Base):
    """A clearance channel as the shop set it up (``channels.Channel`` as JSON);
    the rates it is planned with are learned from its outcomes on read."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    spec: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)


class ChannelOutcomeRow(Base):
    __tablename__ = "channel_outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    plan_line_id: Mapped[int | None] = mapped_column(ForeignKey("plan_lines.id"), unique=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    offered: Mapped[Decimal] = mapped_column(Quantity)
    sold: Mapped[Decimal] = mapped_column(Quantity)
    revenue: Mapped[Decimal] = mapped_column(Amount)
    list_value: Mapped[Decimal] = mapped_column(Amount)
    #: what getting the units to the channel cost: as paid (``logistics_paid``)
    #: or as planned; None on outcomes from before it was kept
    logistics: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    logistics_paid: Mapped[bool] = mapped_column(Boolean, server_default=false())
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))


class DemandDriverRow(Base):
    """What the shop knows about a day that moves demand: a holiday, a local
    event, a planned promotion or discount, the weather (forecast or
    observed). ``location_code`` and ``sku`` are "" for "every"."""

    __tablename__ = "demand_drivers"
    __table_args__ = (UniqueConstraint("day", "location_code", "sku", "driver"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    location_code: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    driver: Mapped[str] = mapped_column(String(24))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(200))


class PreOrderRow(Base):
    """A customer's reservation to collect later (``domain.preorders``); the
    operation row under it makes a retried request a no-op."""

    __tablename__ = "pre_orders"
    __table_args__ = (Index("ix_pre_orders_day", "collect_on", "location_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    units: Mapped[Decimal] = mapped_column(Quantity)
    price_ratio: Mapped[Decimal] = mapped_column(Amount)
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    collect_on: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserRow(Base):
    """A login: its role and the location it covers (``domain.access``)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    #: the dashboard language the user picked (None: the browser's)
    language: Mapped[str | None] = mapped_column(String(8))
    #: when the user last logged out of the dashboard (earlier dashboard logins end)
    signed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKeyRow(Base):
    """A store's key for its tills. Only a digest of the key is kept; the
    prefix finds the row without scanning."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ForecastSnapshotRow(Base):
    """One day's demand as a daily run forecast it (kept to check forecasts
    against sales afterwards)."""

    __tablename__ = "forecast_snapshots"
    __table_args__ = (
        UniqueConstraint(
            "location_code", "sku", "made_on", "day", name="uq_forecast_snapshots_made_day"
        ),
        Index("ix_forecast_snapshots_day", "location_code", "sku", "day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_code: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    made_on: Mapped[date] = mapped_column(Date)
    day: Mapped[date] = mapped_column(Date)
    mean: Mapped[float] = mapped_column(Float)
    q10: Mapped[float] = mapped_column(Float)
    q90: Mapped[float] = mapped_column(Float)


class JobRow(Base):
    """Background work and its progress (``domain.jobs``). At most one queued
    or running job per location: the partial unique index keeps two server
    processes from starting the same store's run at once."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_active_location",
            "location_code",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_jobs_finished_at", "finished_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    location_code: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    asked: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(64))
    done_steps: Mapped[int] = mapped_column(Integer)
    total_steps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: JSON: the summary of a job done; the error (code, message, phrase) of one failed
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

"""The expiry ladder: stages a lot passes through as its expiry nears.

Defaults follow the three-level warning of the source articles, widened to the
six stages the spec lists: remind at 7 days, bundle at 5 days, warn at 3 days,
donation-eligible at 48 h, last 24 h, then pulled off sale. "Pulled off" needs
a threshold of its own: by default 2 h before expiry, so no unit is on the shelf
when it expires; set it to 24 h for the strict reading of "最后24小时下架".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import utc

if TYPE_CHECKING:
    from shelfpilot.domain.catalog import Product

_DURATION = re.compile(r"^\s*(\d{1,6}(?:\.\d{1,4})?)\s*([dhm])\s*$", re.IGNORECASE)
_MINUTES = {"d": 1440, "h": 60, "m": 1}


def parse_duration(text: str) -> timedelta:
    """'7d', '48h', '1.5h', '90m' → timedelta, in whole minutes (so the text
    form written back by ``spec`` reads in again as the same ladder)."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidValue("{text!r} is not a duration like 7d, 48h or 90m", text=text)
    minutes = Decimal(match.group(1)) * _MINUTES[match.group(2).lower()]
    if minutes != minutes.to_integral_value() or minutes < 1:
        raise InvalidValue("{text!r} must be a whole number of minutes, at least 1m", text=text)
    return timedelta(minutes=int(minutes))


def format_duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


@dataclass(frozen=True, slots=True)
class Stage:
    """Entered when the remaining life falls to ``before_expiry`` or less."""

    code: str
    before_expiry: timedelta
    action: str
    sellable: bool = True


FRESH = Stage("fresh", timedelta.max, "none")
EXPIRED = Stage("expired", timedelta(0), "dispose", sellable=False)

#: Default action per well-known stage code, used when a ladder spec names none.
DEFAULT_ACTIONS = {
    "remind": "review",
    "five_days": "bundle",
    "warn": "workshop_or_presale",
    "donation": "donate",
    "last_day": "blind_box",
    "pulled": "pull_off",
}


class ExpiryLadder:
    def __init__(self, stages: Iterable[Stage]) -> None:
        ordered = sorted(stages, key=lambda s: s.before_expiry, reverse=True)
        codes = [s.code for s in ordered]
        if len(set(codes)) != len(codes):
            raise InvalidValue("ladder has a stage twice: {codes}", codes=", ".join(codes))
        for stage in ordered:
            if stage.code in (FRESH.code, EXPIRED.code):
                raise InvalidValue(
                    "'{stage}' is reserved and cannot be a ladder stage", stage=stage.code
                )
            if stage.before_expiry <= timedelta(0):
                raise InvalidValue("stage {stage} must start before expiry", stage=stage.code)
        thresholds = [s.before_expiry for s in ordered]
        if len(set(thresholds)) != len(thresholds):
            raise InvalidValue("two ladder stages start at the same time before expiry")
        seen_unsellable = False
        for stage in ordered:
            if seen_unsellable and stage.sellable:
                raise InvalidValue(
                    "stage {stage} cannot be sellable after a pull-off stage", stage=stage.code
                )
            seen_unsellable = seen_unsellable or not stage.sellable
        self.stages: tuple[Stage, ...] = tuple(ordered)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpiryLadder) and self.stages == other.stages

    def __hash__(self) -> int:
        return hash(self.stages)

    def __repr__(self) -> str:
        return f"ExpiryLadder({self.spec()!r})"

    @property
    def pull_off(self) -> timedelta:
        """How long before expiry a lot leaves sale (0 = at expiry)."""
        unsellable = [s.before_expiry for s in self.stages if not s.sellable]
        return max(unsellable, default=timedelta(0))

    def stage_at(self, expires_at: datetime, at: datetime) -> Stage:
        remaining = utc(expires_at) - utc(at)
        if remaining <= timedelta(0):
            return EXPIRED
        current = FRESH
        for stage in self.stages:
            if remaining <= stage.before_expiry:
                current = stage
        return current

    def sellable_until(self, expires_at: datetime) -> datetime:
        return (utc(expires_at) - self.pull_off).astimezone(expires_at.tzinfo)

    def is_sellable(self, expires_at: datetime, at: datetime) -> bool:
        return utc(at) < utc(self.sellable_until(expires_at))

    def spec(self) -> str:
        """The text form ``parse`` reads back: ``remind=7d:review,pulled=2h:pull_off!``."""
        parts = []
        for s in self.stages:
            part = f"{s.code}={format_duration(s.before_expiry)}:{s.action}"
            parts.append(part if s.sellable else part + "!")
        return ",".join(parts)

    @classmethod
    def parse(cls, spec: str) -> ExpiryLadder:
        """Read ``code=duration[:action][!]`` items, comma separated; ``!`` (or the
        code ``pulled``) marks a stage at which the lot leaves sale."""
        stages = []
        for item in filter(None, (p.strip() for p in spec.split(","))):
            unsellable = item.endswith("!")
            item = item.rstrip("!")
            if "=" not in item:
                raise InvalidValue(
                    "ladder stage {item!r} must look like warn=3d or warn=3d:action", item=item
                )
            code, rest = (x.strip() for x in item.split("=", 1))
            duration, _, action = rest.partition(":")
            action = action.strip() or DEFAULT_ACTIONS.get(code, "review")
            sellable = not (unsellable or code == "pulled")
            stages.append(Stage(code, parse_duration(duration), action, sellable))
        if not stages:
            raise InvalidValue("a ladder needs at least one stage")
        return cls(stages)


DEFAULT_LADDER = ExpiryLadder(
    [
        Stage("remind", timedelta(days=7), "review"),
        Stage("five_days", timedelta(days=5), "bundle"),
        Stage("warn", timedelta(days=3), "workshop_or_presale"),
        Stage("donation", timedelta(hours=48), "donate"),
        Stage("last_day", timedelta(hours=24), "blind_box"),
        Stage("pulled", timedelta(hours=2), "pull_off", sellable=False),
    ]
)


@dataclass(frozen=True)
class LadderPolicy:
    """Which ladder applies to a product: its own, else its category's, else the default."""

    default: ExpiryLadder = DEFAULT_LADDER
    by_category: Mapping[str, ExpiryLadder] = field(default_factory=dict)
    by_sku: Mapping[str, ExpiryLadder] = field(default_factory=dict)

    def for_product(self, product: Product) -> ExpiryLadder:
        return self.for_sku(product.sku, product.category)

    def for_sku(self, sku: str, category: str) -> ExpiryLadder:
        if sku in self.by_sku:
            return self.by_sku[sku]
        return self.by_category.get(category, self.default)


def stage_to_record(stage: Stage, already_recorded: Iterable[str]) -> Stage | None:
    """The stage change to record now, if any: each stage is recorded once per lot,
    so the alert it raises fires once."""
    if stage is FRESH or stage.code in set(already_recorded):
        return None
    return stage

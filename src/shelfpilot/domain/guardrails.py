"""Brand guardrails on clearance: which price moves a plan may make.

Prices are ratios of list price (7折 = 0.7). A clearance only goes down (a
price that rises again teaches customers to wait), never below the floor (the
source articles found cuts deeper than 50 % off hurt the brand), never by more
than ``max_step`` at once, at most ``max_changes_per_day`` times a day for a
lot (a price that moves all day long is not one a customer can trust), and
at most ``exposure_cap`` of the products a store displays are on clearance at
one time (the seed's 20 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shelfpilot.domain.errors import InvalidValue, Text

DEFAULT_LADDER = (1.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5)


@dataclass(frozen=True)
class PriceLadder:
    """The price ratios a plan may use, dearest first."""

    ratios: tuple[float, ...] = DEFAULT_LADDER

    def __post_init__(self) -> None:
        if not self.ratios or any(not 0 < r <= 1 for r in self.ratios):
            raise InvalidValue("price ladder ratios must be above 0 and at most 1 (of list)")
        if list(self.ratios) != sorted(set(self.ratios), reverse=True):
            raise InvalidValue("price ladder ratios must be distinct and dearest first")
        if self.ratios[0] != 1.0:
            raise InvalidValue("a price ladder starts at list price (1.0)")


@dataclass(frozen=True)
class Guardrails:
    floor: float = 0.5
    max_step: float = 0.2
    exposure_cap: float = 0.2
    donation_min_hours: float = 48.0
    #: price changes a lot may have in one local day of its store
    max_changes_per_day: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.floor <= 1:
            raise InvalidValue("the price floor is a ratio of list price above 0 and at most 1")
        if self.max_step <= 0:
            raise InvalidValue("the largest price step must be above 0")
        if not 0 <= self.exposure_cap <= 1:
            raise InvalidValue("the clearance exposure cap is a share between 0 and 1")
        if self.donation_min_hours < 0:
            raise InvalidValue("the donation cut-off cannot be negative")
        if self.max_changes_per_day < 1:
            raise InvalidValue("a lot must be allowed at least one price change a day")

    def allowed(self, ratios: Sequence[float], current: float) -> list[int]:
        """Indexes of the ``ratios`` a price at ``current`` may move to next:
        the same or lower, by at most ``max_step``, not under the floor."""
        eps = 1e-9
        return [
            i
            for i, r in enumerate(ratios)
            if r <= current + eps and current - r <= self.max_step + eps and r >= self.floor - eps
        ]

    def violation(self, before: float, after: float) -> str | None:
        """Why the move ``before`` → ``after`` breaks a guardrail, or None."""
        if after > before + 1e-9:
            return Text(
                "a clearance price only goes down ({before:.0%} → {after:.0%} of list)",
                before=before,
                after=after,
            )
        if after < self.floor - 1e-9:
            return Text(
                "{after:.0%} of list is below the floor of {floor:.0%}",
                after=after,
                floor=self.floor,
            )
        if before - after > self.max_step + 1e-9:
            return Text(
                "a cut from {before:.0%} to {after:.0%} of list is larger than "
                "the largest step of {step:.0%}",
                before=before,
                after=after,
                step=self.max_step,
            )
        return None

    def changes_violation(self, made_today: int) -> str | None:
        """Why one more price change today breaks the daily limit, or None."""
        if made_today >= self.max_changes_per_day:
            return Text(
                "its price was already changed {made} time(s) today, the most a day "
                "allows is {most}; change it tomorrow, or adjust the line to the current "
                "price to post only its donation",
                made=made_today,
                most=self.max_changes_per_day,
            )
        return None

"""A clearance plan line and the manager's decision on it.

The optimiser proposes; a manager disposes. A line is a proposal for one lot
(a new price, a donation, or both) until somebody approves it as proposed,
adjusts it to another price within the guardrails, or rejects it. Once
decided it stays decided: a second decision on the same line is a conflict,
so two managers working on one plan cannot silently undo each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from shelfpilot.domain.errors import Conflict, InvalidValue, Text
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.money import RATIO_PLACES, estimate


class Decision(StrEnum):
    APPROVE = "approve"
    ADJUST = "adjust"
    REJECT = "reject"


class PlanAction(StrEnum):
    #: a new price for the lot, and what to donate now
    MARKDOWN = "markdown"
    #: units of the lot offered to a channel (``detail`` names it and the window)
    CHANNEL = "channel"
    #: the lot sold with a complementary item as one offer (``detail`` names it)
    BUNDLE = "bundle"


class LineStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ADJUSTED = "adjusted"
    REJECTED = "rejected"


DECIDED = {
    Decision.APPROVE: LineStatus.APPROVED,
    Decision.ADJUST: LineStatus.ADJUSTED,
    Decision.REJECT: LineStatus.REJECTED,
}


def as_ratio(value: float | Decimal) -> Decimal:
    """A price ratio kept to four places (0.7 = 7折)."""
    return estimate(value, 4).quantize(RATIO_PLACES)


@dataclass(frozen=True, slots=True)
class PlanLine:
    """What the plan proposes for one lot, and what became of it."""

    lot: LotKey
    current_ratio: Decimal
    proposed_ratio: Decimal
    donate: Decimal
    left_if_held: Decimal
    left_with_plan: Decimal
    gain: Decimal
    reason: str
    held_by_cap: bool = False
    status: LineStatus = LineStatus.PROPOSED
    decided_ratio: Decimal | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    version: int = 1
    line_id: int | None = None
    action: PlanAction = PlanAction.MARKDOWN
    #: units the action takes (a channel line); 0 for a markdown
    units: Decimal = Decimal(0)
    detail: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status is LineStatus.PROPOSED

    def require_approved(self, action: PlanAction, before: str) -> None:
        """Refuse what only an approved line of ``action`` allows (its outcome, its sales)."""
        if self.action is not action:
            raise InvalidValue(
                "plan line {line} is a {kind} line, not a {wanted} line",
                line=self.line_id,
                kind=Text(self.action.value),
                wanted=Text(action.value),
            )
        if self.status is not LineStatus.APPROVED:
            raise InvalidValue(
                "plan line {line} is {status}; approve it before {before}",
                line=self.line_id,
                status=Text(self.status.value),
                before=Text(before),
            )

    @property
    def cuts_price(self) -> bool:
        return self.proposed_ratio < self.current_ratio


@dataclass(frozen=True, slots=True)
class Plan:
    """One store's clearance plan for one business day."""

    location_code: str
    business_day: date
    made_at: datetime
    made_by: str
    lines: tuple[PlanLine, ...]
    plan_id: int | None = None

    def _per_lot(self, pick: str) -> Decimal:
        """A lot's lines are steps (markdown, then what channels take of what
        is left), so per lot the first step's start and the last step's end."""
        by_lot: dict[LotKey, list[PlanLine]] = {}
        for line in self.lines:
            by_lot.setdefault(line.lot, []).append(line)
        if pick == "held":
            return sum((max(x.left_if_held for x in ls) for ls in by_lot.values()), Decimal(0))
        return sum((min(x.left_with_plan for x in ls) for ls in by_lot.values()), Decimal(0))

    @property
    def expected_left_if_held(self) -> Decimal:
        return self._per_lot("held")

    @property
    def expected_left_with_plan(self) -> Decimal:
        return self._per_lot("plan")

    def left_by_lot(self) -> dict[LotKey, Decimal]:
        """Per lot, the units the plan expects it to have left when it leaves
        sale. A lot's lines are steps in order (its markdown, then what
        channels take of what is left): each step not rejected goes ahead
        (one still proposed is counted as if approved; an adjusted one with
        the figure made for the proposed price), and a rejected step stops
        the lot there with what it would have left without that step (the
        steps after it counted on it)."""
        left: dict[LotKey, Decimal] = {}
        stopped: set[LotKey] = set()
        for line in self.lines:
            if line.lot in stopped:
                continue
            if line.status is LineStatus.REJECTED:
                left[line.lot] = line.left_if_held
                stopped.add(line.lot)
            else:
                left[line.lot] = min(left.get(line.lot, line.left_with_plan), line.left_with_plan)
        return left

    @property
    def expected_gain(self) -> Decimal:
        return sum((line.gain for line in self.lines), Decimal(0))


def settle(
    line: PlanLine,
    decision: Decision | str,
    guardrails: Guardrails,
    *,
    by: str,
    at: datetime,
    ratio: Decimal | float | None = None,
    changes_today: int = 0,
) -> PlanLine:
    """The line after a manager's decision, or an error saying why it cannot be made.

    An adjustment may pick any price the guardrails allow from the lot's
    current price: not above it, not below the floor, not a larger cut than
    the largest step. A markdown that changes the price is refused when the
    lot has already had ``changes_today`` changes, the most a day allows.
    """
    decision = Decision(decision)
    require_aware(at, "decision time")
    if not by.strip():
        raise InvalidValue("say who decides (a user name)")
    if not line.is_open:
        when = line.decided_at.isoformat(timespec="minutes") if line.decided_at else "earlier"
        raise Conflict(
            "the plan line for {lot} was already {status} by {by} ({when}); reload the plan",
            lot=line.lot,
            status=Text(line.status.value),
            by=line.decided_by,
            when=when if line.decided_at else Text(when),
        )
    if decision is Decision.ADJUST and line.action is not PlanAction.MARKDOWN:
        raise InvalidValue(
            "a {kind} line is approved or rejected as a whole; "
            "to send fewer units, reject it and record what you send",
            kind=Text(line.action.value),
        )
    if decision is Decision.ADJUST:
        if ratio is None:
            raise InvalidValue("an adjustment needs the price ratio to use instead (e.g. 0.7)")
        chosen = as_ratio(ratio)
        problem = guardrails.violation(float(line.current_ratio), float(chosen))
        if problem is not None:
            raise InvalidValue(
                "cannot set {lot} to {ratio:.0%} of list: {problem}",
                lot=line.lot,
                ratio=float(chosen),
                problem=problem,
            )
    elif ratio is not None:
        raise InvalidValue(
            "only an adjustment takes a price ratio, not {decision}", decision=Text(decision.value)
        )
    else:
        chosen = line.proposed_ratio if decision is Decision.APPROVE else line.current_ratio
    if line.action is PlanAction.MARKDOWN and chosen < line.current_ratio:
        problem = guardrails.changes_violation(changes_today)
        if problem is not None:
            raise InvalidValue("cannot reprice {lot} now: {problem}", lot=line.lot, problem=problem)
    return replace(
        line,
        status=DECIDED[decision],
        decided_ratio=chosen,
        decided_by=by.strip(),
        decided_at=at,
        version=line.version + 1,
    )

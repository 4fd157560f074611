"""The audit trail: who changed what, when, and what it was before.

Records are only ever appended. ``before`` and ``after`` are small flat maps
of text (a price, a ratio, a quantity) so any adapter can show them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    subject: str
    before: Mapping[str, str] = field(default_factory=dict)
    after: Mapping[str, str] = field(default_factory=dict)
    record_id: int | None = None
    #: the store (or brand) the change happened at; None for deployment-wide
    #: settings. Who may read the record follows from it.
    location: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.at, "audit time")
        if not self.actor.strip():
            raise InvalidValue("an audit record needs the user who acted")
        if not self.action or not self.subject:
            raise InvalidValue("an audit record needs an action and a subject")
        object.__setattr__(self, "before", MappingProxyType(dict(self.before)))
        object.__setattr__(self, "after", MappingProxyType(dict(self.after)))

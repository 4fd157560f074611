"""Who may do what, where: every authorisation decision is made here.

A deployment holds brands, their distributors and stores as one location tree
(brand → distributor → store). A user is given a role and a place in that
tree; they see and change that place and everything under it, and only what
their role permits. A brand admin at the brand sees the whole brand; a store
manager sees one store; a distributor sees its stores. An API key acts as
the till of one store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from shelfpilot.domain.catalog import Location
from shelfpilot.domain.errors import Forbidden, InvalidValue, Text


class Role(StrEnum):
    BRAND_ADMIN = "brand_admin"
    PLANNER = "planner"
    STORE_MANAGER = "store_manager"
    STORE_STAFF = "store_staff"
    DISTRIBUTOR = "distributor"
    SUPPLIER = "supplier"
    #: a point-of-sale system holding a store's API key
    TILL = "till"


class Permission(StrEnum):
    READ_STOCK = "read stock"
    SELL = "record sales"
    RECEIVE = "receive stock"
    ADJUST_STOCK = "adjust stock"
    DECIDE_PLANS = "approve clearance plans"
    MANAGE_CATALOG = "manage the catalogue"
    MANAGE_USERS = "manage users"
    READ_AUDIT = "read the audit log"


_P = Permission
PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.BRAND_ADMIN: frozenset(Permission),
        Role.PLANNER: frozenset(
            {_P.READ_STOCK, _P.RECEIVE, _P.ADJUST_STOCK, _P.DECIDE_PLANS, _P.MANAGE_CATALOG}
        ),
        Role.STORE_MANAGER: frozenset(
            {_P.READ_STOCK, _P.SELL, _P.RECEIVE, _P.ADJUST_STOCK, _P.DECIDE_PLANS}
        ),
        Role.STORE_STAFF: frozenset({_P.READ_STOCK, _P.SELL, _P.RECEIVE}),
        Role.DISTRIBUTOR: frozenset({_P.READ_STOCK, _P.RECEIVE}),
        Role.SUPPLIER: frozenset(),
        Role.TILL: frozenset({_P.READ_STOCK, _P.SELL}),
    }
)

#: roles whose place must be a store (they work in one shop)
STORE_ROLES = frozenset({Role.STORE_MANAGER, Role.STORE_STAFF, Role.TILL})


@dataclass(frozen=True, slots=True)
class Principal:
    """The user (or till) behind a request, with the locations they may see."""

    name: str
    role: Role
    place: str | None  # location code; None for a supplier
    visible: frozenset[str]
    supplier: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def sees(self, location: str) -> bool:
        return location in self.visible

    def require(self, permission: Permission, location: str | None = None) -> None:
        """Raise ``Forbidden`` unless the role permits ``permission`` (at
        ``location`` when one is named)."""
        if not self.can(permission):
            raise Forbidden(
                "a {role} may not {permission}",
                role=Text(self.role.value.replace("_", " ")),
                permission=Text(permission.value),
            )
        if location is not None and not self.sees(location):
            raise Forbidden(
                "{name} may not {permission} at {location!r}: "
                "it is outside the locations this account covers",
                name=self.name,
                permission=Text(permission.value),
                location=location,
            )

    def require_everywhere(
        self, permission: Permission, locations: Iterable[str], what: str, *, read: bool = False
    ) -> None:
        """For what every brand of a deployment shares (products, ladders):
        only someone covering every location may change it (or, for what
        mixes every brand's results, ``read`` it)."""
        self.require(permission)
        if set(locations) <= self.visible:
            return
        if read:
            raise Forbidden(
                "{what} are shared by every brand on this server; only an account "
                "covering all of its locations may read them",
                what=Text(what),
            )
        raise Forbidden(
            "{what} are shared by every brand on this server; only an account "
            "covering all of its locations may change them",
            what=Text(what),
        )


def subtree(locations: Iterable[Location], root: str) -> frozenset[str]:
    """``root`` and every location under it."""
    children: dict[str | None, list[str]] = {}
    for loc in locations:
        children.setdefault(loc.parent_code, []).append(loc.code)
    seen, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


def check_assignment(role: Role, place: Location | None, supplier: str | None) -> None:
    """A role must be given the kind of place it works at."""
    if role is Role.SUPPLIER:
        if supplier is None or place is not None:
            raise InvalidValue("a supplier account names its supplier, not a location")
        return
    if place is None:
        raise InvalidValue("a {role} account needs a location (--location)", role=Text(role.value))
    if role in STORE_ROLES and place.kind.value != "store":
        raise InvalidValue(
            "a {role} works at a store; {place!r} is a {kind}",
            role=Text(role.value),
            place=place.code,
            kind=Text(place.kind.value),
        )
    if role is Role.DISTRIBUTOR and place.kind.value != "distributor":
        raise InvalidValue(
            "a distributor account needs a distributor; {place!r} is not", place=place.code
        )

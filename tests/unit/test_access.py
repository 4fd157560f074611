"""Who may do what, where (``domain.access``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfpilot.domain import Location, LocationKind
from shelfpilot.domain.access import (
    PERMISSIONS,
    Permission,
    Principal,
    Role,
    check_assignment,
    subtree,
)
from shelfpilot.domain.errors import Forbidden, InvalidValue

TREE = [
    Location("B", "Brand", LocationKind.BRAND),
    Location("D", "Distributor", LocationKind.DISTRIBUTOR, "B"),
    Location("S1", "Store 1", LocationKind.STORE, "D"),
    Location("S2", "Store 2", LocationKind.STORE, "B"),
    Location("X", "Other brand", LocationKind.BRAND),
    Location("XS", "Other store", LocationKind.STORE, "X"),
]


def test_a_place_covers_everything_under_it() -> None:
    assert subtree(TREE, "B") == {"B", "D", "S1", "S2"}
    assert subtree(TREE, "D") == {"D", "S1"}
    assert subtree(TREE, "S2") == {"S2"}
    assert subtree(TREE, "XS") == {"XS"}


def test_require_checks_role_and_place() -> None:
    manager = Principal("m", Role.STORE_MANAGER, "S1", frozenset({"S1"}))
    manager.require(Permission.SELL, "S1")
    with pytest.raises(Forbidden, match="outside the locations"):
        manager.require(Permission.SELL, "S2")
    with pytest.raises(Forbidden, match="may not manage users"):
        manager.require(Permission.MANAGE_USERS)
    supplier = Principal("s", Role.SUPPLIER, None, frozenset(), "FARM")
    with pytest.raises(Forbidden):
        supplier.require(Permission.READ_STOCK)


def test_only_the_brand_admin_manages_users_and_reads_the_audit_log() -> None:
    for role, allowed in PERMISSIONS.items():
        assert (Permission.MANAGE_USERS in allowed) == (role is Role.BRAND_ADMIN)
        assert (Permission.READ_AUDIT in allowed) == (role is Role.BRAND_ADMIN)
    assert Permission.SELL not in PERMISSIONS[Role.PLANNER]
    assert PERMISSIONS[Role.TILL] == {Permission.READ_STOCK, Permission.SELL}


def test_roles_are_given_the_right_kind_of_place() -> None:
    places = {loc.code: loc for loc in TREE}
    check_assignment(Role.STORE_MANAGER, places["S1"], None)
    check_assignment(Role.DISTRIBUTOR, places["D"], None)
    check_assignment(Role.BRAND_ADMIN, places["B"], None)
    check_assignment(Role.SUPPLIER, None, "FARM")
    for role, place in [
        (Role.STORE_MANAGER, places["B"]),
        (Role.TILL, places["D"]),
        (Role.DISTRIBUTOR, places["S1"]),
        (Role.PLANNER, None),
    ]:
        with pytest.raises(InvalidValue):
            check_assignment(role, place, None)
    with pytest.raises(InvalidValue):
        check_assignment(Role.SUPPLIER, places["B"], "FARM")


@st.composite
def trees(draw: st.DrawFn) -> list[Location]:
    """Random forests: each location's parent is an earlier one, or none."""
    n = draw(st.integers(1, 25))
    parents = [draw(st.integers(-1, i - 1)) if i else -1 for i in range(n)]
    return [
        Location(f"L{i}", f"L{i}", LocationKind.STORE, f"L{p}" if p >= 0 else None)
        for i, p in enumerate(parents)
    ]


@given(trees(), st.data())
def test_a_principal_sees_exactly_its_descendants(
    tree: list[Location], data: st.DataObject
) -> None:
    root = data.draw(st.sampled_from([loc.code for loc in tree]))
    seen = subtree(tree, root)
    parent = {loc.code: loc.parent_code for loc in tree}
    for loc in tree:
        ancestors, at = set(), loc.code
        while at is not None:
            ancestors.add(at)
            at = parent[at]
        assert (loc.code in seen) == (root in ancestors)

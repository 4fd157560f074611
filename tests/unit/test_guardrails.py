from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.clearance.exposure import Candidate, within_cap
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.guardrails import Guardrails, PriceLadder


def test_ladder_and_guardrails_refuse_nonsense() -> None:
    with pytest.raises(InvalidValue):
        PriceLadder((0.9, 0.8))
    with pytest.raises(InvalidValue):
        PriceLadder((1.0, 0.7, 0.8))
    with pytest.raises(InvalidValue):
        PriceLadder((1.0, 0.0))
    with pytest.raises(InvalidValue):
        Guardrails(floor=0)
    with pytest.raises(InvalidValue):
        Guardrails(exposure_cap=1.5)


def test_moves_and_violations() -> None:
    g = Guardrails(floor=0.5, max_step=0.2)
    ratios = PriceLadder().ratios
    assert [ratios[i] for i in g.allowed(ratios, 0.9)] == [0.9, 0.8, 0.7]
    assert [ratios[i] for i in g.allowed(ratios, 0.6)] == [0.6, 0.5]
    assert g.violation(0.7, 0.8) is not None and "only goes down" in g.violation(0.7, 0.8)  # type: ignore[operator]
    assert "below the floor" in (g.violation(0.6, 0.4) or "")
    assert "largest step" in (g.violation(1.0, 0.7) or "")
    assert g.violation(0.8, 0.6) is None


def test_cap_counts_current_clearances_and_ranks_by_gain() -> None:
    items = [
        Candidate("a", on_clearance=True, wants_markdown=True, gain=1.0),
        Candidate("b", on_clearance=False, wants_markdown=True, gain=5.0),
        Candidate("c", on_clearance=False, wants_markdown=True, gain=9.0),
        Candidate("d", on_clearance=False, wants_markdown=False, gain=0.0),
    ]
    # 10 displayed x 20 % = 2 places, one taken by "a"
    assert within_cap(items, displayed=10, cap=0.2) == {"c"}
    assert within_cap(items, displayed=20, cap=0.2) == {"b", "c"}
    assert within_cap(items, displayed=4, cap=0.2) == set()


@settings(max_examples=100, deadline=None)
@given(
    flags=st.lists(st.tuples(st.booleans(), st.booleans(), st.floats(-5, 50)), max_size=40),
    cap=st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]),
)
def test_the_cap_is_never_exceeded_by_new_markdowns(
    flags: list[tuple[bool, bool, float]], cap: float
) -> None:
    """Whatever the store shows, new markdowns never take the share of
    products on clearance above the cap, and only products that want one
    (and are not already on clearance) get one, best gains first."""
    items = [Candidate(k, on, wants, gain) for k, (on, wants, gain) in enumerate(flags)]
    allowed = within_cap(items, displayed=len(items), cap=cap)
    already = sum(c.on_clearance for c in items)
    assert already + len(allowed) <= max(already, int(cap * len(items) + 1e-9))
    assert all(items[k].wants_markdown and not items[k].on_clearance for k in allowed)  # type: ignore[index]
    refused = [
        c.gain for c in items if c.wants_markdown and not c.on_clearance and c.key not in allowed
    ]
    if allowed and refused:
        assert min(items[k].gain for k in allowed) >= max(refused)  # type: ignore[index]

"""A channel as plain data (JSON-ready dicts) and back, validated on the way in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shelfpilot.channels.model import Audience, Channel, ChannelKind, Window
from shelfpilot.domain.errors import InvalidValue


def to_spec(channel: Channel) -> dict[str, Any]:
    return {
        "code": channel.code,
        "kind": channel.kind.value,
        "name": channel.name,
        "capacity": channel.capacity,
        "windows": [
            {
                "weekdays": sorted(w.weekdays),
                "start_hour": w.start_hour,
                "end_hour": w.end_hour,
                "capacity": w.capacity,
                "sell_through": w.sell_through,
            }
            for w in channel.windows
        ],
        "sell_through": channel.sell_through,
        "price_ratio": channel.price_ratio,
        "logistics_cost": channel.logistics_cost,
        "min_hours_left": channel.min_hours_left,
        "audience": None
        if channel.audience is None
        else {
            "members": channel.audience.members,
            "consented": channel.audience.consented,
            "response_rate": channel.audience.response_rate,
            "units_per_response": channel.audience.units_per_response,
        },
        "categories": sorted(channel.categories),
        "donation_value": channel.donation_value,
    }


def from_spec(spec: Mapping[str, Any]) -> Channel:
    """A ``Channel`` from ``to_spec`` output; a missing or wrong field is an
    ``InvalidValue`` naming it."""
    try:
        audience = spec.get("audience")
        return Channel(
            code=str(spec["code"]),
            kind=ChannelKind(spec["kind"]),
            capacity=float(spec["capacity"]),
            windows=tuple(
                Window(
                    frozenset(int(d) for d in w["weekdays"]),
                    float(w["start_hour"]),
                    float(w["end_hour"]),
                    None if w.get("capacity") is None else float(w["capacity"]),
                    None if w.get("sell_through") is None else float(w["sell_through"]),
                )
                for w in spec["windows"]
            ),
            sell_through=float(spec["sell_through"]),
            price_ratio=float(spec["price_ratio"]),
            logistics_cost=float(spec.get("logistics_cost", 0.0)),
            min_hours_left=float(spec.get("min_hours_left", 0.0)),
            audience=None if audience is None else Audience(**audience),
            categories=frozenset(spec.get("categories", ())),
            donation_value=float(spec.get("donation_value", 0.0)),
            name=str(spec.get("name", "")),
        )
    except KeyError as missing:
        raise InvalidValue(f"a channel needs {missing.args[0]!r}") from None
    except (TypeError, ValueError) as error:
        if isinstance(error, InvalidValue):
            raise
        raise InvalidValue(f"channel {spec.get('code', '?')}: {error}") from None

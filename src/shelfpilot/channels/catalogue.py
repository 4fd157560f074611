"""An illustrative channel catalogue for a small bakery: every number is an
assumption to be replaced by the shop's own (``channels.learning`` moves
sell-through and price towards the outcomes it records)."""

from __future__ import annotations

from shelfpilot.channels.model import DAILY, MON_FRI, Audience, Channel, ChannelKind, Window
from shelfpilot.domain.guardrails import Guardrails


def bakery_channels(
    *,
    members: int = 2000,
    consented: int = 600,
    donation_min_hours: float = Guardrails().donation_min_hours,
) -> tuple[Channel, ...]:
    """An illustrative channel catalogue for a small bakery (the demo's
    categories: savoury, bread, pastry, cake, biscuit, confectionery).

    Every number is an assumption, a plausible starting point and nothing
    more: each shop replaces them with its own (``channels.learning`` moves
    sell-through and price ratio towards the shop's outcomes). Costs are per
    unit in the shop's currency, sized for items listed at 1.50–5.00.
    """
    baked = frozenset({"bread", "pastry", "cake"})
    keeps = frozenset({"cake", "biscuit", "confectionery"})
    return (
        Channel(
            "member-push",
            ChannelKind.MEMBER_PUSH,
            capacity=60.0,
            windows=(Window(DAILY, 16.0, 17.0),),
            sell_through=0.6,
            price_ratio=0.7,
            min_hours_left=3.0,
            # 3 % of consenting members answer a push, two items each; collected in store
            audience=Audience(members, consented, 0.03, 2.0),
            name="member app push",
        ),
        Channel(
            "corporate",
            ChannelKind.CORPORATE,
            capacity=60.0,
            windows=(Window(MON_FRI, 7.0, 9.0),),
            sell_through=0.95,
            price_ratio=0.6,
            logistics_cost=0.30,
            min_hours_left=12.0,
            categories=baked | {"biscuit"},
            name="corporate tea-break packs",
        ),
        Channel(
            "group-buy",
            ChannelKind.GROUP_BUY,
            capacity=30.0,
            windows=(Window(DAILY, 20.0, 21.0),),
            sell_through=0.8,
            price_ratio=0.55,
            logistics_cost=0.20,
            min_hours_left=18.0,
            categories=baked | keeps,
            name="community group-buy leaders",
        ),
        Channel(
            "livestream",
            ChannelKind.LIVESTREAM,
            capacity=80.0,
            windows=(Window(frozenset({4}), 19.0, 21.0),),
            # shipped the next day: the buyer needs a day and a half of life
            sell_through=0.7,
            price_ratio=0.6,
            logistics_cost=0.50,
            min_hours_left=36.0,
            categories=keeps,
            name="livestream clearance hour",
        ),
        Channel(
            "partners",
            ChannelKind.PARTNER,
            capacity=25.0,
            windows=(Window(DAILY, 7.0, 8.0),),
            sell_through=0.95,
            price_ratio=0.45,
            logistics_cost=0.25,
            min_hours_left=12.0,
            categories=baked,
            name="partner cafés and hotels",
        ),
        Channel(
            "surplus-app",
            ChannelKind.SURPLUS_APP,
            capacity=20.0,
            windows=(Window(DAILY, 18.0, 21.0),),
            # a third of list, less the platform's cut; the customer collects
            sell_through=0.85,
            price_ratio=0.3,
            min_hours_left=1.0,
            name="surplus app",
        ),
        Channel(
            "food-bank",
            ChannelKind.FOOD_BANK,
            capacity=100.0,
            windows=(Window(DAILY, 17.0, 18.0),),
            sell_through=1.0,
            price_ratio=0.0,
            logistics_cost=0.05,
            min_hours_left=donation_min_hours,
            name="food bank",
        ),
        Channel(
            "blind-box",
            ChannelKind.BLIND_BOX,
            capacity=15.0,
            windows=(Window(DAILY, 18.0, 20.0),),
            # the seed's last-24-hours box at 40 % of the list value inside;
            # the box and its card cost a little per item
            sell_through=0.7,
            price_ratio=0.4,
            logistics_cost=0.10,
            name="blind box (last hours)",
        ),
        Channel(
            "workshop",
            ChannelKind.WORKSHOP,
            # twelve seats, two items each; the fee covers materials and the host
            capacity=24.0,
            windows=(Window(frozenset({5, 6}), 14.0, 16.0),),
            sell_through=0.9,
            price_ratio=0.5,
            logistics_cost=0.40,
            categories=frozenset({"cake", "pastry", "biscuit"}),
            name="creative workshop",
        ),
        Channel(
            "presale",
            ChannelKind.PRESALE,
            # 70 % of list, collected within three days: the unit needs them
            capacity=20.0,
            windows=(Window(DAILY, 10.0, 11.0),),
            sell_through=0.5,
            price_ratio=0.7,
            min_hours_left=72.0,
            categories=keeps,
            name="pre-sale (collect within 3 days)",
        ),
    )

"""Experience bundles: sell a near-expiry item with a complement that real
customers already buy with it (mined by ``clearance.baskets``), priced as one
offer.

**What a bundle earns.** ``complements`` proposes partners; money decides
between them (``bundle_value``, ``best_bundle``): a rare but faithful partner
has few buyers to offer the bundle to. Customers who buy the partner anyway
(its demand over the anchor's remaining life, within its stock) are offered
the near-expiry anchor at ``anchor_ratio`` of list with the partner at
``partner_ratio`` of list. To such a customer the anchor costs the bundle
price less the partner's list price, a ratio ``eff`` of the anchor's list; a
share P(anchor | partner) of them would buy the anchor anyway, and a discount
multiplies that by ``eff ** elasticity`` (as in ``pricing.response``; default
-1.5). Bundles are capped by the units at risk (forecast to be left at
expiry with no action; only those are bundled). Bundles bought by customers
who would have bought the anchor anyway are *switched* sales: they pay less
and do not shrink what is left at expiry (they leave a fresher unit or a sure
sale behind, as ``markdown`` with ``displaced_loss`` = 1); the rest are
*extra* sales. Net gain over no action:

    extra × (eff × anchor list + waste cost)          extra sales, waste avoided
    − switched × (1 − eff) × anchor list              discount to anchor buyers
    − dilution × bundles × discount per bundle        brand dilution (``Economics``)

so a discounted partner costs its discount on every bundle (all bundle buyers
would have bought it at full price). Bundles drawing new partner buyers are
not counted (prudent). ``prefer_bundle`` is the spec's rule: a value-adding
action wins over a plain discount when it earns at least as much.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shelfpilot.clearance.markdown import Economics
from shelfpilot.domain.errors import InvalidValue, Text
from shelfpilot.domain.guardrails import Guardrails, PriceLadder
from shelfpilot.pricing.response import DEFAULT_ELASTICITY


@dataclass(frozen=True)
class BundleOffer:
    """A near-expiry ``anchor`` sold with a fresh ``partner`` as one offer."""

    anchor: str
    partner: str
    #: the anchor's list price, waste cost (unit cost + disposal) and dilution
    anchor_economics: Economics
    #: units of the anchor's lot forecast to be left at expiry with no action
    units_at_risk: float
    partner_price: float
    #: customers (baskets) a day buying the partner at list; units will do
    #: for single-serve items
    partner_daily_demand: float
    #: days of sale the anchor has left
    days_left: float
    #: P(anchor | partner) at list prices (``reverse_low`` of the mined pair)
    take_rate: float
    #: the anchor's price in the bundle, as a ratio of its list price
    anchor_ratio: float = 0.8
    #: the partner's price in the bundle, as a ratio of its list price
    partner_ratio: float = 1.0
    partner_cost: float = 0.0
    #: partner units in stock for the anchor's remaining life (None: ample)
    partner_stock: float | None = None
    #: the pair's lift, for the manager's words
    lift: float | None = None
    #: the anchor's age, for the manager's words
    age_days: float | None = None

    def __post_init__(self) -> None:
        if self.anchor_economics.list_price <= 0:
            raise InvalidValue("a bundle needs the anchor's list price (above zero)")
        numbers = (self.units_at_risk, self.partner_price, self.partner_daily_demand)
        if min(*numbers, self.days_left, self.partner_stock or 0.0) < 0:
            raise InvalidValue("prices, units, demand, days and stock cannot be negative")
        if not 0 <= self.take_rate <= 1:
            raise InvalidValue("the take-up rate P(anchor | partner) is a share between 0 and 1")
        if not (0 < self.anchor_ratio <= 1 and 0 < self.partner_ratio <= 1):
            raise InvalidValue("bundle prices are ratios of list above 0 and at most 1")
        if self.partner_ratio * self.partner_price < self.partner_cost - 1e-9:
            raise InvalidValue(
                "{partner} would sell below its unit cost in the bundle; "
                "discount it less or not at all",
                partner=self.partner,
            )
        if self.effective_ratio <= 0:
            raise InvalidValue(
                "the bundle would give {anchor} away: the discount on "
                "{partner} exceeds the anchor's bundle price",
                anchor=self.anchor,
                partner=self.partner,
            )

    @property
    def list_total(self) -> float:
        return self.anchor_economics.list_price + self.partner_price

    @property
    def price(self) -> float:
        """The bundle's price."""
        a = self.anchor_economics.list_price
        return self.anchor_ratio * a + self.partner_ratio * self.partner_price

    @property
    def discount(self) -> float:
        """Money off per bundle, against both items at list."""
        return self.list_total - self.price

    @property
    def effective_ratio(self) -> float:
        """What the anchor costs a customer buying the partner anyway, as a
        ratio of its list price: (bundle price − partner list) / anchor list."""
        a = self.anchor_economics.list_price
        return (self.price - self.partner_price) / a

    @property
    def partner_buyers(self) -> float:
        """Customers buying the partner over the anchor's remaining life."""
        buyers = self.partner_daily_demand * self.days_left
        return min(buyers, self.partner_stock) if self.partner_stock is not None else buyers


@dataclass(frozen=True)
class BundleValue:
    """Expected outcome of a bundle over the anchor's remaining life, against
    no action (money in the anchor's currency)."""

    offer: BundleOffer
    #: share of partner buyers taking the bundle
    acceptance: float
    bundles: float
    extra_units: float
    switched_units: float
    #: money taken for the bundles at the till
    revenue: float
    #: waste cost of the extra units, no longer binned
    waste_avoided: float
    #: discount to customers who would have bought both items at list anyway
    given_away: float
    dilution: float
    gain: float

    @property
    def units_left(self) -> float:
        """Units of the anchor still expected to be left at expiry."""
        return max(self.offer.units_at_risk - self.extra_units, 0.0)

    def describe(self) -> Text:
        """The bundle in a manager's words (a ``Text``, shown in the reader's language)."""
        o = self.offer
        item = (
            Text("the {days}-day-old {product}", days=_number(o.age_days), product=o.anchor)
            if o.age_days is not None
            else Text("the near-expiry {product}", product=o.anchor)
        )
        price = {"item": item, "partner": o.partner, "price": o.price, "total": o.list_total}
        head = (
            Text(
                "Pair {item} with {partner} (bought together {lift:.1f}× more than chance): "
                "bundle at {price:.2f} instead of {total:.2f}",
                lift=o.lift,
                **price,
            )
            if o.lift is not None
            else Text(
                "Pair {item} with {partner}: bundle at {price:.2f} instead of {total:.2f}", **price
            )
        )
        if self.bundles < 0.5:
            return Text(
                "{head}; too few {partner} buyers take it to matter, net {gain:+.2f}",
                head=head, partner=o.partner, gain=self.gain,
            )  # fmt: skip
        return Text(
            "{head}; expect {bundles} of {risk} at risk to go ({extra} of them sales it "
            "would not make), net {gain:+.2f}",
            head=head, bundles=_number(self.bundles), risk=_number(o.units_at_risk),
            extra=_number(self.extra_units), gain=self.gain,
        )  # fmt: skip


def _number(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or x >= 10 else f"{x:.1f}"


def acceptance(take_rate: float, ratio: float, elasticity: float = DEFAULT_ELASTICITY) -> float:
    """Share of partner buyers taking the anchor at ``ratio`` of its list
    price: ``take_rate × ratio ** elasticity``, at most 1."""
    if elasticity > 0:
        raise InvalidValue("a price elasticity above 0 would make a discount sell less")
    if take_rate <= 0:
        return 0.0
    return float(min(take_rate * ratio**elasticity, 1.0))


def bundle_value(offer: BundleOffer, *, elasticity: float = DEFAULT_ELASTICITY) -> BundleValue:
    """Expected bundles, extra and switched sales, and the net gain of
    ``offer`` over no action (the formula is in the module docstring)."""
    e, eff = offer.anchor_economics, offer.effective_ratio
    accept = acceptance(offer.take_rate, eff, elasticity)
    bundles = min(offer.units_at_risk, offer.partner_buyers * accept)
    # accept >= take_rate: eff <= anchor_ratio <= 1 and elasticity <= 0
    extra = bundles * (accept - offer.take_rate) / accept if accept > 0 else 0.0
    switched = bundles - extra
    waste, given = extra * e.waste_cost, switched * (1.0 - eff) * e.list_price
    dilution = e.dilution * bundles * offer.discount
    gain = extra * eff * e.list_price + waste - given - dilution
    return BundleValue(
        offer=offer,
        acceptance=accept,
        bundles=bundles,
        extra_units=extra,
        switched_units=switched,
        revenue=bundles * offer.price,
        waste_avoided=waste,
        given_away=given,
        dilution=dilution,
        gain=gain,
    )


def best_bundle(
    offer: BundleOffer,
    *,
    ladder: PriceLadder | None = None,
    guardrails: Guardrails | None = None,
    elasticity: float = DEFAULT_ELASTICITY,
) -> BundleValue:
    """The anchor's bundle price from the ladder (not under the brand's floor)
    that earns the most; on a tie the dearer one. A bundle is a new offer, not
    a step of a markdown path, so only the floor applies."""
    ratios = (ladder or PriceLadder()).ratios
    floor = (guardrails or Guardrails()).floor
    best: BundleValue | None = None
    for r in ratios:
        if r < floor - 1e-9:
            continue
        try:
            candidate = replace(offer, anchor_ratio=r)
        except InvalidValue:
            continue  # this price would give the anchor away
        value = bundle_value(candidate, elasticity=elasticity)
        if best is None or value.gain > best.gain + 1e-9:
            best = value
    if best is None:
        raise InvalidValue(
            "no bundle price of {product} on the ladder is allowed", product=offer.anchor
        )
    return best


def prefer_bundle(bundle_gain: float, markdown_gain: float, *, tolerance: float = 1e-9) -> bool:
    """The spec's rule: an action that adds value (a bundle) is chosen over a
    plain discount when it earns at least as much; ties go to the bundle. A
    bundle that earns nothing over no action is not chosen."""
    return bundle_gain > tolerance and bundle_gain >= markdown_gain - tolerance

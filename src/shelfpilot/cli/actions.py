"""Clearance commands beyond the plan itself: channels and their outcomes,
blind boxes from last-hours stock, and the cost–benefit table of one lot."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from shelfpilot.clearance.blindbox import BoxSpec
from shelfpilot.clearance.costbenefit import best_point
from shelfpilot.cli.app import At, By, Db, Key, app, who
from shelfpilot.cli.support import (
    Model,
    clearance_options,
    decimal,
    handled,
    moment,
    open_db,
    out,
    when,
)
from shelfpilot.config import DEFAULT_DB_URL
from shelfpilot.domain.catalog import allergen_tags
from shelfpilot.domain.money import show
from shelfpilot.services import blindboxes, bundling, channel_outcomes, clearance
from shelfpilot.services import channels as channel_service


@app.command("channels")
def channels_(
    defaults: Annotated[
        bool, typer.Option(help="Install the illustrative bakery channel catalogue.")
    ] = False,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Clearance channels: as set up, and the rates their outcomes taught."""
    with handled():
        database = open_db(db)
        if defaults:
            channel_service.install_defaults(database, actor=who(by))
        found = channel_service.channel_status(database)
        table = Table(title=f"Clearance channels ({len(found)})")
        for head in (
            "code",
            "kind",
            "when",
            "capacity",
            "sell-through",
            "price",
            "logistics",
            "life needed",
            "outcomes",
        ):
            table.add_column(head)
        for st in found:
            c, learned = st.configured, st.learned
            table.add_row(
                c.code, c.kind.value, "; ".join(str(w) for w in c.windows), f"{c.capacity:g}",
                f"{c.sell_through:.0%} → {learned.sell_through:.0%}",
                f"{c.price_ratio:.0%} → {learned.price_ratio:.0%}",
                f"{c.logistics_cost:.2f} → {learned.logistics_cost:.2f}",
                f"{c.min_hours_left:.0f} h", f"{st.sold:g} of {st.offered:g}",
            )  # fmt: skip
        out.print(table)
        if not found:
            out.print(
                "no channels: `shelfpilot channels --defaults` installs a bakery catalogue to edit"
            )


@app.command()
def outcome(
    line: Annotated[int, typer.Argument(help="An approved channel plan line.")],
    sold: Annotated[str, typer.Argument(help="Units the channel sold (or took).")],
    revenue: Annotated[
        str | None, typer.Option(help="Money received (default: at the channel's price).")
    ] = None,
    logistics: Annotated[
        str | None,
        typer.Option(help="What getting the units there cost (default: as the plan expected)."),
    ] = None,
    at: At = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Record what a channel sold: posted to the ledger as a sale of the lot,
    and learned from."""
    with handled():
        database = open_db(db)
        result = channel_outcomes.record_outcome(
            database, line, decimal(sold, "units sold"), actor=who(by),
            revenue=None if revenue is None else decimal(revenue, "revenue"),
            logistics=None if logistics is None else decimal(logistics, "logistics cost"),
            at=when(at, database),
        )  # fmt: skip
        verb = "already recorded" if result.replayed else "recorded"
        out.print(f"line {line} ({result.line.lot}): {verb} {sold} sold")


@app.command("bundle-sold")
def bundle_sold(
    line: Annotated[int, typer.Argument(help="An approved bundle plan line.")],
    bundles: Annotated[str, typer.Argument(help="Bundles the till sold.")],
    at: At = None,
    key: Key = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Record bundles sold at the till: the lot and its partner, each at its
    part of the bundle price, told apart in `shelfpilot feedback`."""
    with handled():
        database = open_db(db)
        result = bundling.sell_bundles(
            database, line, decimal(bundles, "bundles"), at=when(at, database), idempotency_key=key
        )
        verb = "already recorded" if result.replayed else "recorded"
        for entry in result.entries:
            out.print(f"{verb}: {show(-entry.quantity)} × {entry.lot} at {entry.unit_price}")


@app.command("blind-box")
def blind_box(
    price: Annotated[str, typer.Argument(help="The box's price, e.g. 29.90.")],
    location: Annotated[str, typer.Option("--location", "-l", help="Store code.")],
    boxes: Annotated[int, typer.Option(min=1, max=500, help="Most boxes to make.")] = 10,
    ratio: Annotated[
        float, typer.Option(help="Box price over the list value inside (the seed's 0.4).")
    ] = 0.4,
    items: Annotated[int, typer.Option(min=1, max=50, help="Most items in a box.")] = 6,
    hours: Annotated[
        float, typer.Option(help="Lots that leave sale within this many hours.")
    ] = 24.0,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            help="Leave out products with this allergen (from the catalog's allergens "
            "column); repeat or separate by commas: --exclude nuts,milk."
        ),
    ] = None,
    at: At = None,
    model: Model = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Blind boxes from the store's last-hours stock: fair boxes (list value
    inside at the target ratio), riskiest stock first. Nothing is written."""
    with handled():
        database = open_db(db)
        spec = BoxSpec(
            boxes=boxes,
            price=float(decimal(price, "box price")),
            ratio=ratio,
            max_items=items,
            exclude=allergen_tags(",".join(exclude or [])),
        )
        found = blindboxes.propose_blind_boxes(
            database, moment(at, database, location), location, spec,
            hours=hours, **clearance_options(model, db),
        )  # fmt: skip
        out.print(found.plan.describe())
        for k, box in enumerate(found.plan.boxes, 1):
            inside = ", ".join(f"{n} × {found.names.get(key, key)}" for key, n in box.contents)
            out.print(f"  box {k} (list value {box.list_value:.2f}): {inside}")
        for note in found.notes:
            out.print(f"note: {note}")


@app.command("cost-benefit")
def cost_benefit_(
    location: Annotated[str, typer.Argument(help="Store code.")],
    sku: Annotated[str, typer.Argument(help="SKU.")],
    lot: Annotated[str, typer.Argument(help="Lot code.")],
    promotion: Annotated[
        float, typer.Option(help="Fixed cost of a markdown (labels, a push).")
    ] = 0.0,
    handling: Annotated[float, typer.Option(help="Cost per unit sold on clearance.")] = 0.0,
    at: At = None,
    model: Model = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The seed's cost–benefit table for one lot: each price held to the end
    against today's, with the marginal gain and cost of each step down."""
    with handled():
        database = open_db(db)
        proposal, rows = clearance.cost_benefit_for(
            database, moment(at, database, location), location, sku, lot,
            promotion_cost=promotion, handling_cost=handling, **clearance_options(model, db),
        )  # fmt: skip
        best = best_point(rows)
        table = Table(
            title=f"Cost–benefit of clearing {proposal.product_name} lot {lot} ({show(proposal.on_hand)} on hand)"
        )
        for head in (
            "price",
            "sold",
            "left",
            "extra revenue",
            "disposal saved",
            "promotion",
            "operations",
            "dilution",
            "net",
            "marginal gain",
            "marginal cost",
        ):
            table.add_column(head)
        for r in rows:
            mark = " ←" if r is best else ""
            table.add_row(
                f"{r.ratio:.0%}{mark}", f"{r.sold:.1f}", f"{r.left:.1f}", f"{r.extra_revenue:+.2f}",
                f"{r.disposal_saved:.2f}", f"{r.promotion_cost:.2f}", f"{r.operations_cost:.2f}",
                f"{r.dilution_cost:.2f}", f"{r.net:+.2f}", f"{r.marginal_gain:+.2f}", f"{r.marginal_cost:+.2f}",
            )  # fmt: skip
        out.print(table)
        out.print(
            f"best clearance point: {best.ratio:.0%} of list (net {best.net:+.2f}); the plan proposes {proposal.ratio_now:.0%} now"
        )

"""The demo bakery's assumptions: what it stocks, how long each item keeps,
what it costs and sells for, and the expiry ladders of its short-life goods.

The till data says what sold and when, nothing else. Everything here is an
assumption made for the demo, written down so it can be read and challenged
(docs/demo.md shows the same table). Prices are 2017 Edinburgh café prices in
GBP, rounded; costs are ingredient + packaging estimates (roughly a third of
the price for baked goods, half for bought-in grocery and drinks).

Items made to order, services and non-food are not lot-tracked: a coffee or a
toastie has no batch waiting on a shelf to expire, so there is nothing for a
ladder to act on. They stay in the data (the baskets are real) but the demo
does not sell them from stock; see ``NOT_STOCKED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from types import MappingProxyType

from shelfpilot.domain.catalog import Location, LocationKind, Product
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.ladder import DEFAULT_LADDER, ExpiryLadder, LadderPolicy
from shelfpilot.domain.money import Money

CURRENCY = "GBP"
TIMEZONE = "Europe/London"
BRAND = Location("BB", "The Bread Basket", LocationKind.BRAND, None, TIMEZONE)
STORE = Location("BB-EDI", "The Bread Basket, Edinburgh", LocationKind.STORE, "BB", TIMEZONE)

#: Every morning's bake (and the weekly delivery) is on the shelf at 06:00.
#: A till line before 06:00 belongs to the previous trading day (one basket:
#: a loaf sold at 01:21 on New Year's Day, during the Hogmanay opening).
PRODUCTION_TIME = time(6, 0)
#: The daily ladder run: after the main trading hours (08:00-17:00); the few
#: evening-event baskets are replayed after it.
EVALUATION_TIME = time(18, 0)
#: What a default view of the demo looks at: mid-afternoon on its last day.
DEFAULT_VIEW_TIME = time(15, 0)
#: Production covers the day's (or week's) real sales plus this buffer.
BUFFER = Decimal("1.15")
#: Goods keeping this long or longer arrive weekly, the rest are baked daily.
WEEKLY_FROM = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_en: str
    name_zh: str
    #: The category's ladder in ``ExpiryLadder.parse`` form; None = the default ladder.
    ladder: str | None
    why: str


# Hour-scale ladders for goods made at 06:00 that keep 1-3 days. A lot carries
# a best-before date (made + shelf life - 1 day) and expires at the midnight
# that ends it. The daily run at 18:00 sees each lot once a day, so thresholds
# land on those runs: 30h before expiry is 18:00 the evening before the
# best-before day (flag it for the morning's markdown), 6h is 18:00 on that day
# (donate what is left at closing). Lots leave sale at 23:00 and are disposed
# of at the next morning check if still there.
SAME_DAY = "markdown=8h:markdown,donation=6h:donate,pulled=1h:pull_off!"
SHORT_LIFE = "last_day=30h:markdown,donation=6h:donate,pulled=1h:pull_off!"

CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        c.code: c
        for c in (
            Category(
                "savoury",
                "Sandwiches & savoury",
                "三明治与咸点",
                SAME_DAY,
                "made each morning, best before the same day: marked down from 16:00, "
                "offered for donation at 18:00, off sale at 23:00",
            ),
            Category(
                "bread",
                "Bread",
                "面包",
                SHORT_LIFE,
                "2 days: fresh on the bake day, marked down as day-old on the next, "
                "donated at its close",
            ),
            Category("pastry", "Pastries", "酥皮点心", SHORT_LIFE, "2 days, as bread"),
            Category(
                "cake",
                "Cakes & tarts",
                "蛋糕与挞",
                SHORT_LIFE,
                "3 days: marked down on the last day, donated at its close",
            ),
            Category(
                "biscuit",
                "Biscuits & traybakes",
                "饼干与烤盘点心",
                None,
                "7 days, weekly batch: the default days-scale ladder fits",
            ),
            Category(
                "confectionery", "Confectionery", "糖果", None, "14 days, weekly batch: default"
            ),
            Category("grocery", "Grocery (jars, packets)", "杂货", None, "months: default ladder"),
            Category("drink", "Bottled drinks", "瓶装饮料", None, "months: default ladder"),
        )
    }
)


@dataclass(frozen=True, slots=True)
class StockedItem:
    """A till item the demo keeps in lots."""

    item: str  # the name in the till data (also the English product name)
    sku: str
    name_zh: str
    category: str
    shelf_life_days: int
    list_price: str  # GBP
    unit_cost: str  # GBP

    @property
    def shelf_life(self) -> timedelta:
        return timedelta(days=self.shelf_life_days)

    def best_before(self, made: date) -> date:
        """The date on the label of a lot made on ``made`` (sellable through it)."""
        return made + self.shelf_life - timedelta(days=1)

    @property
    def weekly(self) -> bool:
        return self.shelf_life >= WEEKLY_FROM

    def product(self) -> Product:
        return Product(
            sku=self.sku,
            name_en=self.item,
            name_zh=self.name_zh,
            category=self.category,
            unit="pcs",
            list_price=Money(Decimal(self.list_price), CURRENCY),
            unit_cost=Money(Decimal(self.unit_cost), CURRENCY),
            shelf_life=self.shelf_life,
        )


def _items(category: str, *rows: tuple[str, str, str, int, str, str]) -> list[StockedItem]:
    return [StockedItem(i, f"BB-{s}", zh, category, d, p, c) for i, s, zh, d, p, c in rows]


# fmt: off
STOCKED: tuple[StockedItem, ...] = (
    # till item, SKU (after BB-), Chinese name, shelf life (days), price, unit cost
    *_items("savoury",
        ("Sandwich", "SANDWICH", "三明治", 1, "4.50", "1.60"),
        ("Salad", "SALAD", "沙拉", 1, "5.00", "1.80"),
        ("Frittata", "FRITTATA", "意式烘蛋饼", 1, "4.20", "1.30"),
        ("Brioche and salami", "BRIOCHE-SALAMI", "萨拉米布里欧修", 1, "3.80", "1.30"),
        ("Chicken sand", "CHICKEN-SAND", "鸡肉三明治", 1, "4.80", "1.80"),
        ("Empanadas", "EMPANADA", "阿根廷馅饼", 1, "2.80", "0.90")),
    *_items("bread",
        ("Bread", "BREAD", "面包", 2, "2.80", "0.80"),
        ("Baguette", "BAGUETTE", "法棍", 2, "2.20", "0.60"),
        ("Farm House", "FARMHOUSE", "农家面包", 2, "3.20", "0.95"),
        ("Focaccia", "FOCACCIA", "佛卡夏", 2, "3.00", "0.90")),
    *_items("pastry",
        ("Pastry", "PASTRY", "酥皮点心", 2, "2.20", "0.60"),
        ("Medialuna", "MEDIALUNA", "阿根廷牛角包", 2, "1.50", "0.40"),
        ("Muffin", "MUFFIN", "玛芬", 2, "2.20", "0.60"),
        ("Scone", "SCONE", "司康", 2, "2.00", "0.50"),
        ("Scandinavian", "SCANDINAVIAN", "北欧甜面包", 2, "2.50", "0.70"),
        ("Vegan mincepie", "VEGAN-MINCEPIE", "纯素百果馅饼", 2, "2.00", "0.60")),
    *_items("cake",
        ("Cake", "CAKE", "蛋糕", 3, "3.20", "0.90"),
        ("Bakewell", "BAKEWELL", "贝克韦尔挞", 3, "2.60", "0.70"),
        ("Victorian Sponge", "VICTORIA-SPONGE", "维多利亚海绵蛋糕", 3, "3.20", "0.90"),
        ("Lemon and coconut", "LEMON-COCONUT", "柠檬椰子蛋糕", 3, "3.00", "0.85"),
        ("Bread Pudding", "BREAD-PUDDING", "面包布丁", 3, "2.80", "0.70")),
    *_items("biscuit",
        ("Cookies", "COOKIE", "曲奇", 7, "1.50", "0.35"),
        ("Brownie", "BROWNIE", "布朗尼", 7, "2.50", "0.60"),
        ("Alfajores", "ALFAJOR", "阿根廷夹心饼", 7, "2.00", "0.55"),
        ("Tiffin", "TIFFIN", "巧克力冰箱蛋糕", 7, "2.50", "0.60"),
        ("Kids biscuit", "KIDS-BISCUIT", "儿童饼干", 7, "1.20", "0.30"),
        ("Raspberry shortbread sandwich", "RASPBERRY-SHORTBREAD", "覆盆子黄油酥饼", 7, "2.20",
         "0.55")),
    *_items("confectionery",
        ("Fudge", "FUDGE", "乳脂软糖", 14, "2.50", "0.70"),
        ("Truffles", "TRUFFLES", "松露巧克力", 14, "2.00", "0.55"),
        ("Chocolates", "CHOCOLATES", "手工巧克力", 14, "5.00", "1.80"),
        ("Caramel bites", "CARAMEL-BITES", "焦糖小方", 14, "2.50", "0.70")),
    *_items("grocery",
        ("Jam", "JAM", "果酱", 180, "4.00", "1.80"),
        ("Honey", "HONEY", "蜂蜜", 365, "6.50", "3.20"),
        ("Granola", "GRANOLA", "格兰诺拉麦片", 90, "4.50", "1.80"),
        ("Muesli", "MUESLI", "什锦麦片", 180, "4.00", "1.60"),
        ("Spread", "SPREAD", "涂抹酱", 90, "4.00", "1.80"),
        ("Dulce de Leche", "DULCE-DE-LECHE", "牛奶焦糖酱", 180, "4.50", "2.00"),
        ("Chimichurri Oil", "CHIMICHURRI", "阿根廷香草油", 90, "5.00", "2.20"),
        ("Cherry me Dried fruit", "DRIED-CHERRY", "樱桃果干", 180, "3.00", "1.40"),
        ("Bare Popcorn", "POPCORN", "爆米花", 180, "1.50", "0.70"),
        ("Crisps", "CRISPS", "薯片", 120, "1.00", "0.40"),
        ("Raw bars", "RAW-BAR", "生食能量棒", 180, "1.80", "0.80"),
        ("Coffee granules", "COFFEE-GRANULES", "速溶咖啡", 365, "4.00", "2.00"),
        ("Drinking chocolate spoons", "CHOC-SPOON", "热巧克力搅拌勺", 180, "2.50", "1.00"),
        ("Jammie Dodgers", "JAMMIE-DODGERS", "果酱夹心饼干", 180, "1.00", "0.40"),
        ("Ella's Kitchen Pouches", "ELLAS-POUCH", "婴儿果泥", 365, "1.50", "0.80"),
        ("Panatone", "PANETTONE", "潘妮托尼", 60, "8.00", "3.50")),
    *_items("drink",
        ("Coke", "COKE", "可乐", 270, "1.50", "0.50"),
        ("Mineral water", "WATER", "矿泉水", 365, "1.20", "0.30"),
        ("Juice", "JUICE", "瓶装果汁", 30, "2.20", "0.90"),
        ("My-5 Fruit Shoot", "FRUIT-SHOOT", "儿童果味饮料", 180, "1.20", "0.50"),
        ("Mighty Protein", "MIGHTY-PROTEIN", "蛋白饮品", 90, "2.50", "1.20")),
)
# fmt: on

#: Till items that are not lot-tracked, by reason.
NOT_STOCKED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "drink made to order (no batch on a shelf)": (
            "Coffee", "Tea", "Hot chocolate", "Smoothies", "Gingerbread syrup",
        ),
        "cooked or assembled to order in the kitchen": (
            "Soup", "Toast", "Spanish Brunch", "Chicken Stew", "Hearty & Seasonal",
            "Keeping It Local", "The Nomad", "Vegan Feast", "Tacos/Fajita", "Eggs", "Duck egg",
            "Bacon", "Extra Salami or Feta", "Crepes", "Tartine", "The BART", "Polenta",
            "Olum & polenta", "Pintxos", "Pick and Mix Bowls",
        ),
        "an event or service, not goods": ("Afternoon with the baker", "Argentina Night"),
        "non-food merchandise (does not expire)": (
            "Tshirt", "Postcard", "Valentine's card", "Gift voucher", "Nomad bag",
            "Fairy Doors", "Basket",
        ),
        "unclear what it is (few sales): no honest shelf life can be assumed": (
            "Siblings", "Mortimer", "Bowl Nic Pitt", "Art Tray", "Christmas common",
            "Half slice Monster", "Hack the stack",
        ),
    }
)  # fmt: skip

BY_ITEM: Mapping[str, StockedItem] = MappingProxyType({s.item: s for s in STOCKED})
NOT_STOCKED_REASON: Mapping[str, str] = MappingProxyType(
    {item: reason for reason, items in NOT_STOCKED.items() for item in items}
)


def stocked(item: str) -> StockedItem | None:
    """The lot-tracked item, None when it is not stocked; unknown items are refused
    so a new item in the data is classified on purpose, not silently dropped."""
    found = BY_ITEM.get(item)
    if found is None and item not in NOT_STOCKED_REASON:
        raise InvalidValue(
            f"the demo has no assumption for till item {item!r}: add it to "
            "shelfpilot.demo.bakery (STOCKED or NOT_STOCKED)"
        )
    return found


def products() -> list[Product]:
    return [s.product() for s in STOCKED]


def ladder_specs() -> dict[str, str]:
    """Category → ladder spec, for the categories that override the default."""
    return {c.code: c.ladder for c in CATEGORIES.values() if c.ladder is not None}


def ladder_policy() -> LadderPolicy:
    ladders = {code: ExpiryLadder.parse(spec) for code, spec in ladder_specs().items()}
    return LadderPolicy(DEFAULT_LADDER, ladders)


def _check() -> None:
    skus = [s.sku for s in STOCKED]
    if len(set(skus)) != len(skus):
        raise InvalidValue("demo bakery: an SKU is listed twice")
    both = set(BY_ITEM) & set(NOT_STOCKED_REASON)
    if both:
        raise InvalidValue(f"demo bakery: {sorted(both)} are both stocked and not stocked")
    unknown = {s.category for s in STOCKED} - set(CATEGORIES)
    if unknown:
        raise InvalidValue(f"demo bakery: unknown categories {sorted(unknown)}")


_check()

"""Channel allocation: sending at-risk units to the outlets that recover the
most for them (member push, corporate orders, group-buy leaders, livestream,
partner cafés and hotels, surplus apps, the store's blind box, workshops,
pre-sale, the food bank), within each channel's
capacity per time window, and learning each channel's rates from outcomes.

``model`` defines a ``Channel``; ``catalogue`` an illustrative bakery set; ``allocation`` solves the linear programme
(HiGHS via SciPy); ``learning`` updates sell-through and price ratio.
"""

from shelfpilot.channels.allocation import (
    Allocation,
    AtRiskLot,
    ChannelPlan,
    allocate,
)
from shelfpilot.channels.catalogue import bakery_channels
from shelfpilot.channels.learning import (
    PRIOR_STRENGTH,
    ChannelOutcome,
    learn,
    learn_all,
    outcomes_from_frame,
)
from shelfpilot.channels.model import (
    DAILY,
    MON_FRI,
    Audience,
    Channel,
    ChannelKind,
    ChannelWindow,
    Window,
    open_windows,
)

__all__ = [
    "DAILY",
    "MON_FRI",
    "PRIOR_STRENGTH",
    "Allocation",
    "AtRiskLot",
    "Audience",
    "Channel",
    "ChannelKind",
    "ChannelOutcome",
    "ChannelPlan",
    "ChannelWindow",
    "Window",
    "allocate",
    "bakery_channels",
    "learn",
    "learn_all",
    "open_windows",
    "outcomes_from_frame",
]

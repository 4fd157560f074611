"""The demo bakery the integration tests share (built by the ``demo`` fixture)."""

from datetime import date

#: the demo's history ends here: enough for a forecast, quick to build
DEMO_UNTIL = date(2016, 12, 15)

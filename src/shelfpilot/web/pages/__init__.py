"""One module per page (or group of pages); each is a router of thin
handlers: read the form, call a service, render a template."""

from shelfpilot.web.pages import auth, forecast, imports, lots, plan, results, settings, today

ROUTERS = (
    auth.router, today.router, lots.router, plan.router, forecast.router, results.router,
    imports.router, settings.router,
)  # fmt: skip

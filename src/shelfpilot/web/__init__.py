"""The dashboard: server-rendered pages in Chinese or English (Jinja2 with
Babel catalogues), htmx for in-page actions and Apache ECharts for charts,
both bundled in ``static/vendor`` so it works offline. Mounted at ``/app``
by ``shelfpilot serve``; the same accounts, permissions and services as the API."""

"""Use cases. Each is one transaction; the CLI, API, dashboard and jobs call
these and never the database directly."""

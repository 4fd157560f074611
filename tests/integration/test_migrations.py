from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shelfpilot.storage import Database
from shelfpilot.storage.database import alembic_config
from shelfpilot.storage.models import Base


def test_migrations_build_exactly_the_models(db: Database) -> None:
    """A model change without its Alembic migration fails here."""
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    db.migrate()
    assert db.is_initialised()


def test_audit_records_about_a_lot_get_its_location(tmp_path: Path) -> None:
    """0008 fills the new location column from records written before it."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    with db.engine.begin() as connection:
        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
        connection.execute(
            text(
                "INSERT INTO audit_log (recorded_at, actor, action, subject, before, after) VALUES "
                "('2026-11-20 08:00:00', 'ann', 'price.change', 'lot L1 of CAKE at S1', '{}', '{}'),"
                "('2026-11-20 08:00:00', 'ann', 'channel.set', 'channel app', '{}', '{}')"
            )
        )
    db.migrate()
    with db.transaction(readonly=True) as uow:
        found = {r.subject: r.location for r in uow.audit.records()}
    db.close()
    assert found == {"lot L1 of CAKE at S1": "S1", "channel app": None}

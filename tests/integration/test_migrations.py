from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shelfpilot.storage import Database
from shelfpilot.storage.models import Base


def test_migrations_build_exactly_the_models(db: Database) -> None:
    """A model change without its Alembic migration fails here."""
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    db.migrate()
    assert db.is_initialised()

"""On PostgreSQL: pg_trgm GIN indexes for the objection log's search (Japanese has no spaces to split words on).

Django's ``icontains`` is ``UPPER(column::text) LIKE UPPER('%...%')`` on PostgreSQL, so the indexes are
on that expression; they serve queries of three characters or more. SQLite scans (its LIKE is the
portable fallback). Nothing to do on SQLite.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

COLUMNS = ("said", "answer", "tags")


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS buyers_objection_{column}_trgm"
            f" ON buyers_objection USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS buyers_objection_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("buyers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

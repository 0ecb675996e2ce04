"""Each snapshot's moves up and down (every owner together) since the snapshot its migration was counted against (issue 18).

Home reads the two totals from the snapshot instead of summing its SnapshotMigration rows (127,000 at
a million accounts). New snapshots store them in the statement that counts the migration; the ones
already kept get them here, summed from those rows (one UPDATE). A snapshot with no counted
migration keeps NULL (its moves are counted live).
"""

from django.db import migrations, models

MOVED = "m.from_zone IS NOT NULL AND m.from_zone <> m.to_zone"
UP = "(m.to_zone = 'A' AND m.from_zone IN ('B', 'C', '')) OR (m.to_zone = 'B' AND m.from_zone IN ('C', '')) OR (m.to_zone = 'C' AND m.from_zone = '')"


def fill_in(apps, schema_editor):  # type: ignore[no-untyped-def]
    rows = "FROM portfolio_snapshotmigration m WHERE m.snapshot_id = portfolio_snapshot.id AND m.previous_id = portfolio_snapshot.migration_previous_id"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE portfolio_snapshot SET"
            f" moves_up = (SELECT COALESCE(SUM(m.accounts) FILTER (WHERE {MOVED} AND ({UP})), 0) {rows}),"
            f" moves_down = (SELECT COALESCE(SUM(m.accounts) FILTER (WHERE {MOVED} AND NOT ({UP})), 0) {rows})"
            " WHERE migration_previous_id IS NOT NULL"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0011_snapshot_cutoffs'),
    ]

    operations = [
        migrations.AddField(
            model_name='snapshot',
            name='moves_down',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='snapshot',
            name='moves_up',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop),
    ]

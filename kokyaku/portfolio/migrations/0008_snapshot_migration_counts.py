"""SnapshotMigration: the zone migration per owner, counted when a snapshot is made (issue 18).

Every snapshot already kept gets its counts against the one just before it (one INSERT ... SELECT each).
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_counts(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kokyaku.portfolio.services import count_migration

    Snapshot = apps.get_model("portfolio", "Snapshot")
    ids = list(Snapshot.objects.order_by("as_of", "created_at", "id").values_list("id", flat=True))
    for previous_id, snapshot_id in zip(ids, ids[1:]):
        count_migration(snapshot_id, previous_id)


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0007_snapshot_row_id_bounds'),
    ]

    operations = [
        migrations.AddField(
            model_name='snapshot',
            name='migration_previous',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='portfolio.snapshot'),
        ),
        migrations.CreateModel(
            name='SnapshotMigration',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('owner_id', models.BigIntegerField(blank=True, null=True)),
                ('from_zone', models.CharField(blank=True, max_length=1, null=True)),
                ('to_zone', models.CharField(blank=True, default='', max_length=1)),
                ('accounts', models.PositiveIntegerField(default=0)),
                ('previous', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolio.snapshot')),
                ('snapshot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='migration_counts', to='portfolio.snapshot')),
            ],
            options={
                'verbose_name': 'zone migration count',
                'verbose_name_plural': 'zone migration counts',
            },
        ),
        migrations.RunPython(fill_counts, migrations.RunPython.noop),
    ]

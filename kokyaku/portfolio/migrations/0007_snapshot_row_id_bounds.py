"""Snapshot.row_id_min / row_id_max: the id range of a snapshot's rows, stored so that reading them
in one pass needs no MIN/MAX(id) over every snapshot's rows (issue 18). Existing snapshots get theirs
from one GROUP BY over the rows."""

from django.db import migrations, models
from django.db.models import Max, Min


def fill_bounds(apps, schema_editor):  # type: ignore[no-untyped-def]
    Snapshot = apps.get_model("portfolio", "Snapshot")
    SnapshotRow = apps.get_model("portfolio", "SnapshotRow")
    bounds = SnapshotRow.objects.order_by().values("snapshot_id").annotate(lo=Min("id"), hi=Max("id"))
    for b in bounds:
        Snapshot.objects.filter(pk=b["snapshot_id"]).update(row_id_min=b["lo"], row_id_max=b["hi"])


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0006_lifecycle_at_risk_churned"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshot",
            name="row_id_max",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="row_id_min",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_bounds, migrations.RunPython.noop),
    ]

"""An open deal's expected close date gets its own column, ``expected_close_on``.

Until now an open deal could only carry its expected close date in ``closed_on`` (imports did
that), while ``deal_update`` cleared ``closed_on`` on every open deal. The data step moves those
dates over in one UPDATE per direction, so it runs in seconds on millions of deals. The indexes:
the (status, closed_on) one becomes a covering (status, closed_on, currency, amount) one, and the
pipeline gets (status, expected_close_on); both are built after the data step, once.
"""

from django.db import migrations, models
from django.db.models import F


def move_open_close_dates(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Move each open deal's ``closed_on`` to ``expected_close_on`` and clear it (one UPDATE)."""
    Deal = apps.get_model("crm", "Deal")
    # Both databases evaluate every SET expression against the row as it was, so the date moves.
    Deal.objects.filter(status="open", closed_on__isnull=False).update(expected_close_on=F("closed_on"), closed_on=None)


def restore_open_close_dates(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Put each open deal's ``expected_close_on`` back in ``closed_on``, where it lived before (one UPDATE)."""
    Deal = apps.get_model("crm", "Deal")
    Deal.objects.filter(status="open", expected_close_on__isnull=False).update(closed_on=F("expected_close_on"))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_fk_indexes_served_by_composites"),
    ]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="expected_close_on",
            field=models.DateField(
                blank=True,
                help_text=(
                    "When the rep expects an open deal to close: it puts the deal in that period's pipeline and ヨミ. "
                    "Kept after the deal closes, as the forecast it was."
                ),
                null=True,
                verbose_name="expected close date",
            ),
        ),
        migrations.AlterField(
            model_name="deal",
            name="closed_on",
            field=models.DateField(
                blank=True,
                help_text="When a won or lost deal closed. Empty while the deal is open.",
                null=True,
                verbose_name="closed on",
            ),
        ),
        migrations.RunPython(move_open_close_dates, restore_open_close_dates, elidable=False),
        migrations.RemoveIndex(
            model_name="deal",
            name="crm_deal_status_bda7d6_idx",
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["status", "closed_on", "currency", "amount"], name="crm_deal_status_closed_cover"),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["status", "expected_close_on"], name="crm_deal_status_expected_idx"),
        ),
    ]

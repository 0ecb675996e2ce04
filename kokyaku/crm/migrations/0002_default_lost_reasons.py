"""The default lost reasons, in the order Japanese sales teams usually list them."""

from django.db import migrations

DEFAULTS = [
    ("price", "価格・予算", "Price / budget"),
    ("features", "機能・要件", "Features / requirements"),
    ("competitor", "競合", "Competitor"),
    ("timing", "タイミング", "Timing"),
    ("no_need", "必要性なし", "No need"),
    ("rejected", "決裁否決", "Rejected at approval"),
    ("relationship", "関係性", "Relationship"),
    ("other", "その他", "Other"),
]


def add_defaults(apps, schema_editor):  # type: ignore[no-untyped-def]
    LostReason = apps.get_model("crm", "LostReason")
    for position, (code, ja, en) in enumerate(DEFAULTS):
        LostReason.objects.get_or_create(code=code, defaults={"label_ja": ja, "label_en": en, "position": position})


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]

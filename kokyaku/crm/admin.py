from typing import Any

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from kokyaku.crm.models import Account, Activity, CompanySettings, Deal, LostReason, Rep, Target, Team


@admin.register(CompanySettings)
class CompanySettingsAdmin(admin.ModelAdmin[CompanySettings]):
    list_display = ["__str__", "currency", "fiscal_year_start_month", "dormancy_days"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    search_fields = ["name"]


@admin.register(Rep)
class RepAdmin(admin.ModelAdmin[Rep]):
    list_display = ["name", "team", "tier", "capacity", "active", "user"]
    list_filter = ["team", "tier", "active"]
    search_fields = ["name", "email", "external_id"]
    raw_id_fields = ["user"]


class VersionedAdmin:
    """An edit in Django admin bumps the record's version too: an edit form opened before it is refused (crm.conflicts)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change:
            obj.refresh_from_db(fields=["version"])


@admin.register(Account)
class AccountAdmin(VersionedAdmin, admin.ModelAdmin[Account]):
    list_display = ["external_id", "name", "industry", "region", "owner", "buyer_type"]
    list_filter = ["buyer_type", "industry", "region"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["owner"]
    show_full_result_count = False  # a COUNT(*) per page is slow at a million rows


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin[LostReason]):
    list_display = ["code", "label_ja", "label_en", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(Deal)
class DealAdmin(VersionedAdmin, admin.ModelAdmin[Deal]):
    list_display = [
        "external_id", "name", "account", "owner", "amount", "currency", "stage", "status", "opened_on",
        "expected_close_on", "closed_on",
    ]  # fmt: skip
    list_filter = ["status", "lost_reason"]
    search_fields = ["external_id", "name", "account__name"]
    raw_id_fields = ["account", "owner"]
    date_hierarchy = "opened_on"
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    list_display = ["occurred_at", "kind", "account", "rep", "minutes"]
    list_filter = ["kind"]
    raw_id_fields = ["account", "rep", "deal"]
    show_full_result_count = False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Target]):
    list_display = ["rep", "period_start", "period_end", "amount"]
    list_filter = ["rep__team"]

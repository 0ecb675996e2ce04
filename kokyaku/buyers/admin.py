from django.contrib import admin

from kokyaku.buyers.models import KeyPerson, Objection, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The catalogue the suggestion reads: launch dates and which products are risk-reducing services."""

    list_display = ("name", "launched_on", "service")
    search_fields = ("name",)


@admin.register(KeyPerson)
class KeyPersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "account", "role", "influence", "stance")
    raw_id_fields = ("account",)
    search_fields = ("name",)


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("date", "account", "tags", "said")
    raw_id_fields = ("account", "deal", "rep")

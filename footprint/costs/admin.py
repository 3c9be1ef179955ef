from django.contrib import admin

from footprint.costs.models import PriceEntry, PriceOverride


@admin.register(PriceEntry)
class PriceEntryAdmin(admin.ModelAdmin):
    list_display = ("cloud", "region", "key", "accelerator", "gpus_per_instance", "usd_per_hour", "source", "as_of")
    list_filter = ("cloud", "kind", "source")
    search_fields = ("key", "accelerator", "note")


@admin.register(PriceOverride)
class PriceOverrideAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "effective_from", "created_by", "created_at")
    list_filter = ("kind", "cloud")
    raw_id_fields = ("source",)

    def save_model(self, request, obj, form, change):
        if not obj.created_by:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)

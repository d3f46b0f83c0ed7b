from django.contrib import admin
from django.db import models
from markdownx.widgets import AdminMarkdownxWidget

from .models import Drug, Faq, Ingredient, Section, SideEffect

admin.site.site_header = "Drug monograph portal"
admin.site.site_title = "Monograph portal admin"
admin.site.index_title = "Monographs"


class MarkdownEditor(AdminMarkdownxWidget):
    """markdownx's admin editor, plus a script that shows why an upload was refused."""

    class Media:
        js = ["js/editor.js"]


MARKDOWN_EDITOR = {models.TextField: {"widget": MarkdownEditor}}


class IngredientInline(admin.TabularInline):
    model = Ingredient
    fk_name = "combination"
    extra = 0
    fields = ["position", "name"]
    verbose_name_plural = "Ingredients (for a combination product)"


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = [("position", "kind", "heading"), "body"]
    formfield_overrides = MARKDOWN_EDITOR

    def get_queryset(self, request):
        # Each form is titled with the section's str(), which names its drug.
        return super().get_queryset(request).select_related("drug")


class SideEffectInline(admin.TabularInline):
    model = SideEffect
    extra = 0
    fields = ["position", "name", "detail", "severity", "frequency", "body_system", "tier_label"]


class FaqInline(admin.StackedInline):
    model = Faq
    extra = 0
    fields = ["position", "question", "answer"]
    formfield_overrides = MARKDOWN_EDITOR


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ["title", "generic_name", "status", "reviewed_on", "updated"]
    list_filter = ["status", "side_effects__severity", "reviewed_on", "review_due"]
    search_fields = ["title", "generic_name", "brand_names"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["version", "created", "updated", "source_path"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "generic_name", "brand_names", "status"]}),
        ("Introduction", {"fields": ["introduction"]}),
        ("Review", {"fields": ["reviewed_by", "reviewed_on", "review_due"]}),
        ("Record", {"fields": ["version", "created", "updated", "source_path"]}),
    ]
    formfield_overrides = MARKDOWN_EDITOR
    inlines = [IngredientInline, SectionInline, SideEffectInline, FaqInline]
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ["reviewed_by"]

"""The Django admin as a back office: every model, with inlines, search and filters.

Day-to-day editing happens in the designer; the admin is for support work
(finding an object by its public number, inspecting what the sandbox holds).
Public numbers are read-only here as everywhere.
"""

import re

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist

from . import models

READONLY_TRACKING = ("public_number", "version", "remote_id", "remote_change_indicator")
_REST_NAME = re.compile(r"(?:[A-Z][a-z]+){2,}")  # a verbose name that is the remote's attribute name


def human_label(verbose_name: str) -> str:
    """ "OrchestrationStageNumber" -> "Orchestration stage number"; other labels as they are."""
    if not _REST_NAME.fullmatch(verbose_name):
        return verbose_name
    words = re.findall(r"[A-Z][a-z]*", verbose_name)
    text = " ".join(w.lower() for w in words)
    return (text[0].upper() + text[1:]).removesuffix(" id") + (" ID" if text.endswith(" id") else "")


class HumanLabels:
    """Columns and form labels in words: the models' verbose names are the REST attribute names
    (the payload speaks them), which the admin showed as ORCHESTRATIONNAME. The REST name stays
    in each field's help text, where support staff comparing with the pod look for it."""

    @admin.display(description="Number", ordering="number")
    def public_number(self, obj):
        return obj.number

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        label = str(db_field.verbose_name)
        if formfield is not None and human_label(label) != label:
            formfield.label = human_label(label)
            formfield.help_text = " ".join(filter(None, [str(formfield.help_text), f"REST attribute {label}."]))
        return formfield

    def get_list_display(self, request):
        return [self._column(name) for name in super().get_list_display(request)]

    def _column(self, name):
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        label = str(getattr(field, "verbose_name", name))
        if human_label(label) == label:
            return name

        def value(obj):
            return getattr(obj, f"get_{name}_display")() if getattr(field, "choices", None) else getattr(obj, name)

        value.__name__ = f"{name}_column"
        return admin.display(description=human_label(label), ordering=name)(value)


def _orchestration_id(obj) -> int | None:
    """The orchestration a draft object belongs to (None for an object the admin has not saved)."""
    for path in ("step__stage__orchestration_id", "stage__orchestration_id", "orchestration_id", "pk"):
        value = obj
        for part in path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        else:
            return value
    return None


class CountsDraftWrites(HumanLabels):
    """An edit made here is a write to the draft like any other: it moves the draft's `tree_revision` on,
    so the designer does not keep problems it validated before the edit."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if (orchestration_id := _orchestration_id(form.instance)) is not None:
            models.bump_tree_revision(orchestration_id)

    def delete_model(self, request, obj):
        orchestration_id = _orchestration_id(obj)
        super().delete_model(request, obj)
        if orchestration_id is not None:
            models.bump_tree_revision(orchestration_id)

    def delete_queryset(self, request, queryset):
        orchestration_ids = {_orchestration_id(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        for orchestration_id in orchestration_ids - {None}:
            models.bump_tree_revision(orchestration_id)


class StageInline(HumanLabels, admin.TabularInline):
    model = models.Stage
    fields = ("display_sequence", "name", "lifecycle_attr_value", "public_number")
    readonly_fields = ("public_number",)
    extra = 0
    show_change_link = True


class ObjectiveInline(HumanLabels, admin.TabularInline):
    model = models.StageObjective
    fields = ("display_sequence", "name", "description", "public_number")
    readonly_fields = ("public_number",)
    extra = 0


class StepInline(HumanLabels, admin.TabularInline):
    model = models.Step
    fields = ("display_sequence", "name", "step_type", "public_number")
    readonly_fields = ("public_number",)
    extra = 0
    show_change_link = True


class StepTaskInline(HumanLabels, admin.TabularInline):
    model = models.StepTask
    fields = (
        "display_sequence",
        "activity_template_id",
        "activity_id",
        "smart_action_id",
        "assigned_to",
        "public_number",
    )
    readonly_fields = ("public_number",)
    extra = 0


class AssociationInline(HumanLabels, admin.TabularInline):
    model = models.StepObjectiveAssociation
    fields = ("objective", "public_number")
    readonly_fields = ("public_number",)
    raw_id_fields = ("objective",)
    extra = 0


@admin.register(models.Orchestration)
class OrchestrationAdmin(CountsDraftWrites, admin.ModelAdmin):
    list_display = ("name", "number", "object_code", "status", "updated_at", "updated_by")
    list_filter = ("status", "object_code")
    search_fields = ("name", "number", "description")
    readonly_fields = ("version", "remote_id", "remote_change_indicator", "created_at", "updated_at", "updated_by")
    inlines = [StageInline]


@admin.register(models.Stage)
class StageAdmin(CountsDraftWrites, admin.ModelAdmin):
    list_display = ("name", "number", "orchestration", "display_sequence", "lifecycle_attr_value")
    list_filter = ("orchestration",)
    search_fields = ("name", "number", "lifecycle_attr_value", "orchestration__number")
    readonly_fields = READONLY_TRACKING
    list_select_related = ("orchestration",)
    inlines = [ObjectiveInline, StepInline]


@admin.register(models.StageObjective)
class StageObjectiveAdmin(CountsDraftWrites, admin.ModelAdmin):
    list_display = ("name", "number", "stage", "display_sequence")
    search_fields = ("name", "number", "stage__number")
    list_filter = ("stage__orchestration",)
    readonly_fields = READONLY_TRACKING
    list_select_related = ("stage",)


@admin.register(models.Step)
class StepAdmin(CountsDraftWrites, admin.ModelAdmin):
    list_display = ("name", "number", "step_type", "stage", "display_sequence")
    list_filter = ("step_type", "stage__orchestration")
    search_fields = ("name", "number", "stage__number")
    readonly_fields = READONLY_TRACKING
    raw_id_fields = ("stage", "success_step", "failure_step")
    list_select_related = ("stage",)
    inlines = [StepTaskInline, AssociationInline]


@admin.register(models.StepTask)
class StepTaskAdmin(CountsDraftWrites, admin.ModelAdmin):
    list_display = ("number", "step", "display_sequence", "activity_template_id", "activity_id", "assigned_to")
    list_filter = ("assigned_to",)
    search_fields = ("number", "step__number", "step__name")
    readonly_fields = READONLY_TRACKING
    raw_id_fields = ("step",)
    list_select_related = ("step",)


@admin.register(models.StepObjectiveAssociation)
class StepObjectiveAssociationAdmin(CountsDraftWrites, admin.ModelAdmin):
    list_display = ("number", "step", "objective")
    search_fields = ("number", "step__number", "objective__number")
    readonly_fields = READONLY_TRACKING
    raw_id_fields = ("step", "objective")
    list_select_related = ("step", "objective")


@admin.register(models.IssuedNumber)
class IssuedNumberAdmin(admin.ModelAdmin):
    """Read-only: the registry is what guarantees numbers are never reused."""

    list_display = ("number", "kind", "issued_at")
    list_filter = ("kind",)
    search_fields = ("number",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SandboxStageInline(HumanLabels, admin.TabularInline):
    model = models.SandboxStage
    fields = ("number", "remote_id", "change_indicator", "updated_at")
    readonly_fields = fields
    extra = 0


@admin.register(models.SandboxOrchestration)
class SandboxOrchestrationAdmin(admin.ModelAdmin):
    list_display = ("number", "remote_id", "updated_at")
    search_fields = ("number",)
    inlines = [SandboxStageInline]


@admin.register(models.SandboxStage)
class SandboxStageAdmin(admin.ModelAdmin):
    list_display = ("number", "orchestration", "remote_id", "change_indicator", "updated_at")
    search_fields = ("number", "orchestration__number")
    list_select_related = ("orchestration",)


@admin.register(models.SandboxSequence)
class SandboxSequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "value")


@admin.register(models.SandboxOutreachStage)
class SandboxOutreachStageAdmin(admin.ModelAdmin):
    list_display = ("remote_id", "__str__", "updated_at")
    search_fields = ("remote_id",)


# Publish records (orchestrator/models/publish.py) are evidence of what was
# sent and answered: read-only here; runs are started from the publish page or
# `manage.py publish`.
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PublishStageInline(HumanLabels, admin.TabularInline):
    model = models.PublishStage
    fields = ("position", "stage_number", "stage_name", "action", "status", "remote_status", "remote_message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.ProblemCache)
class ProblemCacheAdmin(ReadOnlyAdmin):
    """The designer's memo of the validator's answer: derived, rewritten by every page load, never edited."""

    list_display = ("orchestration", "revision")
    list_select_related = ("orchestration",)


@admin.register(models.PublishRun)
class PublishRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "orchestration", "connection_name", "status", "reason", "dry_run", "created_at", "started_by")
    list_filter = ("status", "reason", "connection_name", "dry_run")
    search_fields = ("orchestration__number", "orchestration__name", "message")
    list_select_related = ("orchestration", "started_by")
    inlines = [PublishStageInline]


@admin.register(models.PublishStage)
class PublishStageAdmin(ReadOnlyAdmin):
    list_display = ("run", "position", "stage_number", "action", "status", "remote_status")
    list_filter = ("action", "status")
    search_fields = ("stage_number", "stage_name")
    list_select_related = ("run",)


@admin.register(models.JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "run",
        "remote_run",
        "system",
        "method",
        "path",
        "status_code",
        "attempt",
        "duration_ms",
        "created_at",
    )
    list_filter = ("system", "method", "status_code")
    search_fields = ("path", "stage_number")
    list_select_related = ("run", "remote_run")


@admin.register(models.RemoteRun)
class RemoteRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "orchestration", "connection_name", "status", "reason", "dry_run", "created_at")
    list_filter = ("kind", "status", "reason", "connection_name", "dry_run")
    search_fields = ("orchestration__number", "orchestration__name", "message")
    list_select_related = ("orchestration", "started_by")


@admin.register(models.OutreachStageLink)
class OutreachStageLinkAdmin(ReadOnlyAdmin):
    list_display = ("stage_number", "orchestration_number", "connection_name", "remote_id", "synced_at")
    list_filter = ("connection_name",)
    search_fields = ("stage_number", "orchestration_number")


@admin.register(models.PublishedStage)
class PublishedStageAdmin(ReadOnlyAdmin):
    list_display = ("stage_number", "orchestration", "connection_name", "remote_id", "published_at")
    list_filter = ("connection_name",)
    search_fields = ("stage_number", "orchestration__number")
    list_select_related = ("orchestration",)


@admin.register(models.RemoteDescribe)
class RemoteDescribeAdmin(ReadOnlyAdmin):
    list_display = ("connection_name", "base_url", "framework_version", "metadata_context", "fetched_at")


@admin.register(models.ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ("orchestration", "author", "created_at")
    list_select_related = ("orchestration", "author")
    search_fields = ("orchestration__number", "orchestration__name", "body")
    readonly_fields = ("content_hash", "created_at")


@admin.register(models.Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = ("orchestration", "reviewer", "created_at")
    list_select_related = ("orchestration", "reviewer")
    search_fields = ("orchestration__number", "orchestration__name")
    readonly_fields = ("content_hash", "created_at")


@admin.register(models.DraftEditor)
class DraftEditorAdmin(admin.ModelAdmin):
    """Who wrote to which draft, last when: what the four-eyes rule of approvals reads."""

    list_display = ("orchestration", "user", "edited_at")
    list_select_related = ("orchestration", "user")
    search_fields = ("orchestration__number", "orchestration__name", "user__username")
    readonly_fields = ("orchestration", "user", "edited_at")


@admin.register(models.Revision)
class RevisionAdmin(admin.ModelAdmin):
    """The history of each draft (issue 10): read-only here; restore from the History page."""

    list_display = ("orchestration", "number", "action", "author", "created_at", "summary")
    list_select_related = ("orchestration", "author")
    list_filter = ("action",)
    search_fields = ("orchestration__number", "orchestration__name", "summary")
    readonly_fields = [f.name for f in models.Revision._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(models.SandboxRecord)
class SandboxRecordAdmin(admin.ModelAdmin):
    list_display = ("resource", "remote_id", "updated_at")
    list_filter = ("resource",)
    search_fields = ("remote_id",)


# Rehearsals are started from the Rehearse page or `manage.py rehearse`: read-only here.
@admin.register(models.Rehearsal)
class RehearsalAdmin(ReadOnlyAdmin):
    list_display = ("pk", "orchestration", "stage_number", "opportunity_id", "status", "created_at", "cleaned_at")
    list_filter = ("status", "cx_connection", "b2c_connection")
    search_fields = ("orchestration__number", "stage_number")
    list_select_related = ("orchestration",)


@admin.register(models.RehearsalRecord)
class RehearsalRecordAdmin(ReadOnlyAdmin):
    list_display = ("rehearsal", "kind", "system", "remote_id", "status", "created_at")
    list_filter = ("kind", "system", "status")
    search_fields = ("key", "remote_id")


# The reference catalogue (issue 11) is filled by a refresh or an uploaded file (Connections page,
# `manage.py refresh_catalogue`): read-only here, so it never drifts from what its source said.
@admin.register(models.CatalogueEntry)
class CatalogueEntryAdmin(ReadOnlyAdmin):
    list_display = ("name", "ref_id", "kind", "connection_name", "source", "refreshed_at")
    list_filter = ("connection_name", "kind", "source")
    search_fields = ("name", "ref_id")

"""The reference catalogue of a CX Sales connection (issue 11): names for the ids a step refers to.

One `CatalogueEntry` per (connection, kind, id): an activity template, a
sales stage of the connection's sales method, a smart action, an e-mail
template, an activity, or an attribute of an opportunity or a lead, with the
name the designer shows instead of the id. Activity templates, sales stages
and the attributes are read from the pod (a RemoteRun of kind
``catalogue_refresh``); the other kinds have no documented REST source and
come from a file an administrator uploads.

An attribute's "id" is its name (what a Field update's JSON says), so it is
stored as both ref_id and name. Each object has its own kind rather than one
kind with the object inside ref_id: the counts per kind, the "flag only when
the catalogue knows this kind" rule and the unique (connection, kind, ref_id)
all then keep Opportunity and Lead apart with no parsing, and ref_id keeps
its whole length for the name. A refresh or an upload
replaces every entry of the kinds it covers on that connection in one
transaction, so the catalogue is never half old and half new.

A draft never refers to an entry by key: steps keep their own ids, and an id
the catalogue does not know is shown as such (flagged), never rewritten.
"""

from django.db import models

from .publish import CONNECTION_NAME_MAX

REF_ID_MAX = 40
REF_NAME_MAX = 255


class CatalogueKind(models.TextChoices):
    ACTIVITY_TEMPLATE = "activity_template", "Activity template"
    SALES_STAGE = "sales_stage", "Sales stage"
    SMART_ACTION = "smart_action", "Smart action"
    EMAIL_TEMPLATE = "email_template", "E-mail template"
    ACTIVITY = "activity", "Activity"
    OPPORTUNITY_ATTRIBUTE = "opportunity_attribute", "Opportunity attribute"
    LEAD_ATTRIBUTE = "lead_attribute", "Lead attribute"


PLURALS = {
    CatalogueKind.ACTIVITY_TEMPLATE: "activity templates",
    CatalogueKind.SALES_STAGE: "sales stages",
    CatalogueKind.SMART_ACTION: "smart actions",
    CatalogueKind.EMAIL_TEMPLATE: "e-mail templates",
    CatalogueKind.ACTIVITY: "activities",
    CatalogueKind.OPPORTUNITY_ATTRIBUTE: "opportunity attributes",
    CatalogueKind.LEAD_ATTRIBUTE: "lead attributes",
}

# Read from the pod's REST API; the others only come from an uploaded file.
REST_KINDS = (
    CatalogueKind.ACTIVITY_TEMPLATE,
    CatalogueKind.SALES_STAGE,
    CatalogueKind.OPPORTUNITY_ATTRIBUTE,
    CatalogueKind.LEAD_ATTRIBUTE,
)
UPLOAD_KINDS = (CatalogueKind.SMART_ACTION, CatalogueKind.EMAIL_TEMPLATE, CatalogueKind.ACTIVITY)

# An orchestration's ObjectCode → the kind holding the attributes of that object.
ATTRIBUTE_KINDS = {
    "Opportunity": CatalogueKind.OPPORTUNITY_ATTRIBUTE,
    "Lead": CatalogueKind.LEAD_ATTRIBUTE,
}


class CatalogueSource(models.TextChoices):
    REST = "rest", "Read from the pod"
    UPLOAD = "upload", "Uploaded file"


class CatalogueEntry(models.Model):
    """One named thing of a connection's pod that a step can refer to by id."""

    connection_name = models.CharField(max_length=CONNECTION_NAME_MAX)
    kind = models.CharField(max_length=30, choices=CatalogueKind.choices)
    ref_id = models.CharField(
        "id", max_length=REF_ID_MAX, help_text="The pod's id (TemplateId, StgId, SmartActionId …) as text."
    )
    name = models.CharField(max_length=REF_NAME_MAX)
    detail = models.CharField(
        max_length=REF_NAME_MAX, blank=True, help_text="A second line for the picker (a description, a type)."
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in the source (sales stages: their order).")
    source = models.CharField(max_length=10, choices=CatalogueSource.choices)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["connection_name", "kind", "position", "name"]
        verbose_name = "catalogue entry"
        verbose_name_plural = "catalogue entries"
        constraints = [
            models.UniqueConstraint(fields=["connection_name", "kind", "ref_id"], name="catalogue_entry_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} ({self.ref_id}) on {self.connection_name}"

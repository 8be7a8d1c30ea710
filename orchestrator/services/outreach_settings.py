"""A stage's Outreach settings (colour, closing flag) where documents and other systems meet them.

They live on the draft and in its export document, never in CX Sales: so a
document read back from CX Sales (a pull) has none, and `keep_outreach_settings`
gives it the draft's own before it replaces the draft. Colours from Outreach
may be anything; `normalized_color` keeps only hex colours, as the draft stores them.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import Stage
from .documents.export import stage_outreach

_SHORT_HEX = re.compile(r"^#([0-9a-fA-F]{3})$")
_LONG_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def normalized_color(value: str | None) -> str | None:
    """A colour as the draft stores it (#rrggbb, lower case; #rgb widened), or None when it is not a hex colour."""
    text = (value or "").strip()
    short = _SHORT_HEX.match(text)
    if short:
        text = "#" + "".join(c * 2 for c in short.group(1))
    return text.lower() if _LONG_HEX.match(text) else None


def keep_outreach_settings(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` (an import document from CX Sales) with each stage's local Outreach settings.

    Matched by stage number; stages the draft does not have yet, and stages
    the document already gives settings to, stay as they are. The document
    passed in is not changed (its stages may be shared with other records).
    One query, whatever the size.
    """
    numbers = [s.get("OrchestrationStageNumber") for s in document.get("Stages") or [] if isinstance(s, dict)]
    local = {stage.number: stage for stage in Stage.objects.filter(number__in=[n for n in numbers if n])}
    stages = []
    for doc in document.get("Stages") or []:
        stage = local.get(doc.get("OrchestrationStageNumber")) if isinstance(doc, dict) else None
        settings = stage_outreach(stage) if stage is not None and "Outreach" not in doc else {}
        stages.append({**doc, "Outreach": settings} if settings else doc)
    return {**document, "Stages": stages} if "Stages" in document else document

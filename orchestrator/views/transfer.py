"""Import and export in the browser (issue 10, item 7).

Export: the document of payload-contract §6, as a file, for whoever may read
the playbook. Import (Designer rights): upload a file, read the whole-file
validation report first; then create the new draft, or — having read the
change summary from the existing draft to the file — replace it (itself a
revision), or import it as a copy under a new number. The confirmation
carries the checked file back and the hash of the draft it was compared
with: a draft that changed since is not replaced (409, check again).
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..models import Orchestration, OrchestrationStatus
from ..selectors import orchestration_tree
from ..services.documents import (
    DocumentInvalid,
    dumps_document,
    orchestration_document,
    orchestration_import,
    parse_document,
)
from ..services.documents.export import content_hash
from ..services.documents.transfer import MAX_IMPORT_BYTES, ImportCheck, import_check, orchestration_import_copy
from ..services.orchestrations import orchestration_suggest_number
from .publish_support import INVALID, error_page

PAGE = "orchestrator/import.html"

view_required = permission_required("orchestrator.view_orchestration", raise_exception=True)
edit_required = permission_required("orchestrator.change_orchestration", raise_exception=True)


@require_safe
@view_required
def orchestration_export(request, number: str):
    """The draft's document as a download (export → import → export is byte-identical)."""
    try:
        tree = orchestration_tree(number)
    except Orchestration.DoesNotExist:
        return error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    response = HttpResponse(
        dumps_document(orchestration_document(tree)), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{tree.number}.json"'
    return response


def _report(request, ctx: dict, status: int = 200):
    ctx.setdefault("max_bytes", MAX_IMPORT_BYTES)
    ctx.setdefault("suggested_number", orchestration_suggest_number())
    return render(request, PAGE, ctx, status=status)


@require_http_methods(["GET", "POST"])
@edit_required
def orchestration_import_view(request):
    """GET: the upload form. POST: the file's whole validation report, and what importing it would do."""
    if request.method == "GET":
        return _report(request, {})
    upload = request.FILES.get("file")
    if upload is None:
        return _report(request, {"file_error": "Choose a JSON file to check."}, status=INVALID)
    if upload.size > MAX_IMPORT_BYTES:
        return _report(
            request,
            {
                "file_error": f"The file has {upload.size:,} bytes; "
                f"an orchestration document has at most {MAX_IMPORT_BYTES:,}."
            },
            status=INVALID,
        )
    raw = upload.read()
    try:
        document = parse_document(raw)
    except DocumentInvalid as exc:
        return _report(request, {"check": ImportCheck(problems=exc.problems), "file_name": upload.name}, status=INVALID)
    check = import_check(document, user=request.user)
    ctx = {
        "check": check,
        "file_name": upload.name,
        "document_text": raw.decode("utf-8-sig"),
    }
    return _report(request, ctx, status=200 if check.ok else INVALID)


@require_POST
@edit_required
def orchestration_import_confirm(request):
    """Create, replace or copy, after the report: `mode` is create | replace | copy."""
    text = request.POST.get("document", "")
    mode = request.POST.get("mode", "")
    try:
        document = parse_document(text)
    except DocumentInvalid as exc:
        return _report(request, {"check": ImportCheck(problems=exc.problems)}, status=INVALID)
    number = document.get("OrchestrationNumber") if isinstance(document, dict) else None
    existing = Orchestration.objects.filter(number=number).first() if isinstance(number, str) else None
    ctx = {"document_text": text}
    try:
        if mode == "copy":
            result = orchestration_import_copy(
                document=document, number=request.POST.get("copy_number", ""), user=request.user, allow_incomplete=True
            )
        elif mode == "replace":
            if existing is None or existing.status == OrchestrationStatus.ARCHIVED:
                raise _Stale("There is no editable draft with that number to replace any more; check the file again.")
            if content_hash(orchestration_tree(existing.number)) != request.POST.get("expected_hash", ""):
                raise _Stale(
                    f"{existing.name} changed since you read the summary; "
                    "check the file again to see what replacing it changes now."
                )
            result = orchestration_import(document=document, user=request.user, allow_incomplete=True)
        elif mode == "create":
            if existing is not None:
                raise _Stale(f"A draft numbered {number} exists now; check the file again.")
            result = orchestration_import(document=document, user=request.user, allow_incomplete=True)
        else:
            return _report(
                request, {"file_error": "Check a file first, then choose what to do with it."}, status=INVALID
            )
    except _Stale as exc:
        ctx.update(check=import_check(document, user=request.user), confirm_error=str(exc))
        return _report(request, ctx, status=409)
    except DocumentInvalid as exc:
        check = import_check(document, user=request.user)
        if mode == "copy":  # the new number is the problem: beside its field
            ctx.update(copy_error=" ".join(message for _, message in exc.problems))
            ctx["copy_number"] = request.POST.get("copy_number", "")
        elif not check.problems:
            check.problems = exc.problems
        ctx["check"] = check
        return _report(request, ctx, status=INVALID)
    done = {"copy": "Imported a copy", "replace": "Replaced the draft with the file", "create": "Imported"}[mode]
    messages.success(request, f"{done}: {result.summary()}.")
    return redirect(reverse("designer", args=[result.orchestration.number]))


class _Stale(Exception):
    """The draft is not what the report was made against any more."""

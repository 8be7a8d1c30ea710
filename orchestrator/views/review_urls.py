"""Routes of the review screen."""

from django.urls import path

from . import history, promote, review, transfer

REVIEW = "orchestrations/<number:number>/review/"

urlpatterns = [
    path(REVIEW, review.review, name="review"),
    path(REVIEW + "live/", review.review_live, name="review_live"),
    path(REVIEW + "comments/", review.review_comment, name="review_comment"),
    path(REVIEW + "approve/", review.review_approve, name="review_approve"),
    path(
        REVIEW + "comments/<int:comment_id>/resolve/",
        review.review_comment_resolve_view,
        name="review_comment_resolve",
    ),
    path("orchestrations/<number:number>/history/", history.history, name="history"),
    path("orchestrations/<number:number>/history/<int:revision>/", history.revision_compare, name="revision"),
    path(
        "orchestrations/<number:number>/history/<int:revision>/restore/",
        history.revision_restore_view,
        name="revision_restore",
    ),
    path("orchestrations/<number:number>/promote/", promote.promote, name="promote"),
]

urlpatterns += [
    path("orchestrations/<number:number>/export/", transfer.orchestration_export, name="orchestration_export"),
    # Under "new/": a segment no orchestration can be numbered ("new" is reserved), so no designer route takes it.
    path("orchestrations/new/import/", transfer.orchestration_import_view, name="orchestration_import"),
    path(
        "orchestrations/new/import/confirm/", transfer.orchestration_import_confirm, name="orchestration_import_confirm"
    ),
]

"""Routes of the review screen."""

from django.urls import path

from . import review

REVIEW = "orchestrations/<number:number>/review/"

urlpatterns = [
    path(REVIEW, review.review, name="review"),
    path(REVIEW + "live/", review.review_live, name="review_live"),
    path(REVIEW + "comments/", review.review_comment, name="review_comment"),
    path(REVIEW + "approve/", review.review_approve, name="review_approve"),
]

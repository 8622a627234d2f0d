"""Routes of the twin, and the handlers that answer Django's own errors with problems."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("books/", views.books),
    path("books/<int:book_id>/", views.book),
    path("loans/", views.loans),
    path("reports/", views.reports),
    path("catalogue/export/", views.export),
    path("crash/", views.crash),
]

handler400 = views.bad_request
handler403 = views.forbidden
handler404 = views.not_found
handler500 = views.server_error

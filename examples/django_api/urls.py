"""Routes of the example API."""

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

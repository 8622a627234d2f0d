"""Routes of the fault project: the same paths as the Flask and WSGI fault apps."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("ok", views.ok),
    path("release", views.release),
    path("fault/<str:name>", views.fault),
    path("problem", views.problem),
    path("crash", views.crash),
    path("raise", views.given),
    path("async/raise", views.given_async),
]

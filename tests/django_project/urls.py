"""Routes of the test project; ``async/...`` are the async forms of the views."""

from __future__ import annotations

from django.urls import path
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("raise/<str:name>/", views.raise_sync),
    path("async/raise/<str:name>/", views.raise_async),
    path("raise-given/", views.raise_given),
    path("ok/", views.ok_sync),
    path("async/ok/", views.ok_async),
    path("returned/", views.returned),
    path("async/returned/", views.returned_async),
    path("html-not-found/", views.html_not_found),
    path("sign-up/", views.sign_up),
    path("protected/", views.ok_sync),
    path("post-only/", require_POST(views.ok_sync)),
    path("gone/", RedirectView.as_view(url=None)),
    path("query/", views.read_query),
    path("body/", views.read_body),
    path("host/", views.host),
    path("mw/<str:stage>/<str:name>/", views.passed),
    path("async/mw/<str:stage>/<str:name>/", views.passed_async),
    path("stream/<str:name>/", views.stream),
    path("async/stream/<str:name>/", views.stream_async),
    path("async/events/", views.events),
]

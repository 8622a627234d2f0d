"""A rendered problem as Django's ``HttpResponse``: status, reason, headers, whatever the layout."""

from __future__ import annotations

import os
from http.client import responses

import django
import pytest
from django.http import HttpResponse

os.environ["DJANGO_SETTINGS_MODULE"] = "django_project.settings"
django.setup()

from problemdetails import Problem  # noqa: E402
from problemdetails.adapters.django import _http, problem_response  # noqa: E402


@pytest.fixture(name="layout", params=["direct", "setter"])
def _layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of setting fields: straight into Django's dict, and through its setter."""
    monkeypatch.setattr(_http, "_direct", request.param == "direct")


def fields(response: HttpResponse) -> dict[str, str]:
    return dict(response.headers)


@pytest.mark.usefixtures("layout")
class TestHeaders:
    """The rendered headers become the response's, as Django's own setter would make them."""

    def test_plain(self):
        """Content-Type, Vary and the flow id header, nothing else."""
        response = problem_response(Problem(status=404))
        flow_id = response["X-Flow-ID"]
        assert fields(response) == {
            "Content-Type": "application/problem+json",
            "Vary": "Accept",
            "X-Flow-ID": flow_id,
        }

    def test_problem_headers(self):
        """A problem's own headers follow the pipeline's."""
        problem = Problem(status=503, headers={"Retry-After": "120", "X-Custom": "a b"})
        response = problem_response(problem)
        assert response["Retry-After"] == "120"
        assert response["X-Custom"] == "a b"

    def test_vary_of_the_problem_merges(self):
        """A problem's own Vary joins the pipeline's: one field, each entry once."""
        problem = Problem(status=429, headers={"Vary": "Accept-Language,Accept"})
        response = problem_response(problem)
        assert response["Vary"] == "Accept, Accept-Language"

    def test_duplicate_names_keep_the_last(self):
        """Django keeps one field per name: a second one of a name replaces the first."""
        problem = Problem(status=429, headers={"x-flow-id": "mine"})
        response = problem_response(problem)
        # The pipeline drops a problem's own flow id header: the flow id stays.
        assert response["X-Flow-ID"] != "mine"
        assert list(response.headers).count("X-Flow-ID") == 1

    def test_fields_are_readable_through_django(self):
        """Fields set either way read back case-insensitively, and are served."""
        response = problem_response(Problem(status=404))
        assert response.has_header("x-flow-id")
        assert response["vary"] == "Accept"
        served = dict(response.items())
        assert served["X-Flow-ID"] == response["X-Flow-ID"]


@pytest.mark.usefixtures("layout")
class TestStatus:
    """Status and reason phrase."""

    def test_known_status(self):
        """A status http.client knows: Django's own reason phrase."""
        response = problem_response(Problem(status=422))
        assert response.status_code == 422
        # "Unprocessable Content" since Python 3.13 (RFC 9110), "Entity" before.
        assert response.reason_phrase == responses[422]

    def test_unknown_status(self):
        """A status with no phrase gets the pipeline's, not Django's 'Unknown Status Code'."""
        response = problem_response(Problem(status=499))
        assert response.status_code == 499
        assert response.reason_phrase == "Error"

    def test_server_error_is_marked_logged(self):
        """A 5xx is marked as logged, so Django's log_response() skips it; a 4xx is not."""
        assert getattr(problem_response(Problem(status=502)), "_has_been_logged", False)
        assert not getattr(problem_response(Problem(status=404)), "_has_been_logged", False)


class TestProbe:
    """The dict layout is used only where Django has it."""

    def test_this_django_has_it(self, monkeypatch: pytest.MonkeyPatch):
        """Django 4.2 to 6.x keep fields in a dict of lower-cased names."""
        monkeypatch.setattr(_http, "_direct", None)
        assert _http._probe() is True

    def test_unknown_layout_falls_back(self, monkeypatch: pytest.MonkeyPatch):
        """If the probe fails, Django's own setter sets every field."""
        monkeypatch.setattr(_http, "_direct", None)

        def broken() -> bool:
            raise AttributeError("_store")

        monkeypatch.setattr(_http, "_probe", broken)
        response = problem_response(Problem(status=404))
        assert _http._direct is False
        assert response["Vary"] == "Accept"

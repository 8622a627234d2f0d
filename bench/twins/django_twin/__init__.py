"""``examples/django_api`` written without the library: the baseline of ``bench/load.py``.

The same routes answer with the same statuses and problem documents (the same
members and values), the way a Django developer writes it by hand: views
return ``JsonResponse(..., content_type="application/problem+json")`` (or
``application/problem+xml`` when ``Accept`` prefers it), and ``handler400``,
``handler403``, ``handler404`` and ``handler500`` answer Django's own errors
the same way. The flow id is the ``X-Request-ID`` request header when there is
one, else ``uuid.uuid4().hex``; it is sent back as that header and as the
``flow_id`` member, as ``bench/load.py`` checks.

Run it from ``bench/twins``::

    gunicorn django_twin.wsgi
"""

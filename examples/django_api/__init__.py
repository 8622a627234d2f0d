"""A small Django library-lending API whose every error is an RFC 9457 problem.

Run it from the ``examples`` folder (no database needed)::

    gunicorn django_api.wsgi
    uvicorn django_api.asgi:application
    DJANGO_SETTINGS_MODULE=django_api.settings python -m django runserver

Then try (8000 is gunicorn's and runserver's port; uvicorn's too)::

    curl -i localhost:8000/books/1/
    curl -i localhost:8000/books/99/                     # 404, a declared problem type
    curl -i -X POST localhost:8000/loans/ -d '{"member": "ada", "book": 2}'   # 409 loan limit
    curl -i -X POST localhost:8000/loans/ -d '{"member": "", "book": 0}'      # 422 with pointers
    curl -i -X POST localhost:8000/loans/ -d '{nope'     # 400 from Django's BadRequest
    curl -i localhost:8000/reports/                      # 403 from PermissionDenied
    curl -i localhost:8000/catalogue/export/             # 503 with Retry-After, returned
    curl -i -X DELETE localhost:8000/books/1/            # 405 with Allow, Django's own
    curl -i localhost:8000/nowhere/                      # 404 for a URL no route matches
    curl -i localhost:8000/crash/                        # the generic 500: nothing leaks
    curl -i -H 'Accept: application/problem+xml' localhost:8000/books/99/
"""

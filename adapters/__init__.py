"""Framework adapters of problemdetails: ``flask``, ``django`` and ``wsgi``, one module each."""

"""A small Django project that the Django adapter's tests run through its real request stacks."""

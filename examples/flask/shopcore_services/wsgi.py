"""A WSGI entry point by service name, kept for process managers configured with it::

    gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.wsgi:app("order")'

It is the service module's zero-argument factory (``shopcore_services.order:create_app()``,
see :mod:`shopcore_services.config`), except that it needs ``DATABASE_URL``:
worker processes share state only through MySQL.
"""

from __future__ import annotations

from flask import Flask

from shopcore_services import SERVICES
from shopcore_services.settings import from_process


def app(service: str) -> Flask:
    """The app of ``service`` (``order``, ``inventory``, …), configured from the environment."""
    settings = from_process()
    if not settings.database_url:
        raise RuntimeError("set DATABASE_URL: separate worker processes cannot share an in-memory engine")
    create_app, _port = SERVICES[service]
    return create_app(settings=settings)

"""A WSGI entry point by service name, kept for process managers configured with it::

    gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.wsgi:app("order")'

It is the service module's zero-argument factory (``shopcore_services.order:create_app()``,
see :mod:`shopcore_services.config`), except that it needs ``DATABASE_URL`` naming a
database the worker processes share: ``sqlite:PATH`` (one host) or ``mysql://…``.
(The factory itself, with ``DATABASE_URL`` unset, runs each process on its own
in-memory engine, with a note on stderr.)
"""

from __future__ import annotations

from flask import Flask

from shopcore_services import SERVICES
from shopcore_services.settings import from_process


def app(service: str) -> Flask:
    """The app of ``service`` (``order``, ``inventory``, …), configured from the environment."""
    settings = from_process()
    database = settings.database(default=None)
    if database is None or database.kind == "memory":
        raise RuntimeError("set DATABASE_URL to sqlite:PATH or mysql://…: separate worker processes cannot share an in-memory engine")
    create_app, _port = SERVICES[service]
    return create_app(settings=settings)

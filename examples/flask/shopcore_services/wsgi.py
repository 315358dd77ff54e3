"""WSGI entry point for process managers, from ``examples/flask``:
``gunicorn -c gunicorn.conf.py 'shopcore_services.wsgi:app("order")'`` (the
config file turns on multi-process metrics and a graceful stop).

Needs ``DATABASE_URL``: worker processes share state only through MySQL.
``SHOPCORE_AUTH`` and ``SHOPCORE_ADMIN_KEY`` work as for ``serve``, except that
no key is ever generated here (each worker would make its own): create one
with ``python -m shopcore_services.staff create`` or set ``SHOPCORE_ADMIN_KEY``.
"""

from __future__ import annotations

import os

from flask import Flask

import shopcore
from shopcore_services import SERVICES, logs
from shopcore_services.http import auth_mode
from shopcore_services.serve import slow_sql_ms


def app(service: str) -> Flask:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("set DATABASE_URL: separate worker processes cannot share an in-memory engine")
    create_app, _port = SERVICES[service]
    logs.configure(os.environ)
    engine = shopcore.Engine.mysql(url, migrate=True, slow_sql_ms=slow_sql_ms(os.environ))
    mode = auth_mode(os.environ.get("SHOPCORE_AUTH"))
    chosen = os.environ.get("SHOPCORE_ADMIN_KEY")
    if chosen:
        engine.install_staff_key(chosen)
    return create_app(engine, mode)

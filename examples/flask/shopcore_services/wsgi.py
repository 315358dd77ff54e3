"""WSGI entry point for process managers: ``gunicorn 'shopcore_services.wsgi:app("order")'``.

Needs ``DATABASE_URL``: worker processes share state only through MySQL.
"""

from __future__ import annotations

import os

from flask import Flask

import shopcore
from shopcore_services import SERVICES


def app(service: str) -> Flask:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("set DATABASE_URL: separate worker processes cannot share an in-memory engine")
    create_app, _port = SERVICES[service]
    return create_app(shopcore.Engine.mysql(url, migrate=True))

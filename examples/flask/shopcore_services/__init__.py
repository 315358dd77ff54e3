"""The five services of the original backend, rebuilt as thin Flask apps over shopcore.

Each service module (``order``, ``inventory``, ``pricing``, ``customer``,
``notification``) is one Flask Blueprint with ``create_app(engine=None,
auth=None, *, settings=None)``; without arguments it is configured from the
environment (:mod:`shopcore_services.settings`, :mod:`shopcore_services.config`),
so ``flask --app shopcore_services.order run``, gunicorn and granian can start
it as it is. ``shopcore-services serve`` (:mod:`shopcore_services.serve`) runs
all five on ports 5001–5005 over one shared engine, or one of them alone.

``SERVICES`` maps each name to ``(create_app, port)``. It is computed on first
use, so that importing a submodule (the gunicorn settings among them) does not
import Flask, prometheus_client and the services.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

try:
    __version__ = _version("shopcore-services")  # pyproject.toml is the one place it is written
except PackageNotFoundError:  # imported from a source tree without being installed
    __version__ = "0+unknown"

#: Each service's port in the original backend.
PORTS = {"order": 5001, "inventory": 5002, "pricing": 5003, "customer": 5004, "notification": 5005}

Factory = Callable[..., "Flask"]


def __getattr__(name: str) -> dict[str, tuple[Factory, int]]:
    if name != "SERVICES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    services = {service: (importlib.import_module(f"{__name__}.{service}").create_app, port) for service, port in PORTS.items()}
    globals()["SERVICES"] = services
    return services


__all__ = ["PORTS", "SERVICES", "__version__"]

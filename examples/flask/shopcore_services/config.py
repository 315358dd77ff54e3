"""Configuration from the environment, shared by every way of starting the services.

=========================  ======================================================
``DATABASE_URL``           MySQL (``mysql://user:pass@host:port/db``, TLS options
                           in the query string); migrated on start. Unset: the
                           seeded in-memory engine (this process's data only).
``SHOPCORE_AUTH``          ``enforced`` (the default) or ``legacy`` (the original
                           open contract).
``SHOPCORE_ADMIN_KEY``     An admin key to install at start: at least 128 bits by
                           shopcore's estimate (40+ random hex characters pass;
                           runs and repeats do not count); refused once revoked.
``SHOPCORE_SESSION_HOURS`` How long a login lasts (default 24).
``SHOPCORE_DEFAULT_REGION`` The tax region of a request naming none (Cairo).
``SHOPCORE_ROUNDING``      ``half_up`` (the default) or ``half_even``.
``SHOPCORE_TAX_MODE``      ``per_order`` (the default) or ``per_line``.
``SHOPCORE_POINT_VALUE``   What a redeemed loyalty point is worth (0.01).
``SHOPCORE_LOYALTY_UNIT``  The amount that earns one point (10.00).
``SHOPCORE_DELIVERY_DAYS`` The delivery promise in confirmations (5).
``SHOPCORE_TRUSTED_PROXIES`` Reverse proxies in front (0): with N, the client
                           address the throttles count by is the N-th from
                           the right of ``X-Forwarded-For``; with 0 that
                           header is ignored.
``SHOPCORE_SLOW_SQL_MS``   Statements at least this slow are a WARNING of
                           ``sqlx.query`` (default 1000).
``SHOPCORE_LOG_FORMAT``    ``text`` or ``json``; ``SHOPCORE_LOG_LEVEL`` (INFO).
``SHOPCORE_DRAIN_SECONDS`` ``serve``: how long a stop waits for requests in
                           flight (default 10).
=========================  ======================================================

Each service module's ``create_app()`` without arguments uses
:func:`configured`, so the usual servers need no wrapper::

    flask --app shopcore_services.order run --port 5001
    gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.order:create_app()'
    granian --interface wsgi --factory --port 5001 shopcore_services.order:create_app
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

import shopcore
from shopcore_services import logs
from shopcore_services.http import AuthMode, auth_mode

LOG = logging.getLogger("shopcore.services")


def _whole_number(environ: Mapping[str, str], name: str, default: str, unit: str) -> int:
    raw = environ.get(name, default)
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"{name} must be a whole number of {unit}, not {raw!r}")
    return int(raw)


def session_hours(environ: Mapping[str, str]) -> int:
    """``SHOPCORE_SESSION_HOURS``: how long a login lasts (default 24)."""
    return _whole_number(environ, "SHOPCORE_SESSION_HOURS", "24", "hours")


#: The shop's settings and the ``ShopConfig`` keyword each one sets.
SHOP_SETTINGS = (
    ("SHOPCORE_DEFAULT_REGION", "default_region"),
    ("SHOPCORE_ROUNDING", "rounding"),
    ("SHOPCORE_TAX_MODE", "tax_mode"),
    ("SHOPCORE_POINT_VALUE", "point_value"),
    ("SHOPCORE_LOYALTY_UNIT", "loyalty_unit"),
)


def shop_config(environ: Mapping[str, str]) -> shopcore.ShopConfig:
    """The shop's policies from :data:`SHOP_SETTINGS`, ``SHOPCORE_DELIVERY_DAYS`` and
    ``SHOPCORE_SESSION_HOURS``; unset ones keep the seed shop's defaults. A bad value
    raises :class:`ValueError` naming the variable."""
    options: dict[str, object] = {"session_hours": session_hours(environ)}
    if "SHOPCORE_DELIVERY_DAYS" in environ:
        options["delivery_days"] = _whole_number(environ, "SHOPCORE_DELIVERY_DAYS", "5", "days")
    for variable, option in SHOP_SETTINGS:
        if variable in environ:
            try:
                shopcore.ShopConfig(**{option: environ[variable]})  # type: ignore[arg-type]
            except shopcore.ValidationError as error:
                raise ValueError(f"{variable}: {error}") from error
            options[option] = environ[variable]
    try:
        return shopcore.ShopConfig(**options)  # type: ignore[arg-type]
    except shopcore.ValidationError as error:
        raise ValueError(f"SHOPCORE_SESSION_HOURS or SHOPCORE_DELIVERY_DAYS: {error}") from error


def slow_sql_ms(environ: Mapping[str, str]) -> int:
    """``SHOPCORE_SLOW_SQL_MS``: statements at least this slow are logged at WARNING (default 1000)."""
    return _whole_number(environ, "SHOPCORE_SLOW_SQL_MS", "1000", "milliseconds")


def drain_seconds(environ: Mapping[str, str]) -> float:
    """``SHOPCORE_DRAIN_SECONDS``: how long ``serve`` waits for requests in flight on a stop (default 10)."""
    raw = environ.get("SHOPCORE_DRAIN_SECONDS", "10")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 10.0


def required_database_url(environ: Mapping[str, str], why: str) -> str | None:
    """``DATABASE_URL`` for a command that works only on MySQL, or ``None`` once
    stderr says why the command needs it."""
    url = environ.get("DATABASE_URL")
    if not url:
        print(f"set DATABASE_URL: {why}", file=sys.stderr)
    return url or None


def build_engine(environ: Mapping[str, str], seed: bool = False) -> shopcore.Engine:
    """MySQL from ``DATABASE_URL`` if set (``seed`` loads the seed rows), else the seeded in-memory engine."""
    url = environ.get("DATABASE_URL")
    config = shop_config(environ)
    if url:
        return shopcore.Engine.mysql(url, migrate=True, seed=seed, config=config,
                                     slow_sql_ms=slow_sql_ms(environ))
    return shopcore.Engine.in_memory(seed=True, config=config)


def prepare_access(engine: shopcore.Engine, environ: Mapping[str, str], generate_key: bool) -> AuthMode:
    """The access mode from ``SHOPCORE_AUTH``, and ``SHOPCORE_ADMIN_KEY`` installed if set.

    Without that key and without a live admin key in the engine, ``generate_key``
    makes a fresh admin key and prints it once; otherwise a warning says how to
    create one (several worker processes must not each make their own).
    """
    mode = auth_mode(environ.get("SHOPCORE_AUTH"))
    if mode == "legacy":
        LOG.warning("SHOPCORE_AUTH=legacy: every route is open to anyone who can reach it, as in the original "
                    "backend; use it only for existing clients on a trusted network")
    chosen = environ.get("SHOPCORE_ADMIN_KEY")
    if chosen:
        try:
            key = engine.install_staff_key(chosen)
        except (shopcore.ValidationError, shopcore.ConflictError) as err:
            # Too guessable (invalid_token) or revoked (staff_key_revoked): name the
            # variable to change; the message never carries the key or its hash.
            raise ValueError(f"SHOPCORE_ADMIN_KEY: {err}") from None
        print(f"admin key from SHOPCORE_ADMIN_KEY installed (key_id {key.key_id})", flush=True)
    elif not any(k.role == "admin" and k.revoked_at is None for k in engine.staff_keys()):
        if generate_key:
            issued = engine.create_staff_key(name="admin (generated at start)", role="admin")
            print(f"admin key (shown once): {issued.key}", flush=True)
        else:
            LOG.warning("no admin key: set SHOPCORE_ADMIN_KEY or run `shopcore-services staff create "
                        "--name admin --role admin`")
    return mode


def configured(environ: Mapping[str, str]) -> tuple[shopcore.Engine, AuthMode]:
    """The engine and access mode a zero-argument ``create_app()`` uses.

    Configures logging (:func:`shopcore_services.logs.configure`) unless the
    root logger already has a handler (a server's or the application's own
    logging configuration wins), builds the engine (see :func:`build_engine`) and
    prepares access. An in-memory engine gets a generated admin key when none
    is given (its data lives in this process, so nothing else could have made
    one); on MySQL a key is never generated here, since each worker process of
    a server would make its own.
    """
    if not logging.getLogger().handlers:
        logs.configure(environ)
    engine = build_engine(environ)
    if engine.backend == "memory":
        print("note: in-memory engine: this process's own data, not shared with other workers or services; "
              "set DATABASE_URL for MySQL", file=sys.stderr)
    return engine, prepare_access(engine, environ, generate_key=engine.backend == "memory")


def resolve(engine: shopcore.Engine | None, auth: AuthMode | None) -> tuple[shopcore.Engine, AuthMode]:
    """What a service's ``create_app(engine, auth)`` runs on: the given engine with ``auth``
    (default ``enforced``), or without an engine, :func:`configured` from ``os.environ``
    (an ``auth`` given still wins over ``SHOPCORE_AUTH``)."""
    if engine is None:
        engine, from_environment = configured(os.environ)
        return engine, auth or from_environment
    return engine, auth or "enforced"

"""The engine and access the services start with, from their :class:`~shopcore_services.settings.Settings`.

Every setting, its variable and its default are listed in the book's
configuration chapter (``docs/src/configuration.md``); they are read and
checked once, by :meth:`Settings.from_environ <shopcore_services.settings.Settings.from_environ>`.

Each service module's ``create_app()`` without arguments uses
:func:`configured`, so the usual servers need no wrapper::

    flask --app shopcore_services.order run --port 5001
    gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.order:create_app()'
    granian --interface wsgi --factory --port 5001 shopcore_services.order:create_app
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

import shopcore
from shopcore_services import logs
from shopcore_services.settings import AuthMode, Settings, from_process, of

LOG = logging.getLogger("shopcore.services")


def shop_config(settings: Settings | Mapping[str, str]) -> shopcore.ShopConfig:
    """The shop's policies (``SHOPCORE_DEFAULT_REGION``, ``SHOPCORE_ROUNDING``,
    ``SHOPCORE_TAX_MODE``, ``SHOPCORE_POINT_VALUE``, ``SHOPCORE_LOYALTY_UNIT``,
    ``SHOPCORE_DELIVERY_DAYS``, ``SHOPCORE_SESSION_HOURS``); unset ones keep the
    seed shop's defaults. From an environment mapping, a bad value raises
    :class:`ValueError` naming the variable."""
    return of(settings).shop_config()


def required_database_url(settings: Settings, why: str) -> str | None:
    """``DATABASE_URL`` for a command that works only on MySQL, or ``None`` once
    stderr says why the command needs it."""
    if settings.database_url is None:
        print(f"set DATABASE_URL: {why}", file=sys.stderr)
    return settings.database_url


def build_engine(settings: Settings, seed: bool = False) -> shopcore.Engine:
    """MySQL from ``DATABASE_URL`` if set (``seed`` loads the seed rows), else the seeded in-memory engine."""
    config = settings.shop_config()
    if settings.database_url:
        return shopcore.Engine.mysql(
            settings.database_url, migrate=True, seed=seed, config=config, slow_sql_ms=settings.slow_sql_ms, retry_budget_ms=settings.retry_budget_ms
        )
    return shopcore.Engine.in_memory(seed=True, config=config)


def prepare_access(engine: shopcore.Engine, settings: Settings | Mapping[str, str], generate_key: bool) -> AuthMode:
    """The access mode of ``SHOPCORE_AUTH``, and ``SHOPCORE_ADMIN_KEY`` installed if set.

    Without that key and without a live admin key in the engine, ``generate_key``
    makes a fresh admin key and prints it once; otherwise a warning says how to
    create one (several worker processes must not each make their own).
    """
    settings = of(settings)
    if settings.auth == "legacy":
        LOG.warning(
            "SHOPCORE_AUTH=legacy: every route is open to anyone who can reach it, as in the original "
            "backend; use it only for existing clients on a trusted network"
        )
    if settings.admin_key:
        try:
            key = engine.install_staff_key(settings.admin_key)
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
            LOG.warning("no admin key: set SHOPCORE_ADMIN_KEY or run `shopcore-services staff create --name admin --role admin`")
    return settings.auth


def configured(settings: Settings) -> tuple[shopcore.Engine, AuthMode]:
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
        logs.configure(settings)
    engine = build_engine(settings)
    if engine.backend == "memory":
        print("note: in-memory engine: this process's own data, not shared with other workers or services; set DATABASE_URL for MySQL", file=sys.stderr)
    return engine, prepare_access(engine, settings, generate_key=engine.backend == "memory")


def resolve(engine: shopcore.Engine | None, auth: AuthMode | None, settings: Settings | None) -> tuple[shopcore.Engine, AuthMode, Settings]:
    """What a service's ``create_app(engine, auth, settings=)`` runs on: ``settings``
    (default: this process's environment's, checked now); the given engine with
    ``auth`` (default ``enforced``), or without an engine, :func:`configured` from
    the settings (an ``auth`` given still wins over ``SHOPCORE_AUTH``)."""
    settings = settings or from_process()
    if engine is None:
        engine, from_settings = configured(settings)
        return engine, auth or from_settings, settings
    return engine, auth or "enforced", settings

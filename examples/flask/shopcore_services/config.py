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
from shopcore_services.settings import DEFAULT_DATABASE_URL, AuthMode, Database, Settings, from_process, of

LOG = logging.getLogger("shopcore.services")


def shop_config(settings: Settings | Mapping[str, str]) -> shopcore.ShopConfig:
    """The shop's policies (``SHOPCORE_DEFAULT_REGION``, ``SHOPCORE_ROUNDING``,
    ``SHOPCORE_TAX_MODE``, ``SHOPCORE_POINT_VALUE``, ``SHOPCORE_LOYALTY_UNIT``,
    ``SHOPCORE_DELIVERY_DAYS``, ``SHOPCORE_SESSION_HOURS``); unset ones keep the
    seed shop's defaults. From an environment mapping, a bad value raises
    :class:`ValueError` naming the variable."""
    return of(settings).shop_config()


class CannotOpen(Exception):
    """A database the command cannot run on; the message is one line for stderr."""


def command_database(settings: Settings, command: str) -> Database:
    """The database of a console-script command other than ``serve`` (``migrate``,
    ``staff``, ``dispatch``, ``backup``): ``DATABASE_URL``'s, or when it is unset
    the SQLite file ``serve`` keeps by default (``.run/shop.db`` here), if it
    exists. Raises :class:`CannotOpen` for the in-memory engine (its data lives
    in the process that made it) or a default file that is not there."""
    if settings.database_url is None:
        default = Database.of_url(DEFAULT_DATABASE_URL)
        assert default.path is not None
        if not default.path.exists():
            raise CannotOpen(
                f"no database: DATABASE_URL is unset and {default.path} (where `shopcore-services serve` keeps its data when "
                "DATABASE_URL is unset) does not exist here; set DATABASE_URL (sqlite:PATH or mysql://…)"
            )
        print(f"note: DATABASE_URL is unset: using {default.path}, the SQLite file of `shopcore-services serve`", file=sys.stderr)
        return default
    database = Database.of_url(settings.database_url)
    if database.kind == "memory":
        raise CannotOpen(f"`{command}` needs a database that outlives this process: set DATABASE_URL to sqlite:PATH or mysql://…, not memory:")
    return database


def open_engine(
    database: Database,
    settings: Settings,
    *,
    seed: bool = False,
    migrate: bool = True,
    create: bool = True,
    max_connections: int | None = None,
) -> shopcore.Engine:
    """An engine on ``database``, migrated unless ``migrate=False``, loaded with
    the seed rows with ``seed`` (the in-memory engine is always seeded) when it
    has no products yet: on a database in use, seeding again would bring back
    a tier ladder or a tax region an administrator removed, so ``seed`` is
    then ignored (with a note on stderr).

    On SQLite the file is created if missing (unless ``create=False``; its
    directory must exist). A file that cannot be used (a missing directory, a
    directory, a read-only file, not a database, written by a newer shopcore)
    is refused before anything is written to it, each migration runs in one
    transaction and the seeding in another, and an error names the file.
    Raises :class:`shopcore.ShopError`."""
    config = settings.shop_config()
    if database.kind == "memory":
        return shopcore.Engine.in_memory(seed=True, config=config)
    engine = _open_database(database, settings, seed=False, migrate=migrate, create=create, max_connections=max_connections)
    if not seed:
        return engine
    if engine.products(include_retired=True):
        print("note: not seeding: the database already has products (seeding is for a new database)", file=sys.stderr)
        return engine
    engine.close()
    return _open_database(database, settings, seed=True, migrate=False, create=create, max_connections=max_connections)


def _open_database(
    database: Database,
    settings: Settings,
    *,
    seed: bool,
    migrate: bool,
    create: bool,
    max_connections: int | None,
) -> shopcore.Engine:
    """:func:`open_engine` on MySQL or SQLite, seeding with ``seed`` whatever is there."""
    config = settings.shop_config()
    if database.kind == "mysql":
        return shopcore.Engine.mysql(
            database.url,
            migrate=migrate,
            seed=seed,
            config=config,
            max_connections=max_connections or 16,
            slow_sql_ms=settings.slow_sql_ms,
            retry_budget_ms=settings.retry_budget_ms,
        )
    path = database.path
    assert path is not None
    try:
        return shopcore.Engine.sqlite(path, migrate=migrate, seed=seed, config=config, max_connections=max_connections or 8, create=create)
    except shopcore.ShopError as err:
        if str(path) not in err.message:
            raise type(err)(f"the SQLite database at {path}: {err.message}", err.code, err.category) from None
        raise


def build_engine(settings: Settings, seed: bool = False) -> shopcore.Engine:
    """The engine of a zero-argument ``create_app()``: on ``DATABASE_URL``'s database
    (``seed`` loads the seed rows there), else the seeded in-memory engine."""
    database = settings.database(default="memory:")
    assert database is not None
    return open_engine(database, settings, seed=seed)


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
    else:
        live = [k for k in engine.staff_keys() if k.role == "admin" and k.revoked_at is None]
        if live and generate_key:
            # The database outlived an earlier start: its key stands, and is never shown again.
            print(f"admin key: kept from an earlier start (key_id {live[0].key_id}; its secret was shown when it was made)", flush=True)
        elif not live and generate_key:
            issued = engine.create_staff_key(name="admin (generated at start)", role="admin")
            print(f"admin key (shown once): {issued.key}", flush=True)
        elif not live:
            LOG.warning("no admin key: set SHOPCORE_ADMIN_KEY or run `shopcore-services staff create --name admin --role admin`")
    return settings.auth


def configured(settings: Settings) -> tuple[shopcore.Engine, AuthMode]:
    """The engine and access mode a zero-argument ``create_app()`` uses.

    Configures logging (:func:`shopcore_services.logs.configure`) unless the
    root logger already has a handler (a server's or the application's own
    logging configuration wins), builds the engine (see :func:`build_engine`) and
    prepares access. An in-memory engine gets a generated admin key when none
    is given (its data lives in this process, so nothing else could have made
    one); on SQLite or MySQL a key is never generated here, since each worker
    process of a server would make its own.
    """
    if not logging.getLogger().handlers:
        logs.configure(settings)
    engine = build_engine(settings)
    if engine.backend == "memory":
        print(
            "note: in-memory engine: this process's own data, not shared with other workers or services, gone when it stops; "
            "set DATABASE_URL to sqlite:PATH (one host) or mysql://… to keep it",
            file=sys.stderr,
        )
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

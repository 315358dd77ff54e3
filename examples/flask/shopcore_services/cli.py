"""The ``shopcore-services`` command::

    shopcore-services serve [--service NAME] [--host H] [--port-offset N] [--seed] [--dispatch]  # the services (see serve)
    shopcore-services staff create --name NAME --role ROLE          # staff keys on DATABASE_URL
    shopcore-services staff list | staff revoke KEY_ID
    shopcore-services dispatch [--once]                             # deliver the notification outbox (see dispatch)
    shopcore-services migrate [--seed]                              # migrate DATABASE_URL once, e.g. before workers start
    shopcore-services backup PATH                                   # copy the SQLite database to the new file PATH, while it serves
    shopcore-services openapi [--service NAME]                      # the OpenAPI document as JSON
    shopcore-services --version

Configuration comes from the environment, read once at start (:mod:`shopcore_services.settings`);
a bad value stops any command but ``--version`` and ``openapi`` with exit status 2.

The database is ``DATABASE_URL``'s (``sqlite:PATH``, ``mysql://…``); unset, ``serve``
keeps the SQLite file ``.run/shop.db`` (made on its first start), and ``staff``,
``dispatch``, ``migrate`` and ``backup`` work on that file when it exists here.
Only ``serve`` (the default file) and ``migrate`` (a ``sqlite:`` URL) create a
SQLite file; the others refuse a missing one, so a mistyped path is an error, not
a new empty shop. A database they cannot open stops them with one line naming it,
and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import shopcore
import shopcore_services
from shopcore_services.config import CannotOpen, command_database, open_engine
from shopcore_services.settings import settings_or_exit


def migrate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="shopcore-services migrate", description="Create or upgrade the schema of DATABASE_URL.")
    parser.add_argument("--seed", action="store_true", help="also load the seed rows if the database has no products yet")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    try:
        database = command_database(settings, "migrate")
        open_engine(database, settings, seed=args.seed, max_connections=1).close()
    except (CannotOpen, shopcore.ShopError) as err:
        print(f"cannot migrate: {err}", file=sys.stderr)
        return 2
    print("migrated" + (" and seeded" if args.seed else ""))
    return 0


def backup(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="shopcore-services backup",
        description="Copy the SQLite database of DATABASE_URL (unset: .run/shop.db) to the new file PATH (VACUUM INTO). "
        "Safe while the services run and take orders: the copy is the database as one transaction saw it, "
        "and opens as a database of its own (DATABASE_URL=sqlite:PATH).",
    )
    parser.add_argument("path", metavar="PATH", help="the backup file to create (refused if it exists; its directory must exist)")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    try:
        database = command_database(settings, "backup")
        if database.kind != "sqlite":
            raise CannotOpen("`backup` copies a SQLite database file; back up MySQL with its own tools (mariadb-backup, mysqldump --single-transaction)")
        # Not migrated: a backup copies the file as it is, and never changes it.
        engine = open_engine(database, settings, migrate=False, create=False, max_connections=1)
    except (CannotOpen, shopcore.ShopError) as err:
        print(f"cannot back up: {err}", file=sys.stderr)
        return 2
    try:
        engine.backup(args.path)
    except shopcore.ShopError as err:
        print(f"backup failed: {err}", file=sys.stderr)
        return 1
    finally:
        engine.close()
    print(f"backed up {database.path} to {args.path} ({os.path.getsize(args.path)} bytes)")
    return 0


def openapi(argv: list[str]) -> int:
    from shopcore_services.http import openapi_document

    parser = argparse.ArgumentParser(prog="shopcore-services openapi", description="Print a service's part of the OpenAPI document as JSON.")
    parser.add_argument("--service", choices=sorted(shopcore_services.PORTS), default="order")
    args = parser.parse_args(argv)
    print(json.dumps(openapi_document(args.service), indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs one subcommand; answers the exit status."""
    from shopcore_services import dispatch, serve, staff

    commands = {"serve": serve.main, "staff": staff.main, "migrate": migrate, "backup": backup, "openapi": openapi, "dispatch": dispatch.main}
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["--version"], ["-V"]):
        print(f"shopcore-services {shopcore_services.__version__} (shopcore {shopcore.__version__})")
        return 0
    if not args or args[0] not in commands:
        print(__doc__, file=sys.stderr if args and args[0] not in ("-h", "--help") else sys.stdout)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    return commands[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())

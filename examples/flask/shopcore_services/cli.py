"""The ``shopcore-services`` command::

    shopcore-services serve [--service NAME] [--host H] [--port-offset N] [--seed] [--dispatch]  # the services (see serve)
    shopcore-services staff create --name NAME --role ROLE          # staff keys on DATABASE_URL
    shopcore-services staff list | staff revoke KEY_ID
    shopcore-services dispatch [--once]                             # deliver the notification outbox (see dispatch)
    shopcore-services migrate [--seed]                              # migrate DATABASE_URL once, e.g. before workers start
    shopcore-services openapi [--service NAME]                      # the OpenAPI document as JSON
    shopcore-services --version

Configuration comes from the environment, read once at start (:mod:`shopcore_services.settings`);
a bad value stops any command but ``--version`` and ``openapi`` with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

import shopcore
import shopcore_services
from shopcore_services.config import required_database_url
from shopcore_services.settings import settings_or_exit


def migrate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="shopcore-services migrate", description="Create or upgrade the schema of DATABASE_URL.")
    parser.add_argument("--seed", action="store_true", help="also load the seed rows (idempotent)")
    args = parser.parse_args(argv)
    url = required_database_url(settings_or_exit(), "the in-memory engine has no schema to migrate")
    if url is None:
        return 2
    try:
        shopcore.Engine.mysql(url, migrate=True, seed=args.seed, max_connections=1).close()
    except shopcore.ShopError as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 1
    print("migrated" + (" and seeded" if args.seed else ""))
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

    commands = {"serve": serve.main, "staff": staff.main, "migrate": migrate, "openapi": openapi, "dispatch": dispatch.main}
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

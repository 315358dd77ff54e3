"""Staff keys from the command line, on the database of ``DATABASE_URL`` (SQLite or
MySQL; unset: ``.run/shop.db``, the file ``serve`` keeps by default, if it exists).

    shopcore-services staff create --name "support desk" --role support
    shopcore-services staff list
    shopcore-services staff revoke 3

``create`` prints the key once; the database keeps only its hash.
"""

from __future__ import annotations

import argparse
import json
import sys

import shopcore
from shopcore_services.config import CannotOpen, command_database, open_engine
from shopcore_services.settings import settings_or_exit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopcore-services staff", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["support", "inventory", "admin"])
    commands.add_parser("list", help="list keys (never their secrets)")
    revoke = commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id", type=int)
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    try:
        engine = open_engine(command_database(settings, "staff"), settings, create=False, max_connections=1)
    except (CannotOpen, shopcore.ShopError) as err:
        print(f"cannot open the database: {err}", file=sys.stderr)
        return 2
    try:
        if args.command == "create":
            issued = engine.create_staff_key(name=args.name, role=args.role)
            print(json.dumps({"key_id": issued.key_id, "name": issued.name, "role": issued.role, "key": issued.key}))
        elif args.command == "list":
            for key in engine.staff_keys():
                revoked = key.revoked_at.isoformat() if key.revoked_at else None
                print(json.dumps({"key_id": key.key_id, "name": key.name, "role": key.role, "revoked_at": revoked}))
        else:
            key = engine.revoke_staff_key(args.key_id)
            print(json.dumps({"key_id": key.key_id, "revoked": True}))
    except shopcore.ShopError as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 1
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The services' settings: every environment variable they read, read once.

:meth:`Settings.from_environ` reads and checks every variable at start — the
console script (``serve``, ``dispatch``, ``migrate``, ``staff``), the gunicorn
settings and each service's zero-argument ``create_app()`` call it once — and
a bad value raises :class:`SettingsError` naming the variable (the commands
print ``cannot start: …`` and exit with status 2). No other module of the
package reads the environment: they take a :class:`Settings`. An empty value
is the same as an unset one.

The table of every variable, its default and what it does is in the book's
configuration chapter (``docs/src/configuration.md``), generated from the
fields' metadata by :meth:`Settings.markdown_table` and checked by
``test_docs_tables.py``.

This module imports neither Flask nor prometheus_client, so that the gunicorn
settings can check the configuration in the master process before any
worker imports them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import shopcore

AuthMode = Literal["enforced", "legacy"]
AUTH_MODES: tuple[AuthMode, ...] = ("enforced", "legacy")
LogFormat = Literal["text", "json"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: The largest value a whole-number setting takes (each setting may allow less).
MAX_WHOLE = 10**9

#: The most deliveries one dispatch round may claim.
MAX_BATCH = 500

#: The most reverse proxies ``SHOPCORE_TRUSTED_PROXIES`` may count.
MAX_PROXIES = 10

#: The longest return window ``SHOPCORE_RETURN_WINDOW_DAYS`` may set (the engine's own limit).
MAX_RETURN_WINDOW_DAYS = 3650


class SettingsError(ValueError):
    """A setting with a value the services cannot start with; the message names the variable."""


#: The database ``shopcore-services serve`` (and so ``make run``) uses when
#: ``DATABASE_URL`` is unset: this SQLite file, relative to the directory it
#: starts in, created (with its directory), migrated and seeded on the first
#: start and reused afterwards. The other commands of the console script use
#: the same file when it exists; ``create_app()`` without ``DATABASE_URL`` uses
#: the in-memory engine (see :mod:`shopcore_services.config`).
DEFAULT_DATABASE_URL = "sqlite:.run/shop.db"


@dataclass(frozen=True)
class Database:
    """Where the services keep their data: what a ``DATABASE_URL`` names.

    - ``sqlite:PATH`` as sqlx spells it (``sqlite:shop.db``, ``sqlite://rel/shop.db``,
      ``sqlite:///abs/path/shop.db``): a SQLite file on this host;
    - ``mysql://…`` or ``mariadb://…``: a MySQL/MariaDB server (or a Galera cluster);
    - ``memory:``: the seeded in-memory engine, this process's data only.
    """

    kind: Literal["memory", "sqlite", "mysql"]
    #: The URL as given (a MySQL password may be in it: never in a log line).
    url: str = field(repr=False)
    #: The file of a ``sqlite:`` URL.
    path: Path | None = None

    @classmethod
    def of_url(cls, url: str) -> Database:
        """The database ``url`` names; raises :class:`SettingsError` naming
        ``DATABASE_URL`` (and only the URL's scheme) if it names none."""
        if url == "memory:":
            return cls("memory", url)
        if url.startswith(("mysql://", "mariadb://")):
            return cls("mysql", url)
        if url.startswith("sqlite:"):
            rest = url.removeprefix("sqlite:")
            path = rest.removeprefix("//")
            if "?" in path or "#" in path:
                raise SettingsError(f"DATABASE_URL: a sqlite: URL takes no options here, not {_shown(url)}")
            if path in ("", ":memory:"):
                raise SettingsError(
                    "DATABASE_URL: a sqlite: URL names a file (sqlite:shop.db or sqlite:///abs/path/shop.db); for the in-memory engine say memory:"
                )
            return cls("sqlite", url, Path(path))
        scheme = url.split(":", 1)[0] if ":" in url else ""
        raise SettingsError(
            "DATABASE_URL must be sqlite:PATH (sqlite:shop.db, sqlite:///abs/path/shop.db), mysql://… (or mariadb://…) or memory:, "
            f"not {(scheme + ':…') if scheme.isalnum() else 'that'}"
        )


def _reads(name: str, default: str, doc: str) -> dict[str, str]:
    """The metadata of a :class:`Settings` field read from the environment
    variable ``name``: its default and what it does, as the configuration
    table of the book shows them (Markdown; generated from these)."""
    return {"variable": name, "default": default, "doc": doc}


def auth_mode(value: str | None) -> AuthMode:
    """``SHOPCORE_AUTH``'s value: ``enforced`` (also when unset) or ``legacy``."""
    if value in (None, ""):
        return "enforced"
    if value not in AUTH_MODES:
        raise SettingsError(f"SHOPCORE_AUTH must be 'enforced' or 'legacy', not {value!r}")
    return value


def _shown(raw: str) -> str:
    return repr(raw[:40])


def _whole(name: str, raw: str, lowest: int, highest: int, unit: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not lowest <= int(raw) <= highest:
        bounds = f" from {lowest} to {highest}" if (lowest, highest) != (0, MAX_WHOLE) else ""
        raise SettingsError(f"{name} must be a whole number of {unit}{bounds}, not {_shown(raw)}")
    return int(raw)


def _seconds(name: str, raw: str) -> float:
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?", raw):
        raise SettingsError(f"{name} must be a number of seconds, 0 or more (e.g. 10 or 2.5), not {_shown(raw)}")
    return float(raw)


def _bare_hosts(name: str, raw: str) -> str:
    """The rule the engine applies to the list when a webhook is created, checked at start."""
    hosts = [host.strip() for host in raw.split(",") if host.strip()]
    if any(c in host for host in hosts for c in "/ @"):
        raise SettingsError(f"{name} must be bare host names separated by commas, not {_shown(raw)}")
    return raw


@dataclass(frozen=True)
class Settings:
    """Every setting of the services, each from one environment variable
    (``field.metadata["variable"]``), checked when read."""

    #: ``sqlite:PATH``, ``mysql://…``/``mariadb://…`` or ``memory:`` (see :class:`Database`);
    #: ``None`` when unset: each entry point's default (see :data:`DEFAULT_DATABASE_URL`).
    database_url: str | None = field(
        repr=False,  # a password may be in it: never in a log line
        metadata=_reads(
            "DATABASE_URL",
            "unset: `serve` (and `make run`) keep the SQLite file `.run/shop.db`; the other commands use that file if it exists; "
            "`create_app()` runs on the seeded in-memory engine",
            "`sqlite:PATH` (`sqlite:shop.db`, `sqlite:///abs/path/shop.db`): a SQLite file on this host; "
            "`mysql://user:pass@host:port/db` or `mariadb://…` (TLS options in the query string); `memory:`: the seeded in-memory engine. "
            "Migrated on start",
        ),
    )
    auth: AuthMode = field(
        metadata=_reads("SHOPCORE_AUTH", "`enforced`", "`enforced`, or `legacy`: the original open contract, for existing clients on a trusted network")
    )
    #: Checked (strength, revocation) by the engine when it is installed at start.
    admin_key: str | None = field(
        repr=False,  # a password may be in it: never in a log line
        metadata=_reads(
            "SHOPCORE_ADMIN_KEY",
            "unset: `serve` on a database without a live admin key (the in-memory engine; a new SQLite file or MySQL database) prints a fresh "
            "admin key once; a restart on the same database keeps it",
            "an admin key to install at start: at least 128 bits by shopcore's estimate (40+ random hex characters pass; runs and repeats do not "
            "count); refused once revoked",
        ),
    )
    session_hours: int = field(metadata=_reads("SHOPCORE_SESSION_HOURS", "24", "how long a login lasts"))
    #: The shop's policies: ``None`` keeps the seed shop's default.
    default_region: str | None = field(metadata=_reads("SHOPCORE_DEFAULT_REGION", "Cairo", "the tax region of a request naming none"))
    rounding: str | None = field(metadata=_reads("SHOPCORE_ROUNDING", "`half_up`", "`half_up` or `half_even`"))
    tax_mode: str | None = field(metadata=_reads("SHOPCORE_TAX_MODE", "`per_order`", "`per_order` or `per_line`"))
    point_value: str | None = field(metadata=_reads("SHOPCORE_POINT_VALUE", "0.01", "what a redeemed loyalty point is worth"))
    loyalty_unit: str | None = field(metadata=_reads("SHOPCORE_LOYALTY_UNIT", "10.00", "the amount that earns one point"))
    delivery_days: int | None = field(metadata=_reads("SHOPCORE_DELIVERY_DAYS", "5", "the delivery promise in confirmations"))
    #: How long after a shipment a customer may ask for a return of its units (``POST /api/orders/<id>/returns``).
    return_window_days: int = field(
        metadata=_reads(
            "SHOPCORE_RETURN_WINDOW_DAYS",
            "30",
            f"how many days after a shipment a customer may ask for a return of its units (0–{MAX_RETURN_WINDOW_DAYS}); staff returns have no window",
        )
    )
    trusted_proxies: int = field(
        metadata=_reads(
            "SHOPCORE_TRUSTED_PROXIES",
            "0",
            "reverse proxies in front (0–10): with N, the client address the throttles count by is the N-th from the right of `X-Forwarded-For` "
            "(Werkzeug's `ProxyFix`); with 0 that header is ignored, since any client could write it",
        )
    )
    slow_sql_ms: int = field(metadata=_reads("SHOPCORE_SLOW_SQL_MS", "1000", "MySQL statements at least this slow are a WARNING of the logger `sqlx.query`"))
    #: How long one MySQL write may rerun after deadlocks and lock waits.
    retry_budget_ms: int = field(
        metadata=_reads(
            "SHOPCORE_RETRY_BUDGET_MS",
            "5000",
            "How long one MySQL write may rerun after deadlocks, lock waits and Galera conflicts before it answers 503 `storage_unavailable` (at most 600000)",
        )
    )
    log_format: LogFormat = field(metadata=_reads("SHOPCORE_LOG_FORMAT", "`text`", "`text`, or `json`: one object per line"))
    log_level: str = field(metadata=_reads("SHOPCORE_LOG_LEVEL", "`INFO`", "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`"))
    drain_seconds: float = field(
        metadata=_reads("SHOPCORE_DRAIN_SECONDS", "10", "`serve`: how long a stop waits for the requests in flight (seconds, 0 or more)")
    )
    #: Comma-separated host names webhooks may be registered for ("": any host).
    webhook_allowed_hosts: str = field(
        metadata=_reads(
            "SHOPCORE_WEBHOOK_ALLOWED_HOSTS",
            "unset: any host",
            "comma-separated bare host names staff may register webhooks for, checked again by the dispatcher on every send; set it in production",
        )
    )
    #: ``refuse`` (default): webhooks go to public addresses only, checked on the
    #: address connected to; ``allow``: also loopback, private and link-local ones.
    webhook_private_targets: Literal["refuse", "allow"] = field(
        metadata=_reads(
            "SHOPCORE_WEBHOOK_PRIVATE_TARGETS",
            "`refuse`",
            "`refuse`: the dispatcher sends webhooks only to public addresses, judged on the address each request connects to (a name resolving to "
            "127.0.0.1 or 169.254.169.254 is refused then, and the delivery fails with `refused: …`); `allow`: also loopback, private and "
            "link-local addresses (tests, closed networks)",
        )
    )
    #: Checked by the engine when a dispatcher is built.
    smtp_url: str | None = field(
        repr=False,  # a password may be in it: never in a log line
        metadata=_reads(
            "SHOPCORE_SMTP_URL",
            "unset: emails stay pending",
            "the dispatcher's mail server: `smtps://[user:password@]host[:port]` (TLS, port 465), `smtp://[user:password@]host[:port]?tls=required` "
            "(STARTTLS, port 587) or `smtp://host[:port]` (plain SMTP to a local relay, port 25)",
        ),
    )
    smtp_ca_file: str | None = field(
        metadata=_reads(
            "SHOPCORE_SMTP_CA_FILE", "unset: the public roots", "a PEM file of CA certificates also trusted for the mail server (a private CA); needs a TLS URL"
        )
    )
    mail_from: str | None = field(metadata=_reads("SHOPCORE_MAIL_FROM", "`shopcore <shop@localhost>`", "the dispatcher's sender"))
    message_domain: str | None = field(metadata=_reads("SHOPCORE_MESSAGE_DOMAIN", "`shopcore.localhost`", "the right side of each Message-ID"))
    #: The dispatcher's settings: ``None`` keeps the engine's default.
    dispatch_max_attempts: int | None = field(metadata=_reads("SHOPCORE_DISPATCH_MAX_ATTEMPTS", "8", "attempts before a delivery fails"))
    dispatch_timeout_ms: int | None = field(metadata=_reads("SHOPCORE_DISPATCH_TIMEOUT_MS", "10000", "how long one send may take"))
    dispatch_first_retry_ms: int | None = field(metadata=_reads("SHOPCORE_DISPATCH_FIRST_RETRY_MS", "10000", "the first retry's delay, doubling per attempt"))
    dispatch_max_retry_ms: int | None = field(metadata=_reads("SHOPCORE_DISPATCH_MAX_RETRY_MS", "3600000", "the longest delay between retries"))
    dispatch_lease_ms: int | None = field(
        metadata=_reads("SHOPCORE_DISPATCH_LEASE_MS", "120000 (3 × the timeout if more)", "how long a claim is held before another dispatcher may take it over")
    )
    dispatch_batch: int = field(metadata=_reads("SHOPCORE_DISPATCH_BATCH", "100", "deliveries claimed per round (1–500)"))
    #: gunicorn (``gunicorn_conf``): the address to bind and the worker processes.
    bind: str = field(metadata=_reads("SHOPCORE_BIND", "`127.0.0.1:5001`", "gunicorn (`gunicorn_conf`): the address to listen on"))
    web_concurrency: int = field(metadata=_reads("WEB_CONCURRENCY", "2", "gunicorn (`gunicorn_conf`): worker processes, about one per core"))
    #: prometheus_client's own variable: multi-process metrics (set by ``gunicorn_conf``).
    prometheus_multiproc_dir: str | None = field(
        metadata=_reads(
            "PROMETHEUS_MULTIPROC_DIR",
            "unset; `gunicorn_conf` makes a fresh directory",
            "prometheus_client's own variable: where each worker writes its metrics, summed by any worker's `/metrics`",
        )
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings of ``environ`` (``os.environ``, or any mapping); raises
        :class:`SettingsError` naming the first variable with a bad value."""

        def text(name: str) -> str | None:
            raw = environ.get(name)
            return raw if raw else None

        def whole(name: str, default: int | None, unit: str, lowest: int = 0, highest: int = MAX_WHOLE) -> Any:
            raw = text(name)
            return default if raw is None else _whole(name, raw, lowest, highest, unit)

        raw_format = text("SHOPCORE_LOG_FORMAT") or "text"
        if raw_format not in ("text", "json"):
            raise SettingsError(f"SHOPCORE_LOG_FORMAT must be 'text' or 'json', not {_shown(raw_format)}")
        log_format: LogFormat = "json" if raw_format == "json" else "text"
        log_level = (text("SHOPCORE_LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"SHOPCORE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {_shown(log_level)}")
        drain = text("SHOPCORE_DRAIN_SECONDS")
        hosts = text("SHOPCORE_WEBHOOK_ALLOWED_HOSTS") or ""
        private_targets = text("SHOPCORE_WEBHOOK_PRIVATE_TARGETS") or "refuse"
        if private_targets not in ("refuse", "allow"):
            raise SettingsError(f"SHOPCORE_WEBHOOK_PRIVATE_TARGETS must be 'refuse' or 'allow', not {_shown(private_targets)}")
        settings = cls(
            database_url=text("DATABASE_URL"),
            auth=auth_mode(text("SHOPCORE_AUTH")),
            admin_key=text("SHOPCORE_ADMIN_KEY"),
            session_hours=whole("SHOPCORE_SESSION_HOURS", 24, "hours"),
            default_region=text("SHOPCORE_DEFAULT_REGION"),
            rounding=text("SHOPCORE_ROUNDING"),
            tax_mode=text("SHOPCORE_TAX_MODE"),
            point_value=text("SHOPCORE_POINT_VALUE"),
            loyalty_unit=text("SHOPCORE_LOYALTY_UNIT"),
            delivery_days=whole("SHOPCORE_DELIVERY_DAYS", None, "days"),
            return_window_days=whole("SHOPCORE_RETURN_WINDOW_DAYS", 30, "days", 0, MAX_RETURN_WINDOW_DAYS),
            trusted_proxies=whole("SHOPCORE_TRUSTED_PROXIES", 0, "proxies", highest=MAX_PROXIES),
            slow_sql_ms=whole("SHOPCORE_SLOW_SQL_MS", 1000, "milliseconds"),
            retry_budget_ms=whole("SHOPCORE_RETRY_BUDGET_MS", 5000, "milliseconds", highest=600_000),
            log_format=log_format,
            log_level=log_level,
            drain_seconds=10.0 if drain is None else _seconds("SHOPCORE_DRAIN_SECONDS", drain),
            webhook_allowed_hosts=_bare_hosts("SHOPCORE_WEBHOOK_ALLOWED_HOSTS", hosts),
            webhook_private_targets="allow" if private_targets == "allow" else "refuse",
            smtp_url=text("SHOPCORE_SMTP_URL"),
            smtp_ca_file=text("SHOPCORE_SMTP_CA_FILE"),
            mail_from=text("SHOPCORE_MAIL_FROM"),
            message_domain=text("SHOPCORE_MESSAGE_DOMAIN"),
            dispatch_max_attempts=whole("SHOPCORE_DISPATCH_MAX_ATTEMPTS", None, "attempts", 1),
            dispatch_timeout_ms=whole("SHOPCORE_DISPATCH_TIMEOUT_MS", None, "milliseconds", 1),
            dispatch_first_retry_ms=whole("SHOPCORE_DISPATCH_FIRST_RETRY_MS", None, "milliseconds", 1),
            dispatch_max_retry_ms=whole("SHOPCORE_DISPATCH_MAX_RETRY_MS", None, "milliseconds", 1),
            dispatch_lease_ms=whole("SHOPCORE_DISPATCH_LEASE_MS", None, "milliseconds", 1),
            dispatch_batch=whole("SHOPCORE_DISPATCH_BATCH", 100, "deliveries", 1, MAX_BATCH),
            bind=text("SHOPCORE_BIND") or "127.0.0.1:5001",
            web_concurrency=whole("WEB_CONCURRENCY", 2, "worker processes", 1, 1000),
            prometheus_multiproc_dir=text("PROMETHEUS_MULTIPROC_DIR"),
        )
        settings.shop_config()  # the engine's own checks of the shop's policies, now
        if settings.database_url is not None:
            Database.of_url(settings.database_url)  # a URL naming no database stops the start
        return settings

    @classmethod
    def markdown_table(cls) -> str:
        """Every variable with its default and what it does: the configuration
        table of the book (``docs/src/configuration.md``), generated from the
        fields' metadata and checked by ``test_docs_tables.py``."""
        rows = ["| variable | default | what |", "|---|---|---|"]
        for f in dataclasses.fields(cls):
            rows.append(f"| `{f.metadata['variable']}` | {f.metadata['default']} | {f.metadata['doc']} |")
        return "\n".join(rows) + "\n"

    def database(self, default: str | None = DEFAULT_DATABASE_URL) -> Database | None:
        """The database of ``DATABASE_URL``, or when it is unset the one of
        ``default`` (``None``: no default)."""
        url = self.database_url or default
        return None if url is None else Database.of_url(url)

    def shop_config(self) -> shopcore.ShopConfig:
        """The shop's policies; unset ones keep the seed shop's defaults. A value
        the engine refuses raises :class:`SettingsError` naming its variable."""
        options: dict[str, object] = {}
        for name in ("session_hours", "delivery_days", "default_region", "rounding", "tax_mode", "point_value", "loyalty_unit"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                shopcore.ShopConfig(**{name: value})
            except (shopcore.ValidationError, OverflowError, ValueError, TypeError) as error:
                raise SettingsError(f"{variable(name)}: {error}") from None
            options[name] = value
        return shopcore.ShopConfig(**options)  # type: ignore[arg-type]


def variable(name: str) -> str:
    """The environment variable of the setting ``name``."""
    found: str = Settings.__dataclass_fields__[name].metadata["variable"]
    return found


def variables() -> list[str]:
    """Every environment variable :class:`Settings` reads, in field order."""
    return [f.metadata["variable"] for f in dataclasses.fields(Settings)]


def of(source: Settings | Mapping[str, str]) -> Settings:
    """``source`` if it is settings already, else the settings of that environment."""
    return source if isinstance(source, Settings) else Settings.from_environ(source)


def from_process() -> Settings:
    """The settings of this process's environment (``os.environ``)."""
    return Settings.from_environ(os.environ)


def settings_or_exit() -> Settings:
    """:func:`from_process` for a command's start: a bad value prints
    ``cannot start: <the variable and why>`` on stderr and exits with status 2."""
    try:
        return from_process()
    except SettingsError as err:
        print(f"cannot start: {err}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None

"""The settings: every variable the services read is a field of ``Settings``,
listed in the configuration table of the book (docs/src/configuration.md), read only by
``settings.py``, and checked at start — a bad value stops every way of
starting with exit status 2 and a line naming the variable."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopcore_services import settings as settings_module
from shopcore_services.settings import Settings, SettingsError, variables

PACKAGE = Path(settings_module.__file__).resolve().parent
CONFIGURATION = PACKAGE.parents[2] / "docs" / "src" / "configuration.md"
BIN = Path(sys.executable).parent


def documented_variables() -> list[str]:
    """The first column of the configuration table of the book."""
    section = CONFIGURATION.read_text(encoding="utf-8").split("<!-- generated: settings -->\n", 1)[1].split("<!-- end generated -->", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = [re.match(r"\| `([A-Z_]+)` \|", row) for row in rows]
    assert all(names), rows
    return [name.group(1) for name in names if name]


def test_the_configuration_table_lists_exactly_the_variables_of_the_settings() -> None:
    documented = documented_variables()
    assert len(documented) == len(set(documented)), "a variable is listed twice"
    assert sorted(documented) == sorted(variables())
    for row in CONFIGURATION.read_text(encoding="utf-8").splitlines():
        if row.startswith("| `"):
            assert len([cell for cell in row.strip("|").split("|") if cell.strip()]) == 3, row


class Recording(dict[str, str]):
    """An environment that remembers which variables were asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def test_the_settings_read_every_variable_they_declare_and_no_other() -> None:
    environ = Recording({"SHOPCORE_UNRELATED": "x"})
    Settings.from_environ(environ)
    assert environ.asked == set(variables())


def test_no_module_but_the_settings_reads_the_environment() -> None:
    reads = re.compile(r"\bos\.environ\b|\bgetenv\b|\benviron\.get\(|\benviron\[")
    offenders = []
    for source in sorted(PACKAGE.glob("*.py")):
        for line in source.read_text(encoding="utf-8").splitlines():
            if reads.search(line) and source.name != "settings.py":
                offenders.append(f"{source.name}: {line.strip()}")
    # gunicorn_conf only writes prometheus_client's own variable for the workers.
    assert offenders == ['gunicorn_conf.py: os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR']


def test_unset_and_empty_variables_take_the_defaults() -> None:
    for environ in ({}, dict.fromkeys(variables(), "")):
        settings = Settings.from_environ(environ)
        assert settings.database_url is None and settings.admin_key is None
        assert (settings.auth, settings.session_hours, settings.trusted_proxies) == ("enforced", 24, 0)
        assert (settings.slow_sql_ms, settings.log_format, settings.log_level) == (1000, "text", "INFO")
        assert (settings.drain_seconds, settings.dispatch_batch, settings.webhook_allowed_hosts) == (10.0, 100, "")
        assert (settings.bind, settings.web_concurrency, settings.return_window_days) == ("127.0.0.1:5001", 2, 30)
        assert settings.dispatch_timeout_ms is None and settings.smtp_url is None


def test_values_are_parsed_once() -> None:
    settings = Settings.from_environ(
        {
            "SHOPCORE_DRAIN_SECONDS": "2.5",
            "SHOPCORE_TRUSTED_PROXIES": "2",
            "SHOPCORE_LOG_LEVEL": "debug",
            "SHOPCORE_WEBHOOK_ALLOWED_HOSTS": "hooks.example.com, other.example.org",
            "SHOPCORE_AUTH": "legacy",
            "SHOPCORE_DISPATCH_BATCH": "500",
            "SHOPCORE_DISPATCH_TIMEOUT_MS": "50000",
            "WEB_CONCURRENCY": "4",
        }
    )
    assert (settings.drain_seconds, settings.trusted_proxies, settings.log_level) == (2.5, 2, "DEBUG")
    assert settings.webhook_allowed_hosts == "hooks.example.com, other.example.org"
    assert (settings.auth, settings.dispatch_batch, settings.dispatch_timeout_ms) == ("legacy", 500, 50000)
    assert settings.web_concurrency == 4


BAD_VALUES = [
    ("SHOPCORE_DRAIN_SECONDS", "abc"),
    ("SHOPCORE_DRAIN_SECONDS", "-1"),
    ("SHOPCORE_DRAIN_SECONDS", "inf"),
    ("SHOPCORE_TRUSTED_PROXIES", "-1"),
    ("SHOPCORE_TRUSTED_PROXIES", "11"),
    ("SHOPCORE_SESSION_HOURS", "x"),
    ("SHOPCORE_SESSION_HOURS", "0"),
    ("SHOPCORE_DELIVERY_DAYS", "five"),
    ("SHOPCORE_RETURN_WINDOW_DAYS", "-1"),
    ("SHOPCORE_RETURN_WINDOW_DAYS", "3651"),
    ("SHOPCORE_RETURN_WINDOW_DAYS", "a month"),
    ("SHOPCORE_AUTH", "open"),
    ("SHOPCORE_ROUNDING", "up"),
    ("SHOPCORE_TAX_MODE", "per_item"),
    ("SHOPCORE_POINT_VALUE", "0"),
    ("SHOPCORE_LOYALTY_UNIT", "ten"),
    ("SHOPCORE_DEFAULT_REGION", " "),
    ("SHOPCORE_SLOW_SQL_MS", "1s"),
    ("SHOPCORE_RETRY_BUDGET_MS", "5s"),
    ("SHOPCORE_RETRY_BUDGET_MS", "600001"),
    ("SHOPCORE_LOG_FORMAT", "xml"),
    ("SHOPCORE_LOG_LEVEL", "loud"),
    ("SHOPCORE_WEBHOOK_ALLOWED_HOSTS", "hooks.example.com/path"),
    ("SHOPCORE_DISPATCH_MAX_ATTEMPTS", "0"),
    ("SHOPCORE_DISPATCH_LEASE_MS", "-5"),
    ("SHOPCORE_DISPATCH_BATCH", "501"),
    ("WEB_CONCURRENCY", "many"),
]


@pytest.mark.parametrize(("variable", "value"), BAD_VALUES)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({variable: value})


def environment(**changes: str) -> dict[str, str]:
    """This process's environment without any setting, plus ``changes``."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in variables()}
    env.update(changes)
    return env


@pytest.fixture
def cwd() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield directory


STARTS = [
    ("serve", "SHOPCORE_DRAIN_SECONDS", "abc"),
    ("serve", "SHOPCORE_TRUSTED_PROXIES", "-1"),
    ("serve", "SHOPCORE_SESSION_HOURS", "x"),
    ("serve", "SHOPCORE_WEBHOOK_ALLOWED_HOSTS", "a b"),
    ("dispatch", "SHOPCORE_DISPATCH_TIMEOUT_MS", "soon"),
    ("migrate", "SHOPCORE_LOG_LEVEL", "loud"),
    ("staff", "SHOPCORE_SLOW_SQL_MS", "fast"),
]


@pytest.mark.parametrize(("command", "variable", "value"), STARTS)
def test_a_bad_value_stops_the_console_script_with_status_2(command: str, variable: str, value: str, cwd: str) -> None:
    args = {"serve": ["serve"], "dispatch": ["dispatch", "--once"], "migrate": ["migrate"], "staff": ["staff", "list"]}[command]
    done = subprocess.run([str(BIN / "shopcore-services"), *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=environment(**{variable: value}))
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cannot start: {variable} must be"), done.stderr


@pytest.mark.parametrize(("variable", "value"), [("SHOPCORE_DRAIN_SECONDS", "abc"), ("WEB_CONCURRENCY", "0"), ("SHOPCORE_TRUSTED_PROXIES", "-1")])
def test_a_bad_value_stops_gunicorn_with_status_2(variable: str, value: str, cwd: str) -> None:
    command = [str(BIN / "gunicorn"), "-c", "python:shopcore_services.gunicorn_conf", "shopcore_services.order:create_app()"]
    env = environment(DATABASE_URL="mysql://nobody@127.0.0.1:1/none", SHOPCORE_BIND="127.0.0.1:0", **{variable: value})
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done
    assert f"cannot start: {variable} must be" in done.stderr, done.stderr


def test_a_bad_value_stops_a_zero_argument_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    from shopcore_services import pricing

    monkeypatch.setenv("SHOPCORE_DRAIN_SECONDS", "soon")
    with pytest.raises(ValueError, match="SHOPCORE_DRAIN_SECONDS"):
        pricing.create_app()


def test_explicit_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import shopcore
    from shopcore_services import notification

    monkeypatch.setenv("SHOPCORE_WEBHOOK_ALLOWED_HOSTS", "from-the-environment.example")
    chosen = Settings.from_environ({"SHOPCORE_WEBHOOK_ALLOWED_HOSTS": "hooks.example.com"})
    app = notification.create_app(shopcore.Engine.in_memory(), "legacy", settings=chosen)
    assert app.config["WEBHOOK_ALLOWED_HOSTS"] == "hooks.example.com"
    assert notification.create_app(shopcore.Engine.in_memory(), "legacy").config["WEBHOOK_ALLOWED_HOSTS"] == "from-the-environment.example"


def test_the_settings_repr_never_shows_a_password_or_key() -> None:
    settings = Settings.from_environ(
        {
            "DATABASE_URL": "mysql://shop:db-secret@127.0.0.1:3306/shop",
            "SHOPCORE_ADMIN_KEY": "3a7f9c1e5b2d8046f1c9e7a3b5d20f8c6e4a1b9d7c3f",
            "SHOPCORE_SMTP_URL": "smtps://alice:smtp-secret@mail.example.com",
        }
    )
    shown = repr(settings)
    assert "db-secret" not in shown and "smtp-secret" not in shown and "3a7f9c1e" not in shown, shown
    assert settings.smtp_url == "smtps://alice:smtp-secret@mail.example.com"

"""``make dist``'s artifacts, installed into fresh virtualenvs the way a user
would install them: the wheels (shopcore repaired to a manylinux tag, and
shopcore-services), then the two sdists, built from source by pip. Each venv
then imports both packages from a directory outside the repository, runs the
console script and serves a request from the packaged OpenAPI document.

Without ``dist/`` (run ``make dist``) these tests skip, except with ``CI=true``,
where ``make test`` has built it and its absence is a failure."""

from __future__ import annotations

import os
import subprocess
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DIST = ROOT / "dist"
VERSION = "0.1.0"

# Runs inside the fresh venv, from an empty directory.
CHECK = """
import importlib.metadata, json, shopcore, shopcore_services
from decimal import Decimal
from shopcore_services import order, pricing
assert shopcore.__version__ == shopcore_services.__version__ == "{version}", shopcore.__version__
for name in ("shopcore", "shopcore-services"):
    meta = importlib.metadata.metadata(name)
    assert meta["License-Expression"] == "MIT OR Apache-2.0", (name, meta["License-Expression"])
    files = [str(f) for f in importlib.metadata.files(name) or []]
    assert any(f.endswith("LICENSE-APACHE") for f in files) and any(f.endswith("LICENSE-MIT") for f in files), files
    assert meta["Summary"], name
assert any(str(f).endswith("py.typed") for f in importlib.metadata.files("shopcore") or [])
cart = [{{"product_id": 1, "quantity": 1}}, {{"product_id": 2, "quantity": 10}}]
quote = pricing.create_app(auth="enforced").test_client().post("/api/pricing/calculate", json={{"products": cart}})
assert quote.status_code == 200 and Decimal(str(quote.get_json()["total"])) == Decimal("1430.59"), quote.get_data()
client = order.create_app(auth="enforced").test_client()
assert client.post("/api/orders/create", json={{"customer_id": 1, "products": cart}}).status_code == 401
spec = client.get("/openapi.json")
assert spec.status_code == 200 and "/api/orders/create" in spec.get_json()["paths"]
print("ok", shopcore.__file__)
"""


def artifacts(pattern: str) -> list[Path]:
    found = sorted(DIST.glob(pattern))
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no {pattern} in {DIST}: make test builds them (make dist)")
        pytest.skip(f"no {pattern} in {DIST}: run make dist")
    return found


@pytest.fixture
def fresh_venv() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="shopcore-dist-") as directory:
        venv.create(directory, with_pip=True)
        yield Path(directory)


def install_and_check(environment: Path, packages: list[Path], **env: str) -> str:
    pip = [str(environment / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    installed = subprocess.run([*pip, *map(str, packages)], capture_output=True, text=True, timeout=1800, env={**os.environ, **env})
    assert installed.returncode == 0, installed.stdout + installed.stderr
    with tempfile.TemporaryDirectory() as cwd:
        checked = subprocess.run(
            [str(environment / "bin" / "python"), "-c", CHECK.format(version=VERSION)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("SHOPCORE_")},
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert str(environment) in checked.stdout  # the venv's own copy, not the repository's
        script = subprocess.run([str(environment / "bin" / "shopcore-services"), "--version"], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0, script.stderr
    return script.stdout.strip()


def test_the_wheels_install_into_a_fresh_venv(fresh_venv: Path) -> None:
    wheels = artifacts("*.whl")
    names = sorted(w.name for w in wheels)
    assert len(names) == 2, names
    core, services = (next(w for w in wheels if w.name.startswith(prefix)) for prefix in ("shopcore-", "shopcore_services-"))
    # abi3 for every CPython >= 3.11; repaired by auditwheel to a manylinux tag.
    assert core.name.startswith(f"shopcore-{VERSION}-cp311-abi3-manylinux_"), core.name
    assert services.name == f"shopcore_services-{VERSION}-py3-none-any.whl"
    assert install_and_check(fresh_venv, [core, services]) == f"shopcore-services {VERSION} (shopcore {VERSION})"


def test_the_sdists_build_and_install_into_a_fresh_venv(fresh_venv: Path) -> None:
    sdists = artifacts("*.tar.gz")
    assert sorted(s.name for s in sdists) == [f"shopcore-{VERSION}.tar.gz", f"shopcore_services-{VERSION}.tar.gz"]
    # pip builds shopcore from source (maturin, release); sharing the repository's
    # target directory reuses the compiled dependencies.
    version = install_and_check(fresh_venv, sdists, CARGO_TARGET_DIR=str(ROOT / "target"))
    assert version == f"shopcore-services {VERSION} (shopcore {VERSION})"

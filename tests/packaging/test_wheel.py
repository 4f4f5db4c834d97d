"""The wheel a user installs: mockkit alone, the dependencies it imports, and every fixture working.

The wheel is built from a copy of this repository with the build backend installed here (no
build isolation, so no download). The clean environment is a new virtualenv without system
site-packages; its dependencies come from a wheelhouse made of this environment's own installed
distributions (each re-packed as a wheel), installed with `pip install --no-index`: offline, as
the rest of the suite.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]

#: Left out of the copy the wheel is built from: environments, caches, build output.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "site",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "instance",
    "test-results",
    "node_modules",
)


def _environ() -> dict[str, str]:
    """The environment of a stranger's shell: nothing pointing into this repository."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    environ.pop("CI", None)
    environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    environ["PIP_NO_INPUT"] = "1"
    environ["PIP_CONFIG_FILE"] = os.devnull  # only the wheelhouse: no configured index or links
    return environ


def _run(*command: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result


def _check(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{result.args} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mockkit's wheel, built from a copy of the repository (so nothing is written here)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(REPO, source, ignore=_NOT_COPIED)
    out = base / "dist"
    _check(
        _run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            out,
            source,
            cwd=base,
        )
    )
    (built,) = out.glob("mockkit-*.whl")
    return built


def _metadata(wheel: Path) -> tuple[list[str], dict[str, list[str]], str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(archive.read(info).decode())
        entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(entry).decode()
    fields = {key: meta.get_all(key) or [] for key in ("Requires-Dist", "Provides-Extra")}
    return names, fields, entry_points


@pytest.mark.slow
def test_the_wheel_holds_mockkit_only_with_what_it_imports(wheel: Path) -> None:
    names, fields, entry_points = _metadata(wheel)
    tops = {name.split("/")[0] for name in names}
    assert tops == {
        "mockkit",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }, tops
    assert "mockkit/py.typed" in names
    # Every file of the package is in it: modules and data (Stripe's example objects, ...).
    source = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "mockkit").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert source - set(names) == set(), "files of mockkit/ missing from the wheel"
    assert not any(n.startswith(("demo_app/", "tests/", "bench/", "docs/")) for n in names)
    assert "mockkit = mockkit.plugin" in entry_points  # the pytest plugin registers itself

    requires = [Requirement(r) for r in fields["Requires-Dist"]]
    always = {canonicalize_name(r.name) for r in requires if r.marker is None}
    # What the core imports, pytest included (it is a pytest plugin); not the demo's stack.
    assert {"pytest", "requests", "responses", "werkzeug", "vcrpy", "pyyaml"} <= always
    assert not always & {"flask", "flask-sqlalchemy", "flask-wtf", "sqlalchemy"}, always
    assert not always & {"stripe", "authlib", "joserfc"}, "provider SDKs belong to extras"
    extras = {
        e: {
            canonicalize_name(r.name)
            for r in requires
            if r.marker is not None and r.marker.evaluate({"extra": e})
        }
        for e in ("stripe", "oauth")
    }
    assert "stripe" in extras["stripe"] and {"authlib", "joserfc"} <= extras["oauth"], extras


# ---- a clean environment ------------------------------------------------------------------


def _closure(
    requirements: Iterable[str], mockkit_requires: list[str]
) -> dict[str, metadata.Distribution]:
    """The installed distributions `requirements` need, transitively (markers evaluated).

    mockkit itself is not taken from here but from the wheel's own `Requires-Dist`.
    """
    found: dict[str, metadata.Distribution] = {}
    todo: list[tuple[Requirement, set[str]]] = [
        (Requirement(r), Requirement(r).extras) for r in requirements
    ]
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker is not None and not any(
            requirement.marker.evaluate({"extra": e}) for e in (extras or {""})
        ):
            continue
        name = canonicalize_name(requirement.name)
        if name == "mockkit":
            todo += [(Requirement(r), requirement.extras) for r in mockkit_requires]
            continue
        if name in found:
            continue
        dist = metadata.distribution(requirement.name)
        found[name] = dist
        todo += [(Requirement(r), requirement.extras) for r in dist.requires or []]
    return found


def _repack(dist: metadata.Distribution, into: Path) -> Path:
    """Write an installed distribution back out as a wheel (its files and its dist-info)."""
    info = next(p for p in dist.files or [] if p.parts[0].endswith(".dist-info"))
    tags = [
        line.split(":", 1)[1].strip()
        for line in (dist.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ] or ["py3-none-any"]
    # One file name for every tag the wheel declared (py2-none-any + py3-none-any: py2.py3-...).
    parts = [sorted({tag.split("-")[i] for tag in tags}) for i in range(3)]
    compressed = "-".join(".".join(p) for p in parts)
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    target = into / f"{name}-{dist.version}-{compressed}.whl"
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in dist.files or []:
            inside = path.as_posix()
            if ".." in path.parts or "__pycache__" in path.parts:
                continue  # scripts outside site-packages are made anew by pip; no bytecode
            if path.parts[0] == info.parts[0] and path.name in skipped:
                continue
            data = Path(str(dist.locate_file(path))).read_bytes()
            archive.writestr(inside, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            writer.writerow([inside, f"sha256={digest.decode()}", len(data)])
        writer.writerow([f"{info.parts[0]}/RECORD", "", ""])
        archive.writestr(f"{info.parts[0]}/RECORD", record.getvalue())
    return target


def _wheelhouse(requirements: list[str], wheel: Path, into: Path) -> None:
    """A directory of wheels: mockkit's and every installed distribution it needs."""
    into.mkdir()
    shutil.copy(wheel, into)
    for dist in _closure(requirements, _metadata(wheel)[1]["Requires-Dist"]).values():
        _repack(dist, into)


#: A user's own test file: every fixture the plugin offers, each used for what it is for.
USER_TESTS = r"""
import pytest
import requests
import stripe
from authlib.integrations.requests_client import OAuth2Session

from mockkit import stubs
from mockkit.errors import stripe as stripe_errors


def test_stripe(mockkit_stripe):
    customer = stripe.Customer.create(email="ada@example.com")
    assert mockkit_stripe.get(customer.id)["email"] == "ada@example.com"


def test_stripe_server(mockkit_stripe_server):
    client = stripe.StripeClient("sk_test_1", base_addresses={"api": mockkit_stripe_server.url})
    assert client.v1.customers.create().id.startswith("cus_")


@pytest.mark.parametrize("name", ["mockkit_github", "mockkit_google", "mockkit_oidc"])
def test_oauth_fakes(name, request):
    fake = request.getfixturevalue(name)
    assert fake.clients and fake.users  # a client and a user registered, ready for login()


def test_oidc_discovery(mockkit_oidc):
    document = requests.get(mockkit_oidc.discovery_url, timeout=5).json()
    assert document["issuer"] == "https://oidc.mockkit.test"


def test_responses_stub(mockkit_responses, mockkit_stripe_config):
    stubs.stripe_payment_intent_create(mockkit_responses, fault=stripe_errors.card_declined())
    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.create(amount=100, currency="usd")


def test_patch_and_patcher(mockkit_patch, mockkit_patcher):
    patched = mockkit_patch("os.path:basename", lambda p: "patched")
    import os.path

    assert os.path.basename("/x/y") == "patched" and len(patched.calls) == 1
    assert mockkit_patcher is not None


def test_authlib_client(mockkit_authlib_client):
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    oauth = OAuth(Flask(__name__))
    oauth.register("github", client_id="real", client_secret="s",
                   authorize_url="https://github.com/login/oauth/authorize")
    mockkit_authlib_client(oauth, "github", client_id="test")
    assert oauth.github.client_id == "test"


def test_clock(mockkit_clock):
    import time

    before = time.time()
    mockkit_clock.advance(seconds=3600)
    assert time.time() - before >= 3600


@pytest.mark.mockkit_cassette(record_mode="once")
def test_cassette_and_sandbox(mockkit_cassette, mockkit_sandbox):
    api = mockkit_sandbox.url("https://api.stripe.com")
    client = stripe.StripeClient("sk_test_1", base_addresses={"api": api})
    assert client.v1.customers.create(params={"email": "a@example.com"}).email == "a@example.com"


def test_no_network(mockkit_no_network):
    with pytest.raises(requests.ConnectionError, match="mockkit blocked a DNS lookup"):
        requests.get("https://example.com", timeout=5)
"""

#: Without the extras: the core works, and a provider fixture says which extra to install.
CORE_ONLY_TESTS = r"""
import pytest
import requests

from mockkit import errors, stubs


def test_core_fixtures_work(mockkit_responses, mockkit_clock, mockkit_patch):
    errors.server_error(503).stub(mockkit_responses, "GET", "https://api.example.com/x")
    assert requests.get("https://api.example.com/x", timeout=5).status_code == 503


def test_stripe_fixture_names_its_extra(request):
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'mockkit\[stripe\]'"):
        request.getfixturevalue("mockkit_stripe")


def test_oauth_fixture_names_its_extra(request):
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'mockkit\[oauth\]'"):
        request.getfixturevalue("mockkit_github")
"""


@pytest.mark.slow
def test_a_clean_environment_installs_the_wheel_and_uses_every_fixture(
    wheel: Path, tmp_path: Path
) -> None:
    houses = tmp_path / "wheelhouse"
    # The user's own app needs flask; mockkit's extras bring the SDKs.
    _wheelhouse(["mockkit[stripe,oauth]", "flask"], wheel, houses)
    venv = tmp_path / "venv"
    _check(_run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path))
    python = venv / "bin" / "python"
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-index",
        "--find-links",
        houses,
    ]
    user = tmp_path / "project"
    user.mkdir()

    # 1. mockkit alone: the core and the plugin, and the extras named when missing.
    _check(_run(*pip, "mockkit", cwd=tmp_path))
    (user / "test_core_only.py").write_text(CORE_ONLY_TESTS)
    out = _check(
        _run(
            python,
            "-m",
            "pytest",
            "-q",
            "-W",
            "error",
            "-p",
            "no:cacheprovider",
            "test_core_only.py",
            cwd=user,
        )
    )
    assert "3 passed" in out, out
    probe = "import importlib.util as u; print([m for m in ('demo_app', 'flask_sqlalchemy', "
    probe += "'flask_wtf', 'sqlalchemy', 'stripe', 'authlib') if u.find_spec(m)])"
    assert _check(_run(python, "-c", probe, cwd=user)).strip() == "[]"

    # 2. With both extras (and the user's Flask): every fixture in a user's own test file.
    _check(_run(*pip, "mockkit[stripe,oauth]", "flask", cwd=tmp_path))
    (user / "test_user.py").write_text(USER_TESTS)
    out = _check(
        _run(
            python,
            "-m",
            "pytest",
            "-q",
            "-W",
            "error",
            "-p",
            "no:cacheprovider",
            "test_user.py",
            cwd=user,
        )
    )
    assert re.search(r"\b12 passed\b", out), out
    where = _check(_run(python, "-c", "import mockkit; print(mockkit.__file__)", cwd=user))
    assert where.startswith(str(venv)), where  # the installed wheel, not this checkout
    # The fixtures are documented where a user looks for them.
    fixtures = _check(_run(python, "-m", "pytest", "--fixtures", "-q", cwd=user))
    assert "mockkit_stripe" in fixtures and "mockkit_sandbox" in fixtures

"""The stripe-python releases mockkit's Stripe fake is tested against, one nox session each.

`bash dev.sh test` runs the whole suite on the stripe-python that `pyproject.toml` installs
(the newest), then this matrix: for the newest release of each older major, a fresh virtualenv
with that release and the Stripe tests that talk through the SDK. Each release pins its own API
version and sends it on every request, and the fake's default follows the installed SDK, so
each session checks the fake at that release's version too.

    .venv/bin/nox                          # every release (what `bash dev.sh test` runs)
    .venv/bin/nox -s "stripe_sdk(10)"       # one major
    .venv/bin/nox -s "stripe_sdk(12)" -- -k subscriptions -x   # extra pytest arguments
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
# A session's virtualenv is kept between runs when its requirements did not change.
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

#: The newest release of each stripe-python major, and the API version it pins (the version it
#: sends unless told otherwise; `stripe/_api_version.py` of each release).
RELEASES: dict[str, tuple[str, str]] = {
    "10": ("10.12.1", "2024-06-20"),
    "11": ("11.6.1", "2025-02-24.acacia"),
    "12": ("12.5.2", "2025-08-27.basil"),
    "13": ("13.2.1", "2025-10-29.clover"),
    "14": ("14.4.2", "2026-02-25.clover"),
    "15": ("15.6.2", "2026-08-26.dahlia"),
    "16": ("16.1.0", "2026-10-28.endive"),
}

#: Majors the default run covers: `bash dev.sh test` has already run every test on the release
#: `pyproject.toml` installs (16), so the matrix adds the older ones.
DEFAULT_MAJORS = ["10", "11", "12", "13", "14", "15"]

#: What a release runs: the Stripe tests that talk to the fake through the SDK, including the
#: conformance test against the release's own types. Left out: the property-based and
#: concurrency runs (they exercise the fake's state, not the SDK's view of it, and cost the most
#: time), the layout checks of the repository, and the demo and docs (they run on the newest).
TESTS = ["tests/stripe"]
DESELECT = ["-m", "not fuzz and not concurrency and not slow"]
#: The tests written once for every SDK style and transport (the `sdk` and `at` fixtures) run
#: two of the four ways: module style in-process and `StripeClient` served. Each style and each
#: transport still meets every release, at half the time.
DIAGONAL = ["-k", "not module-served and not client-inprocess"]
IGNORE = [
    f"--ignore=tests/stripe/{name}.py"
    for name in ("test_layout", "test_readme_example", "test_billing_docs_example")
]
#: stripe-python 10 and 11 deprecate `StripeObject.to_dict()`, which the tests call (12 and
#: later do not); the suite turns every other warning into an error.
WARNINGS = ["-W", "ignore:Deprecated. The public interface will be removed:DeprecationWarning"]

#: What the tests import besides mockkit (installed from this checkout with its Stripe extra).
TEST_REQUIREMENTS = ["pytest-xdist>=3.6", "hypothesis>=6.100", "flask>=3.1"]

nox.options.sessions = [f"stripe_sdk({major})" for major in DEFAULT_MAJORS]


@nox.session
@nox.parametrize("major", list(RELEASES), ids=list(RELEASES))
def stripe_sdk(session: nox.Session, major: str) -> None:
    """The Stripe tests that go through the SDK, on the newest release of a stripe-python major."""
    release, pinned = RELEASES[major]
    session.install("-e", ".[stripe]", f"stripe=={release}", *TEST_REQUIREMENTS)
    # The release really is the one installed, and pins the version this file says.
    session.run(
        "python",
        "-c",
        "import stripe, sys; from stripe._api_version import _ApiVersion as V; "
        f"sys.exit(0 if (stripe.VERSION, V.CURRENT) == ({release!r}, {pinned!r}) else "
        "f'installed stripe {stripe.VERSION} pins {V.CURRENT}')",
        silent=True,
    )
    session.run(
        "python",
        "-m",
        "pytest",
        "-n",
        "2",
        "-q",
        *DESELECT,
        *DIAGONAL,
        *IGNORE,
        *WARNINGS,
        *TESTS,
        *session.posargs,
    )


@nox.session(default=False)
def stripe_params(session: nox.Session) -> None:
    """Rewrite mockkit/stripe/stripe_params.json from every release's `*Params` types."""
    session.install("-e", ".[stripe]")
    dumps = []
    for major, (release, _) in RELEASES.items():
        session.install(f"stripe=={release}")
        dumps.append(str(Path(session.create_tmp()) / f"stripe-{major}.json"))
        session.run("python", "-m", "tests.stripe.sdk_types", "dump", dumps[-1])
    session.run(
        "python",
        "-m",
        "tests.stripe.sdk_types",
        "merge",
        *dumps,
        "mockkit/stripe/stripe_params.json",
    )

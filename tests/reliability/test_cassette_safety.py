"""Cassette safety: the leak gate sees a secret wherever it sits, and a crash keeps the old file.

The gate is the last look before a cassette reaches the disk, so it must not depend on how
the secret happens to be written: in a URL path or query, a header, a JSON body (escaped the
way JSON escapes non-ASCII or quotes), a form, a body that is not UTF-8 (which YAML stores as
base64 `!!binary`), or the cassette's metadata. And a process that dies in the middle of a
save must leave the previous cassette readable and unchanged.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.cassettes import find_leaks, load_cassette
from mockkit.cassettes.store import atomic_write, dump_cassette
from tests.reliability.conftest import FUZZ, Tally

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
suffix = st.text(alphabet=ALNUM, min_size=16, max_size=40)


def _jwt(seed: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(b'{"alg":"RS256"}')
    claims = json.dumps({"sub": seed, "iss": "https://accounts.google.com"}).encode()
    return f"{header}.{b64(claims)}.{b64(seed.encode())}"


#: Secrets with the shapes the gate knows (no hint needed).
shaped = st.one_of(
    *(
        suffix.map(lambda s, p=prefix: p + s)
        for prefix in ("sk_live_", "sk_test_", "rk_test_", "whsec_", "gho_", "ghr_", "ya29.")
    ),
    suffix.map(lambda s: "GOCSPX-" + s),
    suffix.map(lambda s: "github_pat_" + s + "_" + s),
    suffix.map(_jwt),
)
#: Secrets the gate is told about (an environment variable's value): any printable text of
#: the Basic Multilingual Plane (libyaml writes control, format, unassigned and astral
#: characters as escapes in the cassette's metadata; no secret holds those).
told = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"), max_codepoint=0xFFFF
    ),
    min_size=12,
    max_size=40,
).filter(lambda s: s.strip() == s and len(s.strip()) >= 12)


def interaction(**overrides: Any) -> dict[str, Any]:
    """A plain, secret-free interaction; `overrides` replace request/response parts."""
    request = {
        "method": "POST",
        "uri": "https://api.toy.test/v1/things?limit=3",
        "body": "name=widget&count=2",
        "headers": {"Content-Type": ["application/x-www-form-urlencoded"]},
    }
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"]},
        "body": {"string": '{"id": "obj_1", "object": "thing"}'},
    }
    request.update(overrides.get("request", {}))
    response.update(overrides.get("response", {}))
    return {"request": request, "response": response}


PLACES: dict[str, Callable[[str], tuple[list[dict[str, Any]], dict[str, Any]]]] = {
    "URL path": lambda s: (
        [interaction(request={"uri": f"https://api.toy.test/v1/{quote(s, safe='')}"})],
        {},
    ),
    "query value": lambda s: (
        [interaction(request={"uri": "https://api.toy.test/v1/x?q=" + quote(s, safe="")})],
        {},
    ),
    "request header": lambda s: ([interaction(request={"headers": {"X-Debug": [s]}})], {}),
    "response header": lambda s: ([interaction(response={"headers": {"X-Trace": [s]}})], {}),
    "form field": lambda s: (
        [interaction(request={"body": "name=w&note=" + quote(s, safe="")})],
        {},
    ),
    "JSON body (escaped)": lambda s: (
        [interaction(response={"body": {"string": json.dumps({"deep": [{"value": s}]})}})],
        {},
    ),
    "JSON body (as sent)": lambda s: (
        [interaction(response={"body": {"string": json.dumps({"v": s}, ensure_ascii=False)}})],
        {},
    ),
    "text body": lambda s: ([interaction(response={"body": {"string": f"<p>token: {s}</p>"}})], {}),
    "body not UTF-8": lambda s: (
        [interaction(response={"body": {"string": b"\xff\xfe caf\xe9 " + s.encode() + b"\x00"}})],
        {},
    ),
    "request body not UTF-8": lambda s: (
        [interaction(request={"body": b"\x89PNG\r\n\x1a\n" + s.encode() + b"\xff"})],
        {},
    ),
    "metadata": lambda s: ([interaction()], {"note": f"recorded with {s}"}),
}


def test_the_leak_gate_finds_a_secret_in_every_position(tally: Tally) -> None:
    @settings(FUZZ, max_examples=800)
    @given(
        place=st.sampled_from(sorted(PLACES)),
        secret=st.one_of(shaped.map(lambda s: (s, False)), told.map(lambda s: (s, True))),
        neighbours=st.integers(0, 3),
    )
    def check(place: str, secret: tuple[str, bool], neighbours: int) -> None:
        tally.add("cassette leak gate (secret x position)")
        value, is_told = secret
        interactions, metadata = PLACES[place](value)
        interactions = [interaction() for _ in range(neighbours)] + interactions
        text = dump_cassette(interactions, metadata)
        findings = find_leaks(text, interactions, {value: "$SECRET"} if is_told else {})
        assert findings, (place, value)
        if place != "metadata":
            assert any(f.interaction == neighbours for f in findings), findings

    check()


def test_clean_cassettes_raise_no_alarm(tally: Tally) -> None:
    """The gate is not a smoke alarm that always rings: ordinary cassettes pass."""

    @settings(FUZZ, max_examples=200)
    @given(
        value=st.text(alphabet=ALNUM + " .,-", max_size=30),
        place=st.sampled_from(sorted(PLACES)),
    )
    def check(value: str, place: str) -> None:
        tally.add("cassette leak gate (clean cassettes)")
        interactions, metadata = PLACES[place](value)
        assert find_leaks(dump_cassette(interactions, metadata), interactions, {}) == []

    check()


CRASHER = textwrap.dedent(
    """
    import os, sys
    from mockkit.cassettes import store

    real_fdopen = os.fdopen

    class Dying:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False
        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            os._exit(int(sys.argv[3]))  # the process dies mid-write: no cleanup runs
        def __getattr__(self, name):
            return getattr(self.handle, name)

    os.fdopen = lambda *a, **k: Dying(real_fdopen(*a, **k))
    store.atomic_write(sys.argv[1], open(sys.argv[2]).read())
    """
)


def test_a_crash_mid_write_leaves_the_old_cassette_intact(tmp_path: Path) -> None:
    path = tmp_path / "stripe.yaml"
    old = dump_cassette([interaction()], {"mockkit": {"recorded_at": "then"}})
    atomic_write(path, old)
    new = dump_cassette([interaction() for _ in range(200)], {"mockkit": {"recorded_at": "now"}})
    new_file = tmp_path / "new.txt"
    new_file.write_text(new)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for code in (1, 9):
        done = subprocess.run(
            [sys.executable, "-c", CRASHER, str(path), str(new_file), str(code)],
            env=env,
            timeout=60,
            capture_output=True,
        )
        assert done.returncode == code, done.stderr.decode()
        assert path.read_text() == old  # byte for byte the previous cassette
        assert len(load_cassette(path).interactions) == 1
    # What the dead writer left is a hidden temporary file, never the cassette itself.
    leftovers = sorted(
        p.name for p in tmp_path.iterdir() if p.name not in ("stripe.yaml", "new.txt")
    )
    assert leftovers and all(name.startswith(".stripe.yaml.") for name in leftovers)


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.binary(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
sides = st.fixed_dictionaries(
    {},
    optional={
        "method": junk,
        "uri": junk,
        "headers": junk,
        "body": junk,
        "status": junk,
    },
)


def test_the_leak_gate_never_crashes_on_a_malformed_cassette(tally: Tally) -> None:
    """`cassettes check` runs the gate on files people edit by hand: odd shapes are no crash."""

    @settings(FUZZ, max_examples=300)
    @given(items=st.lists(st.tuples(sides, sides), max_size=3), secret=shaped)
    def check(items: list[tuple[dict[str, Any], dict[str, Any]]], secret: str) -> None:
        tally.add("cassette leak gate (malformed cassettes)")
        interactions = [{"request": req, "response": resp} for req, resp in items]
        text = dump_cassette(interactions, {}) + f"\n# {secret}\n"
        findings = find_leaks(text, interactions, {})
        assert findings  # the secret in the text is still reported

    check()


def test_cassettes_check_reports_a_malformed_cassette_without_a_traceback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(
        "interactions:\n"
        "- request: {method: GET, uri: 'https://api.stripe.com/v1/x', headers: 5,"
        " body: {string: 5}}\n"
        "  response: {status: {code: 200}, headers: [1], body: {string: [1]}}\n"
        "version: 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mockkit", "cassettes", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
    assert "odd.yaml" in done.stdout + done.stderr


BAD_STATUSES = ["x", "'200 OK'", "99", "1000", "null", "[200]", "true"]
BAD_PARTS = ["headers: [1]", "body: {string: [1]}", "body: 5"]


@pytest.mark.parametrize("status", BAD_STATUSES + BAD_PARTS)
def test_a_hand_edited_status_is_a_format_error_not_a_crash_in_replay(
    status: str, tmp_path: Path
) -> None:
    """`cassettes check` must fail such a file, and replay must say what is wrong with it,
    instead of passing the check and raising ValueError from the first replayed request."""
    from mockkit.cassettes import CassetteFormatError, use

    path = tmp_path / "edited.yaml"
    parts = {"status": "{code: 200}", "headers": "{}", "body": "{string: '{}'}"}
    if status in BAD_PARTS:
        name, _, value = status.partition(": ")
        parts[name] = value
    else:
        parts["status"] = f"{{code: {status}, message: OK}}"
    response = ", ".join(f"{k}: {v}" for k, v in parts.items())
    path.write_text(
        "interactions:\n"
        "- request: {method: GET, uri: 'https://api.stripe.com/v1/customers', body: null,"
        " headers: {}}\n"
        f"  response: {{{response}}}\n"
        "version: 1\n"
    )
    with pytest.raises(CassetteFormatError, match="#0"):
        load_cassette(path)
    with pytest.raises(CassetteFormatError), use(path):
        pass
    done = subprocess.run(
        [sys.executable, "-m", "mockkit", "cassettes", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stdout + done.stderr

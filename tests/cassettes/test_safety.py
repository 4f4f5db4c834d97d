"""Cassette safety: the leak gate sees a secret wherever it sits, and a crash keeps the old file.

The gate is the last look before a cassette reaches the disk, so it must not depend on how
the secret happens to be written: in a URL path or query, a header, a JSON body (escaped the
way JSON escapes non-ASCII or quotes), a form, a body that is not UTF-8 (which YAML stores as
base64 `!!binary`), or the cassette's metadata; nor on how the content is encoded: compressed
(gzip, deflate, br, with or without `Content-Encoding`), base64 inside JSON (and compressed
inside that), UTF-16 or UTF-32, a Basic credential, a URL fragment; nor on whether its name is
one the scrub tables list (`accessToken`, `client_secret[0]`, `X-Api-Key`). For every secret
shape and every encoding: the gate refuses, `check` fails, and recording through vcrpy leaves
no copy on disk. And a process that dies in the middle of a save must leave the previous
cassette readable and unchanged.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import brotli
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit import BaseFake, Request, Response
from mockkit.cassettes import CassetteLeakError, find_leaks, load_cassette, use
from mockkit.cassettes.check import check_paths
from mockkit.cassettes.leak import gate
from mockkit.cassettes.store import atomic_write, dump_cassette
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
suffix = st.text(alphabet=ALNUM, min_size=16, max_size=40)


def _jwt(seed: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(b'{"alg":"RS256"}')
    claims = json.dumps({"sub": seed, "iss": "https://accounts.google.com"}).encode()
    return f"{header}.{b64(claims)}.{b64(seed.encode())}"


def _jwt_odd(seed: str) -> str:
    """A signed JWT whose payload does not start `eyJ` (not JSON, or JSON after a space)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(b'{ "alg": "HS256", "typ": "JWT" }')
    payload = b64(b"\x00" + seed.encode()) if len(seed) % 2 else b64(f" {seed}".encode())
    return f"{header}.{payload}.{b64(seed.encode()[::-1])}"


#: Secrets with the shapes the gate knows (no hint needed).
shaped = st.one_of(
    *(
        suffix.map(lambda s, p=prefix: p + s)
        for prefix in ("sk_live_", "sk_test_", "rk_test_", "whsec_", "gho_", "ghr_", "ya29.")
    ),
    suffix.map(lambda s: "GOCSPX-" + s),
    suffix.map(lambda s: "github_pat_" + s + "_" + s),
    suffix.map(_jwt),
    suffix.map(_jwt_odd),
    st.text(alphabet=ALNUM + "-_", min_size=35, max_size=35).map(lambda s: "AIza" + s),
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
    "text body": lambda s: ([interaction(response={"body": {"string": f"<p>note: {s}</p>"}})], {}),
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


# ---- encoded secrets --------------------------------------------------------------------------

#: Names a secret hides under that the scrub tables do not list as such.
SECRET_NAMES = (
    "accessToken",
    "refreshToken",
    "idToken",
    "client_secret[0]",
    "apiKey",
    "x-api-key",
    "db_password",
    "privateKey",
    "sessionToken",
)
#: A secret with no recognisable shape (all-x values are a placeholder convention).
opaque = st.text(alphabet=ALNUM, min_size=16, max_size=40).filter(lambda s: set(s) - set("xX"))


@dataclasses.dataclass(frozen=True)
class Secret:
    """A secret and the JSON document that carries it (under a neutral or a secret name)."""

    value: str
    name: str

    @property
    def doc(self) -> str:
        return json.dumps({"id": "obj_1", "items": [1, 2], self.name: self.value})


secrets_ = st.one_of(
    shaped.map(lambda s: Secret(s, "note")),
    st.builds(Secret, opaque, st.sampled_from(SECRET_NAMES)),
)


def _wrap(text: str) -> str:
    return "\n".join(text[i : i + 60] for i in range(0, len(text), 60)) + "\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


Parts = tuple[dict[str, Any], dict[str, Any]]  # (request overrides, response overrides)


def _resp(body: bytes | str, **headers: str) -> Parts:
    names = {k.replace("_", "-").title(): [v] for k, v in headers.items()}
    return {}, {"headers": names, "body": {"string": body}}


#: How each encoding stores a secret: f(secret) -> (request, response) overrides.
ENCODINGS: dict[str, Callable[[Secret], Parts]] = {
    "JSON": lambda s: _resp(s.doc, content_type="application/json"),
    "gzip body": lambda s: _resp(gzip.compress(s.doc.encode()), content_encoding="gzip"),
    "deflate body": lambda s: _resp(zlib.compress(s.doc.encode()), content_encoding="deflate"),
    "raw deflate body": lambda s: _resp(_raw_deflate(s.doc.encode()), content_encoding="deflate"),
    "br body": lambda s: _resp(brotli.compress(s.doc.encode()), content_encoding="br"),
    "gzip then br": lambda s: _resp(
        brotli.compress(gzip.compress(s.doc.encode())), content_encoding="gzip, br"
    ),
    "gzip file, no Content-Encoding": lambda s: _resp(
        gzip.compress(s.doc.encode()), content_type="application/gzip"
    ),
    "UTF-16 with BOM": lambda s: _resp(s.doc.encode("utf-16"), content_type="application/json"),
    "UTF-16BE with BOM": lambda s: _resp(
        b"\xfe\xff" + s.doc.encode("utf-16-be"), content_type="application/json"
    ),
    "UTF-16LE, charset declared": lambda s: _resp(
        s.doc.encode("utf-16-le"), content_type="application/json; charset=utf-16le"
    ),
    "UTF-16LE, nothing declared": lambda s: _resp(s.doc.encode("utf-16-le")),
    "UTF-32, charset declared": lambda s: _resp(
        s.doc.encode("utf-32-le"), content_type="text/plain; charset=utf-32le"
    ),
    "cp1252 with non-ASCII, charset declared": lambda s: _resp(
        ("\u20ac \u00e9 " + s.doc).encode("cp1252"), content_type="text/plain; charset=cp1252"
    ),
    "base64 file in JSON (contents API)": lambda s: _resp(
        json.dumps({"encoding": "base64", "content": _wrap(_b64(s.doc.encode()))})
    ),
    "base64url in JSON": lambda s: _resp(
        json.dumps({"blob": base64.urlsafe_b64encode(s.doc.encode()).decode().rstrip("=")})
    ),
    "gzip in base64 in JSON": lambda s: _resp(
        json.dumps({"content": _b64(gzip.compress(s.doc.encode()))})
    ),
    "base64 .env in JSON": lambda s: _resp(
        json.dumps({"content": _b64(f"DEBUG=1\n{_env_name(s)}={s.value}\n".encode())})
    ),
    "data: URL in HTML": lambda s: _resp(
        f'<a href="data:application/json;base64,{_b64(s.doc.encode())}">x</a>',
        content_type="text/html",
    ),
    "gzip request body": lambda s: (
        {
            "method": "POST",
            "body": gzip.compress(s.doc.encode()),
            "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["gzip"]},
        },
        {},
    ),
    "UTF-16 request body": lambda s: (
        {
            "method": "POST",
            "body": s.doc.encode("utf-16"),
            "headers": {"Content-Type": ["application/json"]},
        },
        {},
    ),
    "Basic credential in a response header": lambda s: (
        {},
        {"headers": {"X-Upstream": ["Basic " + _b64(f"svc:{s.value}".encode())]}},
    ),
    "Basic credential in a request header": lambda s: (
        {"headers": {"X-Forwarded-Auth": ["Basic " + _b64(f"svc:{s.value}".encode())]}},
        {},
    ),
    "Location fragment": lambda s: (
        {},
        {
            "status": {"code": 302, "message": "Found"},
            "headers": {"Location": [f"https://app.example/cb#access_token={quote(s.value)}&x=1"]},
        },
    ),
    "response X-Api-Key": lambda s: ({}, {"headers": {"X-Api-Key": [s.value]}}),
    "request header named like a token": lambda s: (
        {"headers": {"X-Session-Token": [s.value]}},
        {},
    ),
    "query under a secret name": lambda s: (
        {"uri": f"https://api.toy.test/v1/x?q=1&{quote(s.name)}={quote(s.value)}"},
        {},
    ),
}


def _raw_deflate(data: bytes) -> bytes:
    """Deflate without zlib's header, as some servers send `Content-Encoding: deflate`."""
    engine = zlib.compressobj(wbits=-15)
    return engine.compress(data) + engine.flush()


def _env_name(secret: Secret) -> str:
    """`accessToken` -> `ACCESS_TOKEN`, as a `.env` file spells it."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|-", "_", secret.name).upper()


def _encoded(secret: Secret, encoding: str) -> dict[str, Any]:
    request, response = ENCODINGS[encoding](secret)
    if encoding == "query under a secret name" and secret.name == "note":
        request = {"uri": f"https://api.toy.test/v1/x?q=1&key={quote(secret.value)}"}
    return interaction(request=request, response=response)


def test_every_secret_in_every_encoding_is_refused_and_fails_check(
    tally: Tally, tmp_path: Path
) -> None:
    @settings(FUZZ, max_examples=600)
    @given(
        secret=secrets_,
        encoding=st.sampled_from(sorted(ENCODINGS)),
        neighbours=st.integers(0, 2),
    )
    def check(secret: Secret, encoding: str, neighbours: int) -> None:
        tally.add("cassette leak gate (secret x encoding)")
        items = [interaction() for _ in range(neighbours)] + [_encoded(secret, encoding)]
        text = dump_cassette(items, {})
        # The gate refuses the write...
        with pytest.raises(CassetteLeakError) as refused:
            gate(text, items, "c.yaml", secrets={})
        assert any(f.interaction == neighbours for f in refused.value.findings), encoding
        assert secret.value not in str(refused.value)
        # ...and `check` fails the same cassette committed by hand.
        path = tmp_path / "hand_made.yaml"
        path.write_text(text)
        report = check_paths([path], environ={})
        assert report.exit_code() == 1, report.render()

    check()


#: Encodings that are places of credentials: any value there is one (tested above only).
CREDENTIAL_PLACES = frozenset(
    {
        "Basic credential in a request header",
        "Basic credential in a response header",
        "Location fragment",
        "query under a secret name",
        "request header named like a token",
        "response X-Api-Key",
    }
)


def test_encodings_alone_raise_no_alarm(tally: Tally) -> None:
    """The same encodings around ordinary content pass: the gate does not cry wolf."""

    @settings(FUZZ, max_examples=300)
    @given(
        value=st.text(alphabet=ALNUM + " .,-", max_size=30),
        encoding=st.sampled_from(sorted(set(ENCODINGS) - CREDENTIAL_PLACES)),
    )
    def check(value: str, encoding: str) -> None:
        tally.add("cassette leak gate (clean encoded cassettes)")
        item = _encoded(Secret(value, "note"), encoding)
        assert find_leaks(dump_cassette([item], {}), [item], {}) == []

    check()


class EncodingProvider(BaseFake):
    """Answers with whatever encoded response the test sets."""

    hosts = ("https://api.toy.test",)

    def __init__(self) -> None:
        super().__init__()
        self.response = Response(200, "{}", [], "application/json")

    def dispatch(self, request: Request) -> Response:
        return self.response


def _as_response(parts: dict[str, Any]) -> Response:
    status = parts.get("status", {"code": 200})["code"]
    headers = [(k, v) for k, values in parts.get("headers", {}).items() for v in values]
    body = parts.get("body", {"string": "{}"})["string"]
    return Response(status, body, headers)


def _plain_views(value: Any) -> list[str]:
    """Every text a reader could get out of a stored body (independent of mockkit's decoder)."""
    if isinstance(value, str):
        texts = [value]
        with contextlib.suppress(ValueError):
            data = json.loads(value)
            if isinstance(data, dict):
                for leaf in data.values():
                    if isinstance(leaf, str) and len(leaf) > 16:
                        with contextlib.suppress(ValueError):
                            texts.extend(_plain_views(base64.b64decode(leaf + "==")))
        return texts
    raw = bytes(value)
    views = [raw.decode("latin-1")]
    for opener in (gzip.decompress, zlib.decompress, brotli.decompress):
        with contextlib.suppress(Exception):
            views.extend(_plain_views(opener(raw)))
    for codec in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32-le", "cp1252"):
        with contextlib.suppress(UnicodeDecodeError):
            views.append(raw.decode(codec))
    return views


def _on_disk(path: Path) -> str:
    parts = [path.read_text()]
    for item in load_cassette(path).interactions:
        for side in ("request", "response"):
            body = item[side].get("body")
            body = body.get("string") if isinstance(body, dict) else body
            if body:
                parts.extend(_plain_views(body))
            for values in (item[side].get("headers") or {}).values():
                for header in values:
                    if header.startswith("Basic ") and "<" not in header:
                        parts.append(base64.b64decode(header[6:]).decode("latin-1"))
    return "\n".join(parts)


#: Encodings a provider's answer or a client's request can carry over a real connection.
RECORDABLE = sorted(
    name
    for name in ENCODINGS
    if name not in ("query under a secret name",)  # a client sends its query: covered below
)


def test_recording_never_puts_an_encoded_secret_on_disk(
    tally: Tally, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through vcrpy's real stubs over loopback: scrubbed or refused, never written."""
    # The test records on purpose: CI's replay-only default must not turn it into a miss.
    for name in ("CI", "MOCKKIT_RECORD_MODE", "MOCKKIT_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    provider = EncodingProvider()
    path = tmp_path / "c.yaml"
    with provider.serve() as server:

        @settings(FUZZ, max_examples=200)
        @given(secret=secrets_, encoding=st.sampled_from(RECORDABLE))
        def check(secret: Secret, encoding: str) -> None:
            tally.add("cassette recording (secret x encoding)")
            request, response = ENCODINGS[encoding](secret)
            provider.response = _as_response(response)
            headers = {k: v[0] for k, v in request.get("headers", {}).items()}
            path.unlink(missing_ok=True)
            try:
                with use(path, "rewrite", hosts={server.url: "https://api.toy.test"}):
                    requests.request(
                        request.get("method", "GET"),
                        server.url + "/v1/things",
                        data=request.get("body"),
                        headers=headers,
                        allow_redirects=False,
                        timeout=5,
                    )
            except CassetteLeakError as refused:
                assert not path.exists()
                assert secret.value not in str(refused)
                return
            assert secret.value not in _on_disk(path), encoding
            report = check_paths([path], environ={"HOSTILE_SECRET_TOKEN": secret.value})
            assert report.exit_code() == 0, report.render()

        check()


def test_check_exits_non_zero_on_each_encoded_cassette(tmp_path: Path) -> None:
    """The command itself, in its own process, over one committed cassette per encoding."""
    secret = Secret("sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc", "note")
    named = Secret("q7Vx2mZp9LkW4rT8sN3bY6cD", "accessToken")
    for index, encoding in enumerate(sorted(ENCODINGS)):
        for which, value in (("shaped", secret), ("named", named)):
            path = tmp_path / f"{index:02d}-{which}.yaml"
            path.write_text(dump_cassette([_encoded(value, encoding)], {}))
    done = subprocess.run(
        [sys.executable, "-m", "mockkit", "cassettes", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    total = 2 * len(ENCODINGS)
    assert f"{total} cassettes checked: {total} failed" in done.stdout, done.stdout[-3000:]
    assert secret.value not in done.stdout and named.value not in done.stdout

"""Secrets hidden by an encoding or under a name the scrub tables do not list.

Each case exists twice. At record time the secret travels through vcrpy's real stubs over
loopback, and either the scrubber replaces it or the leak gate refuses the write; in both cases
no copy reaches the disk, compressed, base64-encoded or in UTF-16 included. At check time the
same secret sits, unscrubbed, in a cassette written by hand (or by plain vcrpy), and
`python -m mockkit cassettes check` fails on it.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import brotli
import pytest
import requests

from mockkit import Response
from mockkit.cassettes import CassetteLeakError, find_leaks, load_cassette, use
from mockkit.cassettes.check import check_paths
from mockkit.cassettes.store import dump_cassette
from mockkit.cli import main

TOY = "https://api.toy.test"
SK = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
#: A credential with no recognisable shape: only where it sits gives it away.
OPAQUE = "q7Vx2mZp9LkW4rT8sN3bY6cD"
GOOGLE_KEY = "AIzaSyB" + "3kQ9vX2mL7pR4tW8nZ1cF6hJ0dG5sY-aE_u"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


#: A signed JWT whose payload is not JSON starting with `{"` (so it does not begin `eyJ`).
JWT_ODD = ".".join(
    (
        _b64url(b'{"alg":"HS256","typ":"JWT"}'),
        _b64url(b' {"sub": "user-1", "scope": "admin"}'),
        _b64url(b"\x8f" * 32),
    )
)
#: A JWT whose header has spaces (`eyAi...`).
JWT_SPACED = ".".join(
    (_b64url(b'{ "alg": "RS256" }'), _b64url(b'{"sub":"user-2"}'), _b64url(b"\x01" * 64))
)


def _payload(**fields: str) -> bytes:
    """A JSON body long enough that compressing it really transforms the secret's bytes
    (brotli stores a short input nearly as it is)."""
    items = [{"id": f"obj_{i}", "name": f"widget {i}"} for i in range(30)]
    return json.dumps({"items": items, **fields}).encode()


def _contents_api(text: str) -> str:
    """GitHub's contents API: the file in base64, wrapped at 60 characters."""
    encoded = base64.b64encode(text.encode()).decode()
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
    return json.dumps({"type": "file", "name": ".env", "encoding": "base64", "content": wrapped})


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"svc-user:{password}".encode()).decode()


def interaction(
    request: dict[str, Any] | None = None, response: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A secret-free interaction with `request` / `response` parts replaced."""
    req: dict[str, Any] = {
        "method": "GET",
        "uri": TOY + "/v1/things",
        "body": None,
        "headers": {"Accept": ["application/json"]},
    }
    resp: dict[str, Any] = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"]},
        "body": {"string": '{"id": "obj_1"}'},
    }
    req.update(request or {})
    resp.update(response or {})
    return {"request": req, "response": resp}


def _body(data: bytes | str, **headers: str) -> dict[str, Any]:
    names = {k.replace("_", "-").title(): [v] for k, v in headers.items()}
    return {"headers": names, "body": {"string": data}}


# Each case: (the secret, the interaction as an unscrubbed cassette would hold it).
CHECK_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "gzip response body (!!binary)": (
        SK,
        interaction(
            response=_body(
                gzip.compress(_payload(note=SK)),
                content_type="application/json",
                content_encoding="gzip",
            )
        ),
    ),
    "deflate response body": (
        SK,
        interaction(
            response=_body(
                zlib.compress(_payload(note=SK)),
                content_type="application/json",
                content_encoding="deflate",
            )
        ),
    ),
    "br response body": (
        SK,
        interaction(
            response=_body(
                brotli.compress(_payload(note=SK)),
                content_type="application/json",
                content_encoding="br",
            )
        ),
    ),
    "gzip file served without Content-Encoding": (
        SK,
        interaction(
            response=_body(
                gzip.compress(f"STRIPE_API_KEY={SK}\n".encode()), content_type="application/gzip"
            )
        ),
    ),
    "gzip request body": (
        OPAQUE,
        interaction(
            request={
                "method": "POST",
                "body": gzip.compress(json.dumps({"client_secret": OPAQUE}).encode()),
                "headers": {
                    "Content-Type": ["application/json"],
                    "Content-Encoding": ["gzip"],
                },
            }
        ),
    ),
    "base64 .env in a JSON body (GitHub contents API)": (
        SK,
        interaction(response={"body": {"string": _contents_api(f"STRIPE_API_KEY={SK}\n")}}),
    ),
    "base64 .env holding an opaque secret": (
        OPAQUE,
        interaction(
            response={
                "body": {"string": _contents_api(f"DEBUG=1\nGITHUB_CLIENT_SECRET={OPAQUE}\n")}
            }
        ),
    ),
    "Basic credentials in a response header": (
        OPAQUE,
        interaction(response={"headers": {"X-Upstream": [_basic(OPAQUE)]}}),
    ),
    "Basic credentials in a request header": (
        OPAQUE,
        interaction(request={"headers": {"X-Forwarded-Auth": [_basic(OPAQUE)]}}),
    ),
    "UTF-16 body with a BOM": (
        SK,
        interaction(
            response=_body(
                json.dumps({"note": SK}).encode("utf-16"), content_type="application/json"
            )
        ),
    ),
    "UTF-16LE body, charset declared, no BOM": (
        SK,
        interaction(
            response=_body(
                f"key: {SK}".encode("utf-16-le"), content_type="text/plain; charset=utf-16le"
            )
        ),
    ),
    "UTF-32 body with an opaque accessToken": (
        OPAQUE,
        interaction(
            response=_body(
                json.dumps({"accessToken": OPAQUE}).encode("utf-32"),
                content_type="application/json; charset=utf-32",
            )
        ),
    ),
    "camelCase accessToken": (
        OPAQUE,
        interaction(response={"body": {"string": json.dumps({"accessToken": OPAQUE})}}),
    ),
    "camelCase refreshToken, nested": (
        OPAQUE,
        interaction(response={"body": {"string": json.dumps({"data": {"refreshToken": OPAQUE}})}}),
    ),
    "indexed form field client_secret[0]": (
        OPAQUE,
        interaction(
            request={
                "method": "POST",
                "body": f"client_id=abc&client_secret%5B0%5D={OPAQUE}",
                "headers": {"Content-Type": ["application/x-www-form-urlencoded"]},
            }
        ),
    ),
    "response X-Api-Key": (OPAQUE, interaction(response={"headers": {"X-Api-Key": [OPAQUE]}})),
    "request X-Auth-Token": (
        OPAQUE,
        interaction(request={"headers": {"X-Auth-Token": [OPAQUE]}}),
    ),
    "Location with #access_token=": (
        OPAQUE,
        interaction(
            response={
                "status": {"code": 302, "message": "Found"},
                "headers": {
                    "Location": [f"https://app.example/cb#access_token={OPAQUE}&token_type=bearer"]
                },
                "body": {"string": ""},
            }
        ),
    ),
    "Link header with ?api_key=": (
        OPAQUE,
        interaction(
            response={"headers": {"Link": [f"<{TOY}/v1/things?page=2&api_key={OPAQUE}>; rel=next"]}}
        ),
    ),
    "Google API key in a query": (
        GOOGLE_KEY,
        interaction(request={"uri": f"{TOY}/maps/api/geocode/json?address=x&key={GOOGLE_KEY}"}),
    ),
    "JWT whose payload does not start with eyJ": (
        JWT_ODD,
        interaction(response={"body": {"string": json.dumps({"session": JWT_ODD})}}),
    ),
    "JWT whose header is spaced (eyAi...)": (
        JWT_SPACED,
        interaction(response={"headers": {"X-Session": [JWT_SPACED]}}),
    ),
}


@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_fails_on_a_secret_hidden_by_encoding_or_name(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, item = CHECK_CASES[case]
    path = tmp_path / "hand_made.yaml"
    path.write_text(dump_cassette([interaction(), item], {}))
    assert main(["cassettes", "check", str(path)]) == 1, case
    out = capsys.readouterr().out
    assert "SECRETS FOUND" in out and "interaction #1 " in out, out
    assert secret not in out  # the report names the place, never the secret


def test_check_names_the_decoding_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    items = [CHECK_CASES[name][1] for name in ("br response body", "camelCase accessToken")]
    path.write_text(dump_cassette(items, {}))
    assert main(["cassettes", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 cassette checked" in out
    assert (
        "interaction #0 (GET https://api.toy.test/v1/things), response body (br-decoded) "
        "JSON field 'note': a Stripe test secret key" in out
    )
    assert "response body JSON field 'accessToken': a secret under the name 'accessToken'" in out


def test_check_refuses_a_compressed_body_it_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A body the gate cannot decode is one it cannot vouch for: it fails, saying why."""
    path = tmp_path / "c.yaml"
    truncated = gzip.compress(_payload(note=SK))[:-12]
    item = interaction(response=_body(truncated, content_encoding="gzip"))
    path.write_text(dump_cassette([item], {}))
    assert main(["cassettes", "check", str(path)]) == 1
    assert "declared gzip that cannot be decoded" in capsys.readouterr().out


def test_ordinary_encoded_bodies_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Encodings alone raise no alarm: compressed, UTF-16, base64 files and JWT-less URLs."""
    clean = {"id": "cus_123", "token_type": "bearer", "nextPageToken": "CAoQAA", "expires_in": 3599}
    items = [
        interaction(
            response=_body(gzip.compress(json.dumps(clean).encode()), content_encoding="gzip")
        ),
        interaction(response=_body(brotli.compress(b"hello"), content_encoding="br")),
        interaction(
            response=_body(json.dumps(clean).encode("utf-16"), content_type="application/json")
        ),
        interaction(response={"body": {"string": _contents_api("# README\nDEBUG=1\n")}}),
        interaction(
            response={"headers": {"Location": ["https://app.example/cb?code=abc&state=xyz"]}}
        ),
        interaction(
            response={
                "headers": {
                    "X-Api-Key": ["<API_KEY>"],
                    "Authorization": ["Basic <CLIENT_CREDENTIALS>"],
                }
            }
        ),
        interaction(request={"uri": TOY + "/v1/things?page_token=abcdefgh&key=short"}),
    ]
    path = tmp_path / "clean.yaml"
    path.write_text(dump_cassette(items, {}))
    assert main(["cassettes", "check", str(path)]) == 0, capsys.readouterr().out


# ---- record time ----------------------------------------------------------------------------


def _plain_views(value: Any) -> list[str]:
    """Every text a reader could get out of a stored body: decompressed, any Unicode codec,
    base64 fields opened (written independently of mockkit's detector)."""
    if isinstance(value, str):
        texts = [value]
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("content"), str):
            texts.extend(_plain_views(base64.b64decode(data["content"])))
        return texts
    raw = bytes(value)
    views = [raw.decode("latin-1")]
    for opener in (gzip.decompress, zlib.decompress, brotli.decompress):
        with contextlib.suppress(Exception):
            views.extend(_plain_views(opener(raw)))
    for codec in ("utf-8", "utf-16", "utf-16-le", "utf-32"):
        with contextlib.suppress(UnicodeDecodeError):
            views.append(raw.decode(codec))
    return views


def _on_disk(path: Path) -> str:
    """The cassette's text plus every decoded view of every body."""
    if not path.exists():
        return ""
    parts = [path.read_text()]
    for item in load_cassette(path).interactions:
        for side in ("request", "response"):
            body = item[side].get("body")
            body = body.get("string") if isinstance(body, dict) else body
            if body:
                parts.extend(_plain_views(body))
    return "\n".join(parts)


Send = dict[str, Any]
# Each case: (secret, response the provider sends, what the client sends, expected outcome).
RECORD_CASES: dict[str, tuple[str, Response | None, Send, str]] = {
    "br response body": (
        SK,
        Response(
            200,
            brotli.compress(_payload(note=SK)),
            [("Content-Encoding", "br")],
            "application/json",
        ),
        {},
        "refused",
    ),
    "gzip file without Content-Encoding": (
        SK,
        Response(200, gzip.compress(f"STRIPE_API_KEY={SK}\n".encode()), [], "application/gzip"),
        {},
        "refused",
    ),
    "base64 .env (GitHub contents API)": (
        SK,
        Response(200, _contents_api(f"STRIPE_API_KEY={SK}\n"), [], "application/json"),
        {},
        "refused",
    ),
    "UTF-16 body with a Stripe key": (
        SK,
        Response(200, json.dumps({"note": SK}).encode("utf-16"), [], "application/json"),
        {},
        "refused",
    ),
    "JWT whose payload does not start with eyJ": (
        JWT_ODD,
        Response(200, json.dumps({"session": JWT_ODD}), [], "application/json"),
        {},
        "refused",
    ),
    "Google API key under an unlisted name": (
        GOOGLE_KEY,
        None,
        {"params": {"maps_key": GOOGLE_KEY}},
        "refused",
    ),
    "Google API key in ?key=": (GOOGLE_KEY, None, {"params": {"key": GOOGLE_KEY}}, "scrubbed"),
    "UTF-16 JSON with access_token": (
        OPAQUE,
        Response(
            200, json.dumps({"access_token": OPAQUE}).encode("utf-16"), [], "application/json"
        ),
        {},
        "scrubbed",
    ),
    "br JSON with accessToken": (
        OPAQUE,
        Response(
            200,
            brotli.compress(_payload(accessToken=OPAQUE)),
            [("Content-Encoding", "br")],
            "application/json",
        ),
        {},
        "scrubbed",
    ),
    "camelCase accessToken and refreshToken": (
        OPAQUE,
        Response(
            200,
            json.dumps({"accessToken": OPAQUE, "data": [{"refreshToken": OPAQUE[::-1]}]}),
            [],
            "application/json",
        ),
        {},
        "scrubbed",
    ),
    "Basic credentials in a response header": (
        OPAQUE,
        Response(200, "{}", [("X-Upstream", _basic(OPAQUE))], "application/json"),
        {},
        "scrubbed",
    ),
    "Basic credentials in a request header": (
        OPAQUE,
        None,
        {"headers": {"X-Forwarded-Auth": _basic(OPAQUE)}},
        "scrubbed",
    ),
    "response X-Api-Key": (
        OPAQUE,
        Response(200, "{}", [("X-Api-Key", OPAQUE)], "application/json"),
        {},
        "scrubbed",
    ),
    "request X-Auth-Token": (OPAQUE, None, {"headers": {"X-Auth-Token": OPAQUE}}, "scrubbed"),
    "Location with #access_token=": (
        OPAQUE,
        Response(302, b"", [("Location", f"https://app.example/cb#access_token={OPAQUE}&x=1")]),
        {"allow_redirects": False},
        "scrubbed",
    ),
    "form client_secret[0]": (
        OPAQUE,
        None,
        {"data": {"client_id": "abc", "client_secret[0]": OPAQUE}},
        "scrubbed",
    ),
    "gzip request body with client_secret": (
        OPAQUE,
        None,
        {
            "data": gzip.compress(json.dumps({"client_secret": OPAQUE}).encode()),
            "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        },
        "scrubbed",
    ),
}


#: What a scrubbed case must show on disk (decoded) in place of the secret.
PLACEHOLDERS = {
    "Google API key in ?key=": "key=<API_KEY>",
    "UTF-16 JSON with access_token": '"access_token":"<ACCESS_TOKEN>"',
    "br JSON with accessToken": '"accessToken":"<ACCESS_TOKEN>"',
    "camelCase accessToken and refreshToken": '"refreshToken":"<REFRESH_TOKEN>"',
    "Basic credentials in a response header": "Basic <CLIENT_CREDENTIALS>",
    "Basic credentials in a request header": "Basic <CLIENT_CREDENTIALS>",
    "response X-Api-Key": "- <API_KEY>",
    "request X-Auth-Token": "- <AUTH_TOKEN>",
    "Location with #access_token=": "https://app.example/cb#access_token=<ACCESS_TOKEN>&x=1",
    "form client_secret[0]": "client_secret[0]=<CLIENT_SECRET>",
    "gzip request body with client_secret": '"client_secret":"<CLIENT_SECRET>"',
}


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_recording_scrubs_or_refuses_every_encoded_secret(
    case: str, toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    secret, raw, send, outcome = RECORD_CASES[case]
    toy.raw = raw
    path = tmp_path / "c.yaml"
    refused: CassetteLeakError | None = None
    try:
        with use(path, "rewrite", hosts={toy_server.url: TOY}):
            requests.post(toy_server.url + "/v1/things", timeout=5, **send)
    except CassetteLeakError as exc:
        refused = exc
    assert ("refused" if refused else "scrubbed") == outcome, refused
    if refused is not None:
        assert not path.exists()
        assert secret not in str(refused)
    else:
        # Written, with no copy of the secret in any decoding, and `check` agrees.
        stored = _on_disk(path)
        assert secret not in stored
        assert PLACEHOLDERS[case] in stored
        report = check_paths([path], environ={"THE_SECRET_TOKEN": secret})
        assert report.exit_code() == 0, report.render()


def test_scrubbed_encoded_bodies_keep_their_encoding_and_replay(
    toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    # UTF-16 stays UTF-16 (with its BOM), scrubbed; a br body is stored decoded and replays.
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        toy.raw = Response(
            200, json.dumps({"access_token": OPAQUE}).encode("utf-16"), [], "application/json"
        )
        requests.get(toy_server.url + "/v1/utf16", timeout=5)
        toy.raw = Response(
            200,
            brotli.compress(json.dumps({"accessToken": OPAQUE, "n": 1}).encode()),
            [("Content-Encoding", "br")],
            "application/json",
        )
        requests.get(toy_server.url + "/v1/br", timeout=5)
    first, second = load_cassette(path).interactions
    stored = first["response"]["body"]["string"]
    assert stored.startswith(b"\xff\xfe")
    assert json.loads(stored.decode("utf-16")) == {"access_token": "<ACCESS_TOKEN>"}
    assert json.loads(second["response"]["body"]["string"]) == {
        "accessToken": "<ACCESS_TOKEN>",
        "n": 1,
    }
    assert "Content-Encoding" not in second["response"]["headers"]
    with use(path):
        # requests reads application/json as UTF-8, so the test decodes the bytes itself.
        replayed = requests.get(TOY + "/v1/utf16", timeout=5).content
        assert json.loads(replayed.decode("utf-16")) == {"access_token": "<ACCESS_TOKEN>"}
        assert requests.get(TOY + "/v1/br", timeout=5).json()["accessToken"] == "<ACCESS_TOKEN>"


def test_a_scrubbed_camel_case_token_in_a_request_still_matches_on_replay(
    toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.post(toy_server.url + "/v1/refresh", json={"refreshToken": OPAQUE}, timeout=5)
    assert OPAQUE not in path.read_text()
    with use(path) as cassette:  # a fresh token on the next run: the value is not compared
        requests.post(TOY + "/v1/refresh", json={"refreshToken": "another-token-1"}, timeout=5)
        assert cassette.played == [0]


def test_the_gate_and_the_scrubber_share_one_detector() -> None:
    """What the gate reports by name, the scrubber replaces: no name is only in one of them."""
    from mockkit.cassettes import DEFAULT_SCRUBBER

    for name in ("accessToken", "client_secret[0]", "X-Api-Key", "db_password", "apiKey"):
        item = interaction(response={"body": {"string": json.dumps({name: OPAQUE})}})
        assert find_leaks("", [item], {}), name
        scrubbed = DEFAULT_SCRUBBER.response(item["response"])
        assert OPAQUE not in json.dumps(scrubbed), name
        assert find_leaks("", [{"request": item["request"], "response": scrubbed}], {}) == []

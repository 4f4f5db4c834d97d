"""The GitHub fake through authlib's Flask client and raw requests: GitHub's quirks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.requests_client import OAuth2Session

from mockkit.oauth import AuthorizeError, GitHubFake, login

from .apps import CLIENT_ID, CLIENT_SECRET, github_settings, make_app


@pytest.fixture
def fake() -> Any:
    with GitHubFake().with_defaults() as f:
        yield f


def test_login_with_public_email(fake: GitHubFake) -> None:
    client = make_app(github_settings(fake), github=True).test_client()
    body = login(client, "/login", fake).get_json()
    assert body["user"]["login"] == "octocat"
    assert body["user"]["email"] == "octocat@example.com"
    assert body["user"]["type"] == "User"
    token = body["token"]
    assert token["access_token"].startswith("gho_")
    assert token["scope"] == "read:user,user:email"  # GitHub joins granted scopes with commas
    assert "expires_in" not in token and "refresh_token" not in token


def test_login_with_private_email(fake: GitHubFake) -> None:
    fake.add_user("hubot", name="Hubot", email="hubot@example.com", private_email=True)
    client = make_app(github_settings(fake), github=True).test_client()
    body = login(client, "/login", fake, user="hubot").get_json()
    assert body["user"]["email"] is None  # JSON null, as GitHub sends for a private address
    assert body["emails"] == [
        {"email": "hubot@example.com", "primary": True, "verified": True, "visibility": "private"}
    ]


def test_token_is_form_encoded_unless_json_is_accepted(fake: GitHubFake) -> None:
    start = requests.post(
        "https://github.com/login/oauth/authorize?client_id=mockkit-client"
        "&redirect_uri=http://app.example/cb&scope=user:email&state=s1",
        data={"decision": "allow", "user": "octocat"},
        allow_redirects=False,
    )
    code = parse_qs(urlsplit(start.headers["Location"]).query)["code"][0]
    answer = requests.post(
        "https://github.com/login/oauth/access_token",
        data={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "redirect_uri": "http://app.example/cb",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(answer.text)
    assert fields["access_token"][0].startswith("gho_")
    assert fields["token_type"] == ["bearer"] and fields["scope"] == ["user:email"]
    # The same code again: an error, still with HTTP 200, form-encoded.
    again = requests.post(
        "https://github.com/login/oauth/access_token",
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code},
        headers={"Accept": "application/json"},
    )
    assert again.status_code == 200
    assert again.json()["error"] == "bad_verification_code"


def test_user_emails_needs_the_user_email_scope(fake: GitHubFake) -> None:
    settings = github_settings(fake)
    settings["client_kwargs"] = {"scope": "read:user"}
    client = make_app(settings, github=True).test_client()
    body = login(client, "/login", fake).get_json()
    assert body["emails_status"] == 404
    assert body["emails"]["message"] == "Not Found"


def test_bad_and_revoked_tokens_get_bad_credentials(fake: GitHubFake) -> None:
    answer = requests.get("https://api.github.com/user", headers={"Authorization": "token junk"})
    assert answer.status_code == 401
    assert answer.json()["message"] == "Bad credentials"
    client = make_app(github_settings(fake), github=True).test_client()
    token = login(client, "/login", fake).get_json()["token"]["access_token"]
    ok = requests.get("https://api.github.com/user", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and "user:email" in ok.headers["X-OAuth-Scopes"]
    fake.revoke(token)
    gone = requests.get("https://api.github.com/user", headers={"Authorization": f"token {token}"})
    assert gone.status_code == 401


def test_api_paths_only_on_the_api_host(fake: GitHubFake) -> None:
    answer = requests.get("https://github.com/user", headers={"Authorization": "token x"})
    assert answer.status_code == 404
    assert "api.github.com/user" in answer.json()["mockkit_hint"]


def test_expiring_tokens_refresh() -> None:
    with GitHubFake(expiring_tokens=True).with_defaults() as fake:
        client = make_app(github_settings(fake), github=True).test_client()
        token = login(client, "/login", fake).get_json()["token"]
        assert token["access_token"].startswith("ghu_")
        assert token["refresh_token"].startswith("ghr_")
        assert token["expires_in"] == 28800
        answer = requests.post(
            "https://github.com/login/oauth/access_token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=(CLIENT_ID, CLIENT_SECRET),
            headers={"Accept": "application/json"},
        )
        renewed = answer.json()
        assert renewed["access_token"].startswith("ghu_")
        assert renewed["access_token"] != token["access_token"]


def test_served_github() -> None:
    fake = GitHubFake().with_defaults()
    with fake.serve() as server:
        client = make_app(github_settings(fake, server.url), github=True).test_client()
        body = login(client, "/login", fake).get_json()
        assert body["user"]["login"] == "octocat"
        page = requests.get(
            server.url + "/login/oauth/authorize?client_id=mockkit-client"
            "&redirect_uri=http://app.example/cb",
            timeout=5,
        )
        assert "id='allow'" in page.text and "octocat" in page.text


# ---- faults ----------------------------------------------------------------------------------


def test_user_denies(fake: GitHubFake) -> None:
    client = make_app(github_settings(fake), github=True).test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake, consent=False)
    assert info.value.error == "access_denied"


def test_state_tampered(fake: GitHubFake) -> None:
    client = make_app(github_settings(fake), github=True).test_client()
    with pytest.raises(MismatchingStateError):
        login(client, "/login", fake, state="tampered")


def test_code_reused_is_bad_verification_code(fake: GitHubFake) -> None:
    app = make_app(github_settings(fake), github=True)
    login(app.test_client(), "/login", fake)
    with pytest.raises(OAuthError) as info:
        login(app.test_client(), "/login", fake, code=fake.codes[-1].code)
    assert info.value.error == "bad_verification_code"
    token_calls = list(fake.calls("POST", "/login/oauth/access_token"))
    assert [c.status for c in token_calls] == [200, 200]  # GitHub's errors come with 200


def test_code_expired(fake: GitHubFake) -> None:
    fake.code_ttl = 0
    client = make_app(github_settings(fake), github=True).test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake)
    assert info.value.error == "bad_verification_code"


def test_wrong_client_secret(fake: GitHubFake) -> None:
    client = make_app(github_settings(fake), client_secret="nope", github=True).test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake)
    assert info.value.error == "incorrect_client_credentials"


def test_wrong_redirect_uri_goes_to_the_registered_callback(fake: GitHubFake) -> None:
    fake.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=["http://localhost/callback/github"])
    client = make_app(github_settings(fake), github=True).test_client()
    # The app's redirect_uri (/callback) is not under the registered callback; GitHub sends
    # the user to the registered one with error=redirect_uri_mismatch (the app's state kept).
    first = client.get("/login")
    answer = requests.get(first.headers["Location"], allow_redirects=False)
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/callback/github"
    assert parse_qs(back.query)["error"] == ["redirect_uri_mismatch"]


def test_redirect_uri_below_the_registered_callback_is_accepted(fake: GitHubFake) -> None:
    fake.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=["http://localhost/"])
    client = make_app(github_settings(fake), github=True).test_client()
    assert login(client, "/login", fake).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 429])
def test_token_endpoint_http_errors(fake: GitHubFake, status: int) -> None:
    fake.fail("token", status=status)
    client = make_app(github_settings(fake), github=True).test_client()
    with pytest.raises(requests.HTTPError):
        login(client, "/login", fake)


def test_form_encoded_answer_to_authlib_is_a_value_error(fake: GitHubFake) -> None:
    fake.ignore_accept = True  # GitHub answering form-encoded whatever the Accept header says
    client = make_app(github_settings(fake), github=True).test_client()
    with pytest.raises(ValueError, match="not a JSON object"):
        login(client, "/login", fake)


def test_user_api_failing(fake: GitHubFake) -> None:
    fake.fail("user", status=503)
    client = make_app(github_settings(fake), github=True).test_client()
    # The test app calls .json() on the 503's body; an app checking raise_for_status() gets
    # requests.HTTPError instead.
    with pytest.raises(requests.JSONDecodeError):
        login(client, "/login", fake)
    assert next(fake.calls("GET", "/user")).status == 503


def test_token_endpoint_takes_a_json_body(fake: GitHubFake) -> None:
    start = requests.post(
        "https://github.com/login/oauth/authorize?client_id=mockkit-client&scope=read:user"
        "&redirect_uri=http://app.example/cb",
        data={"decision": "allow"},
        allow_redirects=False,
    )
    code = parse_qs(urlsplit(start.headers["Location"]).query)["code"][0]
    answer = requests.post(
        "https://github.com/login/oauth/access_token",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code},
        headers={"Accept": "application/json"},
    )
    assert answer.json()["access_token"].startswith("gho_")
    missing = requests.post(
        "https://github.com/login/oauth/access_token",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        headers={"Accept": "application/json"},
    )
    assert missing.json()["error"] == "bad_verification_code"


def test_token_redirect_uri_is_compared_only_when_sent(fake: GitHubFake) -> None:
    def new_code() -> str:
        start = requests.post(
            "https://github.com/login/oauth/authorize?client_id=mockkit-client"
            "&redirect_uri=http://app.example/cb",
            data={"decision": "allow"},
            allow_redirects=False,
        )
        return parse_qs(urlsplit(start.headers["Location"]).query)["code"][0]

    def exchange(**extra: str) -> Any:
        form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **extra}
        return requests.post(
            "https://github.com/login/oauth/access_token",
            data=form,
            headers={"Accept": "application/json"},
        ).json()

    assert "access_token" in exchange(code=new_code())
    wrong = exchange(code=new_code(), redirect_uri="http://app.example/elsewhere")
    assert wrong["error"] == "redirect_uri_mismatch"


# ---- hostile input ---------------------------------------------------------------------------

REGISTERED = "https://app.example/cb"


def _authorize_with(redirect_uri: str) -> requests.Response:
    """An authorization request built by authlib's own client, for `redirect_uri`."""
    session = OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri=redirect_uri, scope="user")
    url, _ = session.create_authorization_url("https://github.com/login/oauth/authorize")
    return requests.post(url, data={"decision": "allow"}, allow_redirects=False)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REGISTERED + "/../evil",
        REGISTERED + "/%2e%2e/evil",
        REGISTERED + "/%2E%2E/evil",
        REGISTERED + "/.%2e/evil",
        REGISTERED + "/..%2fevil",
        REGISTERED + "/..%2Fevil",
        REGISTERED + "/..;/evil",
        REGISTERED + "/%252e%252e/evil",
        REGISTERED + "/..%5cevil",
        REGISTERED + "/sub/../../evil",
        REGISTERED + "/./",
        "https://app.example@evil.example/cb/x",
        "https://app.example:8443/cb/x",
        "http://app.example/cb/x",
        "https://app.example/cbx",
    ],
)
def test_redirect_uri_leaving_the_callback_is_refused(fake: GitHubFake, redirect_uri: str) -> None:
    fake.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=[REGISTERED])
    answer = _authorize_with(redirect_uri)
    # GitHub sends the user to the registered callback with redirect_uri_mismatch, no code.
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REGISTERED
    assert parse_qs(back.query)["error"] == ["redirect_uri_mismatch"]
    assert "code" not in parse_qs(back.query)
    assert fake.codes == []


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REGISTERED,
        REGISTERED + "/",
        REGISTERED + "/github/done",
        REGISTERED + "/..more",
        "https://APP.example/cb/x",
        "https://app.example:443/cb/x",
    ],
)
def test_redirect_uri_below_the_callback_gets_a_code(fake: GitHubFake, redirect_uri: str) -> None:
    fake.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=[REGISTERED])
    answer = _authorize_with(redirect_uri)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert "error" not in query and query["code"] == [fake.codes[0].code]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "Problems parsing JSON"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "Problems parsing JSON"),
        (b'{"client_id": "mockkit-client",', "Problems parsing JSON"),
        (b'["client_id", "mockkit-client"]', "Body should be a JSON object"),
    ],
)
def test_token_endpoint_bad_json_is_githubs_400(
    fake: GitHubFake, body: bytes, message: str
) -> None:
    answer = requests.post(
        "https://github.com/login/oauth/access_token",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == message
    assert fake.tokens == []


def test_unknown_client_says_to_call_add_client(fake: GitHubFake) -> None:
    fake.add_client("second-app", "second-secret-value")
    client = make_app(github_settings(fake), client_id="my-app", github=True).test_client()
    with pytest.raises(AuthorizeError) as page:
        login(client, "/login", fake)
    assert "add_client('my-app'" in page.value.description
    assert "'mockkit-client'" in page.value.description
    # The token endpoint: GitHub's own code and sentence, then the hint.
    answer = requests.post(
        "https://github.com/login/oauth/access_token",
        data={"client_id": "my-app", "client_secret": "x", "code": "c"},
        headers={"Accept": "application/json"},
    ).json()
    assert answer["error"] == "incorrect_client_credentials"
    description = answer["error_description"]
    assert description.startswith("The client_id and/or client_secret passed are incorrect.")
    assert "add_client('my-app', client_secret)" in description
    assert "'mockkit-client', 'second-app'" in description
    assert "second-secret-value" not in description and CLIENT_SECRET not in description


@pytest.mark.parametrize(
    "redirect_uri", ["https://[::1/cb", "https://app.example:99999/cb/x", "https://", "cb/x"]
)
def test_unparseable_redirect_uri_is_a_mismatch(fake: GitHubFake, redirect_uri: str) -> None:
    fake.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=[REGISTERED])
    answer = requests.get(
        "https://github.com/login/oauth/authorize",
        params={"client_id": CLIENT_ID, "redirect_uri": redirect_uri},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == [
        "redirect_uri_mismatch"
    ]

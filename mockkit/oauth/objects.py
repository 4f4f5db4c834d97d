"""Pure factories for the JSON the OAuth providers send: usable without any fake.

Every function returns plain dicts and lists shaped like the provider's own (GitHub's REST
user, its emails list and token responses; Google's userinfo and token responses; OpenID
Connect ID-token claims). The fakes build their answers with them, and so can a `responses`
stub of a single endpoint. Keyword overrides replace or add top-level keys.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

__all__ = [
    "github_emails",
    "github_error",
    "github_token_response",
    "github_user",
    "google_api_error",
    "google_claim_scope",
    "google_scope",
    "google_token_response",
    "google_tokeninfo",
    "google_userinfo",
    "google_userinfo_v2",
    "id_token_claims",
    "new_token",
    "oauth_error",
    "oauth_token_response",
]

_ALPHANUM = string.ascii_letters + string.digits

#: The documentation page GitHub links from its OAuth token-endpoint errors.
GITHUB_TROUBLESHOOTING = (
    "https://docs.github.com/apps/managing-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors/"
)

_GITHUB_ERROR_TEXT = {
    "bad_verification_code": "The code passed is incorrect or expired.",
    "incorrect_client_credentials": "The client_id and/or client_secret passed are incorrect.",
    "redirect_uri_mismatch": "The redirect_uri MUST match the registered callback URL for "
    "this application.",
    "unverified_user_email": "The user must have a verified primary email.",
    "bad_refresh_token": "The refresh token passed is incorrect or expired.",
    "unsupported_grant_type": "The grant type is not supported.",
}


def new_token(prefix: str = "", length: int = 36) -> str:
    """A random token such as GitHub's `gho_...` (letters and digits after the prefix)."""
    return prefix + "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def github_user(
    login: str = "octocat",
    id: int = 1,
    name: str | None = "The Octocat",
    email: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """The JSON of `GET https://api.github.com/user` for an authenticated user.

    `email` is the user's *public* email: `None` (JSON null) when they keep it private, as
    GitHub does; the address is then only in `/user/emails`.
    """
    api = "https://api.github.com"
    user: dict[str, Any] = {
        "login": login,
        "id": id,
        "node_id": f"MDQ6VXNlcj{id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{id}?v=4",
        "gravatar_id": "",
        "url": f"{api}/users/{login}",
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/users/{login}/followers",
        "following_url": f"{api}/users/{login}/following{{/other_user}}",
        "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
        "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/users/{login}/subscriptions",
        "organizations_url": f"{api}/users/{login}/orgs",
        "repos_url": f"{api}/users/{login}/repos",
        "events_url": f"{api}/users/{login}/events{{/privacy}}",
        "received_events_url": f"{api}/users/{login}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
        "name": name,
        "company": None,
        "blog": "",
        "location": None,
        "email": email,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "notification_email": email,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2024-01-22T12:00:00Z",
    }
    user.update(overrides)
    return user


def github_emails(
    email: str, private: bool = False, verified: bool = True, extra: list[str] | None = None
) -> list[dict[str, Any]]:
    """The JSON of `GET https://api.github.com/user/emails`: the primary address first.

    `visibility` is `"private"` for a private primary address and `"public"` otherwise;
    `extra` addresses are verified, non-primary, with `visibility: null` as GitHub shows them.
    """
    emails: list[dict[str, Any]] = [
        {
            "email": email,
            "primary": True,
            "verified": verified,
            "visibility": "private" if private else "public",
        }
    ]
    for address in extra or []:
        emails.append({"email": address, "primary": False, "verified": True, "visibility": None})
    return emails


def github_token_response(
    access_token: str | None = None,
    scope: str = "read:user",
    refresh_token: str | None = None,
    expires_in: int | None = None,
    refresh_token_expires_in: int | None = None,
) -> dict[str, Any]:
    """GitHub's token-endpoint success: `access_token`, `scope` (comma-separated), `token_type`.

    An OAuth app's token (`gho_...`) never expires; a GitHub App's user token (`ghu_...`)
    comes with `expires_in`, `refresh_token` (`ghr_...`) and `refresh_token_expires_in`.
    """
    data: dict[str, Any] = {
        "access_token": access_token or new_token("gho_"),
        "scope": scope,
        "token_type": "bearer",
    }
    if expires_in is not None:
        data["expires_in"] = expires_in
    if refresh_token is not None:
        data["refresh_token"] = refresh_token
    if refresh_token_expires_in is not None:
        data["refresh_token_expires_in"] = refresh_token_expires_in
    return data


def github_error(error: str, description: str | None = None) -> dict[str, str]:
    """A GitHub token-endpoint error body (GitHub sends it with HTTP 200)."""
    return {
        "error": error,
        "error_description": description or _GITHUB_ERROR_TEXT.get(error, error),
        "error_uri": GITHUB_TROUBLESHOOTING + "#" + error.replace("_", "-"),
    }


def oauth_error(error: str, description: str | None = None) -> dict[str, str]:
    """An RFC 6749 error body: `{"error": ..., "error_description": ...}`."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return body


def oauth_token_response(
    access_token: str | None = None,
    scope: str = "openid email profile",
    expires_in: int = 3600,
    refresh_token: str | None = None,
    id_token: str | None = None,
    token_type: str = "Bearer",
) -> dict[str, Any]:
    """An RFC 6749 token response, with `id_token` when one is given (OpenID Connect)."""
    data: dict[str, Any] = {
        "access_token": access_token or new_token("mk_at_", 40),
        "token_type": token_type,
        "expires_in": expires_in,
        "scope": scope,
    }
    if refresh_token is not None:
        data["refresh_token"] = refresh_token
    if id_token is not None:
        data["id_token"] = id_token
    return data


_GOOGLE_SCOPES = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}
_GOOGLE_SHORT = {url: short for short, url in _GOOGLE_SCOPES.items()}


def google_scope(scope: str) -> str:
    """Google's spelling of granted scopes: `email` becomes `.../auth/userinfo.email`, etc.

    A scope asked for in both spellings is granted once.
    """
    spelled = [_GOOGLE_SCOPES.get(s, s) for s in scope.split()]
    return " ".join(dict.fromkeys(spelled))


def google_claim_scope(scope: str) -> str:
    """The OpenID Connect scopes a Google scope string stands for: the URL forms
    `.../auth/userinfo.email` and `.../auth/userinfo.profile` release what `email` and
    `profile` release."""
    return " ".join(dict.fromkeys(_GOOGLE_SHORT.get(s, s) for s in scope.split()))


def google_token_response(
    access_token: str | None = None,
    scope: str = "openid email profile",
    id_token: str | None = None,
    refresh_token: str | None = None,
    expires_in: int = 3599,
) -> dict[str, Any]:
    """Google's token response: a `ya29.` access token, scopes spelled as Google grants them."""
    return oauth_token_response(
        access_token=access_token or new_token("ya29.a0", 60),
        scope=google_scope(scope),
        expires_in=expires_in,
        refresh_token=refresh_token,
        id_token=id_token,
    )


def google_userinfo(
    sub: str = "108251467891234567890",
    email: str | None = "alice@example.com",
    email_verified: bool = True,
    name: str | None = "Alice Example",
    picture: str | None = None,
    **claims: Any,
) -> dict[str, Any]:
    """The JSON of Google's userinfo endpoint (`openidconnect.googleapis.com/v1/userinfo`)."""
    info: dict[str, Any] = {"sub": sub}
    if name is not None:
        first, _, last = name.partition(" ")
        info["name"] = name
        info["given_name"] = first
        if last:
            info["family_name"] = last
    info["picture"] = picture or f"https://lh3.googleusercontent.com/a/{sub}=s96-c"
    if email is not None:
        info["email"] = email
        info["email_verified"] = email_verified
    info.update(claims)
    return info


#: Keys of the legacy userinfo (`www.googleapis.com/oauth2/v1|v2/userinfo`), in Google's order.
_GOOGLE_V2_KEYS = ("email", "verified_email", "name", "given_name", "family_name", "picture",
                   "locale", "hd", "link", "gender")  # fmt: skip


def google_userinfo_v2(
    sub: str = "108251467891234567890",
    email: str | None = "alice@example.com",
    email_verified: bool = True,
    name: str | None = "Alice Example",
    picture: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The JSON of Google's legacy userinfo (`www.googleapis.com/oauth2/v1/userinfo`, `/v2/`).

    Older than OpenID Connect's: the subject is `id`, the flag `verified_email`; `name`,
    `given_name`, `family_name`, `picture`, `locale`, `hd` as in the OIDC form. Keys whose
    value is None are left out, as Google leaves out what the scope does not release.
    """
    info: dict[str, Any] = {"id": sub}
    values: dict[str, Any] = {"email": email, "picture": picture, **fields}
    if email is not None:
        values["verified_email"] = email_verified
    if name is not None:
        first, _, last = name.partition(" ")
        values.update(name=name, given_name=first, family_name=last or None)
    for key in _GOOGLE_V2_KEYS:
        if values.get(key) is not None:
            info[key] = values[key]
    for key, value in fields.items():
        if key not in info and value is not None:
            info[key] = value
    return info


def google_tokeninfo(
    client_id: str,
    sub: str,
    scope: str,
    expires_at: float,
    now: float | None = None,
    email: str | None = None,
    email_verified: bool = True,
    offline: bool = False,
) -> dict[str, str]:
    """The JSON of Google's tokeninfo for an access token (`oauth2.googleapis.com/tokeninfo`,
    `www.googleapis.com/oauth2/v3/tokeninfo`): every value a string, as Google sends them.

    `email` and `email_verified` ("true"/"false") only when the token may read the address.
    """
    left = max(0, int(expires_at - (now if now is not None else time.time())))
    info = {
        "azp": client_id,
        "aud": client_id,
        "sub": sub,
        "scope": google_scope(scope),
        "exp": str(int(expires_at)),
        "expires_in": str(left),
    }
    if email is not None:
        info["email"] = email
        info["email_verified"] = "true" if email_verified else "false"
    info["access_type"] = "offline" if offline else "online"
    return info


def google_api_error(status: int, message: str, status_name: str) -> dict[str, Any]:
    """The error JSON of Google's REST APIs (`www.googleapis.com`): a nested `error` object."""
    return {"error": {"code": status, "message": message, "status": status_name}}


def id_token_claims(
    iss: str,
    sub: str,
    aud: str,
    nonce: str | None = None,
    at_hash: str | None = None,
    now: float | None = None,
    lifetime: int = 3600,
    **claims: Any,
) -> dict[str, Any]:
    """The claims of an OpenID Connect ID token: `iss sub aud azp exp iat` (+ nonce, at_hash).

    `azp` is set to `aud` as Google does; `auth_time` is the issue time. Extra keyword claims
    (`email`, `name`, ...) are added as given.
    """
    issued = int(now if now is not None else time.time())
    data: dict[str, Any] = {
        "iss": iss,
        "azp": aud,
        "aud": aud,
        "sub": sub,
        "iat": issued,
        "exp": issued + lifetime,
        "auth_time": issued,
    }
    if nonce is not None:
        data["nonce"] = nonce
    if at_hash is not None:
        data["at_hash"] = at_hash
    data.update(claims)
    return data

"""OAuth 2.0 / OpenID Connect fakes (GitHub, Google, any OIDC issuer) and a one-call login.

Each fake is a `mockkit.BaseFake`: `with fake:` answers the provider's real hosts in-process,
`with fake.serve() as server:` serves the same state on 127.0.0.1 with a login/consent page.
`login(client, "/login/github", fake)` drives a Flask test client through the whole flow.
"""

from mockkit.oauth.base import EndpointFault, OAuthFake
from mockkit.oauth.github import GitHubFake, GitHubUser
from mockkit.oauth.google import GOOGLE_DISCOVERY_URL, GoogleFake
from mockkit.oauth.login import AuthorizeError, LoginError, login
from mockkit.oauth.oidc import DEFAULT_ISSUER, OIDCProviderFake, OIDCUser
from mockkit.oauth.provider import AuthorizationCode, OAuthClient, ProviderError, Token

__all__ = [
    "DEFAULT_ISSUER",
    "GOOGLE_DISCOVERY_URL",
    "AuthorizationCode",
    "AuthorizeError",
    "EndpointFault",
    "GitHubFake",
    "GitHubUser",
    "GoogleFake",
    "LoginError",
    "OAuthClient",
    "OAuthFake",
    "OIDCProviderFake",
    "OIDCUser",
    "ProviderError",
    "Token",
    "login",
]

"""authlib: what `fetch_token()` raises when the token endpoint answers a fault.

authlib sends through requests, so failures below HTTP reach the application as requests'
own exceptions, unchanged. An HTTP answer goes through authlib's token-response parsing: a
4xx/5xx that is not JSON raises `requests.HTTPError`, a JSON `error` raises `OAuthError`.
"""

from __future__ import annotations

from mockkit.errors.clients import TOKEN_PROBE, ClientLibrary, Reply, dotted_name, get
from mockkit.errors.clients.requests import response_for
from mockkit.http import Request
from mockkit.transport import TransportFault

__all__ = ["AuthlibLibrary", "library"]


class AuthlibLibrary(ClientLibrary):
    """authlib's requests client calling a token endpoint."""

    name = "authlib"

    def probe(self, method: str | None = None, url: str | None = None) -> Request:
        """A token request as authlib sends it (`Accept: application/json`)."""
        return super().probe(method or TOKEN_PROBE[0], url or TOKEN_PROBE[1])

    def raised(self, reply: Reply, request: Request) -> BaseException | None:
        """requests' exception unchanged, or what authlib's token parsing raises."""
        if isinstance(reply, TransportFault):
            return get("requests").transport_exception(reply, request)
        import requests
        from authlib.integrations.base_client import OAuthError
        from authlib.oauth2.client import _load_token_response

        try:
            token = _load_token_response(response_for(reply, *TOKEN_PROBE))
        except (requests.HTTPError, ValueError) as exc:
            return exc
        if "error" in token:
            error: BaseException = OAuthError(
                error=token["error"], description=token.get("error_description")
            )
            return error
        return None

    def label(self, reply: Reply, request: Request) -> str:
        """The exception's name, with the OAuth `error` code when there is one."""
        exc = self.raised(reply, request)
        label = dotted_name(exc)
        error = getattr(exc, "error", None)
        if isinstance(error, str) and error:
            label += f"({error})"
        return label


library = AuthlibLibrary()

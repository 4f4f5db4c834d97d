"""Mapping a local sandbox (fakes served on 127.0.0.1) to the providers' canonical hosts.

A cassette recorded against `http://127.0.0.1:PORT` would only replay for an app pointed at that
port, which is gone once the recording ends. The cassette stores the canonical host instead
(`https://api.stripe.com`, `https://github.com`, ...), in request URIs and in absolute URLs
inside response bodies and headers (checkout `url`, discovery documents, `Location`), so the
same cassette replays for an app configured for the real provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mockkit import providers
from mockkit.identity import HEADER, parse_header

__all__ = ["HostMap"]


def _base(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(
            f"host mapping needs absolute URLs like http://127.0.0.1:8080, got {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}".lower(), parts.path or "/"


@dataclass
class HostMap:
    """Rewrites sandbox base URLs to canonical provider base URLs.

    Built from `{"http://127.0.0.1:PORT": "https://api.stripe.com"}`; a key may carry a path
    prefix (`"http://127.0.0.1:PORT/login/": "https://github.com"`) when one served port answers
    for several hosts. An empty map changes nothing.
    """

    rules: list[tuple[str, str, str]] = field(default_factory=list)  # (base, prefix, canonical)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str] | HostMap | None) -> HostMap:
        """A `HostMap` from a user's `hosts=` argument (a dict, a HostMap or None)."""
        if mapping is None:
            return cls()
        if isinstance(mapping, HostMap):
            return mapping
        rules = []
        for source, target in mapping.items():
            base, prefix = _base(source)
            canonical, _ = _base(target)
            rules.append((base, prefix, canonical))
        return cls(rules)._sorted()

    @classmethod
    def for_served(cls, served: Iterable[tuple[str, Any]]) -> HostMap:
        """A map for fakes served on loopback: `(server.url, fake)` pairs.

        `fake` may also be a list of canonical hosts. A fake with one host maps its whole port
        to it. A fake answering several hosts on one port (GitHub: github.com and
        api.github.com) is split by path: the paths the fake routes per host, then its
        provider's `paths` from the registry (`mockkit.providers`), then its first host.
        """
        rules: list[tuple[str, str, str]] = []
        for url, fake in served:
            base, _ = _base(url)
            host_list = [h.rstrip("/") for h in getattr(fake, "hosts", fake)]
            if not host_list:
                continue
            if len(host_list) > 1:
                # OAuth fakes keep which canonical host answers each of their paths.
                route_hosts = getattr(fake, "_route_hosts", None) or {}
                rules.extend((base, path, host.rstrip("/")) for path, host in route_hosts.items())
                provider = providers.for_host(host_list[0])
                known = provider.paths if provider is not None else ()
                rules.extend((base, prefix, canonical) for prefix, canonical in known)
            rules.append((base, "/", host_list[0]))
        return cls(rules)._sorted()

    @classmethod
    def for_provider(cls, url: str, name: str, primary: str | None = None) -> HostMap:
        """A map for the fake of provider `name` served at `url` (`primary`: its main host).

        What a recording learns from a served fake's `Mockkit-Fake` header, with no `hosts=`
        written by hand.
        """
        provider = providers.get(name)
        if primary and primary.rstrip("/") != provider.hosts[0]:
            return cls.for_served([(url, [primary])])  # e.g. an OIDC fake with its own issuer
        return cls.for_served([(url, provider.hosts)])

    def learn_from_served(
        self, pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Map every unmapped loopback port that a served mockkit fake answered; drop its header.

        A served fake names what it stands for in each answer (`Mockkit-Fake`, see
        `mockkit.identity`), so a recording through one stores the canonical hosts with no
        `hosts=` written by hand. The header is mockkit's, not the provider's: it is removed
        from every response (vcrpy dict layout) before anything is stored.
        """
        out = []
        for request, response in pairs:
            headers = dict(response.get("headers") or {})
            found = next((name for name in headers if name.lower() == HEADER.lower()), None)
            if found is not None:
                values = headers.pop(found)
                value = values[0] if isinstance(values, list) and values else values
                parsed = parse_header(str(value))
                uri = str(request.get("uri", ""))
                base, path = _base(uri)
                if parsed is not None and self.canonical(base, path) is None:
                    learned = HostMap.for_provider(base, *parsed)
                    self.rules.extend(learned.rules)
                    self._sorted()
                response = {**response, "headers": headers}
            out.append((request, response))
        return out

    def _sorted(self) -> HostMap:
        self.rules.sort(key=lambda rule: len(rule[1]), reverse=True)
        return self

    def __bool__(self) -> bool:
        return bool(self.rules)

    @property
    def canonical_hosts(self) -> list[str]:
        """Every canonical base URL the map leads to."""
        seen: list[str] = []
        for _, _, canonical in self.rules:
            if canonical not in seen:
                seen.append(canonical)
        return seen

    def canonical(self, base: str, path: str) -> str | None:
        """The canonical base for a request to `base` + `path`, or None when not mapped."""
        base = base.lower()
        for rule_base, prefix, canonical in self.rules:
            if rule_base == base and path.startswith(prefix):
                return canonical
        return None

    def map_url(self, url: str) -> str:
        """`url` with a sandbox base replaced by its canonical base."""
        if not self.rules:
            return url
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        canonical = self.canonical(base, parts.path or "/")
        if canonical is None:
            return url
        return canonical + url[len(base) :]

    def map_text(self, text: str) -> str:
        """Every absolute sandbox URL inside `text` (a body, a header) made canonical."""
        if not self.rules:
            return text
        bases = sorted({rule[0] for rule in self.rules}, key=len, reverse=True)
        pattern = re.compile(
            "(" + "|".join(re.escape(b) for b in bases) + r")(/[^\s\"'<>\\]*)?", re.IGNORECASE
        )

        def replace(match: re.Match[str]) -> str:
            path = match.group(2) or ""
            canonical = self.canonical(match.group(1), path or "/")
            return (canonical + path) if canonical else match.group(0)

        return pattern.sub(replace, text)

    def describe(self) -> dict[str, Any]:
        """A readable summary for cassette metadata (ports are dropped: they mean nothing later)."""
        return {"canonical_hosts": self.canonical_hosts}

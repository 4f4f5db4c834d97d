"""The provider registry is the one list of hosts: every index and every fake agrees with it."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

import mockkit
from mockkit import providers, serve
from mockkit.cassettes.hosts import HostMap
from mockkit.cassettes.match import PRESETS, preset_for
from mockkit.cassettes.sandbox import local_fakes
from mockkit.fake import BaseFake

PROVIDERS = list(providers.PROVIDERS.values())


def _all_fake_classes() -> set[type[BaseFake]]:
    for info in pkgutil.walk_packages(mockkit.__path__, "mockkit."):
        if info.name != "mockkit.__main__":
            importlib.import_module(info.name)
    found: set[type[BaseFake]] = set()
    todo = [BaseFake]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("mockkit."):
                found.add(sub)
                todo.append(sub)
    return found


@pytest.fixture(params=PROVIDERS, ids=lambda p: p.name)
def provider(request: pytest.FixtureRequest) -> providers.Provider:
    return request.param  # type: ignore[no-any-return]


def test_every_fake_in_mockkit_is_a_registered_provider() -> None:
    registered = {p.fake_class() for p in PROVIDERS}
    # Classes that only share code between fakes answer no host of their own.
    unregistered = {cls for cls in _all_fake_classes() if cls not in registered and cls.hosts}
    assert not unregistered, f"fakes with no entry in mockkit.providers: {unregistered}"


def test_a_fake_answers_only_hosts_its_registry_entry_knows(provider: providers.Provider) -> None:
    fake: Any = provider.fake_class()()
    assert tuple(fake.hosts) == provider.hosts
    assert providers.for_fake(fake) is provider
    # Per path, the host an OAuth fake routes to is the one its served port stands for.
    for path, host in getattr(fake, "_route_hosts", {}).items():
        assert host in provider.hosts, (path, host)
        assert provider.canonical(path) == host, path


def test_serve_offers_every_provider_with_its_settings(provider: providers.Provider) -> None:
    assert provider.name in serve.PROVIDERS
    with serve.ServedFakes([provider.name]) as served:
        details = served.details()[provider.name]
        assert {s.key for s in provider.settings} <= set(details)
        exported = {s.env for s in provider.settings if s.env}
        assert exported == set(served.env())
        if provider.oauth:
            assert details["client_secret"] == providers.DEFAULT_CLIENT_SECRET
            assert len(details["users"]) == 1 + len(provider.users)


def test_every_host_picks_its_providers_match_preset(provider: providers.Provider) -> None:
    for host in (*provider.hosts, *provider.other_hosts):
        assert preset_for("auto", host) is PRESETS[provider.preset], host
    assert preset_for("auto", "https://example.org") is PRESETS["default"]


def test_the_local_sandbox_has_a_fake_for_every_canonical_host(
    provider: providers.Provider,
) -> None:
    for host in provider.hosts:
        (fake,) = local_fakes({host})
        assert providers.for_fake(fake) is provider
    with pytest.raises(ValueError, match="no fake for https://example.org"):
        local_fakes({"https://example.org"})


def test_a_served_port_maps_back_to_the_canonical_host_of_each_path(
    provider: providers.Provider,
) -> None:
    hostmap = HostMap.for_provider("http://127.0.0.1:5555", provider.name)
    for prefix, host in provider.paths:
        assert hostmap.map_url(f"http://127.0.0.1:5555{prefix}x") == f"{host}{prefix}x"
    assert hostmap.map_url("http://127.0.0.1:5555/") == provider.canonical("/") + "/"


def test_one_default_client_secret_everywhere() -> None:
    from mockkit.oauth.base import DEFAULT_CLIENT_SECRET

    assert DEFAULT_CLIENT_SECRET == providers.DEFAULT_CLIENT_SECRET == serve.DEFAULT_CLIENT_SECRET
    assert serve.ServedFakes().client_secret == "mockkit-secret"

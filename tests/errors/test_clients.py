"""The client-library mappings: one module per library, found by name."""

from __future__ import annotations

import pytest
import requests
import stripe

from mockkit import errors
from mockkit.errors import clients


def test_each_library_is_one_module_found_by_its_name() -> None:
    assert clients.available() == ["authlib", "httpx", "requests", "stripe"]
    assert {clients.get(name).name for name in clients.available()} == set(clients.available())


def test_an_unknown_library_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no client library 'httpz'.*httpx, requests, stripe"):
        errors.read_timeout().exception("httpz")


def test_a_transport_failure_maps_to_each_library_by_name() -> None:
    failure = errors.SimulatedReadTimeout(fault=errors.read_timeout())
    prepared = requests.Request("GET", "https://api.stripe.com/v1/charges").prepare()
    exc = failure.to_exception("requests", prepared)
    assert type(exc) is requests.ReadTimeout
    assert "HTTPSConnectionPool(host='api.stripe.com', port=443): Read timed out." in str(exc)
    assert isinstance(errors.read_timeout().exception("stripe"), stripe.APIConnectionError)

"""A fake is served on loopback only, as the command line is, unless told otherwise."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mockkit import providers
from mockkit.serve import ServedFakes, ServeError
from mockkit.transport import check_serve_host


@pytest.mark.parametrize("name", list(providers.PROVIDERS))
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.10"])
def test_serving_a_fake_beyond_loopback_is_refused(name: str, host: str) -> None:
    fake: Any = providers.get(name).fake_class()()
    with pytest.raises(
        ValueError, match=r"refusing to serve a mockkit fake on .*allow_remote=True"
    ):
        fake.serve(host=host)


def test_loopback_names_are_served() -> None:
    fake: Any = providers.get("stripe").fake_class()()
    with fake.serve(host="localhost") as server:
        answer = requests.get(server.url + "/v1/customers", timeout=5)
    assert answer.status_code == 401  # the fake answered (no API key sent)


def test_allow_remote_lifts_the_check_as_the_cli_flag_does() -> None:
    # Not bound for real: the test session is offline, and a fake on every interface is
    # exactly what this guards against.
    check_serve_host("0.0.0.0", allow_remote=True)
    check_serve_host("192.0.2.10", allow_remote=True)
    with pytest.raises(ServeError, match="--allow-remote"):
        ServedFakes(["github"], host="0.0.0.0")

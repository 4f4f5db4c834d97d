"""What a user tries first with a fault, where an exception is expected, explains itself."""

from __future__ import annotations

from unittest import mock

import pytest
import requests
import responses

from mockkit import errors


@pytest.mark.parametrize(
    "fault", [errors.read_timeout(), errors.server_error(503), errors.stripe.card_declined()]
)
def test_a_fault_given_to_responses_as_body_says_to_use_fault_stub(fault: errors.Fault) -> None:
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, "https://api.example.com/x", body=fault)
        with pytest.raises(errors.Fault) as raised:
            requests.get("https://api.example.com/x", timeout=5)
    message = str(raised.value)
    assert message.startswith(f"mockkit.errors {fault.name} was raised as an exception")
    assert "fault.stub(rsps, method, url)" in message


def test_the_way_the_message_points_works() -> None:
    with responses.RequestsMock() as rsps:
        errors.read_timeout().stub(rsps, "GET", "https://api.example.com/x")
        with pytest.raises(requests.ReadTimeout):
            requests.get("https://api.example.com/x", timeout=5)


def test_a_fault_as_a_mock_side_effect_says_to_use_fault_side_effect() -> None:
    charge = mock.Mock(side_effect=errors.stripe.card_declined())
    with pytest.raises(errors.Fault, match=r"side_effect=fault\.side_effect\('stripe'\)"):
        charge()

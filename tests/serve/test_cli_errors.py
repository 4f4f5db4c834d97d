"""`python -m mockkit serve`: help and bad input, through `mockkit.cli.main`.

Bad input must end as one readable message on stderr and a non-zero exit, never a traceback
and never a server left running.
"""

from __future__ import annotations

import socket

import pytest

from mockkit.cli import main


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "PROVIDER",
        "--host",
        "--allow-remote",
        "--stripe-port",
        "--github-port",
        "--google-port",
        "--forward-webhooks",
        "--webhook-secret",
        "--client-id",
        "--client-secret",
        "--redirect-uri",
        "--json",
    ):
        assert option in out, option
    flat = " ".join(out.split())  # argparse wraps lines to the terminal width
    assert "stripe, github, google, oidc (default: all of them)" in flat
    assert "exits with status 0" in flat


def test_serve_is_listed_in_the_top_level_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "serve" in capsys.readouterr().out


def test_unknown_provider_names_the_choices_and_the_closest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "strpe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockkit: unknown provider 'strpe' (did you mean 'stripe'?)")
    assert "choose from stripe, github, google, oidc" in err
    assert "Traceback" not in err


def test_non_loopback_host_is_refused_without_allow_remote(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve the fakes on '0.0.0.0'" in err
    assert "--allow-remote" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--forward-webhooks", "ftp://x/hook"], "needs an http:// or https:// URL"),
        (["--forward-webhooks", "127.0.0.1:5000/hook"], "needs an http:// or https:// URL"),
        (["--forward-webhooks", "https://example.com/hook"], "not this machine"),
        (["github", "--forward-webhooks", "http://127.0.0.1:5000/h"], "needs the stripe fake"),
        (["--client-id", ""], "must not be empty"),
        (["--webhook-secret", "secret"], "--webhook-secret must start with whsec_"),
    ],
)
def test_bad_option_values_are_explained(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockkit: ")
    assert message in err


@pytest.mark.parametrize("value", ["70000", "-1", "http"])
def test_bad_port_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--stripe-port", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--stripe-port" in err
    assert "port" in err.split("--stripe-port", 1)[1]


def test_port_in_use_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "github", "google", "--google-port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot serve the google fake on 127.0.0.1:{port}" in err
    assert "choose another --google-port" in err
    assert "Traceback" not in err

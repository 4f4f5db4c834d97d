"""Using a provider fake without its extra fails with the `pip install` line to run."""

from __future__ import annotations

import pytest

from mockkit._extras import MissingExtraError, import_extra, require


def test_a_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "stripe", None)  # as if not installed
    with pytest.raises(ModuleNotFoundError) as caught:
        import_extra("stripe", "stripe", "the mockkit_stripe fixture")
    assert isinstance(caught.value, MissingExtraError)
    assert str(caught.value) == (
        "the mockkit_stripe fixture needs stripe, which is not installed: "
        "pip install 'mockkit[stripe]'"
    )


def test_require_lists_every_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "authlib", None)
    monkeypatch.setitem(sys.modules, "joserfc", None)
    with pytest.raises(MissingExtraError, match=r"needs Authlib and joserfc, which are not"):
        require("oauth", "mockkit's OAuth and OIDC fakes")


def test_an_installed_extra_is_silent() -> None:
    require("oauth", "mockkit's OAuth and OIDC fakes")
    assert import_extra("stripe", "stripe", "x").__name__ == "stripe"

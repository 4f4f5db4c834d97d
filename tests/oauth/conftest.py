"""The OAuth tests' fixture: their own authlib Flask app (see `apps.py`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.oauth.apps import make_app


@pytest.fixture
def app_factory() -> Callable[..., Flask]:
    """Build the tests' own authlib Flask app (see `make_app`)."""
    return make_app

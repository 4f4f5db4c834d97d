"""Serving the provider fakes on loopback: `ServedFakes` and `python -m mockkit serve`.

`mockkit.serve.fakes` holds `ServedFakes` and the checks on what it is asked; the command line
around it is `mockkit.serve.command`. This module only re-exports their public names.
"""

from mockkit.serve.command import register, run
from mockkit.serve.fakes import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PROVIDERS,
    TEST_API_KEY,
    ServedFakes,
    ServeError,
    check_port,
    check_providers,
    check_webhook_url,
    is_loopback_host,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "PROVIDERS",
    "TEST_API_KEY",
    "ServeError",
    "ServedFakes",
    "check_port",
    "check_providers",
    "check_webhook_url",
    "is_loopback_host",
    "register",
    "run",
]

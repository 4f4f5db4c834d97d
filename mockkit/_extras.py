"""Optional dependencies: the provider SDKs come with extras, and their absence says so.

`pip install mockkit` is the core (faults, stubs, patching, cassettes, the network guard, the
pytest plugin). The Stripe fixtures configure stripe-python (`mockkit[stripe]`); the OAuth and
OIDC fakes sign and check tokens with authlib and joserfc (`mockkit[oauth]`). Using one without
its extra fails with the line to run, not with a bare `ModuleNotFoundError` from deep inside.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

#: What each extra installs: import name -> distribution name.
EXTRAS: dict[str, dict[str, str]] = {
    "stripe": {"stripe": "stripe"},
    "oauth": {"authlib": "Authlib", "joserfc": "joserfc"},
}


class MissingExtraError(ModuleNotFoundError):
    """A feature of mockkit was used without the extra that installs what it needs."""


def _message(extra: str, feature: str, missing: list[str]) -> str:
    names = " and ".join(EXTRAS[extra][module] for module in missing)
    verb = "is" if len(missing) == 1 else "are"
    return f"{feature} needs {names}, which {verb} not installed: pip install 'mockkit[{extra}]'"


def require(extra: str, feature: str) -> None:
    """Raise `MissingExtraError` naming `pip install 'mockkit[extra]'` unless it is installed."""
    missing = [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(_message(extra, feature, missing), name=missing[0])


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module` (which `extra` installs), or fail saying which extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != module.split(".")[0]:
            raise  # the SDK is there but broken: its own error says more
        raise MissingExtraError(_message(extra, feature, [module]), name=module) from None

"""Record modes, where a mode comes from, and the safety rules around recording.

Precedence, highest first: the pytest option `--mockkit-record-mode`, the environment variable
`MOCKKIT_RECORD_MODE`, the code (`use(record_mode=...)` or the marker's `record_mode=`), the
ini setting `mockkit_record_mode`, and finally `"none"`. The command line and the environment
are both the person running the suite right now, so they beat what is committed in code.

Under `CI=true` every mode is forced to `"none"` (replay only, network blocked): a recording
made in CI would never be committed, and a CI job must never reach a provider. Set
`MOCKKIT_ALLOW_CI_RECORDING=1` to lift that deliberately.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mockkit.cassettes.errors import LiveKeyError

__all__ = ["RECORD_MODES", "EffectiveMode", "refuse_live_key", "resolve_mode"]

#: none: replay only; once: record if the cassette is missing, else replay only;
#: new_episodes: replay what matches, record the rest; all: record everything, replacing the
#: recorded interactions that match; rewrite: record everything into a fresh cassette.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")

ENV_MODE = "MOCKKIT_RECORD_MODE"
ENV_ALLOW_CI = "MOCKKIT_ALLOW_CI_RECORDING"

_TRUE = frozenset({"1", "true", "yes", "on"})


def validate_mode(mode: str, source: str) -> str:
    """`mode` lower-cased, or ValueError naming where the bad value came from."""
    value = mode.strip().lower()
    if value not in RECORD_MODES:
        raise ValueError(
            f"unknown record mode {mode!r} (from {source}); use one of: {', '.join(RECORD_MODES)}"
        )
    return value


@dataclass(frozen=True)
class EffectiveMode:
    """The record mode in force, where it came from, and what was asked for."""

    mode: str
    source: str
    requested: str
    forced_by_ci: bool = False

    @property
    def recording(self) -> bool:
        """Whether this mode may send requests to a provider."""
        return self.mode != "none"

    def describe(self) -> str:
        """`record mode 'none' (forced by CI=true; 'once' was asked for by ...)`."""
        if self.forced_by_ci:
            return (
                f"record mode 'none' (forced by CI=true; {self.requested!r} was asked for by "
                f"{self.source})"
            )
        return f"record mode {self.mode!r} (from {self.source})"


def in_ci(environ: Mapping[str, str]) -> bool:
    """Whether `CI` says we run in continuous integration."""
    return environ.get("CI", "").strip().lower() in _TRUE


def resolve_mode(
    *,
    cli: str | None = None,
    code: str | None = None,
    code_source: str = "the code",
    ini: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> EffectiveMode:
    """Pick the record mode by precedence: CLI > environment > code (marker/argument) > ini."""
    env = os.environ if environ is None else environ
    candidates = (
        (cli, "--mockkit-record-mode"),
        (env.get(ENV_MODE) or None, f"${ENV_MODE}"),
        (code, code_source),
        (ini or None, "the mockkit_record_mode ini setting"),
    )
    mode, source = "none", "the default"
    for value, where in candidates:
        if value:
            mode, source = validate_mode(value, where), where
            break
    if mode != "none" and in_ci(env) and env.get(ENV_ALLOW_CI, "").strip().lower() not in _TRUE:
        return EffectiveMode("none", source, mode, forced_by_ci=True)
    return EffectiveMode(mode, source, mode)


def refuse_live_key(value: str | None, where: str) -> None:
    """Raise `LiveKeyError` when `value` is a live Stripe key (`sk_live_`, `rk_live_`)."""
    if not value:
        return
    token = value.split()[-1] if " " in value else value
    if token.startswith(("sk_live_", "rk_live_")):
        raise LiveKeyError(
            f"mockkit refuses to record with a live Stripe key ({token[:8]}... in {where}). "
            "Record against Stripe test mode (STRIPE_API_KEY=sk_test_...) or the local sandbox."
        )

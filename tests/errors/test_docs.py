"""The docs' factory table is the one the code computes (and the tests verify)."""

from __future__ import annotations

from pathlib import Path

from mockkit import errors

FAULTS = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


def test_docs_table_matches_what_the_sdks_do() -> None:
    section = FAULTS.read_text(encoding="utf-8")
    assert errors.table() in section, (
        "docs/faults.md's error table is stale: paste `python -c 'from mockkit.errors import "
        "table; print(table())'` into it"
    )


def test_every_public_factory_has_a_docstring_naming_what_stripe_raises() -> None:
    for name in ("connect_timeout", "read_timeout", "connection_refused", "connection_reset",
                 "dns_failure", "ssl_error", "malformed_json", "empty_body", "truncated_body",
                 "server_error", "rate_limited", "slow"):  # fmt: skip
        doc = getattr(errors, name).__doc__ or ""
        assert "stripe" in doc and "attempt" in doc, name


def _docs_example() -> dict[str, object]:
    text = FAULTS.read_text(encoding="utf-8")
    code = text.split("```python\n")[1].split("```")[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/faults.md", "exec"), namespace)
    return namespace


def test_docs_example_retries(mockkit_stripe: object) -> None:
    _docs_example()["test_two_timeouts_then_success"](mockkit_stripe)  # type: ignore[operator]


def test_docs_example_decline(mockkit_responses: object, mockkit_stripe_config: object) -> None:
    example = _docs_example()["test_declined_card"]
    example(mockkit_responses, mockkit_stripe_config)  # type: ignore[operator]

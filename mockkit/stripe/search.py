"""Stripe's search endpoints (`GET /v1/<resource>/search`) and its search query language.

A query is clauses joined by spaces or `AND`, or by `OR` (never both); each clause is
`field:value` (exact; strings are quoted, case-insensitive), `field~"abc"` (substring, three
characters at least, on the fields Stripe allows it), `field>n`, `<`, `>=`, `<=` (numbers and
timestamps), `field:null`, `metadata["key"]:"value"`, and a leading `-` negates a clause.
Each resource lists the fields it may be searched by, as Stripe documents them; any other
field is refused with Stripe's message naming the resource's field list.

Results come newest first in a `search_result` envelope whose `next_page` token continues
where the page ended. Stripe indexes new and changed objects within about a minute; the fake
answers from its current state at once (read-after-write works here, not on Stripe: the docs
page says so).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockkit.stripe.errors import StripeError, param_error
from mockkit.stripe.params import INT, STR, Coercer, Int
from mockkit.stripe.state import StripeState

__all__ = ["SEARCH_SPEC", "Field", "search"]

SEARCH_SPEC: dict[str, Coercer] = {"query": STR, "limit": Int(1, 100), "page": STR}


@dataclass(frozen=True)
class Field:
    """A searchable field: where its value is, its type, whether `~` may be used on it."""

    path: str
    type: str = "string"  # "string", "number", "boolean" or "token" (exact only, ids)
    substring: bool = False
    #: Reads the value when it is not at `path` (a field Stripe moved between versions).
    read: Callable[[dict[str, Any]], Any] | None = None

    def value(self, obj: dict[str, Any]) -> Any:
        """The field's value on `obj` (None where any step is missing)."""
        if self.read is not None:
            return self.read(obj)
        current: Any = obj
        for step in self.path.split("."):
            if not isinstance(current, dict):
                return None
            current = current.get(step)
        return current


_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
    (?P<field>metadata\[(?P<q1>["'])(?P<key>[^"']*)(?P=q1)\]|[a-z_][a-z0-9_.]*)
    \s*(?P<op>:|~|>=|<=|>|<)\s*
    (?:(?P<q2>["'])(?P<text>(?:\\.|(?!(?P=q2)).)*)(?P=q2)|(?P<bare>[^\s"']+))""",
    re.VERBOSE | re.IGNORECASE,
)
_JOIN = re.compile(r"\s+(AND|OR)\s+|\s+", re.IGNORECASE)


@dataclass(frozen=True)
class _Clause:
    negate: bool
    field: str
    metadata_key: str | None
    op: str
    value: str | None  # None: the bare word `null`
    quoted: bool


def _invalid(query: str, why: str) -> StripeError:
    return param_error(f"We were unable to parse your search query `{query}`: {why}.", "query")


def parse(query: str) -> tuple[list[_Clause], str]:
    """The clauses of `query` and how they combine (`"and"` or `"or"`)."""
    clauses: list[_Clause] = []
    joins: set[str] = set()
    pos, text = 0, query.strip()
    if not text:
        raise param_error("The search query must not be empty.", "query")
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if m is None:
            raise _invalid(query, f"unexpected text at `{text[pos : pos + 20]}`")
        bare, quoted = m.group("bare"), m.group("q2") is not None
        value: str | None
        if quoted:
            value = re.sub(r"\\(.)", r"\1", m.group("text"))
        elif bare.lower() == "null":
            value = None
        else:
            value = bare
        key = m.group("key")
        clauses.append(
            _Clause(
                bool(m.group("neg")),
                "metadata" if key is not None else m.group("field").lower(),
                key,
                m.group("op"),
                value,
                quoted,
            )
        )
        pos = m.end()
        if pos >= len(text):
            break
        j = _JOIN.match(text, pos)
        if j is None:
            raise _invalid(query, f"expected AND or OR at `{text[pos : pos + 20]}`")
        joins.add((j.group(1) or "and").lower())
        pos = j.end()
    if len(joins) > 1:
        raise _invalid(query, "AND and OR cannot be combined in one query")
    if len(clauses) > 10:
        raise _invalid(query, "a query has at most 10 clauses")
    return clauses, joins.pop() if joins else "and"


def _matcher(
    clause: _Clause, fields: Mapping[str, Field], resource: str
) -> Callable[[dict[str, Any]], bool]:
    if clause.metadata_key is not None:
        key = clause.metadata_key

        def read(obj: dict[str, Any]) -> Any:
            return (obj.get("metadata") or {}).get(key)

        spec = Field("metadata", "string")
    else:
        found = fields.get(clause.field)
        if found is None or clause.field == "metadata":
            raise param_error(
                f"Field `{clause.field}` is an unsupported search field for resource "
                f"`{resource}`. See http://stripe.com/docs/search#query-fields-for-{resource} "
                "for a list of supported fields.",
                "query",
            )
        spec = found
        read = spec.value
    op, want = clause.op, clause.value
    test: Callable[[Any], bool]
    if want is None:
        if op != ":":
            raise param_error(
                f"`null` can only be matched with `:` (field `{clause.field}`).", "query"
            )

        def test(v: Any) -> bool:
            return v is None or v == ""
    elif op == "~":
        if not spec.substring:
            raise param_error(
                f"Field `{clause.field}` does not support substring matching (`~`).", "query"
            )
        if len(want) < 3:
            raise param_error("Substring matching (`~`) needs at least 3 characters.", "query")
        needle = want.lower()

        def test(v: Any) -> bool:
            return isinstance(v, str) and needle in v.lower()
    elif spec.type == "number":
        try:
            number = INT(want, "query")
        except StripeError:
            raise param_error(
                f"Field `{clause.field}` is numeric: `{want}` is not a number.", "query"
            ) from None
        compare: dict[str, Callable[[int, int], bool]] = {
            ":": lambda a, b: a == b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
        }
        fn = compare[op]

        def test(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and fn(v, number)
    else:
        if op != ":":
            raise param_error(
                f"Field `{clause.field}` does not support the `{op}` operator.", "query"
            )
        if spec.type == "boolean":
            if want.lower() not in ("true", "false"):
                raise param_error(
                    f"Field `{clause.field}` is a boolean: use true or false.", "query"
                )
            flag = want.lower() == "true"

            def test(v: Any) -> bool:
                return v is flag
        else:
            if not clause.quoted:
                raise _invalid(f"{clause.field}:{want}", "string values must be quoted")
            lowered = want.lower()

            def test(v: Any) -> bool:
                return isinstance(v, str) and v.lower() == lowered

    if clause.negate:
        return lambda obj: not test(read(obj))
    return lambda obj: test(read(obj))


def _page_token(oid: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(["after", oid]).encode()).decode().rstrip("=")


def _after(token: str, ids: Mapping[str, Any]) -> str:
    try:
        padded = token + "=" * (-len(token) % 4)
        tag, oid = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise param_error("Invalid page token.", "page") from None
    if tag != "after" or not isinstance(oid, str) or oid not in ids:
        raise param_error("Invalid page token.", "page")
    return oid


def search(
    s: StripeState,
    kind: str,
    resource: str,
    fields: Mapping[str, Field],
    p: dict[str, Any],
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """GET /v1/<resource>/search: a `search_result` page of `kind` matching `p["query"]`."""
    query = p.get("query")
    if query is None:
        raise param_error("Missing required param: query.", "query")
    clauses, join = parse(query)
    tests = [_matcher(c, fields, resource) for c in clauses]
    store = s.stores[kind]
    combine = all if join == "and" else any

    def matches(obj: dict[str, Any]) -> bool:
        if keep is not None and not keep(obj):
            return False
        return combine(t(obj) for t in tests)

    after = _after(p["page"], store.pos) if p.get("page") else None
    limit = p.get("limit") or 10
    data, has_more = store.page(limit, after, None, matches)
    expand = p.get("expand") or []
    out: dict[str, Any] = {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": _page_token(data[-1]["id"]) if has_more and data else None,
        "url": f"/v1/{resource}/search",
    }
    if "total_count" in expand:
        out["total_count"] = sum(1 for obj in store.newest_first(None) if matches(obj))
    return out

"""stripe-python's own description of the API, read from the installed release.

Every release ships, for its API version, a service class per resource whose methods call
`self._request("post", "/v1/...")` with `params` annotated by a `*Params` TypedDict (in
`stripe/params/` from 13 on, nested in the service class before), and a resource class per
object whose annotations declare its fields. This module reads both without calling anything:

- `endpoints()`: `(METHOD, template)` -> the endpoint's params TypedDict; a template's path
  parameters are written `{}` (`/v1/payment_intents/{}/confirm`);
- `param_names(td)` / `param_hints(td)`: a TypedDict's parameters (request options left out) and
  their types;
- `object_classes()`: an object's `object` value -> its resource class; `field_hints(cls)`: the
  fields the class declares, with their types (None where a type cannot be resolved).

As a script (`nox -s stripe_params`): `dump FILE` writes the parameters of every endpoint the
fake emulates as the installed release knows them; `merge DUMP... OUT` makes
`mockkit/stripe/stripe_params.json` from one dump per release.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import re
import sys
import typing
from pathlib import Path
from typing import Any

import stripe

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def template(path: str) -> str:
    """`/v1/payment_intents/{intent}/confirm` -> `/v1/payment_intents/{}/confirm`."""
    return _PLACEHOLDER.sub("{}", path)


def _namespace(module: Any, tree: ast.Module) -> dict[str, Any]:
    """The module's globals plus what it imports only for type checkers."""
    ns: dict[str, Any] = dict(vars(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = alias.asname or alias.name
                if name in ns:
                    continue
                try:
                    ns[name] = getattr(importlib.import_module(node.module), alias.name)
                except (ImportError, AttributeError):
                    continue
    ns.setdefault("Literal", typing.Literal)
    return ns


@functools.cache
def _module_namespace(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    return _namespace(module, ast.parse(source))


def _annotation_text(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Subscript):  # Optional["X"]
        return _annotation_text(node.slice)
    if isinstance(node, ast.Attribute | ast.Name):
        return ast.unparse(node)
    return None


def _request_call(fn: ast.FunctionDef) -> tuple[str, str] | None:
    for node in ast.walk(fn):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "_request"
            and len(node.args) >= 2
        ):
            continue
        method, path = node.args[0], node.args[1]
        if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute):
            path = path.func.value  # "/v1/x/{id}".format(...)
        if isinstance(method, ast.Constant) and isinstance(path, ast.Constant):
            return str(method.value).upper(), str(path.value)
    return None


@functools.cache
def endpoints() -> dict[tuple[str, str], type]:
    """Every endpoint of the installed release's services -> its params TypedDict."""
    root = Path(stripe.__file__).parent
    found: dict[tuple[str, str], type] = {}
    for path in sorted(root.rglob("_*_service.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        module_name = ".".join(parts)
        try:
            ns = _module_namespace(module_name)
        except ImportError:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                call = _request_call(fn)
                arg = next((a for a in fn.args.args if a.arg == "params"), None)
                text = _annotation_text(arg.annotation if arg else None)
                if call is None or text is None:
                    continue
                try:
                    params = eval(text, ns)
                except Exception:  # a name this release does not resolve
                    continue
                found.setdefault((call[0], template(call[1])), params)
    return found


@functools.cache
def _request_option_names() -> frozenset[str]:
    from stripe._request_options import RequestOptions

    return frozenset(RequestOptions.__annotations__)


def param_names(td: type) -> set[str]:
    """The parameters a params TypedDict declares (request options such as `api_key` left out)."""
    keys = set(getattr(td, "__required_keys__", ())) | set(getattr(td, "__optional_keys__", ()))
    return keys - _request_option_names()


def param_hints(td: type) -> dict[str, Any]:
    """A params TypedDict's parameters and their types (None where one cannot be resolved)."""
    names = param_names(td)
    ns = _module_namespace(td.__module__)
    out: dict[str, Any] = {}
    for name in names:
        out[name] = _resolve(td.__annotations__.get(name), ns)
    return out


def _resolve(annotation: Any, ns: dict[str, Any]) -> Any:
    """One annotation evaluated in `ns` (Required / NotRequired dropped); None if it fails.

    Each key on its own: one a module imports only for type checkers (a request option's
    `StripeContext`, say) must not hide the others, as `get_type_hints` on the whole class does.
    """

    def holder() -> None: ...

    holder.__annotations__ = {"x": annotation}
    try:
        # Distinct local and global namespaces: `typing` shares one ForwardRef among modules
        # that write the same annotation (`NotRequired["SessionCreateParamsAfterExpiration"]`)
        # and reuses its first evaluation when the two are one object.
        return typing.get_type_hints(holder, ns, dict(ns))["x"]
    except Exception:
        return None


def _is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and hasattr(hint, "__optional_keys__")


def param_paths(td: type) -> set[str]:
    """Every parameter a params TypedDict declares, nested ones in Stripe's bracket form.

    `line_items[][price_data][currency]`: a hash's keys follow in brackets, a list's items are
    `[]` (`line_items` and `line_items[]` are both listed). Whatever a path holds beyond what
    is listed is free-form (a metadata hash) or a plain value.
    """
    out: set[str] = set()
    _walk_params(td, "", out, 0)
    return out


def _walk_params(td: type, prefix: str, out: set[str], depth: int) -> None:
    for name, hint in param_hints(td).items():
        path = f"{prefix}[{name}]" if prefix else name
        out.add(path)
        if depth > 10:  # no params type nests this deep; a guard against a cycle
            continue
        for h in _alternatives(hint):
            suffix = ""
            while typing.get_origin(h) in (list, typing.List):  # noqa: UP006 (what the SDK writes)
                suffix += "[]"
                args = typing.get_args(h)
                h = args[0] if args else None
                out.add(path + suffix)
            if _is_typeddict(h):
                _walk_params(h, path + suffix, out, depth + 1)


@functools.cache
def object_classes() -> dict[str, type]:
    """An object's `object` value -> its resource class, as the SDK builds it from a response."""
    from stripe._object_classes import OBJECT_CLASSES

    classes: dict[str, type] = {}
    for name, cls in OBJECT_CLASSES.items():
        # 15 and later map names to (module, class name) pairs loaded on first use.
        if isinstance(cls, tuple):
            cls = getattr(importlib.import_module(cls[0]), cls[1])
        classes[name] = cls
    return classes


def field_hints(cls: type) -> dict[str, Any]:
    """The fields a resource (or nested object) class declares, with their types.

    Each annotation is resolved on its own in the namespace of the module that declares it (the
    names a module imports only for type checkers included); one that does not resolve is None.
    ClassVars (`OBJECT_NAME`) are left out.
    """
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        annotations = inspect.get_annotations(klass)
        if not annotations or klass.__module__.split(".")[0] != "stripe":
            continue
        ns = {**_module_namespace(klass.__module__), **vars(klass), klass.__name__: klass}
        for name, annotation in annotations.items():
            if name.startswith("_"):
                continue
            hint: Any = annotation
            if isinstance(annotation, str):
                try:
                    hint = eval(annotation, ns)
                except Exception:
                    hint = None
            if typing.get_origin(hint) is typing.ClassVar:
                continue
            out[name] = _forward_resolved(hint, ns)
    return out


def _forward_resolved(hint: Any, ns: dict[str, Any]) -> Any:
    """`hint` with the forward references inside it (`ListObject["SubscriptionItem"]`)
    evaluated in `ns`; one that does not resolve is left as it is."""
    if isinstance(hint, typing.ForwardRef | str):
        text = hint.__forward_arg__ if isinstance(hint, typing.ForwardRef) else hint
        try:
            return _forward_resolved(eval(text, ns), ns)
        except Exception:
            return hint
    args = typing.get_args(hint)
    if not args or typing.get_origin(hint) is typing.Literal:
        return hint
    resolved = tuple(_forward_resolved(a, ns) for a in args)
    if resolved == args:
        return hint
    if hasattr(hint, "copy_with"):
        return hint.copy_with(resolved)
    try:  # a generic class's own alias (`ListObject["LineItem"]` from 12 to 14)
        return typing.get_origin(hint)[resolved if len(resolved) > 1 else resolved[0]]
    except Exception:
        return hint


def dump(path: str) -> None:
    """Write the parameters of every endpoint the fake emulates, as this release knows them."""
    from mockkit.stripe.routes import ROUTES

    sdk = endpoints()
    known: dict[str, list[str]] = {}
    nested: dict[str, list[str]] = {}
    for ep in ROUTES.endpoints():
        td = sdk.get((ep.method, template(ep.template)))
        if td is not None:
            known[f"{ep.method} {ep.template}"] = sorted(param_names(td))
            nested[f"{ep.method} {ep.template}"] = sorted(p for p in param_paths(td) if "[" in p)
    from mockkit.stripe.objects import FIXTURES

    fields = {
        kind: sorted(field_paths(object_classes()[kind]))
        for kind in sorted(FIXTURES)
        if kind in object_classes()
    }
    version = stripe._api_version._ApiVersion.CURRENT  # type: ignore[attr-defined]
    record = {
        "release": stripe.VERSION,
        "version": version,
        "params": known,
        "nested": nested,
        "fields": fields,
    }
    Path(path).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _is_nested(hint: Any) -> type | None:
    """The nested object class a field holds (a list's item class too), if any."""
    for h in _alternatives(hint):
        if typing.get_origin(h) in (list, typing.List):  # noqa: UP006 (what the SDK writes)
            args = typing.get_args(h)
            h = args[0] if args else None
        nested = isinstance(h, type) and issubclass(h, stripe.StripeObject)
        if nested and h not in object_classes().values():
            return h
    return None


def _alternatives(hint: Any) -> list[Any]:
    import types

    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [h for h in typing.get_args(hint) if h is not type(None)]
    return [hint]


def field_paths(cls: type, prefix: str = "", depth: int = 0) -> set[str]:
    """Every field a class declares, nested object classes' fields as dotted paths."""
    out: set[str] = set()
    for name, hint in field_hints(cls).items():
        path = f"{prefix}{name}"
        out.add(path)
        nested = _is_nested(hint)
        if nested is not None and depth < 3 and nested is not cls:
            out |= field_paths(nested, path + ".", depth + 1)
    return out


def _spans(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, list[str | None]]]:
    """Per group (endpoint, object kind), each name's `[since, until]` over the releases."""
    names: dict[str, set[str]] = {}
    for r in records:
        for group, members in r[key].items():
            names.setdefault(group, set()).update(members)
    table: dict[str, dict[str, list[str | None]]] = {}
    for group in sorted(names):
        table[group] = {}
        for name in sorted(names[group]):
            has = [name in r[key].get(group, ()) for r in records]
            first = has.index(True)
            last = len(has) - 1 - has[::-1].index(True)
            since = records[first]["version"] if first > 0 else None
            until = records[last + 1]["version"] if last + 1 < len(records) else None
            table[group][name] = [since, until]
    return table


def merge(dumps: list[str], out: str) -> None:
    """Merge one dump per release into the fake's table of Stripe's parameters and fields.

    A name is known `[since, until)`: `since` is the version pinned by the first release that
    has it (None: the oldest release has it), `until` the one pinned by the first later release
    that no longer has it (None: the newest still has it). Release pins bracket the real change:
    between two releases' pins the table takes the older release's word. Every parameter is
    listed, nested ones (`nested`, in `param_paths`' bracket form) too: what Stripe knows
    decides "not emulated" from "unknown" at every depth. Of the fields, only those some release
    lacks (the rest every version shows alike).
    """
    records = [json.loads(Path(d).read_text(encoding="utf-8")) for d in dumps]
    records.sort(key=lambda r: r["version"][:10])
    params = _spans(records, "params")
    nested = _spans(records, "nested")
    fields = {
        kind: {path: span for path, span in paths.items() if span != [None, None]}
        for kind, paths in _spans(records, "fields").items()
    }

    def block(table: dict[str, dict[str, list[str | None]]]) -> str:
        # One line per group, so a new release's changes read as a short diff.
        return ",\n".join(f"  {json.dumps(g)}: {json.dumps(m)}" for g, m in table.items())

    about = (
        "Stripe's request parameters per endpoint the fake emulates and the fields of its "
        "objects that not every version has, read from the *Params types and resource classes "
        "of each stripe-python release below (nox -s stripe_params rewrites it)."
    )
    releases = [[r["release"], r["version"]] for r in records]
    text = (
        "{\n"
        f' "about": {json.dumps(about)},\n'
        f' "releases": {json.dumps(releases)},\n'
        ' "endpoints": {\n' + block(params) + "\n },\n"
        ' "nested": {\n' + block(nested) + "\n },\n"
        ' "fields": {\n' + block(fields) + "\n }\n}\n"
    )
    Path(out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        merge(sys.argv[2:-1], sys.argv[-1])

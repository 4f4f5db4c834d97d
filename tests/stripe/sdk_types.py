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

Run as a script it prints the parameters of every endpoint the fake emulates, as JSON (what
`mockkit/stripe/stripe_params.json` is made from; see `noxfile.py`).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
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
    try:
        hints = typing.get_type_hints(td, _module_namespace(td.__module__))
    except Exception:
        hints = {}
    return {name: hints.get(name) for name in names}


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
            out[name] = hint
    return out


def main() -> None:
    """Print the parameters of every endpoint the fake emulates, as this release knows them."""
    import json

    from mockkit.stripe.routes import ROUTES

    sdk = endpoints()
    known: dict[str, list[str]] = {}
    for ep in ROUTES.all():
        td = sdk.get((ep.method, template(ep.template)))
        if td is not None:
            known[f"{ep.method} {ep.template}"] = sorted(param_names(td))
    version = stripe._api_version._ApiVersion.CURRENT  # type: ignore[attr-defined]
    json.dump({"version": version, "release": stripe.VERSION, "params": known}, sys.stdout)


if __name__ == "__main__":
    main()

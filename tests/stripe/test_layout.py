"""The Stripe fake's layout: one state module and one routes module per resource, mirrored.

These are the guarantees the "Adding a Stripe resource" recipe (docs/adding.md) relies on:
every list of resources is derived from their declarations, so forgetting a piece fails here
rather than silently leaving a resource half-wired.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import mockkit.stripe
from mockkit.stripe import models, routes
from mockkit.stripe.resource import declared, event_types
from mockkit.stripe.routing import ROUTES
from mockkit.stripe.state import Model, StripeState
from tests.stripe.test_shapes import PREFIXES

PACKAGE = Path(mockkit.stripe.__file__).parent


def _modules(package: object) -> set[str]:
    return {m.name for m in pkgutil.iter_modules(package.__path__)}  # type: ignore[attr-defined]


def test_each_resource_has_a_state_module_and_a_routes_module_of_the_same_name() -> None:
    assert _modules(models) == _modules(routes)


def test_each_state_module_declares_one_resource() -> None:
    state = StripeState()
    by_module: dict[str, list[str]] = {}
    for model in state.models.values():
        module = type(model).__module__.rsplit(".", 1)[-1]
        by_module.setdefault(module, []).append(type(model).__name__)
        assert isinstance(model, Model)
    assert set(by_module) == _modules(models)
    assert all(len(names) == 1 for names in by_module.values()), by_module


def test_each_endpoint_lives_with_the_resource_its_path_starts_with() -> None:
    for ep in ROUTES.endpoints():
        literal = []
        for segment in ep.template.split("/")[2:]:
            if segment.startswith("{"):
                break
            literal.append(segment)
        # An action without an id (`/v1/invoices/create_preview`) belongs to the resource
        # its longest literal prefix names.
        modules = _modules(routes)
        owner = next(
            (
                "_".join(literal[:n])
                for n in range(len(literal), 0, -1)
                if "_".join(literal[:n]) in modules
            ),
            "_".join(literal),
        )
        assert ep.handler.__module__ == f"mockkit.stripe.routes.{owner}", ep.template


def test_each_endpoint_answers_a_declared_kind() -> None:
    kinds = set(declared())
    for ep in ROUTES.endpoints():
        answered = ep.kind.removeprefix("list:").removeprefix("search:")
        assert ep.kind == "deleted" or answered in kinds, (ep.method, ep.template, ep.kind)


def test_every_stored_kind_has_a_store_and_is_covered_by_the_shape_tests() -> None:
    stored = {kind for kind, r in declared().items() if r.stored}
    assert set(StripeState().stores) == stored
    assert set(PREFIXES) == stored, "add the new kind to PREFIXES and one_of_each"
    for kind, prefix in PREFIXES.items():
        assert declared()[kind].prefix.startswith(prefix)


def test_event_types_are_declared_by_the_resource_they_are_about() -> None:
    for kind, resource in declared().items():
        for type in resource.events:
            assert type.rsplit(".", 1)[0] == (resource.event_prefix or kind), (kind, type)
    assert "payment_intent.succeeded" in event_types()


def _imports(path: Path) -> set[str]:
    """The mockkit.stripe modules `path` imports (`from pkg import module` names the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _path_of(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("mockkit.stripe.")}


def _path_of(module: str) -> Path | None:
    relative = Path(*module.split(".")[2:]) if module.count(".") >= 2 else None
    if relative is None:
        return None
    for candidate in (PACKAGE / f"{relative}.py", PACKAGE / relative / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_no_import_cycles_inside_the_stripe_fake() -> None:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = _imports(path)

    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done or module not in graph:
            return
        assert module not in visiting, " -> ".join([*visiting, module])
        visiting.append(module)
        for dependency in graph[module]:
            visit(dependency)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_no_module_of_the_stripe_fake_is_long() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text("utf-8").splitlines())) > 600
    }
    assert long == {}

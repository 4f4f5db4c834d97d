"""mockkit's modules import each other one way only, and each imports on its own.

Layers, lowest first; a module imports from its own layer or lower ones, never from a higher
one (at module level or inside a function; `TYPE_CHECKING` imports are types only):

0. `mockkit.http` (requests and responses as values), `mockkit.providers` (the registry),
   `mockkit.cli` (the command dispatcher: it finds commands by module name),
   `mockkit._extras` (which extra installs what);
1. the transports: `mockkit.transport` (with `mockkit.loopback_http`), `mockkit.requests_transport`,
   `mockkit.httpx_transport`, `mockkit.identity`;
2. `mockkit.fake` (the base fake);
3. the provider fakes: `mockkit.stripe`, `mockkit.oauth`;
4. `mockkit.errors` (faults know the providers' error shapes, fakes know nothing of faults);
5. the tools on top: `mockkit.stubs`, `mockkit.patching`, `mockkit.cassettes`, `mockkit.serve`;
6. the entry points: `mockkit` itself (lazy re-exports), `mockkit.plugin`, `mockkit.__main__`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mockkit

PACKAGE = Path(mockkit.__file__).parent

LAYERS: list[tuple[str, ...]] = [
    ("mockkit.http", "mockkit.providers", "mockkit.cli", "mockkit._extras"),
    (
        "mockkit.transport",
        "mockkit.loopback_http",
        "mockkit.requests_transport",
        "mockkit.httpx_transport",
        "mockkit.identity",
    ),
    ("mockkit.fake",),
    ("mockkit.stripe", "mockkit.oauth"),
    ("mockkit.errors",),
    ("mockkit.stubs", "mockkit.patching", "mockkit.cassettes", "mockkit.serve"),
    ("mockkit", "mockkit.plugin", "mockkit.__main__"),
]

#: A guide, not a law: a module past this has probably grown a second concern.
MAX_LINES = 650
#: Modules past the guide, each with what to do about it. An entry goes once its module is
#: back under the guide (the test says so), and a new long module fails until it is split or
#: listed here with a reason.
OVER_THE_GUIDE = {
    "mockkit.cassettes.detect": "one concern, finding secrets in content read as a client "
    "reads it; the body decoders could move to a module of their own",
    "mockkit.oauth.base": "the OAuth fakes' shared glue (clients, authorize, token, pages); "
    "the authorize and token endpoints could each move to a module of their own",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "mockkit" and module.startswith(prefix + "."))
            if inside and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def _imports(path: Path) -> set[str]:
    """The mockkit modules `path` imports, outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()

    def resolve(name: str) -> str:
        while name not in MODULES:
            name = name.rsplit(".", 1)[0]
        return name

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(resolve(a.name) for a in child.names if a.name.startswith("mockkit"))
            elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("mockkit"):
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    found.add(full if full in MODULES else resolve(str(child.module)))
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return found


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    # A package may import its own children (re-exports); any other loop is a cycle.
    def edges(module: str) -> set[str]:
        return {t for t in GRAPH[module] if not module.startswith(t + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def walk(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges(module)):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                walk(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            walk(module)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_every_module_imports_on_its_own_in_a_fresh_interpreter() -> None:
    # mockkit's modules are forgotten before each import: an import that works only after
    # another mockkit module was loaded first fails here. A module its package's own import
    # loads needs no import of its own: importing it first runs that package first, the same.
    code = (
        "import importlib, sys, traceback\n"
        f"names = {sorted(MODULES)!r}\n"
        "failed, covered = [], set()\n"
        "for name in names:\n"
        "    if name in covered:\n"
        "        continue\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'mockkit']:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc(limit=3))\n"
        "    covered.update(m for m in sys.modules if m.startswith(name + '.'))\n"
        "print('\\n'.join(failed))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", done.stdout


def test_no_module_is_long_enough_to_hold_several_concerns() -> None:
    long = {
        name
        for name, path in MODULES.items()
        if len(path.read_text("utf-8").splitlines()) > MAX_LINES
    }
    assert long == set(OVER_THE_GUIDE), (
        f"modules over {MAX_LINES} lines: {sorted(long)}; split one that holds several concerns "
        "(or, if it holds one, say why in OVER_THE_GUIDE)"
    )

"""The package's public names: sorted, importable, and loaded only when used."""

from __future__ import annotations

import subprocess
import sys

import mockkit


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert mockkit.__all__ == sorted(mockkit.__all__)
    for name in mockkit.__all__:
        assert getattr(mockkit, name) is not None, name
    assert mockkit.StripeFake is mockkit.stripe.StripeFake
    assert mockkit.login is mockkit.oauth.login


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        mockkit.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_mockkit_does_not_load_the_sdks_or_vcrpy() -> None:
    code = (
        "import sys, mockkit; "
        "names = ('authlib', 'vcr', 'stripe', 'mockkit.oauth'); "
        "print(sorted(m for m in names if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # stripe is imported by the core for its retry-sleep hook only when a fake is entered.
    assert out.stdout.strip() == "[]"


def test_every_plugin_fixture_has_a_docstring_and_a_readme_row() -> None:
    import inspect
    from pathlib import Path

    import mockkit.plugin as plugin

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    fixtures = [
        name
        for name, obj in vars(plugin).items()
        if name.startswith("mockkit_") and type(obj).__name__ == "FixtureFunctionDefinition"
    ]
    assert len(fixtures) >= 10, fixtures
    for name in fixtures:
        func = getattr(plugin, name)
        doc = inspect.getdoc(func.__wrapped__)
        assert doc, f"fixture {name} has no docstring"
        assert f"`{name}`" in readme, f"fixture {name} is missing from the README"


def test_provider_fault_vocabularies_are_attributes_of_mockkit_errors() -> None:
    code = (
        "import mockkit.errors as e; "
        "print(e.stripe.card_declined().__class__.__name__, e.oauth.access_denied() is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["HTTPFault", "True"]


def test_the_pytest_plugin_loads_no_sdk_and_no_vcrpy_until_a_fixture_needs_it() -> None:
    code = (
        "import sys, mockkit.plugin; "
        "names = ('authlib', 'vcr', 'stripe', 'mockkit.oauth', 'joserfc', 'time_machine'); "
        "print(sorted(m for m in names if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_pytest_plugin_is_plain_imports_at_the_top_then_hooks_and_fixtures() -> None:
    import ast
    import inspect

    import mockkit.plugin as plugin

    source = inspect.getsource(plugin)
    body = ast.parse(source).body[1:]  # after the docstring
    first_def = next(i for i, node in enumerate(body) if isinstance(node, ast.FunctionDef))
    assert all(
        isinstance(node, ast.Import | ast.ImportFrom | ast.If) for node in body[:first_def]
    ), "something other than imports before the first hook"
    assert all(isinstance(node, ast.FunctionDef) for node in body[first_def:]), (
        "an import or statement between the hooks and fixtures"
    )
    in_functions = [
        node
        for func in body[first_def:]
        for node in ast.walk(func)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert not in_functions, "an import inside a hook or fixture"
    assert "# <" not in source, "a section marker"

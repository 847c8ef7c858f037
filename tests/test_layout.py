"""The package's layout keeps the promises of the README's repository map: methods are leaves, no
module imports its way back into itself (not even from inside a function), and every module is
on the map a newcomer reads to find where things are."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ddlab"


def _modules() -> dict[str, Path]:
    found = {}
    for file in PACKAGE.rglob("*.py"):
        parts = file.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    return found


MODULES = _modules()


def _imported(module: str, file: Path) -> set[str]:
    """The ddlab modules `module` imports anywhere in its file. ``from pkg import name`` counts as an
    import of ``pkg.name`` when that is a module, else of ``pkg`` (the name is defined there)."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imported(module, file) for module, file in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import cycle among ddlab's modules, as the list of modules around it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_imports_its_way_back_into_itself():
    assert _cycle() is None, f"import cycle: {' -> '.join(_cycle())}"


def test_the_graph_sees_imports_inside_functions():
    # __main__ imports everything it runs inside its command functions, lazily: the graph must see them
    assert "ddlab.distill" in GRAPH["ddlab.__main__"]


def test_methods_are_leaves():
    """Method files import the core (nets, functional, synthetic, ...) but no experiment, and the rest
    of the package reaches a method only through the registry (``ddlab.methods``)."""
    methods = {m for m in MODULES if m.startswith("ddlab.methods.") and m != "ddlab.methods.base"}
    for module, targets in GRAPH.items():
        if module.startswith("ddlab.methods"):
            assert not {t for t in targets if t.startswith("ddlab.experiments")}, module
        else:
            assert not targets & methods, f"{module} imports {sorted(targets & methods)} past the registry"


def _repository_map() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Repository map", 1)[1]
    return section.split("```", 2)[1]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "ddlab"))
def test_every_module_is_on_the_readme_map(module):
    name = module.rpartition(".")[2]
    shown = _repository_map()
    ranges = [range(int(a), int(b) + 1) for a, b in re.findall(r"nb(\d\d)-nb(\d\d)", shown)]
    if re.fullmatch(r"nb\d\d", name):
        assert any(int(name[2:]) in r for r in ranges), f"{module} is outside the map's nbNN-nbMM range"
    else:
        assert re.search(rf"\b{re.escape(name)}\b", shown), f"{module} is not on the README's repository map"

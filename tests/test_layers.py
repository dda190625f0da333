"""Layers point one way (docs/architecture.md): this walks every import in casework/,
at the top of a module or inside a function, and fails on an import loop between top-level
areas (two importing each other, or more round a longer loop), an area importing another
area's views, or the app factory imported by anything but the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import casework

SOURCE = Path(casework.__file__).resolve().parent

def _imports():
    """(file, importing module, imported module) for every import of casework's own code."""
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        package = parts[:-1]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[:len(package) - node.level + 1]
                if node.module:
                    yield name, parts, base + node.module.split(".")
                else:
                    for alias in node.names:
                        yield name, parts, base + [alias.name]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("casework"):
                yield name, parts, node.module.split(".")[1:] + (
                    [a.name for a in node.names] if node.module == "casework" else [])
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("casework."):
                        yield name, parts, alias.name.split(".")[1:]


def _area_edges() -> dict[tuple[str, str], list[str]]:
    """(importing area, imported area): the imports between them. An area is a package
    (casework/claims) or a top-level module (casework/queue.py)."""
    edges: dict[tuple[str, str], list[str]] = {}
    for name, source, target in _imports():
        if source and target and source[0] != target[0]:
            edges.setdefault((source[0], target[0]), []).append(f"{name} -> {'.'.join(target)}")
    return edges


def _loops(edges: dict[tuple[str, str], list[str]]) -> set[frozenset[str]]:
    """Every set of areas that import one another, two directly or more round a longer
    loop (a -> b -> c -> a): each set of areas from which every other is reached."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)

    def reached(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for area in graph.get(todo.pop(), ()):
                if area not in seen:
                    seen.add(area)
                    todo.append(area)
        return seen

    reach = {area: reached(area) for area in graph}
    return {frozenset({a} | {b for b in reach[a] if a in reach.get(b, ())})
            for a in graph if a in reach[a]}


def test_no_import_loop_between_areas():
    edges = _area_edges()
    loops = sorted(sorted(loop) for loop in _loops(edges))
    assert loops == [], "\n".join(
        " <-> ".join(loop) + ": " + "; ".join(
            line for (a, b), lines in sorted(edges.items()) if {a, b} <= set(loop)
            for line in lines)
        for loop in loops)


def test_no_area_imports_another_areas_views():
    found = {(name, ".".join(target)) for name, source, target in _imports()
             if target[-1] == "views" and source and source[0] != target[0]
             and name != "__init__.py"}  # the app factory registers every blueprint
    assert found == set()


def test_only_the_command_line_imports_the_app_factory():
    found = {name for name, _source, target in _imports()
             if target in (["create_app"], ["__init__", "create_app"])}
    assert found == {"cli.py"}


def test_only_the_app_factory_imports_templating():
    """Labels and formatters live below (models, rules); templating only registers them."""
    assert {name for name, _source, target in _imports() if target[:1] == ["templating"]} \
        == {"__init__.py"}


# Views are URL -> permission -> form -> service -> render: the queries are the services', and
# a view ends its transaction with casework/transaction.py, never the session itself.
QUERY_CALLS = {"select", "text", "execute", "scalar", "scalars", "query", "get_or_404",
               "first_or_404", "one_or_404", "paginate"}


def _queries_in_a_view(tree: ast.AST):
    """(line, what) of each database use in a view module: the db object or its session, a
    SQLAlchemy import, a query call."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            yield node.lineno, f"imports from {node.module}"
        elif isinstance(node, ast.Import) and any(
                alias.name.split(".")[0] == "sqlalchemy" for alias in node.names):
            yield node.lineno, "imports sqlalchemy"
        elif isinstance(node, ast.Name) and node.id == "db" and isinstance(node.ctx, ast.Load):
            used = parents.get(node)
            yield node.lineno, "uses db" + (f".{used.attr}" if isinstance(used, ast.Attribute)
                                            else "")
        elif isinstance(node, ast.Call):
            called = node.func
            name = (called.attr if isinstance(called, ast.Attribute)
                    else called.id if isinstance(called, ast.Name) else None)
            if name in QUERY_CALLS:
                yield node.lineno, f"calls {name}()"


def test_no_view_queries_the_database():
    found = [f"{path.relative_to(SOURCE).as_posix()}:{line} {what}"
             for path in sorted(SOURCE.rglob("views.py"))
             for line, what in _queries_in_a_view(ast.parse(path.read_text()))]
    assert found == [], "move the query into the area's service:\n" + "\n".join(found)


def test_the_walk_would_catch_a_query_written_in_a_view():
    tree = ast.parse("from sqlalchemy import select\n"
                     "def page():\n"
                     "    rows = db.session.scalars(select(m.Family)).all()\n"
                     "    claim = db.get_or_404(m.Claim, 1)\n"
                     "    count = session.execute(text('SELECT 1'))\n"
                     "    db.session.commit()\n")
    assert sorted(_queries_in_a_view(tree)) == [
        (1, "imports from sqlalchemy"), (3, "calls scalars()"), (3, "calls select()"),
        (3, "uses db.session"), (4, "calls get_or_404()"), (4, "uses db.get_or_404"),
        (5, "calls execute()"), (5, "calls text()"), (6, "uses db.session")]

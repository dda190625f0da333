"""Layers point one way (docs/architecture.md): this walks every import in casework/,
at the top of a module or inside a function, and fails on an import loop between top-level
areas (two importing each other, or more round a longer loop), an import against the order
that docs/architecture.md draws (up the page, or back along the line of areas), an area
importing another area's views, or the app factory imported by anything but the command
line; and checks that casework/rules/ imports nothing but the standard library and dateutil."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import casework

SOURCE = Path(casework.__file__).resolve().parent
ARCHITECTURE = SOURCE.parent / "docs" / "architecture.md"

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


# The documented order ----------------------------------------------------------------------
# docs/architecture.md draws the layers as bands, top to bottom, between lines of dashes;
# each band names its modules and packages (casework/queue.py, casework/reports/), and the
# use-case band has a line of areas, each importing only areas after it on that line.
AREAS_LINE = "The areas, each importing only areas after it on this line:"
PAGES = ("views", "forms")  # a page module sits in the pages band, whatever its area


def _documented_layers(text: str) -> tuple[dict[str, int], list[str], int]:
    """({area: its band, 0 at the top}, the line of areas in order, the pages band)."""
    drawing = text.split("## The layers", 1)[1].split("```", 2)[1]
    bands = re.split(r"\n\s*-{20,}\n", drawing)
    band_of: dict[str, int] = {}
    line: list[str] = []
    pages = None
    for number, band in enumerate(bands):
        for area in re.findall(r"casework/(\w+)(?:\.py|/)", band):
            band_of.setdefault(area, number)
        if "casework/<area>/views.py" in band:
            pages = number
        if AREAS_LINE in band:
            words = band.split(AREAS_LINE, 1)[1].split("(", 1)[0].split()
            line = [w for w in words if re.fullmatch(r"[a-z_]+", w)]
            for area in line:
                band_of.setdefault(area, number)
    assert pages is not None and line, "docs/architecture.md no longer draws the layers"
    return band_of, line, pages


def _band(parts: list[str], band_of: dict[str, int], pages: int) -> int | None:
    if parts[-1] in PAGES and len(parts) > 1:
        return pages
    return band_of.get(parts[0])


def _against_the_order(imports, text: str) -> list[str]:
    """Each import of one area by another that the drawing does not allow, and each area the
    drawing does not place."""
    band_of, line, pages = _documented_layers(text)
    band_of.setdefault("create_app", band_of["__init__"])
    found = []
    for name, source, target in imports:
        if not source or not target or source[0] == target[0]:
            continue
        for parts in (source, target):
            if parts[0] not in band_of:
                found.append(f"{name}: casework/{parts[0]} is not in the layers drawn by "
                             "docs/architecture.md: place it there")
        if source[0] not in band_of or target[0] not in band_of:
            continue
        imported = ".".join(target)
        if _band(source, band_of, pages) > _band(target, band_of, pages):
            found.append(f"{name} -> {imported}: imports up the page")
        elif (source[0] in line and target[0] in line
              and line.index(source[0]) > line.index(target[0])
              and _band(source, band_of, pages) == _band(target, band_of, pages)):
            found.append(f"{name} -> {imported}: {target[0]} comes before {source[0]} "
                         "on the line of areas")
    return sorted(set(found))


def test_every_import_follows_the_documented_order():
    found = _against_the_order(_imports(), ARCHITECTURE.read_text())
    assert found == [], "\n".join(found)


def test_the_order_check_would_catch_an_import_against_it():
    text = ARCHITECTURE.read_text()
    band_of, line, pages = _documented_layers(text)
    assert line.index("families") < line.index("evaluation")
    assert band_of["models"] > band_of["audit"] > band_of["reports"] > band_of["jobs"]
    assert band_of["rules"] == max(band_of.values())
    wrong = [("evaluation/service.py", ["evaluation", "service"], ["families", "service"]),
             ("models.py", ["models"], ["audit", "record_event"]),
             ("rules/engine.py", ["rules", "engine"], ["models"]),
             ("claims/service.py", ["claims", "service"], ["families", "forms"]),
             ("nowhere.py", ["nowhere"], ["models"]),
             # allowed: down the page, along the line, a page importing a service
             ("families/service.py", ["families", "service"], ["evaluation", "store"]),
             ("families/views.py", ["families", "views"], ["claims", "service"]),
             ("audit.py", ["audit"], ["models"])]
    assert _against_the_order(wrong, text) == [
        "claims/service.py -> families.forms: imports up the page",
        "evaluation/service.py -> families.service: families comes before evaluation on the "
        "line of areas",
        "models.py -> audit.record_event: imports up the page",
        "nowhere.py: casework/nowhere is not in the layers drawn by docs/architecture.md: "
        "place it there",
        "rules/engine.py -> models: imports up the page",
    ]


# The rules are plain Python: what they may import besides each other.
RULES_MAY_IMPORT = {"dateutil"}


def _rules_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted((SOURCE / "rules").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue  # a relative import: another module of rules/
            found |= {(path.relative_to(SOURCE).as_posix(), n) for n in names}
    return found


def test_the_rules_import_nothing_but_the_standard_library_and_dateutil():
    """No Flask, no SQLAlchemy, nothing of casework outside rules/ (docs/architecture.md)."""
    found = sorted(f"{name} imports {module}" for name, module in _rules_imports()
                   if module.split(".")[0] not in sys.stdlib_module_names | RULES_MAY_IMPORT)
    assert found == [], "\n".join(found)
    assert ("rules/dates.py", "dateutil.relativedelta") in _rules_imports()


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

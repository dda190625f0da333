"""A page read as a tree (Python's own HTML parser), so tests ask what a user sees where:
the text of a table's cells, the value of a field, whether a link sits inside <main>."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
HIDDEN = {"script", "style", "template", "title", "head"}
# Elements a browser lays out apart (a block, a list item, a table cell or row, a line
# break): their text is read as separate words, never run into the text beside them.
BLOCK = {"address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
         "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
         "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol",
         "option", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
         "thead", "tr", "ul"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        """The text a reader sees (scripts, styles, the head and form values left out),
        white space collapsed; the text of two blocks (paragraphs, list items, cells, lines
        broken by <br>) is separated by a space, as a reader sees them apart."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in HIDDEN:
                    block = child.tag in BLOCK
                    if block:
                        parts.append(" ")
                    walk(child)
                    if block:
                        parts.append(" ")

        walk(self)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs) -> list[Node]:
        return [n for n in self.iter()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, cls=cls, **attrs)
        return found[0] if found else None

    def by_id(self, id_: str) -> Node | None:
        return next((n for n in self.iter() if n.attrs.get("id") == id_), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def inside(self, tag: str) -> bool:
        return any(a.tag == tag for a in self.ancestors())

    def table(self) -> list[list[str]]:
        """The text of each row's cells (th and td), head rows included."""
        return [[c.text() for c in row.children if isinstance(c, Node) and c.tag in ("th", "td")]
                for row in self.find_all("tr")]

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


# A page as a user reads it ------------------------------------------------------------------

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _own_text(node: Node) -> str:
    """The text of an element HIDDEN leaves out of .text() (an SVG's <title>, say)."""
    parts: list[str] = []

    def walk(n: Node) -> None:
        for child in n.children:
            parts.append(child) if isinstance(child, str) else walk(child)

    walk(node)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _cells(row: Node) -> list[Node]:
    return [c for c in row.children if isinstance(c, Node) and c.tag in ("th", "td")]


class Table:
    """One table read by its headers: rows as {column header: cell text}, a cell found by
    its row (the text of the row's first cell, its row header) and its column header."""

    def __init__(self, node: Node):
        self.node = node
        self.caption = node.find("caption").text() if node.find("caption") else ""
        head = node.find("thead")
        rows = node.find_all("tr")
        header_row = head.find("tr") if head else (rows[0] if rows and all(
            c.tag == "th" for c in _cells(rows[0])) else None)
        self.headers = [c.text() for c in _cells(header_row)] if header_row else []
        self.body = [[c.text() for c in _cells(r)] for r in rows if r is not header_row
                     and not (head and r.inside("thead"))]

    @property
    def rows(self) -> list[dict[str, str]]:
        return [dict(zip(self.headers, row, strict=False)) for row in self.body]

    def column(self, header: str) -> list[str]:
        return [row.get(header, "") for row in self.rows]

    def row(self, first_cell: str) -> dict[str, str]:
        found = [r for r, texts in zip(self.rows, self.body, strict=True)
                 if texts and texts[0] == first_cell]
        assert len(found) == 1, (f"{len(found)} rows of table {self.caption!r} start with "
                                 f"{first_cell!r}; first cells: {[b[:1] for b in self.body]}")
        return found[0]

    def cell(self, row: str, column: str) -> str:
        found = self.row(row)
        assert column in found, f"table {self.caption!r} has no column {column!r}: {self.headers}"
        return found[column]

    def __repr__(self) -> str:
        return f"<Table {self.caption!r} {self.headers}>"


class Page:
    """What a user reads on a page: its title, headings, tables by caption and header, the
    error summary, summary lists, banners and the text of <main>, read from the parsed tree
    (never a substring anywhere in the HTML, which a hidden field or script would match)."""

    def __init__(self, html: str, status: int = 200, location: str | None = None):
        self.html, self.status, self.location = html, status, location
        self.root = parse(html)
        main = self.root.find("main")
        self.main = main if main is not None else self.root

    @property
    def title(self) -> str:
        node = self.root.find("title")
        return re.sub(r"\s+", " ", "".join(c for c in node.children if isinstance(c, str))
                      ).strip() if node else ""

    @property
    def h1(self) -> str:
        node = self.main.find("h1")
        return node.text() if node else ""

    @property
    def headings(self) -> list[str]:
        return [n.text() for n in self.main.iter() if n.tag in ("h1", "h2", "h3")]

    @property
    def text(self) -> str:
        """The text of <main>, white space collapsed (the header and footer left out)."""
        return self.main.text()

    @property
    def tables(self) -> list[Table]:
        return [Table(n) for n in self.main.find_all("table")]

    def table(self, caption: str | None = None) -> Table:
        """The table with this caption (its text starts with it), or the page's only table."""
        tables = self.tables
        if caption is None:
            assert len(tables) == 1, f"{len(tables)} tables: {[t.caption for t in tables]}"
            return tables[0]
        found = [t for t in tables if t.caption.startswith(caption)]
        assert len(found) == 1, f"no one table captioned {caption!r}: {[t.caption for t in tables]}"
        return found[0]

    @property
    def errors(self) -> list[str]:
        """The error summary's items, in order ([] when there is none)."""
        summary = self.root.find(cls="govuk-error-summary")
        if summary is None:
            return []
        items = summary.find_all("li")
        return [i.text() for i in items] if items else [
            summary.find(cls="govuk-error-summary__body").text()]

    @property
    def field_errors(self) -> dict[str, str]:
        """Each field's own error message, by the id of its message element (FIELD-error)."""
        return {n.attrs.get("id", "").removesuffix("-error"): n.text().removeprefix("Error: ")
                for n in self.main.find_all(cls="govuk-error-message")}

    def summary_list(self, index: int = 0) -> dict[str, str]:
        """A GOV.UK summary list: each row's key -> its value."""
        lists = self.main.find_all(cls="govuk-summary-list")
        assert len(lists) > index, f"the page has {len(lists)} summary lists"
        return {row.find(cls="govuk-summary-list__key").text():
                row.find(cls="govuk-summary-list__value").text()
                for row in lists[index].find_all(cls="govuk-summary-list__row")}

    @property
    def summary(self) -> dict[str, str]:
        """Every summary list of the page as one key -> value."""
        merged: dict[str, str] = {}
        for i in range(len(self.main.find_all(cls="govuk-summary-list"))):
            merged.update(self.summary_list(i))
        return merged

    @property
    def banners(self) -> list[str]:
        """The text of each notification banner (flashed messages among them), its title
        left out."""
        found = []
        for banner in self.root.find_all(cls="govuk-notification-banner"):
            content = banner.find(cls="govuk-notification-banner__content")
            found.append((content or banner).text())
        return found

    @property
    def links(self) -> dict[str, str]:
        """Each link in <main>: its text -> where it goes (the first, when texts repeat)."""
        found: dict[str, str] = {}
        for a in self.main.find_all("a"):
            found.setdefault(a.text(), a.attrs.get("href", ""))
        return found

    def section(self, heading: str) -> Node:
        """What sits under the heading of <main> whose text is `heading` (or starts with it,
        when only one does): the elements after it up to the next heading of its level or
        higher, gathered into one node (so .text(), .find_all(), Table(...) read them)."""
        found = [n for n in self.main.iter() if n.tag in HEADINGS and n.text() == heading] or [
            n for n in self.main.iter() if n.tag in HEADINGS and n.text().startswith(heading)]
        assert len(found) == 1, (f"{len(found)} headings {heading!r}: {self.headings}")
        start = found[0]
        level = int(start.tag[1])
        section = Node("#section", {}, None)

        def ends(node: Node | str) -> bool:
            return isinstance(node, Node) and any(
                n.tag in HEADINGS and int(n.tag[1]) <= level for n in [node, *node.iter()])

        node: Node = start
        while node is not self.main and node.parent is not None:
            siblings = node.parent.children
            for sibling in siblings[siblings.index(node) + 1:]:
                if ends(sibling):
                    return section
                section.children.append(sibling)
            node = node.parent
        return section

    def paragraphs(self, heading: str | None = None) -> list[str]:
        """The text of each paragraph of <main> (or of the section under `heading`)."""
        within = self.section(heading) if heading is not None else self.main
        return [p.text() for p in within.find_all("p")]

    def paragraph(self, start: str, heading: str | None = None) -> str:
        """The whole text of the one paragraph that starts with `start` (of <main>, or of
        the section under `heading`)."""
        found = [t for t in self.paragraphs(heading) if t.startswith(start)]
        assert len(found) == 1, (f"{len(found)} paragraphs start with {start!r}: "
                                 f"{self.paragraphs(heading)}")
        return found[0]

    def by_role(self, role: str) -> list[Node]:
        """The elements of <main> with this ARIA role (role="img" for a chart, "alert" ...)."""
        return self.main.find_all(role=role)

    @property
    def images(self) -> dict[str, str]:
        """Each drawn image (role="img") of <main>: its title -> its description, as a
        screen reader announces them (aria-labelledby the <title> and <desc>)."""
        found = {}
        for img in self.by_role("img"):
            title, desc = img.find("title"), img.find("desc")
            found[_own_text(title) if title else img.attrs.get("aria-label", "")] = (
                _own_text(desc) if desc else "")
        return found

    def field(self, name: str) -> Node | None:
        return next((n for n in self.main.iter()
                     if n.tag in ("input", "select", "textarea") and n.attrs.get("name") == name),
                    None)

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.title!r}>"

"""Which of the studio's JavaScript modules a page needs at once, for its `modulepreload` links.

The browser fetches a preloaded module's whole graph at once instead of one import level after
another (the project page's modules are four levels deep), which is most of the time to a first
rendered page. Every module preloaded on every page, though, made each page fetch the code of
all the others (the templates page's, the sign-in page's): 44 KB of 163 KB, compressed, on the
project page. So a page preloads the modules `app.js` imports and those its own page module
imports, statically; what is imported on demand (the gallery in a tab, the viewer, another
page) is fetched when it is used.

The page module comes from the studio's own route table, `js/pages/index.js`, matched as its
router matches it (the first route whose pattern fits, `:name` one path segment). A preload is a
hint: one missing, or one too many, costs time or bytes, never a page that does not work.
"""

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ENTRY = "js/app.js"
ROUTES = "js/pages/index.js"
NOT_FOUND = "not-found"
"""The key of the page shown for a path no route matches."""

_STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](?P<from>[^'"]+)['"]"""
    r"""|^\s*import\s*['"](?P<bare>[^'"]+)['"]""",
    re.MULTILINE,
)
"""`import … from '…'`, `export … from '…'` and `import '…'` at the start of a line; not
`import('…')`, which loads on demand."""
_ROUTE = re.compile(
    r"""path:\s*'(?P<path>[^']+)',\s*page:\s*\(\)\s*=>\s*import\('(?P<module>[^']+)'\)"""
)


def static_imports(module: str, source: str) -> list[str]:
    """The modules `module` (a path under static/, `js/x.js`) imports statically, as paths
    under static/."""
    folder = posixpath.dirname(module)
    found = []
    for match in _STATIC_IMPORT.finditer(source):
        spec = match.group("from") or match.group("bare")
        if spec.startswith("."):
            found.append(posixpath.normpath(posixpath.join(folder, spec)))
    return found


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    module: str


def page_routes(source: str) -> tuple[list[Route], str | None]:
    """The routes of `js/pages/index.js` in order, and the not-found page's module."""
    routes, not_found = [], None
    folder = posixpath.dirname(ROUTES)
    for match in _ROUTE.finditer(source):
        module = posixpath.normpath(posixpath.join(folder, match.group("module")))
        if match.group("path") == "*":
            not_found = module
            continue
        parts = [
            "[^/]+" if part.startswith(":") else re.escape(part)
            for part in match.group("path").split("/")
        ]
        routes.append(Route(re.compile("^" + "/".join(parts) + "$"), module))
    return routes, not_found


class ModuleGraph:
    """The studio's modules and what each imports statically."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._imports = {
            name: static_imports(name, body.decode("utf-8"))
            for name, body in files.items()
            if name.startswith("js/") and name.endswith(".js")
        }
        routes = files.get(ROUTES, b"").decode("utf-8")
        self.routes, self.not_found = page_routes(routes)

    def page_of(self, path: str) -> str:
        """The page module for the URL path `path` (`/studio/…`); `NOT_FOUND` when none."""
        path = path.rstrip("/") or "/"
        for route in self.routes:
            if route.pattern.match(path):
                return route.module
        return NOT_FOUND

    def needed(self, page: str) -> list[str]:
        """`app.js`'s static graph and `page`'s, in the order they are reached."""
        entries = [ENTRY, self.not_found if page == NOT_FOUND else page]
        return self._closure(entry for entry in entries if entry)

    def pages(self) -> list[str]:
        """Every page key: each route's module, and `NOT_FOUND`."""
        return list(dict.fromkeys([*(route.module for route in self.routes), NOT_FOUND]))

    def _closure(self, entries: Iterable[str]) -> list[str]:
        seen: dict[str, None] = {}
        stack = list(entries)[::-1]
        while stack:
            module = stack.pop()
            if module in seen or module not in self._imports:
                continue
            seen[module] = None
            stack.extend(reversed(self._imports[module]))
        return list(seen)

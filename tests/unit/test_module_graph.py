"""Each studio page preloads the modules it needs at once, found from the static imports and
the studio's own route table; the code of other pages is left until it is used."""

import re

from studio_gateway.module_graph import NOT_FOUND, ModuleGraph, page_routes, static_imports
from studio_gateway.studio import StudioFiles


def test_static_imports_are_found_and_on_demand_ones_are_not() -> None:
    source = """
import { api } from '../api.js';
import {
  h,
  replace,
} from '../dom.js';
export { clip } from '../ui/format.js';
import './side-effect.js';
// import { old } from './commented-out.js';
const viewer = await import('./viewer.js');
"""
    assert static_imports("js/components/x.js", source) == [
        "js/api.js",
        "js/dom.js",
        "js/ui/format.js",
        "js/components/side-effect.js",
    ]


def test_routes_are_read_in_order_with_the_not_found_page() -> None:
    routes, not_found = page_routes(
        """export const routes = [
  { path: '/studio', page: () => import('./projects.js'), title: 'Projects' },
  { path: '/studio/new', page: () => import('./new-project.js'), title: 'New' },
  { path: '/studio/:id', page: () => import('./project.js'), title: 'Project' },
];
export const notFound = { path: '*', page: () => import('./not-found.js'), title: 'Not found' };
"""
    )
    assert [route.module for route in routes] == [
        "js/pages/projects.js",
        "js/pages/new-project.js",
        "js/pages/project.js",
    ]
    assert not_found == "js/pages/not-found.js"


def test_every_route_of_the_studio_is_known_to_the_server() -> None:
    files = StudioFiles.load()
    index = files.files["js/pages/index.js"].body.decode()
    pages = re.findall(r"import\('\./([^']+)'\)", index)
    graph = files.graph
    assert len(graph.routes) + 1 == len(pages)  # and the not-found page
    for page in graph.pages():
        module = graph.not_found if page == NOT_FOUND else page
        assert module in files.files, module
        assert page in files.shells


def test_a_page_is_served_with_its_own_graph_and_not_the_others() -> None:
    files = StudioFiles.load()
    graph = files.graph
    project = graph.needed(graph.page_of("/studio/0123456789abcdef01234567"))
    assert project[0] == "js/app.js"
    assert "js/pages/project.js" in project
    assert "js/components/generation-panel.js" in project
    assert "js/pages/templates.js" not in project
    assert "js/components/gallery.js" not in project  # the Assets tab imports it when opened
    assert graph.page_of("/studio/templates/") == "js/pages/templates.js"
    assert graph.page_of("/studio/a/b") == NOT_FOUND
    shell = files.shell_for("/studio/0123456789abcdef01234567").body.decode()
    preloaded = re.findall(r'rel="modulepreload" href="/static/[0-9a-f]+/([^"]+)"', shell)
    assert preloaded == project


def test_a_module_graph_skips_what_the_tree_lacks() -> None:
    graph = ModuleGraph(
        {
            "js/app.js": b"import { a } from './a.js';\nimport { gone } from './gone.js';\n",
            "js/a.js": b"import { app } from './app.js';\nexport const a = 1;\n",
            "js/pages/index.js": b"",
        }
    )
    assert graph.needed(NOT_FOUND) == ["js/app.js", "js/a.js"]

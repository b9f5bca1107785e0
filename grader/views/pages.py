"""The one HTML page layer: every page and section the grader writes is a jinja2 template rendered here.

Templates ship in grader/views/templates (`base.html.j2` holds the page and its shared style; each page
extends it). Autoescape is on for all of them, so every value a template shows is HTML-escaped unless it
is `Markup` that this module rendered (a finished section placed in a page). Values are data, never
templates: a student's `{{ 7*7 }}` is shown as written. A name a template does not get is an error, not
an empty string. The same values always render the same bytes.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup


@cache
def environment(package: str = "grader.views") -> jinja2.Environment:
    """The page layer's jinja2 for the templates in `package`'s templates/ folder (the grading service has its
    own pages): autoescape on, a missing name an error, the same filters everywhere. jinja2 is imported when a
    page is first rendered: `grade EXERCISE_DIR` never needs it."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader(package, "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                     keep_trailing_newline=True)
    environment.filters["percent"] = lambda share: f"{share:.0%}"
    environment.filters["number"] = lambda value: f"{value:g}"
    return environment


def render(template: str, **values: Any) -> Markup:
    """The template (a file name under grader/views/templates) rendered with `values`, as finished HTML."""
    from markupsafe import Markup

    return Markup(environment().get_template(template).render(**values))

"""Show readers the exact source of the lib code a chapter runs."""

import inspect
import textwrap

from .._checks import describe, positive_int


class Source:
    """Highlighted source code; Jupyter and the book render it through `_repr_html_`."""

    def __init__(self, code, title):
        self.code = code
        self.title = title

    def _repr_html_(self):
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        body = highlight(self.code, PythonLexer(), HtmlFormatter(noclasses=True, style="friendly"))
        return (
            '<details open class="nnbook-source"><summary style="cursor:pointer;font-size:90%">'
            f"<code>{self.title}</code></summary>{body}</details>"
        )

    def __repr__(self):
        return f"# {self.title}\n{self.code}"


def show_source(obj, *, lines=None):
    """Render the source of a lib function, class or method, highlighted, titled with where it lives.

    `lines=(first, last)` (1-based, inclusive) shows only part of it.
    """
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)
            or inspect.ismodule(obj)):
        raise TypeError(
            f"show_source needs a function, class, method or module, got {type(obj).__name__}"
        )
    code = textwrap.dedent(inspect.getsource(obj))
    if lines is not None:
        if isinstance(lines, (str, bytes)) or not isinstance(lines, (tuple, list)) or len(lines) != 2:
            raise TypeError(f"lines must be a pair (first, last) of line numbers, got {describe(lines)}")
        first, last = positive_int(lines[0], "lines[0]"), positive_int(lines[1], "lines[1]")
        all_lines = code.splitlines()
        if not 1 <= first <= last <= len(all_lines):
            raise ValueError(f"lines must satisfy 1 <= first <= last <= {len(all_lines)}, got {lines}")
        code = "\n".join(all_lines[first - 1 : last]) + "\n"
    module = inspect.getmodule(obj)
    where = module.__name__ if module else "?"
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
    title = where if inspect.ismodule(obj) else f"{where}.{name}"
    return Source(code, title)

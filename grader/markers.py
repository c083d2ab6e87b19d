"""The one parser of solution markers: a reference function's whole body between
`# BEGIN SOLUTION` and `# END SOLUTION` is what a student writes.

Used by the exercise generator (stubs), the grader (a trusted module with the graded
function's answer taken out), the nbgrader course (`### BEGIN SOLUTION` cells) and the
release test (no solution line may ship)."""
from __future__ import annotations

import ast
from dataclasses import dataclass

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


class MarkerError(ValueError):
    """Solution markers that do not wrap exactly one function's whole body."""


@dataclass(frozen=True)
class Region:
    """Lines first..last (1-based, inclusive, the markers included) of one solution region,
    the whole body of the function `qualname` ("Value.__add__", "softmax")."""

    first: int
    last: int
    qualname: str
    indent: str


def _functions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    out = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    out.append((name, child))
                walk(child, name + ".")

    walk(tree, "")
    return out


def find_regions(source: str, name: str = "<source>") -> list[Region]:
    """The solution regions of one file, in order; `name` is used in error messages."""
    lines = source.splitlines()
    functions = _functions(ast.parse(source))
    regions, first = [], None
    for i, line in enumerate(lines, start=1):
        mark = line.strip()
        if mark == BEGIN:
            if first is not None:
                raise MarkerError(f"{name}:{i}: {BEGIN} inside another region (line {first})")
            first = i
        elif mark == END:
            if first is None:
                raise MarkerError(f"{name}:{i}: {END} without {BEGIN}")
            enclosing = [(q, f) for q, f in functions if f.lineno < first and f.end_lineno >= i - 1]
            if not enclosing:
                raise MarkerError(f"{name}:{first}: solution region outside any function")
            qualname, func = max(enclosing, key=lambda qf: qf[1].lineno)  # the innermost
            body = func.body[1:] if ast.get_docstring(func) is not None else func.body
            if not body or body[0].lineno <= first or body[-1].end_lineno >= i:
                raise MarkerError(f"{name}:{first}: the region must be the whole body of {qualname}")
            text = lines[first - 1]
            regions.append(Region(first, i, qualname, text[: len(text) - len(text.lstrip())]))
            first = None
    if first is not None:
        raise MarkerError(f"{name}:{first}: {BEGIN} without {END}")
    return regions


def replace_regions(source: str, replacement, name: str = "<source>", only=None) -> str:
    """source with each region (markers included) replaced by `replacement(region)`, a list
    of lines without their indent; `only`: the qualnames to replace (default: all)."""
    lines = source.splitlines(keepends=True)
    regions = find_regions(source, name)
    if only is not None:
        missing = set(only) - {r.qualname for r in regions}
        if missing:
            raise MarkerError(f"{name}: no solution region in {', '.join(sorted(missing))}")
        regions = [r for r in regions if r.qualname in only]
    for r in reversed(regions):  # from the end, so earlier line numbers hold
        lines[r.first - 1 : r.last] = [(r.indent + text if text else "") + "\n" for text in replacement(r)]
    return "".join(lines)


def solution_lines(source: str, name: str = "<source>") -> list[str]:
    """The stripped lines inside every region (markers excluded)."""
    lines = source.splitlines()
    return [line.strip() for r in find_regions(source, name) for line in lines[r.first : r.last - 1]]

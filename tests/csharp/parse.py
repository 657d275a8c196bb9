"""Parses C# files with the tree-sitter C# grammar and reports every syntax error.

Usage:
    parse.py FILE...       parse each file; exit 1 if any has an error
    parse.py --self-test   check that the parser does report errors (a broken snippet must
                           fail, a sound one must pass)

An error is a node the grammar could not place (ERROR) or a token it had to invent
(MISSING), reported as `file:line:col: ...`. The last line of output is
`N files parsed, M with errors`.
"""

import sys

import tree_sitter
import tree_sitter_c_sharp

LANGUAGE = tree_sitter.Language(tree_sitter_c_sharp.language())


def syntax_errors(source: bytes) -> list[tuple[int, int, str]]:
    """(line, column, description) of every ERROR and MISSING node, 1-based."""
    tree = tree_sitter.Parser(LANGUAGE).parse(source)
    errors = []
    pending = [tree.root_node]
    while pending:
        node = pending.pop()
        if node.is_missing:
            errors.append((node.start_point, f"missing {node.type}"))
        elif node.is_error:
            text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
            first = text.splitlines()[0] if text else ""
            errors.append((node.start_point, f"cannot parse {first[:60]!r}"))
        if node.has_error:
            pending.extend(node.children)
    errors.sort()
    return [(row + 1, column + 1, what) for (row, column), what in errors]


def self_test() -> int:
    """The parser must accept sound C# and reject broken C#."""
    sound = b"namespace A;\npublic sealed record R\n{\n    public required int X { get; init; }\n}\n"
    broken = [
        b"namespace A;\npublic sealed record R\n{\n    public required int X { get; init; \n}\n",
        b"public class C { void M() { var x = ; } }\n",
        b"public interface I { Task<int> M(int a, ); }\n",
    ]
    failures = []
    if syntax_errors(sound):
        failures.append("a sound snippet was reported as broken")
    for snippet in broken:
        if not syntax_errors(snippet):
            failures.append(f"a broken snippet parsed cleanly: {snippet!r}")
    for failure in failures:
        print(f"self-test: {failure}")
    passed = 1 + len(broken) - len(failures)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return self_test()
    if not argv or any(a.startswith("-") for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    broken = 0
    for path in argv:
        with open(path, "rb") as f:
            errors = syntax_errors(f.read())
        for line, column, what in errors:
            print(f"{path}:{line}:{column}: {what}")
        broken += bool(errors)
    print(f"{len(argv)} files parsed, {broken} with errors")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

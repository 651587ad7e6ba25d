#!/usr/bin/env python3
"""House rule (issue 12): no function in core/src over 120 lines, except the two ports of upstream rule ladders
(parse_gguf, get_type_impl) kept in their upstream shape. A definition is a line at column 0 (or one indent level
inside a namespace) ending in '{' whose body closes at the same indentation. Prints offenders; exit 1 if any."""
import pathlib
import re
import sys

LIMIT = 120
EXEMPT = {"parse_gguf", "get_type_impl"}
DEF = re.compile(r"^(\s{0,2})(?!if\b|for\b|while\b|switch\b|namespace\b|struct\b|class\b|enum\b|union\b|extern\b)"
                 r"[A-Za-z_][\w:<>,\s\*&~]*?\b(\w+)\s*\([^;]*\)\s*(const\s*)?(noexcept\s*)?(->\s*[\w:<>]+\s*)?\{\s*$")


def functions(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        # a signature may wrap over up to 4 lines: join them until one ends in '{' or ';'
        head, k = lines[i], i
        while (k - i < 4 and k + 1 < len(lines) and "(" in lines[i] and not lines[i].startswith(" " * 3)
               and not head.rstrip().endswith(("{", ";", "}")) and not head.lstrip().startswith(("//", "#"))):
            k += 1
            head += " " + lines[k].strip()
        m = DEF.match(head)
        if m:
            i = k
            indent, name = m.group(1), m.group(2)
            close = indent + "}"
            j = i + 1
            while j < len(lines) and not (lines[j].startswith(close) and lines[j][len(indent):len(indent) + 1] == "}"
                                          and (len(lines[j]) == len(close) or lines[j][len(close)] in ";) /")):
                j += 1
            yield name, i + 1, j - i - 1
            i = j
        i += 1


def main():
    root = pathlib.Path(__file__).resolve().parent.parent / "core" / "src"
    bad = []
    for path in sorted(root.rglob("*.cpp")):
        for name, line, length in functions(path):
            if length > LIMIT and name not in EXEMPT:
                bad.append(f"{path.relative_to(root.parent.parent)}:{line}: {name} has {length} lines (limit {LIMIT})")
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} function(s) over {LIMIT} lines: split them along their sections (README 'Architecture')")
        return 1
    print(f"function lengths: every function in core/src is at most {LIMIT} lines (except {', '.join(sorted(EXEMPT))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

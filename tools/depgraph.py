#!/usr/bin/env python3
"""Print the file dependency graph of libxmm's src/ and check its layering.

An arrow A -> B means A.c calls a non-static function defined in B.c, or
includes B's private header (B.h / B_priv.h next to B.c).  Files are ranked
by layer (LAYERS below; higher calls lower).  An arrow that points from a
lower rank to a higher one "points back up".  Seed modules share one rank:
arrows among them are not counted as back-pointing, but an arrow from a
core file to a module is.

  tools/depgraph.py [--src DIR] [--check] [--quiet] [--dot]

--check exits 1 if a core file is in a cycle or any core file depends on a
module (the layering claim of docs/architecture.md); ctest runs it so.
"""
import os
import re
import sys

# Rank of each core file: a file may depend only on files of lower or equal
# rank.  Files not listed here are seed modules (rank MODULE).
LAYERS = [
    ("names.c", 0), ("error.c", 0), ("lockdep.c", 0), ("alloc.c", 0), ("list.c", 0),
    ("clock.c", 1),
    ("history.c", 1), ("frame.c", 2), ("p2m.c", 3), ("domain.c", 4),
    ("check.c", 5), ("world.c", 6),
]
MODULE = 10
# Registration table: the one place that names every module (it sits above them).
TOP = {"modules.c": 11}

KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "_Alignof",
            "static_assert", "_Static_assert", "defined"}


def strip(text):
    """Remove comments, string and character literals, keep newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse(path):
    """Return (defined non-static functions, called identifiers, includes)."""
    raw = open(path, encoding="utf-8").read()
    includes = re.findall(r'^\s*#\s*include\s+"([^"]+)"', raw, re.M)
    text = strip(raw)
    text = re.sub(r"^\s*#.*?(?<!\\)$", "", text, flags=re.M | re.S)
    defs, calls = set(), set()
    depth, head, body = 0, [], []
    for ch in text:
        if depth == 0:
            if ch == "{":
                decl = "".join(head)
                m = re.search(r"(\w+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$", decl)
                if m and "=" not in decl and not re.search(r"\b(struct|enum|union)\s+\w*\s*$", decl):
                    if not re.search(r"\bstatic\b", decl):
                        defs.add(m.group(1))
                depth, head, body = 1, [], []
            elif ch == ";":
                head = []
            else:
                head.append(ch)
        else:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    calls.update(re.findall(r"\b([A-Za-z_]\w*)\s*\(", "".join(body)))
                    continue
            body.append(ch)
    return defs, calls - KEYWORDS, includes


def rank(f):
    return dict(LAYERS).get(f, TOP.get(f, MODULE))


def tarjan(nodes, edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main(argv):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    check = quiet = dot = False
    i = 1
    while i < len(argv):
        if argv[i] == "--src" and i + 1 < len(argv):
            src = argv[i + 1]
            i += 1
        elif argv[i] == "--check":
            check = True
        elif argv[i] == "--quiet":
            quiet = True
        elif argv[i] == "--dot":
            dot = True
        else:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        i += 1
    files = sorted(f for f in os.listdir(src) if f.endswith(".c"))
    info = {f: parse(os.path.join(src, f)) for f in files}
    owner = {}
    for f in files:
        for d in info[f][0]:
            owner.setdefault(d, f)
    edges = {f: set() for f in files}
    for f in files:
        defs, calls, incs = info[f]
        for c in calls:
            g = owner.get(c)
            if g and g != f:
                edges[f].add(g)
        for h in incs:
            base = re.sub(r"(_priv)?\.h$", "", os.path.basename(h))
            g = base + ".c"
            if g in edges and g != f and rank(g) == MODULE:
                edges[f].add(g)
    narrows = sum(len(v) for v in edges.values())
    back = sorted((a, b) for a in files for b in edges[a] if rank(a) < rank(b))
    sccs = [c for c in tarjan(files, edges) if len(c) > 1]
    core = {f for f, _ in LAYERS}
    core_cycles = [c for c in sccs if any(f in core for f in c)]
    in_cycle = sorted({f for c in sccs for f in c})

    if dot:
        print("digraph libxmm {")
        for a in files:
            for b in sorted(edges[a]):
                print('  "%s" -> "%s"%s;' % (a, b, ' [color=red]' if rank(a) < rank(b) else ""))
        print("}")
        return 0
    if not quiet:
        print("# file -> files it depends on (rank: 0 lowest core .. %d modules)" % MODULE)
        for a in sorted(files, key=lambda f: (rank(f), f)):
            deps = ", ".join(
                b + ("!" if rank(a) < rank(b) else "")
                for b in sorted(edges[a], key=lambda f: (rank(f), f)))
            print("%-14s [%2d] -> %s" % (a, rank(a), deps or "-"))
        print("# '!' marks an arrow pointing back up")
    print("files: %d, arrows: %d, back-pointing arrows: %d" % (len(files), narrows, len(back)))
    print("cycles: %d, files in a cycle: %d%s" % (
        len(sccs), len(in_cycle), (" (" + " ".join(in_cycle) + ")") if in_cycle else ""))
    core_back = [(a, b) for a, b in back if a in core]
    print("core files in a cycle: %d, core arrows pointing up: %d" % (
        len({f for c in core_cycles for f in c if f in core}), len(core_back)))
    if check and (core_cycles or core_back):
        for a, b in core_back:
            print("layering: %s -> %s points up" % (a, b), file=sys.stderr)
        for c in core_cycles:
            print("layering: cycle %s" % " ".join(c), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

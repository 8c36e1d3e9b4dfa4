#!/usr/bin/python3
"""Checks the #include graph of src/ against the layer diagram of docs/ARCHITECTURE.md.

The diagram's ```layers block lists, for each folder (one folder = one library), the folders it
may include from: `ingress -> controller gateway server web` (a line without `->` continues the
one above). This test reads every .h/.cc under
src/, maps each `#include "dir/file.h"` that names a file of another src/ folder to an edge
between folders, and fails on
  - an edge the diagram does not have (a new dependency: draw it, or cut it),
  - an edge of the diagram the code no longer has (the drawing must stay true),
  - a cycle in the diagram (dependencies point one way).
Exit status 0 when the code and the drawing agree. Usage: check_layering.py [REPO]
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_diagram(path):
    """{folder: set(folders it may include)} from the ```layers block."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"```layers\n(.*?)```", text, re.S)
    if not m:
        sys.exit("%s: no ```layers block" % path)
    allowed = {}
    src = None
    for n, line in enumerate(m.group(1).splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "->" not in line:  # an indented continuation of the line above
            if src is None:
                sys.exit("%s: layers line %d has no '->': %r" % (path, n, line))
            allowed[src].update(line.split())
            continue
        left, right = line.split("->", 1)
        src = left.strip()
        if src in allowed:
            sys.exit("%s: layers line %d: %s is listed twice" % (path, n, src))
        allowed[src] = set(right.split())
    return allowed


def folder_of(rel, folders):
    """The library folder of a path relative to src/ (the longest folder that contains it)."""
    best = None
    for f in folders:
        if rel.startswith(f + "/") and (best is None or len(f) > len(best)):
            best = f
    return best


def library_folders(src):
    """Folders of src/ that hold a CMakeLists.txt (one library each)."""
    out = set()
    for root, _, files in os.walk(src):
        if "CMakeLists.txt" in files and root != src:
            out.add(os.path.relpath(root, src))
    return out


def actual_edges(src, folders):
    """{(from, to): first 'file: #include' seen} for includes across folders."""
    edges = {}
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            here = folder_of(rel, folders)
            with open(path, encoding="utf-8", errors="replace") as f:
                for inc in INCLUDE.findall(f.read()):
                    there = folder_of(inc, folders)
                    if there is None or there == here or not os.path.exists(os.path.join(src, inc)):
                        continue
                    edges.setdefault((here, there), "src/%s: #include \"%s\"" % (rel, inc))
    return edges


def find_cycle(allowed):
    state = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(allowed.get(node, ())):
            if state.get(nxt) == 1:
                return stack + [node, nxt]
            if state.get(nxt) is None:
                found = visit(nxt, stack + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(allowed):
        if state.get(node) is None:
            found = visit(node, [])
            if found:
                return found
    return None


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src = os.path.join(repo, "src")
    doc = os.path.join(repo, "docs", "ARCHITECTURE.md")
    allowed = read_diagram(doc)
    folders = library_folders(src)
    problems = []
    for f in sorted(folders - set(allowed)):
        problems.append("folder %s is not in the diagram: add a line `%s -> ...`" % (f, f))
    for f in sorted(set(allowed) - folders):
        problems.append("the diagram names %s, which is not a library folder of src/" % f)
    edges = actual_edges(src, folders)
    for (a, b), where in sorted(edges.items()):
        if b not in allowed.get(a, set()):
            problems.append("%s -> %s is not in the diagram (%s): depend the other way, or "
                            "draw the edge in docs/ARCHITECTURE.md" % (a, b, where))
    for a in sorted(allowed):
        for b in sorted(allowed[a]):
            if (a, b) not in edges:
                problems.append("the diagram has %s -> %s but no file of src/%s includes one "
                                "of src/%s: remove the edge" % (a, b, a, b))
    cycle = find_cycle(allowed)
    if cycle:
        problems.append("the diagram has a cycle: " + " -> ".join(cycle))
    for p in problems:
        print("layering: " + p)
    if problems:
        return 1
    print("layering: %d folders, %d edges, all in docs/ARCHITECTURE.md" % (len(folders),
                                                                           len(edges)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

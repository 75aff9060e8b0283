#!/usr/bin/env python3
"""Fails if the runtime's modules import each other in a cycle.

Reads `use crate::X` / `crate::X::` paths in lmms-core/src (tests excluded), builds the
graph of top-level modules and prints every strongly connected component of more than one
module. `lib.rs` (the root that declares them all) and `tests/` are not nodes.

Also fails if a leaf reaches the call machinery: `cache` and `stats` must not import,
directly or through other modules, any of `gateway`, `lugs` or `call` (the caller reads
the clock and checks for faults, and hands them plain values).
"""
import pathlib
import re
import sys

src = pathlib.Path(__file__).resolve().parent.parent / "lmms-core" / "src"
mods = {}
for path in src.rglob("*.rs"):
    rel = path.relative_to(src)
    if rel.parts[0] == "tests" or rel.name == "lib.rs":
        continue
    name = rel.parts[0].removesuffix(".rs")
    text = path.read_text()
    # Drop `#[cfg(test)] mod tests { ... }` blocks: unit tests may import anything.
    text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
    # Comments (doc links included) are not imports.
    text = "\n".join(l.split("//")[0] for l in text.splitlines())
    deps = set(re.findall(r"\bcrate::([a-z_]+)", text)) - {name, "__private"}
    mods.setdefault(name, set()).update(deps)
nodes = set(mods)
graph = {m: {d for d in ds if d in nodes} for m, ds in mods.items()}

index, low, stack, on, sccs = {}, {}, [], set(), []
def visit(v, counter=[0]):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(graph):
    if v not in index:
        visit(v)
if "-v" in sys.argv:
    for m in sorted(graph):
        print(f"{m:10} -> {', '.join(sorted(graph[m]))}")
for comp in sccs:
    edges = [f"{a}->{b}" for a in comp for b in sorted(graph[a]) if b in comp]
    print("import cycle:", ", ".join(edges))
LEAVES = {"cache", "stats"}
MACHINERY = {"gateway", "lugs", "call"}
leaks = []
for leaf in sorted(LEAVES & nodes):
    seen, todo, via = {leaf}, [leaf], {}
    while todo:
        v = todo.pop()
        for w in sorted(graph[v]):
            if w not in seen:
                seen.add(w); via[w] = v; todo.append(w)
    for bad in sorted(seen & MACHINERY):
        path, v = [bad], bad
        while v != leaf:
            v = via[v]; path.append(v)
        leaks.append(" -> ".join(reversed(path)))
for leak in leaks:
    print("leaf imports the call machinery:", leak)
sys.exit(1 if sccs or leaks else 0)

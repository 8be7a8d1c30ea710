"""A layered (Sugiyama-style) layout of a small directed graph, in plain Python.

Computed on the server rather than by a vendored JavaScript library because
the diagram is then plain SVG in the page: nothing to run under the strict
CSP, nothing to download, the same picture when printed, and a layout that
the tests can check number by number (no overlaps, bounded size at 100 steps).

The four classic steps, each kept simple for graphs of tens to a few hundred nodes:
1. cycles are broken by reversing the edges that a depth-first search finds
   going back to a node still on its stack (the drawing keeps their direction);
2. layers by longest path from the sources, so every edge points downwards;
3. an edge that spans several layers gets a dummy node per layer in between,
   so it bends around the nodes instead of running through them;
4. crossings are reduced by barycentre sweeps (down, then up, a few times),
   then each layer is centred and its nodes placed left to right.
"""

import itertools
from dataclasses import dataclass, field

NODE_WIDTH = 220
NODE_HEIGHT = 56
DUMMY_WIDTH = 24
H_GAP = 36
V_GAP = 64
MARGIN = 16
SWEEPS = 4


@dataclass
class PlacedNode:
    id: str
    x: float  # left
    y: float  # top
    width: float
    height: float
    layer: int

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


@dataclass
class PlacedEdge:
    source: str
    target: str
    kind: str
    label: str
    points: list[tuple[float, float]]  # from the source's bottom to the target's top, through the dummies
    reversed: bool = False  # the edge goes back up (a loop): drawn as it is, flagged by validation


@dataclass
class Layout:
    nodes: dict[str, PlacedNode] = field(default_factory=dict)
    edges: list[PlacedEdge] = field(default_factory=list)
    width: float = 0
    height: float = 0
    layers: list[list[str]] = field(default_factory=list)  # real nodes only, left to right


def _acyclic(nodes: list[str], edges: list[tuple[str, str]]) -> set[int]:
    """Indexes of the edges to reverse so the graph has no cycle (iterative DFS in node order)."""
    out: dict[str, list[tuple[int, str]]] = {n: [] for n in nodes}
    for i, (s, t) in enumerate(edges):
        out[s].append((i, t))
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[int] = set()
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, children = stack[-1]
            for i, child in children:
                if state.get(child) == 1:
                    back.add(i)
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(out[child])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return back


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from the sources, in a topological order that keeps the given node order on ties."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        if s != t:
            preds[t].append(s)
            succs[s].append(t)
    indegree = {n: len(preds[n]) for n in nodes}
    position = {n: i for i, n in enumerate(nodes)}
    ready = sorted((n for n in nodes if indegree[n] == 0), key=position.__getitem__)
    layer: dict[str, int] = {}
    while ready:
        node = ready.pop(0)
        layer[node] = max((layer[p] + 1 for p in preds[node]), default=0)
        for child in succs[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
                ready.sort(key=position.__getitem__)
    return layer


def layout(nodes: list[str], edges: list[tuple[str, str, str, str]]) -> Layout:
    """Place `nodes` (ids, in reading order) and route `edges` (source, target, kind, label)."""
    pairs = [(s, t) for s, t, _, _ in edges]
    back = _acyclic(nodes, pairs)
    directed = [(t, s) if i in back else (s, t) for i, (s, t) in enumerate(pairs)]
    layer = _layers(nodes, directed)

    # Dummy nodes: one per layer crossed by a long edge.
    chains: list[list[str]] = []
    rank = dict(layer)
    for i, (s, t) in enumerate(directed):
        chain = [s]
        for level in range(layer[s] + 1, layer[t]):
            dummy = f"~{i}~{level}"
            rank[dummy] = level
            chain.append(dummy)
        chain.append(t)
        chains.append(chain)
    depth = max(rank.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for node in nodes:
        rows[rank[node]].append(node)
    for chain in chains:
        for dummy in chain[1:-1]:
            rows[rank[dummy]].append(dummy)

    up: dict[str, list[str]] = {n: [] for n in rank}
    down: dict[str, list[str]] = {n: [] for n in rank}
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            if a != b:
                down[a].append(b)
                up[b].append(a)

    def sweep(order_rows: list[list[str]], neighbours: dict[str, list[str]], indexes) -> None:
        for r in indexes:
            fixed = {n: i for i, n in enumerate(order_rows[r - 1 if neighbours is up else r + 1])}
            current = {n: i for i, n in enumerate(order_rows[r])}

            def centre(n: str, fixed=fixed, current=current) -> float:
                linked = [fixed[m] for m in neighbours[n] if m in fixed]
                return sum(linked) / len(linked) if linked else current[n]

            order_rows[r].sort(key=lambda n: (centre(n), current[n]))

    for _ in range(SWEEPS):
        sweep(rows, up, range(1, depth))
        sweep(rows, down, range(depth - 2, -1, -1))

    def width_of(n: str) -> float:
        return DUMMY_WIDTH if n.startswith("~") else NODE_WIDTH

    row_widths = [sum(width_of(n) for n in row) + H_GAP * max(len(row) - 1, 0) for row in rows]
    total = max(row_widths, default=0)
    result = Layout(width=total + 2 * MARGIN, height=depth * NODE_HEIGHT + max(depth - 1, 0) * V_GAP + 2 * MARGIN)
    placed: dict[str, PlacedNode] = {}
    for r, row in enumerate(rows):
        x = MARGIN + (total - row_widths[r]) / 2
        y = MARGIN + r * (NODE_HEIGHT + V_GAP)
        for n in row:
            placed[n] = PlacedNode(n, x, y, width_of(n), NODE_HEIGHT, r)
            x += width_of(n) + H_GAP
    result.nodes = {n: p for n, p in placed.items() if not n.startswith("~")}
    result.layers = [[n for n in row if not n.startswith("~")] for row in rows]

    for i, ((source, target, kind, label), chain) in enumerate(zip(edges, chains, strict=True)):
        reversed_ = i in back
        if reversed_:
            chain = list(reversed(chain))
        first, last = placed[chain[0]], placed[chain[-1]]
        if source == target:  # a step naming itself: a small loop on its right side
            right = first.x + first.width
            points = [(right, first.y + 18), (right + 24, first.y + 28), (right, first.y + 38)]
        else:
            start = (first.cx, first.y + first.height) if last.layer > first.layer else (first.cx, first.y)
            end = (last.cx, last.y) if last.layer > first.layer else (last.cx, last.y + last.height)
            middle = [(placed[d].cx, placed[d].y + NODE_HEIGHT / 2) for d in chain[1:-1]]
            points = [start, *middle, end]
        result.edges.append(PlacedEdge(source, target, kind, label, points, reversed_))
    return result


def overlaps(result: Layout) -> list[tuple[str, str]]:
    """Pairs of placed nodes whose boxes intersect (the tests expect none)."""
    boxes = list(result.nodes.values())
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height:
                found.append((a.id, b.id))
    return found

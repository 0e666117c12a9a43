"""Export tie layers, or a sample of residents, to networkx graphs and GraphML.

:func:`layer_graph` turns one layer of a model (or all layers at once) into an undirected
:class:`networkx.Graph` whose nodes are residents (their integer index) with their main
attributes. With ``sample=k`` it keeps ``k`` residents drawn uniformly (``numpy`` Generator of
``seed``) and the induced subgraph, computed from the arrays filtered to the sample, so a sample
of a 1M-resident model never builds the full graph.

Layers:

- ``household``: a clique among the members of each household.
- ``work_school``: a clique among the members of each work or school group of at most
  :data:`MAX_CLIQUE` members. A larger group (a big workplace) would contribute a dense block
  of ``size**2 / 2`` edges, so there each member is instead tied to :data:`LARGE_GROUP_TIES`
  co-members: the group's members are put in a random order (from the model's named stream
  ``export.large_groups``, so it is the same for every sample and every ``seed``) and each is
  joined to the ``LARGE_GROUP_TIES / 2`` members after it and as many before it, wrapping
  round (a circulant graph). Every member of a large group then has exactly
  ``LARGE_GROUP_TIES`` co-member ties, and a group of ``s`` members has
  ``s * LARGE_GROUP_TIES / 2`` edges.
- ``neighbourhood``: the model's neighbourhood ties (``model.nb_edges``).
- ``friendship``: the current friendship ties, with their ``strength`` (float).
- ``all``: the union as a simple graph; each edge has ``layers``, a tuple of the names of the
  layers joining that pair (in the order of :data:`LAYERS`), and ``strength`` if one of them
  is a friendship.

Node attributes: ``age`` (int), ``sex``, ``activity`` and ``household_type`` (English labels of
:data:`sim.core.codes.LABELS`), ``municipality`` (name), ``zone`` (int), ``lonely`` (bool) and
``latent`` (float). Activity, loneliness and work or school groups are the model's current
state. Nodes are the living residents only (``pop.age >= 0``): with ``demography=dynamic`` an
inactive slot (a resident who died or moved away, or capacity not used yet) is left out with
its ties, and ``n_residents`` counts the living.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from sim.core.codes import LABELS

if TYPE_CHECKING:
    from sim.engine.model import LonelinessModel

#: Layers :func:`layer_graph` can export (the last is the union of the others).
LAYERS: tuple[str, ...] = ("household", "work_school", "neighbourhood", "friendship", "all")
#: Largest work or school group exported as a full clique.
MAX_CLIQUE: int = 50
#: Co-member ties of each member of a larger group (even; must be below ``MAX_CLIQUE``).
LARGE_GROUP_TIES: int = 20

_Edges = tuple[np.ndarray, np.ndarray]


def layer_graph(
    model: LonelinessModel, layer: str, *, sample: int | None = None, seed: int = 0
) -> nx.Graph:
    """One tie layer (or all of them) as an undirected networkx graph of residents.

    Args:
        model: a built (and possibly stepped) model.
        layer: one of :data:`LAYERS`.
        sample: keep this many residents, drawn uniformly without replacement, and the edges
            among them (the induced subgraph); ``None`` keeps everyone.
        seed: seed of the sample (``numpy.random.Generator(PCG64(seed))``); the edges do not
            depend on it, so a sample is always an induced subgraph of the full graph.

    Returns:
        The graph of living residents; ``graph.graph`` holds ``layer``, ``n_residents`` (living),
        ``sample`` and ``seed``.

    Raises:
        ValueError: for an unknown layer or a sample size outside ``0..n``.
    """
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
    n = model.pop.n
    living = np.flatnonzero(model.pop.age >= 0)  # inactive slots (age -1) are nobody
    nodes = _sample_nodes(living, n, sample, seed)
    keep = np.zeros(n, dtype=bool)
    keep[nodes] = True
    graph = nx.Graph(
        layer=layer, n_residents=living.size, sample=-1 if sample is None else sample, seed=seed
    )
    graph.add_nodes_from(zip(nodes.tolist(), _node_attributes(model, nodes), strict=True))
    if layer == "all":
        _add_union(graph, model, nodes, keep)
    elif layer == "friendship":
        src, dst, strength = _friendship_edges(model, keep)
        graph.add_edges_from(
            (a, b, {"strength": s})
            for a, b, s in zip(src.tolist(), dst.tolist(), strength.tolist(), strict=True)
        )
    else:
        src, dst = layer_edges(model, layer, nodes, keep)
        graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return graph


def layer_edges(model: LonelinessModel, layer: str, nodes: np.ndarray, keep: np.ndarray) -> _Edges:
    """Edges of one layer among the kept residents, as two int64 arrays (``src < dst``).

    Args:
        model: the model.
        layer: ``household``, ``work_school``, ``neighbourhood`` or ``friendship``.
        nodes: the kept residents, sorted.
        keep: boolean mask of the kept residents (length ``model.pop.n``).

    Returns:
        Source and destination of each edge.
    """
    if layer == "household":  # reused slots (dynamic) put members apart: group them first
        hh = model.pop.household[nodes]
        order = np.argsort(hh, kind="stable")
        return _clique_edges(nodes[order], hh[order])
    if layer == "work_school":
        return _work_school_edges(model, nodes, keep)
    if layer == "neighbourhood":
        e = model.nb_edges
        inside = keep[e[:, 0]] & keep[e[:, 1]]
        return _ordered(e[inside, 0], e[inside, 1])
    if layer == "friendship":
        src, dst, _ = _friendship_edges(model, keep)
        return src, dst
    raise ValueError(f"unknown single layer {layer!r}")


def write_graphml(graph: nx.Graph, path: str | PathLike[str]) -> None:
    """Write a graph to GraphML, converting attribute values to types GraphML accepts.

    Numpy scalars become Python scalars, tuples and lists become comma-separated strings (so
    ``layers`` reads back as e.g. ``"household,friendship"``) and ``None`` values are dropped.
    Node ids read back as strings unless ``networkx.read_graphml(path, node_type=int)``.

    Args:
        graph: the graph, e.g. from :func:`layer_graph`.
        path: output file (``.graphml``).
    """
    out = nx.Graph(**_graphml_attrs(graph.graph))
    out.add_nodes_from((v, _graphml_attrs(d)) for v, d in graph.nodes(data=True))
    out.add_edges_from((a, b, _graphml_attrs(d)) for a, b, d in graph.edges(data=True))
    nx.write_graphml(out, path)


def _graphml_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attribute values as ``bool``, ``int``, ``float`` or ``str``."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        if isinstance(v, np.generic):
            v = v.item()
        elif isinstance(v, list | tuple | np.ndarray):
            v = ",".join(str(x) for x in np.asarray(v).tolist())
        out[str(k)] = v
    return out


def _sample_nodes(living: np.ndarray, n: int, sample: int | None, seed: int) -> np.ndarray:
    """Sorted resident indices kept: every living resident, or a uniform sample of ``sample``.

    With every slot living (``demography=static``) the sample is the one drawn before slots
    could be inactive, so static exports are unchanged.
    """
    if sample is None:
        return living.astype(np.int64)
    if not 0 <= sample <= living.size:
        raise ValueError(
            f"sample must be between 0 and the {living.size} living residents, got {sample}"
        )
    rng = np.random.Generator(np.random.PCG64(seed))
    pool = n if living.size == n else living
    return np.sort(rng.choice(pool, size=sample, replace=False)).astype(np.int64)


def _node_attributes(model: LonelinessModel, nodes: np.ndarray) -> Iterable[dict[str, Any]]:
    """Attribute dicts of the kept residents, in the order of ``nodes``."""
    pop, res = model.pop, model.res
    names = model.region.municipalities["name"].astype(str).to_numpy()
    columns = {
        "age": pop.age[nodes].tolist(),
        "sex": _labels("sex", pop.sex[nodes]),
        "municipality": names[pop.municipality[nodes]].tolist(),
        "zone": pop.zone[nodes].tolist(),
        "household_type": _labels("household_type", pop.household_type[pop.household[nodes]]),
        "activity": _labels("activity", res.activity[nodes]),
        "lonely": res.lonely[nodes].tolist(),
        "latent": res.latent[nodes].astype(float).tolist(),
    }
    keys = list(columns)
    return (dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True))


def _labels(kind: str, codes: np.ndarray) -> list[str]:
    """English labels of integer codes."""
    table = LABELS[kind]["en"]
    lookup = np.array([table[i] for i in range(max(table) + 1)], dtype=object)
    return lookup[codes.astype(np.int64)].tolist()


def _ordered(a: np.ndarray, b: np.ndarray) -> _Edges:
    """Edge endpoints as int64 with ``src < dst``."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    return np.minimum(a, b), np.maximum(a, b)


def _clique_edges(members: np.ndarray, labels: np.ndarray) -> _Edges:
    """All pairs of members sharing a label (``members`` sorted so labels are contiguous).

    Args:
        members: resident indices, grouped so equal labels are adjacent.
        labels: group label of each member.

    Returns:
        Source and destination of each pair, ``src < dst``.
    """
    n = members.size
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    start = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    size = np.diff(np.r_[start, n])
    run_end = np.repeat(start + size, size)
    reps = run_end - np.arange(n) - 1  # partners after each member in its run
    first = np.repeat(np.arange(n), reps)
    offset = np.arange(first.size) - np.repeat(np.cumsum(reps) - reps, reps) + 1
    return _ordered(members[first], members[first + offset])


def _work_school_edges(model: LonelinessModel, nodes: np.ndarray, keep: np.ndarray) -> _Edges:
    """Cliques in small work and school groups, circulant ties in large ones (see module doc)."""
    group = model.res.group
    n_groups = model.groups.n
    size = np.bincount(group[group >= 0], minlength=n_groups)
    g = group[nodes]
    in_small = nodes[(g >= 0) & (size[np.maximum(g, 0)] <= MAX_CLIQUE)]
    order = np.argsort(group[in_small], kind="stable")
    small = _clique_edges(in_small[order], group[in_small][order])
    rng = model.streams.get("export.large_groups")
    large = _large_group_edges(group, size, keep, rng)
    return np.concatenate([small[0], large[0]]), np.concatenate([small[1], large[1]])


def _large_group_edges(
    group: np.ndarray, size: np.ndarray, keep: np.ndarray, rng: np.random.Generator
) -> _Edges:
    """Circulant ties inside groups of more than :data:`MAX_CLIQUE` members, among kept nodes.

    The member order inside each large group is drawn over all members (one uniform each, in
    resident order), so it does not depend on the sample and a sample gets the induced subgraph.
    """
    members = np.flatnonzero((group >= 0) & (size[np.maximum(group, 0)] > MAX_CLIQUE))
    if members.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    g = group[members].astype(np.int64)
    u = rng.random(group.size)[members]
    order = members[np.lexsort((u, g))]  # random order within each group
    g_sorted = group[order].astype(np.int64)
    start = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    group_start = np.zeros(size.size, np.int64)
    group_start[g_sorted[start]] = start
    rank = np.arange(order.size) - group_start[g_sorted]  # position inside the group
    mine = keep[order]
    src, src_rank, src_g = order[mine], rank[mine], g_sorted[mine]
    half = LARGE_GROUP_TIES // 2
    step = np.arange(1, half + 1)
    dst_rank = (src_rank[:, None] + step[None, :]) % size[src_g][:, None]
    dst = order[group_start[src_g][:, None] + dst_rank].ravel()
    src = np.repeat(src, half)
    inside = keep[dst]
    return _ordered(src[inside], dst[inside])


def _friendship_edges(model: LonelinessModel, keep: np.ndarray) -> tuple[np.ndarray, ...]:
    """Friendship ties among kept residents, with their strength (float64)."""
    f = model.friends
    inside = keep[f.src] & keep[f.dst]
    src, dst = _ordered(f.src[inside], f.dst[inside])
    return src, dst, f.strength[inside].astype(float)


def _add_union(
    graph: nx.Graph, model: LonelinessModel, nodes: np.ndarray, keep: np.ndarray
) -> None:
    """Add the union of all layers, each edge tagged with the layers joining the pair."""
    singles = LAYERS[:-1]
    keys, bits = [], []
    for i, name in enumerate(singles):
        src, dst = layer_edges(model, name, nodes, keep)
        keys.append(src << 32 | dst)
        bits.append(np.full(src.size, 1 << i, np.int64))
    key, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    mask = np.zeros(key.size, np.int64)
    np.bitwise_or.at(mask, inverse, np.concatenate(bits))
    fsrc, fdst, fstrength = _friendship_edges(model, keep)
    strength = np.full(key.size, np.nan)
    strength[np.searchsorted(key, fsrc << 32 | fdst)] = fstrength
    names = [
        tuple(s for i, s in enumerate(singles) if m >> i & 1) for m in range(1 << len(singles))
    ]
    for k, m, s in zip(key.tolist(), mask.tolist(), strength.tolist(), strict=True):
        attrs: dict[str, Any] = {"layers": names[m]}
        if s == s:  # not NaN: a friendship
            attrs["strength"] = s
        graph.add_edge(k >> 32, k & 0xFFFFFFFF, **attrs)

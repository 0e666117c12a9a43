import networkx as nx
import numpy as np
import pytest

from sim.config import compose_config
from sim.engine.model import LonelinessModel
from sim.io.export import LARGE_GROUP_TIES, LAYERS, MAX_CLIQUE, layer_graph, write_graphml

NODE_ATTRS = {
    "age",
    "sex",
    "municipality",
    "zone",
    "household_type",
    "activity",
    "lonely",
    "latent",
}


@pytest.fixture(scope="module")
def model():
    # static: every slot is a living resident, so the counts below read the arrays directly
    cfg = compose_config(
        ["population.scale=0.01", "years=1", "burn_in_weeks=0", "demography=static"]
    )
    m = LonelinessModel(cfg)
    for _ in range(6):  # past a compaction, so the friendship arrays have changed
        m.step()
    return m


@pytest.fixture(scope="module")
def graphs(model):
    return {layer: layer_graph(model, layer) for layer in LAYERS}


def expected_work_school_edges(model):
    g = model.res.group
    size = np.bincount(g[g >= 0], minlength=model.groups.n).astype(np.int64)
    small = size[size <= MAX_CLIQUE]
    large = size[size > MAX_CLIQUE]
    return int((small * (small - 1) // 2).sum() + (large * LARGE_GROUP_TIES // 2).sum())


def test_node_counts_and_attributes(model, graphs):
    for layer, g in graphs.items():
        assert g.number_of_nodes() == model.pop.n, layer
        assert not g.is_directed() and not g.is_multigraph()
    g = graphs["friendship"]
    attrs = g.nodes[17]
    assert set(attrs) == NODE_ATTRS
    assert attrs["age"] == int(model.pop.age[17])
    assert attrs["sex"] in {"male", "female"}
    assert attrs["municipality"] in set(model.region.municipalities["name"])
    assert attrs["lonely"] == bool(model.res.lonely[17])
    assert attrs["latent"] == pytest.approx(float(model.res.latent[17]))
    lonely = sum(d["lonely"] for _, d in g.nodes(data=True))
    assert lonely == int(model.res.lonely.sum())


def test_edge_counts_match_the_arrays(model, graphs):
    sizes = model.pop.household_size.astype(np.int64)
    assert graphs["household"].number_of_edges() == int((sizes * (sizes - 1) // 2).sum())
    assert graphs["friendship"].number_of_edges() == model.friends.n_edges
    assert graphs["neighbourhood"].number_of_edges() == model.nb_edges.shape[0]
    assert graphs["work_school"].number_of_edges() == expected_work_school_edges(model)


def test_household_and_friendship_edges_are_the_right_pairs(model, graphs):
    hh = model.pop.household
    assert all(hh[a] == hh[b] for a, b in graphs["household"].edges())
    f = model.friends
    g = graphs["friendship"]
    for i in range(0, f.n_edges, 97):
        a, b = int(f.src[i]), int(f.dst[i])
        assert g.edges[a, b]["strength"] == pytest.approx(float(f.strength[i]))


def test_large_groups_have_bounded_degree(model, graphs):
    g = model.res.group
    size = np.bincount(g[g >= 0], minlength=model.groups.n)
    big = np.flatnonzero(size > MAX_CLIQUE)
    assert big.size > 0  # the test population has some large workplaces
    ws = graphs["work_school"]
    members = np.flatnonzero(g == big[0])
    assert all(ws.degree[int(v)] == LARGE_GROUP_TIES for v in members)
    assert all(g[a] == g[b] for a, b in ws.edges())


def test_union_tags_each_pair_with_its_layers(graphs):
    union = graphs["all"]
    pairs = {}
    for layer in LAYERS[:-1]:
        for a, b in graphs[layer].edges():
            pairs.setdefault((min(a, b), max(a, b)), []).append(layer)
    assert union.number_of_edges() == len(pairs)
    for (a, b), layers in pairs.items():
        d = union.edges[a, b]
        assert d["layers"] == tuple(layers)
        assert ("strength" in d) == ("friendship" in layers)


@pytest.mark.parametrize("layer", LAYERS)
def test_sample_is_the_induced_subgraph(model, graphs, layer):
    k = model.pop.n // 3
    sampled = layer_graph(model, layer, sample=k, seed=5)
    assert sampled.number_of_nodes() == k
    rng = np.random.Generator(np.random.PCG64(5))
    assert sorted(sampled.nodes) == sorted(rng.choice(model.pop.n, k, replace=False).tolist())
    full = graphs[layer].subgraph(sampled.nodes)
    assert {frozenset(e) for e in sampled.edges()} == {frozenset(e) for e in full.edges()}
    if layer == "all":
        assert all(sampled.edges[e]["layers"] == full.edges[e]["layers"] for e in full.edges())
    assert sampled.nodes[next(iter(sampled.nodes))].keys() == NODE_ATTRS


def test_sample_is_reproducible_and_checked(model):
    a = layer_graph(model, "friendship", sample=200, seed=3)
    b = layer_graph(model, "friendship", sample=200, seed=3)
    c = layer_graph(model, "friendship", sample=200, seed=4)
    assert list(a.nodes) == list(b.nodes) and set(a.edges) == set(b.edges)
    assert list(a.nodes) != list(c.nodes)
    with pytest.raises(ValueError, match="sample"):
        layer_graph(model, "friendship", sample=model.pop.n + 1)
    with pytest.raises(ValueError, match="unknown layer"):
        layer_graph(model, "school")


@pytest.mark.parametrize("layer", ["friendship", "all"])
def test_graphml_round_trip(model, tmp_path, layer):
    g = layer_graph(model, layer, sample=1500, seed=1)
    path = tmp_path / f"{layer}.graphml"
    write_graphml(g, path)
    back = nx.read_graphml(path, node_type=int)
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    v = next(iter(g.nodes))
    assert back.nodes[v]["age"] == g.nodes[v]["age"]
    assert back.nodes[v]["lonely"] is g.nodes[v]["lonely"]
    assert back.nodes[v]["municipality"] == g.nodes[v]["municipality"]
    a, b, d = next(iter(g.edges(data=True)))
    if layer == "all":
        assert back.edges[a, b]["layers"] == ",".join(d["layers"])
    else:
        assert back.edges[a, b]["strength"] == pytest.approx(d["strength"])


def test_dynamic_export_keeps_only_living_residents():
    cfg = compose_config(["population.scale=0.005", "years=1", "burn_in_weeks=0"])
    m = LonelinessModel(cfg)
    for _ in range(8):  # some die or move away: their slots are inactive (age -1)
        m.step()
    living = np.flatnonzero(m.pop.age >= 0)
    assert 0 < living.size < m.pop.n  # inactive slots exist (deaths, moves, reserved capacity)
    for layer in ("household", "all"):
        g = layer_graph(m, layer)
        assert sorted(g.nodes) == living.tolist() and g.graph["n_residents"] == living.size
        assert all(d["age"] >= 0 for _, d in g.nodes(data=True))
    hh = m.pop.household[living]
    sizes = np.bincount(hh).astype(np.int64)
    assert layer_graph(m, "household").number_of_edges() == int((sizes * (sizes - 1) // 2).sum())
    sampled = layer_graph(m, "friendship", sample=100, seed=2)
    assert set(sampled.nodes) <= set(living.tolist()) and sampled.number_of_nodes() == 100
    with pytest.raises(ValueError, match="living residents"):
        layer_graph(m, "friendship", sample=living.size + 1)

"""Regions of household blocks: the ground cut into pieces around the blocks, grouped into contiguous
regions whose household totals lie within a floor and a cap.

The pieces are the blocks' Voronoi cells inside the ground, formed in a single noding of the diagram's
edges with the ground's boundary, so neighbouring pieces share exactly the same vertices and any union
of them is exact. Where a cell border crosses the ground's boundary the noding adds a vertex the grids
and village beyond the ground do not have; a region border ending there would leave a T-junction
(a sliver, or a micro-overlap, against the neighbour). So the pieces on both sides of every such
crossing are tied into one node, a corner piece is split from the corner vertex inwards so the ties
stop at the ground's own vertices, and the crossings are dropped from the regions at the end: every
region meets the ground's boundary along its original edges only.

GerryChain's recursive spanning-tree partition (ReCom's seed generator) groups the nodes into
connected parts of target ± ε households.
"""

import itertools
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import cast

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
import shapely.ops
from gerrychain import Graph
from gerrychain.partition import recursive_tree_part
from gerrychain.tree import PopulationBalanceError, bipartition_tree
from numpy.typing import NDArray

from gis.coverage import Geoms, to_metric
from gis.crs import METRIC_SRID

HOUSEHOLDS = "households"
SEEDS = 8
"""Spanning-tree partitions drawn per try (seeds 0…7); the one with the shortest borders is kept."""
ATTEMPTS = 100
"""Spanning trees GerryChain draws for one cut before it gives up."""
GIVE_UP = 3
"""Seeds that must all fail before a (regions, ε) try is abandoned for a looser one."""
WIDEN = 1.5
"""When no partition lies within the bounds, ε grows by this factor (the result is then reported)."""
MIN_EPSILON, MOST_EPSILON = 0.05, 0.95
"""ε of the most balanced try when the range cannot hold, and of the loosest (parts of 5%–195% of target)."""


Coord = tuple[float, float]


@dataclass(frozen=True)
class Pieces:
    """The ground cut into pieces that tile it exactly, each with the node it belongs to."""

    geoms: Geoms
    node: NDArray[np.int64]
    crossings: frozenset[Coord]
    """Vertices the cutting added on the ground's boundary (both sides always lie in one node)."""


def cut_ground(points: Geoms, ground: shapely.Geometry) -> Pieces:
    """The ground cut by the points' Voronoi diagram, corner pieces split, crossings tied (storage CRS)."""
    minx, miny, maxx, maxy = ground.bounds
    frame = shapely.box(minx, miny, maxx, maxy).buffer(max(maxx - minx, maxy - miny))
    edges = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, only_edges=True)
    lines = shapely.union_all([edges, shapely.boundary(ground)])  # nodes every crossing once
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    shapely.prepare(ground)
    faces = faces[shapely.covers(ground, shapely.point_on_surface(faces))]
    corners = _coords(ground)
    inner = _coords(edges) - corners
    crossings = _coords(faces) - corners - inner
    pieces = np.array([p for f in faces for p in _split_corners(f, corners, crossings)], dtype=object)
    return Pieces(pieces, _tied(pieces, crossings), frozenset(crossings))


def _coords(geoms: shapely.Geometry | Geoms) -> set[Coord]:
    return {(float(x), float(y)) for x, y in shapely.get_coordinates(geoms)}


def _split_corners(
    face: shapely.Polygon, corners: set[Coord], crossings: set[Coord]
) -> list[shapely.Polygon]:
    """The face cut by a chord from the first ground vertex of each boundary run between two crossings
    to the nearest cell vertex the chord can reach inside it (a run no chord can cut stays whole)."""
    ring = [(float(x), float(y)) for x, y in face.exterior.coords[:-1]]
    cuts = []
    for i, c in enumerate(ring):
        if c not in crossings:
            continue
        rest = ring[i + 1 :] + ring[:i]
        run = list(itertools.takewhile(lambda v: v in corners, rest))
        if run and len(run) < len(rest) and rest[len(run)] in crossings:
            cuts.append(run[0])
    pieces = [face]
    for corner in cuts:
        k = next(k for k, p in enumerate(pieces) if corner in _coords(p))
        parts = _chord_split(pieces[k], corner, corners | crossings)
        pieces[k : k + 1] = parts
    return pieces


def _chord_split(piece: shapely.Polygon, corner: Coord, boundary: set[Coord]) -> list[shapely.Polygon]:
    inside = sorted(_coords(piece.exterior) - boundary, key=lambda v: math.dist(v, corner))
    for target in inside:
        chord = shapely.LineString([corner, target])
        if not piece.covers(chord):
            continue
        parts = shapely.get_parts(shapely.ops.split(piece, chord))
        if len(parts) == 2:
            return list(parts)
    return [piece]


def _tied(pieces: Geoms, crossings: set[Coord]) -> NDArray[np.int64]:
    """Nodes: pieces sharing a crossing vertex, joined transitively; numbered by their first piece."""
    coords, owner = shapely.get_coordinates(pieces, return_index=True)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(pieces)))
    at: dict[Coord, int] = {}
    for (x, y), piece in zip(coords.tolist(), owner.tolist(), strict=True):
        if (x, y) in crossings:
            graph.add_edge(at.setdefault((x, y), piece), piece)
    node = np.empty(len(pieces), dtype=np.int64)
    for n, members in enumerate(sorted(nx.connected_components(graph), key=min)):
        node[sorted(members)] = n
    return node


def node_weights(pieces: Pieces, points: Geoms, households: NDArray[np.int64]) -> NDArray[np.int64]:
    """Households of the points each node covers (a point on a shared edge counts for the first piece)."""
    point, piece = shapely.STRtree(pieces.geoms).query(points, predicate="covered_by")
    first = np.unique(point, return_index=True)[1]
    weights = np.bincount(
        pieces.node[piece[first]], weights=households[point[first]], minlength=int(pieces.node.max()) + 1
    )
    return weights.astype(np.int64)


def node_shapes(pieces: Pieces) -> Geoms:
    """Each node's ground: the union of its pieces."""
    return np.array(
        [
            shapely.coverage_union_all(pieces.geoms[pieces.node == n])
            for n in range(int(pieces.node.max()) + 1)
        ],
        dtype=object,
    )


@dataclass(frozen=True)
class Split:
    """Nodes grouped into regions: the region of each node, and whether the bounds had to be widened."""

    labels: NDArray[np.int64]
    widened: bool


def split_nodes(shapes: Geoms, weights: NDArray[np.int64], *, floor: int, cap: int) -> Split:
    """Group nodes (shapes in the storage CRS) into connected regions of `floor`–`cap` households, each
    part of the ground apart.

    A node above the cap counts as the floor while regions are formed, so it gets a region of its own
    (or nearly) rather than making every split impossible. Where no partition within the bounds is
    found, ε is widened until one is, and `widened` says so. Same input, same answer.
    """
    frame = gpd.GeoDataFrame(
        {HOUSEHOLDS: np.where(weights > cap, max(floor, 1), weights)},
        geometry=to_metric(shapes),
        crs=METRIC_SRID,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands and slow cuts: both handled here
        graph = Graph.from_geodataframe(frame, adjacency="rook", cols_to_add=[HOUSEHOLDS]).get_nx_graph()
        labels = np.zeros(len(shapes), dtype=np.int64)
        widened, first = False, 0
        for component in sorted(nx.connected_components(graph), key=min):
            found, relaxed = _split_component(graph.subgraph(sorted(component)).copy(), floor=floor, cap=cap)
            for node, region in found.items():
                labels[node] = first + region
            first += max(found.values()) + 1
            widened |= relaxed
    return Split(labels, widened)


def region_count(total: int, *, floor: int, cap: int) -> int:
    """How many regions `total` households make: the count whose mean lies nearest the middle of
    `floor`–`cap` (the widest room either side), at least ceil(total / cap); fewer on a tie."""
    fewest = max(1, math.ceil(total / cap))
    most = max(fewest, total // floor) if floor > 0 else fewest
    return max(range(fewest, most + 1), key=lambda k: (_room(total / k, floor, cap), -k))


def _room(target: float, floor: int, cap: int) -> float:
    """ε that keeps target ± ε·target within floor–cap (negative when the target lies outside)."""
    return min(target - floor, cap - target) / target if target > 0 else -1.0


def _split_component(part: nx.Graph, *, floor: int, cap: int) -> tuple[dict[int, int], bool]:
    total = int(sum(part.nodes[n][HOUSEHOLDS] for n in part.nodes))
    for count, epsilon, widened in _tries(total, part.number_of_nodes(), floor=floor, cap=cap):
        found = _best_partition(part, count, total / count, epsilon)
        if found is not None:
            return found, widened
    return dict.fromkeys(part.nodes, 0), region_count(total, floor=floor, cap=cap) > 1


def _tries(total: int, nodes: int, *, floor: int, cap: int) -> Iterator[tuple[int, float, bool]]:
    """(regions, ε, widened) to try in turn: the range itself; then, keeping the cap, the floor let go
    step by step (with one region more after); at last the cap let go too, with fewer regions."""
    count = min(region_count(total, floor=floor, cap=cap), nodes)
    if count <= 1:
        return
    room = _room(total / count, floor, cap)
    if room > 0:
        yield count, room, False
    for k in range(count, min(count + 1, nodes) + 1):
        keeps_cap = min(MOST_EPSILON, (cap - total / k) / (total / k))
        epsilon = room if room > 0 else MIN_EPSILON / WIDEN
        while epsilon < keeps_cap:
            epsilon = min(keeps_cap, epsilon * WIDEN)
            yield k, epsilon, True
    for k in range(count, 1, -1):
        epsilon = min(MOST_EPSILON, (cap - total / k) / (total / k)) if cap > total / k else MIN_EPSILON
        while epsilon < MOST_EPSILON:
            epsilon = min(MOST_EPSILON, epsilon * WIDEN)
            yield k, epsilon, True


def _best_partition(part: nx.Graph, count: int, target: float, epsilon: float) -> dict[int, int] | None:
    """Of the partitions seeds 0…SEEDS-1 give, the one with the shortest borders between regions (None if
    the first GIVE_UP seeds all fail: the bounds are then too tight for this graph)."""
    best: tuple[float, dict[int, int]] | None = None
    for seed in range(SEEDS):
        if best is None and seed >= GIVE_UP:
            return None
        try:
            drawn = recursive_tree_part(
                Graph.from_networkx(part),
                range(count),
                target,
                HOUSEHOLDS,
                epsilon,
                bipartition_tree_fn=partial(bipartition_tree, max_attempts=ATTEMPTS),
                rng=seed,
            )
        except (RuntimeError, PopulationBalanceError):
            continue
        found = {cast(int, node): cast(int, region) for node, region in drawn.items()}
        border = sum(d["shared_perim"] for a, b, d in part.edges(data=True) if found[a] != found[b])
        if best is None or border < best[0]:
            best = (border, found)
    return None if best is None else best[1]


def dissolve(pieces: Pieces, labels: NDArray[np.int64]) -> Geoms:
    """One MultiPolygon per region (storage CRS) from the region of each node, without the crossings."""
    region = labels[pieces.node]
    return np.array(
        [
            _without(shapely.coverage_union_all(pieces.geoms[region == k]), pieces.crossings)
            for k in range(int(labels.max()) + 1)
        ],
        dtype=object,
    )


def _without(geom: shapely.Geometry, drop: frozenset[Coord]) -> shapely.MultiPolygon:
    """The polygons with the vertices in `drop` left out of their rings."""

    def ring(coords: list[Coord]) -> list[Coord]:
        kept = [c for c in coords[:-1] if c not in drop]
        return [*kept, kept[0]]

    return shapely.MultiPolygon(
        [
            shapely.Polygon(ring(list(p.exterior.coords)), [ring(list(h.coords)) for h in p.interiors])
            for p in shapely.get_parts(geom)
        ]
    )

"""The annual pipeline on a Dask cluster (GeoPandas partitions on ``dask.distributed``, issue #20).

The same steps and engines as :mod:`indspace.services.pipeline` (``--engine local``), with
the geometric work done partition by partition on the cluster's workers:

* **overlay** — per parcel partition, on its district's buildings plus the halo of the
  neighbouring partitions' buildings (:func:`indspace.services.pipeline_overlay.overlay_futures`,
  one future per task over the files' paths);
* **control-line overlay** — per parcel partition, the blocks in force broadcast to all;
* **evaluation, 地企双评 and the policy measures** — grading groups span partitions (an
  industry across the city), so their statistics are computed once over the whole (tabular,
  small) input in the client, while the workers overlay, and every firm graded against them:
  the benchmarks a single-machine run gives;
* **low-efficiency identification** — vectorised over the whole parcel table in the
  client (its one group statistic, the same-industry average tax per mu, is per district);
* **contiguous units** — each partition finds the contiguity pairs of its low-efficiency
  parcels and of those of its neighbours within the gap of its box; the pairs of all
  partitions are *stitched* into one graph, whose connected components are the units
  (labelled by :func:`indspace.core.engines.units.label_units`, the ids :func:`delineate`
  gives);
* **contract monitoring** — on the whole contract table (per contract, no geometry), read
  only for this step.

Each output is written as soon as it is final and let go (``summary.json`` last, so a run
that fails part-way leaves some output files but no summary).

A :class:`distributed.LocalCluster` by default (``n_workers`` from the cores, a memory limit
per worker), or ``scheduler="tcp://HOST:8786"`` for a running cluster whose workers see the
same input folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from indspace.core.engines.dual import DualResult
from indspace.core.engines.units import components, label_units
from indspace.core.policy import PolicyProfile
from indspace.services.land import storey_limit
from indspace.services.pipeline import (
    PipelineResult,
    Progress,
    check_input,
    check_year,
    districts_of,
    evaluate_tables,
    evaluation_summary,
    low_parcels,
    lowuse_table,
    output_frame,
    read_contracts,
    read_lines,
    read_parcel_shapes,
    read_tables,
    summarise,
    supply_alerts,
    unit_gap,
    units_of,
    write_outputs,
    write_summary,
)
from indspace.services.pipeline_overlay import (
    connect,
    default_workers,
    file_box,
    free_workers,
    gather_overlay,
    meets,
    overlay_futures,
    pairs_partition,
    release_memory,
)

__all__ = [
    "connect",
    "default_workers",
    "file_box",
    "gather_overlay",
    "overlay_futures",
    "release_memory",
    "run_dask",
    "stitch_units",
]


# ------------------------------------------------------------------ the run
def run_dask(
    input_dir: Path,
    year: int,
    profile: PolicyProfile,
    on: date,
    out: Path,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    memory_limit: str = "3GiB",
    threads: bool = False,
    progress: Progress | None = None,
    on_dashboard: Callable[[str], None] | None = None,
    on_tasks: Callable[[int, int], None] | None = None,
) -> PipelineResult:
    """Every step on a Dask cluster (see the module docstring); the same outputs as
    :func:`indspace.services.pipeline.run_local`."""
    step = progress or (lambda _name: None)
    check_input(input_dir)
    client, cluster = connect(scheduler, n_workers, memory_limit, threads=threads)
    try:
        dashboard = client.dashboard_link
        if on_dashboard:
            on_dashboard(dashboard)
        step("read")
        codes = districts_of(input_dir, "parcels")
        tol = float(profile.value("control_line_boundary_tolerance_m", on))
        blocks = read_lines(input_dir, on)
        futures = overlay_futures(client, input_dir, storey_limit(profile, on), blocks, tol)
        # while the workers overlay: the tabular inputs (no shapes; the contracts are read
        # when monitored) and the parcels' WKB
        t = read_tables(input_dir, on, lines=blocks, contracts=False)
        check_year(t, year)
        shapes = read_parcel_shapes(input_dir)
        release_memory()  # what reading and sorting the tables freed
        step("overlay")
        stats, on_line = gather_overlay(client, futures, len(codes), on_tasks)
        del futures
        # the workers are idle until the units step: they trim their heap, and the workers
        # of a LocalCluster of our own are restarted if the overlay left them large
        free_workers(client, own_cluster=cluster is not None and not threads)
        lines = on_line if on_line is not None else pd.DataFrame()
        # each output is written as soon as it is final, then let go
        written: dict[str, int] = {}

        def write(name: str, frame: pd.DataFrame | None) -> None:
            written.update(write_outputs(out, {name: output_frame(name, frame)}, shapes))

        step("evaluate")
        # grading groups span partitions (an industry across districts): their statistics
        # over the whole (tabular) input, once — the single-machine benchmarks
        comp = evaluate_tables(t, stats, profile, year, on)
        evaluated = evaluation_summary(comp)
        write("policies", comp.policies)
        # what the later steps do not read: the long score table, the grade history, the
        # policy measures (written)
        comp = replace(comp, scores=comp.scores.iloc[:0], history=None, policies=pd.DataFrame())
        write("evaluation", comp.results)
        release_memory()  # the history years' evaluations

        step("lowuse")
        lowuse = lowuse_table(t, comp, stats, lines, profile, year, on)
        write("land_grades", comp.dual.parcels)
        comp = replace(comp, dual=DualResult(comp.dual.parcels.iloc[:0], pd.DataFrame()))
        release_memory()

        step("units")
        low = low_parcels(t.parcels, lowuse, shapes)
        gap = unit_gap(profile, on)
        by_district = {c: g for c, g in low.groupby("district", sort=True) if len(g)}
        boxes = {c: tuple(g.total_bounds) for c, g in by_district.items()}
        # each district's low parcels sent once (a future), not once per neighbour's task
        on_workers = dict(zip(by_district, client.scatter(list(by_district.values())), strict=True))
        del by_district
        pair_tasks = []
        for c in boxes:
            others = [on_workers[o] for o in boxes if o != c and meets(boxes[c], boxes[o], gap)]  # type: ignore[arg-type]
            pair_tasks.append(
                client.submit(pairs_partition, on_workers[c], boxes[c], gap, *others, pure=False)
            )
        del on_workers
        pairs = pd.concat(
            client.gather(pair_tasks) or [pd.DataFrame({"a": [], "b": []})], ignore_index=True
        )
        del pair_tasks
        members = stitch_units(low, pairs)
        del pairs
        units = units_of(members, low, t, comp, stats, lines, lowuse, profile, on)
        del low
        write("parcel_figures", stats)
        write("controlline", lines)
        write("unit_members", members)
        write("units", units)
        n_units = len(units)
        del stats, lines, members, units
        low_count = int(lowuse["low_efficiency"].sum())
        write("lowuse", lowuse)
        del lowuse
        release_memory()

        step("supply")
        # the contract monitoring reads the indicators' tax and the grades only
        indicators, results = t.indicators, comp.results
        del t, comp
        release_memory()
        contracts, events = read_contracts(input_dir)
        alerts = supply_alerts(contracts, events, indicators, results, profile, on)
        del contracts, events, indicators, results
        step("write")
        write("supply_alerts", alerts)
        figures = summarise(
            evaluated, low_count, n_units, None if alerts is None else len(alerts), written
        )
        result = write_summary(out, "dask", year, on, profile, figures, written)
        result.dashboard = dashboard
        return result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def stitch_units(low: gpd.GeoDataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Units from the contiguity pairs found partition by partition: one graph over all
    low-efficiency parcels, its connected components, labelled as :func:`delineate` does."""
    index = pd.Index(low["parcel_id"].to_numpy(dtype=object))
    i = index.get_indexer(pairs["a"].to_numpy(dtype=object))
    j = index.get_indexer(pairs["b"].to_numpy(dtype=object))
    return label_units(low, components(len(low), i, j))

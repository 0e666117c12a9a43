"""``tsunagari run``: one simulation, its output folder, the paired baseline and the summary.

An output folder is written as a whole and renamed into place only when complete; a folder
holding another tsunagari run is replaced (as a whole, after the new run completed) only with
``overwrite=true``, and a folder holding anything else never.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from sim.core.params import ConfigError, OutputError


def _run(overrides: list[str]) -> int:
    from sim.config import compose_config, load_configured_region

    cfg = compose_config(overrides, check_region=False)
    from sim.config import check_scenario

    check_scenario(cfg)  # the scenario file and its horizon, before the region is even read
    region = load_configured_region(cfg)  # size, and the scenario against the region
    label = Path(cfg.scenario).stem  # a scenario given by path is named by its file
    default = f"outputs/{region.key.replace(':', '-')}-{label}-seed{cfg.seed}"
    out = _output_folder(cfg.output_dir or default, cfg)
    from sim.core.files import staged_folder
    from sim.engine.model import (
        run,  # imported late: bad input is reported without loading the engine
    )

    _warn_unrecorded(cfg)  # after every check, so a refused run prints its one error line only
    t0 = time.perf_counter()
    results = run(cfg, region=region)
    elapsed = time.perf_counter() - t0
    failure = None
    try:  # the folder is written as a whole: staged beside `out`, renamed into place when done
        with staged_folder(out) as staged:
            paths = _write(results, staged, shown=out)
            _print_summary(results)
            if cfg.scenario != "baseline":
                try:
                    paths["comparison"] = _paired_baseline(cfg, region, results, staged, out)
                except (Exception, KeyboardInterrupt) as exc:  # keep the scenario's own run
                    _drop_pairing(staged)
                    failure = exc
    except OSError as exc:  # staging or renaming the folder failed
        kept = getattr(exc, "staged", None)
        note = f"; the complete outputs are kept in '{kept}'" if kept else ""
        raise OutputError(
            f"cannot write '{exc.filename or out}': {exc.strerror or exc}{note}"
        ) from None
    if failure is not None:
        raise failure
    weeks = cfg.burn_in_weeks + cfg.years * 52
    speed = results.n_residents * weeks / max(elapsed, 1e-9) / 1e6
    names = ", ".join(p.name for p in paths.values())
    if cfg.lang == "ja":
        print(
            f"\n{results.n_residents:,}人 × {weeks}週を{elapsed:.1f}秒で計算"
            f"（毎秒{speed:.2f}百万人・週）"
        )
        print(f"出力: {out}/（{names}）")
    else:
        print(
            f"\n{results.n_residents:,} residents x {weeks} weeks in {elapsed:.1f} s "
            f"({speed:.2f} M resident-steps/s)"
        )
        print(f"output: {out}/ ({names})")
    _warn_unsettled(results.counts.get("burn_in", {}), cfg)
    return 0


def _warn_unsettled(burn_in: dict, cfg) -> None:
    """Warn (stderr) when the burn-in's last year was not stationary (counts.burn_in)."""
    import sys

    if burn_in.get("stationary") is not False:
        return
    change = f"{burn_in['friends_change']:+.1%}, {100 * burn_in['lonely_change']:+.2f}"
    if cfg.lang == "ja":
        line = (
            f"バーンイン最後の1年が定常になっていません (平均友人数・孤独の割合の変化 {change}"
            f" ポイント)。burn_in_weeks を {cfg.burn_in_weeks} より長くしてください"
        )
    else:
        line = (
            f"the burn-in's last year was not stationary (mean friends, lonely share: {change}"
            f" points); use a burn_in_weeks longer than {cfg.burn_in_weeks}"
        )
    print(f"tsunagari: warning: {line}", file=sys.stderr)


def _drop_pairing(staged: Path) -> None:
    """Remove a half-written paired baseline, leaving a complete single-run folder."""
    import shutil

    shutil.rmtree(staged / "baseline", ignore_errors=True)
    (staged / "comparison.csv").unlink(missing_ok=True)


def _paired_baseline(cfg, region, results, out: Path, shown: Path | None = None) -> Path:
    """Run the baseline on the same seed, write it to ``out/baseline`` and a comparison table.

    The checksums of ``comparison.csv`` and ``baseline/manifest.json`` are added to the run's
    manifest, so ``tsunagari report`` can tell they belong to this run.
    """
    from sim.analysis.compare import baseline_config, comparison
    from sim.core.files import write_csv
    from sim.engine.model import run
    from sim.io.output import add_outputs

    base = run(baseline_config(cfg), region=region)
    _write(base, out / "baseline", shown=(shown or out) / "baseline")
    table = comparison(base, results)
    path = out / "comparison.csv"
    try:
        write_csv(path, table, float_format="%.6g")
        add_outputs(out, {"comparison_csv": path, "baseline_manifest": out / "baseline" /
                          "manifest.json"})  # fmt: skip
    except OSError as exc:
        raise OutputError(
            f"cannot write '{_shown(exc.filename, out, shown) or path}': {exc.strerror or exc}"
        ) from None
    print_comparison(table, cfg.lang, cfg.years)
    return path


def comparison_lines(table, lang: str, years: int) -> list[str]:
    """The paired comparison of a run as console lines (headed columns, aligned, no ``nan``).

    Reads :func:`sim.analysis.compare.signed_rows` of the table, so every column is named by the
    table: person-years with the person-years averted (baseline - scenario, positive when the
    package helps), costs by funder with the added cost (scenario - baseline), and the cost per
    person-year averted on its own line (or why there is none).

    Args:
        table: :func:`sim.analysis.compare.comparison` of the run.
        lang: ``ja`` or ``en``.
        years: the horizon, for the title.
    """
    from sim.analysis.compare import signed_rows
    from sim.app.console import head, number, outcome_label, short_label
    from sim.core.progress import table_lines

    ja = lang == "ja"
    rows = signed_rows(table, arm="scenario")
    per = rows[rows["unit"] == "yen/person-year"]
    rows = rows[rows["unit"] != "yen/person-year"]
    title = "ベースライン（同じ乱数）との比較" if ja else "Against the paired baseline (same seed)"
    span = f"{years}年間" if ja else f"{years} years"
    lines = [f"\n{title}（{span}）:" if ja else f"\n{title}, {span}:"]
    for unit in dict.fromkeys(rows["unit"]):
        part = rows[rows["unit"] == unit]
        costs = unit == "yen"
        first = head("funder" if costs else "outcome", lang)
        diff = head("added" if costs else "averted", lang)
        first = f"{first}（{head(unit, lang)}）" if ja else f"{first} ({head(unit, lang)})"
        headers = [first, head("baseline", lang), head("arm", lang), diff]
        body = [
            [outcome_label(r.outcome, lang), *(number(v, unit) for v in
             (r.baseline, r.arm, r.difference))]
            for r in part.itertuples()
        ]  # fmt: skip
        lines += ["", *table_lines(headers, body, "<>>>")]
    for r in per.itertuples():
        what = r.outcome.removeprefix("cost_per_").removesuffix("_person_year_averted_yen")
        name = short_label(what, lang)
        value = number(r.difference, "yen")
        if ja:
            text = f"{value}円" if value != "-" else "算出せず（回避された延べ人年がないため）"
            lines.append(f"\n  回避1人年あたりの追加費用 — {name}: {text}")
        else:
            text = f"{value} yen" if value != "-" else "not computed (no person-years averted)"
            lines.append(f"\n  Added cost per person-year averted — {name}: {text}")
    return lines


def print_comparison(table, lang: str, years: int) -> None:
    """Print :func:`comparison_lines`."""
    print("\n".join(comparison_lines(table, lang, years)))


def _output_folder(path: str, cfg=None) -> Path:
    """Check the output folder is free for this run and writable, before any simulation.

    The folder is free when it is missing, empty, or holds the same run (same resolved
    configuration and seed, read from its manifest), which is then rewritten identically. A
    folder holding another tsunagari run is replaced only with ``overwrite=true``; a folder
    holding anything else, or the current folder, is never replaced.

    Raises:
        ConfigError: naming ``output_dir`` and the path.
    """
    from sim.core.files import is_empty_folder

    out = Path(path)
    if out.is_symlink() and out.is_dir():
        out = Path(os.path.realpath(out))
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output_dir: '{out}' exists and is not a folder")
    here = Path.cwd().resolve()
    full = out.resolve()
    if full == here or full in here.parents:
        raise ConfigError(
            f"output_dir: '{out}' is the current folder or contains it; choose a new subfolder"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out.parent):
            pass
    except OSError as exc:
        raise ConfigError(f"output_dir: cannot write to '{out}': {exc.strerror or exc}") from None
    if cfg is None or is_empty_folder(out):
        return out
    held = _held_run(out)
    if held is None:
        raise ConfigError(
            f"output_dir: '{out}' is not empty and holds no tsunagari run (no readable "
            "manifest.json); choose another output_dir or empty it yourself"
        )
    from sim.config import to_dict
    from sim.io.output import run_identity

    mine = run_identity(json.loads(json.dumps(to_dict(cfg), default=str)))
    if run_identity(held) != mine and not cfg.overwrite:
        raise ConfigError(
            f"output_dir: '{out}' holds another run (different configuration or seed); use "
            "overwrite=true to replace it, or choose another output_dir"
        )
    return out


def _held_run(folder: Path) -> dict | None:
    """The resolved config in a folder's ``manifest.json``, if it is a tsunagari run's."""
    try:
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(man, dict) and man.get("tool") == "tsunagari":
        config = man.get("config")
        return config if isinstance(config, dict) else None
    return None


def _write(results, out: Path, shown: Path | None = None) -> dict[str, Path]:
    """Write the output folder, turning I/O failures into :class:`OutputError`.

    Args:
        results: the run's results.
        out: the folder written (a staged folder while the run is not complete).
        shown: the folder named in an error message (the final folder), if not ``out``.
    """
    from sim.io.output import write_run
    from sim.report.plots import write_prevalence_figure

    drawn = {"figure": write_prevalence_figure}
    if getattr(getattr(results, "config", None), "demography", None) == "dynamic":
        drawn["pyramid"] = _write_pyramid  # static: the start and end pyramids are the same
    try:
        return write_run(results, out, **drawn)
    except OSError as exc:
        where = _shown(exc.filename, out, shown) or shown or out
        raise OutputError(f"cannot write '{where}': {exc.strerror or exc}") from None


def _write_pyramid(results, path: Path) -> Path:
    """``pyramid.png``: the age pyramid at the first and the last record, in the run's language."""
    from sim.report.pyramid import write_pyramid_figure

    return write_pyramid_figure(results.table, path, results.config.lang)


def _shown(filename, staged: Path, shown: Path | None) -> str | None:
    """A path inside the staged folder, named as it will be in the final folder."""
    if filename is None or shown is None:
        return filename
    name = os.fspath(filename)
    if name == str(staged) or name.startswith(str(staged) + os.sep):
        return str(shown) + name[len(str(staged)) :]
    return name


#: Short console headers of the summary's measures
#: (key -> {"ja": ..., "en": ...}); the report has the full wording.
SUMMARY_HEADERS: dict[str, dict[str, str]] = {
    "often_always": {"ja": "しばしば・常に", "en": "often/always"},
    "sometimes": {"ja": "時々", "en": "sometimes"},
    "occasionally": {"ja": "たまに", "en": "occasionally"},
    "any_loneliness": {"ja": "孤独感あり（計）", "en": "any loneliness"},
    "ucla3_top": {"ja": "UCLA 10-12点", "en": "UCLA-3 10-12"},
    "no_in_person_contact": {"ja": "直接会う機会なし", "en": "no in-person contact"},
}


def summary_lines(results) -> list[str]:
    """The last month's survey measures, overall and by group, as aligned console lines.

    Headers are in the run's language (display width counts a Japanese character as two
    columns, so the numbers line up under them). A measure or group the run did not record
    (e.g. no resident aged 16+ in a group) shows ``-``.
    """
    from sim.core.i18n import group_label
    from sim.core.progress import table_lines
    from sim.io.output import summary

    lang = results.config.lang
    ja = lang == "ja"
    table = summary(results.table)
    cols = list(SUMMARY_HEADERS)
    region = results.region.name_ja if ja else results.region.name_en
    last_date = results.table["date"].max() if len(results.table) else "-"
    head = f"{region}: {last_date}（16歳以上、%）" if ja else f"{region}: {last_date} (aged 16+, %)"
    headers = ["", "人数" if ja else "n", *(SUMMARY_HEADERS[c]["ja" if ja else "en"] for c in cols)]
    body = []
    for _, row in table.iterrows():
        dim, group = row.get("dimension"), row.get("group")
        if dim not in ("all", "age_group", "sex", "household_type"):
            continue
        if dim == "age_group" and group == "0-15":
            continue
        n = row.get("n")
        cells = [group_label(dim, group, lang), "-" if n != n or n is None else f"{int(n):,}"]
        for c in cols:
            v = row.get(c)
            cells.append("-" if v is None or v != v else f"{100 * float(v):.1f}")
        body.append(cells)
    if not body:
        return [head, "  （16歳以上の住民がいません）" if ja else "  (no resident aged 16+)"]
    return [head, *table_lines(headers, body, "<" + ">" * (len(headers) - 1))]


def _print_summary(results) -> None:
    lines = summary_lines(results)
    if getattr(results.config, "demography", None) == "dynamic":
        from sim.report.demography import population_line

        line = population_line(results.table, results.config.lang)
        lines += ["", line] if line else []  # apart from the table above
    print("\n".join(lines))


def _warn_unrecorded(cfg) -> None:
    """Warn (one line each, on stderr) about levers that start after the last monthly record."""
    import sys

    from sim.policy.scenario import load_scenario, unrecorded_levers

    for line in unrecorded_levers(load_scenario(cfg.scenario), cfg.start_date, cfg.years):
        print(f"tsunagari: warning: {line}", file=sys.stderr)

"""The ``tsunagari`` command line.

``tsunagari run [overrides...]`` runs one simulation and writes its output folder;
``tsunagari config [overrides...]`` prints the composed, validated configuration as YAML;
``tsunagari params [--uncertain] [PREFIX]`` lists the declared parameters with unit, range and
source; ``tsunagari scenarios`` lists the scenario library; ``compare`` and ``sensitivity`` run
experiments (experiments/), ``calibrate`` fits the baseline to the national survey
(calibration/), ``validate`` checks the calibrated baseline against independent patterns
(``tsunagari validate [out=DIR] [years=N] [OVERRIDES...]``), ``report`` writes an HTML report
of an output folder, ``dashboard`` serves the interactive app on localhost, and ``wide-area``
compares cooperation modes of a prefecture.

Any user error prints one line (``tsunagari: error: ...``) on stderr and exits with status 2
(1 if the outputs could not be written), before any work starts. Nothing computed is lost: an
output folder is written as a whole and renamed into place only when complete; a folder
holding another tsunagari run is replaced (as a whole, after the new run completed) only with
``overwrite=true``, and a folder holding anything else never.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from sim.core.params import ConfigError

PROG = "tsunagari"
EXIT_USAGE = 2
EXIT_OUTPUT = 1


class OutputError(Exception):
    """Writing the output folder failed after the run; the message is one line naming the path."""


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are one line on stderr with exit status 2.

    Args:
        describe: builds the description when help is shown (so that other commands, and
            errors, do not pay for importing the schema).
        **kwargs: passed to :class:`argparse.ArgumentParser`.
    """

    def __init__(self, *, describe: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._describe = describe

    def format_help(self) -> str:
        """Help text, with the description built on first use."""
        if self._describe is not None:
            self.description = f"{self.description or ''}{self._describe()}"
            self._describe = None
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        """Print ``tsunagari: error: ...`` and exit 2 (argparse would print usage too)."""
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def run_help() -> str:
    """Help of ``tsunagari run``, generated from the config files and the schema."""
    from sim.config import RegionConfig, RunConfig, default_options, group_options

    defaults = default_options()
    lines = ["Config groups (choose one option with GROUP=OPTION):"]
    for name, text in group_options("region").items():
        mark = "(default) " if defaults.get("region") == name else ""
        lines.append(f"  region={name:<12}{mark}{text}")
    lines += ["", "Region keys:"]
    lines += [f"  region.{k:<16} {d}" for k, d in _field_docs(RegionConfig)]
    lines += ["", "Top-level keys:"]
    lines += [f"  {k:<22} {d}" for k, d in _field_docs(RunConfig)]
    lines += ["", "Parameter groups (every leaf has a unit, range and source: tsunagari params):"]
    lines += [f"  {k + '.*':<26}{d}" for k, d in _group_docs(RunConfig) if k != "region"]
    lines += [
        "",
        "Values: lists as [a,b]; Japanese names need no quotes (region.prefecture=高知).",
        "Show the composed configuration without running: tsunagari config [KEY=VALUE ...]",
        "",
        "Examples:",
        "  tsunagari run",
        "  tsunagari run region=kochi population.scale=1.0 years=10 seed=7",
        "  tsunagari run region=prefecture region.prefecture=hokkaido lang=en",
        "  tsunagari run region.municipalities=[鳥取市,米子市] output_dir=outputs/two-cities",
    ]
    return "\n".join(lines)


def _field_docs(schema: type) -> list[tuple[str, str]]:
    """(``key=default``, doc) of the scalar fields of a dataclass, in declaration order."""
    out = []
    for f in dataclasses.fields(schema):
        if f.default is dataclasses.MISSING:  # a nested group or a list: not a top-level scalar
            continue
        key = f.name if f.default is None else f"{f.name}={f.default}"
        out.append((key, f.metadata.get("doc", "")))
    return out


def _group_docs(schema: type, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted group, first docstring line) of the nested dataclasses of a schema."""
    import typing

    hints = typing.get_type_hints(schema)
    out = []
    for f in dataclasses.fields(schema):
        ftype = hints.get(f.name)
        if dataclasses.is_dataclass(ftype):
            doc = (ftype.__doc__ or "").strip().splitlines()[0] if ftype.__doc__ else ""
            out.append((f"{prefix}{f.name}", doc))
            out.extend(_group_docs(ftype, prefix=f"{prefix}{f.name}."))
    return out


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
    return 0


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
    from sim.app.console import head, number, outcome_label, short_label, table_lines

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

    try:
        return write_run(results, out)
    except OSError as exc:
        where = _shown(exc.filename, out, shown) or shown or out
        raise OutputError(f"cannot write '{where}': {exc.strerror or exc}") from None


def _shown(filename, staged: Path, shown: Path | None) -> str | None:
    """A path inside the staged folder, named as it will be in the final folder."""
    if filename is None or shown is None:
        return filename
    name = os.fspath(filename)
    if name == str(staged) or name.startswith(str(staged) + os.sep):
        return str(shown) + name[len(str(staged)) :]
    return name


#: Short console headers of the summary's measures (ja, en); the report has the full wording.
SUMMARY_HEADERS = {
    "often_always": ("しばしば・常に", "often/always"),
    "sometimes": ("時々", "sometimes"),
    "occasionally": ("たまに", "occasionally"),
    "any_loneliness": ("孤独感あり（計）", "any loneliness"),
    "ucla3_top": ("UCLA 10-12点", "UCLA-3 10-12"),
    "no_in_person_contact": ("直接会う機会なし", "no in-person contact"),
}


def summary_lines(results) -> list[str]:
    """The last month's survey measures, overall and by group, as aligned console lines.

    Headers are in the run's language (display width counts a Japanese character as two
    columns, so the numbers line up under them). A measure or group the run did not record
    (e.g. no resident aged 16+ in a group) shows ``-``.
    """
    from sim.app.console import table_lines
    from sim.core.i18n import group_label
    from sim.io.output import summary

    lang = results.config.lang
    ja = lang == "ja"
    table = summary(results.table)
    cols = list(SUMMARY_HEADERS)
    region = results.region.name_ja if ja else results.region.name_en
    last_date = results.table["date"].max() if len(results.table) else "-"
    head = f"{region}: {last_date}（16歳以上、%）" if ja else f"{region}: {last_date} (aged 16+, %)"
    headers = ["", "人数" if ja else "n", *(SUMMARY_HEADERS[c][0 if ja else 1] for c in cols)]
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
    print("\n".join(summary_lines(results)))


def _config(overrides: list[str]) -> int:
    from sim.config import compose_config, to_yaml

    print(to_yaml(compose_config(overrides)), end="")
    return 0


def _params(uncertain: bool, prefix: str | None) -> int:
    from sim.config import RunConfig
    from sim.core.params import describe

    shown = [
        p
        for p in describe(RunConfig)
        if (p.uncertain or not uncertain) and (prefix is None or p.name.startswith(prefix))
    ]
    if not shown:
        raise ConfigError(f"params: no declared parameter starts with '{prefix}'")
    for p in shown:
        rng = "" if p.low is None else f"[{p.low}, {p.high}]"
        print(f"{p.name} = {p.default}  ({p.unit}) {rng}{'  *uncertain' if p.uncertain else ''}")
        print(f"    {p.doc + ' — ' if p.doc else ''}source: {p.source}")
    return 0


def _scenarios(lang: str, options: list[str] | None = None) -> int:
    """List the scenario library; ``lang=ja|en`` (like every command) or ``--lang``."""
    for opt in options or []:
        key, sep, value = opt.partition("=")
        if key != "lang" or not sep:
            raise ConfigError(f"scenarios: unknown option '{opt}' (only lang=ja or lang=en)")
        if value not in ("ja", "en"):
            raise ConfigError(f"lang: must be 'ja' or 'en', got '{value}'")
        lang = value
    from sim.app.console import pad
    from sim.policy.scenario import list_scenarios

    library = list_scenarios()
    width = max((len(sc.name) for sc in library), default=0) + 2
    for sc in library:
        print(f"{pad(sc.name, width)}{sc.title.get(lang) or sc.title.get('en', '')}")
    return 0


def _report(folder: str, options: list[str]) -> int:
    """Write the HTML report of an output folder (``lang=ja|en``) and print its path."""
    lang = "ja"
    for opt in options:
        key, sep, value = opt.partition("=")
        if key != "lang" or not sep:
            raise ConfigError(f"report: unknown option '{opt}' (only lang=ja or lang=en)")
        lang = value
    from sim.report import build_report

    try:
        path = build_report(Path(folder), lang=lang)
    except OSError as exc:
        where = exc.filename or folder
        raise OutputError(f"cannot write '{where}': {exc.strerror or exc}") from None
    print(f"report: {path}")
    return 0


def _validate(options: list[str]) -> int:
    """``tsunagari validate``: check ``out=`` and ``years=``, then validate.

    The output folder must be a folder (or missing) and writable before the three validation
    runs start (the model overrides are checked by the validation before its first run).

    Raises:
        ConfigError: bad input (one line naming the key).
        OutputError: the tables could not be written.
    """
    from calibration import validate

    mine, _ = validate.parse_options(options)
    out = Path(mine["out"])
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: '{out}' exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ConfigError(f"out: cannot write to '{out}': {exc.strerror or exc}") from None
    try:
        return validate.main(options)
    except OSError as exc:
        raise OutputError(f"cannot write '{exc.filename or out}': {exc.strerror or exc}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``tsunagari`` command."""
    parser = _Parser(
        prog=PROG,
        description="Agent-based simulation of community ties and loneliness (孤独・孤立) "
        "in Japanese municipalities.",
        epilog="Run `tsunagari COMMAND --help` for the keys a command accepts.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    overrides = {"nargs": "*", "metavar": "KEY=VALUE", "help": "Hydra-style overrides"}
    run = sub.add_parser(
        "run",
        help="simulate one region and write the output folder",
        description="Simulate one region and write tidy time series (Parquet and CSV), a "
        "summary, a manifest and a figure.\n\n",
        describe=run_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("overrides", **overrides)
    config = sub.add_parser(
        "config",
        help="print the composed, validated configuration as YAML",
        description="Print the configuration `tsunagari run` would use with the same "
        "overrides, as YAML (keys: see `tsunagari run --help`).",
    )
    config.add_argument("overrides", **overrides)
    params = sub.add_parser(
        "params",
        help="list every declared parameter with unit, range and source",
        description="List declared parameters: default, unit, plausible range and source.",
    )
    params.add_argument("prefix", nargs="?", help="only keys starting with this, e.g. survey")
    params.add_argument(
        "--uncertain", action="store_true", help="only those varied in sensitivity analysis"
    )
    scenarios = sub.add_parser(
        "scenarios",
        help="list the scenario library (use one with scenario=NAME)",
        description="List the policy scenarios shipped in scenarios/ with their titles.",
    )
    scenarios.add_argument("--lang", choices=("ja", "en"), default="ja", help="title language")
    scenarios.add_argument(
        "options", nargs="*", metavar="lang=ja|en", help="title language (as other commands)"
    )
    calibrate = sub.add_parser(
        "calibrate",
        help="fit the baseline's uncertain parameters to survey targets (ABC-SMC)",
        description="Fit the parameters of calibration/parameters.yaml to survey targets with "
        "ABC-SMC, surveying the model in December like the national survey; write "
        "calibration/NAME.yaml (the default set when NAME=calibrated) and a fit report. "
        "Rerunning the same command resumes an interrupted calibration.\n\n"
        "Options: targets=PATH workers=N name=NAME generations=N particles=N quantile=Q "
        "abc_seed=N check_scale=S|none tottori_scale=S|none parameters=PATH; any other "
        "KEY=VALUE is a run override (default region=japan population.scale=0.0005).\n"
        "Guide: docs/calibration.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    calibrate.add_argument("overrides", **overrides)
    calibrate.add_argument(
        "--quick", action="store_true", help="smoke run: 2 generations x 24 particles"
    )
    validate = sub.add_parser(
        "validate",
        help="check the calibrated baseline against independent patterns (POM)",
        description="Pattern-oriented validation of the calibrated baseline: network structure, "
        "mechanisms, the age, sex and living-alone gradients, ten-year stationarity and every "
        "survey target, each against its band and source; writes patterns.csv and a page into "
        "out=DIR (default validation).\n\n"
        "Keys: out=DIR years=N (drift run, 1-50, default 10); any other KEY=VALUE is a run "
        "override (default region=japan population.scale=0.001).\n\n"
        "Example: tsunagari validate population.scale=0.0005 years=4 out=outputs/validation\n"
        "Guide: docs/calibration.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("overrides", **overrides)
    report = sub.add_parser(
        "report",
        help="write a self-contained HTML report (and CSV/Excel tables) of an output folder",
        description="Write report.html and tables/ into FOLDER: a run, a paired run "
        "(scenario=...), or a compare or sensitivity store. Japanese by default.\n\n"
        "Examples:\n  tsunagari report outputs/tottori-places_first-seed42\n"
        "  tsunagari report outputs/tottori-places_first-seed42 lang=en\n"
        "Guide: docs/walkthrough_ja.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("folder", help="output folder of tsunagari run, compare or sensitivity")
    report.add_argument("options", nargs="*", metavar="lang=ja|en", help="report language")
    _add_experiment_commands(sub, overrides)
    _add_dashboard_command(sub)
    return parser


EXPERIMENT_HELP = """
Experiment keys (experiments/config.py; overlays: experiment=NAME from experiments/experiment/):
  seeds=N seed=N samples=N packages=[a,b] baseline=NAME package=NAME params=uncertain|[k1,k2]
  ranges.KEY=[low,high] levers=[LEVER_ID.FIELD] outcomes=[...] target=py_lonely budget=YEN
  method=morris|sobol r=N n=N second_order=true resamples=N lang=ja|en progress=auto|off
  out=FOLDER (as written: Japanese names, spaces and brackets need no quotes; out=結果/3案比較)
  executor=serial|process|dask executor.workers=N executor.address=tcp://HOST:8786
  executor.processes=false executor.batch_seconds=S
Any other KEY=VALUE is a model override (population.scale=0.01 years=2; see tsunagari run --help).
Before the runs, the command says how many and about how long; progress and time left follow
(a line every ~10 s when the output goes to a log). The memory needed by all workers together
is checked first. A killed command, rerun the same way, resumes: finished runs are kept in the
store (out=...).
Guide: docs/experiments.md
"""


def _add_dashboard_command(sub) -> None:
    """The ``dashboard`` subcommand (code in sim/app/dashboard.py and sim/app/dashboard_app.py)."""
    dash = sub.add_parser(
        "dashboard",
        help="open the interactive dashboard (Mesa SolaraViz) on this computer",
        description="Serve the dashboard: pick a region and a package, move the lever sliders "
        "and watch prevalence and service flows at a reduced scale. Binds to 127.0.0.1 (only "
        "this computer) unless --host is given. Guide: docs/dashboard.md",
    )
    dash.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    dash.add_argument("--port", type=int, default=8765, help="TCP port (default 8765)")


def _add_experiment_commands(sub, overrides: dict) -> None:
    """The ``compare`` and ``sensitivity`` subcommands (code in experiments/)."""
    compare = sub.add_parser(
        "compare",
        help="compare policy packages against the baseline (paired; costs, robustness)",
        description="Run packages and the baseline on the same seeds and uncertainty samples; "
        "print and save paired differences with 95% intervals, cost per person-year averted, "
        "robustness, and figures.\n\nExample: tsunagari compare "
        "packages=[places_first,people_first,digital_first] seeds=20\n" + EXPERIMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("overrides", **overrides)
    sens = sub.add_parser(
        "sensitivity",
        help="global sensitivity analysis with SALib (Morris, Sobol)",
        description="Morris screening or Sobol indices with bootstrap intervals over declared "
        "uncertainties and/or levers, a DUMMY parameter, a convergence check and figures.\n\n"
        "Examples: tsunagari sensitivity method=morris experiment=morris_screening\n"
        "          tsunagari sensitivity method=sobol n=256\n" + EXPERIMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sens.add_argument("overrides", **overrides)
    wide = sub.add_parser(
        "wide-area",
        help="wide-area cooperation: alone vs prefecture-led vs clusters, by municipality",
        description="Run the three wide-area arms (each municipality alone, a prefecture-led "
        "platform, clusters by customary area) on the same seeds and write per-municipality "
        "gains, bills, equity gaps with 95% intervals, cross-border flows and maps.\n\n"
        "Keys: region=tottori|kochi, or region=prefecture region.prefecture=NAME (e.g. 高知県); "
        "seeds=N (1-1000, default 5); workers=N (1-256, default 2); out=DIR; lang=ja|en. Any "
        "other KEY=VALUE goes to the model (default population.scale=0.03 years=4 "
        "burn_in_weeks=52).\n\n"
        "Examples: tsunagari wide-area region=tottori seeds=10\n"
        "          tsunagari wide-area region=prefecture region.prefecture=島根県 out=結果/島根\n"
        "Guide: docs/wide_area.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    wide.add_argument("overrides", **overrides)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tsunagari`` console script."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        return _guard(lambda: _run(args.overrides))
    if args.command == "config":
        return _guard(lambda: _config(args.overrides))
    if args.command == "params":
        return _guard(lambda: _params(args.uncertain, args.prefix))
    if args.command == "scenarios":
        return _guard(lambda: _scenarios(args.lang, args.options))
    if args.command == "wide-area":
        from experiments.wide_area import main as wide_area

        return _guard(lambda: wide_area(args.overrides))
    if args.command == "calibrate":
        from calibration.fit import calibrate

        return _guard(lambda: calibrate(args.overrides, quick=args.quick))
    if args.command in ("compare", "sensitivity"):
        from experiments import commands

        action = commands.run_compare if args.command == "compare" else commands.run_sensitivity
        return _guard(lambda: action(args.overrides))
    if args.command == "dashboard":
        from sim.app.dashboard import serve

        return _guard(lambda: serve(args.host, args.port))
    if args.command == "report":
        return _guard(lambda: _report(args.folder, args.options))
    if args.command == "validate":
        return _guard(lambda: _validate(args.overrides))
    parser.print_help()
    return 0


def _guard(action: Callable[[], int]) -> int:
    """Run a command, turning user errors into one line on stderr and a non-zero status."""
    try:
        return action()
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except OutputError as exc:
        return _fail(str(exc), EXIT_OUTPUT)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # output piped into e.g. `head`, which has exited
        sys.stdout = open(os.devnull, "w")
        return 0


def _fail(message: str, status: int) -> int:
    r"""Print one line ``tsunagari: error: ...`` on stderr and return ``status``.

    Control, format and line-separator characters (from echoed user input, e.g. an escape
    sequence or a newline inside a value) are shown escaped, as ``\x1b`` or ``\n``, so the
    message stays one inert line.
    """
    import unicodedata

    shown = "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != "\u200d"
        else ch
        for ch in message.strip()
    )
    print(f"{PROG}: error: {shown or 'error'}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())

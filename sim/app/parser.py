"""The argument parser of the ``tsunagari`` command line (commands, options and help texts)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any, NoReturn

PROG = "tsunagari"
EXIT_USAGE = 2
EXIT_OUTPUT = 1


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
    plan = sub.add_parser(
        "plan",
        help="print the weekly step plan: every state change of a week, in order",
        description="Print the step plan as a table: processes, services, housekeeping "
        "(rebuilds, compaction), resets and recording, in the order each week runs them.",
    )
    plan.add_argument("--lang", choices=("ja", "en"), default="ja", help="table language")
    plan.add_argument(
        "options", nargs="*", metavar="lang=ja|en", help="table language (as other commands)"
    )
    calibrate = sub.add_parser(
        "calibrate",
        help="fit the baseline's uncertain parameters to survey targets (ABC-SMC)",
        description="Fit the parameters of calibration/parameters.yaml to survey targets with "
        "ABC-SMC, surveying the model in December like the national survey; write "
        "sim/config/sets/NAME.yaml (the default set when NAME=calibrated) and a fit report. "
        "Rerunning the same command resumes an interrupted calibration.\n\n"
        "Options: targets=PATH workers=N name=NAME generations=N particles=N quantile=Q "
        "abc_seed=N check_scale=S|none tottori_scale=S|none parameters=PATH "
        "engine=pyabc|legacy replicates=N distance=standardised|adaptive "
        "eps_floor=auto|none|X executor=process|serial|dask executor.address=ADDR; "
        "targets=RESULTS.csv municipality=NAME local_width=W (a municipality's own survey "
        "results: local recalibration, docs/local_survey.md); any other KEY=VALUE is a run "
        "override (default region=japan population.scale=0.0005).\n"
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
        "Keys: out=DIR years=N (drift run, 1-50, default 10); only=all|patterns|demography; "
        "check_demography=true|false (default true: Tottori and Kochi projected from the 2020 "
        "census against the IPSS projections), demography_scale=S (default 0.03), "
        "demography_years=N (default 15; 30 reaches 2050), demography_seeds=N (default 3); "
        "any other KEY=VALUE is a run override (default region=japan population.scale=0.001).\n\n"
        "Example: tsunagari validate population.scale=0.0005 years=4 out=outputs/validation\n"
        "         tsunagari validate only=demography out=outputs/validation\n"
        "Guide: docs/calibration.md, docs/demography.md",
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
    _add_study_commands(sub, overrides)
    _add_dashboard_command(sub)
    return parser


def _module_help(module: str) -> Callable[[], str]:
    """The ``HELP`` text of a command's module, imported only when help is shown."""

    def describe() -> str:
        import importlib

        return importlib.import_module(module).HELP

    return describe


def _add_study_commands(sub, overrides: dict) -> None:
    """``trial``, ``survey`` and ``survey-compare`` (help text kept beside their code)."""
    studies = (
        ("trial", "experiments.trial", "run a randomised trial of one lever type inside the model"),
        (
            "survey",
            "experiments.local_survey",
            "what a municipality's own survey would show: sample, tabulations and power",
        ),
        (
            "survey-compare",
            "experiments.local_survey",
            "place a municipality's tabulated survey results against the model",
        ),
    )
    for name, module, summary in studies:
        cmd = sub.add_parser(
            name,
            help=summary,
            describe=_module_help(module) if name != "survey-compare" else _compare_help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.add_argument("overrides", **overrides)


def _compare_help() -> str:
    from experiments.local_survey import COMPARE_HELP

    return COMPARE_HELP


EXPERIMENT_HELP = """
Experiment keys (experiments/config.py; overlays: experiment=NAME from experiments/experiment/):
  seeds=N seed=N samples=N packages=[a,b] baseline=NAME package=NAME params=uncertain|[k1,k2]
  ranges.KEY=[low,high] levers=[LEVER_ID.FIELD] outcomes=[...] target=py_lonely
  budget=equal|YEN/year|YEN uncertainty=joint|seeds params=effects|uncertain|[k1,k2] wtp_max=YEN
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
    nat = sub.add_parser(
        "national",
        help="a national or multi-prefecture run in partitions (commuting areas) on Dask",
        description="Split region=japan (or region.prefectures=[...]) into commuting areas that "
        "share no ties, run each as one task (serially, in a process pool or on Dask), keep "
        "each finished partition in OUT/partitions (a rerun resumes) and write the merged "
        "tables, results by prefecture and for Japan, and a manifest.\n\n"
        "Keys: out=DIR (default outputs/national-REGION-SCENARIO-seedSEED); lang=ja|en; "
        "executor=serial|process|dask (default process); executor.workers=N (default 2); "
        "executor.address=tcp://HOST:8786; executor.memory=GiB (per LocalCluster worker; "
        "default: the available memory shared equally). "
        "Any other KEY=VALUE goes to the model (scenario=..., population.scale=..., years=...)."
        "\n\nExamples: tsunagari national region=japan population.scale=0.01 years=10\n"
        "          tsunagari national region=japan region.prefectures=[31,32,39] "
        "scenario=awareness_campaign executor=dask\nGuide: docs/national.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    nat.add_argument("overrides", **overrides)
    plan = sub.add_parser(
        "plan-run",
        help="print the partition plan of a national run (residents, memory, time, workers)",
        description="Print how a national run splits into partitions: residents, estimated "
        "memory and time of each task, the memory a worker needs and how many workers the run "
        "can use. Takes the keys of tsunagari national.\n\n"
        "Example: tsunagari plan-run region=japan population.scale=1.0\nGuide: docs/national.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan.add_argument("overrides", **overrides)

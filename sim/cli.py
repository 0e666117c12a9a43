"""The ``tsunagari`` command line.

``tsunagari run [overrides...]`` runs one simulation and writes its output folder;
``tsunagari params`` lists every declared parameter with its unit, range and source. Any
user error prints one line (``tsunagari: error: ...``) and exits with status 2; nothing
already written is removed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.params import ConfigError

RUN_HELP = """\
usage: tsunagari run [KEY=VALUE ...]

Simulate one region and write tidy time series, a manifest and a figure.

Config groups (choose one option with GROUP=OPTION):
  region      tottori (default, 19 municipalities) | kochi (34) |
              prefecture (with region.prefecture=NAME or CODE) |
              custom (with region.csv=PATH)

Top-level keys:
  seed=42               random seed (same seed, same numbers, bit for bit)
  years=5               horizon in years after burn-in
  burn_in_weeks=104     weeks simulated before the start date (not recorded)
  start_date=2025-04-06 first recorded week
  lang=ja               ja or en (figure labels and summary)
  output_dir=PATH       output folder (default outputs/<region>-<scenario>-seed<seed>)
  region.municipalities=[鳥取市,米子市]   simulate a subset of the region

Parameter groups (every leaf declared with unit, range and source; list them with
`tsunagari params`):
  population.*   synthetic population (population.scale=0.1 simulates 10% of residents)
  layers.*       work/school groups, commuting, neighbourhood and friendship set-up
  dynamics.contacts.*  dynamics.ties.*  dynamics.events.*  dynamics.loneliness.*
  survey.*       the simulated survey (thresholds, UCLA-3 cut points, isolation window)

Example:
  tsunagari run region=kochi population.scale=1.0 years=10 seed=7
"""


def _run(overrides: list[str]) -> int:
    from sim.config import compose_config
    from sim.model import run
    from sim.output import summary, write_run

    cfg = compose_config(overrides)
    out = Path(cfg.output_dir or f"outputs/{cfg.region.key}-{cfg.scenario}-seed{cfg.seed}")
    t0 = time.perf_counter()
    results = run(cfg)
    elapsed = time.perf_counter() - t0
    paths = write_run(results, out)
    _print_summary(results, summary(results.table))
    weeks = cfg.burn_in_weeks + cfg.years * 52
    print(
        f"\n{results.n_residents:,} residents x {weeks} weeks in {elapsed:.1f} s "
        f"({results.n_residents * weeks / elapsed / 1e6:.2f} M resident-steps/s)"
    )
    print(f"output: {out}/ ({', '.join(p.name for p in paths.values())})")
    return 0


def _print_summary(results, table) -> None:
    ja = results.config.lang == "ja"
    from sim.i18n import group_label, t

    lang = "ja" if ja else "en"
    cols = ["often_always", "sometimes", "occasionally", "any_loneliness", "ucla3_top",
            "no_in_person_contact"]
    head = f"{'':<22}{'n':>8}" + "".join(f"{c[:12]:>14}" for c in cols)
    region = results.region.name_ja if ja else results.region.name_en
    last_date = results.table["date"].max()
    print(f"{region}: {last_date} ({'16歳以上' if ja else 'aged 16+'}, %)")
    print(head)
    for _, row in table.iterrows():
        if row["dimension"] not in ("all", "age_group", "sex", "household_type"):
            continue
        if row["dimension"] == "age_group" and row["group"] == "0-15":
            continue
        label = group_label(row["dimension"], row["group"], lang)
        if row["dimension"] == "all":
            label = t("all", lang)
        vals = "".join(f"{100 * row[c]:>14.1f}" for c in cols)
        print(f"{label[:20]:<22}{int(row['n']):>8}{vals}")


def _params() -> int:
    from sim.config import RunConfig
    from sim.params import describe

    for p in describe(RunConfig):
        rng = "" if p.low is None else f"[{p.low}, {p.high}]"
        print(f"{p.name} = {p.default}  ({p.unit}) {rng}{'  *uncertain' if p.uncertain else ''}")
        print(f"    {p.doc + ' — ' if p.doc else ''}source: {p.source}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tsunagari`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="tsunagari",
        description="Agent-based simulation of community ties and loneliness (孤独・孤立) "
        "in Japanese municipalities.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="simulate one region and write the output folder", add_help=False)
    sub.add_parser("params", help="list every declared parameter with unit, range and source")
    if argv and argv[0] == "run":
        if any(a in ("-h", "--help") for a in argv[1:]):
            print(RUN_HELP)
            return 0
        return _guard(lambda: _run(argv[1:]))
    args = parser.parse_args(argv)
    if args.command == "params":
        return _guard(_params)
    parser.print_help()
    return 0 if args.command is None and not argv else 2


def _guard(action) -> int:
    """Run a command, turning user errors into one line on stderr and exit status 2."""
    try:
        return action()
    except ConfigError as exc:
        print(f"tsunagari: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tsunagari: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

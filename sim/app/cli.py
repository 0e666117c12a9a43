"""The ``tsunagari`` command line.

``tsunagari run [overrides...]`` runs one simulation and writes its output folder;
``tsunagari config [overrides...]`` prints the composed, validated configuration as YAML;
``tsunagari params [--uncertain] [PREFIX]`` lists the declared parameters with unit, range and
source; ``tsunagari scenarios`` lists the scenario library; ``tsunagari plan`` prints the weekly
step plan; ``compare`` and ``sensitivity`` run
experiments (experiments/), ``calibrate`` fits the baseline to the national survey
(calibration/), ``validate`` checks the calibrated baseline against independent patterns
(``tsunagari validate [out=DIR] [years=N] [OVERRIDES...]``), ``report`` writes an HTML report
of an output folder, ``dashboard`` serves the interactive app on localhost, ``wide-area``
compares cooperation modes of a prefecture, ``trial`` runs a randomised trial of one lever type
inside the model (experiments/trial.py), and ``survey`` / ``survey-compare`` plan a
municipality's own survey and place its results against the model (experiments/local_survey.py).

Any user error prints one line (``tsunagari: error: ...``) on stderr and exits with status 2
(1 if the outputs could not be written), before any work starts. Nothing computed is lost: an
output folder is written as a whole and renamed into place only when complete; a folder
holding another tsunagari run is replaced (as a whole, after the new run completed) only with
``overwrite=true``, and a folder holding anything else never.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.app.parser import EXIT_OUTPUT, EXIT_USAGE, PROG, build_parser
from sim.app.run_command import OutputError, _output_folder, _run, summary_lines
from sim.core.params import ConfigError

__all__ = [
    "EXIT_OUTPUT",
    "EXIT_USAGE",
    "PROG",
    "OutputError",
    "_output_folder",
    "build_parser",
    "main",
    "summary_lines",
]


def _config(overrides: list[str]) -> int:
    from sim.config import compose_config, to_yaml

    print(to_yaml(compose_config(overrides)), end="")
    return 0


def _params(uncertain: bool, prefix: str | None) -> int:
    from sim.config import RunConfig
    from sim.core.params import describe
    from sim.policy.levers import LEVER_TYPES

    # the run's parameters, then each lever type's fields (levers.TYPE.FIELD: set per lever in a
    # scenario, varied in experiments as LEVER_ID.FIELD)
    declared = describe(RunConfig) + [
        p for kind, cls in LEVER_TYPES.items() for p in describe(cls, prefix=f"levers.{kind}.")
    ]
    shown = [
        p
        for p in declared
        if (p.uncertain or not uncertain) and (prefix is None or p.name.startswith(prefix))
    ]
    if not shown:
        raise ConfigError(f"params: no declared parameter starts with '{prefix}'")
    for p in shown:
        rng = "" if p.low is None else f"[{p.low}, {p.high}]"
        print(f"{p.name} = {p.default}  ({p.unit}) {rng}{'  *uncertain' if p.uncertain else ''}")
        print(f"    {p.doc + ' — ' if p.doc else ''}source: {p.source}")
    return 0


def _lang(command: str, lang: str, options: list[str] | None) -> str:
    """The language of a listing command: ``--lang``, overridden by ``lang=ja|en`` options.

    Raises:
        ConfigError: for another option or another language.
    """
    for opt in options or []:
        key, sep, value = opt.partition("=")
        if key != "lang" or not sep:
            raise ConfigError(f"{command}: unknown option '{opt}' (only lang=ja or lang=en)")
        if value not in ("ja", "en"):
            raise ConfigError(f"lang: must be 'ja' or 'en', got '{value}'")
        lang = value
    return lang


def _scenarios(lang: str, options: list[str] | None = None) -> int:
    """List the scenario library; ``lang=ja|en`` (like every command) or ``--lang``."""
    lang = _lang("scenarios", lang, options)
    from sim.core.progress import pad
    from sim.policy.scenario import list_scenarios

    library = list_scenarios()
    width = max((len(sc.name) for sc in library), default=0) + 2
    for sc in library:
        print(f"{pad(sc.name, width)}{sc.title.get(lang) or sc.title.get('en', '')}")
    return 0


def _plan(lang: str, options: list[str] | None = None) -> int:
    """Print the weekly step plan as a table; ``lang=ja|en`` or ``--lang``."""
    lang = _lang("plan", lang, options)
    from sim.engine.plan import format_plan

    print(format_plan(lang))
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
    if args.command == "plan":
        return _guard(lambda: _plan(args.lang, args.options))
    if args.command == "wide-area":
        from experiments.wide_area import main as wide_area

        return _guard(lambda: wide_area(args.overrides))
    if args.command in ("national", "plan-run"):
        from experiments import national

        action = national.main if args.command == "national" else national.plan_main
        return _guard(lambda: action(args.overrides))
    if args.command == "calibrate":
        from calibration.fit import calibrate

        return _guard(lambda: calibrate(args.overrides, quick=args.quick))
    if args.command in ("compare", "sensitivity"):
        from experiments import commands

        action = commands.run_compare if args.command == "compare" else commands.run_sensitivity
        return _guard(lambda: action(args.overrides))
    if args.command == "dashboard":
        from sim.app.dashboard_launch import serve

        return _guard(lambda: serve(args.host, args.port))
    if args.command == "report":
        return _guard(lambda: _report(args.folder, args.options))
    if args.command == "validate":
        return _guard(lambda: _validate(args.overrides))
    if args.command == "trial":
        from experiments import trial

        return _guard(lambda: trial.main(args.overrides))
    if args.command in ("survey", "survey-compare"):
        from experiments import local_survey

        action = local_survey.main if args.command == "survey" else local_survey.compare_main
        return _guard(lambda: action(args.overrides))
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

"""Every ``tsunagari`` command of the planner's documents, as written there.

The walkthrough (``docs/walkthrough_ja.md``) and both planner's guides show their commands in
fenced code blocks, written ``.venv/bin/tsunagari ...`` and typed in the project folder. These
tests read those blocks, so a command that is edited in a document is the command tested:

- fast (default): the documents write every command as ``.venv/bin/tsunagari`` and say how to
  activate the environment; every command is checked without running a simulation (run
  commands through ``tsunagari config`` with the same keys, compare and wide-area through their
  own checks, report folders against the folders earlier commands write);
- ``slow``: every command runs in document order in a fresh folder, exactly as written with
  small-scale keys appended (``population.scale=0.003 years=2 burn_in_weeks=8``, and
  ``seeds=2`` for experiments) where the author did not write that key, exits 0, and the folders
  and files the document says are produced exist. ``dashboard`` is started on a free port,
  must answer, and is stopped (skipped where the dashboard extra is not installed).

A YAML block whose first line is ``name: NAME`` is saved as ``NAME.yaml`` when the document
tells the reader to save it under that name.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = ("docs/walkthrough_ja.md", "docs/planners_guide.md", "docs/planners_guide_en.md")
VENV_COMMAND = ".venv/bin/tsunagari"
COMMAND_LINE = re.compile(r"^(?:\.venv/bin/)?tsunagari(?:\s|$)")

SMALL_MODEL = {"population.scale": "0.003", "years": "2", "burn_in_weeks": "8"}
# Keys appended to each command (unless the document wrote the key): by command name.
SMALL = {
    "run": SMALL_MODEL,
    "compare": {**SMALL_MODEL, "seeds": "2"},
    "wide-area": {**SMALL_MODEL, "seeds": "2"},
}
AS_WRITTEN = {"scenarios", "params", "config", "report", "dashboard"}

# What each document says its commands produce (paths relative to the folder they are typed in).
PRODUCED = {
    "docs/walkthrough_ja.md": [
        "結果/居場所中心/baseline",
        "結果/居場所中心/comparison.csv",
        "結果/居場所中心/report.html",
        "結果/居場所中心/report.en.html",
        "結果/居場所中心/tables",
        "結果/3案比較/report.html",
    ],
    "docs/planners_guide.md": [
        "outputs/tottori-supporters-seed42/baseline",
        "outputs/tottori-supporters-seed42/comparison.csv",
        "outputs/my_package/comparison.csv",
        "outputs/my_package/report.html",
        "outputs/tottori-my_package-seed7/comparison.csv",
        "outputs/2案比較/report.html",
        "outputs/wide_area-tottori",
    ],
    "docs/planners_guide_en.md": [
        "outputs/tottori-supporters-seed42/baseline",
        "outputs/tottori-supporters-seed42/comparison.csv",
        "outputs/my_package/comparison.csv",
        "outputs/my_package/report.en.html",
        "outputs/tottori-my_package-seed7/comparison.csv",
        "outputs/two_packages/report.en.html",
        "outputs/wide_area-tottori",
    ],
}


@dataclass
class Step:
    """One thing a document asks the reader to do, in document order.

    Attributes:
        line: the line as written (a command), or the file name (a file to save).
        argv: the command's words after ``tsunagari`` (empty for a file).
        text: the file's content (empty for a command).
    """

    line: str
    argv: list[str]
    text: str = ""

    @property
    def command(self) -> str:
        """The tsunagari command name (``run``, ``report``, ...), or ``""`` for a file."""
        return self.argv[0] if self.argv else ""


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(info string, lines)`` of every fenced code block of a Markdown text, in order."""
    blocks, info, lines = [], None, []
    for raw in text.splitlines():
        fence = raw.strip().startswith("```")
        if info is None and fence:
            info, lines = raw.strip()[3:].strip(), []
        elif info is not None and fence:
            blocks.append((info, lines))
            info = None
        elif info is not None:
            lines.append(raw)
    return blocks


def doc_steps(doc: str) -> list[Step]:
    """The commands of ``doc``'s fenced blocks and the files it asks to save, in order.

    A command line starts with ``tsunagari`` or ``.venv/bin/tsunagari``; ``#`` starts a comment.
    A ``yaml`` block whose first line is ``name: NAME`` is a file ``NAME.yaml`` if the document
    names that file.
    """
    text = (REPO / doc).read_text(encoding="utf-8")
    steps = []
    for info, lines in fenced_blocks(text):
        first = lines[0].strip() if lines else ""
        if info == "yaml" and (hit := re.fullmatch(r"name:\s*(\S+)", first.split("#")[0].strip())):
            name = f"{hit.group(1)}.yaml"
            if f"`{name}`" in text:
                steps.append(Step(name, [], "\n".join(lines) + "\n"))
            continue
        for line in lines:
            if COMMAND_LINE.match(line.strip()):
                words = shlex.split(line, comments=True)
                steps.append(Step(line.strip(), words[1:]))
    return steps


def commands(doc: str) -> list[Step]:
    """Only the commands of :func:`doc_steps`."""
    return [s for s in doc_steps(doc) if s.argv]


def keys(argv: list[str]) -> set[str]:
    """The override keys a command line sets (``seeds`` of ``seeds=10``)."""
    return {w.split("=", 1)[0].lstrip("+~") for w in argv[1:] if "=" in w}


def small(step: Step) -> list[str]:
    """The command's words with the small-scale keys the author did not write appended."""
    extra = SMALL.get(step.command, {})
    have = keys(step.argv)
    return [*step.argv, *(f"{k}={v}" for k, v in extra.items() if k not in have)]


def option(argv: list[str], key: str) -> str | None:
    """The value of ``key=...`` on a command line (the last one), or None."""
    found = [w.split("=", 1)[1] for w in argv[1:] if w.split("=", 1)[0] == key]
    return found[-1] if found else None


def test_every_document_shows_commands_and_how_to_run_them():
    """Commands are written as .venv/bin/tsunagari, and each document says how to activate."""
    for doc in DOCS:
        text = (REPO / doc).read_text(encoding="utf-8")
        steps = commands(doc)
        assert len(steps) >= 5, f"{doc}: only {len(steps)} commands found"
        bare = [s.line for s in steps if not s.line.startswith(VENV_COMMAND + " ")]
        assert not bare, f"{doc}: write these as {VENV_COMMAND}: {bare}"
        names = {s.command for s in steps}
        unknown = names - set(SMALL) - AS_WRITTEN
        assert not unknown, f"{doc}: add a small-scale rule for {sorted(unknown)} to this test"
        assert "source .venv/bin/activate" in text, doc
        assert r".venv\Scripts\Activate.ps1" in text, doc
        for path in PRODUCED[doc]:  # what the test checks is what the document says
            assert path.split("/")[1] in text, f"{doc} does not mention {path}"


def test_small_scale_keeps_the_authors_keys():
    """The appended keys never repeat a key the document wrote."""
    step = Step("x", ["compare", "packages=[a,b]", "seeds=10", "years=5"])
    assert small(step) == [*step.argv, "population.scale=0.003", "burn_in_weeks=8"]
    assert small(Step("x", ["report", "結果/a", "lang=en"])) == ["report", "結果/a", "lang=en"]


def test_extraction_reads_blocks_comments_and_files(tmp_path, monkeypatch):
    """Fenced blocks, trailing comments and the yaml file to save are read as a reader would."""
    doc = tmp_path / "docs" / "d.md"
    doc.parent.mkdir()
    doc.write_text(
        "Save it as `p.yaml`.\n\n```yaml\nname: p\nlevers: []\n```\n\n"
        "```sh\n.venv/bin/tsunagari run scenario=p.yaml   # a comment\n"
        "tsunagari: error: not a command\n```\n\n`.venv/bin/tsunagari inline` is prose.\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    steps = doc_steps("docs/d.md")
    assert [(s.line, s.argv) for s in steps] == [
        ("p.yaml", []),
        (".venv/bin/tsunagari run scenario=p.yaml   # a comment", ["run", "scenario=p.yaml"]),
    ]
    assert steps[0].text == "name: p\nlevers: []\n"


def _folder_written(step: Step, cwd: Path) -> str | None:
    """The folder a run, compare or wide-area command writes, as the command would name it."""
    from sim.config import compose_config, load_configured_region

    argv = step.argv
    if step.command == "run":
        cfg = compose_config(argv[1:], check_region=False)
        region = load_configured_region(cfg)
        label = Path(cfg.scenario).stem
        return cfg.output_dir or f"outputs/{region.key.replace(':', '-')}-{label}-seed{cfg.seed}"
    if step.command == "wide-area":
        region = option(argv, "region") or "tottori"
        return option(argv, "out") or f"outputs/wide_area-{region}"
    if step.command == "compare":
        return option(argv, "out")
    return None


def _check_without_running(step: Step, cwd: Path) -> None:
    """Validate one documented command the way the command does before any work."""
    from sim.app.cli import build_parser, main

    argv = step.argv
    if step.command in ("run", "config"):
        from sim.config import compose_config

        compose_config(argv[1:])  # what tsunagari config prints, with the same checks
    elif step.command == "compare":
        from experiments.commands import compare_sweep

        compare_sweep(argv[1:])
    elif step.command == "wide-area":
        from experiments.wide_area import check_horizon, check_region, parse
        from sim.config import compose_config, load_configured_region

        opts, model = parse(argv[1:])
        cfg = compose_config(model)
        check_region(load_configured_region(cfg))
        check_horizon(cfg, lang=opts["lang"])
    elif step.command in ("scenarios", "params"):
        assert main(argv) == 0, step.line
    else:
        build_parser().parse_args(argv)  # dashboard, report: their words parse


def problems(doc: str, cwd: Path) -> list[str]:
    """What is wrong with ``doc``'s commands, checked in document order without running them.

    Files the document asks to save are written to ``cwd`` (the current folder) first.
    """
    found: list[str] = []
    written: list[str] = []
    for step in doc_steps(doc):
        if not step.argv:
            (cwd / step.line).write_text(step.text, encoding="utf-8")
            continue
        try:
            _check_without_running(step, cwd)
        except (Exception, SystemExit) as exc:  # the command's own one-line refusal
            found.append(f"{step.line}: {type(exc).__name__}: {exc}")
            continue
        if step.command == "report":
            folder = step.argv[1].rstrip("/")
            if folder not in written:
                found.append(f"{step.line}: no earlier command writes {folder}")
        elif (folder := _folder_written(step, cwd)) is not None:
            written.append(folder.rstrip("/"))
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_documented_commands_are_valid(doc, tmp_path, monkeypatch, capsys):
    """Every command passes the command's own checks; every report names a folder written before.

    Runs nothing: run commands are composed as ``tsunagari config`` composes them.
    """
    monkeypatch.chdir(tmp_path)
    found = problems(doc, tmp_path)
    capsys.readouterr()
    assert not found, f"{doc}:\n" + "\n".join(found)


def test_wrong_documented_commands_are_found(tmp_path, monkeypatch, capsys):
    """A package outside the region, an unknown key and a report of an unwritten folder fail."""
    doc = tmp_path / "docs" / "d.md"
    doc.parent.mkdir()
    doc.write_text(
        "Save it as `p.yaml`.\n\n```yaml\nname: p\nextends: baseline\nlevers:\n"
        "  - type: venue\n    municipalities: [鳥取市]\n```\n\n```\n"
        ".venv/bin/tsunagari run scenario=p.yaml output_dir=outputs/p\n"
        ".venv/bin/tsunagari run scenario=p.yaml region=kochi\n"
        ".venv/bin/tsunagari compare packages=[places_first] seeds=2 no_such_key=1 out=outputs/c\n"
        ".venv/bin/tsunagari report outputs/p\n"
        ".venv/bin/tsunagari report outputs/c\n```\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    monkeypatch.chdir(tmp_path)
    found = problems("docs/d.md", tmp_path)
    capsys.readouterr()
    assert [f.split(":")[0] for f in found] == [
        ".venv/bin/tsunagari run scenario=p.yaml region=kochi",
        ".venv/bin/tsunagari compare packages=[places_first] seeds=2 no_such_key=1 out=outputs/c",
        ".venv/bin/tsunagari report outputs/c",
    ]
    assert "鳥取市" in found[0] and "no_such_key" in found[1]


def _tsunagari() -> list[str]:
    """The tsunagari command of this environment (the script beside this Python)."""
    script = Path(sys.executable).with_name("tsunagari")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.app.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_stop(argv: list[str], cwd: Path, env: dict) -> None:
    """Start the dashboard as written (on a free port), see it answer, stop it with SIGTERM."""
    port = _free_port()
    proc = subprocess.Popen(
        [*_tsunagari(), *argv, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        end = time.monotonic() + 120
        status = None
        while status is None:
            assert proc.poll() is None, f"dashboard exited: {proc.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < end, "dashboard did not answer within 120 s"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/", headers={"Host": f"127.0.0.1:{port}"})
                status = conn.getresponse().status
                conn.close()
            except OSError:
                time.sleep(0.5)
        assert status == 200
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS)
def test_documented_commands_run_as_written(doc, tmp_path):
    """Every command of ``doc`` runs in document order at a small scale and exits 0."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    failures = []
    for step in doc_steps(doc):
        if not step.argv:
            (tmp_path / step.line).write_text(step.text, encoding="utf-8")
            continue
        if step.command == "dashboard":
            if importlib.util.find_spec("solara") is None:
                continue  # the documents say the dashboard needs its extra
            _serve_and_stop(step.argv, tmp_path, env)
            continue
        done = subprocess.run(
            [*_tsunagari(), *small(step)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            failures.append(f"{step.line}\n    -> exit {done.returncode}: {done.stderr[-500:]}")
    missing = [p for p in PRODUCED[doc] if not (tmp_path / p).exists()]
    assert not failures, f"{doc}: commands failed:\n" + "\n".join(failures)
    assert not missing, f"{doc}: not produced: {missing}"
    tables = tmp_path / "結果/居場所中心/tables"
    if doc == "docs/walkthrough_ja.md":  # the report's tables as CSV and Excel
        assert list(tables.glob("*.csv")) and list(tables.glob("*.xlsx"))

"""The documentation shipped in the repository (README.md and docs/).

- every relative link resolves to a file of the repository (and an anchor `#x` to a
  heading of the page it points at), and nothing links outside it (`../shared/...`);
- every `evalrun` command in a ```bash block is accepted by the command line, as far as
  parsing goes: its sub-command exists and its options and arguments parse (no model is
  called, nothing runs);
- the README keeps its two quick-start commands exactly;
- the worked example of docs/extending.md runs and gives the figures the page shows.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, run_evalrun

import evalrun

README = REPO / "README.md"
DOCS = REPO / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+).+?\1")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Link:
    page: Path
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}: link `{self.target}`"


def prose_lines(page: Path, *, code_spans: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, text) of the lines outside fenced code blocks; code spans removed
    unless `code_spans` (a link inside `...` is no link, a heading's `x` is its text)."""
    inside = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            yield number, line if code_spans else CODE_SPAN.sub("", line)


def links(page: Path) -> Iterator[Link]:
    for number, line in prose_lines(page):
        for found in INLINE_LINK.finditer(line):
            yield Link(page, number, found.group(1))
        reference = REFERENCE_LINK.match(line)
        if reference:
            yield Link(page, number, reference.group(1))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (but `-` and
    `_`), spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a page (repeated headings get `-1`, `-2`, ...)."""
    found: set[str] = set()
    for _, line in prose_lines(page, code_spans=True):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            name, n = base, 0
            while name in found:
                n += 1
                name = f"{base}-{n}"
            found.add(name)
    return found


ALL_LINKS = [link for page in PAGES for link in links(page)]


def test_the_docs_exist() -> None:
    names = {p.name for p in DOCS.glob("*.md")}
    assert {
        "task-format.md",
        "survey-format.md",
        "cli.md",
        "python-api.md",
        "log-format.md",
        "extending.md",
        "mock-models.md",
    } <= names
    linked = {
        (link.page.parent / link.target.partition("#")[0]).resolve()
        for link in links(README)
        if not SCHEME.match(link.target)
    }
    unlinked = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked]
    assert not unlinked, f"README.md does not link to docs/{unlinked[0]}"


@pytest.mark.parametrize("link", ALL_LINKS, ids=str)
def test_relative_links_resolve(link: Link) -> None:
    if SCHEME.match(link.target):
        return  # http(s), mailto: not checked here
    path_part, _, anchor = link.target.partition("#")
    target = (link.page.parent / path_part).resolve() if path_part else link.page
    assert REPO in target.parents or target == REPO, (
        f"{link} points outside the repository: a user's clone does not have it"
    )
    assert target.exists(), f"{link}: no such file {target.relative_to(REPO)}"
    if anchor:
        assert target.suffix == ".md", f"{link}: an anchor into a file that is not a page"
        known = anchors(target)
        assert anchor in known, (
            f"{link}: no heading `#{anchor}` in {target.relative_to(REPO)} "
            f"(its headings: {', '.join(sorted(known))})"
        )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_nothing_links_to_the_shared_spec(page: Path) -> None:
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        assert "../shared" not in line and "/work/shared" not in line, (
            f"{page.relative_to(REPO)}:{number}: refers to the shared spec folder, which a "
            f"user's clone does not have: {line.strip()}"
        )


# --- commands -------------------------------------------------------------------------

SEPARATORS = {"&&", "||", ";", "|", "&", ";;", "(", ")"}


@dataclass(frozen=True)
class Command:
    page: Path
    line: int
    text: str
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}: {self.text}"


def bash_blocks(page: Path) -> Iterator[tuple[int, str]]:
    """(line number, logical line) of every ```bash block; `\\` continuations joined."""
    language: str | None = None
    pending: tuple[int, str] | None = None
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(line)
        if fence:
            language = None if language is not None else line.strip().strip("`~").strip()
            continue
        if language not in ("bash", "sh", "shell"):
            continue
        start, text = pending if pending else (number, "")
        text += line
        if text.endswith("\\"):
            pending = (start, text[:-1] + " ")
            continue
        pending = None
        yield start, text


def evalrun_commands(page: Path) -> Iterator[Command]:
    """Each `evalrun ...` (or `.venv/bin/evalrun ...`) command of the page's bash blocks,
    also after `&&`, `;` or `|`, up to a `#` comment."""
    for number, text in bash_blocks(page):
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        command: list[str] = []
        for token in [*tokens, ";"]:
            if token not in SEPARATORS:
                command.append(token)
                continue
            while command and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", command[0]):
                command.pop(0)  # VAR=value before the command
            if command and (command[0] == "evalrun" or command[0].endswith("/evalrun")):
                yield Command(page, number, text.strip(), tuple(command[1:]))
            command = []


COMMANDS = [command for page in PAGES for command in evalrun_commands(page)]


def _click_errors() -> tuple[type[BaseException], tuple[type[BaseException], ...]]:
    """(UsageError, the exceptions that mean "done": --help, --version) of the click that
    typer runs on: its own copy (typer 0.29 on), else click itself."""
    import typer

    try:
        from typer._click.exceptions import UsageError
    except ImportError:
        from click.exceptions import UsageError  # type: ignore[assignment]
    done: list[type[BaseException]] = [typer.Exit, SystemExit]
    try:
        from click.exceptions import Exit

        done.append(Exit)
    except ImportError:
        pass
    return UsageError, tuple(done)


def parse(argv: tuple[str, ...]) -> None:
    """Parse `evalrun ARGV` as the command line would, down to the sub-command, without
    running it: raises click's UsageError when a command, option or value is wrong."""
    import typer.main

    from evalrun.cli import app

    command = typer.main.get_command(app)
    ctx = command.make_context("evalrun", list(argv), resilient_parsing=False)
    while hasattr(command, "resolve_command"):  # a group: find the sub-command
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert name is not None and sub is not None
        ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=False)
        command = sub


def test_the_readme_shows_commands() -> None:
    assert sum(1 for c in COMMANDS if c.page == README) >= 10


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_documented_commands_parse(command: Command) -> None:
    usage_error, done = _click_errors()
    try:
        parse(command.argv)
    except usage_error as error:
        pytest.fail(f"{command}\n  is not accepted by evalrun: {error.format_message()}")
    except done:
        pass


def test_a_wrong_command_is_caught() -> None:
    """The check above can fail: an unknown option, a bad value, a missing argument."""
    usage_error, _ = _click_errors()
    for argv in (
        ("eval", "tasks/arithmetic.yaml", "--no-such-option"),
        ("eval", "tasks/arithmetic.yaml", "--epochs", "two"),
        ("eval-retry",),
        ("log", "nonsense"),
    ):
        with pytest.raises(usage_error):
            parse(argv)


# --- the README's contract and the worked example ---------------------------------------


def test_the_readme_keeps_its_two_commands() -> None:
    """The example command, and the test command exactly as `.ci/run` runs it."""
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    (test_command,) = [line for line in ci.splitlines() if "pytest" in line]
    QUICK_START = [
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/evalrun eval tasks/arithmetic.yaml",
        test_command,
    ]
    text = README.read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    for line in QUICK_START:
        assert f"```bash\n{line}\n```" in section, f"README.md lost its command: {line}"


def test_the_local_model_recipe_builds_portably() -> None:
    """A plain `pip install llama-cpp-python` builds for the build machine's CPU, whose
    AMX code crashes the server on some Xeons: the recipe turns native tuning off."""
    text = README.read_text(encoding="utf-8")
    recipe = text.split("### A real local model, offline", 1)[1].split("\n## ", 1)[0]
    assert "-DGGML_NATIVE=OFF" in recipe
    install = [line for line in recipe.splitlines() if "pip install" in line and "llama" in line]
    assert install and all("CMAKE_ARGS=" in line for line in install)


def test_the_worked_example_runs(tmp_path: Path) -> None:
    example = DOCS / "examples" / "wordcount" / "wordcount.yaml"
    result = run_evalrun(
        "eval", str(example), "-m", "mockllm/model", "--display", "none",
        "--log-dir", str(tmp_path), cwd=REPO,
    )  # fmt: skip
    assert result.code == 0, result.output
    (path,) = tmp_path.glob("*.eval")
    log = evalrun.read_log(path)
    metrics = {entry.scorer: entry.metrics for entry in log.results.scores}
    assert metrics["python"]["accuracy"] == pytest.approx(2 / 3)
    assert metrics["python_2"]["mean"] == pytest.approx(8 / 9)
    city = next(s for s in log.samples if s.id == "city")
    assert city.scores["python"].explanation == "3 words, wanted 6"
    page = (DOCS / "extending.md").read_text(encoding="utf-8")
    assert "0.667" in page and "0.889" in page

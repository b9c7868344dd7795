"""The README's promises: its snippet prints what the README says it prints."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _block_after(text, heading, language):
    """The first fenced block of ``language`` after ``heading``."""
    section = text[text.index(heading) :]
    match = re.search(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)
    return match.group(1)


def test_taste_prints_what_the_readme_shows():
    text = README.read_text()
    code = _block_after(text, "## A taste", "python")
    expected = _block_after(text, "## A taste", "text")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {})
    assert printed.getvalue() == expected


def test_fresh_machine_commands_install_what_the_tests_need():
    text = README.read_text()
    section = text[text.index("## On a fresh machine") : text.index("## A taste")]
    commands = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert len(commands) == 2
    quickstart, tests = (command.strip() for command in commands)
    assert quickstart.endswith("python examples/quickstart.py")
    assert 'pip install ".[test,dask]"' in tests
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest -q" in tests and "python -m pytest -q" in ci

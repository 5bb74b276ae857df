"""docs/使用说明.md documents every problem code, with the table generated from the catalogue."""
from __future__ import annotations

from pathlib import Path

from xlflag.core.problems import Code
from xlflag.edge.guide import END, START, message_table, with_table

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "使用说明.md"


def test_guide_holds_the_current_message_table():
    """If this fails, run `python -m xlflag.edge.guide` and commit docs/使用说明.md."""
    text = GUIDE.read_text(encoding="utf-8")
    assert with_table(text) == text


def test_every_code_is_documented_with_what_to_do():
    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index(START):text.index(END)]
    for code in Code:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{code.name}` |"))
        advice = row.rstrip(" |").rsplit("|", 1)[-1].strip()
        assert advice, code.name  # every row says what to do
    assert len(message_table().splitlines()) == 2 + len(Code)


def test_readme_links_the_guide_on_its_first_screen():
    readme = (GUIDE.parents[1] / "README.md").read_text(encoding="utf-8").splitlines()
    assert any("docs/使用说明.md" in line for line in readme[:12])

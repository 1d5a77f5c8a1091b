# SPDX-License-Identifier: Apache-2.0
"""Every ```python block of the docs marked <!-- run: pytest --> runs as written (those marked
<!-- run: pytest-torch --> need torch: test_torch.py runs them)."""
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def blocks(marker="pytest"):
    marked = re.compile(rf"<!-- run: {marker} -->\n```python\n(.*?)```", re.S)
    for page in sorted(DOCS.glob("*.md")):
        for i, code in enumerate(marked.findall(page.read_text(encoding="utf-8"))):
            yield pytest.param(code, id=f"{page.name}-{i}")


@pytest.mark.parametrize("code", list(blocks()))
def test_documented_python_runs(code):
    exec(compile(code, "<docs>", "exec"), {})


def test_the_docs_have_python_blocks():
    assert len(list(blocks())) >= 1

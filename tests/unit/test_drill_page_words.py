"""The drill pages keep no words of their own (issue 18): every word they show in zh or en comes from the
locales (``dashboards/locales/zh.yaml`` and ``en.yaml``, ``drill_page.player.*`` / ``drill_page.facilitator.*``),
the house's one home for words — so a translator edits one file, and both languages have every word."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboards.views import drill_words as dw
from tests.helpers import ROOT

PAGES = {"player": ROOT / "dashboards" / "views" / "drill_player.py",
         "facilitator": ROOT / "dashboards" / "views" / "drill_facilitator.py"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2160-\u216f]")
PHRASE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")  # two words in a row: a sentence, not a key or an id


def literals(path: Path) -> list[str]:
    """The string constants of a module that a person could read: docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    docs |= {id(b.value) for n in ast.walk(tree) if isinstance(n, ast.Module)
             for a, b in zip(n.body, n.body[1:]) if isinstance(a, ast.Assign) and isinstance(b, ast.Expr)}
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_no_words_in_the_page_module(page: str) -> None:
    words = [s for s in literals(PAGES[page]) if CJK.search(s) or PHRASE.search(s)]
    assert not words, words


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_word_the_page_asks_for_is_in_both_locales(page: str) -> None:
    got = dw.page_words(page)
    assert got["zh"] and got["zh"].keys() == got["en"].keys()
    src = PAGES[page].read_text(encoding="utf-8")
    asked = set(re.findall(r"(?:\bw|\bW\[[^\]]+\])\[[\"'](\w+)[\"']\]", src))
    if page == "player":  # the work order's replies, looked up as "reply_" + the reply
        asked |= {"reply_sign", "reply_reject"}
    assert asked and asked <= got["zh"].keys(), sorted(asked - got["zh"].keys())
    if page == "facilitator":  # the facilitator borrows the player's words as ``pw``
        borrowed = set(re.findall(r"\bpw\[[\"'](\w+)[\"']\]", src))
        assert borrowed and borrowed <= dw.page_words("player")["zh"].keys()

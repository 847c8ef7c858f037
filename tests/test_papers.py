"""The table of paper numbers (`ddlab.papers`): well-formed, findable, and covering every number the
notebooks present as a paper's — so a notebook cannot quote a number nobody checked."""

import json
import re
from pathlib import Path

import pytest

from ddlab.papers import NUMBERS, PAPERS, number, parse, table

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))

# A markdown cell speaks of a paper's result when it names a paper, its authors or its report.
PAPER_CUE = re.compile(r"\bpaper|\breport|\bet al\.|\bauthors\b|\bWang\b|\bZhao\b", re.IGNORECASE)
# A quoted accuracy: one decimal, optional ± std, then a percent sign ("93.8%", "91.7 ± 0.5%", "**93.8%**").
PERCENT = re.compile(r"(?<![\d.])(\d{1,3}\.\d)(?:\s*±\s*(\d{1,2}\.\d))?\s*%")
# A sentence that speaks of our own measurement rather than the paper's.
OURS = re.compile(r"\b(ours|our|we measure|we get)\b", re.IGNORECASE)


def cited(notebook: Path) -> list[tuple[str, int, float, float | None]]:
    """(notebook, cell, mean, std) for each accuracy a markdown cell quotes in a sentence about a
    paper: the cell names a paper, and the sentence holding the number is not about our own run."""
    found = []
    for index, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        text = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or not PAPER_CUE.search(text):
            continue
        for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z(*])", text):
            if OURS.search(sentence):
                continue
            for mean, std in PERCENT.findall(sentence):
                found.append((notebook.name, index, float(mean), None if not std else float(std)))
    return found


def in_table(mean: float, std: float | None) -> bool:
    return any(n.mean == mean and (std is None or n.std == std) for n in NUMBERS)


def test_every_number_names_a_known_paper_with_a_url_and_a_source():
    for n in NUMBERS:
        assert n.paper in PAPERS, n
        assert PAPERS[n.paper].url.startswith("https://arxiv.org/abs/"), n.paper
        assert n.source.startswith("https://"), n
        assert n.where and n.dataset and n.method, n


def test_value_text_parses_to_the_stored_mean():
    for n in NUMBERS:
        assert parse(n.value)[0] == n.mean, n
    assert parse("91.7 ± 0.5") == (91.7, 0.5)
    assert parse("93.8") == (93.8, None)
    assert parse("over 96") == (96.0, None)
    with pytest.raises(ValueError, match="not a paper value"):
        parse("91.7+-0.5")


def test_every_number_is_unique_by_its_setting():
    keys = [(n.paper, n.dataset, n.method, n.setting) for n in NUMBERS]
    assert len(keys) == len(set(keys))


def test_lookups_find_the_numbers_the_course_quotes():
    assert number(paper="dc", dataset="mnist", ipc=1).value == "91.7 ± 0.5"
    assert number(paper="dsa", dataset="mnist", ipc=10).value == "97.8 ± 0.1"
    assert number(paper="wang2018", dataset="mnist", method="dd", init="fixed").value == "93.8"
    assert number(paper="wang2018", method="dd", dataset="mnist", init="random").std == 8.1
    assert number(paper="dm", dataset="cifar10", ipc=1000).value == "79.8 ± 0.3"
    assert number(dataset="mnist", method="kip_fc", ipc=10).mean == 97.2


@pytest.mark.parametrize(
    "ask, says",
    [
        (dict(paper="dm", dataset="mnist", ipc=1), "paper='dm', dataset='mnist', method='dm', ipc=1; there are: dm/"),
        (dict(paper="mtt", dataset="mnist"), "none of 'mtt'"),
        (dict(paper="wang2018", dataset="mnist", init="fixed"), "2 paper numbers match"),
        (dict(paper="nope"), "unknown paper 'nope'; papers: wang2018"),
    ],
)
def test_a_missing_or_ambiguous_lookup_raises_one_line(ask, says):
    with pytest.raises(ValueError) as error:
        number(**ask)
    assert says in str(error.value) and "\n" not in str(error.value)


def test_table_renders_the_filtered_rows_and_the_citation():
    text = table(dataset="mnist", method="dsa")
    assert text.count("| Zhao & Bilen 2021 |") == 3 and "88.7 ± 0.6" in text
    assert PAPERS["dsa"].url in text and PAPERS["dc"].url not in text
    with pytest.raises(ValueError, match="no checked paper number for dataset='svhn'"):
        table(dataset="svhn")


def test_the_helper_finds_quoted_numbers_and_skips_ours():
    import tempfile

    cells = [
        {
            "cell_type": "markdown",
            "source": ["Wang et al. report **93.8%**; DC reported 91.7 ± 0.5%.\n", "Ours reaches 90.9%."],
        },
        {"cell_type": "markdown", "source": ["Nothing cited here: 55.5%."]},
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nb.ipynb"
        path.write_text(json.dumps({"cells": cells}))
        assert [(mean, std) for _, _, mean, std in cited(path)] == [(93.8, None), (91.7, 0.5)]
        assert len(typed(path)) == 4


def typed(notebook: Path) -> list[tuple[str, int, str]]:
    """(notebook, cell, text) of every accuracy typed into a markdown cell, a paper's or ours."""
    return [
        (notebook.name, index, match.group(0))
        for index, cell in enumerate(json.loads(notebook.read_text())["cells"])
        if cell["cell_type"] == "markdown"
        for match in PERCENT.finditer("".join(cell["source"]))
    ]


def test_no_accuracy_is_typed_into_a_notebooks_markdown():
    """Paper numbers are printed from ddlab.papers and ours by the cell that measures them, so the
    text cannot drift from the table or from what runs."""
    found = [hit for nb in NOTEBOOKS for hit in typed(nb)]
    assert not found, "typed into markdown (print it from ddlab.papers or from the run instead): " + "; ".join(
        f"{name} cell {cell}: {text}" for name, cell, text in found
    )


def test_the_notebooks_print_paper_numbers_from_the_table():
    quoting = [nb.name for nb in NOTEBOOKS if "papers." in nb.read_text()]
    assert len(quoting) >= 8, f"only {quoting} print paper numbers from ddlab.papers"

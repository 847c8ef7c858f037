"""The questionnaire closing each notebook is the one `ddlab.exercises.questionnaire` holds: the cell
lists exactly the registered questions, and every question has an answer `answer` can show."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from ddlab.exercises import answer, questionnaire

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def questionnaire_cells(nb) -> list[int]:
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and cell.source.startswith("## Questionnaire")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebook_closes_with_its_registered_questionnaire_before_the_summary(path):
    nb = nbformat.read(path, as_version=4)
    cells = questionnaire_cells(nb)
    assert len(cells) == 1, f"{path.name}: {len(cells)} questionnaire cells"
    assert nb.cells[cells[0]].source == questionnaire.markdown(path.name[:2])
    summary = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown" and "## Summary" in cell.source)
    assert summary == cells[0] + 1, f"{path.name}: the summary should follow the questionnaire"


def test_every_notebook_has_five_to_eight_questions_each_with_an_answer():
    assert sorted(questionnaire.QUESTIONS) == [p.name[:2] for p in NOTEBOOKS]
    for notebook, questions in questionnaire.QUESTIONS.items():
        assert 5 <= len(questions) <= 8, notebook
        for question, reply in questions:
            assert question.endswith(("?", ".")) and len(reply) > 80, (notebook, question)


def test_answer_prints_and_returns_the_registered_answer(capsys):
    reply = answer("07.q1")
    assert reply == questionnaire.QUESTIONS["07"][0][1]
    assert capsys.readouterr().out.strip() == reply


@pytest.mark.parametrize("bad", ["07.q99", "7.q1", "07.1", ""])
def test_an_unknown_question_is_one_line_naming_it_and_the_allowed_ids(bad):
    with pytest.raises(ValueError) as error:
        answer(bad)
    message = str(error.value)
    assert "\n" not in message and repr(bad) in message and "00.q1" in message and "13.q6" in message


def test_an_unknown_notebook_has_no_questionnaire():
    with pytest.raises(ValueError, match="'99'.*00, 01"):
        questionnaire.markdown("99")

"""Notebook 02's exercises: a random-init set on the fixed theta_0*, and whether "random" means any
network."""

from __future__ import annotations

from .core import NotYet, exercise
from .provenance import distinct, scores_of


@exercise(
    "02.1",
    choices=("far below", "within its spread"),
    why="The fixed theta_0* is just one more draw from the distribution the set was distilled "
    "for, so nothing about it is new to the images: a random-init set scores on it about "
    "what it scores on any fresh draw. Fixed-init data fell on random inits because one "
    "network is not a distribution; the converse does not hold.",
    hint="Evaluate the 100-image reference set `random_100` twice: under init='random' "
    "(n_models networks) and under init='fixed'.",
    solution="""
prediction = "within its spread"
answer = {"random": ddlab.evaluate(random_100, data, n_models=n_models),
          "fixed": ddlab.evaluate(random_100, data, init="fixed")}
check("02.1", prediction, answer)
""",
    typed={"random": 0.80, "fixed": 0.79},
    wrong_setting='counterfeit = {"random": answer["random"], "fixed": answer["random"]}',
)
def random_set_on_fixed(answer) -> str:
    scores = scores_of(answer, ("random", "fixed"), setting={"random": "random", "fixed": "fixed"}, same_images=True)
    if scores["random"].evaluated.made_for != "random":
        raise NotYet("the question is about a set distilled for random inits: evaluate `random_100`")
    random = scores["random"]
    return "far below" if scores["fixed"].mean < random.mean - max(2 * random.std, 0.1) else "within its spread"


@exercise(
    "02.2",
    choices=("falls", "holds"),
    why="'Random' means random *from p*: the images and step sizes were fitted to networks whose "
    "weights have Xavier's spread. Kaiming's larger weights change every activation and "
    "gradient the images were tuned against, so the learned steps overshoot. The "
    "distribution of theta_0 is part of what the data was distilled for.",
    hint="`dataclasses.replace(random_100, config={**random_100.config, 'init_scheme': 'kaiming'})` "
    "is the same set, evaluated on Kaiming draws; evaluate both it and `random_100`.",
    solution="""
import dataclasses

prediction = "falls"
kaiming_set = dataclasses.replace(random_100, config={**random_100.config, "init_scheme": "kaiming"})
answer = {"xavier": ddlab.evaluate(random_100, data, n_models=n_models),
          "kaiming": ddlab.evaluate(kaiming_set, data, n_models=n_models)}
check("02.2", prediction, answer)
""",
    typed={"xavier": 0.80, "kaiming": 0.30},
    wrong_setting='counterfeit = {"xavier": answer["xavier"], "kaiming": answer["xavier"]}',
)
def other_distribution(answer) -> str:
    scores = scores_of(
        answer,
        ("xavier", "kaiming"),
        setting={"xavier": "random", "kaiming": "random"},
        scheme={"xavier": "xavier", "kaiming": "kaiming"},
        same_images=True,
    )
    distinct(scores, "xavier", "kaiming", "evaluate the set once on Xavier draws and once on Kaiming draws")
    return "falls" if scores["kaiming"].mean < scores["xavier"].mean - 0.05 else "holds"

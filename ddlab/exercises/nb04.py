"""Notebook 04's exercises: do adaptation images and a poison work on pretrained networks they were
not made for? Both read the outcome off networks the set never saw."""

from __future__ import annotations

from ..experiments.poisoning import AttackScores
from .core import NotYet, exercise
from .provenance import keys_of, scores_of


@exercise(
    "04.1",
    choices=("as good", "worse"),
    why="Images distilled for one pretrained network encode the update that carries *that* "
    "network to MNIST, through the features it computes. Other pretrained networks compute "
    "other features, so the same pixels move them less well: notebook 02's lesson (fixed-init "
    "data does not transfer), one level up. `random_pretrained` distils over many networks "
    "for exactly this reason.",
    hint="`ddlab.evaluate(fixed_set, data)` scores the set on its own network; add "
    "`init='random_pretrained', n_models=budget['n_models']` for the pool's unseen networks.",
    solution="""
prediction = "worse"
answer = {"own": ddlab.evaluate(fixed_set, data),
          "unseen": ddlab.evaluate(fixed_set, data, init="random_pretrained", n_models=budget["n_models"])}
check("04.1", prediction, answer)
""",
    typed={"own": 0.90, "unseen": 0.60},
    wrong_setting='counterfeit = {"own": answer["own"], "unseen": answer["own"]}',
)
def adaptation_on_unseen(answer) -> str:
    scores = scores_of(
        answer, ("own", "unseen"), setting={"own": "fixed_pretrained", "unseen": "random_pretrained"}, same_images=True
    )
    return "worse" if scores["unseen"].mean < scores["own"].mean - 0.03 else "as good"


@exercise(
    "04.2",
    choices=("as strong", "weaker"),
    why="The poison was distilled against one network: its pixels push that network's weights "
    "towards calling 3s 8s. On networks it never saw the push lands elsewhere, and far fewer "
    "3s turn into 8s. To poison networks it cannot see, an attacker distils over many "
    "(init='random_pretrained'), as Wang et al. do with random initialisations.",
    hint="`ddlab.experiments.poisoning.attack_scores(poison, data)` measures the attack on its "
    "victim; add `init='random_pretrained', n_models=budget['n_models']` for unseen networks. "
    "Compare their `.success`.",
    solution="""
from ddlab.experiments.poisoning import attack_scores

prediction = "weaker"
answer = {"victim": attack_scores(poison, data),
          "unseen": attack_scores(poison, data, init="random_pretrained", n_models=budget["n_models"])}
check("04.2", prediction, answer)
""",
    typed={"victim": 0.90, "unseen": 0.20},
    wrong_setting='counterfeit = {"victim": answer["victim"], "unseen": answer["victim"]}',
)
def poison_on_unseen(answer) -> str:
    for name, scores in keys_of(answer, ("victim", "unseen")).items():
        if not isinstance(scores, AttackScores):
            raise NotYet(f"answer[{name!r}] should be what attack_scores returns, got {type(scores).__name__}")
    scores_of({name: found.success for name, found in answer.items()}, ("victim", "unseen"), same_images=True)
    if answer["unseen"].success.setting != "random_pretrained":
        raise NotYet("answer['unseen'] should be measured on the pool's unseen networks: init='random_pretrained'")
    if answer["victim"].success.setting != "fixed_pretrained":
        raise NotYet("answer['victim'] should be measured on the poison's own network (no init argument)")
    if answer["victim"].attack != answer["unseen"].attack:
        raise NotYet("measure the same attack on both")
    return "weaker" if answer["unseen"].success.mean < answer["victim"].success.mean - 0.1 else "as strong"

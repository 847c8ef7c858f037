"""Every number the course quotes from a paper, in one table, each checked against a public source.

Notebooks and modules print a paper's result beside ours; a number quoted from memory, or copied
from a paper that itself quoted another, drifts. So each quoted number lives here once, as a
`PaperNumber` that says which paper, which table or page, which setting, the value exactly as it
was printed, and `source`: the page that was read to check it. Code asks for it by its setting:

    number(paper="dc", dataset="mnist", ipc=1).value      # '91.7 ± 0.5'
    table(dataset="mnist", method="dc")                     # a markdown table with the citation

Only numbers that could be checked are here. What could not be checked (Wang et al.'s Table 1
baselines, their poisoning numbers, DC's coreset rows and whole-dataset row, DM's MNIST numbers,
KIP's numbers without label learning) is left out rather than quoted from memory; `number` then
raises, naming what exists.

A value's text is what the source printed ("91.7 ± 0.5": mean ± std over trained networks, in %);
"over 96" and "almost 92" are a paper's own rounded words, kept as words. Where the mean and the
std were read in different places, `source` names both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Paper:
    title: str
    authors: str
    year: int
    venue: str
    url: str  # arXiv abstract page

    @property
    def short(self) -> str:
        """'Zhao & Bilen 2021', 'Wang et al. 2018': how a table row names the paper."""
        names = self.authors.replace(" & ", ", ").split(", ")
        return f"{self.authors if len(names) <= 2 else names[0] + ' et al.'} {self.year}"

    @property
    def cite(self) -> str:
        """One line for a notebook: authors, year, title, venue, link."""
        return f"{self.authors} ({self.year}). *{self.title}*. {self.venue}. {self.url}"


PAPERS: dict[str, Paper] = {
    "wang2018": Paper(
        "Dataset Distillation",
        "Wang, Zhu, Torralba & Efros",
        2018,
        "arXiv preprint",
        "https://arxiv.org/abs/1811.10959",
    ),
    "dc": Paper(
        "Dataset Condensation with Gradient Matching",
        "Zhao, Mopuri & Bilen",
        2021,
        "ICLR 2021",
        "https://arxiv.org/abs/2006.05929",
    ),
    "dsa": Paper(
        "Dataset Condensation with Differentiable Siamese Augmentation",
        "Zhao & Bilen",
        2021,
        "ICML 2021",
        "https://arxiv.org/abs/2102.08259",
    ),
    "dm": Paper(
        "Dataset Condensation with Distribution Matching",
        "Zhao & Bilen",
        2023,
        "WACV 2023",
        "https://arxiv.org/abs/2110.04181",
    ),
    "mtt": Paper(
        "Dataset Distillation by Matching Training Trajectories",
        "Cazenavette, Wang, Torralba, Efros & Zhu",
        2022,
        "CVPR 2022",
        "https://arxiv.org/abs/2203.11932",
    ),
    "kip": Paper(
        "Dataset Meta-Learning from Kernel Ridge-Regression",
        "Nguyen, Chen & Lee",
        2021,
        "ICLR 2021",
        "https://arxiv.org/abs/2011.00050",
    ),
    "kip_conv": Paper(
        "Dataset Distillation with Infinitely Wide Convolutional Networks",
        "Nguyen, Novak, Xiao & Lee",
        2021,
        "NeurIPS 2021",
        "https://arxiv.org/abs/2107.13034",
    ),
    "soft_label": Paper(
        "Soft-Label Dataset Distillation and Text Dataset Distillation",
        "Sucholutsky & Schonlau",
        2021,
        "IJCNN 2021",
        "https://arxiv.org/abs/1910.02551",
    ),
    "idc": Paper(
        "Dataset Condensation via Efficient Synthetic-Data Parameterization",
        "Kim, Kim, Oh, Yun, Song, Jeong, Ha & Song",
        2022,
        "ICML 2022",
        "https://arxiv.org/abs/2205.14959",
    ),
    "tesla": Paper(
        "Scaling Up Dataset Distillation to ImageNet-1K with Constant Memory",
        "Cui, Wang, Si & Hsieh",
        2023,
        "ICML 2023",
        "https://arxiv.org/abs/2211.10586",
    ),
    "yang2024": Paper(
        "What is Dataset Distillation Learning?",
        "Yang, Zhu, Deng & Russakovsky",
        2024,
        "ICML 2024",
        "https://arxiv.org/abs/2406.04284",
    ),
    "sre2l": Paper(
        "Squeeze, Recover and Relabel: Dataset Condensation at ImageNet Scale From A New Perspective",
        "Yin, Xing & Shen",
        2023,
        "NeurIPS 2023",
        "https://arxiv.org/abs/2306.13092",
    ),
    "rded": Paper(
        "On the Diversity and Realism of Distilled Dataset: An Efficient Dataset Distillation Paradigm",
        "Sun, Shi, Yu & Lin",
        2024,
        "CVPR 2024",
        "https://arxiv.org/abs/2312.03526",
    ),
}

# What a paper reports when the course needs to say it reports no number of the kind asked for.
NO_NUMBERS = {
    "mtt": "reports CIFAR-10, CIFAR-100, Tiny ImageNet and ImageNet subsets only: no MNIST or FashionMNIST "
    "(project page georgecazenavette.github.io/mtt-distillation lists its distilled sets)",
    "tesla": "is about scale and memory; its official README (github.com/justincui03/tesla) gives commands for "
    "CIFAR-10, CIFAR-100 and ImageNet-1K only and prints no accuracy, and the course quotes no TESLA accuracy: its "
    "memory claim is measured here instead (benchmarks/tesla_memory.py)",
    "yang2024": "reports its findings as curves and figures; the course quotes their direction, no number "
    "(ddlab.analysis.findings)",
    "sre2l": "reports Tiny ImageNet and ImageNet-1K (its code also CIFAR-100): no MNIST or FashionMNIST "
    "(README of github.com/VILA-Lab/SRe2L); the course measures them (benchmarks/decoupled.py)",
    "rded": "reports CIFAR-10, CIFAR-100, Tiny ImageNet, ImageNet subsets and ImageNet-1K: no MNIST or "
    "FashionMNIST (README of github.com/LINs-lab/RDED); the course measures them (benchmarks/decoupled.py)",
}

_VALUE = re.compile(r"(?:(?P<word>over|almost|about) )?(?P<mean>\d+(?:\.\d+)?)(?: ± (?P<std>\d+(?:\.\d+)?))?")


def parse(value: str) -> tuple[float, float | None]:
    """'91.7 ± 0.5' -> (91.7, 0.5); '93.8' -> (93.8, None); 'over 96' -> (96.0, None)."""
    match = _VALUE.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not a paper value: {value!r} (expected e.g. '91.7 ± 0.5', '93.8' or 'over 96')")
    std = match["std"]
    return float(match["mean"]), None if std is None else float(std)


@dataclass(frozen=True)
class PaperNumber:
    paper: str  # key of PAPERS
    where: str  # table, figure or page of the paper (or the page that printed it)
    dataset: str  # "mnist", "fashion_mnist", "cifar10"
    method: str  # "dd", "dc", "dsa", "dm", "kip_fc", ..., or a baseline's name
    setting: tuple[tuple[str, Any], ...]  # (key, value) pairs, sorted: ipc, images, init, arch, ...
    value: str  # exactly as printed, test accuracy in %
    mean: float  # the value's mean, as a number
    source: str  # where it was checked (URL, and what on that page)

    @property
    def std(self) -> float | None:
        return parse(self.value)[1]

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.setting)

    def describe(self) -> str:
        """'dc/mnist/dc (arch=ConvNet, ipc=1)': enough to ask `number` for it again."""
        return f"{self.paper}/{self.dataset}/{self.method} ({', '.join(f'{k}={v}' for k, v in self.setting)})"


def _n(paper: str, where: str, dataset: str, method: str, value: str, source: str, **setting: Any) -> PaperNumber:
    return PaperNumber(paper, where, dataset, method, tuple(sorted(setting.items())), value, parse(value)[0], source)


# -- where each number was checked ---------------------------------------------------------------
_WANG_PAGE = (
    "https://ssnl.github.io/dataset_distillation/ (project page, 'Experiment Results'; std over 200 held-out models)"
)
_WANG_README = "https://github.com/ssnl/dataset-distillation (README, (a))"
_DC_README = "https://github.com/VICO-UoE/DatasetCondensation (readme, DC 'Performance' table, mean)"
_DSA_README = "https://github.com/VICO-UoE/DatasetCondensation (readme, DSA 'Performance' table, mean)"
_DM_README = "https://github.com/VICO-UoE/DatasetCondensation (readme, DM section, Figure 8 text)"
_KIP_CONV = "https://arxiv.org/abs/2107.13034 (Nguyen et al. 2021b, Table 1)"
_STD_BY_KIP_CONV = "; ± as quoted in " + _KIP_CONV
_SOFT_ABSTRACT = "https://arxiv.org/abs/1910.02551 (abstract)"
_IDC_README = (
    "https://github.com/snu-mllab/Efficient-Dataset-Condensation (README, 'Performance' tables "
    "by images/class; ConvNet-3)"
)
_IDC_MEANS = {  # (dataset, factor, ipc) -> value; factor 1 is IDC-I (no multi-formation)
    ("mnist", 2, 1): "94.2",
    ("mnist", 2, 10): "98.4",
    ("mnist", 2, 50): "99.1",
    ("fashion_mnist", 2, 1): "81.0",
    ("fashion_mnist", 2, 10): "86.0",
    ("fashion_mnist", 2, 50): "86.2",
    ("mnist", 1, 1): "88.9",
    ("mnist", 1, 10): "98.0",
    ("mnist", 1, 50): "98.8",
    ("fashion_mnist", 1, 1): "70.7",
    ("fashion_mnist", 1, 10): "85.3",
    ("fashion_mnist", 1, 50): "89.1",
}

_DC_MEANS = {  # (dataset, ipc) -> value: official readme mean, ± from Nguyen et al. 2021b Table 1
    ("mnist", 1): "91.7 ± 0.5",
    ("mnist", 10): "97.4 ± 0.2",
    ("mnist", 50): "98.8 ± 0.1",
    ("fashion_mnist", 1): "70.5 ± 0.6",
    ("fashion_mnist", 10): "82.3 ± 0.4",
    ("fashion_mnist", 50): "83.6 ± 0.4",
    ("cifar10", 1): "28.3 ± 0.5",
    ("cifar10", 10): "44.9 ± 0.5",
    ("cifar10", 50): "53.9 ± 0.5",
}
_DSA_MEANS = {
    ("mnist", 1): "88.7 ± 0.6",
    ("mnist", 10): "97.8 ± 0.1",
    ("mnist", 50): "99.2 ± 0.1",
    ("fashion_mnist", 1): "70.6 ± 0.6",
    ("fashion_mnist", 10): "84.6 ± 0.3",
    ("fashion_mnist", 50): "88.7 ± 0.2",
    ("cifar10", 1): "28.8 ± 0.7",
    ("cifar10", 10): "52.1 ± 0.5",
    ("cifar10", 50): "60.6 ± 0.5",
}

NUMBERS: tuple[PaperNumber, ...] = (
    # Wang et al. 2018, LeNet on MNIST (AlexCifarNet on CIFAR-10), as the project page reports them.
    _n("wang2018", "project page", "mnist", "dd", "93.8", _WANG_PAGE, images=10, init="fixed", arch="LeNet"),
    _n("wang2018", "project page", "mnist", "fixed init, untrained", "12.9", _WANG_PAGE, init="fixed", arch="LeNet"),
    _n("wang2018", "project page", "mnist", "dd", "79.5 ± 8.1", _WANG_PAGE, images=100, init="random", arch="LeNet"),
    _n(
        "wang2018",
        "project page",
        "mnist",
        "dd",
        "92.7 ± 1.4",
        _WANG_PAGE,
        images=100,
        init="random_pretrained",
        pretrained_on="usps",
        arch="LeNet",
    ),
    _n(
        "wang2018",
        "project page",
        "mnist",
        "pretrained, before adaptation",
        "67.5 ± 3.9",
        _WANG_PAGE,
        init="random_pretrained",
        pretrained_on="usps",
        arch="LeNet",
    ),
    _n("wang2018", "project page", "cifar10", "dd", "54.0", _WANG_PAGE, images=100, init="fixed", arch="AlexCifarNet"),
    _n(
        "wang2018",
        "project page",
        "cifar10",
        "fixed init, untrained",
        "8.8",
        _WANG_PAGE,
        init="fixed",
        arch="AlexCifarNet",
    ),
    _n(
        "wang2018",
        "project page",
        "cifar10",
        "dd",
        "36.8 ± 1.2",
        _WANG_PAGE,
        images=100,
        init="random",
        arch="AlexCifarNet",
    ),
    _n("wang2018", "README (a)", "mnist", "whole dataset", "99", _WANG_README, arch="LeNet"),
    _n("wang2018", "README (a)", "cifar10", "whole dataset", "80", _WANG_README, arch="AlexCifarNet"),
    # DC and DSA (Table 1 of each paper; the readme numbers them Table 1 and Table 2), ConvNet width 128.
    *(
        _n("dc", "Table 1", dataset, "dc", value, _DC_README + _STD_BY_KIP_CONV, ipc=ipc, arch="ConvNet")
        for (dataset, ipc), value in _DC_MEANS.items()
    ),
    *(
        _n(
            "dsa",
            "Table 1 (readme: Table 2)",
            dataset,
            "dsa",
            value,
            _DSA_README + _STD_BY_KIP_CONV,
            ipc=ipc,
            arch="ConvNet",
        )
        for (dataset, ipc), value in _DSA_MEANS.items()
    ),
    # DM: the large synthetic sets on CIFAR-10 (the readme's sentence under Figure 8).
    *(
        _n("dm", "readme, under its Figure 8", "cifar10", "dm", value, _DM_README, ipc=ipc, arch="ConvNet")
        for ipc, value in (
            (100, "67.0 ± 0.3"),
            (200, "71.2 ± 0.4"),
            (500, "76.1 ± 0.3"),
            (1000, "79.8 ± 0.3"),
            (1250, "80.8 ± 0.3"),
        )
    ),
    # KIP with the FC kernel, KRR accuracy, with augmentation and label learning (as Nguyen et al. 2021b
    # quote their ICLR results), and KIP with the ConvNet kernel (Nguyen et al. 2021b's own).
    *(
        _n(
            "kip",
            "Table 1 of Nguyen et al. 2021b",
            "mnist",
            "kip_fc",
            value,
            _KIP_CONV + ", column 'KIP FC': 'All settings for KIP involve the use of augmentations and label-learning'",
            ipc=ipc,
            learn_labels=True,
            evaluation="krr",
        )
        for ipc, value in ((1, "85.5 ± 0.1"), (10, "97.2 ± 0.2"), (50, "98.4 ± 0.1"))
    ),
    *(
        _n(
            "kip_conv",
            "Table 1",
            dataset,
            "kip_convnet",
            value,
            _KIP_CONV + ", column 'KIP ConvNet'",
            ipc=ipc,
            learn_labels=True,
            evaluation="krr",
        )
        for (dataset, ipc), value in (
            (("mnist", 1), "96.5 ± 0.1"),
            (("mnist", 10), "99.1 ± 0.1"),
            (("mnist", 50), "99.5 ± 0.1"),
            (("fashion_mnist", 1), "76.7 ± 0.2"),
            (("fashion_mnist", 10), "88.8 ± 0.1"),
            (("fashion_mnist", 50), "91.0 ± 0.1"),
        )
    ),
    # IDC and IDC-I, as the official README's tables print them (no ±).
    *(
        _n(
            "idc",
            "README",
            dataset,
            "idc" if factor > 1 else "idc_i",
            value,
            _IDC_README,
            ipc=ipc,
            factor=factor,
            arch="ConvNet",
        )
        for (dataset, factor, ipc), value in _IDC_MEANS.items()
    ),
    # Soft-label DD: LeNet on MNIST, as the abstract words it.
    _n("soft_label", "abstract", "mnist", "soft_label_dd", "over 96", _SOFT_ABSTRACT, images=10, arch="LeNet"),
    _n("soft_label", "abstract", "mnist", "soft_label_dd", "almost 92", _SOFT_ABSTRACT, images=5, arch="LeNet"),
)


def _select(paper: str | None, dataset: str | None, method: str | None, setting: dict[str, Any]) -> list[PaperNumber]:
    return [
        n
        for n in NUMBERS
        if (paper is None or n.paper == paper)
        and (dataset is None or n.dataset == dataset)
        and (method is None or n.method == method)
        and all(k in n.settings and n.settings[k] == v for k, v in setting.items())
    ]


def _asked(paper: str | None, dataset: str | None, method: str | None, setting: dict[str, Any]) -> str:
    given = {"paper": paper, "dataset": dataset, "method": method, **setting}
    return ", ".join(f"{k}={v!r}" for k, v in given.items() if v is not None) or "everything"


def _listing(numbers: list[PaperNumber], limit: int = 12) -> str:
    shown = "; ".join(n.describe() for n in numbers[:limit])
    return shown + (f"; ... ({len(numbers) - limit} more)" if len(numbers) > limit else "")


def number(
    paper: str | None = None, dataset: str | None = None, method: str | None = None, **setting: Any
) -> PaperNumber:
    """The one paper number matching every given field (setting keys: ipc, images, init, arch, ...).

    `method` defaults to the paper's own method when the paper key names one (dc, dsa, dm), so
    ``number(paper="dc", dataset="mnist", ipc=1)`` is DC's result. Raises a one-line ValueError
    naming what was asked and what exists when nothing, or more than one number, matches."""
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; papers: {', '.join(PAPERS)}")
    if method is None and paper in ("dc", "dsa", "dm"):
        method = paper
    found = _select(paper, dataset, method, setting)
    if len(found) == 1:
        return found[0]
    asked = _asked(paper, dataset, method, setting)
    if not found:
        if paper in NO_NUMBERS:
            raise ValueError(
                f"no checked paper number for {asked}: the table holds none of {paper!r}, which {NO_NUMBERS[paper]}"
            )
        nearby = _select(paper, dataset, method, {}) or _select(paper, None, None, {}) or list(NUMBERS)
        raise ValueError(f"no checked paper number for {asked}; there are: {_listing(nearby)}")
    raise ValueError(f"{len(found)} paper numbers match {asked}; say which: {_listing(found)}")


def numbers(
    paper: str | None = None, dataset: str | None = None, method: str | None = None, **setting: Any
) -> list[PaperNumber]:
    """Every paper number matching the given fields (all of them when none is given)."""
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; papers: {', '.join(PAPERS)}")
    return _select(paper, dataset, method, setting)


def table(paper: str | None = None, dataset: str | None = None, method: str | None = None, **setting: Any) -> str:
    """A markdown table of the matching numbers for a notebook, followed by the papers they cite."""
    found = numbers(paper, dataset, method, **setting)
    if not found:
        raise ValueError(
            f"no checked paper number for {_asked(paper, dataset, method, setting)}; "
            f"there are: {_listing(list(NUMBERS))}"
        )
    lines = ["| paper | where | dataset | method | setting | test accuracy (%) |", "|---|---|---|---|---|---|"]
    for n in found:
        setting_text = ", ".join(f"{k}={v}" for k, v in n.setting)
        lines.append(f"| {PAPERS[n.paper].short} | {n.where} | {n.dataset} | {n.method} | {setting_text} | {n.value} |")
    lines.append("")
    lines += [f"- {PAPERS[key].cite}" for key in dict.fromkeys(n.paper for n in found)]
    return "\n".join(lines)

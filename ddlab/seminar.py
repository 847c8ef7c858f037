"""The 90-minute seminar: the plan a teacher follows minute by minute, and the runs its slides replay.

Why the plan is data and not a page of prose: a plan whose minutes are typed by hand drifts from the
notebooks it times. `PLAN` is read three ways from the same tuples: `plan_markdown` renders it to
`teaching/PLAN.md` (``python -m ddlab.seminar > teaching/PLAN.md``), the slide deck shows its
questions, and `tests/test_seminar_plan.py` checks that it adds up to `LENGTH` minutes, that each
notebook's compute slot is at least that notebook's measured seminar-profile time
(`benchmarks/notebook_times_seminar.json`, written by `benchmarks/notebook_times.py --save`), and that
every section, exercise and replay it names exists.

A block is one notebook (or the slides): first its compute slot, the notebook run top to bottom in
the seminar profile (*Run All*: every long run replayed from its recording), then steps of talk,
exercise or discussion over its sections. Talk minutes are a teacher's estimate; compute minutes are
rounded up from the measurement with room for a slower laptop.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import profile, routes
from .callbacks import Event

LENGTH = 90  # minutes of the seminar
KINDS = ("talk", "exercise", "discuss", "break")
SLIDES = "teaching/seminar_slides.ipynb"


@dataclass(frozen=True)
class Step:
    kind: str  # one of KINDS
    minutes: int
    sections: tuple[str, ...]  # headings shown: a notebook's "## " headings or the deck's slide titles
    what: str  # what the teacher does, one line
    replay: str | None = None  # the course run (`recipes.live_runs` name) replayed on screen, if any
    exercise: str | None = None  # the exercise the room does (`ddlab.exercises` id), if any
    question: int | None = None  # the discussion question asked (1-based, of QUESTIONS), if any

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"step kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int) or self.minutes < 1:
            raise ValueError(f"a step lasts a whole number of minutes >= 1, got {self.minutes!r}")


@dataclass(frozen=True)
class Block:
    notebook: str | None  # "01" (the notebook whose name starts so), or None for the slides
    compute_minutes: int  # the slot for running the notebook top to bottom (0 for the slides)
    steps: tuple[Step, ...]

    @property
    def minutes(self) -> int:
        return self.compute_minutes + sum(step.minutes for step in self.steps)


def _talk(minutes: int, sections: list[str], what: str, **extra: str) -> Step:
    return Step("talk", minutes, tuple(sections), what, **extra)


PLAN: tuple[Block, ...] = (
    Block(
        None,
        0,
        (
            _talk(
                5,
                ["Can ten images teach a network to read digits?", "The bilevel objective"],
                "Open the deck in RISE; pose the question and write the objective: training inside an optimisation.",
            ),
        ),
    ),
    Block(
        "00",
        1,
        (
            _talk(
                3,
                ["2. The real thing: 60,000 digits", "3. The question of this course"],
                "Meet MNIST and the budget: 60,000 training images against 10.",
            ),
        ),
    ),
    Block(
        "01",
        1,
        (
            _talk(
                5,
                ["1. The objective", "2. The meta-gradient"],
                "Derive the meta-gradient: the chain rule runs back through every training step.",
            ),
            _talk(
                3,
                ["3. The computation graph, and what it costs"],
                "Read the measured memory and time against unroll length: why later methods avoid the unroll.",
            ),
            _talk(
                3,
                ["4. Distil", "5. What did it learn?"],
                "The live view replays the recorded run; the ten images, their step sizes, the test accuracy.",
                replay="dd_fixed_mnist_10",
            ),
            Step(
                "exercise",
                5,
                ("7. Exercises",),
                "Pairs predict first, then run the check: images or initialisation?",
                exercise="01.1",
            ),
        ),
    ),
    Block(
        "02",
        2,
        (
            _talk(
                6,
                [
                    "1. Recall: images distilled for one network",
                    "2. Four settings, one objective",
                    "3. Distil for random initialisations",
                ],
                "Distil for many networks at once: one objective, averaged over fresh initialisations.",
                replay="dd_random_mnist_10",
            ),
            Step(
                "discuss",
                3,
                ("3. Distil for random initialisations",),
                "The room answers, the teacher asks back.",
                question=1,
            ),
        ),
    ),
    Block(
        None,
        0,
        (Step("break", 5, ("Three ways around the unroll",), "Leave this slide up: what comes after the break."),),
    ),
    Block(
        "05",
        1,
        (
            _talk(
                5,
                ['1. From "train, then test" to "match every step"', "2. The distance $D$"],
                "Match gradients layer by layer instead of unrolling training; read the distance on the page.",
            ),
            Step(
                "exercise",
                5,
                ("10. Exercises",),
                "Pairs predict, then compute: which gradient is closer under D?",
                exercise="05.1",
            ),
            _talk(2, ["8. Replay"], "Replay DC's run: the same ten images, a cheaper road.", replay="dc_mnist_1"),
        ),
    ),
    Block(
        "07",
        2,
        (
            _talk(
                5,
                ["1. Match what a random network sees", "4. Distil one image per class"],
                "Match mean embeddings of random networks: no inner training at all.",
                replay="dm_mnist_1",
            ),
            _talk(2, ["7. How cheap is an iteration?"], "Read the measured cost of one iteration against DC's."),
            Step(
                "discuss", 3, ("7. How cheap is an iteration?",), "The room answers, the teacher asks back.", question=2
            ),
        ),
    ),
    Block(
        "09",
        2,
        (
            _talk(
                4,
                ["4. The table — and what the papers found"],
                "Every method under one protocol, beside the papers' numbers; the live DD run is replayed.",
                replay="leaderboard_dd_1",
            ),
            Step(
                "exercise",
                4,
                ("6. Exercises",),
                "Pairs collect the rows and predict: coreset or distilled?",
                exercise="09.1",
            ),
        ),
    ),
    Block(
        "12",
        1,
        (
            _talk(
                5,
                ["1. Leave one out", "4. Is it nameable?"],
                "What one distilled image carries: exact leave-one-out influence on every test image.",
            ),
            Step("discuss", 4, ("4. Is it nameable?",), "The room answers; then the room's own questions.", question=3),
        ),
    ),
    Block(None, 0, (_talk(3, ["Where next"], "The self-study route: notebooks 03, 04, 06, 08, 10, 11 and 13."),)),
)

QUESTIONS: tuple[str, ...] = (
    "Images distilled for one fixed initialisation teach that network and few others. "
    "What have they learned: something about digits, or something about one network?",
    "Gradient and distribution matching never train a network on the synthetic images while they "
    "distil them. What do they give up by not unrolling training, and what do they gain?",
    "A distilled image is learned, not photographed. When it helps a network read some test digits, "
    "is it a picture of those digits? How would you find out?",
)


# --- reading the plan ------------------------------------------------------------------------------


def measured_seconds() -> dict[str, float]:
    """Each notebook's measured seminar-profile time top to bottom, by its two-digit prefix."""
    measured = routes.measured("seminar")["notebooks"]
    return {name[:2]: float(times["wall_s"]) for name, times in measured.items()}


def timing_problems(plan: tuple[Block, ...] = PLAN, seconds: dict[str, float] | None = None) -> list[str]:
    """What is wrong with the plan's minutes, one line each (none: it holds): the total against
    `LENGTH`, and each notebook's compute slot against its measured seminar-profile time."""
    seconds = measured_seconds() if seconds is None else seconds
    found = []
    total = sum(block.minutes for block in plan)
    if total != LENGTH:
        found.append(f"the plan lasts {total} minutes, not {LENGTH}")
    for block in plan:
        if block.notebook is None:
            continue
        if block.notebook not in seconds:
            found.append(
                f"notebook {block.notebook} has no measured seminar time (benchmarks/notebook_times.py "
                f"--profile seminar --save measures it)"
            )
        elif block.compute_minutes * 60 < seconds[block.notebook]:
            found.append(
                f"notebook {block.notebook} runs {seconds[block.notebook]:.0f} s in the seminar profile, "
                f"longer than its {block.compute_minutes} min slot"
            )
    return found


def schedule(plan: tuple[Block, ...] = PLAN) -> Iterator[tuple[int, Block, Step | None]]:
    """(start minute, block, step) in order; step None is the block's compute slot."""
    minute = 0
    for block in plan:
        if block.compute_minutes:
            yield minute, block, None
            minute += block.compute_minutes
        for step in block.steps:
            yield minute, block, step
            minute += step.minutes


def plan_markdown(plan: tuple[Block, ...] = PLAN, seconds: dict[str, float] | None = None) -> str:
    """The plan as a markdown page: one row per slot, minute by minute, then the questions."""
    seconds = measured_seconds() if seconds is None else seconds
    total = sum(block.minutes for block in plan)
    rows = ["| minutes | show | sections | what happens | replayed run | room exercise |", "|---|---|---|---|---|---|"]
    for start, block, step in schedule(plan):
        where = "slides" if block.notebook is None else f"notebook {block.notebook}"
        if step is None:
            rows.append(
                f"| {start}–{start + block.compute_minutes} | {where} | all | *Run All* in the seminar "
                f"profile (measured {seconds[block.notebook]:.0f} s); the room reads the learning goals "
                f"| | |"
            )
            continue
        doing = step.what if step.kind == "talk" else f"**{step.kind}**: {step.what}"
        if step.question is not None:
            doing = f"**discuss** question {step.question}: *{QUESTIONS[step.question - 1]}* {step.what}"
        rows.append(
            f"| {start}–{start + step.minutes} | {where} | {'; '.join(step.sections)} | {doing} | "
            f"{f'`{step.replay}`' if step.replay else ''} | "
            f"{f'`{step.exercise}`' if step.exercise else ''} |"
        )
    compute = sum(block.compute_minutes for block in plan)
    questions = "\n".join(f"{i}. {question}" for i, question in enumerate(QUESTIONS, 1))
    return f"""# A 90-minute seminar on dataset distillation

Rendered from `ddlab/seminar.py` by `python -m ddlab.seminar > teaching/PLAN.md`; do not edit by hand.

Start JupyterLab in the seminar profile (`DDLAB_PROFILE=seminar make lab`): every long run is then
replayed from its recording in a few seconds. Open the deck, `{SLIDES}`, and present it with RISE
(the ▶ *Render as slideshow* button, or Alt+R). The notebooks follow the seminar route of notebook 00.
Each notebook's first slot is its *Run All*, sized from its measured seminar-profile time
(`benchmarks/notebook_times_seminar.json`) with room for a slower laptop.

{total} minutes: {compute} of running notebooks, {total - compute} of talk, exercises, discussion and a break.

{chr(10).join(rows)}

## Discussion questions

{questions}
"""


# --- replaying a course run on a slide -------------------------------------------------------------


@contextlib.contextmanager
def _profile(name: str) -> Iterator[None]:
    """The active profile is `name` inside the block. Recipes size their runs by the active profile,
    and a recording is of the default profile's run, so its config must be built under that profile."""
    before = os.environ.get(profile.ENV_VAR)
    os.environ[profile.ENV_VAR] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(profile.ENV_VAR, None)
        else:
            os.environ[profile.ENV_VAR] = before


def recording(run: str):
    """The recording of course run `run` (a `recipes.live_runs` name) as the default profile made it,
    in every profile: a slide shows the course's run, it never distils one."""
    from . import recipes, recordings

    with _profile("default"):
        runs = recipes.live_runs()
    if run not in runs:
        raise ValueError(f"no course run {run!r}; runs: {', '.join(runs)}")
    made = runs[run]
    found = recordings.find(made.config, made.dataset, 0, **made.options)
    if found is None:
        raise FileNotFoundError(
            f"course run {run!r} has no recording here; make it with benchmarks/make_recordings.py {run}"
        )
    return found


class SlideView:
    """A `distill` callback that shows the images as plain outputs updated in place, for a slide.

    `ddlab.LiveView` is a widget, and the slideshow of jupyterlab-rise 0.43 with ipywidgets 8 does
    not render widgets (it prints their repr: jupyterlab-contrib/rise issues 119 and 126). A picture
    and a status line displayed once and then replaced (`display(..., display_id=True)` and
    `update`) are ordinary outputs, which the slideshow, the notebook and an exported page all
    show. When the run ends it leaves the same static trace as `LiveView`: a caption, the filmstrip
    of the frames it drew and the final images."""

    def __init__(self, scale: int = 2):  # 2, not LiveView's 3: ten digits then fit a slide's width
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be an int >= 1, got {scale!r}")
        self.scale = scale
        self.frames: list = []  # the `ddlab.live.Frame` of every event, oldest first
        self._picture = self._status = None

    def __call__(self, event: Event) -> None:
        from IPython.display import Image, Markdown, display

        from .live import Frame, filmstrip_png, status_text
        from .plots import arrange_by_class, grid_png

        pixels, nrow, _ = arrange_by_class(event.pixels().float().clamp(0, 1), event.labels)
        frame = Frame(event.iteration, grid_png(pixels, nrow, scale=self.scale), status_text(event))
        self.frames.append(frame)
        if self._picture is None:
            self._picture = display(Image(data=frame.png), display_id=True)
            self._status = display(Markdown(frame.text), display_id=True)
        else:
            self._picture.update(Image(data=frame.png))
            self._status.update(Markdown(frame.text))
        if event.done:
            display(
                Markdown(
                    f"Filmstrip of the synthetic images, iterations {self.frames[0].iteration} to "
                    f"{frame.iteration} (left to right)"
                )
            )
            display(Image(data=filmstrip_png(self.frames, self.scale)))


def replay(run: str, *callbacks: Callable[[Event], None], seconds: float | None = None) -> None:
    """Replay course run `run` through `callbacks` (a `LiveView` shows it, then leaves its filmstrip),
    in `seconds` (by default the profile's: a blink in the quick profile, a few seconds otherwise)."""
    from . import recordings

    seconds = profile.pick(quick=0.5, default=recordings.REPLAY_SECONDS) if seconds is None else seconds
    recordings.replay(recording(run), callbacks, seconds=seconds)


def gallery(*runs: str, scale: int = 2) -> None:
    """The set each course run returned (its recording's last frame), one row of classes per run
    under its name: the same budget, side by side, without loading MNIST or a cached run."""
    from IPython.display import Image, Markdown, display

    from .plots import arrange_by_class, grid_png

    for run in runs:
        made = recording(run)
        pixels, nrow, _ = arrange_by_class(made.pixels(-1), made.labels)
        display(Markdown(f"**{run}**: {made.describe()}"))
        display(Image(data=grid_png(pixels, nrow, scale=scale)))


def questions() -> None:
    """Show the discussion questions as markdown (numbered, one per line) in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown("\n".join(f"{i}. {question}" for i, question in enumerate(QUESTIONS, 1))))


if __name__ == "__main__":
    print(plan_markdown(), end="")

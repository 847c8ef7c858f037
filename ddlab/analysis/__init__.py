"""What does distilled data store? The tools of Yang, Zhu, Deng & Russakovsky, "What is Dataset
Distillation Learning?", ICML 2024 (arXiv:2406.04284), one question per module:

    mixing        Can distilled images stand in for real ones? Add k real images per class to a
                  distilled set and train on the mixture (the paper: accuracy first *drops*).
    pixels        Do distilled images look like real ones, in numbers? Pixel histograms, and how much
                  of a distilled image lies outside the valid [0, 1] range.
    recognition   Do networks trained on real data recognise distilled images, and when in their
                  training do they start to?
    agreement     Do networks trained on distilled data predict like networks trained on a few real
                  images, or like networks trained on all of them and stopped early?
    hessian       How curved is the loss on real and on distilled data along real training
                  (Hutchinson's estimate of the Hessian trace)?
    influence     What does each distilled image teach? Leave it out, retrain, and see which test
                  images get worse.
    semantic      Is what it teaches nameable? Label purity of the test images it helps, and their
                  resemblance to its nearest real training images.

Every network here is trained by `ddlab.functional.train_many` and measured by `predict_many` /
`accuracy_many`, vectorised over networks; `ddlab.recipes.analysis` sizes the runs for the profile, and
`real_training` is the shared "first steps of training on real data" the last four watch.
`figures` draws the results; `findings` sets the paper's findings beside our numbers.
"""

from . import figures, findings
from .agreement import Agreement, agreement
from .hessian import CurvatureCurve, curvature_during_training, hessian_trace
from .influence import Influence, leave_one_out
from .mixing import KS, Mixing, mixing
from .pixels import PixelStats, pixel_stats
from .recognition import Recognition, RecognitionCurve, recognition, recognition_during_training
from .semantic import Semantics, nearest_real, semantics, shared_features

__all__ = [
    "figures",
    "findings",
    "Agreement",
    "agreement",
    "CurvatureCurve",
    "curvature_during_training",
    "hessian_trace",
    "Influence",
    "leave_one_out",
    "KS",
    "Mixing",
    "mixing",
    "PixelStats",
    "pixel_stats",
    "Recognition",
    "RecognitionCurve",
    "recognition",
    "recognition_during_training",
    "Semantics",
    "nearest_real",
    "semantics",
    "shared_features",
]

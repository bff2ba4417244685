"""compute_hardness on tiny FiftyOne datasets: values, measures, label types."""

from __future__ import annotations

import fiftyone as fo
import fiftyone.brain as fob
import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import entropy

from seedselect.fo import _io, compute_hardness
from seedselect.scores import (
    METHODS,
    aggregate,
    ensemble_hardness,
    hardness,
    multilabel_hardness,
)

# Brain itself fails when the first sample it writes has no label, so None
# labels are placed after the first sample.
NONE_AT = (2, 5)


def _logits(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.normal(size=(n, k)) * rng.uniform(0.2, 4.0, size=(n, 1))


def _image_dataset(make_dataset, rng, n=12, k=5):
    """Samples with a Classification and a Classifications, some labels None."""
    logits = _logits(rng, n, k)
    multi = _logits(rng, n, k)
    samples = []
    for i in range(n):
        single = fo.Classification(label="a", logits=logits[i])
        several = fo.Classifications(
            classifications=[fo.Classification(label="a")], logits=multi[i]
        )
        samples.append(
            fo.Sample(
                filepath=f"/nowhere/{i}.png",
                pred=None if i in NONE_AT else single,
                preds=None if i in NONE_AT else several,
            )
        )
    dataset = make_dataset()
    dataset.add_samples(samples, progress=False)
    return dataset


def _video_dataset(make_dataset, rng, n=4, n_frames=4, k=4):
    """Video samples whose files do not exist; some frames have no label."""
    dataset = make_dataset()
    samples = []
    for i in range(n):
        sample = fo.Sample(filepath=f"/nowhere/{i}.mp4")
        for f in range(1, n_frames + 1):
            label = fo.Classification(label="a", logits=_logits(rng, 1, k)[0])
            sample.frames[f] = fo.Frame(pred=None if (i, f) == (1, 2) else label)
        samples.append(sample)
    # A video without frames, and one whose frames all lack labels.
    samples.append(fo.Sample(filepath="/nowhere/empty.mp4"))
    unlabeled = fo.Sample(filepath="/nowhere/unlabeled.mp4")
    unlabeled.frames[1] = fo.Frame(pred=None)
    samples.append(unlabeled)
    dataset.add_samples(samples, progress=False)
    return dataset


def _max_diff(a, b) -> float:
    assert [x is None for x in a] == [y is None for y in b]
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None]
    return max((abs(x - y) for x, y in pairs), default=0.0)


# ---------------------------------------------------------------------------
# Agreement with FiftyOne Brain
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("label_field", ["pred", "preds"])
def test_matches_brain_on_images(make_dataset, rng, label_field):
    dataset = _image_dataset(make_dataset, rng)
    compute_hardness(dataset, label_field, "ours", progress=False)
    fob.compute_hardness(dataset, label_field, "brain", progress=False)

    ours, brain = dataset.values("ours"), dataset.values("brain")
    assert _max_diff(ours, brain) <= 1e-9
    assert [i for i, v in enumerate(ours) if v is None] == list(NONE_AT)


def test_float32_logits_are_scored_in_float64(make_dataset, rng):
    logits = (_logits(rng, 50, 10) * 3).astype(np.float32)
    dataset = make_dataset()
    dataset.add_samples(
        [
            fo.Sample(
                filepath=f"/nowhere/{i}.png",
                pred=fo.Classification(label="a", logits=row),
            )
            for i, row in enumerate(logits)
        ],
        progress=False,
    )
    compute_hardness(dataset, "pred", "ours", progress=False)
    fob.compute_hardness(dataset, "pred", "brain", progress=False)

    # Exact against a float64 reference; Brain, which stays in float32, agrees to
    # float32 precision only.
    reference = entropy(softmax(logits.astype(float), axis=1), axis=1)
    ours, brain = np.array(dataset.values("ours")), np.array(dataset.values("brain"))
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, brain, rtol=0, atol=1e-5)


@pytest.mark.parametrize("hardness_field", ["ours", "frames.ours"])
def test_matches_brain_on_video_frames(make_dataset, rng, hardness_field):
    dataset = _video_dataset(make_dataset, rng)
    compute_hardness(dataset, "frames.pred", hardness_field, progress=False)
    fob.compute_hardness(dataset, "frames.pred", "brain", progress=False)

    assert _max_diff(dataset.values("ours"), dataset.values("brain")) <= 1e-9
    ours_frames = dataset.values("frames.ours")
    brain_frames = dataset.values("frames.brain")
    for ours, brain in zip(ours_frames, brain_frames, strict=True):
        assert _max_diff(ours, brain) <= 1e-9
    assert ours_frames[1][1] is None
    assert dataset.values("ours")[-2:] == [None, None]


def test_values_are_scipy_entropy(make_dataset, rng):
    dataset = _image_dataset(make_dataset, rng)
    compute_hardness(dataset, "pred", progress=False)
    for logits, score in zip(*dataset.values(["pred.logits", "hardness"]), strict=True):
        if logits is None:
            assert score is None
        else:
            assert abs(score - entropy(softmax(logits))) <= 1e-9


# ---------------------------------------------------------------------------
# Measures and options
# ---------------------------------------------------------------------------


def _confident_and_uniform(make_dataset, k=4, kind="logits"):
    confident = np.full(k, -8.0)
    confident[0] = 8.0
    uniform = np.zeros(k)
    if kind == "probs":
        confident, uniform = softmax(confident), softmax(uniform)
    dataset = make_dataset()
    dataset.add_samples(
        [
            fo.Sample(filepath=f"/nowhere/{i}.png", pred=fo.Classification(logits=v))
            for i, v in enumerate([confident, uniform])
        ],
        progress=False,
    )
    return dataset


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "options",
    [{}, {"normalize": True}, {"temperature": 3.0}, {"kind": "probs"}],
    ids=["default", "normalize", "temperature", "probs"],
)
def test_confident_scores_lower_than_uniform(make_dataset, method, options):
    dataset = _confident_and_uniform(make_dataset, kind=options.get("kind", "logits"))
    compute_hardness(dataset, "pred", method=method, progress=False, **options)
    confident, uniform = dataset.values("hardness")
    assert confident < uniform


def test_every_method_matches_the_core(make_dataset, rng):
    dataset = _image_dataset(make_dataset, rng)
    logits = np.stack([v for v in dataset.values("pred.logits") if v is not None])
    for method in METHODS:
        compute_hardness(
            dataset,
            "pred",
            f"h_{method}",
            method=method,
            normalize=True,
            progress=False,
        )
        expected = hardness(logits, method=method, normalize=True)
        written = [v for v in dataset.values(f"h_{method}") if v is not None]
        np.testing.assert_allclose(written, expected, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------
# Detections, ensembles, multi-label
# ---------------------------------------------------------------------------


def _detections_dataset(make_dataset, rng, k=3):
    counts = [3, 1, 0, 2, None]  # None: no Detections label at all
    dataset = make_dataset()
    samples = []
    for i, count in enumerate(counts):
        label = None
        if count is not None:
            objects = [
                fo.Detection(label="a", bounding_box=[0.1, 0.1, 0.2, 0.2])
                for _ in range(count)
            ]
            for obj in objects:
                obj["logits"] = _logits(rng, 1, k)[0]
            label = fo.Detections(detections=objects)
        samples.append(fo.Sample(filepath=f"/nowhere/{i}.png", pred=label))
    dataset.add_samples(samples, progress=False)
    return dataset


@pytest.mark.parametrize(
    ("how", "top_k"), [("max", None), ("mean", None), ("sum", None), ("topk_mean", 2)]
)
def test_detections_per_object_and_aggregate(make_dataset, rng, how, top_k):
    dataset = _detections_dataset(make_dataset, rng)
    compute_hardness(
        dataset, "pred", "hardness", aggregate=how, top_k=top_k, progress=False
    )

    per_sample = dataset.values("hardness")
    logits_lists = dataset.values("pred.detections.logits")
    object_scores = dataset.values("pred.detections.hardness")
    for i, logits in enumerate(logits_lists):
        if not logits:
            assert per_sample[i] is None
            continue
        X = np.stack([_io.VectorDecoder()(v) for v in logits])
        expected = hardness(X)
        np.testing.assert_allclose(object_scores[i], expected, atol=1e-12)
        group = aggregate(
            expected, np.zeros(len(expected), int), n_groups=1, how=how, k=top_k
        )
        assert abs(per_sample[i] - group[0]) <= 1e-12

    first = dataset.first()
    assert first.pred.detections[0]["hardness"] == object_scores[0][0]


def test_detections_in_video_frames(make_dataset, rng):
    dataset = make_dataset()
    sample = fo.Sample(filepath="/nowhere/v.mp4")
    for f in (1, 2):
        objects = [
            fo.Detection(label="a", logits=_logits(rng, 1, 3)[0]) for _ in range(f)
        ]
        sample.frames[f] = fo.Frame(pred=fo.Detections(detections=objects))
    dataset.add_sample(sample)

    compute_hardness(dataset, "frames.pred", "hardness", progress=False)
    objects = dataset.values("frames.pred.detections.hardness")[0]
    frames = dataset.values("frames.hardness")[0]
    assert [len(o) for o in objects] == [1, 2]
    assert frames == [objects[0][0], max(objects[1])]
    assert dataset.values("hardness") == [max(frames)]


def _ensemble_dataset(make_dataset, rng, n=8, k=4):
    dataset = make_dataset()
    a, b = _logits(rng, n, k), _logits(rng, n, k)
    dataset.add_samples(
        [
            fo.Sample(
                filepath=f"/nowhere/{i}.png",
                m1=fo.Classification(label="a", logits=a[i]),
                m2=fo.Classification(label="a", logits=b[i]),
            )
            for i in range(n)
        ],
        progress=False,
    )
    return dataset, np.stack([a, b])


@pytest.mark.parametrize(
    "method", ["mutual_information", "vote_entropy", "predictive_entropy", "margin"]
)
def test_ensemble_of_two_fields(make_dataset, rng, method):
    dataset, P = _ensemble_dataset(make_dataset, rng)
    compute_hardness(
        dataset, "m1", "h", ensemble_fields=["m2"], method=method, progress=False
    )
    compute_hardness(dataset, ["m1", "m2"], "h_list", method=method, progress=False)

    if method == "margin":
        expected = hardness(
            softmax(P, axis=2).mean(axis=0), method="margin", kind="probs"
        )
    else:
        expected = ensemble_hardness(P, method=method)
    np.testing.assert_allclose(dataset.values("h"), expected, atol=1e-12)
    assert dataset.values("h_list") == dataset.values("h")
    assert dataset.get_run_info("h").config.ensemble_fields == ["m2"]


def test_ensemble_disagreement_scores_higher(make_dataset):
    dataset = make_dataset()
    agree = [np.array([6.0, 0.0, 0.0]), np.array([6.0, 0.0, 0.0])]
    disagree = [np.array([6.0, 0.0, 0.0]), np.array([0.0, 6.0, 0.0])]
    dataset.add_samples(
        [
            fo.Sample(
                filepath=f"/nowhere/{i}.png",
                m1=fo.Classification(logits=pair[0]),
                m2=fo.Classification(logits=pair[1]),
            )
            for i, pair in enumerate([agree, disagree])
        ],
        progress=False,
    )
    compute_hardness(
        dataset,
        "m1",
        ensemble_fields=["m2"],
        method="mutual_information",
        progress=False,
    )
    low, high = dataset.values("hardness")
    assert low < high


def test_multilabel_uses_sigmoids(make_dataset, rng):
    dataset = _image_dataset(make_dataset, rng)
    compute_hardness(dataset, "preds", "h", multilabel=True, progress=False)

    logits = np.stack([v for v in dataset.values("preds.logits") if v is not None])
    written = [v for v in dataset.values("h") if v is not None]
    np.testing.assert_allclose(written, multilabel_hardness(logits), atol=1e-12)
    assert not np.allclose(written, hardness(logits))


def test_multilabel_confident_lower_than_undecided(make_dataset):
    dataset = make_dataset()
    vectors = [np.array([9.0, -9.0, 9.0]), np.array([0.0, 0.1, -0.1])]
    dataset.add_samples(
        [
            fo.Sample(
                filepath=f"/nowhere/{i}.png",
                tags_pred=fo.Classifications(classifications=[], logits=v),
            )
            for i, v in enumerate(vectors)
        ],
        progress=False,
    )
    compute_hardness(
        dataset, "tags_pred", multilabel=True, label_aggregate="max", progress=False
    )
    confident, undecided = dataset.values("hardness")
    assert confident < undecided


# ---------------------------------------------------------------------------
# Chunking and progress
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "chunk-views"])
def test_chunk_size_does_not_change_values(make_dataset, rng, monkeypatch, stream):
    monkeypatch.setattr(_io, "_STREAM", stream)
    dataset = _video_dataset(make_dataset, rng, n=7)
    compute_hardness(dataset, "frames.pred", "whole", chunk_size=1000, progress=False)
    compute_hardness(dataset, "frames.pred", "chunked", chunk_size=2, progress=False)
    assert dataset.values("whole") == dataset.values("chunked")
    assert dataset.values("frames.whole") == dataset.values("frames.chunked")


def test_views_are_scored_and_nothing_else(make_dataset, rng):
    dataset = _image_dataset(make_dataset, rng)
    view = dataset.skip(6)
    compute_hardness(view, "pred", chunk_size=4, progress=False)
    values = dataset.values("hardness")
    assert values[:6] == [None] * 6
    assert all(v is not None for v in values[6:])


def test_progress_false_prints_nothing(make_dataset, rng, capfd):
    dataset = _image_dataset(make_dataset, rng)
    capfd.readouterr()
    compute_hardness(dataset, "pred", progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_callback_is_called(make_dataset, rng):
    dataset = _image_dataset(make_dataset, rng)
    calls = []
    compute_hardness(
        dataset, "pred", chunk_size=5, progress=lambda bar: calls.append(1)
    )
    assert len(calls) >= 2


def test_returns_a_summary(make_dataset, rng):
    dataset = _image_dataset(make_dataset, rng)
    results = compute_hardness(dataset, "pred", progress=False)
    assert results.n_samples == 12
    assert results.n_scored == 12 - len(NONE_AT)
    assert results.score_min <= results.score_mean <= results.score_max
    loaded = dataset.load_run_results("hardness")
    assert loaded.n_scored == results.n_scored


def test_samples_in_memory_see_the_new_values(make_dataset, rng):
    dataset = _video_dataset(make_dataset, rng)
    sample = dataset.first()
    frame = sample.frames[1]
    compute_hardness(dataset, "frames.pred", "h", progress=False)
    assert sample["h"] == dataset.values("h")[0]
    assert frame["h"] == dataset.values("frames.h")[0][0]

import pytest
import torch

from lib.evaluate import (classifier_outputs, frechet_distance_of_features, histogram_of_logits,
                          inception_score_of_logits, train_classifier)
from lib.gan_measure import SPLIT, Evaluator, Sample, measure_sample


def test_identical_feature_sets_are_at_distance_zero():
    features = torch.randn(500, 16, dtype=torch.float64)
    assert frechet_distance_of_features(features, features) == pytest.approx(0.0, abs=1e-6)
    shifted = features + 3.0  # mean moves by 3 in each of 16 dimensions: distance 16 * 9
    assert frechet_distance_of_features(shifted, features) == pytest.approx(16 * 9.0, rel=1e-6)


def test_inception_score_limits():
    one_class = torch.full((200, 10), -20.0)
    one_class[:, 3] = 20.0
    assert inception_score_of_logits(one_class) == pytest.approx(1.0, abs=1e-6)
    uniform_confident = torch.full((1000, 10), -20.0)
    uniform_confident[torch.arange(1000), torch.arange(1000) % 10] = 20.0
    assert inception_score_of_logits(uniform_confident) == pytest.approx(10.0, rel=1e-6)
    assert inception_score_of_logits(torch.zeros(100, 10)) == pytest.approx(1.0, abs=1e-6)  # no confidence


def test_histogram_counts_predictions():
    logits = torch.zeros(4, 10)
    logits[[0, 1, 2, 3], [2, 2, 5, 9]] = 1.0
    assert histogram_of_logits(logits) == pytest.approx([0, 0, 0.5, 0, 0, 0.25, 0, 0, 0, 0.25])


def test_classifier_is_accurate_and_real_digits_score_high(mnist5k, trained_classifier):
    classifier, info, _ = trained_classifier
    assert info["source"] == "mnist5k" and info["test_accuracy"] >= 0.97
    assert inception_score_of_logits(classifier_outputs(classifier, mnist5k.test_images)[1]) > 9.0
    one_digit = mnist5k.test_images[mnist5k.test_labels == 4]
    assert inception_score_of_logits(classifier_outputs(classifier, one_digit)[1]) < 1.3
    evaluator = Evaluator(classifier, mnist5k)
    real = evaluator.real_baseline()
    assert real["n"] == 1000 and real["inception_score"] > 9.0
    assert real["frechet_distance_splits"] == 3, "3,500 training digits: three disjoint splits of 1,000"
    noise = evaluator(torch.rand(1000, 1, 28, 28) * 2 - 1)
    assert real["frechet_distance"] < noise["frechet_distance"] / 10
    # The decisions' distance, to the validation digits: new (test) digits sit near them, noise far away.
    assert real["frechet_distance_validation"] < noise["frechet_distance_validation"] / 10
    one_class = evaluator(mnist5k.test_images[mnist5k.test_labels == 4].repeat(10, 1, 1, 1))
    assert one_class["frechet_distance_validation"] > 10 * real["frechet_distance_validation"], \
        "a single digit is far from all ten"


def test_samples_are_measured_in_splits_of_the_baselines_size(mnist5k, trained_classifier):
    """Like with like: a measure that depends on the sample size is taken on splits of SPLIT images, the size of
    the real baseline, and reported as the mean and spread over the splits."""
    classifier = trained_classifier[0]
    reference = dict(test=Sample.of(classifier, mnist5k.test_images),
                     validation=Sample.of(classifier, mnist5k.validation_images))
    images = mnist5k.train_images[:3 * SPLIT]
    whole = measure_sample(Sample.of(classifier, images), reference)
    assert whole["n"] == 3 * SPLIT and whole["splits"] == 3 and whole["inception_score_sd"] > 0
    parts = [measure_sample(Sample.of(classifier, images[i * SPLIT:(i + 1) * SPLIT]), reference) for i in range(3)]
    assert whole["inception_score"] == pytest.approx(sum(p["inception_score"] for p in parts) / 3)
    assert whole["frechet_distance"] == pytest.approx(sum(p["frechet_distance"] for p in parts) / 3)
    assert sum(whole["class_histogram"]) == pytest.approx(1.0)


def test_cached_classifier_is_loaded_not_retrained(mnist5k, trained_classifier):
    classifier, info, path = trained_classifier
    again, info_again = train_classifier(mnist5k, path, progress=False)
    assert info_again == info
    assert all(torch.equal(a, b) for a, b in zip(classifier.state_dict().values(), again.state_dict().values()))


def test_the_nearest_image_is_found_with_its_distance():
    from lib.evaluate import nearest_distances

    reference = torch.rand(50, 1, 28, 28)
    images = torch.cat([reference[[7, 3]], torch.zeros(1, 1, 28, 28)])
    distances, indices = nearest_distances(images, reference, chunk=2)
    assert indices[:2].tolist() == [7, 3] and distances[:2].abs().max() < 1e-3
    expected = (reference.flatten(1)).norm(dim=1)
    assert indices[2] == expected.argmin() and torch.isclose(distances[2], expected.min(), atol=1e-4)

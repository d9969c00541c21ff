"""Notebook parameters: declared once (lib.params), typed, checked before any work, and the notebooks'
parameters cells in step with the declarations."""
import ast
import json
import logging

import pytest

from lib.params import NOTEBOOKS, GANTrainParams, LSTMParams, ParameterError, SamplesParams, check_type
from lib.pipeline import PROJECT_ROOT


def parameters_cell(name: str) -> str:
    notebook = json.loads((PROJECT_ROOT / "notebooks" / f"{name}.ipynb").read_text())
    cells = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    return "".join(cells[0]["source"])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_repeats_the_declared_defaults(name):
    values = {}
    for node in ast.parse(parameters_cell(name)).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{name}: only plain assignments"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert values == NOTEBOOKS[name].defaults()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_papermill_reads_every_parameter_of_the_cell(name, caplog):
    """papermill's own parser (behind --help-notebook and its unknown-parameter warning) must see them all."""
    from papermill.translators import PythonTranslator

    with caplog.at_level(logging.WARNING, logger="papermill"):
        parsed = PythonTranslator.inspect({"source": parameters_cell(name)})
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert [p.name for p in parsed] == NOTEBOOKS[name].names()


@pytest.mark.parametrize("cls", NOTEBOOKS.values())
def test_defaults_are_valid(cls):
    assert cls.from_namespace({}) == cls()


@pytest.mark.parametrize("namespace, message", [
    # papermill's -p passes text for anything but numbers and True/False/None
    (dict(force="false"), "force must be a boolean (True or False); got the text 'false'. papermill's -p passes "
                          "text for anything but numbers and True/False/None: use -y '{force: false}' or a params file."),
    (dict(seq_lengths="[3]"), "seq_lengths must be a list of integers; got the text '[3]'. papermill's -p passes text "
                              "for anything but numbers and True/False/None: use -y '{seq_lengths: [3]}' or a params file."),
    (dict(force=1), "force must be a boolean (True or False); got int 1."),
    (dict(seeds=[0, 1.5]), "seeds must be a list of integers; got list [0, 1.5]."),
    (dict(study_rates="1e-3"), "study_rates must be a list of numbers; got the text '1e-3'. papermill's -p passes text "
                               "for anything but numbers and True/False/None: use -y '{study_rates: [0.5]}'"),
    (dict(models=["rnn", "transformer"]), "each of models must be one of 'rnn', 'lstm', 'lstm-chrono', 'gru'; got"),
    (dict(seq_lengths=[1]), "each of seq_lengths must be an integer >= 2; got 1"),
    (dict(max_steps=0), "max_steps must be an integer >= 1; got 0"),
    (dict(seeds=[]), "seeds must hold at least one value; got []"),
    (dict(models=[]), "models must hold at least one value; got []"),
    (dict(study_rates=[1e-3], study_lengths=[]), "study_rates and study_lengths must both be empty"),
    (dict(device="gpu"), "device must be 'auto', 'cpu' or 'cuda[:N]', got 'gpu'"),
    (dict(workers=0), "workers must be an integer >= 1; got 0"),
    (dict(scheduler="localhost"), "scheduler must be a Dask scheduler's address such as 'tcp://host:8786'"),
    (dict(warm_seq_lengths=[100]), "each of warm_seq_lengths must exceed the shortest of long_seq_lengths"),
])
def test_lstm_parameters_are_checked_with_a_message_that_says_how(namespace, message):
    with pytest.raises(ParameterError) as error:
        LSTMParams.from_namespace(namespace)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("namespace, message", [
    (dict(batch_size=1), "batch_size must be an integer >= 2; got 1"),
    (dict(ema_decay=1.0), "ema_decay must be a number in [0, 1) (0: no averaging); got 1.0"),
    (dict(augment="translation"), "augment must be a list of texts; got the text 'translation'. papermill's -p"),
    (dict(augment=["flip"]), "each transform in augment must be one of 'translation', 'cutout'; got 'flip'"),
    (dict(ablation=["recipe", "bigger"]), "each of ablation must be one of"),
    (dict(ablation_steps=500), "ablation_steps must be an integer >= 1000; got 500"),
    (dict(classifier_epochs="none"), "classifier_epochs must be an integer or None; got the text 'none'."),
])
def test_gan_parameters_are_checked(namespace, message):
    with pytest.raises(ParameterError) as error:
        GANTrainParams.from_namespace(namespace)
    assert str(error.value).startswith(message)


def test_gan_parameters_build_the_run_config_with_its_defaults():
    from lib.gan_train import GANConfig

    assert GANTrainParams().config() == GANConfig()
    assert GANTrainParams.from_namespace(dict(augment=["cutout"], steps=10)).config().augment == ("cutout",)


@pytest.mark.parametrize("namespace, message", [
    (dict(start_class=3, end_class=3), "start_class and end_class must differ; both are 3"),
    (dict(start_class=10), "start_class must be one of 0, 1"),
    (dict(modes=[]), "modes must hold at least one"),
    (dict(min_confidence=0), "min_confidence must be a number in (0, 1]"),
])
def test_samples_parameters_are_checked(namespace, message):
    with pytest.raises(ParameterError) as error:
        SamplesParams.from_namespace(namespace)
    assert str(error.value).startswith(message)


def test_an_integer_for_a_float_names_the_same_run_as_the_float():
    assert GANTrainParams.from_namespace(dict(ema_decay=0)).config() == GANTrainParams.from_namespace(
        dict(ema_decay=0.0)).config()
    params = LSTMParams.from_namespace(dict(study_rates=[1, 0.5]))
    assert all(type(rate) is float for rate in params.study_rates)


def test_text_that_is_no_literal_still_gets_the_message():
    with pytest.raises(ParameterError, match="seq_lengths must be a list of integers; got the text '{\\[1\\]: 2}'"):
        LSTMParams.from_namespace(dict(seq_lengths="{[1]: 2}"))


def test_type_check_accepts_what_papermill_and_yaml_pass():
    check_type("x", None, int | None)
    check_type("x", 3, float)  # an integer is a number
    check_type("x", (1, 2), list[int])
    for value, annotation in ((True, int), (3.0, int), ("3", int), (None, int)):
        with pytest.raises(ParameterError):
            check_type("x", value, annotation)


def test_each_warm_start_begins_from_the_chrono_run_that_learned_the_length_before_it():
    from lib.runs import run_name

    rates = {"rnn": 1e-3, "lstm": 3e-3, "lstm-chrono": 3e-3, "gru": 3e-3}
    assert LSTMParams(long_seq_lengths=[200, 500]).design().warm(rates) == []
    design = LSTMParams(long_seq_lengths=[500, 100, 200], long_models=["lstm", "lstm-chrono"], long_seeds=[0, 1],
                        warm_seq_lengths=[1000, 500]).design()
    scratch = {(c.seq_length, c.seed): c for c in design.long(rates) if c.model == "lstm-chrono"}
    waves = design.warm(rates)
    assert [[(c.seq_length, c.seed) for c in wave] for wave in waves] == [[(500, 0), (500, 1)], [(1000, 0), (1000, 1)]]
    warm = {(c.seq_length, c.seed): c for wave in waves for c in wave}
    for seed in (0, 1):
        assert warm[(500, seed)].init_from == run_name(scratch[(200, seed)].name, scratch[(200, seed)])
        assert warm[(1000, seed)].init_from == run_name(warm[(500, seed)].name, warm[(500, seed)]), \
            "the warm run at 500, not the one from scratch"
        assert warm[(500, seed)].max_steps == scratch[(500, seed)].max_steps, "the budget of the run from scratch"


def test_the_design_gives_every_model_its_chosen_rate_and_one_budget_at_every_length():
    p = LSTMParams()
    rates = {"rnn": 0.1, "lstm": 0.2, "lstm-chrono": 0.3, "gru": 0.4}
    sweep = p.design().sweep(rates)
    assert {c.learning_rate for c in sweep if c.model == "lstm"} == {0.2}
    assert {c.max_steps for c in sweep} == {p.max_steps}
    assert len(sweep) == len(p.models) * len(p.seq_lengths) * len(p.seeds) + 2 * len(p.extra_seed_lengths) * len(p.extra_seeds)
    extra = {(c.model, c.seq_length) for c in sweep if c.seed in p.extra_seeds}
    assert extra == {(m, T) for m in ("rnn", "lstm") for T in p.extra_seed_lengths}, "the two models of the equations only"
    shorter = LSTMParams(seq_lengths=[5, 20]).design().sweep(rates)  # the extra seeds where the sweep has the T
    assert {c.seq_length for c in shorter if c.seed in p.extra_seeds} == {20}
    with pytest.raises(ValueError, match="extra_seeds must differ from seeds"):
        LSTMParams(extra_seeds=[2, 3])
    assert {(c.seq_length, c.learning_rate) for c in p.design().lr_study() if c.model == "rnn"} == {
        (T, rate) for T in p.study_lengths for rate in p.study_rates}

"""Small ipywidgets front-ends for the notebooks (they need a running kernel)."""
from __future__ import annotations

import ipywidgets as widgets
import torch


def palindrome_box(model) -> widgets.VBox:
    """Type the first T-1 digits of a palindrome; see the model's guess for the T-th."""
    length = model.seq_length - 1
    example = "".join(str(d % 10) for d in range((model.seq_length + 1) // 2))
    example = (example + example[: model.seq_length // 2][::-1])[:length]
    text = widgets.Text(value=example, description=f"{length} digits:",
                        layout=widgets.Layout(width="min(100%, 60em)"))
    answer = widgets.HTML()

    def update(_=None):
        typed = text.value.strip()
        if not typed.isdigit() or len(typed) != length:
            answer.value = f"<i>Type exactly {length} digits (0-9); you typed {len(typed)} characters.</i>"
            return
        digits = torch.tensor([[int(c) for c in typed]])
        guess = int(model.predict_digits(digits)[0])
        is_palindrome = typed + str(guess) == (typed + str(guess))[::-1]
        verdict = "a palindrome" if is_palindrome else "not a palindrome (was the input one?)"
        answer.value = (f"{model.kind.upper()} predicts <b>{guess}</b> (the first digit you typed is {typed[0]}); "
                        f"the completed sequence is {verdict}.")

    text.observe(update, names="value")
    update()
    return widgets.VBox([text, answer])


def _png(image: torch.Tensor) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    plt.imsave(buffer, image.reshape(28, 28).numpy(), cmap="gray", vmin=0, vmax=1, format="png")
    return buffer.getvalue()


def interpolation_browser(trained, ends: dict, steps: int = 7, modes=("lerp", "slerp"), seed: int = 0,
                          min_confidence: float = 0.95, candidates: int = 1000) -> widgets.VBox:
    """Sliders over a latent walk of ``trained`` (a lib.samples.TrainedGAN): the step along the path,
    lerp or slerp, and the endpoints' digits and seed, which regenerate the walk."""
    from .latent import choose_endpoints, path
    from .samples import label_titles

    walks = {}
    frame = widgets.IntSlider(value=0, min=0, max=steps + 1, description="step")
    mode = widgets.ToggleButtons(options=list(modes), description="path")
    digits = [("any", None)] + [(str(d), d) for d in range(10)]
    start = widgets.Dropdown(options=digits, value=ends["classes"][0], description="start digit")
    end = widgets.Dropdown(options=digits, value=ends["classes"][1], description="end digit")
    seed_slider = widgets.IntSlider(value=seed, min=0, max=99, description="seed")
    regenerate_button = widgets.Button(description="Regenerate")
    image = widgets.Image(format="png", width=168, height=168)
    caption = widgets.HTML()

    def show(_=None):
        images, probs = walks[mode.value]
        k = frame.value
        image.value = _png(images[k])
        caption.value = (f"{mode.value}, t = {k / (steps + 1):.2f}: the classifier reads "
                         f"<b>{label_titles(probs[k:k + 1])[0]}</b>")

    def regenerate(_=None):
        try:
            chosen = choose_endpoints(trained.G, trained.classifier, seed_slider.value, start.value, end.value,
                                      min_confidence, candidates)
        except ValueError as error:
            caption.value = f"<i>{error}</i>"
            return
        for m in modes:
            walks[m] = trained.draw("final", path(chosen["z0"], chosen["z1"], steps, m))
        show()

    frame.observe(show, names="value")
    mode.observe(show, names="value")
    regenerate_button.on_click(regenerate)
    regenerate()
    return widgets.VBox([widgets.HBox([start, end, seed_slider, regenerate_button]), mode, frame, image, caption])

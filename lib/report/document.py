"""The report as a document: numbered figures and tables that the text refers to by number, citations and
the list of references, and the one way numbers and tables are written.

Numbers are part of the captions ("Figure 3: ..."), so all four renderings (PDF, Word, LaTeX, HTML) show the
same numbers; ``tools.report`` turns the renderers' own numbering off. A document is made with its plan, the
figures and tables in the order they appear, so that the text can refer to one before it is placed.
"""
from __future__ import annotations

import base64
import math
import re
from pathlib import Path

import pandas as pd

from .. import outputs
from ..files import project_path

REFERENCES = {
    "bengio1994": ("Bengio, Simard and Frasconi", 1994, "Learning long-term dependencies with gradient descent is "
                   "difficult. *IEEE Transactions on Neural Networks*, 5(2), 157-166."),
    "bengio2009": ("Bengio, Louradour, Collobert and Weston", 2009, "Curriculum learning. *Proceedings of the 26th "
                   "International Conference on Machine Learning (ICML)*, 41-48."),
    "cho2014": ("Cho, van Merriënboer, Gulcehre, Bahdanau, Bougares, Schwenk and Bengio", 2014,
                "Learning phrase representations using RNN encoder-decoder for statistical "
                "machine translation. *Proceedings of EMNLP*, 1724-1734."),
    "gers2000": ("Gers, Schmidhuber and Cummins", 2000, "Learning to forget: continual prediction with LSTM. "
                 "*Neural Computation*, 12(10), 2451-2471."),
    "goodfellow2014": ("Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville and Bengio", 2014,
                       "Generative adversarial nets. *Advances in Neural Information "
                       "Processing Systems 27 (NeurIPS)*, 2672-2680."),
    "holm1979": ("Holm", 1979, "A simple sequentially rejective multiple test procedure. *Scandinavian Journal of "
                 "Statistics*, 6(2), 65-70."),
    "heusel2017": ("Heusel, Ramsauer, Unterthiner, Nessler and Hochreiter", 2017,
                   "GANs trained by a two time-scale update rule converge to a local Nash "
                   "equilibrium. *Advances in Neural Information Processing Systems 30 (NeurIPS)*, 6626-6637."),
    "hochreiter1997": ("Hochreiter and Schmidhuber", 1997, "Long short-term memory. *Neural Computation*, 9(8), "
                       "1735-1780."),
    "kingma2015": ("Kingma and Ba", 2015, "Adam: a method for stochastic optimization. *International Conference "
                   "on Learning Representations (ICLR)*."),
    "le2015": ("Le, Jaitly and Hinton", 2015, "A simple way to initialize recurrent networks of rectified linear "
               "units. *arXiv preprint arXiv:1504.00941*."),
    "lecun1998": ("LeCun, Bottou, Bengio and Haffner", 1998, "Gradient-based learning applied to document "
                  "recognition. *Proceedings of the IEEE*, 86(11), 2278-2324."),
    "pascanu2013": ("Pascanu, Mikolov and Bengio", 2013, "On the difficulty of training recurrent neural networks. "
                    "*Proceedings of the 30th International Conference on Machine Learning (ICML)*, 1310-1318."),
    "radford2016": ("Radford, Metz and Chintala", 2016, "Unsupervised representation learning with deep "
                    "convolutional generative adversarial networks. *International Conference on Learning "
                    "Representations (ICLR)*."),
    "raschka2018": ("Raschka", 2018, "MLxtend: providing machine learning and data science utilities and extensions "
                    "to Python's scientific computing stack. *Journal of Open Source Software*, 3(24), 638."),
    "salimans2016": ("Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen", 2016,
                     "Improved techniques for training GANs. *Advances in Neural "
                     "Information Processing Systems 29 (NeurIPS)*, 2234-2242."),
    "tallec2018": ("Tallec and Ollivier", 2018, "Can recurrent neural networks warp time? *International "
                   "Conference on Learning Representations (ICLR)*."),
    "tieleman2012": ("Tieleman and Hinton", 2012, "Lecture 6.5, RMSProp: divide the gradient by a running average "
                     "of its recent magnitude. *COURSERA: Neural Networks for Machine Learning*."),
    "white2016": ("White", 2016, "Sampling generative networks. *arXiv preprint arXiv:1609.04468*."),
    "yazici2019": ("Yazıcı, Foo, Winkler, Yap, Piliouras and Chandrasekhar", 2019,
                   "The unusual effectiveness of averaging in GAN training. *International "
                   "Conference on Learning Representations (ICLR)*."),
    "zhao2020": ("Zhao, Liu, Lin, Zhu and Han", 2020, "Differentiable augmentation for data-efficient GAN training. "
                 "*Advances in Neural Information Processing Systems 33 (NeurIPS)*, 7559-7570."),
}


# ---------------------------------------------------------------- numbers as the report writes them

def pct(fraction: float | None, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage: 0.9734 -> '97.3%'; None -> '–'."""
    return "–" if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)) else \
        f"{fraction * 100:.{digits}f}%"


def pct_span(values, digits: int = 1, alike: str = "{} in every case", span: str = "{}") -> str:
    """The range of some fractions as percentages: '45.2% to 100.0%' (filled into ``span``), or ``alike`` filled
    with the one value when both ends round alike (never '100.0% to 100.0%')."""
    low, high = pct(min(values), digits), pct(max(values), digits)
    return alike.format(low) if low == high else span.format(f"{low} to {high}")


WORDS = "zero one two three four five six seven eight nine ten".split()


def how_often(n: int) -> str:
    """0 -> 'never', 1 -> 'once', 2 -> 'twice', 5 -> '5 times'."""
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def words(n: int) -> str:
    """A count as a sentence may begin with it: 'three' up to ten, digits beyond."""
    return WORDS[n] if 0 <= n <= 10 else f"{n:,}"


def num(value: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals and thousands separators; None -> '–'."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def shown(value: float, digits: int = 2) -> float:
    """``value`` as ``num`` prints it, so that a ratio of two printed numbers is the one a reader computes from
    them (8.61 / 9.73 = 88.5%, not the 88.6% of the unrounded values)."""
    return float(f"{value:.{digits}f}")


def shown_sci(value: float, digits: int = 1) -> float:
    """``value`` as ``sci`` prints it, ``digits + 1`` significant digits (3.37e-05 -> 3.4e-05)."""
    return float(f"{value:.{digits}e}")


def sci(value: float | None, digits: int = 1) -> str:
    """A number that may be tiny or huge, to ``digits + 1`` significant digits: as a power of ten in Markdown
    math outside [0.01, 1000) (2.6e-05 -> '$2.6 \\times 10^{-5}$'), plainly inside it (0.23, 11); None -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}e}")  # to digits + 1 significant digits first: 0.0999 -> 0.10, 9.96 -> 10
    if 0.01 <= abs(rounded) < 1000:  # then zeros kept (0.80), never an exponent (113)
        return f"{rounded:.{max(0, digits - math.floor(math.log10(abs(rounded))))}f}"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$"


def count(value: int | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{int(value):,}"


def some_of(k: int, n: int, noun: str) -> str:
    """'none of the 3 pairs', '1 of the 3 pairs', 'all 3 pairs' ('both pairs' for two)."""
    nouns = noun if n == 1 else f"{noun}s"
    if k == 0:
        return f"none of the {n} {nouns}" if n > 1 else f"no {noun}"
    if k == n:
        return "both " + nouns if n == 2 else f"all {n} {nouns}" if n > 2 else f"the one {noun}"
    return f"{k} of the {n} {nouns}"


def capitalised(text: str) -> str:
    """``text`` as a sentence begins it, its first letter upper case and the rest as they are ('the LSTM' ->
    'The LSTM', where ``str.capitalize`` would give 'The lstm')."""
    return text[:1].upper() + text[1:]


def listed(items: list) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _shown_length(cell: str) -> int:
    """About how many characters ``cell`` shows once rendered: its math and bold markup take no width
    ('$6.3 \\times 10^{-5}$' shows as '6.3 × 10-5')."""
    return len(re.sub(r"[${}^*\\]", "", cell.replace("\\times", "×")))


NUMERIC = re.compile(r"(\*\*)?\$?[-+0-9]")  # a cell that begins with a number (in math or bold or not)


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a pipe table, its cells as they stand (format them first); a missing cell reads '–'. Each
    column's share of the width follows its longest cell or half its header (Pandoc reads it from the dashes
    under the header)."""
    frame = frame.reset_index() if any(frame.index.names) else frame
    frame = frame.astype(object).where(frame.notna(), "–")
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    # a header may take two lines, never more: half its length, and at least its longest word
    widths = [max([_shown_length(str(v)) for v in frame[c]] + [-(-len(str(c)) // 2), *map(len, str(c).split())])
              for c in frame.columns]
    # numbers to the right, so their digits line up; words to the left, where a reader starts
    right = [all(NUMERIC.match(str(v)) for v in frame[c] if v not in ("–", "never")) for c in frame.columns]
    rule = "|" + "|".join(":" * (not r) + "-" * (max(3, min(w, 40)) + 1) + ":" * r  # + 1 and the colon: the padding
                          for w, r in zip(widths, right)) + "|"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


class PlanError(ValueError):
    """A figure or table placed out of the order of the document's plan, or one the plan does not have."""


class Document:
    """Numbered figures and tables, placed in the order of their plan (lists of keys), and citations.
    ``root`` is the output root whose figures (``lib.outputs.figure``) the document shows."""

    def __init__(self, root: str | Path, figures: list[str], tables: list[str], rehearsal: bool = False):
        self.root = project_path(root)
        self.figures, self.tables = list(figures), list(tables)
        self.placed_figures, self.placed_tables, self.cited = [], [], []
        self.rehearsal = rehearsal  # a dry run that only records what is placed, in which order

    def fig(self, key: str) -> str:
        """'Figure 3': how the text refers to the figure ``key``."""
        return self._number(key, self.figures, "Figure")

    def tab(self, key: str) -> str:
        """'Table 2': how the text refers to the table ``key``."""
        return self._number(key, self.tables, "Table")

    def _number(self, key: str, plan: list, word: str) -> str:
        if self.rehearsal:
            return f"{word} ?"
        if key not in plan:
            raise PlanError(f"the report's plan has no {word.lower()} {key!r}; it has {plan}")
        return f"{word} {plan.index(key) + 1}"

    def _place(self, key: str, plan: list, placed: list, kind: str) -> None:
        if self.rehearsal:
            placed.append(key)
            return
        expected = plan[len(placed)] if len(placed) < len(plan) else None
        if key != expected:
            raise PlanError(f"{kind} {key!r} placed where the plan has {expected!r} (plan: {plan})")
        placed.append(key)

    def figure(self, key: str, caption: str, width: int = 100) -> str:
        """The figure drawn under ``key`` as Markdown, its PNG inlined (it shows wherever the notebook is
        opened; ``tools.report`` turns it back into a file), captioned with its number, ``width`` percent of the
        text's width. A missing figure is an error: the report never shows a placeholder."""
        path = outputs.figure(self.root, key)
        if self.rehearsal:
            self._place(key, self.figures, self.placed_figures, "figure")
            return ""
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: the notebook that draws figure {key!r} "
                                    f"({outputs.FIGURES[key]}) has not run into this output root.")
        self._place(key, self.figures, self.placed_figures, "figure")
        data = base64.b64encode(path.read_bytes()).decode()
        return f"![{self.fig(key)}: {caption}](data:image/png;base64,{data}){{width={width}%}}"

    def table(self, key: str, frame: pd.DataFrame, caption: str) -> str:
        """``frame`` as a numbered table, its caption above it (Pandoc's ``Table:`` caption)."""
        self._place(key, self.tables, self.placed_tables, "table")
        return f"Table: {self.tab(key)}: {caption}\n\n{markdown_table(frame)}"

    def cite(self, key: str, parenthetical: bool = True) -> str:
        """'(Hochreiter and Schmidhuber, 1997)', or 'Hochreiter and Schmidhuber (1997)'; three authors or more
        as 'Goodfellow et al.' (the reference list names them all)."""
        authors, year, _ = REFERENCES[key]
        if key not in self.cited:
            self.cited.append(key)
        names = authors.replace(" and ", ", ").split(", ")
        short = f"{names[0]} et al." if len(names) > 2 else authors
        return f"({short}, {year})" if parenthetical else f"{short} ({year})"

    def references(self) -> str:
        """The cited works, alphabetically, as the report's last section."""
        rows = sorted((REFERENCES[key] for key in self.cited), key=lambda r: (r[0], r[1]))
        return "\n\n".join(f"{authors} ({year}). {title}" for authors, year, title in rows)

    def check_complete(self) -> None:
        """PlanError unless every planned figure and table has been placed."""
        for plan, placed, kind in ((self.figures, self.placed_figures, "figures"),
                                   (self.tables, self.placed_tables, "tables")):
            if placed != plan:
                raise PlanError(f"{kind} planned but not placed: {[k for k in plan if k not in placed]}")

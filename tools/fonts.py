"""Fonts for the text a student types into the title block: the PDF's own fonts (Typst's) cover Latin, Greek and
Cyrillic; a name in Chinese, Japanese or Korean needs a font of the machine's that has those characters.

``ASSIGNMENT3_FONT_DIRS`` (folders, separated as in PATH) replaces the search below, for a machine whose fonts
are elsewhere (and for the tests, which hide every font).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

ENV = "ASSIGNMENT3_FONT_DIRS"
# Han, kana, Hangul, CJK punctuation and compatibility forms, half- and full-width forms.
CJK = re.compile("[\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
NAMES = re.compile(r"(NotoSansCJK|NotoSerifCJK|NotoSans.*(SC|TC|JP|KR)|SourceHan|wqy|DroidSansFallback|ipag|"
                   r"unifont|SimSun|msyh|PingFang|Hiragino|AppleGothic|malgun)", re.IGNORECASE)
FOLDERS = ["/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts",
           "/System/Library/Fonts", "~/Library/Fonts", "C:/Windows/Fonts"]
PIP_FONT = "noto_cjk_sans_otc"  # `pip install noto-cjk-sans-otc`: Noto Sans CJK in a wheel (15 MB)


def needs_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def _candidates() -> list[Path]:
    """Font files whose name says they hold CJK glyphs."""
    if os.environ.get(ENV) is not None:
        folders = [Path(p) for p in os.environ[ENV].split(os.pathsep) if p]
    else:
        folders = [Path(p).expanduser() for p in FOLDERS]
        spec = importlib.util.find_spec(PIP_FONT)
        if spec and spec.origin:
            folders.append(Path(spec.origin).parent)
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc")
                      and NAMES.search(p.name)]
    return sorted(found)


def font_dirs_for(text: str) -> list[Path] | None:
    """The font folders the PDF needs for ``text``: [] when its own fonts do, the folders of the CJK fonts found
    when it has CJK characters, None when it has them and no font here does."""
    if not needs_cjk(text):
        return []
    fonts = _candidates()
    return sorted({font.parent for font in fonts}) or None


def cjk_family(text: str) -> str | None:
    """The family name of a CJK font for LaTeX's xeCJK, when ``text`` needs one: fontconfig's first Chinese
    font where fontconfig is, else Noto Sans CJK SC (None when ``text`` needs none)."""
    if not needs_cjk(text):
        return None
    if shutil.which("fc-list") and os.environ.get(ENV) is None:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout.split("\n")
        families = sorted({line.split(",")[0].strip() for line in listed if line.strip()})
        preferred = [f for f in families if "SC" in f] or families
        if preferred:
            return preferred[0]
    return "Noto Sans CJK SC"


def missing_font_message(text: str) -> str:
    sample = "".join(CJK.findall(text))[:10]
    return (f"The title block holds characters ({sample}) that the PDF's fonts lack, and no font on this machine has "
            f"them. Install one, then run the command again: on Debian or Ubuntu `sudo apt install fonts-noto-cjk`; "
            f"without root, `.venv/bin/python -m pip install noto-cjk-sans-otc` (15 MB, found there); or set "
            f"{ENV} to a folder that holds a CJK font. Nothing has been written.")

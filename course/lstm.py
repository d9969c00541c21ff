"""The course's ``lstm.py``: ``LSTM(seq_length, input_dim, hidden_dim, output_dim)``, the LSTM of equations (1)-(8)
with a ``for`` loop over time and no ``torch.nn.LSTM``. It is ``lib.recurrent.LSTM`` itself (read that file for the
equations, line by line); here it only takes the skeleton's name.

    model = LSTM(seq_length=10, input_dim=1, hidden_dim=128, output_dim=10)
    logits = model(x)   # x (batch, steps, input_dim) -> (batch, output_dim): p of (7) at the last step
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: this checkout's lib
from lib.recurrent import LSTM, VanillaRNN  # noqa: E402,F401

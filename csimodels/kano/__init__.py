"""Kano classification of product and service features.

A feature survey asks each respondent a functional question ("if the product has this
feature, how do you feel?") and a dysfunctional one ("if it does not?"), each answered
Like / Must-be / Neutral / Live-with / Dislike (喜欢 / 理所当然 / 无所谓 / 能忍受 / 不喜欢).
:class:`Kano` maps every answer pair through an evaluation table (Berger et al. 1993 by
default) to Attractive, One-dimensional, Must-be, Indifferent, Reverse or Questionable,
and classifies each feature with the mode, the M > O > A > I tie rule, category and
total strength, Fong's test, the Better/Worse coefficients and DuMouchel's continuous
analysis; :class:`KanoResult` holds the tables.

References
----------
1. Kano, N., Seraku, N., Takahashi, F. and Tsuji, S. (1984). Attractive quality and
   must-be quality. *Hinshitsu* 14(2), 39–48.
2. Berger, C., Blauth, R., Boger, D., et al. (1993). Kano's methods for understanding
   customer-defined quality. *Center for Quality of Management Journal* 2(4), 3–36.
3. Fong, D. (1996). Using the self-stated importance questionnaire to interpret Kano
   questionnaire results. *Center for Quality of Management Journal* 5(3), 21–24.
4. Lee, M. C. and Newcomb, J. F. (1997). Applying the Kano methodology to meet customer
   requirements: NASA's microgravity science program. *Quality Management Journal*
   4(3), 95–106.
5. Matzler, K. and Hinterhuber, H. H. (1998). How to make product development projects
   more successful by integrating Kano's model of customer satisfaction into quality
   function deployment. *Technovation* 18(1), 25–38.

Examples
--------
>>> import pandas as pd
>>> from csimodels.kano import Kano
>>> df = pd.DataFrame({"f": [1, 1, 1, 2], "d": [5, 5, 3, 5]})
>>> Kano(features={"fast charging": ("f", "d")}).fit(df).classification["category"].tolist()
['O']
"""

from __future__ import annotations

from csimodels.kano._definitions import (
    ANSWERS,
    CATEGORIES,
    CATEGORY_NAMES,
    CONTINUOUS_SCORES,
    KANO_LABELS,
    KANO_TABLES,
    TIE_PRIORITY,
)
from csimodels.kano._demo import demo_section
from csimodels.kano.model import FONG_DEFAULT_CRITICAL_VALUE, Kano
from csimodels.kano.result import KanoResult

__all__ = [
    "ANSWERS",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "CONTINUOUS_SCORES",
    "FONG_DEFAULT_CRITICAL_VALUE",
    "KANO_LABELS",
    "KANO_TABLES",
    "TIE_PRIORITY",
    "Kano",
    "KanoResult",
    "demo_section",
]

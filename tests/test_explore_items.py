"""Reliability against R psych (alpha(), omega()), screening with planted careless
respondents, segmentation of planted clusters (adjusted Rand index), and the SPSS /
Stata / labelled-Excel readers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import DataQualityWarning, DataValidationError, InvalidParameterError
from tests.conftest import SHARED_DATA

FIXTURES = Path(__file__).parent / "fixtures" / "psych"


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Any:
    # these problems are tiny: BLAS/OpenMP threads only add contention on a busy machine
    import sklearn.cluster  # noqa: F401  (load its OpenMP runtime before limiting it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


DATASETS = {"mobi": "mobi.csv", "hs": "holzinger_swineford39_data.csv"}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], pd.DataFrame]:
    name = request.param
    fx = json.loads((FIXTURES / f"{name}.json").read_text())
    return fx, pd.read_csv(SHARED_DATA / DATASETS[name])[fx["items"]]


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


class TestReliabilityAgainstPsych:
    def test_alpha_and_item_statistics(self, case: tuple[dict[str, Any], pd.DataFrame]) -> None:
        fx, df = case
        for ref in fx["alpha"]:  # psych::alpha(x[, items]) and alpha.ci (Feldt)
            res = _quiet(csi.Reliability().fit, df, items=ref["items"])
            s = res.scales.loc["scale"]
            t = ref["total"]
            for ours, theirs in (
                ("alpha", "raw_alpha"),
                ("alpha_std", "std.alpha"),
                ("lambda6", "G6(smc)"),
                ("average_r", "average_r"),
                ("ase", "ase"),
                ("mean", "mean"),
                ("sd", "sd"),
            ):
                assert s[ours] == pytest.approx(t[theirs], abs=1e-10), ours
            assert s["ci_lower"] == pytest.approx(ref["feldt"]["lower"], abs=1e-10)
            assert s["ci_upper"] == pytest.approx(ref["feldt"]["upper"], abs=1e-10)
            items = res.items.loc["scale"]
            st, dr = ref["item_stats"], ref["alpha_drop"]
            for ours, theirs in (
                ("item_total", "raw.r"),
                ("item_total_std", "std.r"),
                ("item_total_corrected", "r.drop"),
                ("mean", "mean"),
                ("sd", "sd"),
            ):
                np.testing.assert_allclose(items[ours], st[theirs], atol=1e-10, err_msg=ours)
            for ours, theirs in (
                ("alpha_if_deleted", "raw_alpha"),
                ("alpha_std_if_deleted", "std.alpha"),
                ("average_r_if_deleted", "average_r"),
            ):
                np.testing.assert_allclose(items[ours], dr[theirs], atol=1e-10, err_msg=ours)

    def test_omega_total(self, case: tuple[dict[str, Any], pd.DataFrame]) -> None:
        fx, df = case
        for ref in fx["omega"]:  # psych::omega(x, nfactors)$omega.tot
            res = _quiet(csi.Reliability(omega_factors=ref["nfactors"]).fit, df, items=ref["items"])
            # psych's minres inside omega() stops at optim's tolerance (~1e-7 here)
            assert res.scales.loc["scale", "omega_total"] == pytest.approx(
                ref["omega_tot"], abs=1e-6
            )

    def test_scales_from_constructs_weights_and_round_trip(self, mobi: pd.DataFrame) -> None:
        data = csi.SurveyData.from_frame(
            mobi,
            scale=(1, 10),
            constructs={
                "Quality": [f"PERQ{i}" for i in range(1, 8)],
                "Image": [f"IMAG{i}" for i in range(1, 6)],
            },
        )
        res = csi.Reliability().fit(data)
        assert list(res.scales.index) == ["Quality", "Image"]
        assert csi.result_from_json(res.to_json()) == res
        # equal weights leave every number unchanged
        frame = mobi.assign(w=2.0)
        weighted = csi.Reliability().fit(frame, items=[f"PERQ{i}" for i in range(1, 8)], weight="w")
        plain = csi.Reliability().fit(mobi, items=[f"PERQ{i}" for i in range(1, 8)])
        assert weighted.scales.loc["scale", "alpha"] == pytest.approx(
            plain.scales.loc["scale", "alpha"], abs=1e-12
        )

    def test_bad_input(self) -> None:
        df = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [2, 2, 2, 2.0], "c": [1, 3, 2, 4.0]})
        with pytest.raises(DataValidationError, match="'b' is constant"):
            _quiet(csi.Reliability().fit, df)
        with pytest.raises(DataValidationError, match="at least 2 items"):
            csi.Reliability().fit(df, items=["a"])
        with pytest.raises(InvalidParameterError, match="'level'"):
            csi.Reliability(level=1.5)


def _planted() -> tuple[pd.DataFrame, dict[str, list[int]]]:
    rng = np.random.default_rng(42)
    n, p = 400, 15
    trait = rng.standard_normal(n)
    x = np.clip(np.rint(4 + 0.8 * trait[:, None] + rng.standard_normal((n, p))), 1, 7)
    df = pd.DataFrame(x, columns=[f"Q{j + 1}" for j in range(p)])
    planted: dict[str, list[int]] = {
        "straight_lining": [10, 55, 300],
        "duplicate": [120, 121],
        "near_duplicate": [200],
        "speeder": [7, 77, 333],
        "long_string": [250],
    }
    for r, v in zip(planted["straight_lining"], (3, 4, 5), strict=True):
        df.loc[r] = float(v)
    df.loc[120] = df.loc[20]
    df.loc[121] = df.loc[21]
    df.loc[200] = df.loc[30]
    df.loc[200, "Q5"] = 1.0 if df.loc[30, "Q5"] != 1.0 else 2.0
    df.loc[250, [f"Q{j}" for j in range(1, 14)]] = 6.0  # 13 of 15 identical in a row
    df.loc[250, "Q14"], df.loc[250, "Q15"] = 1.0, 2.0
    df["seconds"] = rng.normal(600, 90, n).clip(300)
    df.loc[planted["speeder"], "seconds"] = [60.0, 90.0, 120.0]
    return df, planted


class TestScreening:
    def test_planted_respondents_found_with_their_rows(self) -> None:
        df, planted = _planted()
        res = _quiet(
            csi.ScreenResponses(near_duplicate_share=0.9).fit, df, duration="seconds", scale=(1, 7)
        )
        flags = res.flags
        for rule, rows in planted.items():
            found = sorted(flags.index[flags[rule]].tolist())
            if rule == "long_string":
                # straight-liners are long strings too
                assert found == sorted(rows + planted["straight_lining"])
            else:
                assert found == rows, rule
        assert flags.loc[120, "duplicate_of"] == "20"
        assert flags.loc[200, "nearest_row"] == "30"
        assert flags.loc[200, "nearest_share"] == pytest.approx(14 / 15)
        expected = sorted({r for rows in planted.values() for r in rows})
        assert sorted(res.excluded.index.tolist()) == expected
        assert res.excluded.loc[10, "reasons"] == "straight_lining, long_string"
        assert csi.result_from_json(res.to_json()) == res

    def test_clean_returns_the_survey_without_the_excluded(self) -> None:
        df, _ = _planted()
        report, kept = _quiet(
            csi.ScreenResponses(near_duplicate_share=0.9).clean,
            df,
            duration="seconds",
            scale=(1, 7),
        )
        assert kept.n_respondents == len(df) - report.settings["n_excluded"]
        assert not set(report.excluded.index) & set(kept.frame.index)
        assert "seconds" not in kept.items
        # the preparation record names the exclusions, rule by rule, from the planted rows
        _, planted = _planted()
        step = kept.steps[-1]
        assert (step.kind, step.n_before, step.n_after) == (
            "screening",
            len(df),
            kept.n_respondents,
        )
        for rule, count in step.counts.items():
            expected = planted[rule] + (planted["straight_lining"] if rule == "long_string" else [])
            assert count == len(set(expected)), rule
        assert set(step.counts) == {r for r, rows in planted.items() if rows}
        sentence = kept.describe().notes[-1]
        assert sentence.startswith(f"data: screening excluded {len(df) - kept.n_respondents} of")

    def test_mahalanobis_outlier(self) -> None:
        rng = np.random.default_rng(1)
        x = rng.multivariate_normal([0, 0, 0], [[1, 0.8, 0.8], [0.8, 1, 0.8], [0.8, 0.8, 1]], 500)
        x[17] = [2.5, -2.5, 2.5]  # unremarkable per item, far in Mahalanobis distance
        df = pd.DataFrame(x, columns=["a", "b", "c"])
        res = csi.ScreenResponses(criteria=("outlier",)).fit(df)
        assert 17 in res.flags.index[res.flags["outlier"]]
        # D² agrees with scipy's mahalanobis
        from scipy.spatial.distance import mahalanobis

        vi = np.linalg.inv(np.cov(x, rowvar=False))
        d = mahalanobis(x[17], x.mean(axis=0), vi) ** 2
        assert res.flags.loc[17, "mahalanobis"] == pytest.approx(d, rel=1e-10)
        assert res.excluded.empty  # outliers are reported, not excluded, by default

    def test_bad_input(self) -> None:
        df, _ = _planted()
        with pytest.raises(DataValidationError, match="'minutes'"):
            csi.ScreenResponses().fit(df, duration="minutes")
        bad = df.assign(seconds=df["seconds"].astype(object))
        bad.loc[3, "seconds"] = "fast"
        with pytest.raises(DataValidationError, match="non-numeric"):
            csi.ScreenResponses().fit(bad, duration="seconds")
        with pytest.raises(InvalidParameterError, match=r"'criteria\.0'.*'laziness'"):
            csi.ScreenResponses(criteria=("laziness",))  # type: ignore[arg-type]
        with pytest.raises(DataValidationError, match="exclude names"):
            csi.ScreenResponses(criteria=("duplicate",), exclude=("outlier",)).fit(df)


class TestSegmentation:
    @pytest.mark.parametrize("method", ["kmeans", "gmm"])
    def test_planted_clusters_recovered(self, method: str) -> None:
        from sklearn.metrics import adjusted_rand_score

        sim = csi.explore.simulate_segments(n=600, n_segments=3, random_state=1)
        res = csi.Segmentation(method=method, k_range=(2, 6)).fit(sim.data, random_state=3)
        assert res.settings["n_segments"] == 3
        ari = adjusted_rand_score(sim.truth, res.assignments.astype(int))
        assert ari > 0.95, ari  # measured 0.990 for both methods
        assert list(res.selection.index) == [2, 3, 4, 5, 6]
        # segment profiles: sizes add up, means are the means of the members
        prof = res.profiles
        assert prof["size"].sum() == 600
        members = sim.data.frame[res.assignments == 1]
        np.testing.assert_allclose(prof.loc[1, list(sim.data.items)], members.mean(), atol=1e-12)
        assert csi.result_from_json(res.to_json()) == res

    def test_seeded_and_segments_usable_with_by(self) -> None:
        sim = csi.explore.simulate_segments(n=300, random_state=2)
        a = csi.Segmentation().fit(sim.data, random_state=5)
        b = csi.Segmentation().fit(sim.data, random_state=5)
        assert a == b
        data = a.with_segments(sim.data)
        by = csi.Reliability().fit(data, by="segment")
        assert by.labels == [str(k) for k in range(1, a.settings["n_segments"] + 1)] or (
            len(by.labels) == a.settings["n_segments"]
        )

    def test_bad_input(self) -> None:
        sim = csi.explore.simulate_segments(n=5, random_state=2)
        with pytest.raises(DataValidationError, match="cannot form"):
            csi.Segmentation().fit(sim.data)
        with pytest.raises(InvalidParameterError, match="k_range"):
            csi.Segmentation(k_range=(1, 3))
        with pytest.raises(InvalidParameterError, match="bic"):
            csi.Segmentation(method="kmeans", criterion="bic")


class TestReaders:
    def _frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "SAT1": [7.0, 9, 99, 10, 8, 6],
                "SAT2": [6.0, 98, 7, 10, 9, 5],
                "region": [1.0, 1, 2, 2, 1, 2],
            }
        )

    def test_sav_reads_into_the_equivalent_survey(self, tmp_path: Path) -> None:
        pyreadstat = pytest.importorskip("pyreadstat")
        df = self._frame()
        path = tmp_path / "survey.sav"
        pyreadstat.write_sav(
            df,
            str(path),
            column_labels={"SAT1": "总体满意度", "SAT2": "与理想比较", "region": "地区"},
            variable_value_labels={"SAT1": {99: "不知道"}, "region": {1: "华东", 2: "华南"}},
            missing_ranges={"SAT1": [99], "SAT2": [{"lo": 98, "hi": 99}]},
        )
        got = csi.SurveyData.from_spss(path, segments=["region"], scale=(1, 10))
        expected = csi.SurveyData.from_frame(
            df.assign(region=df["region"].map({1.0: "华东", 2.0: "华南"})),
            segments=["region"],
            scale=(1, 10),
            labels={"SAT1": "总体满意度", "SAT2": "与理想比较"},
            missing_codes={"SAT1": [99], "SAT2": [98, 99]},
        )
        pd.testing.assert_frame_equal(got.frame, expected.frame, check_dtype=False)
        assert got.labels() == expected.labels()
        assert got.missing_codes == expected.missing_codes
        assert got.items == expected.items

    def test_dta_reads_labels(self, tmp_path: Path) -> None:
        pyreadstat = pytest.importorskip("pyreadstat")
        df = self._frame().replace({99.0: np.nan, 98.0: np.nan})
        path = tmp_path / "survey.dta"
        pyreadstat.write_dta(
            df, str(path), column_labels={"SAT1": "总体满意度", "SAT2": "质量", "region": "地区"}
        )
        got = csi.SurveyData.from_stata(path, segments=["region"], scale=(1, 10))
        assert got.labels() == {"SAT1": "总体满意度", "SAT2": "质量"}
        assert got.frame["SAT1"].isna().sum() == 1

    def test_excel_label_row(self, tmp_path: Path) -> None:
        path = tmp_path / "survey.xlsx"
        sheet = pd.DataFrame(
            [["总体满意度", "质量", None], [7, 8, "N"], [9, 6, "S"], [99, 5, "N"]],
            columns=["SAT", "QUAL", "region"],
        )
        sheet.to_excel(path, index=False)
        got = csi.SurveyData.from_excel_labelled(
            path, segments=["region"], scale=(1, 10), missing_codes=[99]
        )
        assert got.labels() == {"SAT": "总体满意度", "QUAL": "质量"}
        assert got.frame["SAT"].isna().sum() == 1
        assert got.n_respondents == 3

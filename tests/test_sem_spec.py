"""ModelSpec and the CSI presets: syntax round trips and every specification error."""

from __future__ import annotations

import pytest

import csimodels as csi
from csimodels.errors import InvalidParameterError, SpecificationError
from csimodels.sem.spec import ModelSpec, topological_order

ECSI_MOBI = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}


def test_syntax_round_trip_with_chinese_names() -> None:
    text = """
    # 品牌形象 is formative here
    品牌形象 <~ IMG1 + IMG2
    满意度 =~ SAT1 + SAT2 + SAT3
    忠诚 =~ LOY1
    满意度 ~ 品牌形象
    忠诚 ~ 满意度 + 品牌形象
    """
    spec = ModelSpec.from_syntax(text)
    assert spec.get_construct("品牌形象").mode == "formative"
    assert spec.paths == (("品牌形象", "满意度"), ("满意度", "忠诚"), ("品牌形象", "忠诚"))
    again = ModelSpec.from_syntax(spec.to_syntax())
    assert again.constructs == spec.constructs
    assert set(again.paths) == set(spec.paths)
    assert topological_order(spec) == ("品牌形象", "满意度", "忠诚")


def test_semicolons_and_repeated_measurement_lines() -> None:
    spec = ModelSpec.from_syntax("A =~ a1; A =~ a2; B =~ b1; B ~ A")
    assert spec.get_construct("A").indicators == ("a1", "a2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A =~ a1; B =~ b1; B ~ A; A ~ B", "the structural model has a cycle: A -> B -> A"),
        ("A =~ a1; B =~ a1; B ~ A", "indicator 'a1' is used by both 'A' and 'B'"),
        ("A =~ a1 + a1; B =~ b1; B ~ A", "indicator 'a1' is used twice in 'A'"),
        ("A =~ a1; B =~ b1; C =~ c1; B ~ A", "construct 'C' is connected to nothing"),
        ("A =~ a1; B =~ b1; B ~ A + A", "path A -> B is declared more than once"),
        ("A =~ a1; B =~ b1; B ~ X", "path X -> B names 'X', which is not a construct"),
        ("A =~ a1; A ~ A", "points a construct at itself"),
        (
            "A =~ a1; A <~ a2; B =~ b; B ~ A",
            "construct 'A' is declared both reflective and formative",
        ),
        ("A =~ a1; B ~~ A", "covariances ('~~') are not part of a PLS path model"),
        ("A =~ a1 +; B =~ b1", "names must be single words joined by '+'"),
        ("this is not a model", "cannot read statement 'this is not a model'"),
        ("", "the model has no constructs"),
    ],
)
def test_specification_errors(text: str, message: str) -> None:
    with pytest.raises(SpecificationError) as err:
        ModelSpec.from_syntax(text)
    assert message in str(err.value)


def test_construct_without_indicator() -> None:
    with pytest.raises(SpecificationError, match="construct 'B' has no indicator"):
        ModelSpec.from_mapping({"A": ["a1"], "B": []}, [("A", "B")])


def test_mode_and_label_errors() -> None:
    with pytest.raises(
        SpecificationError, match="mode 'C' of construct 'A' is not a measurement mode"
    ):
        ModelSpec.from_mapping({"A": ["a1"], "B": ["b"]}, [("A", "B")], modes={"A": "C"})
    with pytest.raises(SpecificationError, match="modes/labels name 'Z'"):
        ModelSpec.from_mapping({"A": ["a1"], "B": ["b"]}, [("A", "B")], labels={"Z": "z"})
    with pytest.raises(SpecificationError, match="must be a list of column names, not one string"):
        ModelSpec.from_mapping({"A": "a1", "B": ["b"]}, [("A", "B")])


def test_missing_indicator_column_names_the_construct(mobi: object) -> None:
    items = {**ECSI_MOBI, "Value": ["PERV1", "PERV9"]}
    with pytest.raises(SpecificationError) as err:
        csi.ECSI(indicators=items).fit(mobi, scale=(1, 10))  # type: ignore[arg-type]
    assert "indicator 'PERV9' of construct 'Value' is not a column of the data" in str(err.value)


def test_with_paths() -> None:
    spec = csi.ECSI(indicators=ECSI_MOBI).to_spec()
    fewer = spec.with_paths(drop=[("Image", "Loyalty")])
    assert ("Image", "Loyalty") not in fewer.paths and len(fewer.paths) == 11
    with pytest.raises(SpecificationError, match="cannot drop 'Value -> Image'"):
        spec.with_paths(drop=[("Value", "Image")])
    with pytest.raises(SpecificationError, match="cycle"):
        spec.with_paths(add=[("Loyalty", "Image")])


def test_presets_have_the_published_structures() -> None:
    ecsi = csi.ECSI(indicators=ECSI_MOBI).to_spec()
    assert set(ecsi.paths) == {
        ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
        ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
        ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
        ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
    }  # fmt: skip
    ccsi_items = {
        c: [c + "1"]
        for c in ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Loyalty"]
    }
    ccsi = csi.CCSI(indicators=ccsi_items).to_spec()
    order = ["Image", "Expectation", "Quality", "Value", "Satisfaction"]
    expected = {(a, b) for i, a in enumerate(order) for b in order[i + 1 :]} | {
        ("Satisfaction", "Loyalty")
    }
    assert set(ccsi.paths) == expected and len(expected) == 11
    assert ccsi.get_construct("Image").label == "品牌形象"
    assert ccsi.get_construct("Satisfaction").label == "顾客满意度"
    with_c = csi.CCSI(
        indicators={**ccsi_items, "Complaints": ["C1"]}, variant="complaints"
    ).to_spec()
    assert ("Complaints", "Loyalty") in with_c.paths
    acsi_items = {
        c: [c + "1"]
        for c in ["Expectations", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]
    }
    assert len(csi.ACSI(indicators=acsi_items).to_spec().paths) == 9
    scsi_items = {
        c: [c + "1"] for c in ["Expectations", "Value", "Satisfaction", "Complaints", "Loyalty"]
    }
    assert len(csi.SCSI(indicators=scsi_items).to_spec().paths) == 6


def test_preset_mapping_errors() -> None:
    items = dict(ECSI_MOBI)
    del items["Value"]
    items["Trust"] = ["T1"]
    with pytest.raises(SpecificationError) as err:
        csi.ECSI(indicators=items).to_spec()
    assert "ECSI: no indicators for 'Value'; 'Trust' not in the model" in str(err.value)


def test_invalid_settings_are_csimodels_errors() -> None:
    with pytest.raises(InvalidParameterError, match="parameter 'scheme' of ECSI must be"):
        csi.ECSI(indicators=ECSI_MOBI, scheme="fastest")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="parameter 'max_iter' of ECSI"):
        csi.ECSI(indicators=ECSI_MOBI, max_iter=0)
    with pytest.raises(InvalidParameterError, match="ECSI has no parameter 'bootstrap'"):
        csi.ECSI(indicators=ECSI_MOBI, bootstrap=10)  # type: ignore[call-arg]
    with pytest.raises(InvalidParameterError, match="parameter 'variant' of CCSI"):
        csi.CCSI(indicators={}, variant="provincial")  # type: ignore[arg-type]

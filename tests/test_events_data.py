"""CustomerEvents: the validation gate of event logs (named rows, duplicates, future
times, unknown kinds, complaint handling before its complaint, first appearance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import DataValidationError

LOG = pd.DataFrame(
    {
        "cid": ["a", "a", "b", "b", "b"],
        "when": ["2024-03-01", "2024-01-01", "2024-02-01", "2024-02-02", "2024-02-05"],
        "what": ["来厂", "来厂", "来厂", "投诉", "解决"],
        "ticket": [None, None, None, "T1", "T1"],
        "amount": [100.0, 80.0, None, None, None],
    },
    index=[f"r{i}" for i in range(5)],
)
KINDS = {"来厂": "visit", "投诉": "complaint_opened", "解决": "complaint_resolved"}


def build(df: pd.DataFrame = LOG, **kwargs: object) -> csi.CustomerEvents:
    options: dict[str, object] = {
        "customer": "cid",
        "time": "when",
        "kind": "what",
        "case": "ticket",
        "amount": "amount",
        "kinds": KINDS,
        "as_of": "2024-12-31",
    }
    options.update(kwargs)
    return csi.CustomerEvents.from_frame(df, **options)  # type: ignore[arg-type]


def test_valid_log_is_sorted_and_coded() -> None:
    ev = build()
    assert ev.n_events == 5 and ev.n_customers == 2
    assert ev.frame.index.tolist() == ["r1", "r0", "r2", "r3", "r4"]
    assert ev.frame["what"].astype(str).tolist()[:2] == ["visit", "visit"]
    assert any("sorted" in n for n in ev.notes)
    assert ev.as_of == pd.Timestamp("2024-12-31")


def test_input_is_not_modified() -> None:
    before = LOG.copy()
    build()
    pd.testing.assert_frame_equal(LOG, before)


def test_unknown_kind_names_the_rows_and_the_kinds() -> None:
    with pytest.raises(DataValidationError, match=r"unknown kind '解决'.*row 'r4'.*kinds="):
        build(kinds={"来厂": "visit", "投诉": "complaint_opened"})


def test_kinds_mapping_to_a_non_kind() -> None:
    with pytest.raises(DataValidationError, match="'visits', which is not an event kind"):
        build(kinds={"来厂": "visits"})


def test_duplicates_raise_or_drop() -> None:
    df = pd.concat([LOG, LOG.iloc[[0]].rename(index={"r0": "dup"})])
    with pytest.raises(DataValidationError, match=r"1 duplicated events.*row 'dup'"):
        build(df)
    ev = build(df, duplicates="drop")
    assert ev.n_events == 5
    assert any("1 duplicated events" in n for n in ev.notes)


def test_future_timestamps() -> None:
    with pytest.raises(DataValidationError, match=r"1 events after as_of.*row 'r0'"):
        build(as_of="2024-02-15")
    future = LOG.assign(when=LOG["when"].where(LOG.index != "r2", "2999-01-01"))
    with pytest.raises(DataValidationError, match=r"outside 1677-09-2.*row 'r2'"):
        build(future, as_of=None)
    soon = LOG.assign(when=LOG["when"].where(LOG.index != "r2", "2200-01-01"))
    with pytest.raises(DataValidationError, match=r"in the future.*row 'r2'"):
        build(soon, as_of=None)
    with pytest.raises(DataValidationError, match="as_of= must be a date"):
        build(as_of="someday")


def test_resolution_before_its_complaint() -> None:
    df = LOG.copy()
    df.loc["r4", "when"] = "2024-02-01"
    with pytest.raises(
        DataValidationError, match=r"complaint_resolved.*earlier than the opening.*'r4'"
    ):
        build(df)


def test_case_problems() -> None:
    no_open = LOG.drop(index="r3")
    with pytest.raises(DataValidationError, match=r"'T1'.*has no complaint_opened"):
        build(no_open)
    twice = pd.concat([LOG, LOG.loc[["r3"]].rename(index={"r3": "x"}).assign(when="2024-02-03")])
    with pytest.raises(DataValidationError, match="more than one complaint_opened"):
        build(twice)
    other = LOG.copy()
    other.loc["r4", "cid"] = "a"
    with pytest.raises(DataValidationError, match="another customer"):
        build(other)
    with pytest.raises(DataValidationError, match="no case column"):
        build(case=None)
    empty_case = LOG.copy()
    empty_case.loc["r4", "ticket"] = None
    with pytest.raises(DataValidationError, match=r"case column 'ticket' is empty.*'r4'"):
        build(empty_case)


def test_events_before_first_appearance() -> None:
    with pytest.raises(DataValidationError, match=r"1 events are earlier than their customer"):
        build(first_seen={"a": "2024-02-01", "b": "2024-01-01"})
    with pytest.raises(DataValidationError, match="no date for customer 'b'"):
        build(first_seen={"a": "2023-01-01"})
    df = LOG.assign(since=["2024-01-01"] * 2 + ["2024-02-03"] * 3)
    with pytest.raises(DataValidationError, match=r"2 events are earlier.*row 'r2'"):
        build(df, first_seen="since")
    assert build(first_seen={"a": "2024-01-01", "b": "2024-01-01"}).n_events == 5


def test_bad_cells_name_their_rows() -> None:
    with pytest.raises(DataValidationError, match=r"not dates.*row 'r1': 'soon'"):
        build(LOG.assign(when=LOG["when"].where(LOG.index != "r1", "soon")))
    with pytest.raises(DataValidationError, match=r"missing time.*row 'r1'"):
        build(LOG.assign(when=LOG["when"].where(LOG.index != "r1", None)))
    with pytest.raises(DataValidationError, match=r"customer column 'cid' has 1 missing.*'r0'"):
        build(LOG.assign(cid=LOG["cid"].where(LOG.index != "r0", None)))
    with pytest.raises(DataValidationError, match=r"amount column 'amount'.*row 'r0': 'ten'"):
        build(LOG.assign(amount=LOG["amount"].astype(object).where(LOG.index != "r0", "ten")))
    with pytest.raises(DataValidationError, match="infinite"):
        build(LOG.assign(amount=LOG["amount"].where(LOG.index != "r0", np.inf)))


def test_frame_level_problems() -> None:
    with pytest.raises(DataValidationError, match="not found in events"):
        build(team="desk")
    with pytest.raises(DataValidationError, match="both as customer= and as team="):
        build(team="cid")
    with pytest.raises(DataValidationError, match="duplicated row labels"):
        build(LOG.rename(index={"r1": "r0"}))
    with pytest.raises(DataValidationError, match="no rows"):
        build(LOG.iloc[:0])
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame"):
        csi.CustomerEvents.from_frame([1, 2], customer="c", time="t", kind="k")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="timezone-aware"):
        build(LOG.assign(when=pd.to_datetime(LOG["when"]).dt.tz_localize("UTC")))
    with pytest.raises(DataValidationError, match="segment column 'store' has 1 missing"):
        build(LOG.assign(store=["s1", None, "s1", "s2", "s2"]), segments=["store"])


def test_coerce_refuses_options_for_a_built_log() -> None:
    ev = build()
    assert csi.CustomerEvents.coerce(ev) is ev
    with pytest.raises(DataValidationError, match="already a CustomerEvents"):
        csi.CustomerEvents.coerce(ev, customer="cid")
    with pytest.raises(DataValidationError, match=r"must be a csimodels\.CustomerEvents"):
        csi.CustomerEvents.coerce([1])  # type: ignore[arg-type]


def test_fast_event_order_equals_lexsort() -> None:
    from csimodels.events._order import event_order

    rng = np.random.default_rng(3)
    for _ in range(100):
        n = int(rng.integers(1, 60))
        _, cust = np.unique(rng.integers(0, 5, n), return_inverse=True)
        t = rng.integers(0, 6, n) * 10**9
        k = rng.integers(0, 3, n)
        order, _ = event_order(cust, int(cust.max()) + 1, t, k)
        ref = np.lexsort((k, t, cust))
        for key in (k, t, cust):
            np.testing.assert_array_equal(key[order], key[ref])


def test_duplicates_are_found_among_interleaved_cases() -> None:
    # one customer opens two cases at the same instant, and one of them twice
    df = pd.DataFrame(
        {
            "c": ["a"] * 3,
            "t": ["2024-01-01 10:00"] * 3,
            "k": ["complaint_opened"] * 3,
            "case": ["T1", "T2", "T1"],
        }
    )
    with pytest.raises(DataValidationError, match="1 duplicated events"):
        csi.CustomerEvents.from_frame(df, customer="c", time="t", kind="k", case="case")
    ok = csi.CustomerEvents.from_frame(df.iloc[:2], customer="c", time="t", kind="k", case="case")
    assert ok.n_events == 2

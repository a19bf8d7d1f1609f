import pandas as pd
import pytest

from workbench.catalogue import DOMAINS, Catalogue, load_catalogue
from workbench.errors import ValidationError, WorkbenchError


@pytest.fixture
def raw():
    from workbench import config

    return pd.read_csv(config.paths().catalogue, dtype=str, keep_default_na=False)


def test_catalogue_covers_seven_domains_with_40_plus_indicators(catalogue):
    assert len(catalogue) >= 40
    assert set(catalogue.table["domain"]) == set(DOMAINS)
    assert catalogue.table["code"].is_unique


def test_every_target_has_operator_value_and_provenance(catalogue):
    t = catalogue.table
    for year in (2025, 2030):
        has = t[f"target_{year}_op"] != ""
        assert t.loc[has, f"target_{year}"].notna().all()
        assert t.loc[has, f"target_{year}_prov"].isin(["F", "D", "R", "P"]).all()


def test_targets_point_the_right_way(catalogue):
    """Lower-is-better targets use <=, higher-is-better >= (binary uses ==)."""
    t = catalogue.table
    for year in (2025, 2030):
        op = t[f"target_{year}_op"]
        assert (op[t["direction"] == "lower"].isin(["<=", ""])).all()
        assert (op[t["direction"] == "higher"].isin([">=", "==", ""])).all()


def test_placeholders_are_marked_in_display(catalogue):
    shown = catalogue.display_table("en").set_index("code")
    row = catalogue.table.loc["H04"]
    assert row["target_2030_prov"] == "P"
    assert shown.at["H04", "target_2030"].endswith("*")


def test_indicator_access_and_names(catalogue):
    ind = catalogue["H03"]
    assert ind.name("zh") == "5岁以下儿童死亡率"
    assert ind.scale == 1000.0 and ind.value_range == (0.0, 1000.0)
    assert ind.target(2030)[0] == "<="
    with pytest.raises(WorkbenchError, match="2025 and 2030"):
        ind.target(2027)


def test_unknown_code_domain_unit_give_choices(catalogue):
    with pytest.raises(WorkbenchError, match="Valid codes: H01"):
        catalogue["Z01"]
    with pytest.raises(WorkbenchError, match="health, safety"):
        catalogue.in_domain("sports")
    with pytest.raises(WorkbenchError, match="education"):
        catalogue.reported_by("nobody")


def test_validation_reports_line_column_and_choices(raw):
    bad = raw.copy()
    bad.loc[0, "direction"] = "up"
    bad.loc[1, "target_2030"] = "about six"
    bad.loc[2, "target_2025_op"] = "<"
    bad.loc[3, "disaggregations"] = "sex;colour"
    bad.loc[4, "code"] = bad.loc[5, "code"]
    bad.loc[6, "target_2030_prov"] = ""
    with pytest.raises(ValidationError) as info:
        Catalogue(bad)
    found = {(p["row"], p["column"]) for p in info.value.problems}
    assert {(2, "direction"), (3, "target_2030"), (4, "target_2025_op"),
            (5, "disaggregations"), (6, "code"), (7, "code")} <= found
    assert any(p["column"] == "target_2030_prov" for p in info.value.problems)
    assert "higher, lower" in str(info.value)


def test_missing_column_is_named(raw):
    with pytest.raises(ValidationError, match="responsible_unit"):
        Catalogue(raw.drop(columns="responsible_unit"))


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(WorkbenchError, match="not found"):
        load_catalogue(tmp_path / "none.csv")


def test_loaded_catalogue_follows_edits_and_is_a_private_copy(tmp_path):
    """The validated table is cached per file version: an edit is seen, a mutation is not."""
    import os
    import shutil

    from workbench.config import paths

    path = tmp_path / "indicators.csv"
    shutil.copy(paths().catalogue, path)
    first = load_catalogue(path)
    first.table.loc["H01", "name_en"] = "changed in memory"
    assert load_catalogue(path)["H01"].name_en != "changed in memory"
    text = path.read_text(encoding="utf-8").replace("Neonatal mortality rate",
                                                    "Neonatal mortality (edited)")
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))  # even with an old timestamp, the size tells the edit
    assert load_catalogue(path)["H01"].name_en == "Neonatal mortality (edited)"

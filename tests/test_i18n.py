import pytest

from workbench.errors import WorkbenchError
from workbench.i18n import check_lang, label, labels


def test_labels_in_both_languages():
    assert label("sex", "male", "zh") == "男"
    assert label("sex", "male", "en") == "Male"
    assert label("hukou", "migrant", "zh") == "流动儿童"
    assert set(labels("residence", "en")) == {"total", "urban", "rural"}


def test_unknown_key_falls_back_to_itself():
    assert label("column", "no_such_column", "en") == "no_such_column"


def test_unknown_language_names_choices():
    with pytest.raises(WorkbenchError, match="zh, en"):
        check_lang("fr")

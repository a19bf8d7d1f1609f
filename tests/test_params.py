import pytest

from workbench.errors import ParameterError
from workbench.params import (
    ParameterSpec,
    _parse_cell,
    notebook_parameters,
    parse_cli_value,
    resolve_notebook,
    validate_parameters,
)


def test_parameters_cell_is_read_with_types_defaults_and_help():
    specs = notebook_parameters("getting_started")
    assert specs["lang"] == ParameterSpec("lang", "str", "zh", "language of labels: zh or en")
    assert specs["year"].type_name == "int" and specs["year"].default == 2025


def test_parse_cell_handles_untyped_lists_and_equals_in_strings():
    specs = _parse_cell('a = [1, 2]  # numbers\nb: str = "x=y"\nc = 1.5\n')
    assert specs["a"].type_name == "list" and specs["a"].help == "numbers"
    assert specs["b"].default == "x=y"
    assert specs["c"].type_name == "float"


def test_cli_values_are_converted_to_declared_types():
    assert parse_cli_value(ParameterSpec("year", "int", 2025, ""), "2024") == 2024
    assert parse_cli_value(ParameterSpec("f", "bool", True, ""), "no") is False
    assert parse_cli_value(ParameterSpec("x", "list[str]", [], ""), "H01, H02") == ["H01", "H02"]
    with pytest.raises(ParameterError, match="must be of type int"):
        parse_cli_value(ParameterSpec("year", "int", 2025, ""), "twenty")


def test_unknown_parameter_names_the_valid_ones():
    with pytest.raises(ParameterError, match="Valid parameters: lang, indicator"):
        validate_parameters("getting_started", {"langauge": "en"})


def test_unknown_indicator_code_names_the_valid_ones():
    with pytest.raises(ParameterError, match="unknown value.*H99.*Valid choices: H01"):
        validate_parameters("getting_started", {"indicator": "H99"})


def test_unknown_region_and_language():
    with pytest.raises(ParameterError, match="210102"):
        validate_parameters("getting_started", {"focus_region": "110101"})
    with pytest.raises(ParameterError, match="zh, en"):
        validate_parameters("getting_started", {"lang": "de"})


def test_wrong_type_from_yaml_is_refused():
    with pytest.raises(ParameterError, match="type int"):
        validate_parameters("getting_started", {"year": "2025"})
    with pytest.raises(ParameterError, match="type int"):
        validate_parameters("getting_started", {"year": True})


def test_valid_values_pass_typed():
    typed = validate_parameters("getting_started", {"year": "2024", "lang": "en"}, from_cli=True)
    assert typed == {"year": 2024, "lang": "en"}


def test_unknown_notebook_lists_notebooks():
    with pytest.raises(ParameterError, match="getting_started"):
        resolve_notebook("no_such_notebook")

"""The two YAML readers: libyaml's parser for files without anchors, the alias-counting one for
the others. They read the same document the same way, and both bound the nesting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.config import settings as config
from monitor.config.settings import parse_settings
from monitor.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "slawatch.yaml"


def test_both_readers_read_the_example_alike() -> None:
    """Exact decimals, integers and every other value: the same document either way."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "&" not in text  # the fast reader's case
    slow = yaml.load(text, Loader=config._DecimalLoader)  # noqa: S506 - a SafeLoader subclass
    assert config._load(text) == slow
    assert config._CLoader is not None, "PyYAML without libyaml: the fast reader is not tested"


@pytest.mark.parametrize("anchor", ["", "a: &x 1\nb: *x\n"])
def test_nesting_past_64_levels_is_refused_by_either_reader(anchor: str) -> None:
    """70 levels: under libyaml's own bound, over ours; one line naming where."""
    text = anchor + "deep: " + "[" * 70 + "]" * 70 + "\n"
    with pytest.raises(ConfigError) as refused:
        parse_settings(text, "deep.yaml")
    assert str(refused.value).startswith("deep.yaml: line ")
    assert str(refused.value).endswith("mappings and lists nested deeper than 64 levels")


def test_a_value_its_constructor_cannot_build_is_one_line_in_the_fast_reader() -> None:
    """A date that does not exist, read by libyaml's parser: the line and column, no traceback."""
    with pytest.raises(ConfigError) as refused:
        parse_settings("when: 2026-13-45\n", "date.yaml")
    assert str(refused.value) == (
        "date.yaml: line 1 column 7: not valid YAML: '2026-13-45' is not a valid timestamp"
    )

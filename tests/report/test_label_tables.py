"""Every bilingual table has the one shape {key: {"ja": ..., "en": ...}} with both languages."""

import pytest

from sim.app.console import HEADERS
from sim.app.run_command import SUMMARY_HEADERS
from sim.report import labels


@pytest.mark.parametrize("table", [labels.LABELS, labels.READ, HEADERS, SUMMARY_HEADERS])
def test_one_label_table_shape(table: dict) -> None:
    for key, entry in table.items():
        assert set(entry) == {"ja", "en"}, key
        assert all(isinstance(v, str) and v for v in entry.values()), key


def test_lookups() -> None:
    assert labels.label("findings", "en") == "Key findings"
    assert labels.label("no.such.key", "ja") == "no.such.key"
    assert labels.read("prevalence", "en").startswith("The five answers")
    assert labels.read("arms", "ja", kind="compare") == labels.READ["arms.compare"]["ja"]
    with pytest.raises(ValueError):
        labels.label("findings", "fr")

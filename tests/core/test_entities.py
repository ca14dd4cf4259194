from pathlib import Path

import pandas as pd
import pytest

from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES, PARCELS, check_frame, contracts_markdown

DOC = Path(__file__).parents[2] / "docs" / "data-model.md"


def test_data_model_doc_is_generated_from_the_contracts() -> None:
    assert DOC.read_text(encoding="utf-8") == contracts_markdown()


def test_every_entity_key_is_a_required_field() -> None:
    for e in ENTITIES.values():
        for k in e.key:
            assert e.field(k).required, (e.table, k)


def test_check_frame_names_the_missing_column() -> None:
    with pytest.raises(ValidationError, match="area_m2"):
        check_frame(PARCELS, pd.DataFrame({"parcel_id": ["a"]}), source="parcels.csv")


def test_check_frame_names_row_and_field_of_a_bad_choice() -> None:
    f = pd.DataFrame({"parcel_id": ["a", "b"], "area_m2": [1.0, 2.0],
                      "right_type": ["grant", "gift"], "geometry": [None, None]})
    with pytest.raises(ValidationError, match=r"row 1, field right_type"):
        check_frame(PARCELS, f, source="parcels.csv")


def test_check_frame_rejects_a_bad_credit_code_with_row_and_field() -> None:
    from indspace.core.model.entities import ENTERPRISES

    f = pd.DataFrame({"credit_code": ["91310110666007217T", "91310110666007217Y"],
                      "name": ["甲", "乙"]})
    with pytest.raises(ValidationError) as err:
        check_frame(ENTERPRISES, f, source="enterprises.csv")
    assert "row 1, field credit_code" in str(err.value)
    assert "expected T" in str(err.value)

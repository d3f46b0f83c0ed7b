import pytest

from monographs.terms import normalise


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ("Pancreatitis (inflammation of the pancreas)", "pancreatitis"),
        ("Nosebleeds", "nosebleed"),
        ("Headaches", "headache"),
        ("Allergic reactions (rash, hives)", "allergic reaction"),
        ("Rashes", "rash"),
        ("Dizziness", "dizziness"),
        ("Allergies", "allergy"),
        ("Dry mouth", "dry mouth"),
        ("Diarrhea.", "diarrhea"),
        ("the shakes", "shake"),
    ],
)
def test_side_effect_names_normalise_to_one_term(name, term):
    assert normalise(name) == term

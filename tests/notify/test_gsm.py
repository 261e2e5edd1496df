import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.notify.gsm import BASIC, EXTENSION, gsm7_length, is_gsm7, to_gsm7, truncate_gsm7


def test_tables_are_the_gsm_03_38_default_alphabet():
    assert len(BASIC) == 127  # 128 code points minus the escape to the extension table
    assert set("ÄÖÅäöåÜüÑñÉéßÆæØø£¥§¿¡") <= BASIC
    assert set("\f^{}\\[~]|€") == EXTENSION


def test_finnish_and_swedish_text_is_gsm7():
    assert is_gsm7("Hyvää päivää! Välkommen på Åland, Ölands Äppelbod.")


def test_characters_outside_gsm7_are_detected():
    assert not is_gsm7("Šárka")
    assert not is_gsm7("“quoted”")
    assert not is_gsm7("emoji 🙂")
    assert not is_gsm7("ç")  # only the capital Ç is in the alphabet


def test_extension_characters_count_twice():
    assert gsm7_length("abc") == 3
    assert gsm7_length("69,00 €") == 8
    assert gsm7_length("{}[]~\\^|") == 16


def test_length_of_non_gsm_text_is_refused():
    with pytest.raises(ValueError):
        gsm7_length("Šárka")


def test_common_look_alikes_are_replaced():
    assert to_gsm7("“Šárka” – Žižek’s … Tõnu") == '"Sarka" - Zizek\'s ... Tonu'
    assert to_gsm7("Ça va, ça\u00a0va") == "Ça va, Ça va"
    assert to_gsm7("Hämäläinen, Åström, Ñúñez") == "Hämäläinen, Åström, Ñuñez"


def test_unmappable_characters_become_question_marks():
    assert to_gsm7("ok 🙂 中") == "ok ? ?"


@given(st.text(max_size=200))
def test_to_gsm7_always_gives_gsm7_and_is_idempotent(text):
    out = to_gsm7(text)
    assert is_gsm7(out)
    assert to_gsm7(out) == out


@given(st.text(alphabet=sorted(BASIC | EXTENSION), max_size=200), st.integers(0, 200))
def test_truncate_respects_units_and_is_a_prefix(text, units):
    cut = truncate_gsm7(text, units)
    assert text.startswith(cut)
    assert gsm7_length(cut) <= units
    if cut != text:  # the next character would not have fitted
        assert gsm7_length(text[: len(cut) + 1]) > units

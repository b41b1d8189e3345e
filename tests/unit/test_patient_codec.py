"""The blind index: what a patient is indexed by, and what a query looks for."""

from __future__ import annotations

from app.domain.patients.codec import (
    PatientIdentity,
    compact_identifier,
    identity_terms,
    name_words,
    query_terms,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def finds(identity: PatientIdentity, query: str, key: bytes = KEY) -> bool:
    """Whether a search for `query` matches, as the database decides it."""
    terms = identity_terms(KEY, identity)
    names, identifier = query_terms(key, query)
    return (bool(names) and set(names) <= terms) or (identifier is not None and identifier in terms)


def test_name_words_fold_case_and_accents() -> None:
    assert name_words("Zoë ÅSE-Lindqvist") == ["zoe", "ase", "lindqvist"]


def test_name_words_split_at_punctuation() -> None:
    assert name_words("O'Brien  Mary-Jane") == ["o", "brien", "mary", "jane"]


def test_identifiers_compact_to_letters_and_digits() -> None:
    assert compact_identifier(" 943-476 5919 ") == "9434765919"
    assert compact_identifier("ab/12.c") == "ab12c"


def test_a_name_is_found_by_its_prefixes_from_two_letters() -> None:
    ada = PatientIdentity(given_name="Ada", family_name="Lovelace")
    assert finds(ada, "lo")
    assert finds(ada, "LOVEL")
    assert finds(ada, "lovelace")
    assert not finds(ada, "ovel")  # a prefix, not any substring
    assert not finds(ada, "lovelaces")


def test_every_word_of_a_query_must_match() -> None:
    ada = PatientIdentity(given_name="Ada", family_name="Lovelace")
    assert finds(ada, "ada lov")
    assert finds(ada, "lov ada")
    assert not finds(ada, "ada hopper")


def test_case_and_accents_do_not_matter_either_way() -> None:
    zoe = PatientIdentity(given_name="Zoë", family_name="Ødegård")
    assert finds(zoe, "zoe")
    assert finds(zoe, "ZOË")
    assert finds(zoe, "ødegard")
    plain = PatientIdentity(given_name="Zoe", family_name="Smith")
    assert finds(plain, "Zoë")


def test_names_with_punctuation_are_found_with_or_without_it() -> None:
    mary = PatientIdentity(given_name="Mary", family_name="O'Brien-Smith")
    assert finds(mary, "o'brien")
    assert finds(mary, "obrien")
    assert finds(mary, "brien")
    assert finds(mary, "smith")


def test_the_preferred_name_is_searchable() -> None:
    maggie = PatientIdentity(given_name="Margaret", family_name="Hamilton", preferred_name="Maggie")
    assert finds(maggie, "maggie ham")


def test_identifiers_match_whole_however_they_are_written() -> None:
    ada = PatientIdentity(
        given_name="Ada",
        family_name="Lovelace",
        identifiers=[{"kind": "nhs", "value": "943 476 5919"}],
    )
    assert finds(ada, "9434765919")
    assert finds(ada, "943-476-5919")
    assert not finds(ada, "943476")


def test_one_letter_query_words_are_ignored() -> None:
    names, _ = query_terms(KEY, "a lovelace")
    assert names == query_terms(KEY, "lovelace")[0]


def test_repeated_query_words_count_once() -> None:
    names, _ = query_terms(KEY, "ada ada")
    assert len(names) == 1


def test_terms_are_keyed_so_another_key_finds_nothing() -> None:
    ada = PatientIdentity(given_name="Ada", family_name="Lovelace")
    assert not finds(ada, "lovelace", key=OTHER_KEY)


def test_terms_never_contain_the_clear_text() -> None:
    ada = PatientIdentity(given_name="Ada", family_name="Lovelace")
    for term in identity_terms(KEY, ada):
        assert b"lovelace" not in term
        assert len(term) == 32

"""Tone normalisation never alters a syllable except the documented oa/oe/uy placement.

Exhaustive over the Vietnamese syllable inventory: every onset × rhyme × tone, with the
tone put on every vowel of the rhyme (a superset of the correct spellings), in lower,
title and upper case.
"""
import unicodedata

import pytest

from indexer.text.normalize import normalize_text

ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "p", "ph", "q", "qu", "r", "s", "t", "th", "tr", "v", "x"]
RHYMES = """a ai ao au ay ac ach am an ang anh ap at ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
e eo ec em en eng ep et ê êch êm ên ênh êp êt êu i ia ich im in inh ip it iu iêc iêm iên iêng
iêp iêt iêu o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen
oeo oet oc oi om on ong ooc oong op ot ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt u ua uân uâng
uât uây uc uê uêch uênh ui um un ung uơ uôc uôi uôm uôn uông uôt up ut uy uya uych uyên uyêt
uynh uyt uyu ư ưa ưc ưi ưm ưn ưng ươc ươi ươm ươn ương ươp ươt ươu ưt ưu y yêm yên yêt yêu""".split()
TONES = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
VOWELS = set("aăâeêioôơuưy")


def _with_tone(letters: str, index: int, tone: str) -> str:
    return unicodedata.normalize("NFC", letters[:index + 1] + tone + letters[index + 1:])


def _inventory():
    """(syllable, expected) for every onset × rhyme × tone × tone position."""
    for onset in ONSETS:
        for rhyme in RHYMES:
            base = onset + rhyme
            yield base, base
            vowel_positions = [len(onset) + i for i, ch in enumerate(rhyme) if ch in VOWELS]
            for tone in TONES:
                for pos in vowel_positions:
                    syllable = _with_tone(base, pos, tone)
                    documented = (rhyme in ("oa", "oe", "uy") and not onset.startswith("q")
                                  and pos == len(base) - 1)
                    expected = _with_tone(base, len(base) - 2, tone) if documented else syllable
                    yield syllable, expected


INVENTORY = list(_inventory())


def test_inventory_is_complete():
    assert len(INVENTORY) > 40_000
    changed = [(s, e) for s, e in INVENTORY if s != e]
    assert ("hoá", "hóa") in changed and ("thuỷ", "thủy") in changed and ("khoẻ", "khỏe") in changed
    assert len(changed) == 27 * 3 * 5  # 27 onsets incl. none (not q/qu) × oa/oe/uy × 5 tones


@pytest.mark.parametrize("case", [str.lower, str.title, str.upper])
def test_only_documented_syllables_change(case):
    wrong = [(s, normalize_text(case(s)), case(e)) for s, e in INVENTORY
             if normalize_text(case(s)) != case(e)]
    assert wrong == []


def test_every_syllable_is_a_fixed_point_after_normalisation():
    for syllable, expected in INVENTORY:
        assert normalize_text(expected) == expected


@pytest.mark.parametrize("word", ["quý", "hoặc", "ngoặc", "hoàng", "khoảng", "thuyết", "quyển",
                                  "HOẶC", "Hoặc", "quỳnh", "khuyến", "thuở", "của", "ngoáy"])
def test_common_words_unchanged(word):
    assert normalize_text(word) == word


def test_decomposed_input_is_composed_without_moving_marks():
    decomposed = unicodedata.normalize("NFD", "hoặc hoá quý")
    assert normalize_text(decomposed) == "hoặc hóa quý"


def test_text_around_words_untouched():
    text = "Điều 5, khoản 2 hoặc điểm a) — hoá đơn; (thuỷ lợi) 12/2025/NQ-HĐND"
    assert normalize_text(text) == "Điều 5, khoản 2 hoặc điểm a) — hóa đơn; (thủy lợi) 12/2025/NQ-HĐND"

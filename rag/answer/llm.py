"""Optional LLM answers from any OpenAI-compatible chat endpoint, verified against the passages.

The model sees the retrieved passages numbered [1]..[n] and must cite them. Its
reply is not trusted: a sentence survives only if it cites passages that exist
and every number in it occurs in a passage it cites. When the endpoint fails
(down, HTTP error, timeout, malformed reply) or nothing survives, the extractive
answer is returned with a notice saying so.

Configuration comes from the environment (``RAG_LLM_BASE_URL``, ``RAG_LLM_MODEL``,
``RAG_LLM_API_KEY``, ``RAG_LLM_TIMEOUT``, ``RAG_LLM_MAX_TOKENS``) or the CLI flags
added by :func:`add_llm_flags`, which set the same variables.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.answer.types import Answer, Citation
from rag.config import ENV, LLMConfig
from rag.errors import LLMError, RagError, require
from rag.text.tokenize import is_chinese, normalize, tokenize

if TYPE_CHECKING:
    from rag.search.hits import Hit

log = logging.getLogger(__name__)

REFUSAL_ZH = "资料中没有找到相关内容。"
REFUSAL_EN = "The articles do not say."
_REFUSAL_MARKS = ("资料中没有找到", "the articles do not say", "the articles don't say")

# --------------------------------------------------------------------------- configuration


def llm_configured() -> bool:
    """True when the environment names a model and an endpoint (for the UI and CLI)."""
    try:
        return LLMConfig.from_env().configured
    except RagError:
        return False


class _EnvFlag(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        os.environ[self.const] = str(values)
        setattr(namespace, self.dest, values)


def add_llm_flags(parser: argparse.ArgumentParser) -> None:
    """``--llm-base-url/--llm-model/--llm-api-key/--llm-timeout``: same as the RAG_LLM_* variables."""
    group = parser.add_argument_group("LLM answer mode (--answer-mode llm)")
    for flag, key, metavar in (("--llm-base-url", "base_url", "URL"), ("--llm-model", "model", "NAME"),
                               ("--llm-api-key", "api_key", "KEY"), ("--llm-timeout", "timeout_s", "SECONDS")):
        group.add_argument(flag, action=_EnvFlag, const=ENV[key], metavar=metavar, help=f"or ${ENV[key]}")


@lru_cache(maxsize=4)
def chat_model(config: LLMConfig):
    """A langchain ``ChatOpenAI`` for the endpoint (cached so HTTP connections are reused)."""
    module = require("langchain_openai", "langchain-openai", extra="llm", purpose="the LLM answer mode")
    # ChatOpenAI sends max_tokens as ``max_completion_tokens``, which Ollama and llama.cpp
    # ignore; the classic field in the body works on every OpenAI-compatible server.
    extra = {"max_tokens": config.max_tokens} if config.max_tokens else None
    return module.ChatOpenAI(model=config.model, base_url=config.base_url, api_key=config.api_key or "not-needed",
                             timeout=config.timeout_s, max_retries=0, temperature=config.temperature,
                             extra_body=extra, stream_usage=False)


# --------------------------------------------------------------------------- prompt

SYSTEM_PROMPT = """你是陆港问答的助手，只根据用户给出的编号资料回答问题。
You answer questions using ONLY the numbered passages the user provides.

规则 / Rules:
1. 只使用资料中的事实，不要使用自己的知识，不要推测。Use only facts stated in the passages; no outside knowledge, no guessing.
2. 每一句话后面都要用 [n] 标注所依据的资料编号，例如 [1] 或 [1][3]。Put [n] after every sentence, naming the passage(s) it comes from.
3. 用提问的语言回答（中文问题用中文，英文问题用英文）。Answer in the language of the question.
4. 数字、百分比、日期、名称必须与资料完全一致，可用 **粗体** 标出关键数字。Copy figures, percentages, dates and names exactly; you may bold key figures.
5. 回答简洁，一般不超过三句话。Be brief: usually at most three sentences.
6. 如果资料不能回答问题，只回答：“资料中没有找到相关内容。”（英文问题回答：“The articles do not say.”）
   If the passages do not contain the answer, reply only with that exact refusal phrase."""


def build_messages(query: str, hits: list[Hit]) -> list[tuple[str, str]]:
    blocks = []
    for n, hit in enumerate(hits, start=1):
        meta = " | ".join(x for x in (hit.doc.get("district", ""), hit.doc.get("date", "")) if x)
        header = f"[{n}] 《{hit.doc.get('title', '')}》" + (f" | {meta}" if meta else "")
        blocks.append(f"{header}\n{' '.join(hit.chunk.clean.split())}")
    refusal = REFUSAL_ZH if is_chinese(query) else REFUSAL_EN
    user = ("资料 / Passages:\n\n" + "\n\n".join(blocks) + f"\n\n问题 / Question: {query}\n"
            f"请只依据以上资料回答，每句后标注 [n]；资料不足时只回答“{refusal}”")
    return [("system", SYSTEM_PROMPT), ("human", user)]


# --------------------------------------------------------------------------- calling the model


def llm_answer(question: str, query: str, hits: list[Hit], fallback: Answer,
               config: LLMConfig | None = None) -> Answer:
    """Ask the model once (no streaming) and return a verified :class:`Answer`, or ``fallback``."""
    config, early = _prepare(config, hits, fallback)
    if early is not None:
        return early
    try:
        reply = _text(chat_model(config).invoke(build_messages(query, hits)).content)
        if not reply.strip():
            raise LLMError("empty reply from the model")
    except Exception as exc:  # any endpoint failure means: show the extractive answer
        return _fallback(fallback, exc, config)
    return verify_reply(reply, question, query, hits, fallback)


def llm_stream(question: str, query: str, hits: list[Hit], fallback: Answer,
               config: LLMConfig | None = None) -> Iterator[str | Answer]:
    """Yield the model's text pieces as they arrive, then the verified :class:`Answer` (always last).

    The streamed text is unverified; the final Answer replaces it (sentences may be
    removed and citations renumbered, or the extractive answer shown instead).
    """
    config, early = _prepare(config, hits, fallback)
    if early is not None:
        yield early
        return
    parts: list[str] = []
    try:
        for chunk in chat_model(config).stream(build_messages(query, hits)):
            piece = _text(chunk.content)
            if piece:
                parts.append(piece)
                yield piece
        if not "".join(parts).strip():
            raise LLMError("empty reply from the model")
    except Exception as exc:
        yield _fallback(fallback, exc, config)
        return
    yield verify_reply("".join(parts), question, query, hits, fallback)


def _prepare(config: LLMConfig | None, hits: list[Hit], fallback: Answer) -> tuple[LLMConfig, Answer | None]:
    try:
        config = config or LLMConfig.from_env()
    except RagError as exc:
        return LLMConfig(), _with_notice(fallback, f"LLM mode is misconfigured ({exc.message})")
    if not config.configured:
        return config, _with_notice(fallback, f"LLM mode is not configured (set {ENV['base_url']} and "
                                              f"{ENV['model']})")
    if not hits:
        return config, fallback  # nothing to ground an answer on: the extractive refusal says so
    return config, None


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)
    raise LLMError(f"unexpected reply content {type(content).__name__}")


def _fallback(fallback: Answer, exc: Exception, config: LLMConfig) -> Answer:
    reason = failure_reason(exc, config)
    log.warning("LLM answer failed (%s); using the extractive answer", reason, exc_info=log.isEnabledFor(logging.DEBUG))
    return _with_notice(fallback, f"LLM unavailable ({reason})")


def _with_notice(fallback: Answer, reason: str) -> Answer:
    return dataclasses.replace(fallback, mode="extractive",
                               notice=f"{reason}; showing the extractive answer.")


def failure_reason(exc: Exception, config: LLMConfig) -> str:
    """A short human reason for an endpoint failure: timeout, HTTP status, connection, malformed reply."""
    if isinstance(exc, RagError):
        return str(exc).replace("\n", " ")
    import openai  # installed with langchain-openai, which is importable if we got this far

    if isinstance(exc, (openai.APITimeoutError, TimeoutError)):
        return f"timeout after {config.timeout_s:g}s"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from {config.where()}"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect to {config.where()}"
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError, IndexError)):
        return "malformed reply from the endpoint"
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- verification

_CITE = re.compile(r"[\[【［]\s*(\d+(?:\s*[,，、;]\s*\d+)*)\s*[\]】］]")  # \d also matches full-width digits
_SENT_END = re.compile(rf"(?:[。！？!?]+|\.(?=\s|$|[\[【［]))[”’」』\"'）)]*(?:\s*{_CITE.pattern})*|\n+")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)](?=\s)|\d{1,2}、)\s*")
_NUM = re.compile(r"\d+(?:\.\d+)?")


def split_reply(text: str) -> list[str]:
    """Sentences with their trailing citations and whitespace; joined they give ``text`` back."""
    out, pos = [], 0
    for m in _SENT_END.finditer(text):
        if m.end() > pos:
            out.append(text[pos : m.end()])
            pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def numbers(text: str) -> set[str]:
    """Numbers in ``text`` (NFKC, thousands separators dropped, trailing decimal zeros ignored)."""
    return {_canonical(num) for num in _NUM.findall(_plain(text))}


def _plain(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", normalize(text))


def _canonical(num: str) -> str:
    whole, _, frac = num.partition(".")
    whole, frac = whole.lstrip("0") or "0", frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def passage_numbers(text: str) -> set[str]:
    """Numbers a claim may use: those in ``text`` plus 万/亿 amounts rescaled (18亿 = 1.8 billion = 1800 million)."""
    out = numbers(text)
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(万|亿)", _plain(text)):
        value = Decimal(num) * (10_000 if unit == "万" else 100_000_000)
        out.update(_canonical(format(value / scale, "f")) for scale in (1, 1_000, 1_000_000, 1_000_000_000))
    return out


def _cited(sentence: str) -> list[int]:
    found: list[int] = []
    for m in _CITE.finditer(normalize(sentence)):
        found.extend(int(x) for x in re.findall(r"\d+", m.group(1)))
    return found


def _body(sentence: str) -> str:
    return _LIST_MARK.sub("", _CITE.sub("", normalize(sentence)))


def _is_refusal(text: str) -> bool:
    text = normalize(text)
    return any(mark in text for mark in _REFUSAL_MARKS)


def _passage_text(hit: Hit) -> str:
    return " ".join((hit.doc.get("title", ""), hit.doc.get("date", ""), hit.chunk.clean))


def verify_reply(reply: str, question: str, query: str, hits: list[Hit], fallback: Answer) -> Answer:
    """Keep the sentences the passages support, renumber their citations and cite exact spans."""
    allowed = [passage_numbers(_passage_text(h)) for h in hits]
    kept: list[tuple[str, list[int]]] = []  # (sentence, valid passage numbers it cites)
    dropped = refusals = 0
    for sent in split_reply(reply):
        if not sent.strip():
            kept.append((sent, []))
            continue
        cites = _cited(sent)
        valid = [n for n in dict.fromkeys(cites) if 1 <= n <= len(hits)]
        body = _body(sent)
        if _is_refusal(sent):
            refusals += 1
            kept.append((sent, []))
        elif not cites:
            # lead-ins ("根据资料：") and headings carry no claim; any other uncited sentence is unsupported
            if not _NUM.search(body) and (body.strip().endswith((":", "：")) or body.lstrip().startswith("#")):
                kept.append((sent, []))
            else:
                dropped += 1
        elif not valid or not numbers(body) <= set().union(*(allowed[n - 1] for n in valid)):
            dropped += 1
        else:
            kept.append((sent, valid))
    supported = [s for s in kept if s[1]]
    if not supported:
        if refusals:
            return _refusal(question, query, hits, dropped)
        return _with_notice(fallback, f"the LLM answer was not supported by the passages "
                                      f"({dropped} sentence{'s' * (dropped != 1)} removed)")
    order = list(dict.fromkeys(n for _, valid in supported for n in valid))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    text = "".join(_renumbered(sent, renumber) for sent, _ in kept)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    citations = [_cite(renumber[old], hits[old - 1], [_body(s) for s, v in supported if old in v])
                 for old in order]
    notice = ""
    if dropped:
        notice = (f"Removed {dropped} sentence{'s' * (dropped != 1)} of the LLM answer that the cited "
                  f"passages do not support.")
    return Answer(question, text, True, "llm", citations, [], query, notice)


def _renumbered(sentence: str, renumber: dict[int, int]) -> str:
    def repl(m: re.Match) -> str:
        olds = dict.fromkeys(int(x) for x in re.findall(r"\d+", normalize(m.group(1))))
        return "".join(f"[{renumber[o]}]" for o in olds if o in renumber)

    return _CITE.sub(repl, sentence)


def _cite(n: int, hit: Hit, claims: list[str]) -> Citation:
    """Cite the sentence(s) of the passage that best support ``claims``, or the whole chunk."""
    chunk = hit.chunk
    texts = chunk.sentence_texts()
    best: list[int] = []
    for claim in claims:
        scores = [_support(claim, t) for t in texts]
        if scores and max(scores) > 0:
            best.append(scores.index(max(scores)))
    if best and max(best) - min(best) <= 2:
        first, last = chunk.sentences[min(best)], chunk.sentences[max(best)]
        start, end = first.start, last.end
    elif best:
        top = max(set(best), key=best.count)
        start, end = chunk.sentences[top].start, chunk.sentences[top].end
    else:
        start, end = chunk.start, chunk.end
    return Citation(n=n, doc_id=chunk.doc_id, title=hit.doc.get("title", ""), chunk_id=chunk.chunk_id,
                    text=chunk.text[start - chunk.start : end - chunk.start], start=start, end=end,
                    district=hit.doc.get("district", ""), date=hit.doc.get("date", ""),
                    score=round(float(hit.score), 4), passage=chunk.text,
                    passage_start=chunk.start, passage_end=chunk.end)


def _support(claim: str, sentence: str) -> float:
    """Shared numbers count most, then shared words (longer words weigh more)."""
    shared_numbers = numbers(claim) & numbers(sentence)
    words = set(tokenize(claim)) & set(tokenize(sentence))
    return 3.0 * len(shared_numbers) + sum(min(len(w), 4) / 4 for w in words if not _NUM.fullmatch(w))


def _refusal(question: str, query: str, hits: list[Hit], dropped: int) -> Answer:
    related = [Citation(n=n, doc_id=h.chunk.doc_id, title=h.doc.get("title", ""), chunk_id=h.chunk.chunk_id,
                        text=h.chunk.text, start=h.chunk.start, end=h.chunk.end,
                        district=h.doc.get("district", ""), date=h.doc.get("date", ""),
                        score=round(float(h.score), 4), passage=h.chunk.text,
                        passage_start=h.chunk.start, passage_end=h.chunk.end)
               for n, h in enumerate(hits[:3], start=1)]
    text = REFUSAL_ZH if is_chinese(query) else REFUSAL_EN
    notice = f"Removed {dropped} unsupported sentence{'s' * (dropped != 1)} of the LLM answer." if dropped else ""
    return Answer(question, text, False, "llm", [], related, query, notice)

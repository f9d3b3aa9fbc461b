"""The web chat (Gradio Blocks): chat with citations, the sources panel, the article viewer, /ask.

One :class:`~rag.app.kb.KnowledgeBase` serves every session. Each request takes
``kb.engine`` once and uses it to the end, so an upload that swaps in a new
index never breaks an answer that is being computed. Per-session state is a
list of turns (question, answer JSON, the cited articles' text), so clicking an
old citation still shows the article exactly as it was quoted.
"""
import logging
import os
from typing import Any

from rag.app.api import INTERNAL_ERROR, AnswerService, ask_json, ask_route
from rag.app.kb import KnowledgeBase
from rag.app.web_render import (
    SOURCES_EMPTY,
    VIEWER_EMPTY,
    answer_markdown,
    article_html,
    error_markdown,
    md_text,
    parse_ref,
    sources_html,
)
from rag.config import ServeConfig
from rag.errors import MissingDependencyError, RagError

log = logging.getLogger(__name__)

KEEP_SOURCES = 20  # turns whose article texts stay in session memory
__all__ = ["INTERNAL_ERROR", "ask_json", "answer_turn", "build_ui", "launch"]  # ask_json: re-exported from api


# Clicks on citation markers (links in the chat) and source cards (in the sources panel) are
# caught once at document level and sent to the server as a click event of the sources panel.
SOURCES_JS = """
window.__lugangCite = (ref) => trigger('click', {cite: ref});
if (!window.__lugangCiteListener) {
  window.__lugangCiteListener = true;
  const pick = (ev) => {
    const el = ev.target && ev.target.closest ? ev.target.closest('a[href^="#cite-"], [data-cite]') : null;
    if (!el) return;
    if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') return;
    ev.preventDefault();
    ev.stopPropagation();
    const ref = el.getAttribute('data-cite') || el.getAttribute('href').slice('#cite-'.length);
    window.__lugangCite(ref);
  };
  document.addEventListener('click', pick, true);
  document.addEventListener('keydown', pick, true);
}
"""
VIEWER_JS = """
const show = () => {
  const mark = element.querySelector('mark.lg-hl');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'instant'});
};
watch('value', show);
"""
CSS = """
.lg-sources, .lg-article { font-size: 14px; line-height: 1.6; }
.lg-empty { color: var(--body-text-color-subdued); padding: 8px; }
.lg-head { font-weight: 600; margin-bottom: 6px; }
.lg-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
           margin-bottom: 8px; cursor: pointer; background: var(--block-background-fill); }
.lg-card:hover, .lg-card:focus { border-color: var(--color-accent); outline: none; }
.lg-card-head { font-weight: 600; }
.lg-n { color: var(--color-accent); }
.lg-meta { color: var(--body-text-color-subdued); font-size: 12px; }
.lg-passage { margin-top: 4px; white-space: pre-wrap; }
mark.lg-hl { background: #ffe066; color: #111; padding: 0 1px; border-radius: 2px; }
.lg-article-head { margin-bottom: 6px; }
.lg-article-body { white-space: pre-wrap; max-height: 460px; overflow-y: auto; padding: 8px;
                   border: 1px solid var(--border-color-primary); border-radius: 8px; }
#chat a[href^="#cite-"] { color: var(--color-accent); font-weight: 600; text-decoration: none; }
#chat strong { font-weight: 700; color: var(--color-accent); font-size: 1.1em; }  /* the answer phrase only */
.lg-note { color: var(--body-text-color-subdued); font-size: 12px; margin-bottom: 4px; }
"""


def _gradio():
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio as gr
    except ImportError as exc:
        raise MissingDependencyError("gradio", purpose="the web chat") from exc
    return gr


def llm_configured() -> bool:
    return bool(os.environ.get("RAG_LLM_BASE_URL"))


# --------------------------------------------------------------------------- chat logic (no gradio)


def history_for(turns: list[dict]) -> list[dict]:
    """Earlier answered turns in the messages format the answerer reads for follow-ups."""
    out: list[dict] = []
    for t in turns:
        if t.get("answer"):
            out.append({"role": "user", "content": t["question"]})
            out.append({"role": "assistant", "content": t["answer"]["answer"]})
    return out


def chat_messages(turns: list[dict]) -> list[dict]:
    """The Chatbot value: every message escaped, answers with clickable [n] markers."""
    messages: list[dict] = []
    for i, t in enumerate(turns):
        messages.append({"role": "user", "content": md_text(t["question"])})
        if t.get("answer"):
            content = answer_markdown(t["answer"], i)
        elif t.get("error"):
            content = error_markdown(t["error"])
        else:
            content = md_text(t.get("partial") or "…")
        messages.append({"role": "assistant", "content": content})
    return messages


def answer_turn(kb: KnowledgeBase, question: str, turns: list[dict], k: int | None = None,
                retrieval_mode: str | None = None, answer_mode: str = "extractive",
                service: AnswerService | None = None):
    """Append a turn for ``question`` and fill it in; yields after each streamed piece.

    With ``service`` an extractive answer (which arrives whole) is computed in its fair queue,
    beside the API's questions. Errors end up in the turn as a short message (RagError: its own
    text; anything else: a generic line, with the traceback in the server log).
    """
    from rag.answer.types import Answer

    turn: dict[str, Any] = {"question": question, "answer": None, "error": None, "partial": "", "sources": {}}
    history = history_for(turns)
    turns.append(turn)
    for old in turns[:-KEEP_SOURCES]:
        old["sources"] = {}
    yield turn
    try:
        engine = kb.engine  # this request's index, even if an upload swaps in a new one meanwhile
        final = None
        options = dict(k=int(k) if k else None, retrieval_mode=retrieval_mode or None)
        if service is not None and (answer_mode or "extractive") == "extractive":
            final = service.run(lambda: engine.answerer.ask(question, history=history, **options), question)
        else:
            for piece in engine.answerer.stream(question, history=history, mode=answer_mode or "extractive",
                                                **options):
                if isinstance(piece, Answer):
                    final = piece
                    break
                turn["partial"] += str(piece)
                yield turn
        if final is None:
            raise RuntimeError("the answerer finished without an answer")
        data = final.to_json()
        wanted = {c["doc_id"] for c in data["citations"] + data["related"]}
        turn["sources"] = {d: engine.index.doc_text(d) for d in wanted if d in engine.index.docs}
        turn["answer"] = data
    except RagError as exc:
        turn["error"] = str(exc)
    except Exception:
        log.exception("answering %r failed", question[:200])
        turn["error"] = INTERNAL_ERROR
    yield turn


def article_for(turns: list[dict], ref: object) -> str:
    """The article viewer for a click on citation ``ref`` ("turn-n-kind")."""
    parsed = parse_ref(ref)
    if parsed is None:
        return VIEWER_EMPTY
    t, n, kind = parsed
    if t >= len(turns) or not turns[t].get("answer"):
        return VIEWER_EMPTY
    turn = turns[t]
    items = turn["answer"]["citations"] if kind == "c" else turn["answer"]["related"]
    cite = next((c for c in items if c["n"] == n), None)
    if cite is None:
        return VIEWER_EMPTY
    return article_html(cite, turn["sources"].get(cite["doc_id"]), kind)


def warm_up(kb: KnowledgeBase) -> None:
    """Answer one question in the background so the first user does not pay for lazy loading."""
    from rag.app.web_intro import corpus_intro

    try:
        kb.ask((corpus_intro(kb).examples or ["今年的主要经济数据是多少？"])[0])
    except Exception:  # only a warm-up: a real request will report the problem
        log.debug("warm-up failed", exc_info=True)


def feedback_values(turns: list[dict]) -> list[str | None]:
    """The thumbs shown under the assistant messages (``Chatbot.feedback_value``), one per turn."""
    return [{"up": "Like", "down": "Dislike"}.get(t.get("verdict")) for t in turns]


def record_verdict(kb: KnowledgeBase, turns: list[dict], message_index: object, liked: object) -> str | None:
    """Log 👍/👎 (``liked``: Gradio's LikeData.liked) on the answer at chat message ``message_index`` to the
    feedback file beside the index; the turn remembers it. Returns the verdict, or None for no answer there."""
    from rag.app.feedback import append_feedback, feedback_path, feedback_row, verdict_of

    if isinstance(message_index, (list, tuple)):
        message_index = message_index[0]
    if not isinstance(message_index, int) or message_index < 0 or message_index // 2 >= len(turns):
        return None
    turn = turns[message_index // 2]
    if not turn.get("answer"):
        return None
    verdict = verdict_of(liked)
    append_feedback(feedback_path(kb.index_dir), feedback_row(turn["answer"], verdict))
    turn["verdict"] = verdict if verdict != "none" else None
    return verdict


# --------------------------------------------------------------------------- the UI

# settings in the reader's words; the values are what the engine takes
RETRIEVAL_CHOICES = [("综合（推荐）Balanced", "hybrid"), ("语义 By meaning", "dense"), ("关键词 By keywords", "bm25")]
ANSWER_CHOICES = [("摘录原文 Quotes from the articles", "extractive"), ("大模型撰写 Written by an AI model", "llm")]
# a dismissed confirm() sends False in a hidden checkbox: the Python side then does nothing
CONFIRM_DELETE_CHAT = ("(saved, id, ok, current) => [saved, id, id ? confirm('删除这段对话？此操作无法撤销。\\n"
                       "Delete this conversation? This cannot be undone.') : false, current]")


def build_ui(kb: KnowledgeBase, concurrency: int = 8, serve: ServeConfig | None = None):
    """The Blocks app: a chat tab (with conversations kept in the browser and 👍/👎 on answers) and a
    knowledge-base tab, plus the ``/ask`` API endpoint; :func:`launch` adds ``POST /api/ask``.

    ``concurrency`` bounds the chat's Gradio events; answers themselves run in the fair queue of
    an :class:`AnswerService` (``serve``: its workers, paste lane and cache)."""
    gr = _gradio()
    from rag.app import web_history
    from rag.app.jobs import JobQueue
    from rag.app.web_intro import corpus_intro
    from rag.app.web_kb import build_kb_tab

    intro = corpus_intro(kb)
    service = AnswerService(kb, serve)
    with gr.Blocks(title=intro.title, analytics_enabled=False) as demo:
        header = gr.Markdown(intro.markdown(md_text), elem_id="intro")
        turns = gr.State([])
        conv_id = gr.State("")
        store = gr.BrowserState(web_history.EMPTY, storage_key=web_history.STORAGE_KEY,
                                secret=web_history.browser_secret(kb.index_dir))
        with gr.Tab("问答 Chat", id="chat"):
            with gr.Row():
                with gr.Column(scale=1, min_width=200):
                    new_chat = gr.Button("＋ 新对话 New chat", elem_id="clear", size="sm")
                    history = gr.Radio([], value=None, label="对话记录 Conversations", elem_id="history",
                                       interactive=True)
                    delete_chat = gr.Button("删除对话 Delete conversation", elem_id="delete-chat", size="sm",
                                            variant="stop")
                    delete_ok = gr.Checkbox(False, visible=False)
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="对话 Chat", elem_id="chat", height=480, sanitize_html=True,
                                         render_markdown=True, latex_delimiters=[], allow_tags=False,
                                         buttons=["copy"], feedback_options=("Like", "Dislike"), layout="bubble")
                    with gr.Row():
                        msg = gr.Textbox(placeholder="输入问题 / Ask in Chinese or English", show_label=False,
                                         scale=5, elem_id="question", max_length=1000, submit_btn=False)
                        send = gr.Button("发送 Send", variant="primary", scale=1, elem_id="send")
                    examples = gr.Examples([[e] for e in intro.examples] or [[""]], inputs=[msg],
                                           label="示例 Examples", elem_id="examples", visible=bool(intro.examples))
                    with gr.Accordion("设置 Settings", open=False):
                        k = gr.Slider(1, 20, value=6, step=1, label="参考段落数 Passages to read")
                        retrieval_mode = gr.Radio(RETRIEVAL_CHOICES, value="hybrid", elem_id="retrieval-mode",
                                                  label="检索方式 How to find passages")
                        answer_mode = gr.Radio(ANSWER_CHOICES, value="extractive", label="回答方式 Answer",
                                               visible=llm_configured())
                with gr.Column(scale=2):
                    sources = gr.HTML(SOURCES_EMPTY, elem_id="sources", js_on_load=SOURCES_JS,
                                      apply_default_css=False)
                    viewer = gr.HTML(VIEWER_EMPTY, elem_id="article", js_on_load=VIEWER_JS,
                                     apply_default_css=False)
        with gr.Tab("知识库 Knowledge base", id="kb"):
            build_kb_tab(gr, demo, kb, JobQueue(kb))

        def listing(saved, current=None):
            ids = {i for _, i in web_history.choices(saved)}
            return gr.update(choices=web_history.choices(saved), value=current if current in ids else None)

        def respond(message: str, state: list, k_value, rmode, amode, saved, current: str):
            state = list(state or [])
            question = (message or "").strip()
            if not question:
                yield chat_messages(state), "", gr.skip(), gr.skip(), state, gr.skip(), gr.skip(), gr.skip()
                return
            current = current or web_history.new_id()
            for turn in answer_turn(kb, question, state, k_value, rmode, amode, service):
                if turn.get("answer") or turn.get("error"):
                    panel = sources_html(turn.get("answer"), len(state) - 1, turn["sources"])
                    saved = web_history.save(saved, current, state)
                    yield (chat_messages(state), "", panel, VIEWER_EMPTY, state, saved, current,
                           listing(saved, current))
                else:
                    yield chat_messages(state), "", gr.skip(), VIEWER_EMPTY, state, gr.skip(), gr.skip(), gr.skip()

        def show(state: list, evt: gr.EventData):  # the hint must resolve at runtime: no future annotations
            data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
            return article_for(state or [], data.get("cite"))

        def reopen(saved, picked: str | None):
            state = web_history.reopen(saved, picked, _index_or_none(kb))
            if state is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            last = len(state) - 1
            panel = sources_html(state[-1].get("answer"), last, state[-1]["sources"]) if state else SOURCES_EMPTY
            return (gr.update(value=chat_messages(state), feedback_value=feedback_values(state)), panel,
                    VIEWER_EMPTY, state, picked)

        def forget(saved, picked: str | None, ok: bool, current: str):
            if not picked or not ok:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            saved = web_history.delete(saved, picked)
            if picked != current:
                return saved, listing(saved, current), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return saved, listing(saved), [], SOURCES_EMPTY, VIEWER_EMPTY, [], ""

        def on_like(state: list, saved, current: str, evt: gr.LikeData):
            try:
                verdict = record_verdict(kb, state or [], evt.index, evt.liked)
            except RagError as exc:
                gr.Warning(str(exc))
                return gr.skip(), gr.skip()
            if verdict is None or not current:
                return gr.skip(), gr.skip()
            return state, web_history.save(saved, current, state)

        private = dict(api_visibility="private")
        chat_io = dict(inputs=[msg, turns, k, retrieval_mode, answer_mode, store, conv_id],
                       outputs=[chatbot, msg, sources, viewer, turns, store, conv_id, history],
                       concurrency_limit=concurrency, concurrency_id="chat", show_progress="minimal", **private)
        msg.submit(respond, **chat_io)
        send.click(respond, **chat_io)
        reset = dict(fn=lambda: ([], "", SOURCES_EMPTY, VIEWER_EMPTY, [], "", gr.update(value=None)),
                     outputs=[chatbot, msg, sources, viewer, turns, conv_id, history], queue=False, **private)
        new_chat.click(**reset)
        chatbot.clear(**reset)  # the chat's own bin icon starts a new conversation too; the old one stays listed
        history.input(reopen, inputs=[store, history], outputs=[chatbot, sources, viewer, turns, conv_id],
                      queue=False, **private)
        delete_chat.click(forget, inputs=[store, history, delete_ok, conv_id],
                          outputs=[store, history, chatbot, sources, viewer, turns, conv_id], queue=False,
                          js=CONFIRM_DELETE_CHAT, **private)
        chatbot.like(on_like, inputs=[turns, store, conv_id], outputs=[turns, store], queue=False, **private)
        sources.click(show, inputs=[turns], outputs=[viewer], concurrency_limit=None, show_progress="hidden",
                      **private)

        def refresh(saved):  # the corpus may have changed since the page was built
            now = corpus_intro(kb)
            return (now.markdown(md_text), gr.update(samples=[[e] for e in now.examples] or [[""]],
                                                     visible=bool(now.examples)), listing(saved))

        demo.load(refresh, inputs=[store], outputs=[header, examples.dataset, history], queue=False, **private)

        async def ask(question: str) -> dict:
            """Answer a question with citations: the same JSON object as `rag ask --json`."""
            return await service.ask_async(question)

        # no Gradio limit: a queued question waits in the fair queue without holding a slot or a thread
        gr.api(ask, api_name="ask", concurrency_limit=None)
    demo.queue(default_concurrency_limit=concurrency)
    demo.rag_service = service
    return demo


def _index_or_none(kb: KnowledgeBase):
    try:
        return kb.engine.index
    except Exception:  # noqa: BLE001 - no index: reopened answers show their quoted passages only
        return None


def launch(demo, host: str = "127.0.0.1", port: int = 7860, block: bool = True, quiet: bool = False):
    """Start the server (offline: no share link, no SSR node server, no analytics)."""
    from rag.app.kb import MAX_UPLOAD_BYTES

    gr = _gradio()
    theme = gr.themes.Default(font=["Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "sans-serif"],
                              font_mono=["WenQuanYi Zen Hei Mono", "monospace"])
    service = getattr(demo, "rag_service", None)
    routes = [ask_route(service)] if service is not None else []  # before Gradio's own routes
    return demo.launch(server_name=host, server_port=port, share=False, inbrowser=False, ssr_mode=False,
                       app_kwargs={"routes": routes},
                       show_error=False, quiet=quiet, prevent_thread_lock=not block, max_file_size=MAX_UPLOAD_BYTES,
                       theme=theme, css=CSS, footer_links=["api"], enable_monitoring=False, mcp_server=False,
                       run_history=False)

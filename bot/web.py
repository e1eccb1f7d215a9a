"""``laoquan serve``: a first Gradio chat page — the answer, then its citations with their sources.

The bot (model, index) is loaded once per process and shared by every request; Gradio's queue
runs a few answers at once. Analytics are off (``laoquan.settings`` sets the variable) and the
theme uses system fonts, so the page loads nothing from outside the machine.
"""
from __future__ import annotations

import html
import re

import laoquan.settings  # noqa: F401  (analytics off before gradio is imported)

PROVINCES = ["（不选）", "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
             "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"]

EXAMPLES = ["送外卖路上被车撞了，算工伤吗？", "干了三个月老板还不签合同怎么办", "公司拖欠工资两个月了，去哪里投诉？", "加班费怎么算？"]


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def as_plain_text(text: str) -> str:
    """``text`` for a Markdown/HTML renderer (the chat and the citation cards) shown exactly as
    written: HTML is escaped and Markdown syntax backslash-escaped, so a question or a source text
    holding ``<img onerror=…>``, ``<script>`` or ``[x](javascript:…)`` is displayed, never run or linked."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(str(text or ""), quote=False))


def safe_link(url: str | None) -> str:
    """An http(s) URL as a Markdown link target (parentheses and spaces encoded), or "" for anything
    else (``javascript:``, ``data:``): only official web pages are linked."""
    if not url or not re.match(r"(?i)https?://[^\s<>\"']+$", url.strip()):
        return ""
    return html.escape(url.strip(), quote=True).replace("(", "%28").replace(")", "%29")


def citations_markdown(answer) -> str:
    """The citation cards as Markdown: title, article, 文号, status, date, link, verbatim quote."""
    if not answer.citations:
        refs = "；".join(as_plain_text(r["name"]) for r in answer.referrals)
        return f"**没有可引用的依据。** 可以咨询：{refs}" if refs else ""
    parts = ["### 依据"]
    for c in answer.citations:
        url = safe_link(c.source_url)
        link = f" · [官方来源]({url})" if url else ""
        facts = (c.authority, c.doc_no, c.status, f"{c.effective_from}起施行" if c.effective_from else "", f"第{c.page}页" if c.page else "")
        meta = " · ".join(as_plain_text(x) for x in facts if x)
        heading = f"**\\[{c.n}\\] 《{as_plain_text(c.title)}》{as_plain_text(c.article)}**"
        if c.kind == "原文":
            quote = "<br>".join(as_plain_text(line) for line in c.quote.split("\n"))
            parts.append(f"{heading}  \n{meta}{link}\n\n> {quote}")
        else:  # the project's note: labelled, never shown as a quotation
            parts.append(f"{heading} · 要点（非原文，全文未收录）  \n{meta}{link}\n\n{as_plain_text(c.summary)}")
        if c.note:
            parts.append(f"⚠️ {as_plain_text(c.note)}")
    return "\n\n".join(parts)


def build_app(bot):
    import gradio as gr

    from bot.guards import QuestionError

    def answer_question(question: str, province: str, history: list | None):
        history = list(history or [])
        region = None if not province or province.startswith("（") else province
        try:
            answer = bot.ask(question, region=region)
        except QuestionError as exc:
            return history, f"⚠️ {exc.message}", question  # keep what the user typed
        except Exception:  # never show a stack trace to a worker
            return history, "⚠️ 服务出了点问题，请稍后再试，或直接拨打12333咨询。", question
        history += [{"role": "user", "content": as_plain_text(answer.question)}, {"role": "assistant", "content": as_plain_text(answer.answer)}]
        return history, citations_markdown(answer), ""

    with gr.Blocks(title="劳权通") as app:
        gr.Markdown("## 劳权通 · 新就业形态劳动者政策问答\n只根据法规原文回答，每句都有出处；拿不准时会请你打 12333。")
        province = gr.Dropdown(PROVINCES, value=PROVINCES[0], label="你在哪个省工作？")
        chat = gr.Chatbot(label="对话", height=420)
        question = gr.Textbox(label="你的问题", placeholder="例如：送外卖路上被车撞了，算工伤吗？", lines=2)
        send = gr.Button("提问", variant="primary")
        sources = gr.Markdown()
        gr.Examples(EXAMPLES, inputs=question)
        send.click(answer_question, [question, province, chat], [chat, sources, question])
        question.submit(answer_question, [question, province, chat], [chat, sources, question])
    return app


def serve(bot, *, host: str, port: int) -> None:
    import gradio as gr

    app = build_app(bot)
    app.queue(default_concurrency_limit=4)
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"])
    app.launch(server_name=host, server_port=port, theme=theme, show_error=False, share=False)

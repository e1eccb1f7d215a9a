"""Every setting of laoquan, in one place, in sections (paths, index, retrieval, answer, llm, web, webhooks).

Each field can be set with an environment variable ``LAOQUAN_<FIELD>`` (upper case); the CLI's
flags override those. Nothing else in the code base reads the environment for its own options.

Importing this module also switches off the telemetry of the libraries we use (Chroma, Gradio,
Hugging Face, LangSmith) so that nothing phones home, whatever is imported afterwards.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Telemetry and hub access off before any library reads them.
_OFFLINE_ENV = {
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
    "TOKENIZERS_PARALLELISM": "false",
}
# Torch's OpenMP threads spin while they wait; on a 2-core box with anything else busy that turns a
# 25 ms query into ~1 s. Passive waiting avoids it (must be set before torch is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
for _k, _v in _OFFLINE_ENV.items():
    os.environ[_k] = _v


def _default_sources() -> Path:
    """``../shared/corpus-raw`` beside the repo when it exists (the development layout)."""
    return (REPO_ROOT.parent / "shared" / "corpus-raw").resolve()


@dataclass(frozen=True)
class PathSettings:
    """Where things live."""

    sources: Path = field(default_factory=_default_sources)
    """Folder with the official texts (read-only; never copied into the repo)."""
    data_dir: Path = REPO_ROOT / "data"
    """Chroma store, the chunk manifest, caches, fetched texts and time-stamped eval reports (git-ignored)."""
    models_dir: Path = REPO_ROOT / "data" / "models"
    """Models built at set-up (the e5 folder, ~470 MB); separate so a temporary data folder can share it."""
    catalog: Path = REPO_ROOT / "corpus" / "catalog.yaml"
    changes: Path = REPO_ROOT / "corpus" / "catalog_changes.yaml"
    """The catalog's change log (政策直达: the feeds and webhooks are made from it)."""
    notes_dir: Path = REPO_ROOT / "corpus" / "notes"
    """The project's 政策要点 for documents whose official text is not in the sources folder."""
    questions_dir: Path = REPO_ROOT / "corpus" / "article_questions"
    """Project-written worker questions per article, indexed as extra vectors for their article."""
    guides_dir: Path = REPO_ROOT / "corpus" / "guides"
    """办事指南: plain-language answers (conclusion, cited points, 行动清单) to the situations asked most."""
    plain_rules_dir: Path = REPO_ROOT / "corpus" / "plain_rules"
    """白话要义: one or two plain sentences per article, keyed by the sha256 of the article's text."""
    services: Path = REPO_ROOT / "corpus" / "services.yaml"
    """The reviewed service-point directory (a local overlay in the data folder adds to it)."""
    typos: Path = REPO_ROOT / "corpus" / "typos.yaml"
    """Pinyin-input typos the retriever corrects in every question (:mod:`kb.typos`)."""
    records_url: str = ""
    """Where the records go (feedback, queue, vetted answers, reports, login attempts, counts): empty
    for the SQLite file :attr:`records_path`, or a SQLAlchemy URL such as
    ``postgresql+psycopg://laoquan@db.internal/laoquan`` that several servers share."""

    @property
    def model_dir(self) -> Path:
        return self.models_dir / "multilingual-e5-small"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def index_dir(self) -> Path:
        """The chunk manifest and the BM25 cache that sit beside the Chroma store."""
        return self.data_dir / "index"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def webhooks_path(self) -> Path:
        """The operators' webhook list (``webhooks.yaml`` in the data folder)."""
        return self.data_dir / "webhooks.yaml"

    @property
    def deliveries_path(self) -> Path:
        """The webhook delivery ledger (SQLite, WAL) in the data folder."""
        return self.data_dir / "webhooks.sqlite3"

    @property
    def records_path(self) -> Path:
        """SQLite file of the web page's records: feedback, the staff queue, vetted answers, reports."""
        return self.data_dir / "records.sqlite3"

    @property
    def staff_path(self) -> Path:
        """Staff accounts (names and scrypt password hashes), written by ``laoquan staff add``."""
        return self.data_dir / "staff.yaml"


@dataclass(frozen=True)
class IndexSettings:
    """The vector store and its generations (:mod:`kb.index`, :mod:`kb.generations`)."""

    chroma_url: str = ""
    """``http://host:port`` of a Chroma server; empty means a local PersistentClient."""
    collection: str = "laoquan_articles"
    """Base name of the index's Chroma collections: each index generation is ``<collection>_g<N>``."""
    grace_seconds: float = 600.0
    """How long an index generation is kept after it was replaced, for servers still reading it
    (dropped by the first index run after that; see :mod:`kb.generations`)."""
    check_seconds: float = 1.0
    """A running bot looks (a ``stat``) for a newer index at most this often, on a question, and
    swaps to it once loaded; 0 checks on every question, a negative value never (no hot reload)."""
    paragraph_vectors: bool = False
    """Index each 款 of a multi-paragraph article as a vector pointing to the article.
    Off: on dev it changed nothing (hit@5 0.903 / MRR 0.740 either way) and costs ~50 s of indexing."""
    question_vectors: bool = True
    """Index and use the project-written worker questions (vectors and BM25 words) for their articles."""


@dataclass(frozen=True)
class RetrievalSettings:
    """The lanes and the learned ranker (kb/ranker_model.json; retrain it with
    ``python -m evals.train_ranker``: its refusal and 「可能」 cuts are chosen with it on dev)."""

    concept_expansion: bool = True
    """Add the legal terms of the concepts a question hits to its keyword query (the ``bm25_expanded`` lane)."""
    top_k: int = 5
    query_cache: int = 1024
    """Query vectors kept (least recently used dropped first): a question asked again, or asked
    again inside one answer, is embedded once (:mod:`kb.query_vectors`)."""
    query_engine: str = "onnx"
    """What embeds questions at answer time (:mod:`kb.query_engine`): ``onnx`` (float32 on ONNX
    Runtime, the torch vectors to rounding), ``onnx-int8`` (faster, vectors move) or ``torch``.
    Indexing always uses torch."""
    query_threads: int = 0
    """Threads of one ONNX query embedding; 0: cores ÷ answer workers (at least 1)."""


@dataclass(frozen=True)
class AnswerSettings:
    """How the LLM-free answer is made (:mod:`bot.answer`)."""

    cited_articles: int = 5
    """The ranker's best articles every answer cites, in its order (a guide adds citations, never removes these)."""
    stated_articles: int = 3
    """Of those, how many get a point stating their rule in plain words (the rest are cards only)."""
    note_min_similarity: float = 0.885
    """A 要点 is shown beside the articles only if the question is at least this similar to it."""
    guide_min_similarity: float = 0.93
    """Answer along a 办事指南 only when the question is at least this similar to one of its phrasings (chosen on dev)."""
    quote_chars: int = 300
    max_question_chars: int = 500


@dataclass(frozen=True)
class LLMSettings:
    """Optional LLM writing of answers (off by default: the cited LLM-free answer is the product)."""

    backend: str = ""
    """``""`` (off), ``openai`` (any OpenAI-compatible service: DeepSeek, Qwen, vLLM, Ollama, a
    llama.cpp server) or ``gguf:/path/model.gguf`` (in-process; needs ``pip install 'laoquan[gguf]'``)."""
    base_url: str = ""
    """For ``openai``: the service's base URL, e.g. ``http://127.0.0.1:8080/v1``."""
    model: str = ""
    """For ``openai``: the model name the service expects (e.g. ``deepseek-chat``, ``qwen-plus``)."""
    api_key: str = field(default="", repr=False)
    """From ``LAOQUAN_LLM_API_KEY`` only; never printed or logged (kept out of ``repr``)."""
    timeout: float = 60.0
    """Seconds the LLM may take for one answer before the LLM-free answer is shown instead."""
    min_support: float = 0.5
    """Share of a sentence's content words that must occur in the passage(s) it cites (see
    :mod:`bot.faithfulness`); a sentence below it is dropped and flagged."""


@dataclass(frozen=True)
class WebSettings:
    """``laoquan serve``."""

    host: str = "127.0.0.1"
    port: int = 7860
    public_url: str = ""
    """The server's public address (e.g. ``https://laoquan.example.org``) for links in feeds and
    webhook messages; empty: the address a request came to (feeds) / no link (webhooks)."""
    concurrency: int = 4
    """Questions the web page takes from its queue at once (Gradio's queue ``default_concurrency_limit``;
    its own default is 1); the answers themselves are computed by the ``answer_workers``."""
    queue_max: int = 64
    """Questions allowed to wait in the web queue; beyond this a worker is told the server is busy."""
    answer_workers: int = 0
    """Threads that compute answers, shared by the pages and the REST API (:mod:`bot.workers`);
    0: one per core this process may use."""
    queue_refused: bool = True
    """Keep the text of questions the bot refused (personal data redacted, nothing about who asked) in
    the staff queue, so the knowledge base can be improved."""
    api_rate_limit: str = "30/minute"
    """Questions one client (IP address) may send to the ask endpoints of the open API
    (``/api/v1/ask``, ``/api/v1/ask/batch``, ``/v1/chat/completions``), in slowapi's notation
    (``"30/minute"``, ``"5/second;100/hour"``); empty: no limit (the tests' off-switch)."""
    api_action_rate_limit: str = "20/minute"
    """Worker actions one client (IP address) may send to the open API (``POST /api/v1/feedback``,
    ``POST /api/v1/reports``, ``GET /api/v1/reports/{number}``), in slowapi's notation; empty: no limit."""
    api_batch_max: int = 100
    """Lines one ``POST /api/v1/ask/batch`` may carry (more: the whole batch is refused with 413)."""
    trusted_hosts: str = ""
    """Host names the server answers to, comma-separated (``*`` = any). Loopback (127.0.0.1, localhost,
    ::1), ``host`` and the public URL's host are always accepted (:mod:`bot.web_security`)."""
    allowed_origins: str = ""
    """Other sites' origins (``https://a.example.org``, comma-separated) allowed to read the server's
    answers from a browser (CORS). Empty: none."""
    api_info: bool = False
    """Publish the worker page's API description (``/gradio_api/info``, ``/openapi.json``) — what
    ``gradio_client`` needs. Off: those answer 404."""
    login_max_failures: int = 5
    """Wrong staff passwords (per account and per client address, within 15 minutes) before logging in waits."""
    login_wait_seconds: int = 60
    """The first wait after ``login_max_failures``; each further wrong try doubles it (at most 15 minutes)."""


@dataclass(frozen=True)
class WebhookSettings:
    """政策直达 deliveries (``laoquan feeds push``)."""

    timeout: float = 10.0
    """Seconds per webhook request."""
    attempts: int = 4
    """Tries per delivery in one push (the first and up to three retries on 5xx / 429 / timeouts)."""
    backoff: float = 1.0
    """Seconds before the first retry; doubled for each next one (capped at 30 s)."""
    max_attempts: int = 12
    """Tries per delivery over all pushes; after that it is recorded as failed and not tried again."""


@dataclass(frozen=True)
class Settings:
    """Every setting, in sections; each component reads (or is handed) its own section."""

    paths: PathSettings = field(default_factory=PathSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    web: WebSettings = field(default_factory=WebSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    def replace(self, **changes) -> "Settings":
        """A copy with some settings changed, named as in :data:`FLAT_NAMES` (``None`` values are
        ignored): ``settings.replace(data_dir=tmp, check_seconds=0)`` is spelled
        ``replace(data_dir=tmp, index_check_seconds=0)``."""
        by_section: dict[str, dict] = {}
        for name, value in changes.items():
            if value is None:
                continue
            if name not in FLAT_NAMES:
                raise TypeError(f"unknown setting {name!r}")
            section, key = FLAT_NAMES[name]
            by_section.setdefault(section, {})[key] = value
        return dataclasses.replace(self, **{
            section: dataclasses.replace(getattr(self, section), **values) for section, values in by_section.items()})


SECTIONS = {f.name: f.default_factory for f in dataclasses.fields(Settings)}

FLAT_NAMES: dict[str, tuple[str, str]] = {
    **{f.name: ("paths", f.name) for f in dataclasses.fields(PathSettings)},
    "chroma_url": ("index", "chroma_url"),
    "collection": ("index", "collection"),
    "index_grace_seconds": ("index", "grace_seconds"),
    "index_check_seconds": ("index", "check_seconds"),
    "paragraph_vectors": ("index", "paragraph_vectors"),
    "question_vectors": ("index", "question_vectors"),
    **{f.name: ("retrieval", f.name) for f in dataclasses.fields(RetrievalSettings)},
    **{f.name: ("answer", f.name) for f in dataclasses.fields(AnswerSettings)},
    "llm": ("llm", "backend"),
    **{f"llm_{f.name}": ("llm", f.name) for f in dataclasses.fields(LLMSettings) if f.name != "backend"},
    "host": ("web", "host"),
    "port": ("web", "port"),
    "public_url": ("web", "public_url"),
    "web_concurrency": ("web", "concurrency"),
    "web_queue_max": ("web", "queue_max"),
    "answer_workers": ("web", "answer_workers"),
    "queue_refused": ("web", "queue_refused"),
    "api_rate_limit": ("web", "api_rate_limit"),
    "api_action_rate_limit": ("web", "api_action_rate_limit"),
    "api_batch_max": ("web", "api_batch_max"),
    "trusted_hosts": ("web", "trusted_hosts"),
    "allowed_origins": ("web", "allowed_origins"),
    "api_info": ("web", "api_info"),
    "login_max_failures": ("web", "login_max_failures"),
    "login_wait_seconds": ("web", "login_wait_seconds"),
    **{f"webhook_{f.name}": ("webhooks", f.name) for f in dataclasses.fields(WebhookSettings)},
}
"""Each setting's one name outside the code: ``LAOQUAN_<NAME>`` in the environment and the keyword
of :meth:`Settings.replace` (e.g. ``llm_model`` → ``settings.llm.model``)."""


def _coerce(kind: type | str, raw: str):
    kind = {"Path": Path, "str": str, "int": int, "float": float, "bool": bool}.get(kind, kind) if isinstance(kind, str) else kind
    if kind is Path:
        return Path(raw).expanduser().resolve()
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def load_settings(**overrides) -> Settings:
    """Settings from defaults, then ``LAOQUAN_*`` variables, then keyword overrides (flat names)."""
    types = {(section, f.name): f.type for section, make in SECTIONS.items() for f in dataclasses.fields(make)}
    from_env = {}
    for name, (section, key) in FLAT_NAMES.items():
        raw = os.environ.get(f"LAOQUAN_{name.upper()}")
        if raw not in (None, ""):
            from_env[name] = _coerce(types[(section, key)], raw)
    return Settings().replace(**from_env).replace(**overrides)

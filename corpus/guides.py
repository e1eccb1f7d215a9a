"""办事指南: the project's plain-language answers to the situations workers ask about most.

``corpus/guides/<id>.yaml`` holds one guide: the worker phrasings it answers (``questions``, used
only for matching), an optional triage fact (``facts``: one short question whose answer changes
the conclusion, with clickable choices), one or more ``branches`` (a conclusion of at most 40
characters and 3–5 points, each point citing an article ``[doc_id, 第X条]`` or a note
``[doc_id, 要点N]``), and for problems an ``actions`` list: evidence to keep, whom to turn to in
order, and deadlines given as ``{cite, match}`` — ``match`` must occur verbatim in the cited
article, so the bot quotes the deadline from the indexed text at run time, never from memory.

Guides say nothing on their own authority: every point is shown with the citation it names, and
:func:`check_guides` (run by the tests) proves each cited article exists and each deadline is there.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.files import file_sha256, read_yaml

GUIDES_DIR = Path(__file__).with_name("guides")
KINDS = ("problem", "info")
USES = ("match", "fallback")
CONCLUSION_MAX = 40
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Cite:
    doc_id: str
    article: str
    """``第X条`` of an indexed text, or ``要点N`` of a document's notes."""

    @property
    def note_id(self) -> str | None:
        return self.article[2:] if self.article.startswith("要点") else None


@dataclass(frozen=True)
class Point:
    text: str
    cite: Cite


@dataclass(frozen=True)
class Branch:
    name: str
    conclusion: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Choice:
    label: str
    branch: str
    match: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    ask: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Deadline:
    cite: Cite
    match: str


@dataclass(frozen=True)
class Step:
    what: str
    who: str | None = None
    deadline: Deadline | None = None


@dataclass(frozen=True)
class Guide:
    id: str
    title: str
    kind: str
    questions: tuple[str, ...]
    branches: dict[str, Branch]
    facts: Facts | None = None
    jobs: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    referrals: tuple[str, ...] = ()
    fingerprint: str = ""
    use: str = "match"
    when: tuple[str, ...] = ()
    """For a fallback guide: words of which one must be in the question (none: any problem)."""
    requires: tuple[str, ...] = ()
    """Words of which one must be in the question for the guide to be followed (its defining fact:
    a death, a pregnancy, a dispatch agency…); sentence embeddings alone confuse such situations."""

    unless: tuple[str, ...] = ()
    """Words that take the question out of the guide: a fact under which its conclusion does not
    hold (醉酒 for 「应当认定为工伤」). The bot then answers from the articles, which cite both."""

    def fits(self, question: str) -> bool:
        text = question.lower()
        if any(w.lower() in text for w in self.unless):
            return False
        return not self.requires or any(w.lower() in text for w in self.requires)
    """``match``: chosen when a question is close to its phrasings; ``fallback``: never matched — its
    行动清单 serves problems no other guide fits (the general dispute route)."""

    def cites(self) -> list[Cite]:
        """Every citation the guide can show (points of all branches, then deadlines)."""
        out: list[Cite] = []
        for branch in self.branches.values():
            out += [p.cite for p in branch.points if p.cite not in out]
        out += [s.deadline.cite for s in self.steps if s.deadline and s.deadline.cite not in out]
        return out

    def branch_for(self, text: str, given: str | None = None) -> Branch:
        """The branch the worker's words (or an earlier answer, ``given``) select; ``unknown``
        (or the only branch) when nothing does. With choices matching two branches: unknown."""
        if not self.facts:
            return next(iter(self.branches.values()))
        if given and given in self.branches:
            return self.branches[given]
        hit = {c.branch for c in self.facts.choices if any(word and word in text for word in c.match)}
        if len(hit) == 1:
            return self.branches[hit.pop()]
        return self.branches.get(UNKNOWN) or next(iter(self.branches.values()))


class GuideError(ValueError):
    pass


def _cite(raw, where: str) -> Cite:
    if not isinstance(raw, (list, tuple)) or len(raw) != 2 or not all(isinstance(x, str) and x for x in raw):
        raise GuideError(f"{where}: cite must be [doc_id, article], got {raw!r}")
    return Cite(raw[0].strip(), raw[1].strip())


def parse_guide(data: dict, *, source: str = "guide", fingerprint: str = "") -> Guide:
    """One guide from its YAML mapping, with clear errors naming the file and the field."""
    if not isinstance(data, dict):
        raise GuideError(f"{source}: not a mapping")
    gid = str(data.get("id") or "").strip()
    if not gid:
        raise GuideError(f"{source}: missing id")
    where = f"{source} ({gid})"
    kind = data.get("kind", "info")
    if kind not in KINDS:
        raise GuideError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
    use = data.get("use", "match")
    if use not in USES:
        raise GuideError(f"{where}: use must be one of {USES}, got {use!r}")
    questions = tuple(str(q).strip() for q in data.get("questions") or () if str(q).strip())
    if not questions and use == "match":
        raise GuideError(f"{where}: no questions")
    branches = {}
    for name, raw in (data.get("branches") or {}).items():
        name = str(name)
        conclusion = str((raw or {}).get("conclusion") or "").strip()
        if not conclusion:
            raise GuideError(f"{where}: branch {name} has no conclusion")
        points = tuple(
            Point(" ".join(str(p.get("text") or "").split()), _cite(p.get("cite"), f"{where} branch {name}"))
            for p in (raw or {}).get("points") or ()
        )
        if not points or any(not p.text for p in points):
            raise GuideError(f"{where}: branch {name} needs points with text")
        branches[name] = Branch(name, conclusion, points)
    if not branches:
        raise GuideError(f"{where}: no branches")
    facts = None
    if data.get("facts"):
        raw = data["facts"]
        choices = tuple(
            Choice(str(c["label"]).strip(), str(c["branch"]), tuple(str(m) for m in c.get("match") or ()))
            for c in raw.get("choices") or ()
        )
        if not raw.get("ask") or len(choices) < 2:
            raise GuideError(f"{where}: facts need ask and at least two choices")
        missing = [c.branch for c in choices if c.branch not in branches]
        if missing:
            raise GuideError(f"{where}: choices name branches that do not exist: {missing}")
        facts = Facts(str(raw["ask"]).strip(), choices)
    actions = data.get("actions") or {}
    steps = []
    for raw in actions.get("steps") or ():
        deadline = None
        if raw.get("deadline"):
            d = raw["deadline"]
            if not d.get("match"):
                raise GuideError(f"{where}: a deadline needs match (verbatim words of the cited article)")
            deadline = Deadline(_cite(d.get("cite"), f"{where} deadline"), str(d["match"]))
        steps.append(Step(str(raw.get("what") or "").strip(), (str(raw["who"]).strip() if raw.get("who") else None), deadline))
    return Guide(
        id=gid,
        title=str(data.get("title") or gid).strip(),
        kind=kind,
        questions=questions,
        branches=branches,
        facts=facts,
        jobs=tuple(str(j) for j in data.get("jobs") or ()),
        evidence=tuple(str(e).strip() for e in actions.get("evidence") or ()),
        steps=tuple(steps),
        referrals=tuple(str(r) for r in actions.get("referrals") or data.get("referrals") or ()),
        fingerprint=fingerprint,
        use=use,
        when=tuple(str(w) for w in data.get("when") or ()),
        requires=tuple(str(w) for w in data.get("requires") or ()),
        unless=tuple(str(w) for w in data.get("unless") or ()),
    )


def load_guides(folder: Path = GUIDES_DIR) -> list[Guide]:
    """Every guide in ``folder`` (sorted by file name); a broken file raises :class:`GuideError`."""
    guides = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        data = read_yaml(path, error=GuideError, zh="办事指南文件", en="the guide")
        guides.append(parse_guide(data, source=path.name, fingerprint=file_sha256(path)))
    ids = [g.id for g in guides]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise GuideError(f"duplicate guide ids: {sorted(dupes)}")
    return guides


def check_guides(guides: list[Guide], *, article_text, note_ids, referral_ids: set[str]) -> list[str]:
    """What is wrong with the guides against the knowledge base: cited articles that do not exist
    (``article_text(doc_id, article) -> str | None``), note points that do not exist
    (``note_ids(doc_id) -> set[str]``), deadlines whose words are not in the cited article,
    conclusions over 40 characters, unknown referral ids. Empty when all is well."""
    problems = []
    for g in guides:
        for name, branch in g.branches.items():
            if len(branch.conclusion) > CONCLUSION_MAX:
                problems.append(f"{g.id}/{name}: conclusion has {len(branch.conclusion)} characters (max {CONCLUSION_MAX})")
        for cite in g.cites():
            if cite.note_id is not None:
                if cite.note_id not in note_ids(cite.doc_id):
                    problems.append(f"{g.id}: note {cite.doc_id} {cite.article} does not exist")
            elif article_text(cite.doc_id, cite.article) is None:
                problems.append(f"{g.id}: article {cite.doc_id} {cite.article} does not exist")
        for step in g.steps:
            if step.deadline and step.deadline.cite.note_id is None:
                text = article_text(step.deadline.cite.doc_id, step.deadline.cite.article)
                if text is not None and step.deadline.match not in text:
                    problems.append(f"{g.id}: deadline words {step.deadline.match!r} are not in {step.deadline.cite.doc_id} {step.deadline.cite.article}")
        problems += [f"{g.id}: unknown referral {r}" for r in g.referrals if r not in referral_ids]
    return problems

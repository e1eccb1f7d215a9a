"""The ``laoquan`` command: index, ask, corpus check / fetch / add / services-import / diff, feeds push / show, serve, staff,
records upgrade / copy.

The evaluation sits above the app (it scores it) and has its own entry point: ``python -m evals.run``
(``./run eval``).

Every sub-command reads its settings from :mod:`common.settings` (``LAOQUAN_*`` variables), with
the flags here overriding them. Errors a user can fix are printed as one friendly line (exit 2),
never as a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from common.settings import PathSettings, Settings, load_settings


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD，例如 2025-10-01（收到 {text!r}）") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="laoquan", description="劳权通：新就业形态劳动者政策问答（离线、带引用）")
    parser.add_argument("--sources", type=Path, help="folder with the official texts (LAOQUAN_SOURCES)")
    parser.add_argument("--data-dir", type=Path, help="folder for the index, model and reports (LAOQUAN_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index of the sources folder (incremental)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--offer-fetch", action="store_true", help="without a sources folder, offer to download the official texts (asks when stdin is a terminal)")
    p.add_argument("--rebuild", action="store_true", help="trust nothing indexed before: split and embed everything again into a new generation")
    p.add_argument("--verify", action="store_true", help="check the manifest, chunk hashes, vector collection and records file; exit 1 on a fault")
    p.add_argument("--repair", action="store_true", help="with --verify: repair what can be repaired, then check again")

    p = sub.add_parser("ask", help="answer a question with cited provisions")
    p.add_argument("question", help='the question, or "-" to read one question per line from stdin')
    p.add_argument("--json", action="store_true", help="print one JSON object (per question)")
    p.add_argument("--province", help="the worker's province or city, e.g. 浙江")
    p.add_argument("--as-of", type=_date, help="date the rules must be in force on (default today)")

    p = sub.add_parser("corpus", help="the document catalog")
    corpus_sub = p.add_subparsers(dest="corpus_command", required=True)
    corpus_sub.add_parser("check", help="validate corpus/catalog.yaml (and the local overlay) against the sources folder")
    c = corpus_sub.add_parser("fetch", help="download the official text of catalog documents that have none yet")
    c.add_argument("--id", dest="ids", action="append", metavar="ID", help="catalog id (repeatable; default: every document without text)")
    c.add_argument("--url", help="download from this address instead of the entry's source_url (only with one --id)")
    c.add_argument("--timeout", type=float, default=30.0, help="seconds per download (default 30)")
    c.add_argument("--all", dest="all_texts", action="store_true",
                   help="every catalogued text not on this machine, those the sources folder lacks too (a first set-up without ../shared/corpus-raw)")
    c = corpus_sub.add_parser("add", help="load the text of a catalog document from a file you already have")
    c.add_argument("file", type=Path, help="the official text: PDF, HTML, Markdown or plain text")
    c.add_argument("--id", required=True, help="catalog id of the document")
    c = corpus_sub.add_parser("services-import", help="import service points (CSV or GeoJSON) into the local directory overlay")
    c.add_argument("file", type=Path, help="a .csv (header row of field names) or .geojson file of service points")
    c.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    c = corpus_sub.add_parser("diff", help="what changed between two versions of the catalog (one line per change)")
    c.add_argument("old", type=Path, help="the older catalog.yaml")
    c.add_argument("new", type=Path, help="the newer catalog.yaml")

    p = sub.add_parser("feeds", help="政策直达: the policy-change feeds and their webhooks")
    feeds_sub = p.add_subparsers(dest="feeds_command", required=True)
    c = feeds_sub.add_parser("push", help="send each new change once to every webhook in <data>/webhooks.yaml")
    c.add_argument("--dry-run", action="store_true", help="show what would be sent; send and record nothing")
    c = feeds_sub.add_parser("show", help="print the feed of a province or city and a job")
    c.add_argument("province", help="province or city, e.g. 浙江, 杭州, zhejiang")
    c.add_argument("job", help="外卖 快递 网约车 货运 主播 家政 其他 (or pinyin: waimai …)")
    c.add_argument("--since", type=_date, help="only changes recorded on or after this day")
    c.add_argument("--json", action="store_true", help="print the JSON Feed")

    p = sub.add_parser("serve", help="the web UI on 127.0.0.1: workers at /, staff at /staff (login)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)

    p = sub.add_parser("staff", help="staff accounts for the /staff page")
    staff_sub = p.add_subparsers(dest="staff_command", required=True)
    c = staff_sub.add_parser("add", help="create an account (or set a new password); asks for the password")
    c.add_argument("name")
    c.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin (for scripts)")
    c = staff_sub.add_parser("remove", help="delete an account")
    c.add_argument("name")
    staff_sub.add_parser("list", help="list the accounts")
    c = staff_sub.add_parser("token", help="issue an API token for the staff endpoints of /api/v1/staff (printed once; only its hash is kept)")
    c.add_argument("name")
    c.add_argument("--revoke", action="store_true", help="revoke every API token of this account instead")

    p = sub.add_parser("records", help="the records database (SQLite file, or LAOQUAN_RECORDS_URL)")
    records_sub = p.add_subparsers(dest="records_command", required=True)
    records_sub.add_parser("upgrade", help="bring its schema to the newest migration (serve does it on start too)")
    c = records_sub.add_parser("copy", help="copy every record into an empty database (e.g. the SQLite file into PostgreSQL)")
    c.add_argument("--to", required=True, help="the target's SQLAlchemy URL (postgresql+psycopg://…) or SQLite file")
    return parser


def main(argv: list[str] | None = None) -> int:
    _utf8_stdio()
    args = build_parser().parse_args(argv)
    settings = load_settings(sources=args.sources.resolve() if args.sources else None, data_dir=args.data_dir.resolve() if args.data_dir else None)
    try:
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        return 130
    except UserFacingError as exc:
        print(f"laoquan: {exc}", file=sys.stderr)
        return 2


class UserFacingError(Exception):
    """An error whose message tells the user what to do; printed without a traceback."""


def _utf8_stdio() -> None:
    """Output is UTF-8 whatever the terminal's encoding (``PYTHONIOENCODING=ascii:strict`` too): a
    character that cannot be written (a lone surrogate) becomes ``?`` instead of a traceback."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):  # not a text file (a test's StringIO)
            pass


def _readable(text: str) -> str:
    """Text from argv or a file as valid Unicode: bytes that were not UTF-8 (kept by Python as lone
    surrogates) become U+FFFD, so they are never echoed back raw."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def cmd_index(args, settings: Settings) -> int:
    from corpus.catalog import CatalogError
    from kb.faults import IndexFault, disk_full_message, is_disk_full
    from kb.index import index_sources

    from kb.fetch_all import needs_sources, no_sources_message

    if needs_sources(settings):
        if not (args.offer_fetch and _offer_fetch(settings)):
            raise UserFacingError(no_sources_message(settings.paths.sources))
    try:
        if args.verify or args.repair:
            return _verify_index(args, settings)
        report = index_sources(settings, progress=not args.quiet, rebuild=args.rebuild)
    except CatalogError as exc:
        raise UserFacingError(f"目录文件有误 / catalog error: {exc}") from exc
    except IndexFault as exc:
        raise UserFacingError(str(exc)) from exc
    except Exception as exc:
        if is_disk_full(exc):
            raise UserFacingError(disk_full_message("索引没有更新")) from exc
        raise
    print(report.summary())
    return 0


def _offer_fetch(settings: Settings) -> bool:
    """``./run serve`` without a sources folder: say so and, when a person is at the terminal, offer
    to download every official text now. True when something was fetched."""
    from kb.fetch_all import no_sources_message

    if not sys.stdin.isatty():
        return False
    print(no_sources_message(settings.paths.sources), flush=True)
    reply = input("现在就下载全部官方原文吗？（需要联网，几分钟）[y/N] ").strip().lower()
    if reply not in ("y", "yes", "是", "好"):
        return False
    results = _fetch_all(settings)
    return any(r.ok for r in results)


def _fetch_all(settings: Settings, *, timeout: float = 30.0) -> list:
    from corpus.catalog import CatalogError, load_catalog_for
    from kb.fetch_all import fetch_all

    try:
        catalog = load_catalog_for(settings)
    except CatalogError as exc:
        raise UserFacingError(f"目录文件有误 / catalog error: {exc}") from exc
    results = fetch_all(catalog, settings, timeout=timeout, on_result=lambda r: print(r.message, flush=True))
    ok = sum(r.ok for r in results)
    print(f"下载并检查通过 {ok} 份，失败或跳过 {len(results) - ok} 份 / {ok} fetched and checked, {len(results) - ok} failed or skipped", flush=True)
    return results


def _verify_index(args, settings: Settings) -> int:
    """``index --verify [--repair]``: one line per finding; with ``--repair`` the run that fixes
    them (a plain index, or a rebuild), then the check again. Exit 1 while a fault is left."""
    from kb.index import index_sources
    from kb.verify import Fix, verify_index

    report = verify_index(settings)
    for line in report.lines():
        print(line, flush=True)
    if args.repair and (report.needs(Fix.INDEX) or report.needs(Fix.REBUILD)):
        rebuild = report.needs(Fix.REBUILD)
        print("正在重建索引… / rebuilding the index" if rebuild else "正在修复索引… / repairing the index", flush=True)
        print(index_sources(settings, progress=not args.quiet, rebuild=rebuild).summary(), flush=True)
        report = verify_index(settings)
        for line in report.lines() if report.findings else []:
            print(f"仍未修复 / not repaired: {line}", flush=True)
        if report.ok:
            print("已修复，索引检查无误 / repaired; the index checks out", flush=True)
    return 0 if report.ok else 1


def cmd_ask(args, settings: Settings) -> int:
    from bot.guards import QuestionError

    bot = _load_bot(settings)
    if args.question == "-":
        lines = getattr(sys.stdin, "buffer", None) or (line.encode("utf-8", "surrogateescape") for line in sys.stdin)
        for n, raw in enumerate(lines, start=1):
            _answer_line(bot, n, raw.rstrip(b"\r\n").decode("utf-8", "replace"), args, QuestionError)
        return 0
    return _print_answer(bot, _readable(args.question), args, QuestionError)


def _answer_line(bot, n: int, question: str, args, QuestionError) -> None:
    """One line of ``ask -``: always exactly one output (one JSON object with ``--json``), so the
    outputs line up with the inputs; no line, however bad, stops the batch."""
    from kb.faults import IndexFault

    def failed(code: str, message: str) -> None:
        if args.json:
            print(json.dumps({"line": n, "question": question, "outcome": "refused", "error": code, "answer": message,
                              "citations": [], "referrals": []}, ensure_ascii=False), flush=True)
        else:
            print(f"[{n}] {message}", flush=True)

    if not question.strip():
        return failed("empty", "这一行是空的：请每行写一个问题。")
    try:
        _print_answer(bot, question, args, QuestionError, line=n)
    except UserFacingError as exc:  # a refusal in text mode
        print(f"[{n}] {exc}", flush=True)
    except IndexFault as exc:
        failed("index_fault", str(exc))
    except Exception as exc:  # a bug must not cost the questions after it
        print(f"laoquan: 第 {n} 行出错 / line {n} failed: {type(exc).__name__}", file=sys.stderr, flush=True)
        failed("internal_error", "这个问题没能回答（程序出错），其他问题照常回答。")


def _load_bot(settings: Settings):
    from bot.llm import LLMConfigError
    from kb.fetch_all import needs_sources, no_sources_message
    from kb.faults import IndexFault
    from kb.retriever import IndexMissingError
    from laoquan.app import load_bot

    try:
        return load_bot(settings)
    except IndexMissingError as exc:
        raise UserFacingError(no_sources_message(settings.paths.sources) if needs_sources(settings) else str(exc)) from exc
    except (LLMConfigError, IndexFault) as exc:
        raise UserFacingError(str(exc)) from exc


def _print_answer(bot, question: str, args, QuestionError, *, line: int | None = None) -> int:
    from kb.faults import IndexFault

    numbered = {} if line is None else {"line": line}
    try:
        answer = bot.ask(question, region=args.province, as_of=args.as_of)
    except QuestionError as exc:
        if args.json:
            print(json.dumps({**numbered, "question": question, "outcome": "refused", "error": exc.code, "answer": exc.message,
                              "citations": [], "referrals": []}, ensure_ascii=False), flush=True)
            return 0
        raise UserFacingError(exc.message) from exc
    except IndexFault as exc:
        if line is not None:
            raise
        raise UserFacingError(str(exc)) from exc
    if args.json:
        print(json.dumps({**numbered, **answer.to_json()}, ensure_ascii=False), flush=True)
    else:
        print(answer.answer)
        if answer.citations:
            print("\n出处：")
            for c in answer.citations:
                status = f"{c.status}，{c.effective_from}起施行" if c.effective_from else c.status
                facts = "；".join(x for x in (c.doc_no, status) if x)
                print(f"  [{c.n}] {c.title} {c.article}（{facts}）{c.source_url or ''}")
    return 0


def cmd_corpus(args, settings: Settings) -> int:
    if args.corpus_command == "services-import":
        return _services_import(args, settings)
    if args.corpus_command == "diff":
        return _corpus_diff(args, settings)
    from corpus.catalog import CatalogError, check_catalog, format_problems, load_catalog, load_catalog_for

    if args.corpus_command == "fetch" and args.all_texts:
        if args.ids or args.url:
            raise UserFacingError("--all 不能和 --id / --url 一起用 / --all takes no --id or --url")
        results = _fetch_all(settings, timeout=args.timeout)
        if any(r.ok for r in results):
            print("运行 laoquan index 把新原文编入索引 / run `laoquan index` to index the new texts")
        return 1 if any(not r.ok and not r.skipped for r in results) else 0
    try:
        catalog = load_catalog_for(settings)
        if args.corpus_command in ("fetch", "add"):
            return _corpus_fetch(args, settings, catalog, load_catalog(settings.paths.catalog))
    except CatalogError as exc:
        raise UserFacingError(f"目录文件有误 / catalog error: {exc}") from exc
    problems = check_catalog(catalog, settings.paths.sources)
    errors = [p for p in problems if p.level == "error"]
    print(format_problems(problems) if problems else f"目录无误：{len(list(catalog))} 份文档，原文文件夹 {settings.paths.sources}")
    rules_ok = _check_plain_rules(settings, catalog)
    return 1 if errors or not _check_logs_and_directory(settings) or not rules_ok else 0


def _check_plain_rules(settings: Settings, catalog) -> bool:
    """The 白话要义 agree with the texts they were written from: a rule whose article changed or is
    gone is stale (not shown to workers) and listed here."""
    from corpus.plain_rules import PlainRulesError, load_plain_rules
    from kb.articles import article_texts

    try:
        rules = load_plain_rules(settings.paths.plain_rules_dir)
    except PlainRulesError as exc:
        print(f"白话要义 / plain rules: {exc}")
        return False
    texts = article_texts(catalog, settings.paths.sources)
    stale = rules.stale(texts)
    for rule in stale:
        print(f"白话要义已过期 / stale plain rule: {rule.doc_id} {rule.article}（原文已改动或已不存在 / the article changed or is gone）")
    missing = [k for k in texts if rules.get(*k) is None]
    print(f"白话要义：{len(rules)} 条，过期 {len(stale)} 条，没有白话要义的条文 {len(missing)} 条")
    return not stale


def _check_logs_and_directory(settings: Settings) -> bool:
    """``corpus check``'s other half: the change log agrees with the catalog it records (checked
    when the two belong together: the committed catalog, or a log named by LAOQUAN_CHANGES), and the
    service directory with its local overlay loads. Prints one line per problem; True when clean."""
    from corpus.catalog import CATALOG_FILE, CatalogError, load_catalog
    from corpus.changes import ChangeLogError, check_changes, load_changes
    from corpus.services import ServiceError, load_directory_for

    ok = True
    default_changes = PathSettings().changes
    if Path(settings.paths.catalog).resolve() == CATALOG_FILE.resolve() or Path(settings.paths.changes) != default_changes:
        try:
            committed = load_catalog(settings.paths.catalog)
            problems = check_changes(load_changes(settings.paths.changes, catalog=committed), committed)
        except (ChangeLogError, CatalogError) as exc:
            problems = [str(exc)]
        for line in problems:
            print(f"变更记录 / change log: {line}")
        if not problems:
            print(f"变更记录与目录一致：{settings.paths.changes.name}")
        ok = not problems
    try:
        directory = load_directory_for(settings)
        print(f"服务站点目录无误：{len(directory)} 个站点")
    except ServiceError as exc:
        print(f"服务站点目录 / service directory: {exc}")
        ok = False
    return ok


def _corpus_fetch(args, settings: Settings, catalog, base) -> int:
    """``corpus fetch`` / ``corpus add``: one line per document; exit 1 if any failed."""
    from kb.fetch import FetchError, add_file, fetch_documents, wanted_entries

    def show(result) -> None:
        print(result.message, flush=True)

    try:
        if args.corpus_command == "add":
            [entry] = wanted_entries(catalog, base, [args.id])
            results = [add_file(entry, args.file, settings.paths.data_dir)]
            show(results[0])
        else:
            results = fetch_documents(catalog, base, settings.paths.data_dir, ids=args.ids, url=args.url, timeout=args.timeout, on_result=show)
    except FetchError as exc:
        raise UserFacingError(str(exc)) from exc
    if not results:
        print("每份文档都已有原文，没有要下载的 / every document has its text already")
    if any(r.ok for r in results):
        print("运行 laoquan index 把新原文编入索引 / run `laoquan index` to index the new texts")
    return 1 if any(not r.ok and not r.skipped for r in results) else 0


def _services_import(args, settings: Settings) -> int:
    """``corpus services-import FILE``: every row validated; all good → merged into the overlay; exit 1 otherwise."""
    from corpus.services import ServiceError, import_file, overlay_path

    try:
        report = import_file(args.file, overlay_path(settings), committed=settings.paths.services, dry_run=args.dry_run)
    except ServiceError as exc:
        raise UserFacingError(f"站点文件有误 / directory error: {exc}") from exc
    print(report.summary() + (" (dry run: nothing written)" if args.dry_run and report.ok else ""))
    return 0 if report.ok else 1


def _corpus_diff(args, settings: Settings) -> int:
    """``corpus diff OLD NEW``: one Chinese line per change (exit 0 whether or not anything changed)."""
    from corpus.catalog import CatalogError, load_catalog
    from corpus.changes import ChangeLogError, describe, diff_catalogs, load_changes

    catalogs = []
    for which, path in (("旧", args.old), ("新", args.new)):
        if not path.is_file():
            raise UserFacingError(f"找不到{which}目录文件 {path} / catalog file not found")
        try:
            catalogs.append(load_catalog(path))
        except CatalogError as exc:
            raise UserFacingError(f"{which}目录文件读不了 / cannot use the {'old' if which == '旧' else 'new'} catalog: {exc}") from exc
    old, new = catalogs
    try:
        log = load_changes(settings.paths.changes)
    except ChangeLogError:
        log = None  # jobs are then left out; the diff itself does not need the log
    changes = diff_catalogs(old, new, changes=log)
    for change in changes:
        entry = new.get(change.doc_id) or old.get(change.doc_id)
        print(f"{change.doc_id}　{describe(change, entry)}")
    print(f"共 {len(changes)} 处变化（{len(old)} → {len(new)} 份文档）" if changes else f"两个目录没有差别（{len(new)} 份文档）")
    return 0


def cmd_feeds(args, settings: Settings) -> int:
    from bot.feeds import FeedError, FeedSource, feed_title, render_json, resolve_job, resolve_region
    from bot.webhooks import WebhookError, push_for_settings
    from corpus.catalog import CatalogError
    from corpus.changes import ChangeLogError

    try:
        if args.feeds_command == "show":
            region, job = resolve_region(args.province), resolve_job(args.job)
            items = FeedSource.for_settings(settings).items(region=region, job=job, since=args.since)
            if args.json:
                print(render_json(items, feed_url=f"/feeds/{region}/{job}.json", title=feed_title(region, job)).decode("utf-8"))
                return 0
            for item in items:
                print(f"{item.date}　{item.headline}\n　　{item.summary}")
            print(f"{feed_title(region, job)}：共 {len(items)} 条")
            return 0
        if not settings.paths.webhooks_path.is_file():
            print(f"还没有配置 webhook：在 {settings.paths.webhooks_path} 里写 webhooks: 列表（见 README 的“政策直达”）"
                  f" / no webhooks configured")
            return 0
        report = push_for_settings(settings, dry_run=args.dry_run, on_delivery=lambda d: print(d.line, flush=True))
    except (FeedError, WebhookError) as exc:
        raise UserFacingError(str(exc)) from exc
    except (CatalogError, ChangeLogError) as exc:
        raise UserFacingError(f"目录或变更记录有误 / catalog or change log error: {exc}") from exc
    for name, n in report.baselined.items():
        print(f"新 webhook「{name}」：已有的 {n} 条变化记为起点，不补发（要补发请在 webhooks.yaml 写 since: YYYY-MM-DD）"
              f" / new webhook: {n} existing changes taken as its baseline")
    print(report.summary())
    return 0 if report.ok else 1


def cmd_serve(args, settings: Settings) -> int:
    from bot.server import serve
    from bot.staff_accounts import StaffAccounts

    records = _open_records(settings)  # before the model loads: a broken records file is said at once
    bot = _load_bot(settings)
    host, port = args.host or settings.web.host, args.port or settings.web.port
    print(f"劳权通：工人页面 http://{host}:{port}/ · 工作人员 http://{host}:{port}/staff", flush=True)
    if not StaffAccounts(settings.paths.staff_path).names():
        print("还没有工作人员账号，/staff 暂时无人能登录：用 `laoquan staff add 名字` 创建。", flush=True)
    serve(bot, settings=settings, host=host, port=port, records=records)
    return 0


def _open_records(settings: Settings):
    from bot.records import Records, RecordsUnavailable

    try:
        return Records.for_settings(settings)
    except RecordsUnavailable as exc:
        raise UserFacingError(exc.message) from exc


def cmd_records(args, settings: Settings) -> int:
    from bot.records import RecordError, Records, RecordsUnavailable, copy_records, upgrade_records

    try:
        if args.records_command == "copy":
            source, target = Records.for_settings(settings), Records(args.to)
            copied = copy_records(source, target)
            print(f"已复制到 {target.target.shown}：" + "，".join(f"{name} {n} 行" for name, n in copied.items()))
            return 0
        before, after, where = upgrade_records(settings)
    except (RecordsUnavailable, RecordError) as exc:
        raise UserFacingError(exc.message) from exc
    if before == after:
        print(f"记录数据库已是最新（{after}）：{where}")
    else:
        print(f"记录数据库已升级：{before or '（旧版，无迁移记录）'} → {after}：{where}")
    return 0


def cmd_staff(args, settings: Settings) -> int:
    import getpass

    from bot.staff_accounts import AccountError, StaffAccounts

    accounts = StaffAccounts(settings.paths.staff_path)
    if args.staff_command == "list":
        names = accounts.names()
        print("\n".join(names) if names else f"还没有账号（{settings.paths.staff_path}）")
        return 0
    if args.staff_command == "token":
        try:
            if args.revoke:
                print(f"已吊销 {args.name} 的 {accounts.revoke_tokens(args.name)} 个 API 令牌")
                return 0
            token = accounts.issue_token(args.name)
        except AccountError as exc:
            raise UserFacingError(str(exc)) from exc
        print(token)
        print(f"这是 {args.name} 的 API 令牌，只显示这一次，请妥善保存（请求头 Authorization: Bearer 令牌）。", file=sys.stderr)
        return 0
    if args.staff_command == "remove":
        if not accounts.remove(args.name):
            raise UserFacingError(f"没有这个账号：{args.name}")
        print(f"已删除 {args.name}")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"{args.name} 的密码：")
        if getpass.getpass("再输入一次：") != password:
            raise UserFacingError("两次输入的密码不一样，没有保存。")
    try:
        accounts.add(args.name, password)
    except AccountError as exc:
        raise UserFacingError(str(exc)) from exc
    print(f"已保存账号 {args.name}（{settings.paths.staff_path}）")
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "corpus": cmd_corpus, "feeds": cmd_feeds, "serve": cmd_serve, "staff": cmd_staff}
COMMANDS["records"] = cmd_records

if __name__ == "__main__":
    sys.exit(main())

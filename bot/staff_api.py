"""The staff endpoints of the open API, ``/api/v1/staff/…``: the queue, vetted answers, reports and
the dashboard's figures and CSVs — what the ``/staff`` page shows, for a station's own tools.

Every call needs ``Authorization: Bearer <token>``, a per-account API token issued by ``laoquan staff
token NAME`` (only its hash is kept with the staff accounts; ``--revoke`` revokes). A missing, wrong
or revoked token gets 401 with the API's error JSON. The staffer's name is recorded on what they do,
as on the page.
"""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from bot.api_errors import ApiError, ErrorCode
from bot.protocols import Bot
from bot.records import FORWARD_TARGETS, RecordError, Records, stale_reasons
from bot.staff_accounts import StaffAccounts

_BEARER = HTTPBearer(auto_error=False, description="An API token from `laoquan staff token NAME`")


class HandleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)


class ReportUpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    forwarded_to: str | None = Field(None, description=f"One of {', '.join(FORWARD_TARGETS)}")
    outcome: str | None = Field(None, max_length=2000)
    done: bool = False


def unauthorized() -> ApiError:
    return ApiError(401, ErrorCode.UNAUTHORIZED, "需要有效的工作人员 API 令牌（laoquan staff token 名字）。",
                    "A valid staff API token is required (Authorization: Bearer …; issued by `laoquan staff token NAME`).",
                    headers={"WWW-Authenticate": "Bearer"})


def staff_router(bot: Bot, records: Records, accounts: StaffAccounts, settings) -> APIRouter:
    def staffer(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_BEARER)) -> str:
        name = accounts.token_owner(credentials.credentials if credentials else None)
        if name is None:
            raise unauthorized()
        return name

    router = APIRouter(prefix="/api/v1/staff", tags=["staff"], dependencies=[Depends(staffer)])

    @router.get("/queue", summary="Refused and 「没用」 questions (open ones unless include_handled)")
    def queue(include_handled: bool = False):
        return {"queue": [asdict(item) for item in records.queue(include_handled=include_handled)]}

    @router.post("/queue/{item_id}/handled", summary="Mark a queue item handled")
    def handled(item_id: int, body: HandleBody, name: str = Depends(staffer)):
        if not records.handle_queue_item(item_id, by=name, note=body.note):
            raise ApiError(404, ErrorCode.NOT_FOUND, "队列里没有这一条。", "No such queue item.")
        return {"ok": True, "id": item_id, "handled_by": name}

    @router.get("/vetted", summary="Vetted answers, each with why it has gone stale (empty: still good)")
    def vetted():
        return {"vetted": [asdict(v) | {"stale": stale_reasons(v, bot.catalog, notes_dir=settings.paths.notes_dir)}
                           for v in records.vetted_answers()]}

    @router.get("/reports", summary="Every problem report, newest first (with the contact the worker gave)")
    def reports():
        return {"reports": [asdict(r) for r in records.reports()]}

    @router.post("/reports/{number}", summary="Hand a report on, record its outcome, close it")
    def update_report(number: str, body: ReportUpdateBody, name: str = Depends(staffer)):
        try:
            report = records.update_report(number, by=name, forwarded_to=body.forwarded_to, outcome=body.outcome, done=body.done)
        except RecordError as exc:
            status = 404 if "找不到" in exc.message else 422
            raise ApiError(status, ErrorCode.NOT_FOUND if status == 404 else ErrorCode.INVALID, exc.message,
                           "No report with this number." if status == 404 else "The update cannot be applied.") from exc
        return asdict(report)

    def board():
        from bot.dashboard import build_dashboard

        return build_dashboard(records, topic_label=lambda topic: getattr(bot.catalog.get(topic), "short_name", None) or topic)

    @router.get("/dashboard", summary="The dashboard's figures (counts, rates and every table)")
    def dashboard():
        figures = board()
        return {"weeks": figures.weeks, "asked": figures.asked, "refused": figures.refused, "feedback": figures.feedback,
                "not_useful": figures.not_useful, "refusal_rate": figures.refusal_rate, "not_useful_rate": figures.not_useful_rate,
                "tables": {t.name: {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows],
                                    "csv": f"/api/v1/staff/dashboard/{t.name}.csv"} for t in figures.tables()}}

    @router.get("/dashboard/{table}.csv", summary="One dashboard table as CSV (UTF-8 with BOM)")
    def dashboard_csv(table: str):
        found = next((t for t in board().tables() if t.name == table), None)
        if found is None:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"看板没有「{table}」这张表。", f"No dashboard table '{table}'.")
        return Response(("\ufeff" + found.to_csv()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{found.name}.csv"'})

    return router


__all__ = ["staff_router", "unauthorized"]

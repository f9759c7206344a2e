"""HTTP API of the events domain: catalog, intake, actions, queues, inbox, and the resident's pages' API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Path, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from gridgov.access.deps import ApiActor, CurrentUser, Db, OptionalUser
from gridgov.errors import Invalid, NotFound
from gridgov.events import (
    attachments,
    catalog,
    inbox,
    intake,
    notices,
    queues,
    responsibility,
    schemas,
    service,
)
from gridgov.events.parties import get_visible
from gridgov.events.workflow import Action
from gridgov.integration.http import upload_bytes, xlsx_response
from gridgov.openapi import binary, err, errors, ok, xlsx
from gridgov.ratelimit import RATE_LIMITED_RESPONSES, LimitedRoute, limit
from gridgov.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["events"], responses=errors(401))
# anyone may call these: per client IP, reports, photos and ratings share the "report" limit and
# look-ups the "lookup" one (gridgov.ratelimit; GRIDGOV_PUBLIC_RATE_*)
public = APIRouter(prefix="/api/v1/public", tags=["public"], route_class=LimitedRoute)

ActionName = Annotated[str, Path(pattern="^[a-z_]{3,24}$", description="A workflow action, e.g. accept, dispatch")]
EventRef = Annotated[str, Path(pattern=r"^(\d{1,10}|SJ\d{8,20})$", description="Event id or code")]
ATTACHMENT_TOO_LARGE = err(413, "too_large", "附件超过 10 MB 上限", "附件超过大小上限",
                           {"size": 10485761, "max": 10485760})
NOTICE_NOT_FOUND = err(404, "notice_not_found", "通知不存在")
TRACKING_NOT_FOUND = err(404, "tracking_code_not_found", "查询码不存在，请核对后重试")
ITEM_NOT_PUBLIC = err(422, "item_not_public",
                      "事项编码 TS001 不受理群众上报，请从公开的事项中选择；如遇违法犯罪或紧急情况请拨打 110",
                      "参数校验失败，或该事项不对公众开放（`item_not_public`）", {"item_code": "TS001"})


# --- catalog --------------------------------------------------------------------------------

@router.get("/catalog", summary="The current event catalog (事项清单): categories and items",
            responses=ok(schemas.CATALOG_EXAMPLE))
def get_catalog(db: Db, user: CurrentUser) -> dict[str, Any]:
    return catalog.catalog_out(db)


@router.get("/catalog/versions", summary="All catalog versions, newest first",
            responses=ok(schemas.CATALOG_VERSIONS_EXAMPLE))
def catalog_versions(db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return catalog.versions(db)


@router.get("/catalog/versions/{number}", summary="One catalog version (events keep the version they were filed under)",
            responses=ok(schemas.CATALOG_EXAMPLE) | errors(422)
            | err(404, "catalog_version_not_found", "事项清单第 99 版不存在"))
def catalog_version(number: Annotated[int, Path(ge=1, le=1_000_000)], db: Db, user: CurrentUser) -> dict[str, Any]:
    return catalog.catalog_out(db, catalog.version_by_number(db, number))


@router.post("/catalog/changes", status_code=201, summary="Edit the catalog (admin): writes a new version",
             responses=ok({"version": 2}, 201) | errors(403, 422))
def edit_catalog(body: schemas.CatalogChangeIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    v = catalog.edit(db, user, [c.model_dump(exclude_none=True) for c in body.changes], body.note)
    return {"version": v.number}


@router.post("/catalog/rules", status_code=201, summary="Add a responsibility-list rule (权责清单)",
             responses=ok({"id": 1}, 201) | errors(403, 422))
def add_rule(body: schemas.RuleIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    return {"id": catalog.add_rule(db, user, body.model_dump()).id}


MAX_RULES_UPLOAD = 20 * 1024 * 1024


@router.get("/catalog/rules", summary="The responsibility list (权责清单), optionally within a region",
            responses=ok(schemas.RULES_EXAMPLE) | errors(422))
def list_rules(db: Db, user: CurrentUser,
               region: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None) -> list[dict[str, Any]]:
    return responsibility.list_rules(db, user, region)


@router.get("/catalog/rules/template.xlsx", response_class=Response,
            summary="Download the responsibility-list import template",
            responses=xlsx("权责清单导入模板（Excel，含填写说明）"))
def rules_template(user: CurrentUser):
    return xlsx_response(responsibility.template(), "权责清单导入模板.xlsx")


@router.post("/catalog/rules/import", summary="Import the responsibility list from .xlsx or .csv (admin)",
             responses=ok(schemas.RULES_IMPORT_EXAMPLE) | errors(403, 422)
             | err(413, "too_large", "文件超过 20 MB", "文件超过 20 MB"))
async def import_rules(db: Db, user: CurrentUser,
                       file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8 or GBK)")]) -> dict[str, Any]:
    """Good rows load (keyed by item or category + region: re-importing changes nothing); bad rows are
    quarantined with their reasons in `error_report`."""
    data = await upload_bytes(file, MAX_RULES_UPLOAD, "文件超过 20 MB")
    return responsibility.run_out(db, responsibility.import_file(db, user, data, file.filename or "upload"))


@router.get("/catalog/rules/imports/{run_id}", summary="One responsibility-list import and its quarantined rows",
            responses=ok(schemas.RULES_IMPORT_EXAMPLE) | errors(403, 422)
            | err(404, "import_not_found", "导入记录不存在"))
def rules_import_run(run_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser) -> dict[str, Any]:
    return responsibility.run_out(db, responsibility.get_run(db, user, run_id))


@router.get("/catalog/rules/imports/{run_id}/errors.xlsx", response_class=Response,
            summary="The error report of an import: fix the rows and import it again",
            responses=xlsx("被隔离的行及原因（Excel），改正后可直接再次导入") | errors(403, 422)
            | err(404, "import_not_found", "导入记录不存在"))
def rules_error_report(run_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser):
    return xlsx_response(responsibility.error_report(db, user, run_id), "权责清单导入错误报告.xlsx")


# --- intake ---------------------------------------------------------------------------------

@router.post("/events/attachments", status_code=201, response_model=schemas.AttachmentOut,
             summary="Upload a photo or document to attach to a report or an action",
             responses=errors(413, 415, 422) | ATTACHMENT_TOO_LARGE)
async def upload(db: Db, user: CurrentUser,
                 file: Annotated[UploadFile, File(description="照片、PDF 或视频：JPEG/PNG/WebP/HEIC/PDF/MP4，不超过 10 MB")],
                 ) -> Any:
    return await _store(db, user, file)


async def _store(db, user, file: UploadFile):
    limit = get_settings().attachment_max_bytes
    data = await file.read(limit + 1)
    row = attachments.store(db, user, file.filename or "upload", data)
    return {"id": row.id, "filename": row.filename, "content_type": row.content_type, "size": row.size,
            "sha256": row.sha256}


@router.post("/events", status_code=201, response_model=schemas.EventOut,
             summary="Report an event (grid worker, centre or hotline entry); idempotent by client_id",
             responses={200: {"description": "Replay of an earlier report with the same client_id"}}
             | errors(403, 422) | err(409, "idempotency_key_reused", "该幂等键已用于另一份不同内容的上报"))
async def report(body: schemas.EventIn, request: Request, response: Response, user: ApiActor,
                 idempotency_key: Annotated[str | None, Header(max_length=64)] = None) -> Any:
    # the hot path (gridgov.events.intake): a cached user, cached catalog, locator and responsibility
    # list, prepared on the loop, and group commit — concurrent reports share one transaction. Most
    # grid reports do not even come here: gridgov.events.intake_http serves them before the router.
    out, created = await intake.file_report(request.app.state.sessionmaker, user, body, idempotency_key)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    return out


@router.get("/events", response_model=schemas.EventPage, summary="Queues and search, newest first",
            responses=errors(422))
def list_events(db: Db, user: CurrentUser,
                queue: Annotated[str | None, Query(description=", ".join(queues.QUEUES))] = None,
                state: Annotated[str | None, Query(max_length=200)] = None,
                item_code: Annotated[str | None, Query(max_length=16)] = None,
                category_code: Annotated[str | None, Query(max_length=16)] = None,
                channel: Annotated[str | None, Query(max_length=12)] = None,
                region: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None,
                q: Annotated[str | None, Query(max_length=60)] = None,
                since: datetime | None = None, until: datetime | None = None,
                before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    return queues.search(db, user, queue=queue, state=state, item_code=item_code, category_code=category_code,
                         channel=channel, region=region, q=q, since=since, until=until, before_id=before_id,
                         limit=limit)


@router.get("/events/queues", summary="How many events wait in each queue (badges)",
            description="Each count stops at `cap` (1000): a count equal to `cap` means that many or more.",
            responses=ok(schemas.QUEUES_EXAMPLE))
def queue_counts(db: Db, user: CurrentUser) -> dict[str, Any]:
    return {"labels": queues.QUEUES, "counts": queues.counts(db, user), "cap": queues.COUNT_CAP}


@router.get("/events/{ref}", response_model=schemas.EventDetail,
            summary="One event with its timeline, assignments and the actions you may take",
            responses=errors(422) | err(404, "event_not_found", "事件不存在或不在您的权限范围内"))
def event_detail(ref: EventRef, db: Db, user: CurrentUser) -> Any:
    return service.detail(db, user, ref)


@router.post("/events/{ref}/actions/{action}", response_model=schemas.EventOut,
             summary="Take a workflow action (accept, dispatch, sign, handle, verify_pass, ...)",
             responses=errors(422) | err(403, "permission_denied", "您的角色无权执行此操作", "不是您这一步的操作")
             | err(404, "event_not_found", "事件不存在或不在您的权限范围内", "事件不存在，或操作名未知（unknown_action）")
             | err(409, "invalid_transition", "事件当前状态为「已派遣」，不能执行「受理」",
                   "版本过期（version_conflict）或当前状态不允许该操作（invalid_transition）",
                   {"state": "dispatched", "action": "accept"}))
def event_action(ref: EventRef, action: ActionName, body: schemas.ActionIn, db: Db, user: CurrentUser) -> Any:
    if action not in {a.value for a in Action}:
        raise Invalid(f"未知的操作：{action}", code="unknown_action", status=404)
    e = service.act(db, user, ref, action, body.model_dump(), expected_version=body.version)
    from gridgov.events.parties import parties_of

    return service.event_out(e, parties=parties_of(db, user, e))


@router.get("/events/{ref}/attachments/{attachment_id}", response_class=FileResponse,
            summary="Download an attachment of an event you may see",
            responses=binary("附件原文件（类型按上传时检测）", "image/jpeg", "image/png", "image/webp", "image/heic",
                             "application/pdf", "video/mp4")
            | errors(422) | err(404, "attachment_not_found", "附件不存在"))
def event_attachment(ref: EventRef, attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db,
                     user: CurrentUser):
    e = get_visible(db, user, ref)
    row, path = attachments.open_attachment(db, attachment_id)
    if row.event_id != e.id or not path.exists():
        raise NotFound("附件不存在", code="attachment_not_found")
    return FileResponse(path, media_type=row.content_type, filename=row.filename)


# --- inbox ----------------------------------------------------------------------------------

@router.get("/inbox", summary="Your notifications (dispatched to you, urged, overdue, returned, ...)",
            responses=ok(schemas.INBOX_EXAMPLE) | errors(422))
def get_inbox(db: Db, user: CurrentUser, unread: bool = False,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    return inbox.list_inbox(db, user, unread_only=unread, limit=limit)


@router.post("/inbox/read", summary="Mark one notification (or all) as read",
             responses=ok({"marked": 1}) | errors(422) | err(404, "notification_not_found", "通知不存在"))
def read_inbox(db: Db, user: CurrentUser,
               notification_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> dict[str, int]:
    return {"marked": inbox.mark_read(db, user, notification_id)}


# --- 一键通 notices ---------------------------------------------------------------------------

@router.post("/notices", status_code=201, summary="一键通: send a notice to the grid workers of a region (centre)",
             responses=ok(schemas.NOTICE_EXAMPLE, 201) | errors(403, 422))
def send_notice(body: schemas.NoticeIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    n = notices.send(db, user, title=body.title, body=body.body, region_code=body.region_code,
                     requires_reply=body.requires_reply)
    return notices.notice_out(n)


@router.get("/notices/sent", summary="Notices you sent, with read and reply counts",
            responses=ok([schemas.SENT_NOTICE_EXAMPLE]))
def sent_notices(db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return notices.sent(db, user)


@router.get("/notices/{notice_id}/receipts", summary="Who read and what they replied",
            responses=ok(schemas.RECEIPTS_EXAMPLE) | errors(422) | NOTICE_NOT_FOUND)
def notice_receipts(notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return notices.receipts(db, user, notice_id)


@router.get("/notices", summary="Notices sent to you", responses=ok([schemas.MY_NOTICE_EXAMPLE]))
def my_notices(db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return notices.my_notices(db, user)


@router.post("/notices/{notice_id}/read", summary="Mark a notice read (read receipt)",
             responses=ok(schemas.READ_NOTICE_EXAMPLE) | errors(422) | NOTICE_NOT_FOUND)
def read_notice(notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser) -> dict[str, Any]:
    return notices.mark_read(db, user, notice_id)


@router.post("/notices/{notice_id}/reply", summary="Reply to a notice",
             responses=ok(schemas.MY_NOTICE_EXAMPLE) | errors(422) | NOTICE_NOT_FOUND)
def reply_notice(notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: schemas.NoticeReplyIn, db: Db,
                 user: CurrentUser) -> dict[str, Any]:
    return notices.reply(db, user, notice_id, body.reply)


# --- the resident ---------------------------------------------------------------------------

@public.post("/attachments", status_code=201, response_model=schemas.AttachmentOut,
             summary="Upload a photo for a resident report (no login)", dependencies=[limit("report")],
             responses=errors(413, 415, 422) | ATTACHMENT_TOO_LARGE | RATE_LIMITED_RESPONSES)
async def public_upload(db: Db, file: Annotated[UploadFile, File(description="现场照片：JPEG/PNG/WebP/HEIC，不超过 10 MB")],
                        user: OptionalUser) -> Any:
    return await _store(db, user, file)


@public.post("/reports", status_code=201, response_model=schemas.TrackingOut,
             summary="随手拍: report a problem (anonymous allowed); returns a tracking code",
             dependencies=[limit("report")],
             responses={200: {"description": "Replay of an earlier report with the same client_id"}} | errors(422)
             | ITEM_NOT_PUBLIC | RATE_LIMITED_RESPONSES)
def resident_report(body: schemas.ResidentReportIn, response: Response, db: Db, user: OptionalUser) -> Any:
    catalog.current_public_item(db, body.item_code)  # residents file public items only (422 item_not_public)
    data = body.model_dump()
    e, created = service.report(db, user, data, channel="resident",
                                reporter={"name": body.name, "phone": body.phone})
    if not created:
        response.status_code = 200
    return service.public_view(db, e)


@public.get("/reports/{tracking_code}", response_model=schemas.TrackingOut,
            summary="Follow a report by its tracking code (no login)", dependencies=[limit("lookup")],
            responses=errors(422) | TRACKING_NOT_FOUND | RATE_LIMITED_RESPONSES)
def track(tracking_code: Annotated[str, Path(pattern="^[A-Za-z0-9]{6,16}$")], db: Db) -> Any:
    return service.public_view(db, service.by_tracking_code(db, tracking_code))


@public.post("/reports/{tracking_code}/rating", response_model=schemas.TrackingOut,
             summary="Rate the result once the event is closed (满意 / 基本满意 / 不满意)",
             dependencies=[limit("report")],
             responses=errors(422) | TRACKING_NOT_FOUND | RATE_LIMITED_RESPONSES
             | err(409, "invalid_transition", "事件当前状态为「已上报」，不能执行「评价」", "事件尚未结案，或已评价",
                   {"state": "reported", "action": "evaluate"}))
def rate(tracking_code: Annotated[str, Path(pattern="^[A-Za-z0-9]{6,16}$")], body: schemas.RatingIn, db: Db) -> Any:
    e = service.rate_by_tracking_code(db, tracking_code, body.rating, body.comment)
    return service.public_view(db, e)

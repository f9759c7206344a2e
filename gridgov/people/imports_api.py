"""HTTP API for register imports (templates, upload, quarantine report) and exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.responses import Response

from gridgov.access.deps import CurrentUser, Db
from gridgov.integration.http import upload_bytes, xlsx_response
from gridgov.openapi import err, errors, ok, xlsx
from gridgov.people import imports, schemas

router = APIRouter(prefix="/api/v1", tags=["people"], responses=errors(401))
Entity = Annotated[str, Path(pattern="^(persons|houses|buildings|organizations)$")]
MAX_UPLOAD = 50 * 1024 * 1024


@router.get("/imports/templates/{entity}.xlsx", response_class=Response, summary="Download an import template",
            responses=xlsx("导入模板（Excel）：表头、填写说明和示例行") | errors(422))
def import_template(entity: Entity, user: CurrentUser):
    return xlsx_response(imports.template(entity), f"{imports.schema_of(entity).name_cn}导入模板.xlsx")


@router.post("/imports/{entity}", summary="Import persons/houses/buildings/organizations from .xlsx or .csv",
             responses=ok(schemas.IMPORT_RUN_EXAMPLE) | errors(403) | err(413, "too_large", "文件超过 50 MB，请拆分后导入")
             | err(422, "missing_column", "缺少必填列：楼栋编码、房号", "文件无法读取，或缺少必填列（逐行错误不拒绝文件，而是隔离）",
                   {"missing": ["楼栋编码", "房号"]}))
async def import_file(entity: Entity, db: Db, user: CurrentUser,
                      file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8 or GBK)")]) -> dict[str, Any]:
    """Good rows load, bad rows are quarantined with reasons (see `error_report`); importing the
    same file again changes nothing."""
    data = await upload_bytes(file, MAX_UPLOAD, "文件超过 50 MB，请拆分后导入")
    run = imports.run_import(db, user, entity, data, file.filename or "upload")
    return imports.run_out(db, run)


@router.get("/imports/{run_id}", summary="An import run: counts and quarantined rows",
            responses=ok(schemas.IMPORT_RUN_EXAMPLE) | errors(403, 422) | err(404, "import_not_found", "导入记录不存在"))
def import_run(run_id: int, db: Db, user: CurrentUser) -> dict[str, Any]:
    return imports.run_out(db, imports.get_run(db, user, run_id))


@router.get("/imports/{run_id}/errors.xlsx", response_class=Response,
            summary="The quarantined rows with reasons, ready to fix and re-import",
            responses=xlsx("被隔离的行及原因（Excel），改正后可直接再次导入") | errors(403, 422) | err(404, "import_not_found", "导入记录不存在"))
def import_errors(run_id: int, db: Db, user: CurrentUser):
    return xlsx_response(imports.error_report(db, user, run_id), f"导入错误报告-{run_id}.xlsx")


@router.get("/exports/{entity}.xlsx", response_class=Response,
            summary="Watermarked, masked Excel export within your scope (audited)",
            responses=xlsx("带水印、已脱敏的 Excel 导出（仅您管辖范围内的数据）") | errors(403, 422))
def export_entity(entity: Annotated[str, Path(pattern="^(persons|organizations)$")], db: Db, user: CurrentUser):
    return xlsx_response(imports.export(db, user, entity), f"{imports.SCHEMAS[entity].name_cn}导出.xlsx")

"""The `gridgov` command line (Typer). Long work shows a Rich progress bar."""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="gridgov — 网格化社会治理平台 (grid-based social governance).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)
regions_app = typer.Typer(help="Regions and grids: import and check.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(regions_app, name="regions")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")

console = Console(stderr=True)


def _err(message: str) -> None:
    """An error line on stderr, unwrapped (scripts and tests grep it)."""
    typer.secho(message, err=True, fg="red")

DbUrl = Annotated[str | None, typer.Option("--database-url", envvar="GRIDGOV_DATABASE_URL",
                                           help="SQLAlchemy URL (default: the SQLite file under var/)")]


def _url(url: str | None) -> str:
    from gridgov.settings import get_settings

    return url or get_settings().database_url


@contextmanager
def progress_bar():
    """Yields a callback ``(stage, done, total)`` drawing one bar per stage."""
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


def _session(url: str):
    from gridgov.db import ensure_migrated, get_engine, session_scope

    engine = get_engine(url)
    try:
        ensure_migrated(engine)
    except Exception as exc:  # NotMigrated or a connection error: say it plainly
        _err(f"{exc}")
        raise typer.Exit(2) from exc
    return session_scope(engine)


@contextmanager
def _work(database_url: str | None):
    """The database session of one command; a refusal (``AppError``) becomes its Chinese message on
    stderr and exit code 2, and nothing of the command's writes is kept."""
    from gridgov.errors import AppError

    try:
        with _session(_url(database_url)) as db:
            yield db
    except AppError as exc:
        _err(exc.message)
        raise typer.Exit(2) from exc


# --- db -------------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None) -> None:
    """Create or migrate the database schema to the newest version."""
    from gridgov.db import upgrade

    url = _url(database_url)
    upgrade(url)
    console.print("[green]数据库已迁移到最新版本[/green]")


@db_app.command("current")
def db_current(database_url: DbUrl = None) -> None:
    """Show the database's migration and the one the code needs."""
    from gridgov.db import current_revision, get_engine, head_revision

    url = _url(database_url)
    typer.echo(f"current: {current_revision(get_engine(url))}\nhead:    {head_revision(url)}")


# --- serve and demo -------------------------------------------------------------------------

@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port")] = 8000,
          workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
          database_url: DbUrl = None) -> None:
    """Run the web UI and the API. Refuses to start on an unmigrated database."""
    import os

    import uvicorn

    from gridgov.app import create_app
    from gridgov.db import NotMigrated

    url = _url(database_url)
    os.environ["GRIDGOV_DATABASE_URL"] = url
    try:
        create_app(url)
    except NotMigrated as exc:
        _err(f"无法启动：{exc}")
        raise typer.Exit(2) from exc
    console.print(f"[green]gridgov 已启动：http://{host}:{port}[/green]")
    # no access log (one line per request is real CPU at thousands of reports a second); uvloop is
    # used when installed; the HTTP protocol is uvicorn's (httptools when installed, else h11) with
    # TCP_NODELAY set, which uvicorn's own socket for several workers misses (gridgov.serving)
    uvicorn.run("gridgov.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, http="gridgov.serving:NoDelayHttpProtocol")


@app.command()
def demo(scale: Annotated[str, typer.Option(help="tiny | county | city")] = "county",
         seed: Annotated[int, typer.Option(help="Random seed (same seed, same demo)")] = 1,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="Only write the database and exit")] = False,
         events: Annotated[int | None, typer.Option(
             min=0, max=100_000_000,
             help="Events in the year of history (default: the scale's own, ~80,000 for the county; "
                  "10000000 makes a large city's year, written in chunks of 100,000)")] = None,
         host: str = "127.0.0.1", port: int = 8000, database_url: DbUrl = None) -> None:
    """Generate the synthetic demo county (or city) into a fresh database, then serve it."""
    from sqlalchemy import inspect

    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.loader import load_demo

    if scale not in ("tiny", "county", "city"):
        raise typer.BadParameter("scale must be tiny, county or city", param_hint="--scale")
    url = _url(database_url)
    started = time.perf_counter()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with get_engine(url).connect() as conn:
            if inspect(conn).has_table("regions"):
                _err("目标 PostgreSQL 数据库非空；请使用新建的空数据库运行 demo")
                raise typer.Exit(2)
    upgrade(url)
    with progress_bar() as update, session_scope(get_engine(url)) as db:
        ctx = load_demo(db, scale, seed, progress=update, events=events)
    elapsed = time.perf_counter() - started
    table = Table(title=f"演示数据：{ctx.top_name}（{scale}，seed={seed}，用时 {elapsed:.1f} 秒）")
    for col in ("角色", "用户名", "密码"):
        table.add_column(col)
    from gridgov.access.roles import ROLE_LABELS, Role

    for role, (username, password) in ctx.users.items():
        table.add_row(ROLE_LABELS[Role(role)], username, password)
    console.print(table)
    console.print("区域数量：" + "，".join(f"{k} {v}" for k, v in ctx.counts.items()))
    if ctx.register:
        console.print(register_table(ctx.register))
    if not no_serve:
        serve(host=host, port=port, workers=1, database_url=url)


REGISTER_LABELS = {"buildings": "楼栋", "houses": "房屋", "persons": "实有人口", "households": "户",
                   "household_members": "户成员", "residences": "居住关系", "special_group_members": "特殊人群",
                   "visits": "走访记录", "organizations": "单位", "addresses": "标准地址", "address_aliases": "地址别名",
                   "grid_workers": "网格员", "events": "事件（一年）", "event_logs": "事件流转记录",
                   "event_assignments": "派遣记录", "disputes": "矛盾纠纷", "dispute_parties": "纠纷当事人",
                   "mediation_sessions": "调解记录"}
REGISTER_STEPS = {"generate": "生成数据", "plan_addresses": "生成标准地址", "indexes": "重建索引与外键",
                  "events": "生成并写入事件历史", "disputes": "生成并写入矛盾纠纷", "total": "人口与房屋合计"}


def register_table(register: dict[str, float]) -> Table:
    """The register the demo wrote: rows and seconds per table, then the steps' seconds.

    ``register`` is the loader's ``ctx.register``: ``{table: rows, ..., "write_<table>_s": seconds,
    "<step>_s": seconds}``; tables and steps it does not know are shown under their own names."""
    rows = {k: v for k, v in register.items() if not k.endswith("_s")}
    seconds = {k[:-2]: v for k, v in register.items() if k.endswith("_s")}
    table = Table(title="人口与房屋登记（演示数据）")
    table.add_column("数据")
    table.add_column("条数", justify="right")
    table.add_column("写入用时（秒）", justify="right")
    for key, n in rows.items():
        took = seconds.pop(f"write_{key}", None)
        table.add_row(REGISTER_LABELS.get(key, key), f"{int(n):,}", f"{took:.1f}" if took is not None else "")
    if rows and seconds:
        table.add_section()
    for key in sorted(seconds, key=lambda k: k == "total"):   # the total last
        table.add_row(REGISTER_STEPS.get(key, key.removeprefix("write_")), "", f"{seconds[key]:.1f}",
                      style="bold" if key == "total" else None)
    return table


# --- regions --------------------------------------------------------------------------------

@regions_app.command("import")
def regions_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection")],
                   crs: Annotated[str, typer.Option(help="wgs84 | cgcs2000 | gcj02 | bd09")] = "wgs84",
                   dry_run: Annotated[bool, typer.Option("--dry-run", help="Only check topology")] = False,
                   database_url: DbUrl = None) -> None:
    """Import regions/grids: validate everything first; a failed import writes nothing."""
    from gridgov.errors import AppError
    from gridgov.regions import service

    try:
        data = service.feature_collection_from_bytes(file.read_bytes())
        items, pre = service.parse_feature_collection(data, crs)
        with _session(_url(database_url)) as db, progress_bar() as update:
            result = service.import_regions(db, None, items, pre_report=pre, dry_run=dry_run,
                                            source=file.name, progress=update)
            if not result["report"]["ok"]:
                db.rollback()
    except AppError as exc:
        _err(f"{exc.message}")
        raise typer.Exit(2) from exc
    report = result["report"]
    if not report["ok"]:
        for issue in report["errors"][:50]:
            area = f"（{issue['area_m2']} m²）" if issue["area_m2"] is not None else ""
            _err(f"{issue['kind']} {issue['code']}: {issue['message']}{area}")
        _err(f"共 {report['error_count']} 个问题，未写入任何数据")
        raise typer.Exit(1)
    verb = "检查通过" if dry_run else "导入完成"
    console.print(f"[green]{verb}[/green]：新增 {result['created']}，更新 {result['updated']}，未变 {result['unchanged']}")


@app.command()
def locate(crs: Annotated[str, typer.Option(help="wgs84 | cgcs2000 | gcj02 | bd09")] = "wgs84",
           database_url: DbUrl = None) -> None:
    """Read `lon,lat` lines on stdin, write one JSON object per line (null outside every grid)."""
    import numpy as np

    from gridgov.regions import service
    from gridgov.regions.coords import to_wgs84

    lines = [ln.strip() for ln in sys.stdin if ln.strip()]
    lon, lat, bad = [], [], []
    for n, line in enumerate(lines):
        try:
            x, y = (float(v) for v in line.replace("\t", ",").replace(" ", ",").split(",") if v)
            if not (abs(x) <= 180 and abs(y) <= 90):
                raise ValueError
        except ValueError:
            bad.append(n)
            x, y = float("nan"), float("nan")
        lon.append(x)
        lat.append(y)
    with _session(_url(database_url)) as db:
        x, y = to_wgs84(np.array(lon), np.array(lat), crs) if lines else (np.array([]), np.array([]))
        results = service.locate(db, x, y) if lines else []
    bad_set = set(bad)
    out = sys.stdout
    for n, (line, result) in enumerate(zip(lines, results)):
        if n in bad_set:
            out.write(json.dumps({"input": line, "error": "无法解析为 经度,纬度"}, ensure_ascii=False) + "\n")
        else:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    if bad:
        raise typer.Exit(1)


# --- users and audit ------------------------------------------------------------------------

@user_app.command("add")
def user_add(name: Annotated[str, typer.Argument(help="Username")],
             role: Annotated[str, typer.Option(help="admin | operator | handler | grid_worker | leader | resident")],
             scope: Annotated[list[str] | None, typer.Option(help="Region/grid code of the scope (repeatable)")] = None,
             department: Annotated[str | None, typer.Option(help="Department code")] = None,
             display_name: Annotated[str | None, typer.Option(help="Name shown in the UI")] = None,
             password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
             database_url: DbUrl = None) -> None:
    """Create a user. The password is read from stdin (never from the command line)."""
    from gridgov.access import service

    if not password_stdin:
        _err("请使用 --password-stdin 从标准输入提供密码")
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    with _work(database_url) as db:
        user = service.create_user(db, None, username=name, password=password, role=role,
                                   display_name=display_name, scopes=scope or [], department_code=department)
        console.print(f"[green]已创建用户 {user.username}（{user.role}）[/green]")


@audit_app.command("verify")
def audit_verify(database_url: DbUrl = None) -> None:
    """Recompute the hash chain; exit 1 and name the first broken row if it was tampered with."""
    from gridgov.access import audit

    with _session(_url(database_url)) as db:
        checked, broken = audit.verify(db)
    if broken is None:
        console.print(f"[green]审计链完整：已校验 {checked} 条记录[/green]")
        return
    _err(f"审计链被破坏：第 {broken.seq} 条记录 — {broken.reason}（已校验 {checked} 条）")
    raise typer.Exit(1)


# --- register import / export ---------------------------------------------------------------

def _acting_user(db, username: str | None):
    if username is None:
        return None
    from sqlalchemy import select

    from gridgov.access.models import User

    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        _err(f"用户 {username} 不存在")
        raise typer.Exit(2)
    return user


@app.command("import")
def import_file(entity: Annotated[str, typer.Argument(help="persons | houses | buildings | organizations")],
                file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")],
                as_user: Annotated[str | None, typer.Option("--as", help="Import as this user (scope, audit)")] = None,
                report: Annotated[Path | None, typer.Option(help="Where to write the error report (.xlsx)")] = None,
                database_url: DbUrl = None) -> None:
    """Import register rows; bad rows are quarantined and written to an error report to fix and re-import."""
    from gridgov.people import imports

    with _work(database_url) as db, progress_bar() as update:
        run = imports.run_import(db, _acting_user(db, as_user), entity, file.read_bytes(), file.name,
                                 progress=update)
        summary = imports.run_out(db, run, with_rows=False)
        report_bytes = imports.error_report_xlsx_for(db, run) if run.quarantined else None
    console.print(f"共 {summary['total']} 行：新增 {summary['created']}，更新 {summary['updated']}，"
                  f"未变 {summary['unchanged']}，隔离 {summary['quarantined']}，空行 {summary['empty_rows']}")
    if report_bytes:
        target = report or file.with_name(f"{file.stem}-错误报告.xlsx")
        target.write_bytes(report_bytes)
        _err(f"{summary['quarantined']} 行未导入，原因见 {target}")
        raise typer.Exit(1)


@app.command("export")
def export_file(entity: Annotated[str, typer.Argument(help="persons | organizations")],
                as_user: Annotated[str, typer.Option("--as", help="Export as this user (scope, watermark)")],
                out: Annotated[Path, typer.Option(help="Output .xlsx")],
                database_url: DbUrl = None) -> None:
    """A watermarked, masked Excel export within the user's scope (audited)."""
    from gridgov.people import imports

    with _work(database_url) as db:
        out.write_bytes(imports.export(db, _acting_user(db, as_user), entity))
    console.print(f"已导出到 {out}")


# --- addresses ------------------------------------------------------------------------------

address_app = typer.Typer(help="Chinese addresses: parse into elements.", no_args_is_help=True)
app.add_typer(address_app, name="address")


@address_app.command("parse")
def address_parse(batch: Annotated[int, typer.Option(help="Addresses parsed together")] = 2000) -> None:
    """Read one address per line on stdin; write one JSON object per line:
    {"text": ..., "elements": [{"label": "prov", "text": "浙江省", "start": 0, "end": 3}, ...]}."""
    from gridgov.places.address import parse_to_json_lines

    out = sys.stdout
    lines: list[str] = []
    for raw in sys.stdin:
        lines.append(raw.rstrip("\r\n"))
        if len(lines) >= batch:
            out.writelines(line + "\n" for line in parse_to_json_lines(lines))
            lines.clear()
    if lines:
        out.writelines(line + "\n" for line in parse_to_json_lines(lines))
    out.flush()


# --- events ---------------------------------------------------------------------------------

catalog_app = typer.Typer(help="The event catalog (事项清单).", no_args_is_help=True)
events_app = typer.Typer(help="Events: the clock.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(events_app, name="events")


@catalog_app.command("install")
def catalog_install(database_url: DbUrl = None) -> None:
    """Write the shipped catalog as version 1 (does nothing if the database already has a catalog)."""
    from gridgov.events.defaults import install_catalog

    with _session(_url(database_url)) as db:
        v = install_catalog(db)
    console.print("已安装默认事项清单（第 1 版）" if v else "数据库已有事项清单，未作改动")


@catalog_app.command("show")
def catalog_show(database_url: DbUrl = None) -> None:
    """Print the current catalog: categories, item counts and default departments."""
    from gridgov.events.catalog import catalog_out

    with _session(_url(database_url)) as db:
        cat = catalog_out(db)
    table = Table(title=f"事项清单 第 {cat['version']} 版")
    for col in ("类别", "名称", "事项数", "可自处置"):
        table.add_column(col)
    for c in cat["categories"]:
        table.add_row(c["code"], c["name"], str(len(c["items"])), str(sum(i["self_resolvable"] for i in c["items"])))
    console.print(table)


@events_app.command("clock")
def events_clock(once: Annotated[bool, typer.Option(help="Sweep once and exit")] = False,
                 database_url: DbUrl = None) -> None:
    """Run the clock sweep (warn, mark overdue, escalate): once, or every GRIDGOV_EVENT_SWEEP_SECONDS.

    Safe beside `gridgov serve` and other workers: a lease in the database lets one sweep at a time."""
    import threading

    from gridgov.db import get_engine, session_factory
    from gridgov.events.clock import run_forever, run_once

    with _session(_url(database_url)):
        pass
    factory = session_factory(get_engine(_url(database_url)))
    if once:
        counts = run_once(factory)
        console.print("另一进程正在执行" if counts is None else
                      f"预警 {counts['warned']}，超期 {counts['overdue']}，上报上级 {counts['escalated']}")
        return
    console.print("事件计时器已启动（Ctrl+C 停止）")
    stop = threading.Event()
    try:
        run_forever(factory, stop)
    except KeyboardInterrupt:
        stop.set()


# --- open311 --------------------------------------------------------------------------------

open311_app = typer.Typer(help="Open311 GeoReport v2: client API keys.", no_args_is_help=True)
open311_key_app = typer.Typer(help="API keys of Open311 client apps (only their SHA-256 is stored).", no_args_is_help=True)
app.add_typer(open311_app, name="open311")
open311_app.add_typer(open311_key_app, name="key")


@open311_key_app.command("add")
def open311_key_add(name: Annotated[str, typer.Argument(help="Who the key is for, e.g. the app's name")],
                    contact: Annotated[str | None, typer.Option(help="How to reach its maintainer")] = None,
                    database_url: DbUrl = None) -> None:
    """Make a key and print it once on stdout (it cannot be shown again)."""
    from gridgov.open311.keys import create_api_key

    with _work(database_url) as db:
        key = create_api_key(db, name, contact)
    console.print(f"[green]已为「{name}」生成 Open311 api_key（只显示这一次，请妥善转交）：[/green]")
    typer.echo(key)


@open311_key_app.command("list")
def open311_key_list(database_url: DbUrl = None) -> None:
    """The keys: id, first characters, name, contact, active, last used."""
    from gridgov.open311.keys import list_api_keys

    with _session(_url(database_url)) as db:
        keys = list_api_keys(db)
    table = Table(title="Open311 api_key")
    for col in ("id", "前缀", "名称", "联系方式", "启用", "创建", "最近使用"):
        table.add_column(col)
    for k in keys:
        table.add_row(str(k["id"]), f"o311_{k['prefix']}…", k["name"], k["contact"] or "", "是" if k["active"] else "否",
                      f"{k['created_at']:%Y-%m-%d}", f"{k['last_used_at']:%Y-%m-%d %H:%M}" if k["last_used_at"] else "")
    console.print(table)


@open311_key_app.command("revoke")
def open311_key_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `gridgov open311 key list`)")],
                       database_url: DbUrl = None) -> None:
    """Switch a key off: POSTs with it get 403 from now on."""
    from gridgov.open311.keys import revoke_api_key

    with _work(database_url) as db:
        revoke_api_key(db, key_id)
    console.print(f"[green]已停用 api_key {key_id}[/green]")


# --- sensors --------------------------------------------------------------------------------

sensors_app = typer.Typer(help="物联感知: sensor devices and their keys (only SHA-256 is stored).", no_args_is_help=True)
sensors_key_app = typer.Typer(help="Integration keys shared by an IoT platform's devices.", no_args_is_help=True)
app.add_typer(sensors_app, name="sensors")
sensors_app.add_typer(sensors_key_app, name="key")


@sensors_app.command("add")
def sensors_add(code: Annotated[str, typer.Argument(help="The device's id (IMEI, serial number)")],
                name: Annotated[str, typer.Option(help="What and where, e.g. 人民路12号3单元烟感")],
                lon: Annotated[float, typer.Option(help="WGS84 longitude")],
                lat: Annotated[float, typer.Option(help="WGS84 latitude")],
                device_type: Annotated[str, typer.Option("--type", help="smoke | manhole_tilt | water_level | gas | "
                                                                        "hydrant_pressure | other")] = "other",
                item: Annotated[str | None, typer.Option(help="Catalog item its alarms file as (default by type)")] = None,
                department: Annotated[str | None, typer.Option(help="Owner department code, e.g. 211021-XF")] = None,
                address: Annotated[str | None, typer.Option(help="Address text")] = None,
                key_id: Annotated[int | None, typer.Option(help="Use this integration key (else the device gets "
                                                                "its own)")] = None,
                database_url: DbUrl = None) -> None:
    """Register a device; prints its own key once on stdout (unless --key-id)."""
    from sqlalchemy import select

    from gridgov.access.models import Department
    from gridgov.errors import AppError
    from gridgov.sensors.schemas import DeviceIn
    from gridgov.sensors.service import register_device

    try:
        with _session(_url(database_url)) as db:
            dept_id = None
            if department:
                dept_id = db.scalar(select(Department.id).where(Department.code == department))
                if dept_id is None:
                    _err(f"部门 {department} 不存在")
                    raise typer.Exit(2)
            body = DeviceIn(code=code, type=device_type, name=name, lon=lon, lat=lat, item_code=item,
                            department_id=dept_id, address=address, key_id=key_id).model_dump()
            device, key = register_device(db, None, body)
            grid = device.grid_code
    except AppError as exc:
        _err(exc.message)
        raise typer.Exit(2) from exc
    except ValueError as exc:  # pydantic's ValidationError
        _err(f"参数有误：{exc}")
        raise typer.Exit(2) from exc
    console.print(f"[green]已登记设备 {code}（网格 {grid}）[/green]")
    if key:
        console.print("[green]设备密钥（只显示这一次，请写入设备的 X-Sensor-Key）：[/green]")
        typer.echo(key)


@sensors_app.command("list")
def sensors_list(all_devices: Annotated[bool, typer.Option("--all", help="Include inactive devices")] = False,
                 database_url: DbUrl = None) -> None:
    """The devices: code, type, name, grid, item, key, active, last seen."""
    from gridgov.sensors.service import list_devices

    with _session(_url(database_url)) as db:
        rows = list_devices(db, None, active=None if all_devices else True, limit=100_000)
    table = Table(title="物联设备")
    table.add_column("编码", no_wrap=True)
    for col in ("类型", "名称", "网格", "事项", "密钥", "启用", "最近上报"):
        table.add_column(col)
    for d in rows:
        table.add_row(d["code"], d["type_label"], d["name"], d["grid_code"] or "", d["item_code"],
                      f"{d['key_kind']} #{d['key_id']}", "是" if d["active"] else "否",
                      f"{d['last_seen_at']:%Y-%m-%d %H:%M}" if d["last_seen_at"] else "")
    console.print(table)


@sensors_app.command("revoke")
def sensors_revoke(code: Annotated[str, typer.Argument(help="Device code (or id)")], database_url: DbUrl = None) -> None:
    """Deactivate a device: its alarms get 403 from now on (its own key is revoked with it)."""
    from gridgov.sensors.service import deactivate_device

    with _work(database_url) as db:
        deactivate_device(db, None, code)
    console.print(f"[green]已停用设备 {code}[/green]")


@sensors_key_app.command("add")
def sensors_key_add(name: Annotated[str, typer.Argument(help="The IoT platform or integration")],
                    database_url: DbUrl = None) -> None:
    """Make an integration key and print it once on stdout."""
    from gridgov.sensors.service import create_integration_key

    with _work(database_url) as db:
        row, key = create_integration_key(db, name)
        key_id = row.id
    console.print(f"[green]已生成平台密钥 #{key_id}「{name}」（只显示这一次）；登记设备时用 --key-id {key_id}[/green]")
    typer.echo(key)


@sensors_key_app.command("list")
def sensors_key_list(database_url: DbUrl = None) -> None:
    """The keys: id, first characters, name, kind, devices, active, last used."""
    from gridgov.sensors.service import list_keys

    with _session(_url(database_url)) as db:
        keys = list_keys(db)
    table = Table(title="物联密钥")
    for col in ("id", "前缀", "名称", "类型", "设备数", "启用", "最近使用"):
        table.add_column(col)
    for k in keys:
        table.add_row(str(k["id"]), f"sns_{k['prefix']}…", k["name"], k["kind"], str(k["devices"]),
                      "是" if k["active"] else "否",
                      f"{k['last_used_at']:%Y-%m-%d %H:%M}" if k["last_used_at"] else "")
    console.print(table)


@sensors_key_app.command("revoke")
def sensors_key_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `gridgov sensors key list`)")],
                       database_url: DbUrl = None) -> None:
    """Switch a key off: every device using it gets 403 from now on."""
    from gridgov.sensors.service import revoke_key

    with _work(database_url) as db:
        revoke_key(db, key_id)
    console.print(f"[green]已停用物联密钥 {key_id}[/green]")


if __name__ == "__main__":
    app()

"""Writes a generated demo (regions, departments, one user per role) into a database.

Kept apart from the pure generator (`geometry.py`, `names.py`) so that later domains (people,
events) add their own generation step here: each step is a function taking the session, the
generated context and a progress callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access import service as access
from gridgov.access.roles import Role
from gridgov.regions.models import Region
from gridgov.regions.service import write_regions
from gridgov.regions.topology import RegionInput, validate

Progress = Callable[[str, int, int], None]

DEMO_PASSWORD = "gridgov2026"


@dataclass
class DemoContext:
    scale: str
    seed: int
    top_code: str = ""          # the county (county scale) or city (city scale)
    top_name: str = ""
    first_grid: str = ""
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (username, password)
    counts: dict[str, int] = field(default_factory=dict)
    today: date | None = None   # the register's "today" (ages, move-in dates, visits due); None: date.today()
    register: dict[str, float] = field(default_factory=dict)  # rows written and seconds taken by the people step
    events: int | None = None   # events in the year of history; None: the scale's own volume (demo/events.py)


def load_regions(db: Session, ctx: DemoContext, progress: Progress | None = None) -> None:
    from gridgov.demo.geometry import generate_regions

    specs = generate_regions(ctx.scale, seed=ctx.seed, progress=progress)
    items = [RegionInput(code=s.code, name=s.name, level=s.level, parent_code=s.parent_code,
                         geometry=s.geometry, exclusive_type=s.exclusive_type) for s in specs]
    counts: dict[str, int] = {}
    for s in specs:
        counts[s.level] = counts.get(s.level, 0) + 1
    ctx.counts = counts
    top_level = "city" if ctx.scale == "city" else "county"
    top = next(s for s in specs if s.level == top_level)
    ctx.top_code, ctx.top_name = top.code, top.name
    ctx.first_grid = min(s.code for s in specs if s.level == "grid")
    if progress:
        progress("拓扑检查", 0, 1)
    report = validate(items)  # the generator's output passes the same checks as any import
    if not report.ok:
        raise RuntimeError(f"generated demo failed topology checks: {report.as_dict(limit=5)}")
    if progress:
        progress("拓扑检查", 1, 1)
    write_regions(db, items, progress=progress)
    audit.record(db, None, "demo.regions", "region_import", f"demo-{ctx.scale}-{ctx.seed}",
                 detail={"counts": counts})


def load_users(db: Session, ctx: DemoContext, progress: Progress | None = None) -> None:
    from gridgov.events.defaults import install_catalog, install_departments

    prefix = ctx.top_code
    towns = db.execute(select(Region.code, Region.name).where(
        Region.level == "town", Region.valid_to.is_(None), Region.code.startswith(prefix)).order_by(Region.code)).all()
    ctx.counts["departments"] = install_departments(db, prefix, ctx.top_name, [tuple(t) for t in towns])
    install_catalog(db)
    users = [
        ("admin", "系统管理员", Role.admin, [], None),
        ("operator", "中心坐席 李娜", Role.operator, [prefix], f"{prefix}-ZZ"),
        ("handler", "城管执法 张伟", Role.handler, [], f"{prefix}-CG"),
        ("gridworker", "网格员 王芳", Role.grid_worker, [ctx.first_grid], None),
        ("leader", "分管领导 刘强", Role.leader, [prefix], None),
        ("resident", "居民 陈静", Role.resident, [], None),
    ]
    for n, (username, display, role, scopes, dept) in enumerate(users, start=1):
        access.create_user(db, None, username=username, password=DEMO_PASSWORD, role=role.value,
                           display_name=display, scopes=scopes, department_code=dept)
        ctx.users[role.value] = (username, DEMO_PASSWORD)
        if progress:
            progress("创建用户", n, len(users))


def load_register(db: Session, ctx: DemoContext, progress: Progress | None = None) -> None:
    """Buildings, houses, the standard address library, households, persons, special groups,
    organizations, grid workers."""
    from gridgov.demo.people import load_people

    load_people(db, ctx, progress)


def load_event_history(db: Session, ctx: DemoContext, progress: Progress | None = None) -> None:
    """A year of events over the register (see gridgov/demo/events.py)."""
    from gridgov.demo.events import load_events

    load_events(db, ctx, progress)


def load_dispute_history(db: Session, ctx: DemoContext, progress: Progress | None = None) -> None:
    """Dispute records for the history's dispute events (see gridgov/demo/disputes.py)."""
    from gridgov.demo.disputes import load_disputes

    load_disputes(db, ctx, progress)


STEPS: list[Callable[[Session, DemoContext, Progress | None], None]] = [
    load_regions, load_users, load_register, load_event_history, load_dispute_history]


def load_demo(db: Session, scale: str, seed: int, progress: Progress | None = None,
              events: int | None = None) -> DemoContext:
    if scale not in ("tiny", "county", "city"):
        raise ValueError(f"unknown scale {scale!r}: tiny, county or city")
    if events is not None and events < 0:
        raise ValueError("events must be 0 or more")
    ctx = DemoContext(scale=scale, seed=seed, events=events)
    for step in STEPS:
        step(db, ctx, progress)
    return ctx

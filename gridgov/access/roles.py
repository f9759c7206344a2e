"""Roles and what each may do. Pure data: no database imports.

A role says what kind of work a user does; the *scope* (region subtree and/or department) says
where. Permissions are coarse verbs checked by services; scope is checked by `access.scope`.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"            # 系统管理员
    operator = "operator"      # 中心坐席 (综治中心/网格中心)
    handler = "handler"        # 部门处置人员 (职能部门)
    grid_worker = "grid_worker"  # 网格员
    leader = "leader"          # 领导
    resident = "resident"      # 群众


ROLE_LABELS: dict[Role, str] = {
    Role.admin: "系统管理员",
    Role.operator: "中心坐席",
    Role.handler: "部门处置人员",
    Role.grid_worker: "网格员",
    Role.leader: "领导",
    Role.resident: "群众",
}


class Permission(StrEnum):
    regions_read = "regions:read"
    regions_import = "regions:import"
    users_manage = "users:manage"
    users_read = "users:read"
    audit_read = "audit:read"
    personal_reveal = "personal:reveal"
    register_read = "register:read"
    register_write = "register:write"
    register_import = "register:import"
    register_export = "register:export"
    declarations_review = "declarations:review"
    visits_write = "visits:write"
    catalog_manage = "catalog:manage"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: _ALL,
    Role.operator: frozenset({Permission.regions_read, Permission.users_read, Permission.personal_reveal,
                              Permission.register_read, Permission.register_write, Permission.register_import,
                              Permission.register_export, Permission.declarations_review}),
    Role.handler: frozenset({Permission.regions_read}),
    Role.grid_worker: frozenset({Permission.regions_read, Permission.personal_reveal, Permission.register_read,
                                 Permission.register_write, Permission.declarations_review,
                                 Permission.visits_write}),
    Role.leader: frozenset({Permission.regions_read, Permission.users_read, Permission.audit_read,
                            Permission.register_read, Permission.register_export}),
    Role.resident: frozenset(),
}


def has_permission(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]

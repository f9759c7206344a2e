"""UI text: one translation function over a message catalogue.

Every string a page shows goes through :func:`t` — in templates as ``{{ t("key") }}``, in the
browser through the same catalogue handed to ``map.js`` as JSON (see :func:`catalogue`). Chinese
is the only locale today; English can follow by adding a second dict with the same keys.

Placeholders use ``str.format`` syntax: ``t("map.features", count=12)``.
"""

from __future__ import annotations

from typing import Any

DEFAULT_LOCALE = "zh"

ZH: dict[str, str] = {
    # --- platform -------------------------------------------------------------------------
    "app.name": "网格化社会治理平台",
    "app.short": "网格治理",
    "app.footer": "网格化社会治理平台 · 开源软件",
    "nav.map": "一张图",
    "nav.skip": "跳到主要内容",
    # --- login ----------------------------------------------------------------------------
    "login.title": "登录",
    "login.heading": "账号登录",
    "login.subtitle": "请使用分配给您的账号登录",
    "login.username": "用户名",
    "login.username_placeholder": "请输入用户名",
    "login.password": "密码",
    "login.password_placeholder": "请输入密码",
    "login.submit": "登录",
    "login.submitting": "正在登录…",
    "login.missing": "请输入用户名和密码",
    "login.csrf_failed": "页面已过期或请求来源无法确认，请重新提交",
    "login.hint": "忘记密码请联系系统管理员",
    "login.tagline": "一张网格管全域 · 人地事物情组织一图可见",
    # --- header ---------------------------------------------------------------------------
    "header.user": "当前用户",
    "header.logout": "退出",
    # --- map page -------------------------------------------------------------------------
    "map.title": "一张图",
    "map.search_label": "搜索区域",
    "map.search_placeholder": "输入名称或编码搜索",
    "map.searching": "搜索中…",
    "map.search_empty": "未找到匹配的区域",
    "map.search_count": "找到 {count} 个区域",
    "map.layers": "图层",
    "map.tree": "区域树",
    "map.tree_toggle": "展开/收起区域树",
    "map.tree_loading": "正在加载区域…",
    "map.tree_empty": "您的权限范围内暂无区域",
    "map.tree_expand": "展开下级",
    "map.tree_collapse": "收起下级",
    "map.tree_no_children": "无下级区域",
    "map.loading": "正在加载…",
    "map.loading_layers": "正在加载图层…",
    "map.features": "已显示 {count} 个区域",
    "map.no_features": "当前视野内无区域",
    "map.zoom_in_hint": "请放大地图查看",
    "map.zoom_in_for": "放大后显示",
    "map.layer_truncated": "{level}过多，请放大地图查看",
    "map.fit_all": "全部范围",
    "map.aria_map": "区域地图",
    # --- info panel -----------------------------------------------------------------------
    "info.title": "区域信息",
    "info.empty": "在地图或区域树中点击一个区域，查看它的详细信息。",
    "info.loading": "正在加载区域信息…",
    "info.close": "关闭",
    "info.code": "编码",
    "info.level": "层级",
    "info.area": "面积",
    "info.area_value": "{value} 平方公里",
    "info.children": "下级区域",
    "info.children_value": "{count} 个{label}",
    "info.children_none": "无",
    "info.parents": "上级",
    "info.parents_none": "无（顶级区域）",
    "info.version": "版本",
    "info.version_value": "第 {version} 版 · {date} 起生效",
    "info.exclusive_type": "专属类型",
    "info.fit": "定位到地图",
    "info.copy": "复制编码",
    "info.copied": "已复制",
    "info.unknown": "—",
    # --- levels ---------------------------------------------------------------------------
    "level.province": "省",
    "level.city": "市",
    "level.county": "县/区",
    "level.street": "街道/乡镇",
    "level.community": "社区/村",
    "level.grid": "网格",
    "level.micro_grid": "微网格",
    "level.exclusive_grid": "专属网格",
    # --- exclusive grid types -------------------------------------------------------------
    "exclusive.school": "学校",
    "exclusive.hospital": "医院",
    "exclusive.market": "市场/商场",
    "exclusive.enterprise": "企业",
    "exclusive.park": "园区/景区",
    "exclusive.station": "交通场站",
    "exclusive.government": "机关单位",
    "exclusive.other": "其他",
    # --- errors ---------------------------------------------------------------------------
    "error.network": "网络连接失败，请检查网络后重试",
    "error.server": "服务器暂时无法响应（{status}），请稍后重试",
    "error.session_expired": "登录已过期，正在跳转到登录页…",
    "error.retry": "重试",
}

CATALOGUES: dict[str, dict[str, str]] = {"zh": ZH}


def t(key: str, /, locale: str | None = None, **kw: Any) -> str:
    """The UI text for ``key``; a missing key shows itself (visible in review, never a crash)."""
    messages = CATALOGUES.get(locale or DEFAULT_LOCALE, ZH)
    text = messages.get(key)
    if text is None:
        text = ZH.get(key, key)
    if kw:
        try:
            return text.format(**kw)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def catalogue(locale: str | None = None) -> dict[str, str]:
    """The whole catalogue for the browser (``map.js`` formats ``{name}`` placeholders itself)."""
    return dict(CATALOGUES.get(locale or DEFAULT_LOCALE, ZH))


def level_label(level: str | None) -> str:
    return t(f"level.{level}") if level else ""

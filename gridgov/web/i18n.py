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
    "nav.events": "事件中心",
    "nav.mobile": "我的网格",
    "nav.register": "人口房屋",
    "nav.dashboard": "统计分析",
    "nav.screen": "大屏",
    "nav.admin": "系统管理",
    "nav.inbox": "消息",
    # --- shared page text -----------------------------------------------------------------
    "page.forbidden": "您没有权限访问此页面",
    "page.dismiss": "关闭",
    "page.back_home": "返回首页",
    "page.error_title": "出错了（{status}）",
    "page.error_403": "没有权限",
    "page.error_404": "页面不存在",
    "page.error_422": "请求参数有误",
    "page.loading": "加载中…",
    "page.empty": "暂无数据",
    "page.prev": "上一页",
    "page.next": "下一页",
    "page.page_of": "第 {page} 页",
    "page.total": "共 {total} 条",
    "page.search": "搜索",
    "page.reset": "重置",
    "page.export_excel": "导出 Excel",
    "page.export_png": "导出图片",
    "page.save": "保存",
    "page.cancel": "取消",
    "page.submit": "提交",
    "page.confirm": "确定",
    "page.all": "全部",
    "nav.skip": "跳到主要内容",
    "nav.menu": "菜单",
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
    # --- self-declaration (自主申报): public form -----------------------------------------------
    "nav.declarations": "自主申报审核",
    "declare.title": "实有人口自主申报",
    "declare.lead": "请如实填写本楼栋的居住信息，提交后由网格员审核。",
    "declare.building": "申报楼栋",
    "declare.kind": "申报类型",
    "declare.kind_residence": "本人居住申报",
    "declare.kind_residence_hint": "我和家人住在这里",
    "declare.kind_tenants": "房东申报租户",
    "declare.kind_tenants_hint": "我把房屋出租给他人",
    "declare.declarer": "申报人",
    "declare.declarer_name": "申报人姓名",
    "declare.declarer_phone": "联系电话",
    "declare.declarer_phone_hint": "审核有疑问时网格员会联系您",
    "declare.house": "房屋",
    "declare.unit_no": "单元",
    "declare.unit_placeholder": "如 2（没有可不填）",
    "declare.room_no": "房号",
    "declare.room_placeholder": "如 502",
    "declare.moved_in_on": "入住日期",
    "declare.moved_in_hint": "不填则按今天登记",
    "declare.people": "居住人员",
    "declare.people_hint_residence": "请填写在此居住的本人及家庭成员",
    "declare.people_hint_tenants": "请填写在此居住的全部租户",
    "declare.person_n": "第 {n} 人",
    "declare.person_name": "姓名",
    "declare.person_id": "身份证号",
    "declare.person_id_hint": "18 位，最后一位可能是 X",
    "declare.person_phone": "手机号（选填）",
    "declare.person_relation": "与户主关系",
    "declare.add_person": "+ 再添加一人",
    "declare.remove_person": "删除",
    "declare.remove_person_label": "删除第 {n} 人",
    "declare.required": "必填",
    "declare.optional": "选填",
    "declare.privacy_title": "个人信息保护",
    "declare.privacy": "个人信息仅用于实有人口登记，依法保护，不会用于其他用途。",
    "declare.privacy_more": "信息由所在网格的网格员审核，查看和使用均有记录可查。",
    "declare.submit": "提交申报",
    "declare.submitting": "正在提交…",
    "declare.err_declarer_name": "请填写申报人姓名",
    "declare.err_declarer_phone": "请填写联系电话",
    "declare.err_phone_format": "联系电话格式不正确，请填写手机号或带区号的固定电话",
    "declare.err_room": "请填写房号",
    "declare.err_date": "入住日期不能晚于今天",
    "declare.err_person_name": "第 {n} 人：请填写姓名",
    "declare.err_person_id": "第 {n} 人：请填写身份证号",
    "declare.err_person_id_format": "第 {n} 人：身份证号应为 18 位数字（最后一位可能是 X），当前 {len} 位",
    "declare.err_person_phone": "第 {n} 人：手机号格式不正确",
    "declare.done_title": "申报已提交",
    "declare.done_code": "申报编号",
    "declare.done_keep": "请截图或记下申报编号，凭编号查询审核结果。",
    "declare.done_next": "网格员审核后，结果会显示在查询页面；未通过时会写明原因。",
    "declare.done_status": "查询审核结果",
    "declare.done_again": "再申报一户",
    "declare.copy": "复制编号",
    "declare.copied": "已复制",
    "declare.invalid_link_title": "申报链接无效",
    "declare.forbidden_title": "无权访问",
    "declare.not_found_title": "未找到",
    "declare.back_home": "返回首页",
    # --- self-declaration: status page ---------------------------------------------------------
    "declare.status_title": "申报结果查询",
    "declare.status_lead": "输入提交申报后得到的申报编号，查看审核结果。",
    "declare.status_code": "申报编号",
    "declare.status_placeholder": "如 3F9A1C07",
    "declare.status_submit": "查询",
    "declare.status_bad_code": "申报编号应为 4–32 位字母或数字，请核对后重新输入",
    "declare.status_building": "申报楼栋",
    "declare.status_declarer": "申报人",
    "declare.status_created": "提交时间",
    "declare.status_reviewed": "审核时间",
    "declare.status_reason": "未通过原因",
    "declare.status_pending_note": "网格员正在审核，请稍后再来查询。",
    "declare.status_approved_note": "信息已登记，感谢您的配合。",
    "declare.status_rejected_note": "请根据原因核实信息后，扫描楼栋二维码重新申报。",
    # --- relations ---------------------------------------------------------------------------
    "relation.head": "户主（本人）",
    "relation.spouse": "配偶",
    "relation.child": "子女",
    "relation.parent": "父母",
    "relation.grandchild": "孙子女",
    "relation.sibling": "兄弟姐妹",
    "relation.tenant": "租户",
    "relation.other": "其他",
    # --- building QR poster ------------------------------------------------------------------
    "qr.title": "楼栋申报二维码",
    "qr.poster_title": "实有人口自主申报",
    "qr.poster_lead": "本楼栋居民、房东请扫码登记居住信息",
    "qr.svg_title": "{name} 自主申报二维码",
    "qr.steps_title": "申报步骤",
    "qr.step_1": "用手机微信或浏览器扫描二维码",
    "qr.step_2": "选择“本人居住申报”或“房东申报租户”，填写房号和居住人员",
    "qr.step_3": "提交后记下申报编号，凭编号查询审核结果",
    "qr.url_label": "也可在浏览器中输入：",
    "qr.privacy": "个人信息仅用于实有人口登记，依法保护。",
    "qr.contact": "如有疑问请联系本网格网格员",
    "qr.grid": "所属网格",
    "qr.print": "打印海报",
    "qr.download": "下载二维码（SVG）",
    "qr.open": "打开申报页",
    "qr.print_hint": "建议使用 A4 或 A5 纸张打印，张贴在楼栋单元门口。",
    # --- review queue --------------------------------------------------------------------------
    "declarations.title": "自主申报审核",
    "declarations.lead": "居民和房东扫码提交的申报，审核通过后自动登记房屋、人员和居住关系。",
    "declarations.tab_pending": "待审核",
    "declarations.tab_approved": "已通过",
    "declarations.tab_rejected": "未通过",
    "declarations.loading": "正在加载申报…",
    "declarations.empty_pending": "暂无待审核的申报",
    "declarations.empty_approved": "暂无已通过的申报",
    "declarations.empty_rejected": "暂无未通过的申报",
    "declarations.count": "共 {count} 条",
    "declarations.code": "申报编号",
    "declarations.building": "楼栋",
    "declarations.house": "房屋",
    "declarations.house_value": "{unit}{room} 室",
    "declarations.unit_value": "{unit} 单元 ",
    "declarations.moved_in": "入住日期",
    "declarations.declarer": "申报人",
    "declarations.created": "提交时间",
    "declarations.reviewed": "审核时间",
    "declarations.reason": "未通过原因",
    "declarations.people": "居住人员（{count} 人）",
    "declarations.col_name": "姓名",
    "declarations.col_id": "身份证号",
    "declarations.col_phone": "手机号",
    "declarations.col_relation": "关系",
    "declarations.approve": "通过",
    "declarations.approving": "正在通过…",
    "declarations.reject": "不通过",
    "declarations.reject_reason": "不通过的原因（申报人会看到）",
    "declarations.reject_placeholder": "如：房号与楼栋不符，请核实后重新申报",
    "declarations.reject_confirm": "确认不通过",
    "declarations.rejecting": "正在提交…",
    "declarations.cancel": "取消",
    "declarations.reason_required": "请填写不通过的原因（至少 2 个字）",
    "declarations.approved_result": "已通过：新登记 {created} 人，迁入 {moved} 人，已写入房屋档案。",
    "declarations.rejected_result": "已标记为未通过，申报人凭编号可看到原因。",
    "declarations.qr": "楼栋二维码",
    "declarations.no_permission": "您的角色无权审核自主申报",
    # --- errors ---------------------------------------------------------------------------
    "error.network": "网络连接失败，请检查网络后重试",
    "error.server": "服务器暂时无法响应（{status}），请稍后重试",
    "error.session_expired": "登录已过期，正在跳转到登录页…",
    "error.retry": "重试",
}

def _merge_areas() -> None:
    from gridgov.web.messages import merged

    areas = merged()
    clash = ZH.keys() & areas.keys()
    if clash:
        raise RuntimeError(f"UI text keys defined twice: {sorted(clash)[:5]}")
    ZH.update(areas)


_merge_areas()

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

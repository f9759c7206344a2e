"""Names for the synthetic demo: real divisions from cpca's bundled table, made-up streets,
communities, villages and exclusive grids. Pure: no database, no geometry.

Every generator takes a numpy ``Generator`` and a ``used`` set of names already taken in the
scope where names must be unique; it returns a new name and adds it to ``used``. Nothing depends
on Python's hash order, so a seeded generator always yields the same names.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# --- real divisions (cpca) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Division:
    code: str          # natural length: "21", "2110", "211021"
    name: str
    lon: float | None
    lat: float | None


def _natural(adcode: str) -> str:
    code = adcode[:6]
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


@lru_cache(maxsize=1)
def _cpca_table() -> dict[str, Division]:
    """cpca's ``resources/adcodes.csv`` read from the installed package, without importing cpca
    (its import builds a matcher we do not need)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package is required for the demo's real division names")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    table: dict[str, Division] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            adcode = row["adcode"]
            if not adcode.endswith("000000"):   # county level and above only
                continue
            lon, lat = row["longitude"], row["latitude"]
            code = _natural(adcode)
            table[code] = Division(code, row["name"], float(lon) if lon else None,
                                   float(lat) if lat else None)
    return table


def real_division(code: str) -> Division:
    """The real province, city or county with natural-length ``code`` (cpca data)."""
    try:
        return _cpca_table()[code]
    except KeyError:
        raise KeyError(f"division {code} is not in cpca's table") from None


def real_counties(city_code: str) -> list[Division]:
    """County-level divisions of a city in code order, without the coordinate-less 市辖区."""
    return sorted((d for c, d in _cpca_table().items()
                   if len(c) == 6 and c.startswith(city_code) and d.lon is not None),
                  key=lambda d: d.code)


# --- word pieces ------------------------------------------------------------------------------

URBAN_WORDS = (
    "新华", "胜利", "和平", "东兴", "河东", "铁西", "光明", "建设", "解放", "民主", "团结", "友谊", "幸福", "文化", "振兴", "繁荣",
    "兴隆", "永安", "长青", "前进", "红旗", "向阳", "东风", "站前", "中华", "人民", "平安", "康宁", "安居", "北园", "南园", "东园",
    "西园", "滨河", "卫国", "新兴", "朝阳", "曙光", "光华", "启明", "育才", "青年", "春光", "金山", "银河", "锦绣", "翠湖", "丰华",
    "东宁", "西宁", "南门", "北门", "东门", "西门", "武圣", "新运", "跃进", "工农", "立新", "东山", "西山", "南山",
    "北山", "长征", "先锋", "新立", "新风", "顺城", "迎宾", "德胜", "广佑", "太和", "安平", "吉祥", "新城", "文昌", "学府",
    "龙鼎", "凤鸣", "紫云", "百花", "万和", "富民", "惠民", "利民", "新民", "复兴", "联合", "双拥", "晨光", "健康", "星火",
)
_DIRECTIONS = ("东", "西", "南", "北")
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹常武乔贺关佟"
)
_RURAL_MIDDLE = ("家", "家", "家", "二", "三", "大", "小")
_RURAL_FEATURE = ("堡", "屯", "台", "沟", "岗", "洼", "峪", "店", "寨", "窝堡", "甸子", "河", "岭", "坨子",
                  "房身", "营", "庄", "园子")
_RURAL_PREFIX = ("大", "小", "东", "西", "南", "北", "前", "后", "上", "下", "新", "老", "双", "三道",
                 "柳", "榆", "杨", "桃", "梨", "枣", "松", "沙", "石", "黄泥", "红", "青", "白", "黑", "高", "长")
_RURAL_LAND = ("河", "山", "岭", "沟", "台", "屯", "泡", "洼", "峪", "甸", "坎", "营", "堡", "城", "岗",
               "河子", "台子", "树沟", "泉", "水", "林子")
BRANDS = (
    "宏达", "鑫源", "恒泰", "兴业", "华兴", "金冠", "天瑞", "正大", "远航", "鼎盛", "瑞丰", "盛华", "永利", "华联", "东方", "嘉禾",
    "联创", "宏图", "泰和", "信达", "隆基", "华信", "金泰", "裕丰", "富华", "恒通", "中兴", "祥瑞", "开元", "德盛", "华丰", "天成",
    "昌盛", "万通", "伟业", "国泰", "宝利", "通达", "福源", "新宇", "三友", "九州", "金桥", "明珠", "长城", "辽河", "太子河",
    "首山", "千山", "华美",
)
INDUSTRIES = ("机械", "化工", "纺织", "建材", "食品", "钢铁", "铸造", "包装", "电气", "塑业", "制药", "物流",
              "印务", "木业", "汽车配件", "石化设备", "农业科技", "粮油", "服装", "矿业", "热力", "环保科技",
              "新材料", "商贸", "建筑工程")

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Chinese numeral for 1-99: 1 一, 10 十, 12 十二, 20 二十, 35 三十五."""
    if not 1 <= n <= 99:
        raise ValueError(f"cn_number supports 1-99, got {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def _claim(candidates, used: set[str]) -> str | None:
    for name in candidates:
        if name not in used:
            used.add(name)
            return name
    return None


def urban_word(rng: np.random.Generator, used_words: set[str], plain: bool = False) -> str:
    """A two- or three-character urban place word (新华, 胜利东 …) not in ``used_words``;
    ``plain``: no direction suffix (for 街道)."""
    for _ in range(40):
        word = _pick(rng, URBAN_WORDS)
        if not plain and rng.random() < 0.25:
            word += _pick(rng, _DIRECTIONS)
        if _claim([word], used_words):
            return word
    return _numbered_fallback(_pick(rng, URBAN_WORDS), "", used_words)


def rural_word(rng: np.random.Generator, used_words: set[str]) -> str:
    """A village-style place word (王家堡, 小北河, 黄泥洼 …) not in ``used_words``."""
    for _ in range(60):
        if rng.random() < 0.55:
            word = _pick(rng, SURNAMES) + _pick(rng, _RURAL_MIDDLE) + _pick(rng, _RURAL_FEATURE)
        else:
            word = _pick(rng, _RURAL_PREFIX) + _pick(rng, _RURAL_LAND)
            if len(word) == 2 and rng.random() < 0.3:
                word += "子"
        if _claim([word], used_words):
            return word
    return _numbered_fallback(_pick(rng, SURNAMES) + "家", "堡", used_words)


def _numbered_fallback(head: str, tail: str, used_words: set[str]) -> str:
    """``head`` + a Chinese number + ``tail``, the first one not taken (when random words run out)."""
    n = 1
    while (word := f"{head}{cn_number(n % 99 + 1)}{tail}{'' if n < 99 else n}") in used_words:
        n += 1
    used_words.add(word)
    return word


# --- exclusive grids ---------------------------------------------------------------------------

EXCLUSIVE_TYPES = ("school", "hospital", "market", "enterprise", "park", "station", "government",
                   "nursing_home")


@dataclass(slots=True)
class ExclusiveNamer:
    """Names exclusive grids of one county, unique within it (hence within each community)."""

    county_name: str
    city_short: str
    used: set[str]
    counters: dict[str, int]

    @classmethod
    def for_county(cls, county_name: str, city_name: str) -> ExclusiveNamer:
        return cls(county_name, city_name.removesuffix("市"), set(), {})

    def _claim(self, option: str | tuple[str, str]) -> str | None:
        """Take ``option`` if free; a ``(key, template)`` option is numbered 一, 二, … per key."""
        if isinstance(option, tuple):
            key, template = option
            n = self.counters.get(key, 0) + 1
            if n > 99:
                return None
            name = template.format(cn_number(n))
            if name in self.used:
                return None
            self.counters[key] = n
        else:
            name = option
            if name in self.used:
                return None
        self.used.add(name)
        return name

    def name(self, rng: np.random.Generator, kind: str, place: str, street: str, urban: bool) -> str:
        """``place``: the community's word (新华, 王家堡); ``street``: its street's full name."""
        c, cs = self.county_name, self.city_short
        options: list[str | tuple[str, str]]
        if kind == "school":
            options = [("中学", c + "第{}中学"), ("小学", c + "第{}小学")] if urban else []
            options += [f"{place}小学", f"{place}幼儿园", f"{street.removesuffix('街道')}中心小学",
                        f"{place}中学"] + ([f"{place}实验幼儿园"] if urban else [])
        elif kind == "hospital":
            options = [f"{c}人民医院", f"{c}中医院", f"{c}妇幼保健院", f"{place}社区卫生服务中心",
                       f"{place}口腔医院"] if urban else [f"{street}卫生院", f"{place}卫生室", f"{place}诊所"]
        elif kind == "market":
            options = [f"{place}农贸市场", f"{place}综合市场", f"{place}批发市场"]
            options += [f"{place}商场", f"{place}购物中心"] if urban else [f"{place}大集"]
        elif kind == "enterprise":
            options = [f"{cs}{_pick(rng, BRANDS)}{_pick(rng, INDUSTRIES)}有限公司" for _ in range(6)]
            options += [f"{cs}{place}{_pick(rng, INDUSTRIES)}有限公司"]
        elif kind == "park":
            options = [f"{place}公园", f"{place}广场", f"{place}体育场"] if urban else []
            options += [f"{place}湿地公园", f"{place}文化广场"]
        elif kind == "station":
            options = [f"{c}客运站", f"{place}公交场站"] if urban else []
            options += [f"{place}加油站", f"{place}物流园", f"{place}供电所"]
        elif kind == "government":
            options = [f"{street}办事处" if street.endswith("街道") else f"{street}人民政府",
                       f"{place}派出所", f"{place}便民服务中心"]
            options += [f"{c}人民法院", f"{c}人民政府"] if urban else []
        elif kind == "nursing_home":
            options = [f"{place}养老院", f"{place}颐养中心" if urban else f"{place}敬老院", f"{place}老年公寓"]
        else:
            raise ValueError(f"unknown exclusive grid type {kind!r}")
        first = int(rng.integers(len(options)))
        ordered = options[first:] + options[:first]
        for option in ordered:
            if name := self._claim(option):
                return name + "专属网格"
        plain = [o for o in ordered if isinstance(o, str)]
        for n in range(2, 100):
            for option in plain:
                if name := self._claim(f"{option}{cn_number(n)}部"):
                    return name + "专属网格"
        raise RuntimeError("ran out of exclusive grid names")


# --- codes and names of the synthetic levels ---------------------------------------------------

_FIRST_NUMBER = {"街道": 1, "镇": 100, "乡": 200, "社区": 1, "村": 200}
_LAST_NUMBER = {"街道": 99, "镇": 199, "乡": 399, "社区": 199, "村": 399}


@dataclass(slots=True)
class Labels:
    """Codes and names of one level, in the level's order; ``word`` is the place word."""

    code: list[str]
    name: list[str]
    word: list[str]


def number_children(parent, kind=None, last: int = 499) -> list[int]:
    """Number of each child within its parent counted from 1 — or, given ``kind``, per kind from
    the first number of its GB code range (街道 001, 镇 100, 乡 200; 社区 001, 村 200)."""
    counter: dict[tuple[int, str], int] = {}
    kinds = list(kind) if kind is not None else [""] * len(parent)
    out = []
    for p, k in zip(parent, kinds):
        n = counter.get((int(p), k), _FIRST_NUMBER.get(k, 1))
        end = _LAST_NUMBER.get(k, last)
        if n > end:
            raise ValueError(f"too many {k or 'grids'} under one parent (numbers end at {end})")
        counter[(int(p), k)] = n + 1
        out.append(n)
    return out


def label_divisions(parents: Labels, parent, kind, county_of_parent, used: list[set[str]],
                    rng: np.random.Generator) -> Labels:
    """Streets (kind 街道/镇/乡) or communities (社区/村): GB code segment and a made-up name,
    place words unique within the county (``used[county]``)."""
    out = Labels([], [], [])
    for p, k, n in zip(parent, kind, number_children(parent, kind)):
        taken = used[county_of_parent[int(p)]]
        word = urban_word(rng, taken, plain=k == "街道") if k in ("街道", "社区") else rural_word(rng, taken)
        out.code.append(f"{parents.code[int(p)]}{n:03d}")
        out.name.append(word + k)
        out.word.append(word)
    return out


def label_grids(parents: Labels, parent, micro: bool = False) -> Labels:
    """Basic grids (第n网格, community + 3 digits) or micro-grids (第n微网格, grid + 2 digits)."""
    width, unit = (2, "微网格") if micro else (3, "网格")
    out = Labels([], [], [])
    for p, n in zip(parent, number_children(parent, last=99 if micro else 499)):
        out.code.append(f"{parents.code[int(p)]}{n:0{width}d}")
        out.name.append(f"{parents.name[int(p)]}第{n}{unit}")
    return out

"""Seeded generator of realistic Chinese customer rows for benchmarks and tests.

Realistic matters because validation cost depends on it: resident IDs carry
real county codes (python-stdnum's own table, so ``stdnum.cn.ric`` accepts
them) and correct check digits, credit codes pass ``stdnum.cn.uscc``, mobiles
use real carrier prefixes, and surnames follow their real frequency, so
duplicate-name searches behave as they would on real data.

    python bench/generate.py --rows 100000 --seed 1 --format csv -o customers.csv
"""
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import random
import sys
from pathlib import Path
from typing import Iterator

if __package__ in (None, ""):  # run as a script: make ``custarchive`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Surname, weight (per mille of the population, rounded), pinyin for emails.
SURNAMES = [
    ("王", 72, "wang"), ("李", 72, "li"), ("张", 68, "zhang"), ("刘", 54, "liu"), ("陈", 45, "chen"),
    ("杨", 31, "yang"), ("黄", 22, "huang"), ("赵", 20, "zhao"), ("吴", 19, "wu"), ("周", 19, "zhou"),
    ("徐", 15, "xu"), ("孙", 14, "sun"), ("马", 13, "ma"), ("朱", 13, "zhu"), ("胡", 12, "hu"),
    ("郭", 11, "guo"), ("何", 11, "he"), ("高", 10, "gao"), ("林", 10, "lin"), ("罗", 9, "luo"),
    ("郑", 8, "zheng"), ("梁", 8, "liang"), ("谢", 7, "xie"), ("宋", 6, "song"), ("唐", 6, "tang"),
    ("许", 6, "xu"), ("韩", 6, "han"), ("冯", 6, "feng"), ("邓", 6, "deng"), ("曹", 5, "cao"),
    ("彭", 5, "peng"), ("曾", 5, "zeng"), ("肖", 5, "xiao"), ("田", 5, "tian"), ("董", 4, "dong"),
    ("袁", 4, "yuan"), ("潘", 4, "pan"), ("于", 4, "yu"), ("蒋", 4, "jiang"), ("蔡", 4, "cai"),
    ("余", 4, "yu"), ("杜", 4, "du"), ("叶", 4, "ye"), ("程", 4, "cheng"), ("苏", 4, "su"),
    ("魏", 4, "wei"), ("吕", 3, "lv"), ("丁", 3, "ding"), ("任", 3, "ren"), ("沈", 3, "shen"),
    ("姚", 3, "yao"), ("卢", 3, "lu"), ("姜", 3, "jiang"), ("崔", 3, "cui"), ("钟", 3, "zhong"),
    ("谭", 3, "tan"), ("陆", 3, "lu"), ("汪", 3, "wang"), ("范", 3, "fan"), ("金", 3, "jin"),
    ("石", 2, "shi"), ("廖", 2, "liao"), ("贾", 2, "jia"), ("夏", 2, "xia"), ("韦", 2, "wei"),
    ("付", 2, "fu"), ("方", 2, "fang"), ("白", 2, "bai"), ("邹", 2, "zou"), ("孟", 2, "meng"),
    ("熊", 2, "xiong"), ("秦", 2, "qin"), ("邱", 2, "qiu"), ("江", 2, "jiang"), ("尹", 2, "yin"),
    ("薛", 2, "xue"), ("闫", 2, "yan"), ("段", 2, "duan"), ("雷", 2, "lei"), ("侯", 2, "hou"),
    ("龙", 2, "long"), ("史", 2, "shi"), ("陶", 2, "tao"), ("黎", 2, "li"), ("贺", 2, "he"),
    ("顾", 2, "gu"), ("毛", 2, "mao"), ("郝", 2, "hao"), ("龚", 1, "gong"), ("邵", 1, "shao"),
    ("万", 1, "wan"), ("钱", 1, "qian"), ("严", 1, "yan"), ("覃", 1, "qin"), ("武", 1, "wu"),
    ("戴", 1, "dai"), ("莫", 1, "mo"), ("孔", 1, "kong"), ("向", 1, "xiang"), ("汤", 1, "tang"),
    ("欧阳", 1, "ouyang"), ("司马", 1, "sima"), ("诸葛", 1, "zhuge"), ("上官", 1, "shangguan"),
]
MALE_CHARS = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林建国志文博晨阳海峰亮东成"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英燕玲桂丹萍红玉兰琳雪梅婷慧莹颖倩洁晶欣怡佳悦思雨琪萱雅瑶婧"
NEUTRAL_CHARS = "子一晓小嘉家梓天新永春秋云立佳俊雨宏振德"
MOBILE_PREFIXES = [
    ("139", 9), ("138", 9), ("137", 6), ("136", 6), ("135", 6), ("134", 3), ("150", 5), ("151", 5),
    ("152", 4), ("157", 2), ("158", 5), ("159", 5), ("182", 4), ("183", 3), ("187", 4), ("188", 4),
    ("198", 2), ("130", 3), ("131", 3), ("132", 3), ("155", 3), ("156", 3), ("185", 3), ("186", 5),
    ("176", 2), ("166", 2), ("133", 3), ("153", 2), ("180", 3), ("181", 2), ("189", 4), ("177", 3),
    ("173", 2), ("199", 2), ("191", 1),
]
MAIL_DOMAINS = [("163.com", 6), ("126.com", 3), ("sina.com", 2), ("gmail.com", 1), ("foxmail.com", 2),
                ("outlook.com", 1), ("139.com", 1), ("aliyun.com", 1)]
INDUSTRIES = ["制造业", "批发和零售业", "信息传输、软件和信息技术服务业", "建筑业", "房地产业", "金融业",
              "住宿和餐饮业", "交通运输、仓储和邮政业", "教育", "卫生和社会工作", "文化、体育和娱乐业",
              "农、林、牧、渔业", "租赁和商务服务业", "科学研究和技术服务业", "居民服务、修理和其他服务业"]
SOURCES = ["老客户介绍", "电话咨询", "门店到访", "展会", "网站", "微信公众号", "抖音", "行业协会",
           "广告", "邮件调查", "线下活动", "合作伙伴推荐"]
OCCUPATIONS = ["教师", "医生", "工程师", "会计", "销售", "公务员", "个体经营", "程序员", "律师", "设计师",
               "护士", "司机", "厨师", "自由职业", "退休"]
TITLES = ["职员", "经理", "主管", "总监", "副总经理", "总经理", "董事长", "工程师", "店长", "财务主管"]
EDUCATION = ["初中", "高中", "中专", "大专", "本科", "硕士", "博士"]
ROADS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "长江路", "黄河路", "胜利路",
         "友谊路", "光明路", "朝阳路", "东风路", "青年路", "学府路", "科技路", "环城路", "滨江路", "工业大道"]
ESTATES = ["阳光", "幸福", "金色", "锦华", "翠湖", "富康", "东方", "御景", "碧水", "香榭"]
COMPOUNDS = ["花园", "小区", "新村", "大厦", "广场", "家园", "公寓", "苑"]
TRADE_NAMES = "华鑫恒泰盛达宏远瑞丰嘉信锦程鼎新天成永安金鹏博创明德汇通联合佳和中兴启航"
COMPANY_WORDS = ["科技", "贸易", "商贸", "建材", "电子", "食品", "物流", "餐饮", "服装", "机械", "信息技术",
                 "文化传媒", "医药", "家居", "农业"]
COMPANY_FORMS = [("有限公司", 12), ("有限责任公司", 4), ("股份有限公司", 1)]
EMPLOYERS = ["华为技术有限公司", "中国移动通信集团", "市第一人民医院", "实验中学", "中国建设银行", "国家电网",
             "阿里巴巴集团", "腾讯科技有限公司", "比亚迪股份有限公司", "市税务局"]
CATEGORIES = [("A", 1), ("B", 4), ("C", 5)]
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Identity keys come from the row index through bijections, so they are unique in
# any run of up to _ID_MODULUS rows however the random fields fall: a random
# sequence number collides (birthday paradox) well before a million rows.
_ID_MODULUS = 10_000_019      # prime: K -> K * _ID_STEP + offset (mod it) is a permutation
_ID_STEP = 7_654_321
_SEQUENCES = 500              # per birth day and gender: 3-digit sequence = s * 2 + parity
_BIRTH_EPOCH = dt.date(1950, 1, 1)   # + 20,000 days of index space reaches 2004-10
_ORG_MODULUS = 10 ** 8
_ORG_STEP = 48_271            # coprime to 10**8


def load_counties() -> list[tuple[str, str, str, str, int, int]]:
    """(code, province, city, county, first year, last year) from stdnum's cn/loc.dat.

    The year range matters: stdnum rejects an ID whose county did not exist
    in the holder's birth year.
    """
    import stdnum

    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    provinces: dict[str, str] = {}
    names: dict[str, str] = {}
    ranges: list[tuple[str, str, int, int]] = []
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line[:2]
            provinces[province] = line.split('"')[1]
            continue
        code = province + line.split()[0]
        for variant in line.split('"')[1].split(","):
            start, end, name = 1900, 2100, variant
            if variant.startswith("["):
                span, name = variant[1:].split("]", 1)
                first, last = span.split("-")
                start, end = int(first or 1900), int(last or 2100)
            names[code] = name  # the last variant is the current name
            if code[4:] != "00" and name not in ("市辖区", "县") and max(start, 1950) <= min(end, 2005):
                ranges.append((code, name, max(start, 1950), min(end, 2005)))
    result = []
    for code, name, start, end in ranges:
        city = names.get(code[:4] + "00", "")
        if city in ("", "市辖区", "县") or city.startswith("["):
            city = provinces[code[:2]]
        result.append((code, provinces[code[:2]], city, name, start, end))
    return result


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._cumulative: dict[int, list[float]] = {}
        self.counties = load_counties()
        self.surnames = [s for s, _, _ in SURNAMES]
        self.surname_weights = [w for _, w, _ in SURNAMES]
        self.pinyin = {s: p for s, _, p in SURNAMES}
        self.prefixes, self.prefix_weights = zip(*MOBILE_PREFIXES)
        self.domains, self.domain_weights = zip(*MAIL_DOMAINS)
        self.forms, self.form_weights = zip(*COMPANY_FORMS)
        self.categories, self.category_weights = zip(*CATEGORIES)
        self.by_year: dict[int, list] = {}
        for county in self.counties:
            for year in range(county[4], county[5] + 1):
                self.by_year.setdefault(year, []).append(county)
        self.index = 0
        self.id_offset = self.rng.randrange(_ID_MODULUS)
        self.org_offset = self.rng.randrange(_ORG_MODULUS)

    def pick(self, items, weights):
        """Weighted choice with cumulative weights cached: ``choices`` rebuilds them per call."""
        key = id(weights)
        cumulative = self._cumulative.get(key)
        if cumulative is None:
            cumulative = self._cumulative[key] = list(itertools.accumulate(weights))
        return items[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def person_name(self, male: bool) -> str:
        rng = self.rng
        surname = self.pick(self.surnames, self.surname_weights)
        pool = MALE_CHARS if male else FEMALE_CHARS
        if rng.random() < 0.3:
            return surname + rng.choice(pool)
        first = rng.choice(NEUTRAL_CHARS if rng.random() < 0.3 else pool)
        return surname + first + rng.choice(pool)

    def mobile(self) -> str:
        return self.pick(self.prefixes, self.prefix_weights) + f"{self.rng.randrange(10 ** 8):08d}"

    def email(self, surname_pinyin: str) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            return f"{rng.randrange(10 ** 5, 10 ** 10)}@qq.com"
        local = surname_pinyin + "".join(rng.choice("abcdefghjklmnpqrstwxyz") for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.6:
            local += str(rng.randrange(1, 2000))
        return f"{local}@{self.pick(self.domains, self.domain_weights)}"

    def company_domain(self) -> str:
        letters = "".join(self.rng.choice("abcdefghjklmnpqrstwxyz") for _ in range(self.rng.randint(3, 8)))
        return letters + self.rng.choice([".com", ".cn", ".com.cn", ".net"])

    def address(self) -> str:
        rng = self.rng
        text = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        if rng.random() < 0.6:
            text += f"{rng.choice(ESTATES)}{rng.choice(COMPOUNDS)}{rng.randint(1, 30)}栋{rng.randint(1, 32)}{rng.randint(1, 4):02d}室"
        return text

    def birth_and_sequence(self) -> tuple[dt.date, int]:
        """A birth date and sequence unique to this row: distinct rows never share both."""
        slot = (self.index * _ID_STEP + self.id_offset) % _ID_MODULUS
        return _BIRTH_EPOCH + dt.timedelta(days=slot // _SEQUENCES), slot % _SEQUENCES

    def resident_id(self, code: str, birth: dt.date, sequence: int, male: bool) -> str:
        from stdnum.cn import ric

        # The sequence's last digit is odd for men, even for women.
        body = f"{code}{birth:%Y%m%d}{sequence * 2 + (1 if male else 0):03d}"
        return body + ric.calc_check_digit(body + "0")

    def credit_code(self, code: str) -> str:
        """Type 91 (enterprise, registered with the market regulator), county, organisation code."""
        from stdnum.cn import uscc

        org = f"{(self.index * _ORG_STEP + self.org_offset) % _ORG_MODULUS:08d}"
        check = (11 - sum(int(c) * w for c, w in zip(org, _ORG_WEIGHTS)) % 11) % 11
        body = "91" + code + org + ("X" if check == 10 else str(check))
        return body + uscc.calc_check_digit(body)

    def money(self, median: float, spread: float = 1.0) -> str:
        return f"{self.rng.lognormvariate(0, spread) * median:.2f}"

    def row(self, kind: str) -> dict[str, str]:
        rng = self.rng
        self.index += 1
        birth, sequence = self.birth_and_sequence()
        # The county must have existed in the birth year, or stdnum.cn.ric refuses the ID.
        code, province, city, county, _start, _end = rng.choice(self.by_year[birth.year])
        base = {"kind": kind, "category": self.pick(self.categories, self.category_weights),
                "phone": self.mobile(), "province": province, "city": city,
                "address": county + self.address(), "industry": rng.choice(INDUSTRIES),
                "source": rng.choice(SOURCES)}
        if kind == "individual":
            male = rng.random() < 0.5
            name = self.person_name(male)
            surname = name[:2] if name[:2] in self.pinyin else name[:1]
            base.update(name=name, gender="男" if male else "女", birth_date=birth.isoformat(),
                        id_number=self.resident_id(code, birth, sequence, male), email=self.email(self.pinyin[surname]),
                        occupation=rng.choice(OCCUPATIONS), employer=rng.choice(EMPLOYERS),
                        title=rng.choice(TITLES), education=rng.choice(EDUCATION),
                        annual_spend=self.money(8000, 0.9))
        else:
            trade = rng.choice(TRADE_NAMES) + rng.choice(TRADE_NAMES)
            city_short = city.rstrip("市") if len(city) > 2 else city
            name = f"{city_short}{trade}{rng.choice(COMPANY_WORDS)}{self.pick(self.forms, self.form_weights)}"
            representative = self.person_name(rng.random() < 0.7)
            base.update(name=name, credit_code=self.credit_code(code), legal_representative=representative,
                        registered_capital=f"{rng.choice([50, 100, 200, 300, 500, 1000, 2000, 5000])}0000",
                        email=f"{rng.choice(['info', 'sales', 'service', 'hr'])}@{self.company_domain()}",
                        annual_spend=self.money(150000, 1.2), credit_limit=str(rng.choice([5, 10, 20, 50, 100]) * 10000))
        if rng.random() < 0.1:
            base["notes"] = rng.choice(["重要客户，节假日回访", "对价格敏感", "需开具增值税专用发票", "曾有投诉，已处理"])
        return base


def generate_rows(n: int, seed: int = 1, kind: str = "mixed") -> Iterator[dict[str, str]]:
    """``n`` canonical-field dicts; the same seed always gives the same rows."""
    gen = Generator(seed)
    for _ in range(n):
        row_kind = kind if kind != "mixed" else ("individual" if gen.rng.random() < 0.7 else "enterprise")
        yield gen.row(row_kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("csv", "xlsx", "jsonl", "json"), default="csv")
    parser.add_argument("--encoding", choices=("utf-8", "utf-8-sig", "gb18030", "gbk"), default="utf-8")
    parser.add_argument("--kind", choices=("mixed", "individual", "enterprise"), default="mixed")
    parser.add_argument("--headers", choices=("en", "zh"), default="en")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args(argv)

    from custarchive.transfer.io.headers import FIELDS, LABELS_ZH
    from custarchive.transfer.io.writers import write_rows

    if args.format == "xlsx" and args.output == "-":
        parser.error("xlsx needs -o FILE")
    labels = LABELS_ZH if args.headers == "zh" else None
    write_rows(args.format, args.output, FIELDS, generate_rows(args.rows, args.seed, args.kind),
               labels=labels, encoding=args.encoding)
    return 0


if __name__ == "__main__":
    sys.exit(main())

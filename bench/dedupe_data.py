"""A labeled, seeded archive for measuring ``dedupe``: who is really who, and the traps offices set.

Every row carries the entity it belongs to, so precision and recall can be counted. The traps are
the ones the issue lists:
- natural namesakes: 张伟 is thousands of people (the base generator's real surname frequencies,
  plus rows that copy another person's name, some with the same birth year);
- families: 2–4 people sharing a phone and an address (and often a surname), each with their own
  name, birth date and resident ID — related, not duplicates;
- re-entered customers (one to three variants each): the phone written another way (spaces, dashes,
  +86, 0086), a homophone in the given name (晓/小), traditional characters (張偉), a space inside
  the name, a company name without its city or with another legal suffix, a typo in the e-mail,
  a moved address, a new phone, e-mail or birth date left empty; the resident ID or credit code is
  always missing on the second entry (they are unique keys, so an office that has one cannot enter
  it twice).

Used by ``bench/dedupe.py`` and by ``tests/cards/test_dedupe.py`` (a 2,000-row set), so the
quality assertion in the tests and the figures in the README come from the same generator.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from bench.generate import Generator

TRADITIONAL = dict(zip(
    "张刘陈杨黄赵吴郑孙马罗谢许韩冯邓蒋叶苏吕卢钟谭陆贾韦邹闫龙贺顾龚万钱严汤欧阳司诸伟强军杰涛刚辉鹏华飞凯"
    "帅宁国阳东静丽艳红兰莹颖洁瑶晓云达远丰锦创汇联兴启贸电饮装机术传医药农业责",
    "張劉陳楊黃趙吳鄭孫馬羅謝許韓馮鄧蔣葉蘇呂盧鍾譚陸賈韋鄒閆龍賀顧龔萬錢嚴湯歐陽司諸偉強軍傑濤剛輝鵬華飛凱"
    "帥寧國陽東靜麗艷紅蘭瑩穎潔瑤曉雲達遠豐錦創匯聯興啟貿電飲裝機術傳醫藥農業責"))
HOMOPHONES = {
    "伟": "玮", "磊": "垒", "军": "君", "杰": "洁", "涛": "韬", "明": "铭", "刚": "钢", "平": "萍", "辉": "晖",
    "鹏": "朋", "华": "骅", "飞": "菲", "鑫": "欣", "斌": "彬", "宇": "雨", "浩": "昊", "凯": "楷", "健": "建",
    "俊": "骏", "帆": "凡", "旭": "序", "龙": "隆", "林": "琳", "志": "智", "文": "雯", "晨": "辰", "阳": "洋",
    "峰": "锋", "东": "冬", "成": "诚", "芳": "方", "娜": "纳", "敏": "闵", "静": "婧", "丽": "莉", "艳": "燕",
    "娟": "涓", "霞": "侠", "玲": "铃", "桂": "贵", "红": "虹", "玉": "钰", "兰": "岚", "琳": "林", "梅": "玫",
    "婷": "亭", "慧": "惠", "莹": "盈", "倩": "茜", "洁": "杰", "晶": "菁", "欣": "心", "佳": "嘉", "悦": "月",
    "思": "丝", "雨": "宇", "琪": "琦", "萱": "轩", "雅": "亚", "瑶": "遥", "婧": "静", "晓": "小", "小": "晓",
    "子": "紫", "家": "佳", "天": "添", "新": "欣", "云": "芸", "宏": "鸿", "振": "震", "永": "勇", "勇": "永",
    "洋": "阳", "强": "蔷", "波": "博", "博": "波", "超": "潮", "英": "瑛", "秀": "绣", "燕": "艳", "雪": "学",
}
_TRADE_POOL = ("华鑫恒泰盛达宏远瑞丰嘉信锦程鼎新天成永安金鹏博创明德汇通联合佳和中兴启航凯旋荣昌隆顺福星光辉东方"
               "海洋振宇腾飞华晨美意欣悦佳禾宝利泽润万象卓越力拓致远同心海纳百川金诚信德正大浩然祥瑞")
LEGAL_FORMS = ["股份有限公司", "有限责任公司", "有限公司", "公司"]
PERSON_VARIANTS = ("phone format", "homophone", "traditional", "spacing", "e-mail typo", "moved",
                   "new phone", "no e-mail", "no birth date")
COMPANY_VARIANTS = ("phone format", "no city", "other suffix", "traditional", "e-mail typo", "moved",
                    "new phone", "no e-mail")

INSERT = ("INSERT INTO customers (archive_no, kind, category, template, name, gender, birth_date, "
          "id_number_hmac, credit_code, legal_representative, phone, email, province, city, address, "
          "employer, created_at, updated_at, created_by) VALUES (:archive_no, :kind, 'C', :template, :name, "
          ":gender, :birth_date, :id_number_hmac, :credit_code, :legal_representative, :phone, :email, "
          ":province, :city, :address, :employer, '2026-01-01T00:00:00+08:00', "
          "'2026-01-01T00:00:00+08:00', 'bench')")


@dataclass
class LabeledArchive:
    rows: list[dict] = field(default_factory=list)     # parameters for INSERT, archive_no first
    entity: dict[str, int] = field(default_factory=dict)   # archive_no -> who it really is
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)   # re-entry archive_no -> its variants
    families: list[list[str]] = field(default_factory=list)

    def true_pairs(self) -> set[tuple[str, str]]:
        """Every pair of archives of one entity (archive numbers in order)."""
        groups: dict[int, list[str]] = {}
        for number, who in self.entity.items():
            groups.setdefault(who, []).append(number)
        return {(a, b) for numbers in groups.values() for i, a in enumerate(sorted(numbers))
                for b in sorted(numbers)[i + 1:]}

    def family_pairs(self) -> set[tuple[str, str]]:
        return {(a, b) for members in self.families for i, a in enumerate(sorted(members))
                for b in sorted(members)[i + 1:]}


def _phone_format(rng: random.Random, phone: str) -> str:
    if len(phone) != 11:
        return phone
    return rng.choice([f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                       f"+86 {phone}", f"+86{phone}", f"0086 {phone[:3]} {phone[3:7]} {phone[7:]}"])


def _email_typo(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    if len(local) < 3:
        return email
    at = rng.randrange(1, len(local) - 1)
    how = rng.randrange(3)
    if how == 0:      # two neighbours swapped
        local = local[:at] + local[at + 1] + local[at] + local[at + 2:]
    elif how == 1:    # one left out
        local = local[:at] + local[at + 1:]
    else:             # one typed twice
        local = local[:at] + local[at] + local[at:]
    return f"{local}@{domain}"


def _homophone(rng: random.Random, name: str, surname_length: int) -> str:
    spots = [i for i in range(surname_length, len(name)) if name[i] in HOMOPHONES]
    if not spots:
        return name
    at = rng.choice(spots)
    return name[:at] + HOMOPHONES[name[at]] + name[at + 1:]


def _traditional(name: str) -> str:
    return "".join(TRADITIONAL.get(ch, ch) for ch in name)


class _Builder:
    def __init__(self, seed: int):
        self.gen = Generator(seed)
        self.rng = random.Random(seed * 7919 + 1)
        self.out = LabeledArchive()
        self.next_entity = 0
        self.people: list[dict] = []
        self.trade_names: set[tuple[str, str]] = set()

    def _surname_length(self, name: str) -> int:
        return 2 if name[:2] in self.gen.pinyin else 1

    def fresh(self, kind: str) -> dict:
        row = self.gen.row(kind)
        if kind == "enterprise":
            # A company name is unique where it is registered (企业名称登记): a second 华鑫科技 in
            # the same city would be a duplicate by law, so the generator never makes one.
            city = row["city"]
            short = city[:-1] if city.endswith("市") and len(city) > 2 else city
            body = row["name"][len(short):] if row["name"].startswith(short) else row["name"]
            while (body[:2], city) in self.trade_names or (body[:2], "") in self.trade_names:
                body = self.rng.choice(_TRADE_POOL) + self.rng.choice(_TRADE_POOL) + body[2:]
            self.trade_names.add((body[:2], city))
            row["name"] = short + body
        return {"kind": kind, "template": kind, "name": row["name"], "gender": row.get("gender"),
                "birth_date": row.get("birth_date"), "id_number": row.get("id_number"),
                "credit_code": row.get("credit_code"), "legal_representative": row.get("legal_representative"),
                "phone": row["phone"], "email": row.get("email"), "province": row["province"],
                "city": row["city"], "address": row["address"], "employer": row.get("employer")}

    def emit(self, record: dict, entity: int) -> str:
        number = f"C-2026-{len(self.out.rows) + 1:07d}"
        row = dict(record, archive_no=number)
        rid = row.pop("id_number")
        row["id_number_hmac"] = hashlib.sha256(rid.encode()).hexdigest() if rid else None
        self.out.rows.append(row)
        self.out.entity[number] = entity
        return number

    def new_entity(self) -> int:
        self.next_entity += 1
        return self.next_entity

    def re_entry(self, base: dict) -> tuple[dict, tuple[str, ...]]:
        rng = self.rng
        copy = dict(base)
        person = base["kind"] == "individual"
        pool = PERSON_VARIANTS if person else COMPANY_VARIANTS
        chosen = tuple(rng.sample(pool, rng.choice((1, 1, 2, 2, 3))))
        copy["id_number"] = None
        copy["credit_code"] = None
        name = copy["name"]
        for variant in chosen:
            if variant == "phone format":
                copy["phone"] = _phone_format(rng, copy["phone"])
            elif variant == "homophone":
                name = _homophone(rng, name, self._surname_length(name))
            elif variant == "traditional":
                name = _traditional(name)
            elif variant == "spacing":
                cut = self._surname_length(name)
                name = name[:cut] + " " + name[cut:]
            elif variant == "e-mail typo" and copy["email"]:
                copy["email"] = _email_typo(rng, copy["email"])
            elif variant == "moved":
                fresh = self.fresh("individual")
                if rng.random() < 0.6:    # within the same city
                    fresh.update(province=copy["province"], city=copy["city"])
                copy.update(province=fresh["province"], city=fresh["city"], address=fresh["address"])
            elif variant == "new phone":
                copy["phone"] = self.gen.mobile()
            elif variant == "no e-mail":
                copy["email"] = None
            elif variant == "no birth date":
                copy["birth_date"] = None
            elif variant == "no city":
                city = copy["city"]
                short = city[:-1] if city.endswith("市") and len(city) > 2 else city
                name = name[len(short):] if name.startswith(short) else name
            elif variant == "other suffix":
                form = next((f for f in LEGAL_FORMS if name.endswith(f)), "")
                others = [f for f in LEGAL_FORMS if f != form]
                name = name[:len(name) - len(form)] + rng.choice(others)
        copy["name"] = name
        return copy, chosen

    def family(self, head: dict) -> list[dict]:
        """Relatives of ``head``: the same phone (maybe written another way) and address."""
        members = []
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            relative = self.fresh("individual")
            if self.rng.random() < 0.6:     # a child or sibling keeps the surname
                cut = self._surname_length(head["name"])
                given = relative["name"][self._surname_length(relative["name"]):]
                relative["name"] = head["name"][:cut] + given
            relative.update(phone=head["phone"] if self.rng.random() < 0.8 else _phone_format(self.rng, head["phone"]),
                            province=head["province"], city=head["city"], address=head["address"])
            if self.rng.random() < 0.3:
                relative["email"] = None
            members.append(relative)
        return members


def generate(n: int, seed: int = 1, duplicate_share: float = 0.03, family_share: float = 0.05,
             namesake_share: float = 0.02) -> LabeledArchive:
    """About ``n`` rows: fresh customers, re-entries of earlier ones, families and namesakes."""
    b = _Builder(seed)
    rng = b.rng
    while len(b.out.rows) < n:
        draw = rng.random()
        if draw < duplicate_share and b.people:
            base, entity = b.people[rng.randrange(len(b.people))]
            copy, variants = b.re_entry(base)
            b.out.variants[b.emit(copy, entity)] = variants
        elif draw < duplicate_share + family_share / 2.5:
            head = b.fresh("individual")
            entity = b.new_entity()
            numbers = [b.emit(head, entity)]
            b.people.append((head, entity))
            for relative in b.family(head):
                other = b.new_entity()
                numbers.append(b.emit(relative, other))
                b.people.append((relative, other))
            b.out.families.append(numbers)
        elif draw < duplicate_share + family_share / 2.5 + namesake_share and b.people:
            row = b.fresh("individual")
            model = b.people[rng.randrange(len(b.people))][0]
            if model["kind"] == "individual":
                row["name"] = model["name"]
                if rng.random() < 0.3 and model["birth_date"]:   # even the same birth year
                    row["birth_date"] = model["birth_date"][:4] + row["birth_date"][4:]
            entity = b.new_entity()
            b.emit(row, entity)
            b.people.append((row, entity))
        else:
            row = b.fresh("individual" if rng.random() < 0.75 else "enterprise")
            entity = b.new_entity()
            b.emit(row, entity)
            b.people.append((row, entity))
    return b.out

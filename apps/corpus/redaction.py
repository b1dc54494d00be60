"""Personal-data redaction. Later stages (embeddings, LLM, exports) only ever see the redacted text.

`find_pii` is the one list of personal data we know how to find, in English and Chinese; `redact` replaces what
it finds with a placeholder per kind (`KINDS`), and moderation flags the same findings (on the original a
customer posted, and on generated copy no redaction ran on), so the two cannot drift apart.

Detectors are offline regular expressions, each checked where a check exists (Luhn for cards, the checksum of
a Chinese resident ID, mod 97 for IBANs), plus the text's own author field. There is no offline named-entity
model here (Presidio and scrubadub need spaCy models from a model hub and know no Chinese), so:
- names are caught only when introduced ("my name is …", "name's …", "call me …", "this is … from",
  "I'm" + a capitalised pair, signatures, 我叫/我的名字是/本人 + a common surname) or when they match the author;
- dates count as a date of birth only after words that say so ("DOB", "born on", "出生日期", "生日是");
- short (7-digit) phone numbers, ZIP codes, Chinese postcodes and IDs without a checksum count only after
  words that say what they are, so order numbers, prices and model numbers stay.
Every pattern is bounded (linear time on hostile input: `tests/test_regex_bounds.py` runs each one).
The hand-labelled planted-PII set `bench/quality/data/planted_pii.jsonl` measures recall and false positives
(`make quality`, task redaction).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

# Placeholder labels, in words for people (singular, plural): the text page's "Redacted: …" line, moderation.
KINDS: dict[str, tuple[str, str]] = {
    "NAME": ("name", "names"),
    "EMAIL": ("email address", "email addresses"),
    "PHONE": ("phone number", "phone numbers"),
    "CARD": ("card number", "card numbers"),
    "ADDRESS": ("address", "addresses"),
    "DOB": ("date of birth", "dates of birth"),
    "ID": ("ID or account number", "ID or account numbers"),
    "PASSWORD": ("password", "passwords"),
}

# --- patterns (each bounded; a named group `v` or `name`, where present, is the part that is replaced) ---------

# Bounded (RFC 5321 lengths) and anchored at the start of a run of address characters, so a long run without
# an "@" costs one scan instead of one per position (the unbounded form took ~1 s on 20k characters of "a.").
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,255}\.[A-Za-z]{2,63}")
CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ \-]?){12,18}\d(?!\d)")
PHONE = re.compile(
    r"(?<![\w+])(?:\+?\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)[\s.\-]?)?\d{2,5}[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}(?!\w)"
    r"|(?<![\w+])(?:\+?\d{1,3}[\s.\-]?)?\(\d{2,4}\)[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}(?!\w)"  # (415) 555-0132
    r"|(?<![\w+])\+\d{1,3}(?:[\s.\-]\d{1,4}){2,5}(?![\w\-])"  # +46 70 123 45 67: groups split by separators
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"  # Chinese mobile
)
# A 7-digit local number ("555-0187", "phone 5550187", "电话 87654321") only after words that name a phone.
PHONE_LOCAL = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call(?:\s{1,3}me)?|text\s{1,3}me|ring\s{1,3}me|reach\s{1,3}me|"
    r"my\s{1,3}number|number\s{1,3}is|whatsapp)\b[^\d\n]{0,16}?(?<![\d+])(?P<v>\d{3}[-.\s]?\d{4})(?![\d-])"
    r"|(?:电话|手机|座机|联系方式|微信)[号码是为：:\s]{0,5}(?P<zh>\d{7,8})(?!\d)",
    re.IGNORECASE,
)
# Words before a long number that make it an order, tracking or model number ("order 2024 0518 3391").
ORDER_CONTEXT = re.compile(
    r"(?:\b(?:order|tracking|invoice|parcel|shipment|ref|reference|receipt|serial|sku|model|part|batch|case|"
    r"ticket|transaction|PO)|订单|单号|快递|运单|编号|型号|批次|序列号)[\w\s#:：.\-]{0,12}$",
    re.IGNORECASE,
)
CARD_CONTEXT = re.compile(r"(?:card|visa|mastercard|amex|卡)", re.IGNORECASE)
PHONE_CONTEXT = re.compile(r"(?:phone|call|tel|mobile|cell|text|ring|reach|电话|手机|联系)", re.IGNORECASE)

# Chinese resident ID: region, birth date, sequence, check digit (validated, unless the words before say "ID").
CN_RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
ID_CONTEXT = re.compile(r"(?:身份证|证件|\bID\b|\bidentity|\bidentification|\bnational)[^\n]{0,12}$", re.IGNORECASE)
US_SSN = re.compile(r"(?<![\d\-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d\-])")
# Numbers that words before them call an ID, a passport, a licence or an account.
ID_WITH_CONTEXT = re.compile(
    r"\b(?:SSN|social\s{1,3}security(?:\s{1,3}(?:number|no\.?))?|passport|driver'?s?\s{1,3}licen[cs]e|"
    r"driving\s{1,3}licen[cs]e|licen[cs]e|national\s{1,3}(?:ID|insurance)|ID\s{0,2}card|identity\s{1,3}card|"
    r"(?<!order\s)(?<!tracking\s)(?<!product\s)(?<!transaction\s)(?<!ticket\s)ID\s{0,2}(?:number|no\.?|#)|"
    r"my\s{1,3}ID|account\s{1,3}(?:number|no\.?)|membership\s{1,3}(?:number|no\.?))"
    r"\s{0,3}(?:number|no\.?|#)?\s{0,3}(?:is\s{1,3}|[:#]\s{0,3})?"
    r"(?=[A-Z0-9\-]{0,24}\d)(?P<v>[A-Z0-9][A-Z0-9\-]{5,24})\b"
    r"|(?:护照|身份证|银行卡|卡号|账号|帐号|学号|工号|会员号|证件号|社保号|驾驶证|驾照)[号码是为：:\s]{0,5}"
    r"(?P<zh>[A-Za-z]{0,2}\d{6,20}[Xx]?)(?![0-9A-Za-z])",
    re.IGNORECASE,
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
PASSWORD = re.compile(
    r"\b(?:password|passcode|passwd|pwd)\s{0,3}(?:is|was|:|=)\s{0,3}"
    r"(?=\S{0,39}[\d!@#$%^&*_])(?P<v>\S{3,39}(?<![.,;:!?)\"'\]]))"
    r"|\bpin(?:\s{1,3}code)?\s{0,3}(?:is|was|:|=)\s{0,3}(?P<pin>\d{4,8})(?!\w)"
    r"|密码[是为：:\s]{0,3}(?P<zh>[!-~]{4,40})",
    re.IGNORECASE,
)

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_DATE = (rf"(?:\d{{1,4}}[./\-]\d{{1,2}}[./\-]\d{{2,4}}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s{{1,3}}of)?\s{{1,3}}{_MONTH},?\s{{1,3}}\d{{4}}"
         rf"|{_MONTH}\s{{1,3}}\d{{1,2}}(?:st|nd|rd|th)?,?\s{{1,3}}\d{{4}})(?!\d)")
DATE_OF_BIRTH = re.compile(
    rf"\b(?:date\s{{1,3}}of\s{{1,3}}birth|d\.o\.b\b\.?|dob|birth\s{{0,3}}date|born(?:\s{{1,3}}on)?|"
    rf"birthday\s{{0,3}}(?:is|:))\s{{0,3}}[:\-–(]?\s{{0,3}}(?:is\s{{1,3}}|was\s{{1,3}}|on\s{{1,3}}|the\s{{1,3}})?"
    rf"(?P<v>{_DATE})"
    r"|(?:出生日期|出生年月日?|出生于|出生在|生于|生日[是为：:])[是为：:\s]{0,3}"
    r"(?P<zh>(?:19|20)\d{2}\s{0,2}(?:年\s{0,2}\d{1,2}\s{0,2}月(?:\s{0,2}\d{1,2}\s{0,2}[日号])?"
    r"|[./\-]\d{1,2}(?:[./\-]\d{1,2})?)(?!\d))",
    re.IGNORECASE,
)

_STREET_SUFFIX = (r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|"
                  r"Terrace|Close|Crescent|Gardens|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Grove|Mews)")
_UK_POSTCODE = r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPSTUW\d]?\s\d[ABD-HJLNP-UW-Z]{2})"
_US_STATE = (r"(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|"
             r"NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)")
# "12 Oak Street", "Flat 3, 22 Ashford Road, Leeds LS6 2DF", "500 W Madison St, Chicago, IL 60661".
STREET_ADDRESS = re.compile(
    r"(?:\b(?:Flat|Apt\.?|Apartment|Unit|Suite)\s{1,3}\w{1,5},?\s{1,3})?"
    rf"(?<![\w\-.,])\d{{1,5}}[A-Za-z]?,?\s{{1,3}}(?:[NSEW]\.?\s{{1,3}})?(?:[A-Z][a-z]{{1,20}}\.?\s{{1,3}}){{1,3}}"
    rf"{_STREET_SUFFIX}\b\.?"
    r"(?:,?\s{1,3}(?:Apt\.?|Apartment|Flat|Unit|Suite|#)\s{0,3}\w{1,5})?"
    rf"(?:,?\s{{1,3}}(?:[A-Z][a-z]{{2,20}}\s{{1,3}}){{0,2}}(?:[A-Z][a-z]{{2,20}},?\s{{1,3}})?"
    rf"(?:{_US_STATE}\s{{1,2}}\d{{5}}(?:-\d{{4}})?(?!\d)|{_UK_POSTCODE}\b))?"
)
POSTCODE = re.compile(
    rf"(?<![\w\-]){_UK_POSTCODE}(?![\w\-])"
    rf"|(?:[A-Z][a-z]{{2,20}}\s{{1,3}}){{0,2}}[A-Z][a-z]{{2,20}},\s{{0,3}}{_US_STATE}\s{{1,2}}\d{{5}}(?:-\d{{4}})?(?!\d)"
    r"|\b(?:zip(?:\s{0,3}code)?|post\s{0,3}code|postal\s{1,3}code)\s{0,3}(?:is\s{1,3}|[:#]\s{0,3})?"
    rf"(?P<v>\d{{5}}(?:-\d{{4}})?(?!\d)|{_UK_POSTCODE}\b)"
    r"|(?:邮编|邮政编码)[是为：:\s]{0,3}(?P<zh>\d{6})(?!\d)",
)
# One Han character that can be part of a place name; the function words before an address ("我住在", "地址是",
# "寄到") cannot, so a match starts at the place name instead of swallowing the sentence.
def _han_except(excluded: str) -> str:
    """A character class of the CJK unified ideographs without `excluded` (one class test a character)."""
    ranges, start = [], 0x4E00
    for code in sorted({ord(ch) for ch in excluded}):
        if code > start:
            ranges.append(f"{chr(start)}-{chr(code - 1)}")
        start = code + 1
    ranges.append(f"{chr(start)}-\u9fff")
    return "[" + "".join(ranges) + "]"


_PLACE_CHAR = _han_except("我你他她它的是在住到址了把给从寄送请为于收")
ZH_ADDRESS = re.compile(
    rf"{_PLACE_CHAR}(?:{_PLACE_CHAR}|\d){{0,24}}?"
    r"(?:(?:路|街|大道|大街|巷|胡同|弄)(?:[\d一二三四五六七八九十]{1,3}段)?(?:\d{1,4}(?:巷|弄))?\d{1,5}(?:号|號)"
    r"|(?:小区|花园|公寓|大厦|新村|家园|苑)\d{1,4}(?:号楼|栋|幢|座))"
    # then the building and the flat: "3栋2单元501室", "华星时代广场A座1201"
    rf"(?:{_PLACE_CHAR}{{0,8}}?(?:\d{{1,5}}|[A-Za-z])(?:号楼|栋|幢|座|单元|楼|层|室|号))?"
    r"(?:(?:\d{1,5}|[A-Za-z])(?:号楼|栋|幢|座|单元|楼|层|室|号)){0,3}(?:\d{2,5}(?![\d号]))?"
)

# Capitalised words that follow "I'm", "Thanks," or "call me" without being a name.
_NOT_NAMES = frozenset("""
Very Really So Not Just Also Still Never Always Totally Extremely Absolutely Completely Quite Pretty Super Truly
Happy Sad Glad Sorry Disappointed Impressed Satisfied Pleased Angry Mad Upset Furious Thrilled Delighted Amazed
Excited Grateful Thankful Confused Annoyed Frustrated Done Sure Going Loving Buying Returning Writing Back Here
Now Again Finally Ready Tired Sick Fine Okay Ok Good Great Bad Awesome Amazing Excellent Perfect Fantastic Nice
Lovely Terrible Awful Horrible Poor Best Worst New Old First Last Big Small The A An And Or But With For From In
On At To Of By As It This That These Those Your My Our Their His Her Its We You They He She Me Us Them Everyone
All Team Support Customer Service Sir Madam Dear Hi Hello Hey Monday Tuesday Wednesday Thursday Friday Saturday
Sunday Today Tomorrow Tonight Soon Later Anytime January February March April May June July August September
October November December Pro Max Plus Mini Lite Ultra Air Lamp Light App Home Order Still Again Much Lot Lots
Please Thank Thanks Kind Regards Cheers Best Again Already Definitely Certainly Honestly Seriously Literally
Bluetooth Wifi Android Apple Google Amazon Premium Gold Silver Platinum Member Reviewer Buyer User Owner Fan
""".split())
# "Jane", "O'Neill", "MacLeod", "Smith-Jones"
_NAME_WORD = r"[A-Z](?:[a-z]{1,30}|'[A-Z][a-z]{1,30})(?:[A-Z][a-z]{1,30})?(?:-[A-Z][a-z]{1,30})?"
NAME_INTRO = re.compile(
    r"(?P<lead>\b(?:(?:[Mm]y|[Hh]is|[Hh]er|[Oo]ur)(?:\s{1,3}[a-z]{2,12}'s)?\s{1,3}name(?:\s{1,3}is|'s)|[Nn]ame's|"
    r"[Cc]all\s{1,3}me|[Ss]igned,?|[Rr]egards,?|[Tt]hanks,?|[Tt]hank\s{1,3}you,?|[Cc]heers,?|[Bb]est,|"
    r"(?:Mr|Mrs|Ms|Mx)\.?|"
    r"(?<!\w\s)(?:(?:[Ff]ull|[Cc]ustomer|[Cc]ontact)\s{1,3}name|[Nn]ame|[Cc]ustomer|[Cc]ontact|[Cc]lient)\s{0,2}:)"
    r"\s{1,10})"
    rf"(?P<name>{_NAME_WORD}(?:\s{{1,5}}{_NAME_WORD}){{0,2}})"
    # "This is Jane from support": only with "from" after the name.
    rf"|(?P<this_lead>\b[Tt]his\s{{1,3}}is\s{{1,5}})(?P<this_name>{_NAME_WORD}(?:\s{{1,5}}{_NAME_WORD})?)"
    r"(?=\s{1,3}from\b|\s{0,3},\s{0,3}from\b)"
    # "I'm Jane Smith": a capitalised pair not followed by a third capitalised word (Title Case is not a name).
    rf"|(?P<im_lead>\b(?:I'm|I’m|I\s{{1,3}}am)\s{{1,5}})(?P<im_name>{_NAME_WORD}\s{{1,5}}{_NAME_WORD})"
    r"(?!\s{1,5}[A-Z]|[\w'’-])"
)
_ZH_SURNAME = (
    r"(?:欧阳|司马|诸葛|上官|东方|慕容|司徒|皇甫|尉迟|令狐|公孙|夏侯|"
    r"[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    r"姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文"
    r"牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁"
    r"冉骆蓝游辛靳管柴蒙鲍华喻祁蒲房滕屈饶牟艾尤穆卓吉缪简项连芦麦褚娄窦戚岑景党宫费卜晏席卫柏宗瞿桂佟臧闵苟邬"
    r"边卞姬仇栾隋刁荣巫寇桑郎甄丛仲虞敖巩佘邝])"
)
# 我叫张伟 / 我的名字是王芳 / 姓名：李娜; after 我是 and 本人 only a name that ends the clause (我是李娜，…).
ZH_NAME_INTRO = re.compile(
    r"(?:我叫|我名叫|我的名字[是叫]|名字叫|姓名[是为：:\s]{1,3}|联系人[是为：:\s]{0,3}|收货人[是为：:\s]{0,3}|"
    r"收件人[是为：:\s]{0,3})"
    rf"(?P<name>{_ZH_SURNAME}[\u4e00-\u9fff]{{1,2}})"
    rf"|(?:我是|本人)(?P<name2>{_ZH_SURNAME}[\u4e00-\u9fff]{{1,2}})(?=[，,。.!！?？、；;\s在是来从想要的也已]|$)"
)
_ZH_NOT_NAMES = frozenset("高手 金主 方便 白领 万能 常客 安全 明白 关注 华为 文盲 高兴 路人 小白 新人 买家 卖家 老客户 "
                          "王者 江湖 宁愿 尚未 毛病 宗旨 甘心 曾经 时候 连续 于是 付款 余额 高端 龙头".split())


# --- the detectors, in order: an earlier one wins where two overlap ---------------------------------------------


class Detector(NamedTuple):
    kind: str  # the placeholder label
    label: str  # what a moderator reads
    pattern: re.Pattern[str]
    keep: Callable[[re.Match[str]], bool] | None = None  # True: not personal data after all


@dataclass(frozen=True)
class Finding:
    kind: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _before(match: re.Match[str], n: int = 24) -> str:
    return match.string[max(0, match.start() - n):match.start()]


def _cn_id_checksum_ok(value: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def _iban_ok(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _not_a_card(m: re.Match[str]) -> bool:
    """Fails the Luhn check, or is an order or tracking number by the words just before it."""
    if not _luhn_ok(_digits(m.group(0))):
        return True
    before = _before(m)
    return bool(ORDER_CONTEXT.search(before)) and not CARD_CONTEXT.search(before)


def _not_a_cn_id(m: re.Match[str]) -> bool:
    return not (_cn_id_checksum_ok(m.group(0)) or ID_CONTEXT.search(_before(m, 16)))


def _not_a_phone(m: re.Match[str]) -> bool:
    """Too short for a full number, or named an order/tracking/model number by the words just before it."""
    if len(_digits(m.group(0))) < 9:
        return True
    before = _before(m)
    return bool(ORDER_CONTEXT.search(before)) and not PHONE_CONTEXT.search(before)


def _not_an_iban(m: re.Match[str]) -> bool:
    return not _iban_ok(m.group(0))


def _name_length(m: re.Match[str]) -> int:
    """How many words of an English introduction's name are a name: the leading words that are not ordinary
    capitalised words ("Thanks, Jane Great service" takes "Jane"); after "I'm" both words of the pair or none."""
    words = m.group(_value_group(m)).split()
    taken = 0
    for word in words:
        if word in _NOT_NAMES:
            break
        taken += 1
    if m.group("im_lead") and taken < len(words):
        return 0
    return taken


# "Thanks, Lumo team": a capitalised word before one of these is a company, not a person.
_GROUP_AFTER = re.compile(r"\s{1,3}(?:team|support|staff|crew|folks|guys|people|customer\s{1,3}service)\b")


def _not_a_name(m: re.Match[str]) -> bool:
    if m.re is ZH_NAME_INTRO:
        return m.group(_value_group(m)) in _ZH_NOT_NAMES
    length = _name_length(m)
    if length == 0:
        return True
    start = m.start(_value_group(m))
    words = list(re.finditer(r"\S+", m.string[start:m.end()]))
    return bool(_GROUP_AFTER.match(m.string, start + words[length - 1].end()))


DETECTORS: tuple[Detector, ...] = (
    Detector("EMAIL", "email address", EMAIL),
    Detector("ID", "national ID number", CN_RESIDENT_ID, _not_a_cn_id),
    Detector("ID", "social security number", US_SSN),
    Detector("ID", "ID or account number", ID_WITH_CONTEXT),
    Detector("ID", "bank account (IBAN)", IBAN, _not_an_iban),
    Detector("CARD", "payment card", CARD_CANDIDATE, _not_a_card),
    Detector("DOB", "date of birth", DATE_OF_BIRTH),
    Detector("PASSWORD", "password", PASSWORD),
    Detector("ADDRESS", "street address", STREET_ADDRESS),
    Detector("ADDRESS", "address", ZH_ADDRESS),
    Detector("ADDRESS", "postcode", POSTCODE),
    Detector("PHONE", "phone number", PHONE, _not_a_phone),
    Detector("PHONE", "phone number", PHONE_LOCAL),
    Detector("NAME", "name", NAME_INTRO, _not_a_name),
    Detector("NAME", "name", ZH_NAME_INTRO, _not_a_name),
)


_LEAD_GROUPS = frozenset({"lead", "this_lead", "im_lead"})


def _value_group(m: re.Match[str]) -> str | None:
    """The named group that holds the personal data itself, when the pattern has one that matched."""
    return next((g for g in m.re.groupindex if g not in _LEAD_GROUPS and m.group(g)), None)


def _span(m: re.Match[str], kind: str) -> tuple[int, int]:
    """The part of a match that is the personal data (a name without "my name is", a date without "DOB")."""
    group = _value_group(m)
    if group is None:
        return m.start(), m.end()
    start, end = m.start(group), m.end(group)
    if m.re is NAME_INTRO:
        words = list(re.finditer(r"\S+", m.group(group)))
        end = start + words[_name_length(m) - 1].end()
    return start, end


def find_pii(text: str) -> list[Finding]:
    """Personal data in `text`, in order, without overlaps (the first detector of `DETECTORS` wins)."""
    taken = bytearray(len(text))
    found: list[Finding] = []
    for detector in DETECTORS:
        for m in detector.pattern.finditer(text):
            if detector.keep and detector.keep(m):
                continue
            start, end = _span(m, detector.kind)
            if end <= start or taken.find(1, start, end) != -1:
                continue
            taken[start:end] = b"\x01" * (end - start)
            found.append(Finding(detector.kind, detector.label, start, end))
    return sorted(found, key=lambda f: f.start)


def redact(text: str, author: str = "") -> Redacted:
    counts: Counter[str] = Counter()
    parts: list[str] = []
    last = 0
    for finding in find_pii(text):
        parts += [text[last:finding.start], f"[{finding.kind}]"]
        counts[finding.kind] += 1
        last = finding.end
    text = "".join([*parts, text[last:]])

    full_name = author.strip()
    for part in _author_names(author):
        # The full name in any case; a single part only as a name is written (capitalised), so that the
        # author "Will Hope" does not take "will" and "hope" out of every sentence.
        is_full_name = part == full_name
        needle = part if is_full_name else part[:1].upper() + part[1:]
        pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)", re.IGNORECASE if is_full_name else 0)
        text, n = pattern.subn("[NAME]", text)
        counts["NAME"] += n
    return Redacted(text=text, counts=dict(counts))


def _author_names(author: str) -> list[str]:
    """The author's full name and its parts long enough not to hit ordinary words."""
    author = author.strip()
    if not author or "@" in author:
        return [author] if author else []
    parts = [p for p in re.split(r"[\s._\-]+", author) if len(p) >= 3]
    return sorted({author, *parts}, key=len, reverse=True)

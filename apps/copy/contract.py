"""The contract every generated text keeps, shared by copy variants and reply drafts (replies imports this
module; it imports nothing above apps/corpus). Pure functions: no database, no model, no Django.

- `language_problem`: the text is in the requested language, or a sentence the user can act on.
- `find_placeholders`: redaction placeholders ([PHONE], [EMAIL], [NAME], [CARD] … what
  apps/corpus/redaction.py writes) and template slots ("[Your Name]", "{name}", "【电话】") never reach a
  customer or an ad.
- `find_unsupported_facts`: factual claims (services, prices, shipping, returns, warranties, durations,
  discounts, guarantees) found by pattern in English and Chinese; a claim is supported when a source states
  the same kind of fact (in either language) or holds its key terms, and holds its numbers. Each claim once.
- `find_customer_voice`: copy that speaks as a customer ("I bought", "my husband loves", "我买了",
  "用了一个月") or repeats a customer text near-verbatim (a long shared run of words or characters).

Every regular expression here has bounded repetition and no nested quantifiers, so a check is linear in the
length of the text (tests time them on adversarial input).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from apps.corpus.language import detect_language
from apps.corpus.tokens import fold_keeping_offsets

PLACEHOLDER = "placeholder"
LANGUAGE = "language"
SERVICE = "service"
PRICE = "price"
SHIPPING = "shipping"
RETURNS = "returns"
WARRANTY = "warranty"
DURATION = "duration"
DISCOUNT = "discount"
GUARANTEE = "guarantee"
CUSTOMER_VOICE = "customer_voice"
VERBATIM = "verbatim"
FACT_KINDS = (SERVICE, PRICE, SHIPPING, RETURNS, WARRANTY, DURATION, DISCOUNT, GUARANTEE)

REASONS = {
    PLACEHOLDER: "A placeholder for removed personal data or a template slot: it must never reach a customer.",
    SERVICE: "A service the brief, brand voice, knowledge and quoted texts do not mention. Check you offer it.",
    PRICE: "A price found in none of the brief, brand voice, knowledge or quoted texts. Check it.",
    SHIPPING: "A shipping or delivery promise nothing you gave supports. Check you offer it.",
    RETURNS: "A returns or refund promise nothing you gave supports. Check your returns policy.",
    WARRANTY: "A warranty nothing you gave supports. Check the product's warranty.",
    DURATION: "A duration (hours, days, years) found in none of your material. Check it is true.",
    DISCOUNT: "A discount or offer nothing you gave supports. Check it exists.",
    GUARANTEE: "A guarantee nothing you gave supports. Check you can honour it.",
    CUSTOMER_VOICE: "Speaks as a customer (first-person experience): brand copy must not pose as a review.",
    VERBATIM: "Repeats a customer's text almost word for word: quote it as a customer, or rewrite it.",
}

LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "de": "German", "fr": "French", "es": "Spanish",
                  "ja": "Japanese", "it": "Italian", "pt": "Portuguese", "ko": "Korean", "ru": "Russian",
                  "nl": "Dutch"}


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str  # as it appears in the checked text
    start: int
    end: int
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


# One folding for every check of generated text: offsets found in the folded text index the original.
fold = fold_keeping_offsets


# --- language -------------------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LETTER = re.compile(r"[^\W\d_]")


def cjk_share(text: str) -> float:
    letters = _LETTER.findall(text or "")
    return len(_CJK.findall(text or "")) / len(letters) if letters else 0.0


def written_in(text: str) -> str:
    """The language a generated text is written in: zh by its script, others as detected ("" unknown)."""
    if _KANA.search(text or ""):
        return "ja"
    if cjk_share(text) >= 0.3:
        return "zh"
    return detect_language(text or "")


def language_matches(text: str, expected: str) -> bool:
    """Whether `text` is in `expected`. Short or unclear texts pass unless their script is clearly another's."""
    if not expected or not (text or "").strip():
        return True
    if expected == "zh":
        return cjk_share(text) >= 0.3 and not _KANA.search(text)
    if expected == "ja":
        return bool(_KANA.search(text))
    if cjk_share(text) >= 0.3:
        return False
    found = detect_language(text)
    return found in ("", expected) or len(text.strip()) < 20


def language_problem(text: str, expected: str) -> str | None:
    """None when `text` is in `expected`; otherwise the sentence a user reads next to the failed item."""
    if language_matches(text, expected):
        return None
    found = written_in(text)
    wrote = LANGUAGE_NAMES.get(found, "another language")
    wanted = LANGUAGE_NAMES.get(expected, f"'{expected}'")
    return f"The model wrote {wrote} instead of {wanted}; try again or use a larger model."


# --- placeholders ---------------------------------------------------------------------------------------------

# Words a template slot is made of ("[Your Name]", "[Company Phone]", "[insert link]", "【电话】").
_SLOT_WORDS = (r"name|email|e-mail|phone|number|address|order|card|link|url|website|date|time|product|company|"
               r"brand|signature|insert|your|customer|agent|contact|id|account|city|price|amount|code|"
               r"姓名|名字|电话|手机|邮箱|地址|订单|单号|链接|网址|日期|产品|公司|客服")
# Redaction's labels ("[PHONE]", "[ORDER_ID]") are upper-case: matched case-sensitively, so "[sic]" is not one.
_LABEL_RE = re.compile(r"\[\s{0,3}[A-Z][A-Z0-9]{1,20}(?:[ _-]{1,3}[A-Z0-9]{1,20}){0,4}\s{0,3}\]|<[A-Z][A-Z_]{1,20}>")
_SLOT_RE = re.compile(
    rf"\[[^\[\]\n]{{0,30}}(?<![a-z])(?:{_SLOT_WORDS})(?![a-z])[^\[\]\n]{{0,30}}\]"  # [Your Name], [电话]
    rf"|【[^【】\n]{{0,20}}(?:{_SLOT_WORDS})[^【】\n]{{0,20}}】"  # 【姓名】
    r"|\{\{?\s{0,3}[A-Za-z_][A-Za-z0-9_ ]{0,30}\}\}?", re.IGNORECASE)  # {name}, {{ order_id }}


def find_placeholders(text: str) -> list[Finding]:
    """Every placeholder in `text`: redaction's labels and template slots, each occurrence."""
    spans: list[tuple[int, int]] = []
    for pattern in (_LABEL_RE, _SLOT_RE):
        spans += [(m.start(), m.end()) for m in pattern.finditer(text or "")]
    return [Finding(PLACEHOLDER, text[s:e], s, e, REASONS[PLACEHOLDER]) for s, e in _longest_first(spans)]


def _longest_first(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]))):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


# --- numbers --------------------------------------------------------------------------------------------------

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_NUMBER_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,4})?(?![\d,])"
                        r"|(?<![\d.,])\d{1,9}(?:\.\d{1,4})?(?!\d)")
_ZH_NUMBER_RE = re.compile(r"(?<![零〇一二两三四五六七八九十百])[零〇一二两三四五六七八九十百]{1,6}")
_EN_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                    "nine": 9, "ten": 10, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
                    "sixty": 60, "ninety": 90, "hundred": 100}
_EN_NUMBER_WORD_RE = re.compile(rf"(?<![a-z])(?:{'|'.join(_EN_NUMBER_WORDS)})(?![a-z])")


def zh_numeral_value(numeral: str) -> int | None:
    """一 → 1, 十 → 10, 三十五 → 35, 一百二十 → 120, 两 → 2; None for anything else ("三五"). Replies use it too."""
    total, current = 0, None
    for ch in numeral:
        if ch in _ZH_DIGITS:
            if current is not None:
                return None  # "三五": not a number we read
            current = _ZH_DIGITS[ch]
        elif ch == "十":
            total += (1 if current is None else current) * 10
            current = None
        elif ch == "百":
            total += (1 if current is None else current) * 100
            current = None
        else:
            return None
    return total + (current or 0)


def numbers_in(text: str) -> set[float]:
    """The values of the numbers in `text`: digits, simple Chinese numerals and English number words."""
    folded = fold(text)
    values = {float(m.group(0).replace(",", "")) for m in _NUMBER_RE.finditer(folded)}
    for m in _ZH_NUMBER_RE.finditer(folded):
        value = zh_numeral_value(m.group(0))
        if value is not None:
            values.add(float(value))
    values |= {float(_EN_NUMBER_WORDS[m.group(0)]) for m in _EN_NUMBER_WORD_RE.finditer(folded)}
    return values


# --- factual claims -------------------------------------------------------------------------------------------

_L = r"[0-9a-z\u00c0-\u024f]"  # inside a Latin word
_N = r"(?:\d{1,4}|one|two|three|four|five|six|seven|eight|ten|twelve|fourteen|fifteen|twenty|thirty|sixty|ninety)"
_ZN = r"(?:\d{1,4}|[零一二两三四五六七八九十百]{1,4})"
# Durations leave out "one" and a lone 一: "one day at a time", "每一天" are idiom, not claims.
_DN = r"(?:\d{1,4}|two|three|four|five|six|seven|eight|ten|twelve|fourteen|fifteen|twenty|thirty|sixty|ninety)"
_ZDN = r"(?:\d{1,4}|[两三四五六七八九十百][零一二两三四五六七八九十百]{0,3}|一[十百][零一二两三四五六七八九十]{0,2})"
_UNITS = r"(?:hours?|hrs?|days?|nights?|weeks?|months?|years?|yrs?|minutes?|mins?)"
_ZH_UNITS = r"(?:个?小时|天|日|个?星期|周|个?月|年|分钟)"


def _en(pattern: str) -> str:
    return rf"(?<!{_L})(?:{pattern})(?!{_L})"


# (kind, concept, pattern). A concept names the fact in a language-free way, so a Chinese brief's "包邮" supports
# an English "free shipping"; a claim is supported when a source states the same concept with the same numbers.
_FACTS: list[tuple[str, str, str]] = [
    (SHIPPING, "free_shipping", _en(r"free\s{1,3}(?:shipping|delivery|postage)|ships?\s{1,3}(?:for\s{1,3})?free")),
    (SHIPPING, "free_shipping", r"包邮|免运费|免邮|免费(?:送货|配送|快递|邮寄)|运费全免"),
    (SHIPPING, "fast_delivery", _en(r"(?:same|next|one|1|two|2)[- ]day\s{1,3}(?:delivery|shipping|dispatch)"
                                    r"|express\s{1,3}(?:delivery|shipping)|overnight\s{1,3}(?:delivery|shipping)")),
    (SHIPPING, "fast_delivery", r"次日达|当日达|隔日达|当天发货|24小时发货|顺丰(?:包邮|快递|发货)?|极速(?:发货|配送)"),
    (SHIPPING, "worldwide_shipping", _en(r"(?:worldwide|international|global)\s{1,3}(?:shipping|delivery)")),
    (SHIPPING, "worldwide_shipping", r"全球(?:配送|发货|包邮)|全国(?:包邮|配送|发货)"),
    (RETURNS, "returns", _en(rf"{_N}[- ]day\s{{1,3}}(?:free\s{{1,3}})?(?:returns?|refunds?|money[- ]back|trial|"
                             rf"exchanges?)|(?:free|easy|hassle[- ]free)\s{{1,3}}(?:returns?|exchanges?)"
                             rf"|returns?\s{{1,3}}(?:are\s{{1,3}})?(?:free|accepted|within\s{{1,3}}{_N}\s{{1,3}}"
                             rf"{_UNITS})|refunds?\s{{1,3}}within\s{{1,3}}{_N}\s{{1,3}}{_UNITS}"
                             r"|no[- ]questions?[- ]asked|money[- ]back|full\s{1,3}refunds?"
                             r"|(?:(?<=and\s)|(?<=&\s))returns?")),  # "free shipping and returns"
    (RETURNS, "returns", rf"{_ZN}天无理由(?:退货|退换货?|退款)?|无理由(?:退货|退换货?|退款)|包退|包换|退换无忧|运费险"
                         r"|(?:免费|免费上门)退换|全额退款"),
    (WARRANTY, "warranty", _en(rf"(?:lifetime|extended|full|limited|{_N}[- ](?:year|yr|month))\s{{0,3}}"
                               r"warrant(?:y|ies)|warrant(?:y|ies|ied)")),
    (WARRANTY, "warranty", rf"终身(?:保修|质保|维修)|{_ZN}年(?:保修|质保)|保修|质保|延保|包修|三包"),
    (GUARANTEE, "guarantee", _en(r"(?:satisfaction|price[- ]match|quality|money[- ]back)\s{1,3}guarantee[ds]?"
                                 r"|guarantee[ds]?")),
    (GUARANTEE, "guarantee", r"保证|包您满意|假一(?:赔|罚)[十三一二]|正品保障|品质保障"),
    (SERVICE, "service", _en(r"(?:expert|professional|free|dedicated|personal|in[- ]home|on[- ]site|white[- ]glove|"
                             r"24/7|round[- ]the[- ]clock|lifetime)(?:\s{1,3}[a-z]{2,15}){0,2}\s{1,3}(?:service|"
                             r"support|installation|install|repairs?|replacements?|set[- ]?up|assembly|"
                             r"consultations?|cleaning|maintenance|engraving|fitting|trade[- ]ins?)s?"
                             r"|24/7|trade[- ]in\s{1,3}(?:program|offer|service)")),
    (SERVICE, "service", r"(?:免费|专业|上门|终身|24小时|全天候|一对一|专属)[\u4e00-\u9fff]{0,4}?"
                         r"(?:服务|安装|维修|更换|客服|咨询|保养|清洗|刻字)|以旧换新"),
    (PRICE, "price", r"[$€£¥￥]\s?\d{1,7}(?:,\d{3}){0,2}(?:\.\d{1,2})?"),
    (PRICE, "price", _en(r"\d{1,7}(?:\.\d{1,2})?\s?(?:usd|eur|gbp|rmb|cny|dollars?|bucks|euros?|pounds?)")),
    (PRICE, "price", r"(?<![\d.])\d{1,7}(?:\.\d{1,2})?\s?(?:元|块钱|块|美元|欧元)|仅售|只要\d{1,7}|到手价"),
    (DISCOUNT, "discount", _en(r"\d{1,3}(?:\.\d{1,2})?\s?(?:%|percent)\s{0,3}(?:off|discount|cheaper|savings?)"
                               r"|(?:half|half-)\s?price|buy\s{1,3}one[,]?\s{1,3}get\s{1,3}one|bogo|discount(?:s|ed)?"
                               r"|coupons?|promo\s{1,3}codes?|vouchers?|on\s{1,3}sale|sale\s{1,3}price|"
                               r"(?:free|bonus)\s{1,3}gifts?|save\s{1,3}[$€£¥]?\d{1,6}")),
    (DISCOUNT, "discount", r"(?<![\d.])(?:\d(?:\.\d)?|[一二三四五六七八九])折|折扣|打折|优惠|满\d{1,5}减\d{1,5}|"
                           r"买一送一|限时特价|特价|立减|优惠券|红包|赠品|免费赠送|半价|秒杀"),
    (DURATION, "duration", _en(rf"{_DN}\+?\s?-?\s?{_UNITS}|all[- ](?:day|night|week)\s{{1,3}}(?:battery|long)")),
    (DURATION, "duration", rf"(?<![每某这那哪])(?<!\d){_ZDN}\+?\s?{_ZH_UNITS}(?:续航|待机)?"
                           rf"|(?:超长|持久)?续航[\u4e00-\u9fff]{{0,2}}{_ZDN}{_ZH_UNITS}"),
]
_FACT_RES = [(kind, concept, re.compile(pattern)) for kind, concept, pattern in _FACTS]
_KIND_ORDER = {kind: i for i, kind in enumerate(FACT_KINDS)}
# Words of a claim that carry no fact of their own: "our expert service" is supported by "expert … service".
_FILLER = frozenset("a an the our your we you us all any of for to and with in on at is are be it its free day days "
                    "hours hour week weeks month months year years".split())
_WORD = re.compile(r"[a-z\u00c0-\u024f]{3,20}")


@dataclass(frozen=True)
class FactClaim:
    kind: str
    concept: str
    text: str
    start: int
    end: int
    numbers: frozenset[float]

    def finding(self) -> Finding:
        return Finding(self.kind, self.text, self.start, self.end, REASONS[self.kind])


def _every_claim(text: str) -> list[FactClaim]:
    folded = fold(text)
    found = []
    for kind, concept, pattern in _FACT_RES:
        for m in pattern.finditer(folded):
            words = text[m.start():m.end()]
            found.append(FactClaim(kind, concept, words, m.start(), m.end(), frozenset(numbers_in(words))))
    return found


def find_fact_claims(text: str) -> list[FactClaim]:
    """Every factual claim in `text`, by position; where two overlap the longer one is kept."""
    kept: list[FactClaim] = []
    for claim in sorted(_every_claim(text), key=lambda c: (c.start, -(c.end - c.start), _KIND_ORDER[c.kind])):
        if kept and claim.start < kept[-1].end:
            continue
        kept.append(claim)
    return kept


@dataclass(frozen=True)
class Support:
    """What generated text may state as fact, prepared once: the sources folded, their concepts and numbers."""

    text: str
    concepts: frozenset[str]
    numbers: frozenset[float]


def support_from(sources: Iterable[str]) -> Support:
    """The brief, brand voice, knowledge snippets and cited texts a generation may rely on."""
    texts = [s for s in sources if s and s.strip()]
    concepts = {c.concept for s in texts for c in _every_claim(s)}  # "refunds within 30 days" is a duration too
    numbers = {n for s in texts for n in numbers_in(s)}
    return Support("\n".join(fold(s) for s in texts), frozenset(concepts), frozenset(numbers))


def _key_terms(claim_text: str) -> list[str]:
    folded = fold(claim_text)
    words = [w for w in _WORD.findall(folded) if w not in _FILLER]
    cjk = "".join(_CJK.findall(folded))
    return words + [cjk[i:i + 2] for i in range(len(cjk) - 1)]


def is_supported(claim: FactClaim, support: Support) -> bool:
    """A claim's numbers must all occur in the sources, and either a source states the same concept (in any
    language) or every key term of the claim occurs in the sources."""
    if not claim.numbers <= support.numbers:
        return False
    if claim.concept in support.concepts and claim.concept not in ("service", "duration", "price"):
        return True
    if claim.concept in ("duration", "price") and claim.numbers and claim.concept in support.concepts:
        return True  # the same number stated as a duration or a price somewhere in the sources
    terms = _key_terms(claim.text)
    return bool(terms) and all(term in support.text for term in terms)


def claim_key(claim: FactClaim) -> tuple:
    """Two mentions of one claim ("free shipping" in the headline and "ships free" in the body) share a key."""
    if claim.concept in ("service", "duration", "price"):
        return claim.concept, " ".join(fold(claim.text).split())
    return claim.concept, tuple(sorted(claim.numbers))


def find_unsupported_facts(text: str, support: Support, seen: set | None = None) -> list[Finding]:
    """The claims of `text` the sources do not support, each once (pass `seen` to share it across fields)."""
    seen = set() if seen is None else seen
    found = []
    for claim in find_fact_claims(text):
        if is_supported(claim, support) or claim_key(claim) in seen:
            continue
        seen.add(claim_key(claim))
        found.append(claim.finding())
    return found


# --- customer voice -------------------------------------------------------------------------------------------

_EN_VOICE = _en(
    r"i\s{1,3}(?:just\s{1,3}|finally\s{1,3}|recently\s{1,3})?(?:bought|purchased|ordered|received|returned|"
    r"got\s{1,3}(?:mine|it|this|one)|picked\s{1,3}up)"
    r"|i(?:'ve|\s{1,3}have)\s{1,3}(?:been\s{1,3}using|had\s{1,3}(?:it|mine|this)|owned|used\s{1,3}(?:it|this))"
    r"|i\s{1,3}(?:use|used)\s{1,3}(?:it|mine|this)\s{1,3}(?:every|for|daily)"
    r"|my\s{1,3}(?:husband|wife|kids?|son|daughter|mom|mum|mother|dad|father|partner|boyfriend|girlfriend|"
    r"family|grandma|baby|toddler)\s{1,3}(?:loves?|likes?|uses?|used|bought|says?|said|thinks?|adores?)"
    r"|(?:5|five)\s{1,3}stars?\s{1,3}from\s{1,3}me|would\s{1,3}(?:definitely\s{1,3})?buy\s{1,3}again"
    r"|(?:after|for)\s{1,3}(?:a|one|two|three|\d{1,2})\s{1,3}(?:weeks?|months?|years?)\s{1,3}of\s{1,3}"
    r"(?:use|using)")
_ZH_VOICE = (r"我(?:刚|终于|已经)?买了|我(?:刚|已经)?入手"
             r"|我(?:老公|老婆|先生|太太|爱人|妈|爸|家孩子|家宝宝|儿子|女儿|男朋友|女朋友)"
             r"|(?:已经|我)?用了[0-9一二两三四五六七八九十半]{1,3}个?(?:月|星期|周|天|年)"
             r"|收到货|到货(?:后|了)|回购|给个?好评|五星好评|买给(?:我|家)")
_VOICE_RE = re.compile(f"{_EN_VOICE}|{_ZH_VOICE}")
VERBATIM_WORDS = 8  # a shared run of this many words (or VERBATIM_CHARS Chinese characters) is a copy
VERBATIM_CHARS = 12
_TOKEN = re.compile(r"[0-9a-z\u00c0-\u024f']{1,40}|[\u3400-\u4dbf\u4e00-\u9fff]")


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(fold(text))]


def _run_length(token: str) -> int:
    return VERBATIM_CHARS if _CJK.match(token) else VERBATIM_WORDS


def find_verbatim(text: str, customer_texts: Iterable[str]) -> list[Finding]:
    """Spans of `text` that repeat a run of VERBATIM_WORDS words (VERBATIM_CHARS Chinese characters) of a
    customer text. Linear: every n-gram of the customers' texts goes into a set once."""
    mine = _tokens(text)
    found: list[tuple[int, int]] = []
    for n in sorted({VERBATIM_WORDS, VERBATIM_CHARS}):
        grams: set[tuple[str, ...]] = set()
        for other in customer_texts:
            words = [t for t, _, _ in _tokens(other)]
            grams |= {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
        if not grams:
            continue
        for i in range(len(mine) - n + 1):
            window = mine[i:i + n]
            if _run_length(window[0][0]) == n and tuple(t for t, _, _ in window) in grams:
                found.append((window[0][1], window[-1][2]))
    spans = _merge(found)
    return [Finding(VERBATIM, text[s:e], s, e, REASONS[VERBATIM]) for s, e in spans]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_customer_voice(text: str, customer_texts: Iterable[str] = ()) -> list[Finding]:
    """First-person customer experience, and near-verbatim copies of customer texts."""
    folded = fold(text)
    voice = [Finding(CUSTOMER_VOICE, text[m.start():m.end()], m.start(), m.end(), REASONS[CUSTOMER_VOICE])
             for m in _VOICE_RE.finditer(folded)]
    return sorted([*voice, *find_verbatim(text, customer_texts)], key=lambda f: f.start)

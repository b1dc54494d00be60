"""Deterministic checks of reply drafts. Pure functions: no database, no model server.

A reply may state only what it can rely on, and offer only what the reply policy allows:

- Facts (order numbers, prices, percentages, other numbers, links) must appear in the customer's own text, the
  reply policy or a knowledge snippet: a reply may repeat the customer's order number, never invent one.
- Offers (refunds, compensation such as vouchers or discounts, replacements, guarantees and promises, deadlines)
  are allowed only when the policy's allowed promises, one of its sentences that is not a prohibition, or a
  knowledge snippet covers that kind of offer. The customer asking for a refund does not make one allowed.
- Words the brand voice avoids are flagged.
- The contract shared with copy (apps/copy/contract.py): no placeholders ([PHONE], [EMAIL], "[Your Name]"),
  and factual claims (services, shipping, returns, warranties, durations, discounts) only where the customer's
  text, the policy or a knowledge snippet supports them, each flagged once.
- `language_matches` (from the contract): the reply is written in the customer's language (zh is told from en
  by its script; other languages by apps/corpus/language.detect_language).

Every pattern has bounded repetition: the checks are linear in the draft's length.

Every finding is a `Flag` with the exact span, so a page can highlight it (`segments`) while escaping every
character; a draft with flags is generated again, and if flags remain it is kept but cannot be approved until
a person edits them away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from apps.copy import contract
from apps.copy.contract import language_matches, written_in, zh_numeral_value
from apps.corpus import citations, highlight
from apps.corpus.tokens import fold_keeping_offsets, normalise, term_pattern

ORDER_NUMBER = "order_number"
PRICE = "price"
PERCENTAGE = "percentage"
NUMBER = "number"
LINK = "link"
REFUND = "refund"
COMPENSATION = "compensation"
REPLACEMENT = "replacement"
GUARANTEE = "guarantee"
DEADLINE = "deadline"
BANNED_WORD = "banned_word"
LANGUAGE = "language"
PLACEHOLDER = contract.PLACEHOLDER

REASONS = {
    ORDER_NUMBER: "An order or reference number the customer did not give. Never invent one.",
    PRICE: "A price or amount found neither in the customer's text, the policy nor the knowledge snippets.",
    PERCENTAGE: "A percentage found neither in the customer's text, the policy nor the knowledge snippets.",
    NUMBER: "A number found neither in the customer's text, the policy nor the knowledge snippets. Check it.",
    LINK: "A link or address that is not in the policy or the knowledge snippets.",
    REFUND: "Offers a refund, but the reply policy does not allow refunds.",
    COMPENSATION: "Offers compensation (a voucher, discount or credit) the reply policy does not allow.",
    REPLACEMENT: "Offers a replacement or exchange the reply policy does not allow.",
    GUARANTEE: "Makes a guarantee or promise the reply policy does not cover.",
    DEADLINE: "Promises a date or deadline the reply policy and knowledge snippets do not give.",
    BANNED_WORD: "Uses a word the brand voice avoids.",
    LANGUAGE: "Not written in the customer's language.",
}

_L = r"[0-9A-Za-z\u00C0-\u024F]"  # what counts as "inside a word" for Latin-script matching


# One finding type for every check of generated text (apps/copy/contract.py), and one folding.
Flag = contract.Finding
_fold = fold_keeping_offsets


# --- numbers ---------------------------------------------------------------------------------------------

# Not inside another number ("1,000" is one number; a comma after a word or a full-width "，" is punctuation).
_NUMBER_RE = re.compile(r"(?<![\d.])(?<!\d,)(?:\d{1,3}(?:,\d{3}){1,6}(?:\.\d{1,8})?(?!\d|,\d)"
                        r"|\d{1,30}(?:\.\d{1,30}){0,4}(?![\d.]\d))")
# Chinese numerals before a unit ("三十天", "两周", "五元"): the numbers of Chinese replies.
_ZH_NUMERAL_RE = re.compile(r"(?<![零〇一二两三四五六七八九十百])[零〇一二两三四五六七八九十百]{1,8}"
                            r"(?=\s?(?:天|日|周|个?星期|个?月|年|小时|分钟|元|块|美元|欧元|折|倍|次|%))")


def canonical_number(token: str) -> str:
    """'1,000' → '1000', '9.90' → '9.9', '30' → '30', '2.3.1' stays (a version)."""
    token = token.replace(",", "")
    if token.count(".") == 1:
        whole, _, frac = token.partition(".")
        frac = frac.rstrip("0")
        return f"{int(whole)}.{frac}" if frac else str(int(whole))
    if "." not in token:
        return str(int(token))
    return token


def numbers_in(text: str) -> list[tuple[str, int, int]]:
    """(canonical value, start, end) of every number written in Arabic digits or simple Chinese numerals."""
    folded = _fold(text)
    found = [(canonical_number(m.group(0)), m.start(), m.end()) for m in _NUMBER_RE.finditer(folded)]
    for m in _ZH_NUMERAL_RE.finditer(folded):
        value = zh_numeral_value(m.group(0))
        if value is not None:
            found.append((str(value), m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


# --- facts: order numbers, prices, percentages, links --------------------------------------------------------

# Every repetition below is bounded, and a pattern that could start inside a long run of its own characters
# has a look-behind that forbids it, so each check is linear in the draft's length (a 20,000-character draft of
# "a-a-a-…" took seconds with the unbounded link pattern).
_ORDER_RES = [
    re.compile(rf"(?<!{_L})(?:order|ticket|case|tracking|invoice|reference|ref|rma|shipment|parcel)"
               r"(?:\s{1,3}(?:number|no\.?|id|code))?\s{0,3}(?:is\s{1,3})?[:#]?\s{0,3}(?=[a-z0-9-]{0,40}\d)"
               r"([a-z0-9][a-z0-9-]{3,40})(?![a-z0-9-])"),
    re.compile(r"(?:订单|单号|订单号|工单|快递单号|物流单号|运单号)[号:：\s]{0,3}(?=[a-z0-9-]{0,40}\d)"
               r"([a-z0-9][a-z0-9-]{3,40})(?![a-z0-9-])"),
    re.compile(r"#\s?(\d{3,40}|[a-z]{1,3}-?\d{3,40})"),
    re.compile(r"(?<![\d.])(?<!\d,)(\d{6,40})(?![\d.]|,\d)"),  # long digit runs read like order or tracking numbers
]
_AMOUNT = r"(?<![\d.,])(?:\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,4})?|\d{1,12}(?:\.\d{1,4})?)"
_PRICE_RES = [
    re.compile(rf"[$€£¥]\s?({_AMOUNT})"),
    re.compile(rf"({_AMOUNT})\s?(?:usd|eur|gbp|rmb|cny|dollars?|bucks|euros?|pounds?|cents?|元|块钱|块|美元|欧元|英镑)"),
]
_PERCENT_RES = [
    re.compile(r"(?<![\d.])(\d{1,12}(?:\.\d{1,4})?)\s?(?:%|percent|per\s{1,3}cent)"),
    re.compile(r"百分之([零〇一二两三四五六七八九十百]{1,8}|\d{1,4})"),
    re.compile(r"(?<![\d.])(\d(?:\.\d)?|[一二三四五六七八九])折"),
]
_URL_CHARS = r"[^\s<>\"'，。]"
_LINK_RE = re.compile(rf"https?://{_URL_CHARS}{{1,2000}}|(?<![\w.])www\.{_URL_CHARS}{{1,2000}}"
                      r"|(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,190}"
                      rf"|(?<![\w@.-])[a-z0-9-]{{1,63}}\.(?:com|net|org|io|co|cn|de|fr|es|jp|app|shop)"
                      rf"(?:/{_URL_CHARS}{{0,2000}})?")


def _value_of(token: str) -> str:
    token = token.strip()
    value = zh_numeral_value(token) if token else None  # None unless all Chinese numerals (and not "三五")
    if value is not None:
        return str(value)
    try:  # a token of numerals that reads as no number fails here too (int("三五")) and stays as it is
        return canonical_number(token)
    except ValueError:
        return token


def _code(token: str) -> str:
    return re.sub(r"[\s-]", "", normalise(token))


@dataclass(frozen=True)
class Allowed:
    """What a draft may rely on, prepared once per text: the facts it may state and the offers it may make."""

    facts_text: str  # folded: customer text, policy, knowledge
    numbers: frozenset[str]
    codes: frozenset[str]
    offers: frozenset[str]  # the offer kinds (refund, replacement …) the policy or knowledge covers
    offer_text: str = ""  # folded: where deadlines must appear (a policy's "30 days" allows no "tomorrow")
    banned: tuple[str, ...] = ()
    support: contract.Support = contract.support_from(())  # factual claims (shipping, warranties …) it may make


def allowed_from(*, customer_text: str, policy_text: str = "", allowed_promises: Iterable[str] = (),
                 knowledge: Iterable[str] = (), extra_facts: Iterable[str] = (),
                 banned_words: Iterable[str] = ()) -> Allowed:
    knowledge = [k for k in knowledge if k]
    promises = [p for p in allowed_promises if p]
    facts = [customer_text, policy_text, *promises, *knowledge, *extra_facts]
    folded = "\n".join(_fold(f) for f in facts if f)
    numbers = {value for f in facts if f for value, _, _ in numbers_in(f)}
    codes = {_code(m) for m in re.findall(r"[a-z0-9][a-z0-9-]{3,40}", folded) if re.search(r"\d", m)}
    offer_text = "\n".join([*promises, *knowledge, *permissive_sentences(policy_text)])
    offers = frozenset(kind for kind, _ in offers_in(offer_text))
    return Allowed(folded, frozenset(numbers), frozenset(codes), offers, _fold(offer_text),
                   tuple(w for w in banned_words if w.strip()), contract.support_from(f for f in facts if f))


_PROHIBITION = re.compile(
    rf"(?<!{_L})(?:not|never|don'?t|do\s+not|cannot|can'?t|must\s+not|mustn'?t|avoid|forbidden)(?!{_L})"
    r"|禁止|不要|不得|不能|不可|切勿|请勿|严禁|避免|不承诺|不提供")


def permissive_sentences(policy_text: str) -> list[str]:
    """The policy's sentences that allow rather than forbid: "Never promise delivery dates" must not make
    deadlines allowed just because it mentions them."""
    sentences = re.split(r"(?<=[.!?;。！？；])\s*|\n+", policy_text or "")
    return [s for s in sentences if s.strip() and not _PROHIBITION.search(_fold(s))]


class _Taken:
    """The characters of a draft already accounted for: a mark per character, so checking a span costs its
    length, not the number of spans found before (thousands in an adversarial draft)."""

    def __init__(self, length: int):
        self.marks = bytearray(length + 1)

    def append(self, span: tuple[int, int]) -> None:
        start, end = span
        self.marks[start:end] = b"\x01" * (end - start)

    def overlaps(self, start: int, end: int) -> bool:
        return 1 in self.marks[start:end]


def find_fact_flags(draft: str, allowed: Allowed) -> list[Flag]:
    haystack = _fold(draft)
    flags: list[Flag] = []
    taken = _Taken(len(draft))

    def add(kind: str, start: int, end: int) -> None:
        flags.append(Flag(kind, draft[start:end], start, end, REASONS[kind]))
        taken.append((start, end))

    for m in _LINK_RE.finditer(haystack):
        link = m.group(0).rstrip(".,;:!?)")
        if link not in allowed.facts_text:
            add(LINK, m.start(), m.start() + len(link))
        else:
            taken.append((m.start(), m.end()))
    for pattern in _ORDER_RES:
        for m in pattern.finditer(haystack):
            if taken.overlaps(m.start(1), m.end(1)):
                continue
            token = m.group(1)
            if _code(token) in allowed.codes or (token.isdigit() and canonical_number(token) in allowed.numbers):
                taken.append((m.start(1), m.end(1)))
                continue
            add(ORDER_NUMBER, m.start(1), m.end(1))
    for kind, patterns in ((PRICE, _PRICE_RES), (PERCENTAGE, _PERCENT_RES)):
        for pattern in patterns:
            for m in pattern.finditer(haystack):
                if taken.overlaps(m.start(), m.end()):
                    continue
                if _value_of(m.group(1)) in allowed.numbers:
                    taken.append((m.start(), m.end()))
                    continue
                add(kind, m.start(), m.end())
    for value, start, end in numbers_in(draft):
        if taken.overlaps(start, end) or value in allowed.numbers:
            continue
        add(NUMBER, start, end)
    return flags


# --- offers -----------------------------------------------------------------------------------------------

_OFFERS: dict[str, list[str]] = {
    REFUND: [rf"(?<!{_L})(?:refund\w*|reimburs\w*|money\s+back|pay\s+(?:you\s+)?back|full\s+credit)(?!{_L})",
             r"退款|退钱|退还|返还|全额退|退费"],
    COMPENSATION: [rf"(?<!{_L})(?:compensat\w*|vouchers?|coupons?|discount\w*|store\s+credit|gift\s+cards?|"
                   rf"free\s+(?:month|months|shipping|upgrade|gift|accessor\w+)|credit\s+(?:to|on)\s+your)(?!{_L})",
                   r"补偿|赔偿|优惠券|代金券|折扣|红包|赠送|免单|返现|积分"],
    REPLACEMENT: [rf"(?<!{_L})(?:replac\w*|exchang\w*|(?:send|ship)\s+(?:you\s+)?a\s+new|new\s+unit)(?!{_L})",
                  r"换货|更换|换新|补发|重新发货|换一台|换一个"],
    GUARANTEE: [rf"(?<!{_L})(?:guarant\w*|promis\w*|assure\w*|warrant(?:y|ies)|never\s+happen\s+again|"
                rf"will\s+definitely|100\s?%\s+sure)(?!{_L})",
                r"保证|承诺|担保|一定会|绝对|再也不会|保修|包您满意"],
    DEADLINE: [rf"(?<!{_L})(?:tomorrow|tonight|next\s+(?:week|month|monday|tuesday|wednesday|thursday|friday)|"
               rf"by\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the\s+end\s+of\s+(?:the\s+)?"
               rf"(?:day|week|month))|within\s+(?:a|an|one|two|three|\d+)\s+(?:business\s+|working\s+)?"
               rf"(?:hours?|days?|weeks?|months?))(?!{_L})",
               r"明天|今晚|下周|下个?星期|下个月|本周内|这周内"
               r"|(?<![0-9一二两三四五六七八九十])[0-9一二两三四五六七八九十]{1,6}\s?(?:个)?(?:小时|天|日|工作日|周|星期)内"],
}
_OFFER_RES = {kind: re.compile("|".join(patterns)) for kind, patterns in _OFFERS.items()}


def offers_in(text: str) -> list[tuple[str, re.Match]]:
    """(offer kind, match) of every offer-like phrase in the text."""
    haystack = _fold(text)
    return [(kind, m) for kind, pattern in _OFFER_RES.items() for m in pattern.finditer(haystack)]


def _offer_allowed(kind: str, phrase: str, allowed: Allowed) -> bool:
    """Refunds, compensation, replacements and guarantees are allowed by kind. A deadline must be one the
    policy or knowledge gives: the same words, or the same number of days/hours ("30天内" for "30 days")."""
    if kind not in allowed.offers:
        return False
    if kind != DEADLINE:
        return True
    if re.sub(r"\s+", " ", phrase) in re.sub(r"\s+", " ", allowed.offer_text):
        return True
    values = [value for value, _, _ in numbers_in(phrase)]
    offered = {value for value, _, _ in numbers_in(allowed.offer_text)}
    return bool(values) and all(v in offered for v in values)


def find_offer_flags(draft: str, allowed: Allowed) -> list[Flag]:
    return [Flag(kind, draft[m.start():m.end()], m.start(), m.end(), REASONS[kind])
            for kind, m in offers_in(draft) if not _offer_allowed(kind, m.group(0), allowed)]


def find_banned(draft: str, words: Iterable[str]) -> list[Flag]:
    """Every occurrence of the brand voice's words to avoid, matched as copy matches them."""
    haystack = _fold(draft)
    flags = []
    for word in words:
        pattern = term_pattern(word)
        if pattern is not None:
            flags += [Flag(BANNED_WORD, draft[m.start():m.end()], m.start(), m.end(), REASONS[BANNED_WORD])
                      for m in pattern.finditer(haystack)]
    return flags


def find_contract_flags(draft: str, allowed: Allowed) -> list[Flag]:
    """The shared contract (apps/copy/contract.py): placeholders, and factual claims (services, shipping,
    returns, warranties, durations, discounts …) that nothing the reply may rely on supports, each once."""
    found = [*contract.find_placeholders(draft), *contract.find_unsupported_facts(draft, allowed.support)]
    return [Flag(f.kind, f.text, f.start, f.end, f.reason) for f in found]


def check_draft(draft: str, allowed: Allowed) -> list[Flag]:
    """Every policy problem of a draft, by position; where two overlap the longer one is kept. A contract claim
    overlapping a policy flag ("20% off" over "20%") leaves the policy flag, which says more precisely why."""
    flags = [*find_fact_flags(draft, allowed), *find_offer_flags(draft, allowed), *find_banned(draft, allowed.banned)]
    taken = _Taken(len(draft))
    for flag in flags:
        taken.append((flag.start, flag.end))
    flags += [f for f in find_contract_flags(draft, allowed)
              if f.kind == contract.PLACEHOLDER or not taken.overlaps(f.start, f.end)]
    return highlight.without_overlaps(flags)


# --- language ---------------------------------------------------------------------------------------------

def language_flag(text: str, expected: str) -> Flag | None:
    if language_matches(text, expected):
        return None
    return Flag(LANGUAGE, "", 0, 0, f"{REASONS[LANGUAGE]} (expected '{expected}', found "
                                    f"'{written_in(text) or 'unknown'}').")


# --- grounding and display --------------------------------------------------------------------------------



def valid_refs(cited: Iterable[str], shown: Iterable[str]) -> list[str]:
    """The cited references ("text:12", "snippet:3", "reply:7") that were shown, in order, without repeats."""
    return citations.shown_citations((str(ref).strip().lower() for ref in cited), shown)


def infer_refs(reply: str, material: Iterable[tuple[str, str]], limit: int = 3, min_shared: int = 2) -> list[str]:
    """References of the material sharing the most words with the reply, when the model cited none."""
    return citations.sharing_most_words(reply, material, limit, min_shared)


def segments(text: str, flags: Iterable[dict | Flag]) -> list[dict]:
    """`text` cut into consecutive pieces {"text", "flag"} so a template can highlight flags, escaping all."""
    return highlight.segments(text, flags, key="flag")

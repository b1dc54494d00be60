"""The fast, offline stage of moderation: pure functions, no database, no network.

Each detector turns a text into `Signal`s: a category, a severity (1 mild, 2 clear, 3 severe), whether the
evidence is *certain* (the fast stage may decide on it) or only a candidate that the LLM judge must settle,
and the span of text that raised it. A text with no signal at all is settled as clean here, which is what
keeps the share of texts that reach the LLM small.

Quality expectations (and tests) live here, not on the LLM judge: the test model is far too weak to judge.
Profanity in English uses alt-profanity-check (a linear model shipped in its wheel); Chinese and other
languages use a small curated lexicon and send their candidates to the LLM judge.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache

from apps.corpus.redaction import CARD_CANDIDATE, EMAIL, NAME_INTRO, PHONE, _luhn_ok

# --- categories (plain strings: this module must not need Django's app registry) ---------------------------

HARASSMENT = "harassment"
VIOLENCE = "violence"
SEXUAL = "sexual"
SELF_HARM = "self_harm"
SPAM = "spam"
PERSONAL_DATA = "personal_data"
PROMPT_INJECTION = "prompt_injection"
OFF_TOPIC = "off_topic"

CATEGORY_LABELS: dict[str, str] = {
    HARASSMENT: "Harassment / hate",
    VIOLENCE: "Threats / violence",
    SEXUAL: "Sexual content",
    SELF_HARM: "Self-harm",
    SPAM: "Spam / advertising",
    PERSONAL_DATA: "Personal data",
    PROMPT_INJECTION: "Prompt injection",
    OFF_TOPIC: "Off-topic",
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)
SEVERITY_LABELS = {0: "none", 1: "mild", 2: "clear", 3: "severe"}


@dataclass(frozen=True)
class Signal:
    category: str
    severity: int  # 1..3
    certain: bool  # False: a candidate the LLM judge has to settle
    detector: str  # e.g. "spam.url"
    reason: str  # a short phrase a moderator reads
    start: int | None = None  # span in the moderated text, when there is one to highlight
    end: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ScreenInput:
    text: str  # what later stages see (for customer texts: cleaned and redacted)
    original_text: str | None = None  # before redaction, for personal data; None when text is the original
    language: str = ""


@dataclass(frozen=True)
class DetectorContext:
    """What the detectors know of the workspace: its vocabulary, for the off-topic check. An empty
    vocabulary (too few texts to learn one) turns the vocabulary-based off-topic check off."""

    domain_terms: frozenset[str] = frozenset()


@dataclass
class FastResult:
    language: str
    signals: list[Signal] = field(default_factory=list)

    @property
    def certain_scores(self) -> dict[str, int]:
        scores: dict[str, int] = {}
        for s in self.signals:
            if s.certain:
                scores[s.category] = max(scores.get(s.category, 0), s.severity)
        return scores

    @property
    def candidates(self) -> list[Signal]:
        return [s for s in self.signals if not s.certain]

    @property
    def candidate_categories(self) -> set[str]:
        return {s.category for s in self.candidates}


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern:
    return re.compile(pattern, flags)


def _first(pattern: re.Pattern, text: str) -> re.Match | None:
    return pattern.search(text)


# --- personal data ---------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\[(EMAIL|PHONE|NAME|CARD)\]")
# Kinds of personal data corpus redaction does not remove: left in the analysed text, so they matter more.
UNREDACTED_PII: tuple[tuple[str, re.Pattern], ...] = (
    ("date of birth", _rx(r"\b(?:date of birth|d\.o\.b\.?|dob|born on|birthday)\b\W{0,3}(?:is\s+)?"
                          r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")),
    ("street address", re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|"
                                  r"Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent)\b")),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b")),
    ("address", re.compile(r"[\u4e00-\u9fff]{2,}(?:省|市)[\u4e00-\u9fff]{1,}(?:区|县)[\u4e00-\u9fff\d]{1,}"
                           r"(?:路|街|道)\d+号")),
    # North American numbers, e.g. "(415) 555-0132", in text no redaction ran on (generated copy, replies).
    ("phone number", re.compile(r"(?<!\d)(?:\(\d{3}\)\s?|\b\d{3}[-.])\d{3}[-.]\d{4}(?!\d)")),
    ("national ID number", re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{5}[\dXx](?!\w)")),
    ("social security number", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("bank account (IBAN)", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}\b")),
    ("name", re.compile(r"\b(?:[Nn]ame's|[Nn]ame is|[Nn]amed|[Cc]all me)\s+(?P<n>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")),
)
_PII_KIND_LABEL = {"EMAIL": "email address", "PHONE": "phone number", "NAME": "name", "CARD": "payment card"}


def _pii_in(text: str) -> list[tuple[str, int, int]]:
    """Contact details the redaction patterns find in `text` (kind, start, end)."""
    found: list[tuple[str, int, int]] = [("EMAIL", m.start(), m.end()) for m in EMAIL.finditer(text)]
    for m in CARD_CANDIDATE.finditer(text):
        if _luhn_ok(re.sub(r"\D", "", m.group(0))):
            found.append(("CARD", m.start(), m.end()))
    for m in PHONE.finditer(text):
        if len(re.sub(r"\D", "", m.group(0))) >= 9 and not any(s <= m.start() < e for _, s, e in found):
            found.append(("PHONE", m.start(), m.end()))
    for m in NAME_INTRO.finditer(text):
        group = "name" if m.group("lead") else "zh_name"
        found.append(("NAME", m.start(group), m.end(group)))
    return found


def detect_personal_data(text: str, original_text: str | None) -> list[Signal]:
    """Severity 1: contact details that redaction already replaced (the analysed text is safe, the moderator
    may want to know). Severity 2: personal data still present in the analysed text, or a payment card."""
    signals: list[Signal] = []
    # Contact details in the original that redaction replaced: evidence, highlighted at the placeholders.
    redacted_kinds = {kind for kind, _, _ in _pii_in(original_text)} if original_text and original_text != text \
        else set()
    for m in PLACEHOLDER.finditer(text):
        kind = m.group(1)
        redacted_kinds.add(kind)
        severity = 2 if kind == "CARD" else 1
        signals.append(Signal(PERSONAL_DATA, severity, True, f"pii.redacted.{kind.lower()}",
                              f"{_PII_KIND_LABEL[kind]} (redacted)", m.start(), m.end()))
    for kind in redacted_kinds - {s.detector.rsplit(".", 1)[-1].upper() for s in signals}:
        signals.append(Signal(PERSONAL_DATA, 2 if kind == "CARD" else 1, True, f"pii.redacted.{kind.lower()}",
                              f"{_PII_KIND_LABEL[kind]} (redacted)"))
    # Present in the text itself: generated copy, or kinds redaction does not cover.
    for kind, start, end in _pii_in(text):
        signals.append(Signal(PERSONAL_DATA, 2, True, f"pii.{kind.lower()}", _PII_KIND_LABEL[kind], start, end))
    for label, pattern in UNREDACTED_PII:
        for m in pattern.finditer(text):
            start, end = (m.start("n"), m.end("n")) if "n" in pattern.groupindex else (m.start(), m.end())
            signals.append(Signal(PERSONAL_DATA, 2, True, "pii.unredacted", f"{label} left in the text", start, end))
    return signals


# --- spam and advertising --------------------------------------------------------------------------------

URL_STRONG = _rx(r"\b(?:https?://|www\.)[^\s<>\"']+")
URL_BARE = _rx(r"(?<![@\w.])[a-z0-9][a-z0-9-]{1,62}\.(?:com|net|org|io|co|xyz|shop|top|biz|info|me|ly|link|click|"
               r"store|online|site|example|cn|ru)(?:/[^\s]*)?(?![\w.])")
SPAM_PHRASES: tuple[tuple[re.Pattern, int, str], ...] = (
    (_rx(r"\bbuy\b[^.!?]{0,30}\b(?:followers|likes|views|subscribers|backlinks|reviews)\b"), 3, "sells followers"),
    (_rx(r"\b(?:followers|likes|subscribers)\b[^.!?]{0,20}(?:\$|€|£|¥)\s?\d"), 2, "followers for money"),
    (_rx(r"\bbacklinks?\b"), 2, "backlinks"),
    (_rx(r"\bseo services?\b|\brank (?:your|you)\b[^.]{0,30}#?\s?1\b"), 2, "SEO offer"),
    (_rx(r"\b\d{1,2}\s?% off\b|\b\d{1,2} percent off\b"), 2, "discount offer"),
    (_rx(r"\b(?:use|enter|apply)\s+(?:the\s+)?(?:promo\s+|discount\s+|coupon\s+)?code\b|\b(?:promo|discount|coupon)"
         r" code\b"), 2, "promo code"),
    (_rx(r"\blimited time\b|\bact now\b|\bjoin now\b|\bsign up now\b|\border now\b|\bclick (?:here|the link|below)\b"),
     2, "call to action"),
    (_rx(r"\bguaranteed (?:results|income|profit|returns)\b|\bwholesale prices?\b|\bprice list\b"), 2, "sales pitch"),
    (_rx(r"\b(?:make|earn)\s+(?:\$|€|£)?\d[\d,]*\s*(?:k\b)?[^.]{0,20}\b(?:a day|per day|daily|a week|from home)\b"),
     2, "money-making offer"),
    (_rx(r"\b(?:check out|visit|follow|subscribe to)\s+(?:my|our)\s+(?:channel|profile|page|store|shop|site|website)"
         r"\b"), 2, "self-promotion"),
    (_rx(r"\b(?:crypto(?:currency)?|bitcoin|btc|ethereum|usdt|nft|airdrop|forex|binary options|trading bot)\b"), 2,
     "crypto offer"),
    (_rx(r"\bturn\s+(?:\$|€|£)\s?\d[\d,]*\s+into\s+(?:\$|€|£)\s?\d"), 2, "get-rich promise"),
    (_rx(r"\b(?:whatsapp|telegram)\b"), 1, "messenger contact"),
    # Chinese spam: WeChat contact dodges, fake-order jobs ("brushing"), daily pay, free gifts.
    (re.compile(r"加\s*[vV威薇微]\s*[信x]?|[vV]信|薇信|威信|\b[vV][xX]\b|加微"), 3, "WeChat contact (加V信)"),
    (re.compile(r"刷单|刷好评|刷信誉"), 3, "fake-order job (刷单)"),
    (re.compile(r"日结|日赚|月入\d|躺赚"), 2, "daily-pay job"),
    (re.compile(r"兼职"), 1, "side job"),
    (re.compile(r"免费领|扫码领|领取红包|点击链接|私信领取"), 2, "free gift lure"),
    (re.compile(r"返利|返现|代购|私聊|私信我"), 1, "trade solicitation"),
)
REPEATED_PUNCT = re.compile(r"[!?$€£¥！？]{3,}")
REPEATED_CHAR = re.compile(r"(.)\1{6,}")
PROMO_EMOJI = re.compile(r"[\U0001F680\U0001F4B0\U0001F4B8\U0001F911\U0001F449\U0001F525\u2705\U0001F381\U0001F4B5]")


def detect_spam(text: str) -> list[Signal]:
    points = 0
    reasons: list[str] = []
    best: tuple[int, int, int] | None = None  # (points, start, end) of the strongest single piece

    def add(n: int, reason: str, m: re.Match | None) -> None:
        nonlocal points, best
        points += n
        reasons.append(reason)
        if m is not None and (best is None or n > best[0]):
            best = (n, m.start(), m.end())

    if m := _first(URL_STRONG, text):
        add(2, "link", m)
    elif m := _first(URL_BARE, text):
        add(1, "web address", m)
    for pattern, n, reason in SPAM_PHRASES:
        if m := _first(pattern, text):
            add(n, reason, m)
    if m := _first(REPEATED_PUNCT, text):
        add(1, f"repeated {m.group(0)[:3]!r}", m)
    if m := _first(REPEATED_CHAR, text):
        add(1, "repeated characters", m)
    if len(PROMO_EMOJI.findall(text)) >= 3:
        add(1, "promotional emoji", None)
    letters = [c for c in text if c.isalpha() and c.isascii()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        add(1, "shouting in capitals", None)
    if points < 2:
        return []
    start, end = (best[1], best[2]) if best else (None, None)
    reason = "spam signals: " + ", ".join(dict.fromkeys(reasons))
    if points >= 6:
        return [Signal(SPAM, 3, True, "spam.score", reason, start, end)]
    if points >= 4:
        return [Signal(SPAM, 2, True, "spam.score", reason, start, end)]
    return [Signal(SPAM, 1, False, "spam.weak", reason, start, end)]


# --- prompt injection ------------------------------------------------------------------------------------

INJECTION_STRONG: tuple[re.Pattern, ...] = (
    _rx(r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|"
        r"above|earlier|preceding|former|original|system)\s+(?:instructions?|prompts?|rules|directions|messages|"
        r"guidelines)"),
    _rx(r"\b(?:reveal|print|show|repeat|output|leak)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|hidden\s+prompt|"
        r"instructions)"),
    _rx(r"\b(?:developer|dan|jailbreak|god)\s+mode\b|\bjailbreak\b|\bdo anything now\b"),
    _rx(r"(?:^|\n)\s*(?:system|assistant)\s*:", re.IGNORECASE),
    _rx(r"<\|im_start\|>|<\|system\|>|\[/?INST\]|<<SYS>>|</?data\b|</?system>"),
    re.compile(r"(?:忽略|无视|忘记|忘掉)(?:之前|以上|前面|先前|上面|上述|所有)(?:的|所有的?)?(?:指令|指示|提示|规则|要求|设定)"),
    re.compile(r"(?:输出|告诉我|显示|泄露)(?:你的)?系统提示(?:词)?"),
)
INJECTION_WEAK: tuple[re.Pattern, ...] = (
    _rx(r"\bsystem prompt\b|\bnew instructions\b|\byou are now\b|\bas an ai\b|\blanguage model\b"),
    _rx(r"\b(?:reply|respond|answer|output)\s+only\s+with\b"),
    _rx(r"\b(?:in|into)\s+your\s+(?:summary|analysis|report|output|answer)\b"),
    _rx(r"\brate\s+(?:every|all|each)\s+(?:reviews?|texts?|comments?)\b"),
    re.compile(r"你现在是|系统提示|新的指令"),
)


def detect_prompt_injection(text: str) -> list[Signal]:
    strong = [m for p in INJECTION_STRONG if (m := p.search(text))]
    weak = [m for p in INJECTION_WEAK if (m := p.search(text))]
    if not strong and not weak:
        return []
    first = (strong or weak)[0]
    if strong:
        severity = 3 if len(strong) + len(weak) >= 3 else 2
        return [Signal(PROMPT_INJECTION, severity, True, "injection.pattern",
                       "instructions aimed at an AI system", first.start(), first.end())]
    if len(weak) >= 2:
        return [Signal(PROMPT_INJECTION, 2, True, "injection.pattern", "instructions aimed at an AI system",
                       first.start(), first.end())]
    return [Signal(PROMPT_INJECTION, 1, False, "injection.weak", "wording that may address an AI system",
                   first.start(), first.end())]


# --- harassment, hate and profanity -----------------------------------------------------------------------

EN_INSULT = _rx(r"\b(?:idiots?|idiotic|morons?|moronic|imbeciles?|cretins?|retard(?:s|ed)?|brain[- ]?dead|"
                r"dumbass(?:es)?|jackass(?:es)?|assholes?|arseholes?|scum(?:bags?)?|clowns|losers|bastards?|bitch(?:es)?|cunts?|"
                r"dickheads?|wankers?|twats?|piece of shit|f+u+c*k+\s*(?:you|u|off)|screw you|stfu|shut up|"
                r"go to hell|die in a fire)\b")
EN_HATE = _rx(r"\b(?:subhuman|sub-human|vermin|go back to (?:your|ur) (?:own )?country|"
              r"(?:should|must|deserve to) (?:all )?(?:die|be (?:killed|exterminated|gassed|shot)))\b")
EN_TARGET = _rx(r"(?:\b(?:you|your|you're|youre|ur|u|ya|y'all|yall|team|staff|support|agents?|devs?|developers?|"
                r"engineers?|people|guys|company|management|ceo|seller|owners?|employees?|reps?|representatives?|"
                r"ppl|whoever|them|they)\b|@\w+)")
ZH_INSULT_STRONG = re.compile(r"傻逼|傻[bB]|煞笔|沙比|脑残|智障|废物|贱人|婊子|去死|狗东西|畜生|"
                              r"王八蛋|操你|草泥马|尼玛|你妈|nmsl|脑子有(?:问题|病)|有病吧|白痴|"
                              r"蠢货|弱智|人渣")
ZH_INSULT_WEAK = re.compile(r"垃圾|滚蛋|滚|恶心|坑爹|他妈的|妈的|混蛋")
ZH_TARGET = re.compile(r"你们?|客服|商家|老板|店家|这群|一群|他们|员工|售后|小编")
# A few insults in other languages we see: candidates only, the LLM judge decides.
OTHER_INSULT = _rx(r"\b(?:idiot(?:en)?|arschl[oö]ch(?:er)?|wichser|vollidiot|idiota|pendejos?|cabr[oó]n|gilipollas|"
                   r"connards?|salope|putain|encul[ée]s?|stronz[oi]|vaffanculo)\b")


@cache
def _profanity_model():
    from profanity_check import predict_prob  # 2-3 s to import (scikit-learn): loaded on first use

    return predict_prob


def profanity_scores(texts: Sequence[str]) -> list[float]:
    """Probability each English text is offensive (alt-profanity-check); one vectorised call for a batch."""
    if not texts:
        return []
    return [float(p) for p in _profanity_model()(list(texts))]


def detect_harassment(text: str, language: str, profanity: float | None) -> list[Signal]:
    signals: list[Signal] = []
    if m := EN_HATE.search(text):
        signals.append(Signal(HARASSMENT, 3, True, "hate.lexicon", "dehumanising or hateful wording",
                              m.start(), m.end()))
    if language == "zh" or _has_han(text):
        strong, weak = list(ZH_INSULT_STRONG.finditer(text)), list(ZH_INSULT_WEAK.finditer(text))
        targeted = ZH_TARGET.search(text) is not None
        if strong:
            m = strong[0]
            if targeted:
                signals.append(Signal(HARASSMENT, 3 if len(strong) >= 3 else 2, True, "insult.zh",
                                      "insults aimed at people", m.start(), m.end()))
            else:
                signals.append(Signal(HARASSMENT, 2, False, "insult.zh.candidate", "insulting word", m.start(),
                                      m.end()))
        elif weak and targeted:
            m = weak[0]
            signals.append(Signal(HARASSMENT, 1, False, "insult.zh.weak", "rude word near a person", m.start(),
                                  m.end()))
    if language not in ("en", "zh", "") and (m := OTHER_INSULT.search(text)):
        signals.append(Signal(HARASSMENT, 2, False, "insult.other", f"possible insult ({language})", m.start(),
                              m.end()))
    insults = list(EN_INSULT.finditer(text))
    targeted = EN_TARGET.search(text) is not None
    if insults:
        m = insults[0]
        if targeted:
            signals.append(Signal(HARASSMENT, 3 if len(insults) >= 3 else 2, True, "insult.en",
                                  "insults aimed at people", m.start(), m.end()))
        else:
            signals.append(Signal(HARASSMENT, 2, False, "insult.en.candidate", "insulting word", m.start(), m.end()))
    elif profanity is not None:
        if profanity >= 0.9 and targeted:
            signals.append(Signal(HARASSMENT, 2, False, "profanity.targeted",
                                  f"profanity near a person (score {profanity:.2f})"))
        elif profanity >= 0.9:
            signals.append(Signal(HARASSMENT, 1, True, "profanity", f"profanity (score {profanity:.2f})"))
        elif profanity >= 0.7:
            signals.append(Signal(HARASSMENT, 1, False, "profanity.weak", f"possible profanity (score "
                                                                            f"{profanity:.2f})"))
    return signals


# --- threats and violence, self-harm, sexual content ------------------------------------------------------

THREAT_STRONG = _rx(r"\b(?:i'?ll|i will|i'?m going to|i am going to|gonna|going to)\s+(?:kill|hurt|shoot|stab|beat up|"
                    r"murder|strangle|burn)\s+(?:you|u|him|her|them|y'all|everyone|your)\b|"
                    r"\bi know where (?:you|u) (?:live|work|are)\b|\bi know where your (?:office|house|home|family|"
                    r"kids|shop|store)\b|\bburn (?:your|the|their) (?:office|house|store|shop|building) down\b|"
                    r"\b(?:bomb|shoot up) (?:the|your) (?:office|store|shop|building|school)\b|"
                    r"弄死你|杀了你|砍死你|捅死你|打死你|我知道你(?:们)?(?:住|家|公司)在哪|炸了你们")
THREAT_WEAK = _rx(r"\byou(?:'ll| will) regret\b|\b(?:someone|somebody|you)(?: is| are)? (?:going to|gonna) "
                  r"(?:regret|get hurt|pay)\b|\blast warning\b|\bcoming (?:down )?(?:there|for you|to your)\b|"
                  r"\bwatch your back\b|\bor else\b|\byou(?:'ll| will) pay for\b|\bkill (?:you|u)\b|"
                  r"你(?:给我)?等着|等着瞧|走着瞧|别让我(?:碰到|遇到)")
SELF_HARM_INTENT = _rx(r"\b(?:i'?m|i am|i'?ll|i will|i want to|i'?m going to|gonna)\s+(?:kill|hurt|harm)\s+myself\b|"
                       r"\bend (?:my|it all|my own) life\b|我想自杀|我要自杀|不想活了")
SELF_HARM_CANDIDATE = _rx(r"\b(?:kill(?:ing)?|hurt(?:ing)?|cut(?:ting)?|harm(?:ing)?) myself\b|\bsuicid(?:e|al)\b|"
                          r"\bwant(?:ed)? to die\b|\bself[- ]harm\b|自杀|想死|轻生|割腕")
SEXUAL_SOLICIT = _rx(r"\b(?:onlyfans|camgirls?|escorts? service|sexting|send nudes|hook ?up tonight)\b|"
                     r"约炮|裸聊|一夜情")
SEXUAL_CANDIDATE = _rx(r"\b(?:porn\w*|nudes?|naked|xxx|nsfw|horny|sex(?:ual|y)?|blowjob|dick|boobs?)\b|色情|黄片|"
                       r"做爱")


def detect_violence(text: str) -> list[Signal]:
    strong, weak = list(THREAT_STRONG.finditer(text)), list(THREAT_WEAK.finditer(text))
    points = 2 * len(strong) + len(weak)
    if not points:
        return []
    m = (strong or weak)[0]
    if points >= 3:
        return [Signal(VIOLENCE, 3, True, "threat.pattern", "threatening statements", m.start(), m.end())]
    if points == 2:
        return [Signal(VIOLENCE, 2, True, "threat.pattern", "threatening statement", m.start(), m.end())]
    return [Signal(VIOLENCE, 2, False, "threat.weak", "wording that may be a threat", m.start(), m.end())]


def detect_self_harm(text: str) -> list[Signal]:
    if m := SELF_HARM_INTENT.search(text):
        return [Signal(SELF_HARM, 2, True, "self_harm.intent", "talks of harming themself", m.start(), m.end())]
    if m := SELF_HARM_CANDIDATE.search(text):
        return [Signal(SELF_HARM, 2, False, "self_harm.candidate", "mentions self-harm", m.start(), m.end())]
    return []


def detect_sexual(text: str) -> list[Signal]:
    if m := SEXUAL_SOLICIT.search(text):
        return [Signal(SEXUAL, 2, True, "sexual.solicitation", "sexual solicitation", m.start(), m.end())]
    if m := SEXUAL_CANDIDATE.search(text):
        return [Signal(SEXUAL, 2, False, "sexual.candidate", "sexual wording", m.start(), m.end())]
    return []


# --- off-topic --------------------------------------------------------------------------------------------

OFF_TOPIC_EXPLICIT = _rx(r"\bwrong (?:app|product|listing|item|page|place|review|thread)\b|"
                         r"\bmeant to (?:review|post|write|comment)\b|\bposted (?:this |it )?(?:here )?by mistake\b|"
                         r"\bnot about (?:this|the|your) (?:product|app|item)\b|发错了|评论错了")
_WORD = re.compile(r"[a-z][a-z'’]{2,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
STOPWORDS = frozenset(
    "the and for are but not you your all any can had her was one our out has have him his how its may new now old "
    "see two way who did get got let put say she too use that with this from they will would there their what "
    "about which when make like just know take into year them some could than then look only come over think also "
    "back after work well even want because these give most very been were said each much where those such here "
    "why off really still again ever never always lol yes yeah okay anyone anybody someone thing things near".split()
    # Praise and complaint words occur in every corpus: they must not make any text look on topic.
    + "good great nice bad love loved best better worse worst lovely perfect amazing awesome terrible awful fine "
    "happy please thanks thank more less much many lot bit time times day days week weeks month first last since "
    "every other one three honestly just".split()
)
# Words of feedback about any product or service: a text with one of them is on topic whatever the workspace sells.
GENERIC_FEEDBACK_TERMS = frozenset(
    "app apps product products order ordered orders delivery delivered shipping shipped package packaging refund "
    "return returned warranty price priced pricing expensive cheap value quality support service customer "
    "purchase purchased bought buy buying seller brand review reviews update updated feature features bug bugs "
    "crash crashes broken defective issue issues problem problems fix fixed setup install recommend recommended "
    "stars star worth version device item model account login subscription replacement".split()
)
GENERIC_FEEDBACK_ZH = ("产品", "客服", "物流", "快递", "价格", "质量", "好评", "差评", "推荐",
                       "购买", "发货", "售后", "包装", "退货", "退款", "App", "app", "更新", "功能",
                       "下单", "收到", "商家", "性价比", "回购", "买", "用", "降价", "价保")


def _has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def _terms(text: str) -> set[str]:
    """Words (English and other Latin-script text) and Han character bigrams."""
    terms = {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}
    for run in _HAN_RUN.findall(text):
        terms.update(run[i:i + 2] for i in range(len(run) - 1))
    return terms


def domain_vocabulary(texts: Iterable[str], extra_terms: Iterable[str] = (), *, min_texts: int = 50,
                      top: int = 400) -> frozenset[str]:
    """The workspace's own frequent words and Han bigrams (document frequency), plus product names. Empty
    when fewer than `min_texts` texts are given: too little to tell what is on topic."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update(_terms(text))
    if n < min_texts:
        return frozenset()
    floor = max(2, n // 500)
    common = [t for t, c in df.most_common(top) if c >= floor]
    extra = {t for term in extra_terms for t in _terms(term)}
    return frozenset(common) | frozenset(extra)


def detect_off_topic(text: str, language: str, context: DetectorContext) -> list[Signal]:
    if m := OFF_TOPIC_EXPLICIT.search(text):
        return [Signal(OFF_TOPIC, 2, True, "off_topic.explicit", "says it is about something else", m.start(),
                       m.end())]
    if not context.domain_terms:
        return []
    words = _WORD.findall(text.lower())
    han = len(_HAN.findall(text))
    if len(words) < 6 and han < 8:
        return []  # too short to tell
    if any(term in text for term in GENERIC_FEEDBACK_ZH):
        return []
    terms = _terms(text)
    if terms & (context.domain_terms | GENERIC_FEEDBACK_TERMS):
        return []
    return [Signal(OFF_TOPIC, 2, False, "off_topic.vocabulary", "shares no words with the workspace's texts")]


# --- the stage --------------------------------------------------------------------------------------------


def detect_language(text: str) -> str:
    from apps.corpus.language import detect_language as corpus_detect  # fastText lite, offline

    return corpus_detect(text)


def screen_batch(items: Sequence[ScreenInput], context: DetectorContext = DetectorContext()) -> list[FastResult]:
    """Run every detector on every text. English profanity is scored in one vectorised call per batch."""
    languages = [item.language or detect_language(item.text) for item in items]
    english = [i for i, (item, lang) in enumerate(zip(items, languages, strict=True))
               if lang == "en" or (not lang and not _has_han(item.text))]
    scores = dict(zip(english, profanity_scores([items[i].text for i in english]), strict=True))
    results = []
    for i, (item, language) in enumerate(zip(items, languages, strict=True)):
        text = item.text
        signals = [
            *detect_personal_data(text, item.original_text),
            *detect_spam(text),
            *detect_prompt_injection(text),
            *detect_harassment(text, language, scores.get(i)),
            *detect_violence(text),
            *detect_self_harm(text),
            *detect_sexual(text),
            *detect_off_topic(text, language, context),
        ]
        results.append(FastResult(language=language, signals=signals))
    return results


def screen(text: str, *, original_text: str | None = None, language: str = "",
           context: DetectorContext = DetectorContext()) -> FastResult:
    return screen_batch([ScreenInput(text, original_text, language)], context)[0]

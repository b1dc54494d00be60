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
from itertools import islice

from apps.corpus.redaction import KINDS, find_pii

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
SEVERITY_LABELS = {0: "none", 1: "mild", 2: "serious", 3: "severe"}  # read by moderators, never parsed


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
    allowed_calls_to_action: tuple[str, ...] = ()  # generated copy: phrases its brief asks for (not spam there)


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

# Redaction's placeholders ("[EMAIL]", "[ADDRESS]", …): one per kind corpus.redaction knows.
PLACEHOLDER = re.compile(r"\[(" + "|".join(KINDS) + r")\]")


def detect_personal_data(text: str, original_text: str | None) -> list[Signal]:
    """Severity 2 (a person reviews the text): personal data in the text, or personal data that redaction
    replaced (the analysed text is safe, but the original a customer posted holds it). Severity 1: only a name
    was redacted. What counts as personal data is corpus.redaction's `find_pii`, the very list redaction
    removes, so whatever is flagged here is also redacted on import."""
    signals: list[Signal] = []
    # Personal data in the original that redaction replaced: evidence, highlighted at the placeholders.
    redacted_kinds = {f.kind for f in find_pii(original_text)} if original_text and original_text != text \
        else set()
    for m in PLACEHOLDER.finditer(text):
        kind = m.group(1)
        redacted_kinds.add(kind)
        severity = 1 if kind == "NAME" else 2
        signals.append(Signal(PERSONAL_DATA, severity, True, f"pii.redacted.{kind.lower()}",
                              f"{KINDS[kind][0]} (redacted)", m.start(), m.end()))
    for kind in sorted(redacted_kinds - {s.detector.rsplit(".", 1)[-1].upper() for s in signals}):
        signals.append(Signal(PERSONAL_DATA, 1 if kind == "NAME" else 2, True, f"pii.redacted.{kind.lower()}",
                              f"{KINDS[kind][0]} (redacted)"))
    # Present in the text itself: generated copy and replies, which no redaction ran on.
    for found in find_pii(text):
        signals.append(Signal(PERSONAL_DATA, 2, True, f"pii.{found.kind.lower()}", found.label, found.start,
                              found.end))
    return signals


# --- spam and advertising --------------------------------------------------------------------------------
# Spam is scored: each kind of evidence adds points once. *Strong* evidence is what honest feedback does not
# contain (links with a pitch, texting a short code, prizes, paid followers, contact dodges such as 加V信);
# *soft* evidence is the vocabulary of selling (discounts, "order now", "!!!", capitals), which customers quote
# when they complain about a price, a sale or an advert. In a complaint, and inside quotation marks, soft
# evidence counts for nothing: a refund request quoting a sale price is not an advert.
# Every pattern is linear-time on any input: bounded quantifiers, no nested quantifiers.

URL_STRONG = _rx(r"\b(?:https?://|www\.)[^\s<>\"']{1,300}")
URL_BARE = _rx(r"(?<![@\w.])[a-z0-9][a-z0-9-]{1,62}\.(?:com|net|org|io|co|xyz|shop|top|biz|info|me|ly|link|click|"
               r"store|online|site|example|cn|ru|vip|cc|tk)(?:/[^\s]{0,200})?(?![\w.])")
LINK_PITCH = _rx(r"\b(?:visit|go to|head to|check out|click|tap|(?:shop|order|buy)(?: now| today)? at|"
                 r"available at|sign up at|"
                 r"apply (?:now )?at|claim (?:it |yours )?at|play (?:now )?at|verify at|details at|more at)\b|"
                 r"访问|点击|打开|登录|"
                 r"进入|下单|购买|领取|抢购")
# (pattern, points, strong?, reason)
SPAM_PHRASES: tuple[tuple[re.Pattern, int, bool, str], ...] = (
    (_rx(r"\b(?:text|txt|sms|reply|send)\s{1,3}(?:the word\s{1,3})?[\"'“]?[a-z0-9]{2,15}[\"'”]?\s{1,3}(?:to|2)\s{1,3}"
         r"\d{4,6}\b"), 4, True, "text a short code"),
    (_rx(r"\b(?:congratulations|congrats|you(?:'ve| have)? (?:been )?(?:won|selected|chosen)|you are (?:our|a) "
         r"(?:lucky )?winner|claim (?:your|ur) (?:free )?(?:prize|reward|gift|voucher|cash)|lottery|sweepstakes?|"
         r"giveaway)\b"), 3, True, "prize or winner"),
    (_rx(r"\b(?:win|won|claim|get|earn|receive)\s{1,3}(?:a |an |your |ur )?(?:free |brand[- ]new )?"
         r"(?:iphone|ipad|samsung|galaxy|ps5|playstation|xbox|macbook|gift ?cards?|vouchers?|prizes?|"
         r"cash (?:prize|reward)"
         r"|vacation|cruise)\b"), 3, True, "prize offer"),
    (_rx(r"\bfree\s{1,3}(?:iphone|ipad|gift ?cards?|vouchers?|money|cash|bitcoin|followers|likes|spins|samples? pack|"
         r"(?:\$|£|€)\s?\d)"), 2, True, "free money or goods"),
    (_rx(r"\bbuy\b[^.!?\n]{0,30}\b(?:followers|likes|views|subscribers|backlinks|reviews)\b|\b\d[\d,k]{0,8}\s{1,3}"
         r"(?:instagram |tiktok |youtube |twitter )?(?:followers|likes|subscribers|views)\s{1,3}for\b|"
         r"\bfree (?:followers|likes)\b"), 3, True, "sells followers"),
    (_rx(r"\bbacklinks?\b|\bguest posts?\b|\bseo (?:services?|experts?|agency)\b|\brank (?:your|you)\b[^.!?\n]{0,30}"
         r"#?\s?1\b|\bmore traffic\b"), 2, True, "SEO offer"),
    (_rx(r"\b(?:make|earn|making|earning)\s{1,3}(?:\$|€|£)?\d[\d,]{0,9}\s{0,2}k?\b[^.!?\n]{0,25}\b(?:a day|"
         r"per day|daily|"
         r"a week|per week|a month|from home)\b|\bwork(?:ing)? from home\b|\bpassive income\b|\bfinancial freedom\b|"
         r"\bdouble your (?:money|investment)\b|\bguaranteed (?:results|income|profits?|returns)\b|"
         r"\binvestment opportunity\b|\b\d{2,4}% (?:profit|returns?)\b"), 3, True, "money-making offer"),
    (_rx(r"\b(?:crypto(?:currency)?|bitcoin|btc|ethereum|usdt|nft|airdrop|forex|binary options|trading (?:bot|signals)|"
         r"signals group)\b"), 2, True, "crypto offer"),
    (_rx(r"\b(?:casino|free spins|jackpot|sportsbook|betting tips|first deposit)\b"), 3, True, "gambling offer"),
    (_rx(r"\b(?:loans? approved|no credit check|payday loans?|instant (?:loans?|cash)|quick cash)\b"), 3, True,
     "loan offer"),
    (_rx(r"\b(?:replica|counterfeit|knock-?off) (?:watches|handbags|bags|shoes|sneakers|designer)\b"), 3, True,
     "counterfeit goods"),
    (_rx(r"\b(?:account|card) (?:has been |was |is )?(?:suspended|locked|blocked|on hold)\b[^\n]{0,60}\b(?:verify|"
         r"confirm|log ?in)\b|\bverify your (?:account|identity|payment)\b"), 3, True, "phishing"),
    (_rx(r"\b(?:dm|message|msg|inbox|contact|text|ping) (?:me|us)\b[^.!?\n]{0,20}\b(?:for|on)\b|\blink in (?:my )?"
         r"(?:bio|profile)\b|\b(?:whatsapp|telegram) (?:me|us)\b|\bhot singles\b|\bone weird trick\b"), 2, True,
     "contact me to buy"),
    (_rx(r"\b(?:check out|visit|follow|subscribe to)\s{1,3}(?:my|our)\s{1,3}(?:channel|profile|page|store|shop|site|"
         r"website|blog)\b"), 2, True, "self-promotion"),
    (_rx(r"\b(?:whatsapp|telegram|wechat)\b"), 1, True, "messenger contact"),
    # Soft: the vocabulary of selling, which complaints quote.
    (_rx(r"\b\d{1,2}\s?% off\b|\b\d{1,2} percent off\b|\bbuy \d get \d\b|\bhalf price\b"), 2, False, "discount offer"),
    (_rx(r"\b(?:use|enter|apply)\s{1,3}(?:the\s{1,3})?(?:promo\s{1,3}|discount\s{1,3}|coupon\s{1,3})?code\b|"
         r"\b(?:promo|discount|coupon) code\b"), 2, False, "promo code"),
    (_rx(r"\blimited (?:time|spots|offer|stock|edition)\b|\btoday only\b|\bhurry\b|\bwhile (?:stocks|supplies) last\b|"
         r"\bdon'?t miss (?:out|this)\b"), 2, False, "urgency"),
    (_rx(r"\bact now\b|\bjoin now\b|\bsign up (?:now|today)\b|\b(?:pre-?)?order "
         r"(?:now|today)\b|\bbuy now\b|\bshop now\b|\bclick (?:here|the link|below)\b|"
         r"\bapply now\b|\bplay now\b"), 2, False, "call to action"),
    (_rx(r"\bbest (?:deals?|prices?)\b|\blowest prices?\b|\bwholesale prices?\b|\bprice list\b|\bcheap\b"), 1, False,
     "sales pitch"),
    # Chinese: WeChat contact dodges, fake-order jobs (刷单), daily pay, loans and invoices, gambling, free gifts.
    (re.compile(r"加\s{0,2}(?:[vV威薇卫qQ]|扣扣)\s{0,2}[信xX]?|[vV]信|薇信|威信|(?<![A-Za-z])[vVwW][xX](?![A-Za-z])|➕\s{0,2}[vVqQ]|"
                r"微信同号|加微(?!信)"), 3, True, "WeChat contact (加V信)"),
    (re.compile(r"(?:微信|vx|VX|V信|QQ|qq|扣扣|飞机|电报|whatsapp|telegram)\s{0,2}号?\s{0,2}[:：]?\s{0,2}"
                r"@?[A-Za-z0-9][A-Za-z0-9_-]{4,20}"), 3, True, "contact ID"),
    (re.compile(r"加(?:我)?微信|加(?:我)?QQ|加(?:我)?好友|加群|进群|私聊|私信(?:我|领取)?|详情见主页|见主页|见头像|主页有"),
     1, True, "private contact"),
    (re.compile(r"刷单|刷好评|刷信誉|刷销量|刷点赞|刷播放|刷粉|买粉丝|涨粉|引流"), 3, True, "fake-order job (刷单)"),
    (re.compile(r"日结|日赚|日入|月入(?:过万|\d)|躺赚|稳赚|轻松赚|在家(?:就能)?赚|动动手指|一天回本|带你(?:赚|翻倍)|"
                r"每天\d{2,4}\+?|零投入|零成本"), 3, True, "daily-pay job"),
    (re.compile(r"代开|开发票|发票代|办证|套现|网贷|贷款|无抵押|征信|秒批|秒到账|低息"), 3, True,
     "loans or invoices"),
    (re.compile(r"赌场|博彩|荷官|百家乐|彩票|注册就送|充值送|首充|棋牌"), 3, True, "gambling"),
    (re.compile(r"中奖|抽中|恭喜您?获得|领奖|奖金|免费领|扫码领?|领取?红包|点击链接|戳链接|网址见|链接见|"
                r"领取奖"), 2, True,
     "free gift lure"),
    (re.compile(r"代写|代考|包过|内幕消息|荐股|牛股|虚拟币|挖矿|币圈|搬砖套利|一件代发|招代理|零库存|高价回收|上门回收|"
                r"出售[\u4e00-\u9fff]{0,6}账号|百度[\u4e00-\u9fff]{0,4}排名|减肥药|瘦\d{1,3}斤"), 3, True,
     "solicitation"),
    (re.compile(r"兼职|招聘|招募"), 1, True, "side job"),
    (re.compile(r"限时|秒杀|抢购|一折|清仓|跳楼价|特价|包邮|全网最低|正品保证|先到先得|限量|优惠券|返利|"
                r"返现|代购"), 1, False,
     "sales pitch"),
)
REPEATED_PUNCT = re.compile(r"[!?$€£¥！？]{3,12}")
REPEATED_CHAR = re.compile(r"(\S)\1{6}")  # not spaces: masked allowed phrases are blanked with spaces
PROMO_EMOJI = re.compile(r"[\U0001F680\U0001F4B0\U0001F4B8\U0001F911\U0001F449\U0001F525\u2705\U0001F381\U0001F4B5]")
# A customer who complains about a price, a sale or an advert quotes the seller's words: no pitch.
COMPLAINT = _rx(r"\b(?:refunds?|refunded|money back|charged|overcharged|chargeback|returned|return it|my order|"
                r"i ordered|"
                r"i bought|i paid|i got (?:it|this|mine)|warranty|support (?:told|said)|customer service|scam|rip-?off|"
                r"fake|lying|lied|liars?|banner|your ads?|the ads?|advert|promised|where is it|never arrived|broke|"
                r"broken|doesn'?t work|didn'?t work|useless|overpriced|fix it|still charged|price match|was \$)\b|"
                r"退款|退钱|退货|差价|价保|我下单|下单(?:后|时|之后|了)|买的|收到|客服|说好的|骗|坑|忽悠|没给|没收到|不发货|用不了|差评|投诉|扣了|"
                r"没反应|被拒")
QUOTED = re.compile(r"[\"“「『‘]([^\"“”「」『』‘’\n]{1,120})[\"”」』’]|(?<![\w])'([^'\n]{1,120})'(?![\w])")


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` with the given spans blanked out (same length, so spans found later still point into `text`)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _allowed_spans(text: str, allowed: Sequence[str]) -> list[tuple[int, int]]:
    lowered = text.lower()
    spans = []
    for phrase in allowed:
        phrase = phrase.strip().lower()
        if len(phrase) < 2:
            continue
        start = lowered.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = lowered.find(phrase, start + len(phrase))
    return spans


def detect_spam(text: str, allowed_calls_to_action: Sequence[str] = ()) -> list[Signal]:
    """`allowed_calls_to_action`: phrases the brief of a generated text asks for ("Pre-order now"); they are no
    evidence of spam in that text."""
    complaint = COMPLAINT.search(text) is not None
    # Soft evidence is read with quotations and allowed phrases blanked out; strong evidence on the whole text.
    soft_text = _mask(text, [m.span() for m in QUOTED.finditer(text)])
    strong_text = _mask(text, _allowed_spans(text, allowed_calls_to_action))
    soft_text = _mask(soft_text, _allowed_spans(text, allowed_calls_to_action))
    strong = soft = 0
    reasons: list[str] = []
    best: tuple[int, int, int] | None = None  # (points, start, end) of the strongest single piece

    def add(n: int, is_strong: bool, reason: str, m: re.Match | None) -> None:
        nonlocal strong, soft, best
        if is_strong:
            strong += n
        elif complaint:
            return
        else:
            soft += n
        reasons.append(reason)
        if m is not None and (best is None or n > best[0]):
            best = (n, m.start(), m.end())

    link = _first(URL_STRONG, strong_text) or _first(URL_BARE, strong_text)
    if link is not None:
        pitched = LINK_PITCH.search(strong_text, max(0, link.start() - 60), link.end() + 60) is not None
        add(3 if pitched else (2 if link.group(0).lower().startswith(("http", "www")) else 1), True,
            "link with a pitch" if pitched else "link", link)
    for pattern, n, is_strong, reason in SPAM_PHRASES:
        if m := _first(pattern, strong_text if is_strong else soft_text):
            add(n, is_strong, reason, m)
    if m := _first(REPEATED_PUNCT, soft_text):
        add(1, False, f"repeated {m.group(0)[:3]!r}", m)
    if m := _first(REPEATED_CHAR, soft_text):
        add(1, False, "repeated characters", m)
    if len(PROMO_EMOJI.findall(text)) >= 3:
        add(1, False, "promotional emoji", None)
    letters = [c for c in text if c.isalpha() and c.isascii()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        add(1, False, "shouting in capitals", None)
    # Selling words only add to strong evidence (at most as much again): alone, a pile of them is a candidate at
    # most. "50% off and still not worth it" is a review.
    points = strong + min(soft, strong) if strong else (2 if soft >= 5 else 0)
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

_INSTRUCTION_NOUNS = (r"(?:instructions?|prompts?|rules|directions|guidelines|settings|programming|constraints|"
                      r"filters|messages|policies|restrictions)")
INJECTION_STRONG: tuple[re.Pattern, ...] = (
    _rx(r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[a-z ,']{0,30}?\b(?:previous|prior|above|earlier|"
        r"preceding|former|original|system|your|all|any|safety|these|existing|initial)\s{1,3}(?:[a-z]{1,12}\s{1,3})?"
        + _INSTRUCTION_NOUNS + r"\b"),
    _rx(r"\b(?:ignore|disregard|forget)\s{1,3}(?:the\s{1,3}|all\s{1,3})?(?:text|everything|anything|all|what(?:ever)?"
        r" (?:was|is) (?:written|said))\s{1,3}(?:above|before|previously|earlier)\b"),
    _rx(r"\b(?:reveal|print|show|repeat|output|leak|tell me|give me)\s{1,3}(?:me\s{1,3})?(?:your|the)\s{1,3}(?:full\s|"
        r"entire\s|hidden\s|original\s|initial\s|secret\s){0,2}(?:system\s{1,3}prompt|prompt|instructions|rules)"),
    _rx(r"\b(?:developer|dan|jailbreak|god|debug|admin|unrestricted)\s{1,3}mode\b|\bjailbr(?:eak|oken)\b|"
        r"\bdo anything now\b|\byou are (?:now )?dan\b"),
    _rx(r"\byou\s{1,3}are\s{1,3}(?:now\s{1,3}(?:a|an|my|the|in|no|free|unrestricted|unfiltered|dan)|no longer\s{1,3}"
        r"(?:a|an|the|bound|restricted|an? ai|my|our)|not\s{1,3}(?:a moderator|an ai|bound))\b"),
    _rx(r"\bfrom now on,?\s{1,3}you\s{1,3}(?:will|are|must|shall|should|answer|reply|respond|act)\b|"
        r"\b(?:pretend|imagine)\s{1,3}(?:that\s{1,3})?you(?:'re| are)\b|\brole-?play\s{1,3}as\b|"
        r"\bact\s{1,3}as\s{1,3}(?:an?\s{1,3})?(?:unfiltered|unrestricted|uncensored|evil|jailbroken|rogue|"
        r"different)\b"),
    _rx(r"\b(?:no|without (?:any )?)\s{0,3}(?:rules|restrictions|filters|limits|guidelines)\b[^.\n]{0,40}\b(?:approve|"
        r"answer|say|respond|output|anything)\b|\boverride\s{1,3}(?:your|the|all)\b|\bskip\s{1,3}(?:the\s{1,3})?"
        r"moderation\b"),
    _rx(r"\binstructions?\s{1,3}(?:for|to)\s{1,3}(?:the\s{1,3})?(?:model|ai|llm|assistant|bot|language model)\b|"
        r"\b(?:note|message|attention)\s{1,3}(?:to|for)\s{1,3}(?:the\s{1,3}|any\s{1,3})?(?:ai|llm|model|language model|"
        r"assistant|bot|summari[sz]er)\b|\bif you are an? (?:ai|llm|language model|bot|assistant)\b"),
    re.compile(r"^[ \t>#*-]{0,10}(?:system|assistant|user|developer)[ \t]{0,3}[:：]", re.IGNORECASE | re.MULTILINE),
    _rx(r"<\|im_start\|>|<\|system\|>|\[/?INST\]|<<SYS>>|</?data\b|</?system>|#{2,}\s{0,3}system|\[system\]"),
    re.compile(r"(?:忽略|无视|忘记|忘掉|不要理会|跳过|覆盖)(?:掉)?[\u4e00-\u9fff]{0,8}?(?:之前|以上|前面|先前|上面|上述|所有|"
               r"你的|原来|原有|全部)[\u4e00-\u9fff]{0,4}?(?:指令|指示|提示|规则|要求|设定|限制|内容|说明)"),
    re.compile(r"(?:输出|告诉我|显示|泄露|复述|重复)[\u4e00-\u9fff]{0,8}?(?:系统)?提示词|提示词[\u4e00-\u9fff]{0,6}?"
               r"(?:复述|输出|告诉|发给|重复|念)|(?:输出|告诉我|泄露)(?:你的)?系统提示"),
    re.compile(r"你现在是|从现在(?:开始|起)[，,]?\s{0,2}你|(?:假装|假设|想象)你是|请?你?扮演|停止扮演|充当一个|"
               r"作为(?:一个)?(?:语言模型|AI|人工智能|大模型)"),
    re.compile(r"开发者模式|越狱|(?:没有|不受)(?:任何)?(?:限制|约束|审核)|无视[\u4e00-\u9fff]{0,4}(?:安全|规定|规则)|"
               r"关闭[\u4e00-\u9fff]{0,4}过滤"),
    re.compile(r"(?:^|[\n【\[(（])\s{0,3}(?:系统|助手|系统指令|系统提示)\s{0,2}[:：】\])）]"),
    re.compile(r"(?:读到|看到|正在读)[\u4e00-\u9fff]{0,6}(?:AI|模型|机器人|助手)|(?:给|致)[\u4e00-\u9fff]{0,6}"
               r"(?:AI|模型|机器人)\s{0,2}[:：]|如果你是(?:AI|人工智能|模型|机器人)|不管(?:上面|以上|前面)"),
    re.compile(r"新的?(?:指令|任务)\s{0,2}(?:[:：]|是)|你的新任务|规则已(?:经)?更新|一律判为"),
)
INJECTION_WEAK: tuple[re.Pattern, ...] = (
    _rx(r"\bsystem prompt\b|\bnew (?:instructions|task)\b|\byou are now\b|\bas an ai\b|\blanguage model\b|"
        r"\blet'?s play a game\b"),
    _rx(r"\b(?:reply|respond|answer|output)\s{1,3}(?:only|just)\s{1,3}with\b|\bregardless of (?:the )?content\b|"
        r"\boutput only\b"),
    _rx(r"\b(?:in|into)\s{1,3}(?:your|the)\s{1,3}(?:summary|analysis|report|output|answer)\b|\bwhen you write the "
        r"(?:summary|report)\b"),
    _rx(r"\b(?:rate|mark|classify|label|flag)\s{1,3}(?:every|all|each|this|these)\s{1,3}(?:negative\s{1,3}|"
        r"positive\s{1,3})?"
        r"(?:reviews?|texts?|comments?)\b|\bmust be approved\b|\bhey (?:ai|bot|model|gpt|chatgpt)\b"),
    re.compile(r"系统提示|新的指令|只(?:回复|输出|回答)|审核通过|已通过审核|无需判断|直接通过|(?:摘要|报告|总结)[\u4e00-\u9fff]{0,4}"
               r"(?:里|中)"),
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
                r"dumbass(?:es)?|jackass(?:es)?|assholes?|arseholes?|scum(?:bags?)?|bastards?|bitch(?:es)?|cunts?|"
                r"dickheads?|wankers?|twats?|piece of shit|f+u+c*k+\s{0,3}(?:you|u|off)|screw you|stfu|"
                r"go to hell|die in a fire)\b")
EN_INSULT_MILD = _rx(r"\b(?:clowns|losers|muppets|jokers|buffoons|shut up)\b")
# Hate: dehumanising words, slurs (matched through the usual obfuscations), calls for expulsion or
# extermination, and a protected group said to be vermin, criminals or unfit. Kept to wording that is not used
# of products, so "these headphones are trash" or "found a cockroach in my food" stay clean.
_GROUP_EN = (r"(?:immigrants?|foreigners?|refugees?|migrants?|illegals|illegal aliens|muslims?|islam|jews?|"
             r"jewish people|"
             r"christians?|blacks|black people|whites|white people|asians?|chinese(?: people)?|mexicans?|indians?|"
             r"arabs?|africans?|gays?|gay people|lesbians?|trans(?:gender)?(?: people)?|homosexuals?|women|females|"
             r"disabled(?: people)?|cripples|old people|boomers|gypsies|roma|hindus?|latinos?|hispanics?|"
             r"those people|these people|their kind|your kind|his kind|people like (?:him|her|them|you|that|"
             r"the \w{1,15}))")
EN_HATE: tuple[re.Pattern, ...] = (
    _rx(r"\b(?:subhumans?|sub-humans?|untermenschen?|vermin)\b"),
    _rx(r"\bn[i1!*@]gg(?:er|a|ah|3r|uh)s?\b|\bf[a@4*]gg?[o0*]ts?\b|\bk[i1*]kes?\b|\bsp[i1]cs?\b|"
        r"\bch[i1]nks?\b(?!\s{1,3}in\b)|\bwetbacks?\b|\b(?:rag|towel)heads?\b|\btrann(?:y|ies)\b|\bdegenerates\b"),
    _rx(r"\b(?:they|they're|those|these|them|people|folks|[a-z]{3,15}s)\s{1,3}(?:are|r|is)\s{1,3}(?:all\s{1,3}|"
        r"just\s{1,3}|"
        r"nothing but\s{1,3}|like\s{1,3})?(?:a bunch of\s{1,3}|dirty\s{1,3}|filthy\s{1,3})?(?:vermin|rats|cockroaches|"
        r"roaches|parasites|savages|apes|monkeys|lice|a (?:disease|plague|cancer|virus)|diseased|subhuman|terrorists|"
        r"animals|pigs)\b"),
    _rx(r"\b(?:these|those|you|dirty|filthy|third[- ]world|fucking)\s{1,3}(?:vermin|cockroaches|roaches|parasites|"
        r"savages|apes|monkeys|subhumans|rats)\b"),
    _rx(r"\b(?:should|must|need to|ought to|deserve to|to)\s{1,3}(?:all\s{1,3})?(?:be\s{1,3}|"
        r"get\s{1,3})?(?:all\s{1,3})?"
        r"(?:deported|sent back|shipped (?:out|back)|rounded up|exterminated|gassed|sterili[sz]ed|wiped out|"
        r"eradicated|lynched|put down|locked (?:up )?in cages|kicked out of (?:the|this|our) country)\b"),
    _rx(r"\b(?:deport|exterminate|gas|sterili[sz]e|wipe out|eradicate|lynch|round up)\s{1,3}(?:them|every|all|these|"
        r"those|the lot)\b"),
    _rx(r"\bgo back to (?:your|ur|their) (?:own )?(?:country|countries)\b|\b(?:go|send them) back (?:to )?where "
        r"(?:you|they) came from\b|\b(?:you|they) don'?t belong (?:here|in this country)\b|\bbreed like "
        r"(?:rabbits|rats|animals)\b|\binfested with\s{1,3}" + _GROUP_EN + r"\b"),
    _rx(r"\b" + _GROUP_EN + r"\s{1,3}(?:should(?:n'?t| not)|must not|mustn'?t)\s{1,3}(?:be allowed|exist|be let)\b|\b"
        + _GROUP_EN + r"\s{1,3}(?:should|must)\s{1,3}(?:all\s{1,3})?(?:be\s{1,3})?(?:banned|removed|kicked out|"
        r"locked up|die)\b|\b" + _GROUP_EN + r"\s{1,3}(?:are|r)\s{1,3}(?:all\s{1,3})?(?:too\s{1,3})?(?:stupid|"
        r"criminals|thieves|terrorists|inferior|disgusting|a burden|a disease|a plague|trash|garbage|filth|scum)\b"),
    _rx(r"\b(?:dirty|filthy)\s{1,3}(?:jew|muslim|immigrant|foreigner|arab|mexican|indian|african|gypsy|chink|gay)s?\b|"
        r"\b(?:trans|gay|queer)\s{1,3}(?:freaks|perverts|scum)\b|\bshould(?:n'?t| not)\s{1,3}(?:even\s{1,3})?exist\b"),
)
ZH_HATE: tuple[re.Pattern, ...] = (
    re.compile(r"滚出(?:中国|我们|这里|去)|滚回(?:你们|他们)?(?:自己)?的?(?:国家|老家|国|去)|驱逐出境|赶出(?:中国|去)"),
    re.compile(r"垃圾人种|劣等(?:人种|民族)|下等人|低等(?:人|生物|民族)|不配(?:做人|当人|活着)|洋垃圾|支那|黑鬼|阿三|小日本|"
               r"日本鬼子|高丽棒子|棒子|死基佬|基佬|蛮子|尼哥|黑皮猪|白皮猪|绿绿|蝗虫"),
    re.compile(r"(?:外地人|乡下人|农村人|农民工|黑人|白人|日本人|韩国人|印度人|美国人|穆斯林|外国人|老外|同性恋|残疾人|女人|"
               r"女的|男人|胖子|(?:河南|东北|上海|北京|广东|湖南|四川|新疆|西藏|山东|安徽|福建|南方|北方|江西|广西)人)"
               r"[\u4e00-\u9fff]{0,3}?(?:都是|就是|全是|都该|就该|不该|不配|都应该|应该被|都像|就像|像|天生|没一个好|都不是)"),
    re.compile(r"都该死|都该被|不得好死|死全家|全家死光|全家都该|断子绝孙|灭绝|该被(?:灭|杀|清理)|清理掉|都应该被关"),
)
ZH_INSULT_STRONG = re.compile(r"傻逼|傻[bB]|煞笔|沙比|脑残|智障|废物|贱人|婊子|狗东西|畜生|"
                              r"王八蛋|操你|草泥马|尼玛|你妈|nmsl|脑子有(?:问题|病)|有病吧|白痴|"
                              r"蠢货|弱智|人渣")
# Rude words count only when aimed at a person ("垃圾客服", "你们就是垃圾"), not at a product ("垃圾产品").
ZH_INSULT_WEAK = re.compile(r"(?:你们?|客服|老板|卖家|商家|店家)(?:就是|是|这群|这帮|真)?(?:垃圾|混蛋|恶心|滚蛋)|"
                            r"(?:垃圾|混蛋)(?:客服|老板|卖家|商家|店家)|给我滚|滚蛋|他妈的你")
ZH_TARGET = re.compile(r"你们?|客服|商家|老板|店家|这群|一群|他们|员工|售后|小编")
EN_TARGET = _rx(r"(?:\b(?:you|your|you're|youre|ur|u|ya|y'all|yall|team|staff|support|agents?|devs?|developers?|"
                r"engineers?|people|guys|company|management|ceo|seller|owners?|employees?|reps?|representatives?|"
                r"ppl|whoever|them|they)\b|@\w{1,30})")
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


def detect_hate(text: str) -> list[Signal]:
    for pattern in (*EN_HATE, *ZH_HATE):
        if m := pattern.search(text):
            return [Signal(HARASSMENT, 3, True, "hate.lexicon", "dehumanising or hateful wording", m.start(), m.end())]
    return []


def detect_harassment(text: str, language: str, profanity: float | None) -> list[Signal]:
    signals: list[Signal] = detect_hate(text)
    if language == "zh" or _has_han(text):
        strong, weak = list(ZH_INSULT_STRONG.finditer(text)), ZH_INSULT_WEAK.search(text)
        targeted = ZH_TARGET.search(text) is not None
        if strong:
            m = strong[0]
            if targeted:
                signals.append(Signal(HARASSMENT, 3 if len(strong) >= 3 else 2, True, "insult.zh",
                                      "insults aimed at people", m.start(), m.end()))
            else:
                signals.append(Signal(HARASSMENT, 2, False, "insult.zh.candidate", "insulting word", m.start(),
                                      m.end()))
        elif weak:
            signals.append(Signal(HARASSMENT, 1, False, "insult.zh.weak", "rude word aimed at a person", weak.start(),
                                  weak.end()))
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
    elif m := EN_INSULT_MILD.search(text):
        # "a bunch of clowns" is how angry customers talk: recorded, not a reason to hold the text.
        signals.append(Signal(HARASSMENT, 1, True, "insult.en.mild", "mild insult", m.start(), m.end()))
    elif profanity is not None:
        if profanity >= 0.95 and targeted:
            signals.append(Signal(HARASSMENT, 2, False, "profanity.targeted",
                                  f"profanity near a person (score {profanity:.2f})"))
        elif profanity >= 0.7:
            # Swearing about a product is feedback: recorded as mild, settled here.
            signals.append(Signal(HARASSMENT, 1, True, "profanity", f"profanity (score {profanity:.2f})"))
    return signals


# --- threats and violence, self-harm, sexual content ------------------------------------------------------
# Threats: an explicit threat is a person (I, we, someone) + a violent act + a person or their property as
# target, or one of the forms threats take in both languages ("I know where you live", 弄死你, 带刀过去). Veiled
# threats ("watch your back", 你等着) are weak alone and clear when two meet. Product idioms ("killer feature",
# "the battery is dying", "kill time", 杀手级, 笑死) never match: verbs need a person as target.

_EN_VIOLENT_VERB = (r"(?:kill|murder|shoot|stab|knife|hurt|beat up|beat|punch|smash|strangle|choke|slap|batter|break|"
                    r"burn|torch|bomb|blow up|run over|gut|slit|cripple|maim|attack|bash|kick|rape|behead|hang)")
_EN_VICTIM = (r"(?:you|u|ya|y'all|him|her|them|everyone|every one of you|all of you|somebody|someone|anyone|whoever|"
              r"your\s(?:[a-z]{1,12}\s)?(?:face|head|legs?|arms?|kids?|family|wife|husband|children|daughter|son|staff|"
              r"boss|manager|driver|ceo|owner|house|home|car|shop|store|office|building|warehouse|place|teeth|throat|"
              r"team|employees|workers)|his (?:legs?|arms?|"
              r"face|head|neck|teeth|knees|skull|family|kids|car|house)|her (?:face|head|legs?|family|kids|car|house)|"
              r"the (?:manager|owner|ceo|driver|courier|rep|staff|boss|clerk|store|shop|office|building|warehouse|"
              r"next (?:rep|agent|person|guy))|that (?:guy|woman|man|driver|rep|agent|clerk|idiot|bitch|bastard))")
THREAT_STRONG: tuple[re.Pattern, ...] = (
    _rx(r"\b(?:i|we|ill|imma|ima|someone|somebody|my (?:brothers?|friends|boys|cousins|guys))\b[a-z' ]{0,40}?\b"
        + _EN_VIOLENT_VERB + r"(?:\s[a-z']{1,12})?\s{1,3}" + _EN_VICTIM + r"\b"),
    _rx(r"\b(?:hunt|track)\s{1,3}(?:you|u|him|her|them|y'all|ya)\s{1,3}down\b"),
    _rx(r"\b(?:break|snap|smash|bash|kick)\s{1,3}(?:both\s{1,3})?(?:your|his|her|their|ur)\s{1,3}(?:legs?|arms?|neck|"
        r"jaw|fingers|knees|face|head|skull|teeth)\b"),
    _rx(r"\bi know where (?:your|his|her|their) (?:office|house|home|family|kids|shop|store|school|car)\b"),
    _rx(r"\bi know where\s{1,3}(?:you|u|ya|he|she|they|(?:your|the|his|her)(?:\s[a-z']{1,15}){1,2})\s{1,3}(?:lives?|"
        r"works?|sleeps?|parks?|stays?|goes to school|go to school|hangs? out)\b"),
    _rx(r"\b(?:make sure|see to it that)\b[a-z' ]{0,30}?\b(?:gets?|is|are)\s{1,3}(?:hurt|killed|shot|stabbed|beaten|"
        r"burned)\b"),
    _rx(r"\b(?:bring(?:ing)?|show(?:ing)? up with|com(?:e|ing) (?:back |down )?with|carrying)\s{1,3}(?:a|my|the)\s{1,3}"
        r"(?:gun|knife|rifle|shotgun|pistol|machete|(?:baseball )?bat|axe|crowbar|petrol can)\b"),
    _rx(r"\bput\s{1,3}a\s{1,3}bullet\s{1,3}in\b|\b(?:happens?|happen)\s{1,3}to\s{1,3}(?:you|your|his|her|their)\s{1,3}"
        r"(?:family|kids|children|wife|husband|daughter|son)\b|\bburn (?:your|the|their) [a-z]{1,12} (?:to the ground|"
        r"down)\b|\bcoming for (?:you|u) and your\b"),
    re.compile(r"(?:弄死|杀了|杀死|砍死|捅死|打死|掐死|宰了|揍死|砍了|捅了|打残|弄残|做掉|干掉|剁了|灭了|整死|搞死)"
               r"(?:你|您|他|她|那个|这个|这帮|这群|你们|全家|老板|客服|店主|卖家|快递员?)"),
    re.compile(r"(?:找人|叫人|带人|喊人)[\u4e00-\u9fff]{0,4}?(?:收拾|弄|打|砍|堵|教训|砸)|带(?:着)?(?:刀|枪|汽油|硫酸)|"
               r"(?:拿|提)(?:着)?刀|泼(?:硫酸|汽油|油漆)|放火|纵火|一把火|烧了(?:你|他|她)|炸了(?:你|他|她)|"
               r"砸了(?:你|他|她)[\u4e00-\u9fff]{0,3}(?:店|车|公司|家|门店)|打断[\u4e00-\u9fff]{0,4}(?:腿|手|胳膊|骨头)"),
    re.compile(r"(?:我知道|查到|打听到)(?:你|他|她)[们的]{0,2}[\u4e00-\u9fff]{0,6}?(?:住|在)(?:哪|哪里|哪儿|哪个)|"
               r"(?:我知道|查到)(?:你|他|她)[们的]{0,2}(?:女儿|儿子|孩子|老婆|老公|家人|爸妈)[\u4e00-\u9fff]{0,4}(?:在哪|哪个|住)"),
    re.compile(r"狗命|命我要了|要(?:你|他|她)(?:的)?(?:狗)?命|取你狗命|(?:你|你们|他|她)[\u4e00-\u9fff]{0,2}死定了|"
               r"(?:你|你们)活不(?:了|过)|见(?:一次)?打一次|碰到一次打|血债血偿|血的代价|全家出门[\u4e00-\u9fff]{0,3}小心"),
)
THREAT_WEAK: tuple[re.Pattern, ...] = (
    _rx(r"\bwatch (?:your|ur) back\b|\bsleep with one eye open\b|\byou(?:'ve| have) been warned\b|\blast warning\b|"
        r"\bor else\b|\bmark my words\b|\b(?:would|it'?d) be a shame if\b|\bsee what happens\b|\bdead (?:man|meat)\b"),
    _rx(r"\b(?:you|u)(?:'re| are| r)\s{1,3}(?:dead|finished|next|done for)\b|\b(?:i'?m|we'?re|"
        r"i am) coming (?:for|after)"
        r" (?:you|u)\b|\bcoming (?:down )?there\b|\bcome down there\b|\bi(?:'ll| will) be waiting (?:for you|"
        r"outside)\b|"
        r"\byou won'?t like what (?:i|we|happens)\b|\bwish (?:he|she|you|they)(?:'d| had) never been born\b"),
    _rx(r"\b(?:catch|catches) fire\b|\bpay (?:you|him|her|them) a visit\b|\b(?:you|you'll|you will|he'll|she'll) pay "
        r"for (?:this|that)\b|\bmake (?:you|him|her|them) pay\b|\b(?:he|she|they)(?:'ll| will) regret (?:it|this)\b|"
        r"\byou(?:'ll| will) regret (?:crossing|ignoring|messing|the day|this day)\b|\bsomething (?:might|could|will)? "
        r"?happen(?:ed)? to\b|\buntil (?:someone|somebody) (?:bleeds|gets hurt|dies)\b"),
    _rx(r"\bi (?:will|'ll) find (?:you|u|her|him|them)\b(?!\s{1,3}(?:a|an|the|some|another|one)\b)|"
        r"\bi know (?:which|what)"
        r" (?:school|house|car|street|gym|route)\b|\bi have (?:your|his|her) (?:address|home address|plate number)\b|"
        r"\bfollowed (?:you|u|ur|your|him|her) (?:home|van|car)\b|\bwhere (?:you|u|ya|he|she|they) (?:live|"
        r"lives)\b|\boutside your (?:office|house|home|store|shop) "
        r"right now\b"),
    re.compile(r"你(?:给我)?等着|等着瞧|走着瞧|(?:你|你们|您|老板|客服|给我)[\u4e00-\u9fff]{0,6}?小心(?:点|你的)|出门小心|"
               r"别一个人(?:走|出门)|别让我[\u4e00-\u9fff]{0,6}?(?:碰到|遇到|看到|见到)|后果自负|这事没完|说到做到|"
               r"不信(?:你)?试试|谁说得准|找上门|堵(?:你|他|她)|去找(?:你|他|她)|记住(?:你|他|她)的脸|有的是办法|"
               r"让(?:你|你们|他|她)[\u4e00-\u9fff]{0,6}(?:后悔|好看|付出代价|吃不了兜着走)|不会放过(?:你|你们)|饶不了|"
               r"我会找到(?:你|他|她)"),
)
# Self-harm: encouragement aimed at someone else is severe; a person's own intent is clear; mentions go to the
# judge. Hyperbole ("makes me want to die lol", "我真是笑死") is at most a candidate.
SELF_HARM_ENCOURAGE: tuple[re.Pattern, ...] = (
    _rx(r"(?<!n't )(?<!not )\b(?:kill|hang|off|end|neck|unalive)\s{1,3}(?:yourself|yourselves|urself|themselves|"
        r"themself)"
        r"\b|\bkys\b|\bk\s?y\s?s\b(?=\W{0,3}$)"),
    _rx(r"\b(?:drink|swallow|eat)\s{1,3}(?:some\s{1,3})?(?:bleach|poison|antifreeze)\b|\b(?:go\s{1,3})?(?:jump|"
        r"leap)\s{1,3}"
        r"(?:off|from)\s{1,3}(?:a|the)\s{1,3}(?:bridge|cliff|building|roof)\b|\bslit\s{1,3}(?:your|"
        r"ur)\s{1,3}wrists?\b"),
    _rx(r"\b(?:world|everyone|we)\s{1,3}(?:would|"
        r"will)\s{1,3}be\s{1,3}better\s{1,3}(?:off\s{1,3})?without\s{1,3}(?:you|u)\b"
        r"|\bnobody (?:would|will) miss (?:you|u)\b|\bgo (?:die|end it)\b|\bdo (?:the world|us all|everyone) a favou?r "
        r"and (?:die|disappear|end it|off yourself)\b"),
    re.compile(r"去死|赶紧死|早点死|活着浪费(?:空气|粮食)|(?:自杀|跳楼|上吊|跳河|喝农药|割腕)吧|"
               r"(?:你|您|你们|这种人|建议)[\u4e00-\u9fff]{0,6}?(?:应该|该|去|赶紧|直接)[\u4e00-\u9fff]{0,3}?"
               r"(?:自杀|跳楼|上吊|跳河|喝农药|割腕)"),
)
SELF_HARM_INTENT = _rx(r"\b(?:i'?m|i am|i'?ll|i will|i want to|i'?m going to|gonna|been)\s{1,3}(?:kill|hurt|harm|cutt?)"
                       r"(?:ing)?\s{1,3}myself\b|\bend(?:ing)? (?:my (?:own )?life|it all)\b|\bi'?m ending it\b|"
                       r"\b(?:don'?t|do not) want to (?:live|be alive|wake up)\b|\bno reason to (?:live|go on)\b|"
                       r"\bgo on living\b|\bbetter off (?:if i (?:was|were) )?dead\b|\bwish i (?:was|were) dead\b|"
                       r"\b(?:goodbye|suicide) (?:letters?|notes?)\b|\bi (?:just |really )?(?:want|wanna) to die\b|"
                       r"\bi want to die\b|"
                       r"我想自杀|我要自杀|想自杀|不想活了?|活不下去|一了百了|遗书|割腕|手腕上割|安眠药|"
                       r"(?:想|要)(?:结束|了结)(?:自己|生命)|(?:想|要)跳下去|如果我死了|我死了(?:算了|大家)|"
                       r"不想再醒|轻生")
SELF_HARM_CANDIDATE = _rx(r"\b(?:kill(?:ing)?|hurt(?:ing)?|cut(?:ting)?|harm(?:ing)?) myself\b|\bsuicid(?:e|al)\b|"
                          r"\bwant(?:ed)? to die\b|\bself[- ]harm\b|\bcan'?t go on\b|自杀|想死|"
                          r"活着(?:好|太|真)?(?:累|没意思)")
HYPERBOLE = _rx(r"\b(?:lol|lmao|rofl|haha\w{0,10}|jk)\b|😂|🤣|(?:跟|像|和|如同)(?:自杀|跳楼|去死)一样")
SEXUAL_SOLICIT = _rx(r"\b(?:onlyfans|camgirls?|escorts? service|sexting|send (?:me )?nudes|nudes|hook ?up tonight|"
                     r"hookup|private cam|hot (?:girls|singles|moms) (?:waiting|in your area|near you)|"
                     r"(?:have|having) sex with|(?:want to|wanna) (?:f[u*]ck|bang|screw) (?:the|her|him|that)|tits|"
                     r"see me naked)\b|约炮|裸聊|裸照|一夜情|约吗|寂寞少妇|特殊服务|上门服务|成人视频|看片|"
                     r"和[\u4e00-\u9fff]{0,3}上床")
SEXUAL_CANDIDATE = _rx(r"\b(?:porn\w{0,6}|nudes?|naked|xxx|nsfw|horny|sex(?:ual|y)?|blowjob|dick|boobs?)\b|色情|黄片|"
                       r"做爱")


def _matches(patterns: Sequence[re.Pattern], text: str, limit: int = 3) -> list[re.Match]:
    """Distinct cues: up to `limit` matches of each pattern (one pattern holds many cues)."""
    return [m for p in patterns for m in islice(p.finditer(text), limit)]


def detect_violence(text: str) -> list[Signal]:
    strong = _matches(THREAT_STRONG, text)
    weak = _matches(THREAT_WEAK, text)
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
    for pattern in SELF_HARM_ENCOURAGE:
        if m := pattern.search(text):
            return [Signal(SELF_HARM, 3, True, "self_harm.encouragement", "urges someone to harm themself",
                           m.start(), m.end())]
    hyperbole = HYPERBOLE.search(text) is not None
    if m := SELF_HARM_INTENT.search(text):
        if hyperbole:
            return [Signal(SELF_HARM, 2, False, "self_harm.candidate", "talks of dying, perhaps as a figure of speech",
                           m.start(), m.end())]
        return [Signal(SELF_HARM, 2, True, "self_harm.intent", "talks of harming themself", m.start(), m.end())]
    if not hyperbole and (m := SELF_HARM_CANDIDATE.search(text)):
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
    "stars star worth version device item model account login subscription replacement ads advert manual "
    "instructions battery screen design size colour color sound brand material".split()
)
GENERIC_FEEDBACK_ZH = ("产品", "客服", "物流", "快递", "价格", "质量", "好评", "差评", "推荐",
                       "购买", "发货", "售后", "包装", "退货", "退款", "App", "app", "更新", "功能",
                       "下单", "收到", "商家", "性价比", "回购", "买", "用", "降价", "价保",
                       # attributes and verdicts every review speaks of, whatever the product
                       "说明书", "安装", "配件", "做工", "不错", "一般", "满意", "失望", "差", "烂", "星", "正品",
                       "杂牌", "品牌", "效果", "体验", "音质", "亮度", "续航", "尺寸", "颜色", "屏幕", "电池")


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
    if len(words) < 6 and han < 16:  # a Chinese character carries about half a word
        return []  # too short to tell
    if any(term in text for term in GENERIC_FEEDBACK_ZH):
        return []
    terms = _terms(text)
    # "refunded", "charged", "headphones": inflected forms of feedback words count too.
    terms |= {w[:-len(end)] for w in terms for end in ("s", "ed", "ing") if w.endswith(end) and len(w) - len(end) >= 3}
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
            *detect_spam(text, item.allowed_calls_to_action),
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

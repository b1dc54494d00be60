"""Synthetic customer-review text for benchmarks (stdlib only, deterministic per seed).

Sentences are assembled from per-aspect phrase banks (subject x opinion x detail, plus openers, connectors
and closing remarks), so sentences about the same aspect and polarity really are semantic neighbours.
Every sentence maps to a unique index of the combination space; sampling indices without replacement
makes the output distinct without any retry loop.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from datetime import date, timedelta
from itertools import permutations
from typing import NamedTuple


class _Aspect(NamedTuple):
    name: str
    subjects: tuple[str, ...]
    pos: tuple[str, ...]
    neg: tuple[str, ...]
    pos_details: tuple[str, ...]
    neg_details: tuple[str, ...]
    app: bool = False  # reviews of this aspect are filed against the app rather than the device


class Review(NamedTuple):
    text: str
    polarity: int  # 1 positive, -1 negative, 0 mixed
    aspect: str
    language: str
    app: bool


def _a(
    name: str, subjects: str, pos: str, neg: str, pos_details: str, neg_details: str, app: bool = False
) -> _Aspect:
    """Build an aspect from '|'-separated phrase lists (keeps the banks compact)."""
    lists = (tuple(s.split("|")) for s in (subjects, pos, neg, pos_details, neg_details))
    return _Aspect(name, *lists, app=app)


# Every subject must read correctly with every opinion of its aspect (singular verbs throughout).
_EN_ASPECTS: tuple[_Aspect, ...] = (
    _a(
        "battery",
        "the battery life|the battery|the runtime on a full charge",
        "is fantastic|is much better than I expected|holds up really well|is honestly impressive"
        "|easily beats my old lamp",
        "is disappointing|drains far too quickly|has gotten worse since the last update"
        "|is nowhere near what was advertised|barely gets me through an evening",
        "it lasts a full week of evening reading|I only need to charge it on Sundays"
        "|it still had half its charge after a weekend away"
        "|I can carry it between rooms all day without a cable",
        "it is dead before I finish my evening reading|it loses charge even when switched off"
        "|I have to keep it plugged in all the time|it dropped from full to twenty percent overnight",
    ),
    _a(
        "brightness",
        "the brightness|the maximum brightness|the light output",
        "is perfect for my desk|is more than enough|is excellent|covers my whole workspace|is spot on",
        "is too weak|is lower than advertised|falls short for a large desk|is not enough for detailed work"
        "|is uneven across the desk",
        "I can read small print without straining|it lights the entire desk evenly"
        "|I never need the ceiling light anymore|even the lowest setting works as a night light",
        "I still need the ceiling light on|the corners of my desk stay dim"
        "|small print is hard to read in the evening|it looks nothing like the product photos",
    ),
    _a(
        "colour",
        "the colour temperature range|the colour rendering|the warm light setting",
        "is beautiful|is really natural|is easy on the eyes|feels cosy in the evening"
        "|is accurate enough for painting",
        "looks slightly green|is too blue at the cool end|feels harsh|shifts noticeably when dimmed"
        "|is not as warm as I hoped",
        "colours look the same as in daylight|my watercolours finally look right"
        "|it makes late evenings feel calm|photos of my work come out true to life",
        "skin tones look washed out on video calls|it gives me a headache after an hour"
        "|the white balance drifts between sessions|everything on my desk looks slightly off",
    ),
    _a(
        "eye_comfort",
        "the eye comfort|the flicker-free light|the glare control",
        "is a game changer|is exactly as promised|makes long study sessions easier|really works"
        "|is the reason I bought it",
        "is not what I expected|is worse than I hoped|needs work|is overstated in the marketing|lets me down",
        "my eyes no longer feel tired after a long day|I have not had a migraine since switching"
        "|there is no flicker even through my phone camera|there is zero glare on my monitor",
        "I can see flicker through my phone camera at low brightness"
        "|there is a noticeable glare on my monitor|my eyes still feel strained by the evening"
        "|the diffuser shows a bright hotspot",
    ),
    _a(
        "build",
        "the build quality|the aluminium body|the overall construction",
        "feels premium|is solid|is excellent for the price|feels built to last|is better than I expected",
        "feels cheap|is flimsy|does not match the price|is disappointing|has already started to wear",
        "nothing creaks or wobbles|it survived a fall off my desk|the joints feel tight after months of use"
        "|the finish still looks new",
        "the plastic joints creak when I adjust it|the paint chipped within a week"
        "|the base wobbles on a flat desk|a screw came loose after a month",
    ),
    _a(
        "design",
        "the design|the minimalist look|the finish",
        "is gorgeous|fits my desk perfectly|gets compliments from everyone|is clean and modern"
        "|looks great in my home office",
        "looks dated|is bulkier than the photos suggest|shows every fingerprint|clashes with my setup"
        "|is style over substance",
        "it looks great on video calls|friends keep asking where it is from|it blends in with my oak desk"
        "|it looks more expensive than it is",
        "it takes up more space than I expected|I have to wipe it down constantly"
        "|the logo is far too prominent|the cable ruins the clean look",
    ),
    _a(
        "app",
        "the companion app|the app|the mobile app",
        "is intuitive|is easy to use|works smoothly|is well designed|keeps getting better",
        "is clunky|crashes regularly|feels unfinished|is painfully slow|is confusing",
        "I set up schedules in a couple of taps|scenes apply instantly|every setting is easy to find"
        "|the latest update added useful shortcuts",
        "it freezes whenever I open the schedule tab|settings are buried three menus deep"
        "|it forgets my scenes after every update|it needs a new account just to turn on a light",
        app=True,
    ),
    _a(
        "bluetooth",
        "the Bluetooth connection|the pairing process|the connection to my phone",
        "is rock solid|is instant|has been reliable|works every time|is much better since the update",
        "keeps dropping|is unreliable|fails half the time|is a constant headache"
        "|breaks after every phone update",
        "it reconnects as soon as I walk into the room|I have not had a single drop in weeks"
        "|pairing took less than ten seconds|both our phones stay connected at once",
        "I have to reinstall the app to reconnect|it says the lamp is offline while I am sitting next to it"
        "|it takes several attempts to pair|it disconnects when I leave the room",
        app=True,
    ),
    _a(
        "sync",
        "the schedule sync|syncing between devices|the scene sync",
        "works flawlessly|is seamless|is quick|is dependable|just works",
        "is broken|is painfully slow|is hit and miss|keeps failing|loses my settings",
        "changes on my partner's phone show up on mine right away|my morning schedule has never missed"
        "|scenes apply the moment I save them|everything survived switching phones",
        "my evening scene never reaches the lamp|it shows a sync error every time I save"
        "|the two phones show different schedules|my scenes vanished after reinstalling",
        app=True,
    ),
    _a(
        "setup",
        "the setup|the initial setup|the out-of-the-box experience",
        "was painless|took two minutes|was straightforward|was the easiest I have had|was well thought out",
        "was frustrating|took far too long|was confusing|was needlessly complicated|was a nightmare",
        "I just scanned the QR code and it was ready|my parents managed it on their own"
        "|the instructions were clear|the app walked me through every step",
        "the firmware update got stuck halfway|the manual says five seconds but it needs ten"
        "|the QR code was hidden under the base|it demanded location access for no obvious reason",
    ),
    _a(
        "price",
        "the price|the price tag|the asking price",
        "is fair|is justified|is reasonable for the quality|is worth every penny|is a bargain on sale",
        "is too high|is hard to justify|is steep for a desk lamp|is not justified"
        "|feels like paying for the brand",
        "it replaced two cheaper lamps that kept flickering|I got it during a sale"
        "|the quality matches the cost|it costs less than a smart bulb and a decent lamp together",
        "cheaper lamps do most of the same things|it dropped by thirty percent a week after I bought it"
        "|the app still feels half finished|you pay extra for features that do not work",
    ),
    _a(
        "support",
        "the customer support|the support team|the help desk",
        "was fantastic|was quick to respond|was genuinely helpful|went above and beyond"
        "|sorted everything out",
        "was useless|was slow to respond|never followed up|kept sending canned answers|was hard to reach",
        "they answered my email within two hours|they sent a replacement without any fuss"
        "|they called me back the same day|they walked me through a reset step by step",
        "I waited over a week for a reply|I got the same help article three times"
        "|my ticket was closed without a solution|nobody answered my follow-up emails",
    ),
    _a(
        "shipping",
        "the delivery|the packaging|the shipping",
        "was fast|was excellent|was well handled|was quicker than promised|was careful and secure",
        "was a disaster|was too flimsy|was painfully slow|was careless|let the product down",
        "it arrived the next day|everything was wrapped securely|the box arrived in perfect condition"
        "|tracking was accurate the whole way",
        "the lamp arm arrived snapped at the hinge|the box was crushed on one corner"
        "|it took three weeks to arrive|the charging cable was missing from the box",
    ),
    _a(
        "charging",
        "the charging port|the charging speed|the charger",
        "is convenient|is quick|works well|is a nice touch|is hassle free",
        "is outdated|is slow|is awkward|is a real weak point|is a pain",
        "it tops up fully in about two hours|I can charge it from my laptop"
        "|the magnetic connector snaps on easily|it charges while I keep using it",
        "it still uses a proprietary plug instead of USB-C|it takes five hours to reach full"
        "|I need a separate cable just for this lamp|the plug wiggles loose easily",
    ),
    _a(
        "controls",
        "the touch panel|the dimmer slider|the touch button on the base",
        "is responsive|is intuitive|is precise|feels great to use|is easy to find in the dark",
        "is too sensitive|is unresponsive|is fiddly|is hard to find in the dark|is inconsistent",
        "I can dim the light in tiny steps|it reacts instantly to a light tap"
        "|I never need to open the app for basic changes|it remembers my last brightness",
        "my cat turns it on every night|it takes several taps to register|it jumps straight from dim to full"
        "|I keep changing the colour by accident",
    ),
    _a(
        "arm",
        "the adjustable arm|the lamp head|the hinge",
        "is very flexible|stays exactly where I put it|moves smoothly|is well engineered|is sturdy",
        "is stiff|droops over time|does not rotate far enough|is loose|feels fragile",
        "I can aim the light exactly where I need it|it holds its position without sagging"
        "|it folds flat when I need the space|it reaches across my whole desk",
        "the head slowly sinks while I work|I cannot angle it away from my monitor"
        "|it squeaks every time I move it|it wobbles when I type",
    ),
    _a(
        "base",
        "the base|the desk clamp|the weighted stand",
        "is stable|is compact|is rock solid|is well balanced|fits a small desk perfectly",
        "is too big|is wobbly|scratched my desk|takes up too much space|does not fit thick desks",
        "it does not tip over even fully extended|it leaves plenty of room for my keyboard"
        "|it grips my desk edge firmly|nothing moves when I bump the desk",
        "it tips when the arm is fully extended|it barely leaves room for my keyboard"
        "|it left marks on my desk|it only fits desks up to three centimetres thick",
    ),
    _a(
        "smart_home",
        "the smart home integration|the voice assistant support|the HomeKit support",
        "works nicely|is a big plus|is seamless|is surprisingly good|is well done",
        "is missing|is very limited|is basically nonexistent|is a letdown|is half-baked",
        "I can switch it off by voice from bed|it fits into my evening routine automatically"
        "|it shows up alongside my other lights|it turns on with my morning alarm",
        "it does not show up in Google Home at all|I still need a separate app for everything"
        "|Siri cannot control it|there is no Matter support yet",
        app=True,
    ),
    _a(
        "firmware",
        "the latest firmware update|the update process|the most recent update",
        "was smooth|fixed my issues|added useful features|was quick|improved things noticeably",
        "broke things|made things worse|was a mess|failed twice|caused new problems",
        "the connection has been stable ever since|it finished in under a minute"
        "|the new scenes are really handy|it fixed the battery drain",
        "the battery now drains overnight|the lamp shuts off at thirty percent"
        "|I had to factory reset it afterwards|there is no way to roll back",
    ),
    _a(
        "timer",
        "the sleep timer|the sunrise alarm|the schedule feature",
        "is brilliant|is really useful|works perfectly|is my favourite feature|makes mornings easier",
        "is too basic|is unreliable|is buried in the app|is missing options|does not work properly",
        "it fades out gently after I fall asleep|waking up to slowly brightening light is lovely"
        "|it turns off automatically at midnight|it switches to warm light every evening",
        "there is no way to set a custom duration|it ignored my alarm twice this week"
        "|it only supports a single schedule|it resets whenever the lamp loses power",
        app=True,
    ),
)

_ZH_ASPECTS: tuple[_Aspect, ...] = (
    _a(
        "battery",
        "续航|电池",
        "非常给力|比预期好很多|很耐用|完全够用",
        "太拉胯了|掉电很快|升级后明显变差|和宣传的差太多",
        "充一次电能用一整周|周末出门回来还剩一半电|一周只需要充一次",
        "晚上看书看到一半就没电了|关着灯也在掉电|只能一直插着电用",
    ),
    _a(
        "brightness",
        "亮度|最高亮度",
        "很充足|刚刚好|调节很细腻|足够照亮整个桌面",
        "偏暗|不够用|不如宣传的亮|不太均匀",
        "看小字一点也不费劲|整个桌面都照得很均匀|最低档还能当小夜灯",
        "晚上还得开顶灯|桌子两边明显偏暗|看书时间长了很吃力",
    ),
    _a(
        "colour",
        "色温|显色效果",
        "很自然|很舒服|非常准|氛围感很好",
        "偏冷|有点发绿|不够暖|调暗后会偏色",
        "画画时颜色和白天看差不多|晚上用暖光特别放松|拍照很出片",
        "视频通话时脸色发灰|看久了有点刺眼|桌上的东西看起来都怪怪的",
    ),
    _a(
        "eye_comfort",
        "护眼效果|防眩光",
        "真的有用|名不虚传|做得很好|让我很惊喜",
        "很一般|名不副实|不如旧台灯|有待提高",
        "学到半夜眼睛也不累|用手机拍也看不到频闪|屏幕上没有反光",
        "低亮度时能看到频闪|显示器上有明显反光|用久了眼睛还是发酸",
    ),
    _a(
        "build",
        "做工|质感",
        "很扎实|很高级|对得起价格|超出预期",
        "很廉价|一般般|配不上这个价格|让人失望",
        "关节调节没有一点松动|从桌上摔下来都没坏|用了几个月还跟新的一样",
        "关节一动就咯吱响|一周就掉漆了|底座放平了还晃",
    ),
    _a(
        "design",
        "外观|设计",
        "很好看|简约大方|很有质感|颜值很高",
        "有点过时|比图片笨重|很容易留指纹|很普通",
        "放在书桌上很搭|朋友来了都问链接|视频会议时背景很好看",
        "占的地方比想象的大|每天都要擦指纹|线材很破坏整体感",
    ),
    _a(
        "app",
        "App|配套App",
        "很好用|设计得很直观|很流畅|越更新越好用",
        "很难用|经常闪退|很卡|像半成品",
        "几下就能设置好定时|场景切换很及时|所有设置一目了然",
        "打开定时页面就卡死|每次更新后场景都没了|开个灯还得注册账号",
        app=True,
    ),
    _a(
        "bluetooth",
        "蓝牙连接|配对",
        "很稳定|很快|一次就成功|比之前好多了",
        "经常断|很不稳定|总是失败|特别麻烦",
        "一进房间就自动连上|几周都没断过一次|十秒钟就配对成功",
        "每次都要重装App才能连上|人就在旁边却显示离线|要试好几次才能配对",
        app=True,
    ),
    _a(
        "setup",
        "安装|初次设置",
        "很简单|两分钟搞定|很顺利|对新手很友好",
        "很麻烦|太复杂了|让人抓狂|花了很长时间",
        "扫个码就能用|爸妈自己就装好了|说明书写得很清楚",
        "固件升级卡在一半|说明书写的步骤不对|还要求打开定位权限",
    ),
    _a(
        "price",
        "价格|售价",
        "很合理|物有所值|活动价很划算|对得起品质",
        "偏高|太贵了|不太值|让人肉疼",
        "替换了两盏老是频闪的便宜台灯|趁活动入手很值|品质和价格匹配",
        "便宜一半的台灯功能也差不多|刚买完就降价了|App还像半成品",
    ),
    _a(
        "support",
        "客服|售后",
        "态度很好|回复很快|很专业|很负责",
        "回复太慢|态度敷衍|一直踢皮球|根本联系不上",
        "两个小时就回复了邮件|很快就给换了新的|耐心教我一步步重置",
        "等了一周都没人回复|只会发模板回复|问题没解决就关单了",
    ),
    _a(
        "shipping",
        "物流|快递",
        "很快|很给力|很靠谱|超出预期",
        "太慢了|太差了|很暴力|让人失望",
        "第二天就到了|包装得很严实|盒子完好无损",
        "收到时灯臂断了|盒子都压扁了|等了三个星期才到",
    ),
)


class _Bank:
    """Indexable space of all sentences one phrase bank can produce."""

    def __init__(
        self,
        aspects: tuple[_Aspect, ...],
        lang: str,
        openers: tuple[str, ...],
        connectors: tuple[str, ...],
        tails: dict[int, tuple[str, ...]],
        contrast_openers: int,
        templates: dict[str, str],
    ) -> None:
        self.aspects, self.lang, self.openers, self.connectors = aspects, lang, openers, connectors
        self.tails, self.templates = tails, templates
        self.contrast_openers = openers[:contrast_openers]
        # block = (kind, first aspect, polarity or second aspect, radices)
        self.blocks: list[tuple[str, int, int, tuple[int, ...]]] = []
        for ai, a in enumerate(aspects):
            for pol in (1, -1):
                ops, dets = (a.pos, a.pos_details) if pol > 0 else (a.neg, a.neg_details)
                nt = len(tails[pol])
                self.blocks.append(
                    (
                        "single",
                        ai,
                        pol,
                        (len(a.subjects), len(ops), len(connectors), len(dets), len(openers), nt),
                    )
                )
                self.blocks.append(("short", ai, pol, (len(a.subjects), len(ops), len(openers), nt)))
        for ai, bi in permutations(range(len(aspects)), 2):
            a, b = aspects[ai], aspects[bi]
            base = (len(a.subjects), len(a.pos), len(b.subjects), len(b.neg))
            self.blocks.append(("contrast", ai, bi, (*base, len(self.contrast_openers))))
            self.blocks.append(("contrast2", ai, bi, base))
        self.offsets: list[int] = []
        total = 0
        for *_, radices in self.blocks:
            self.offsets.append(total)
            size = 1
            for r in radices:
                size *= r
            total += size
        self.size = total

    def render(self, index: int) -> Review:
        bi = bisect_right(self.offsets, index) - 1
        kind, ai, x, radices = self.blocks[bi]
        rest = index - self.offsets[bi]
        digits = []
        for r in radices:
            rest, d = divmod(rest, r)
            digits.append(d)
        a, t = self.aspects[ai], self.templates[kind]
        if kind in ("single", "short"):
            pol = x
            ops, dets = (a.pos, a.pos_details) if pol > 0 else (a.neg, a.neg_details)
            if kind == "single":
                s, p, c, d, o, tl = digits
                text = t.format(
                    o=self.openers[o],
                    s=a.subjects[s],
                    p=ops[p],
                    c=self.connectors[c],
                    d=dets[d],
                    t=self.tails[pol][tl],
                )
            else:
                s, p, o, tl = digits
                text = t.format(o=self.openers[o], s=a.subjects[s], p=ops[p], t=self.tails[pol][tl])
            name, app = a.name, a.app
        else:
            b = self.aspects[x]
            s, p, s2, p2, *o = digits
            opener = self.contrast_openers[o[0]] if o else ""
            text = t.format(o=opener, s=a.subjects[s], p=a.pos[p], s2=b.subjects[s2], p2=b.neg[p2])
            pol, name, app = 0, b.name, b.app  # file mixed reviews under the complaint, the actionable part
        return Review(text[0].upper() + text[1:], pol, name, self.lang, app)

    def sample(self, n: int, rng: random.Random) -> list[Review]:
        if not 0 <= n <= self.size:
            raise ValueError(f"n must be between 0 and {self.size} for the {self.lang!r} phrase bank")
        return [self.render(i) for i in rng.sample(range(self.size), n)]


_EN = _Bank(
    _EN_ASPECTS,
    "en",
    openers=(
        "",
        "Honestly, ",
        "Overall, ",
        "To be fair, ",
        "After two weeks, ",
        "After a month of daily use, ",
        "So far, ",
        "In my experience, ",
        "For what it's worth, ",
        "Compared to my old lamp, ",
        "I have to say ",
        "As someone who works from home, ",
        "Three months in, ",
        "For the record, ",
        "As a student, ",
        "Long story short, ",
    ),
    connectors=(", and ", " — ", "; ", " because ", ", as "),
    tails={
        1: (
            "",
            " Highly recommend.",
            " Would buy again.",
            " Five stars from me.",
            " Really happy with it.",
            " No complaints.",
        ),
        -1: (
            "",
            " Very disappointed.",
            " Would not buy again.",
            " Please fix this.",
            " Expected better.",
            " Not impressed.",
        ),
    },
    contrast_openers=4,
    templates={
        "single": "{o}{s} {p}{c}{d}.{t}",
        "short": "{o}{s} {p}.{t}",
        "contrast": "{o}{s} {p}, but {s2} {p2}.",
        "contrast2": "{s2} {p2}, although {s} {p}.",
    },
)

_ZH = _Bank(
    _ZH_ASPECTS,
    "zh",
    openers=(
        "",
        "说实话，",
        "总体来说，",
        "不得不说，",
        "用了两周，",
        "用了一个月，",
        "和之前的台灯比，",
        "作为学生党，",
    ),
    connectors=("，", "，而且", "，因为"),
    tails={
        1: ("", "推荐购买！", "会回购。", "好评！", "很满意。"),
        -1: ("", "很失望。", "不会再买了。", "希望尽快改进。", "差评。"),
    },
    contrast_openers=8,
    templates={
        "single": "{o}{s}{p}{c}{d}。{t}",
        "short": "{o}{s}{p}。{t}",
        "contrast": "{o}{s}{p}，但是{s2}{p2}。",
        "contrast2": "{s2}{p2}，好在{s}{p}。",
    },
)


def review_sentences(n: int, seed: int = 0) -> list[str]:
    """Return n distinct English product-review sentences (about 1.6M possible), deterministic per seed."""
    return [r.text for r in _EN.sample(n, random.Random(seed))]


def chinese_review_sentences(n: int, seed: int = 0) -> list[str]:
    """Return n distinct Simplified Chinese review sentences (about 150k possible), deterministic per seed."""
    return [r.text for r in _ZH.sample(n, random.Random(seed))]


_EN_SOURCES = ("app_store", "play_store", "survey", "support_ticket", "twitter", "email")
_EN_WEIGHTS = (25, 20, 20, 15, 12, 8)
_ZH_SOURCES = ("tmall", "xiaohongshu")
_UNRATED = frozenset({"support_ticket", "twitter", "email", "xiaohongshu"})
_END = date(2026, 11, 20)
_FIRST = (
    "Sarah",
    "Mike",
    "Priya",
    "Tom",
    "Lena",
    "Marcus",
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Grace",
    "Hiro",
    "Isabel",
    "Jack",
    "Kofi",
    "Laura",
    "Mateo",
    "Nina",
    "Oliver",
    "Rosa",
    "Sam",
    "Yuki",
)
_LAST = (
    "Kim",
    "Turner",
    "Nair",
    "Becker",
    "Reid",
    "Khan",
    "Carter",
    "Park",
    "Osei",
    "Silva",
    "Murphy",
    "Rossi",
    "Garcia",
    "Novak",
    "Patel",
    "Singh",
    "Walsh",
    "Sato",
    "Moreau",
    "Fischer",
)
_ZH_AUTHORS = (
    "t***8",
    "小***鱼",
    "j***n",
    "阿***猫",
    "l***y",
    "甜***子",
    "桌搭研究所",
    "是阿柠呀",
    "考研人小林",
    "Momo的书桌",
    "夜猫子小陈",
    "好好生活的Vivi",
)


def demo_rows(n: int, seed: int = 0, zh_share: float = 0.2, days: int = 84) -> list[dict[str, object]]:
    """Return n demo-workspace rows (text, rating, date, source, author, product, language) for load tests.

    About ``zh_share`` of the rows are Chinese; dates are spread over ``days`` days ending 2026-11-20 and
    ratings follow the sentence polarity (None for sources that carry no rating).
    """
    rng = random.Random(seed)
    n_zh = min(round(n * zh_share), _ZH.size)
    reviews = _EN.sample(n - n_zh, rng) + _ZH.sample(n_zh, rng)
    rng.shuffle(reviews)
    rows: list[dict[str, object]] = []
    for r in reviews:
        if r.language == "zh":
            source = rng.choice(_ZH_SOURCES)
            author = rng.choice(_ZH_AUTHORS)
        else:
            source = rng.choices(_EN_SOURCES, _EN_WEIGHTS)[0]
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            author = f"@{first.lower()}{rng.randint(1, 99)}" if source == "twitter" else f"{first} {last}"
        rating: int | None = None
        if source not in _UNRATED and not (source == "survey" and rng.random() < 0.3):
            rating = rng.choice(
                (4, 5, 5) if r.polarity > 0 else (1, 1, 2) if r.polarity < 0 else (2, 3, 3, 4)
            )
        rows.append(
            {
                "text": r.text,
                "rating": rating,
                "date": (_END - timedelta(days=rng.randrange(days))).isoformat(),
                "source": source,
                "author": author,
                "product": "Lumo App" if r.app else "Lumo Lamp",
                "language": r.language,
            }
        )
    return rows


if __name__ == "__main__":
    print(f"phrase-bank capacity: en={_EN.size:,} zh={_ZH.size:,}")
    for label, fn, count in (
        ("review_sentences", review_sentences, 100_000),
        ("chinese_review_sentences", chinese_review_sentences, 50_000),
        ("demo_rows", demo_rows, 100_000),
    ):
        for sample in fn(5, seed=1):
            print(f"  {sample}")
        t0 = time.perf_counter()
        out = fn(count, seed=0)
        elapsed = time.perf_counter() - t0
        unique = len({o if isinstance(o, str) else o["text"] for o in out})
        print(f"{label}({count:,}): {elapsed:.2f}s, {unique:,} distinct\n")

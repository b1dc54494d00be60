"""A brief (validated from the API or the studio form) and the workspace's brand voice (written by owners)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE

from ..models import DEFAULT_LOCALE, LOCALES, BrandVoice, Channel, CopyRequest, Length, ReadingLevel
from .errors import CopyError

MAX_VARIANTS = 6
BRIEF_LIMITS = {"product": 200, "audience": 300, "goal": 300, "tone": 100, "key_message": 500}
VOICE_LIMITS = {"words": 50, "word_chars": 40, "samples": 3, "sample_chars": 600}


@dataclass(frozen=True)
class Brief:
    product: str
    audience: str
    goal: str
    channel: str
    tone: str = ""
    length: str = Length.MEDIUM
    key_message: str = ""
    variants: int = 3
    language: str = "en"
    locale: str = "en-US"

    def as_prompt(self) -> dict:
        return {"product": self.product, "audience": self.audience, "goal": self.goal, "channel": self.channel,
                "tone": self.tone, "length": self.length, "key_message": self.key_message,
                "locale": self.locale, "locale_means": LOCALES[self.locale][1]}

    @property
    def facts(self) -> list[str]:
        """What the user stated: numbers in these are the user's, not invented by the model."""
        return [self.product, self.goal, self.key_message, self.audience]


def parse_brief(data: dict) -> Brief:
    """Validate a brief from the API or the studio form; CopyError says what to fix."""
    values: dict[str, object] = {}
    for name, limit in BRIEF_LIMITS.items():
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            raise CopyError(f"Keep the {name.replace('_', ' ')} under {limit} characters.")
        values[name] = value
    for name in ("product", "audience", "goal"):
        if not values[name]:
            raise CopyError(f"The brief needs a {name}.")
    channel = str(data.get("channel") or "").strip()
    if channel not in Channel.values:
        raise CopyError(f"Choose a channel: {', '.join(Channel.values)}.")
    length = str(data.get("length") or Length.MEDIUM)
    if length not in Length.values:
        raise CopyError(f"Choose a length: {', '.join(Length.values)}.")
    try:
        variants = int(data.get("variants") or 3)
    except (TypeError, ValueError) as exc:
        raise CopyError("variants must be a number.") from exc
    if not 1 <= variants <= MAX_VARIANTS:
        raise CopyError(f"Ask for 1 to {MAX_VARIANTS} variants.")
    language, locale = _language_and_locale(str(data.get("language") or "en"), data.get("locale"))
    return Brief(channel=channel, length=length, variants=variants, language=language, locale=locale,
                 **values)  # type: ignore[arg-type]


def _language_and_locale(language: str, locale: object) -> tuple[str, str]:
    language = language.strip().replace("_", "-")
    if "-" in language and not locale:  # "zh-CN" given as the language
        locale = language
        language = language.split("-")[0]
    language = language.lower()
    if language not in DEFAULT_LOCALE:
        raise CopyError(f"Choose a language: {', '.join(DEFAULT_LOCALE)}.")
    locale = str(locale or DEFAULT_LOCALE[language]).strip().replace("_", "-")
    matches = [code for code in LOCALES if code.lower() == locale.lower()]
    if not matches or LOCALES[matches[0]][0] != language:
        options = ", ".join(code for code, (lang, _) in LOCALES.items() if lang == language)
        raise CopyError(f"Choose a locale for {language}: {options}.")
    return language, matches[0]


def brand_voice_for(workspace: Workspace) -> BrandVoice:
    voice, _ = BrandVoice.objects.get_or_create(workspace=workspace)
    return voice


def _clean_words(words: object) -> list[str]:
    if isinstance(words, str):
        words = words.replace("，", ",").replace("\n", ",").split(",")
    if not isinstance(words, list):
        raise CopyError("Give the words as a list (or comma separated).")
    cleaned = list(dict.fromkeys(str(w).strip() for w in words if str(w).strip()))
    if len(cleaned) > VOICE_LIMITS["words"] or any(len(w) > VOICE_LIMITS["word_chars"] for w in cleaned):
        raise CopyError(f"At most {VOICE_LIMITS['words']} words, each under {VOICE_LIMITS['word_chars']} characters.")
    return cleaned


def update_brand_voice(ctx: WorkspaceContext, **changes) -> BrandVoice:
    """Owners set the workspace's voice. Missing keys stay as they are."""
    ctx.require(MANAGE)
    voice = brand_voice_for(ctx.workspace)
    for slider in ("formality", "playfulness", "enthusiasm"):
        if changes.get(slider) is not None:
            try:
                value = int(changes[slider])
            except (TypeError, ValueError) as exc:
                raise CopyError(f"{slider} must be a number from 1 to 5.") from exc
            if not 1 <= value <= 5:
                raise CopyError(f"{slider} must be from 1 to 5.")
            setattr(voice, slider, value)
    if changes.get("reading_level") is not None:
        if changes["reading_level"] not in ReadingLevel.values:
            raise CopyError(f"Choose a reading level: {', '.join(ReadingLevel.values)}.")
        voice.reading_level = changes["reading_level"]
    for name in ("words_to_use", "words_to_avoid"):
        if changes.get(name) is not None:
            setattr(voice, name, _clean_words(changes[name]))
    if changes.get("samples") is not None:
        samples = [str(s).strip() for s in changes["samples"] if str(s).strip()]
        if len(samples) > VOICE_LIMITS["samples"] or any(len(s) > VOICE_LIMITS["sample_chars"] for s in samples):
            raise CopyError(f"At most {VOICE_LIMITS['samples']} sample texts of up to "
                            f"{VOICE_LIMITS['sample_chars']} characters each.")
        voice.samples = samples
    voice.updated_by = ctx.user if ctx.user and ctx.user.pk else None
    voice.save()
    return voice


def voice_snapshot(voice: BrandVoice) -> dict:
    return {"formality": voice.formality, "playfulness": voice.playfulness, "enthusiasm": voice.enthusiasm,
            "reading_level": voice.reading_level, "words_to_use": list(voice.words_to_use),
            "words_to_avoid": list(voice.words_to_avoid), "samples": list(voice.samples)}


def brief_of(request: CopyRequest) -> Brief:
    return Brief(product=request.product, audience=request.audience, goal=request.goal, channel=request.channel,
                 tone=request.tone, length=request.length, key_message=request.key_message,
                 variants=request.variants_requested, language=request.language, locale=request.locale)

"""Marketing copy grounded in the customers' own words: a workspace's brand voice, copy requests (a brief,
its grounding and its job), their variants, and product ideas drawn from the latest analysis."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.moderation.reviewed import GeneratedTextUnderReview


class Channel(models.TextChoices):
    AD = "ad", "Ad"
    EMAIL = "email", "Email"
    LANDING_HERO = "landing_hero", "Landing page hero"
    SOCIAL_POST = "social_post", "Social post"
    PRODUCT_DESCRIPTION = "product_description", "Product description"
    APP_STORE = "app_store", "App-store text"


class Length(models.TextChoices):
    SHORT = "short", "Short"
    MEDIUM = "medium", "Medium"
    LONG = "long", "Long"


class ReadingLevel(models.TextChoices):
    SIMPLE = "simple", "Simple (everyone)"
    GENERAL = "general", "General audience"
    EXPERT = "expert", "Expert / professional"


# locale → (language, description given to the model). The locale decides the culture the copy is written
# for, not only the script: zh-CN copy is written for mainland readers, not translated from English.
LOCALES: dict[str, tuple[str, str]] = {
    "en-US": ("en", "English for readers in the United States"),
    "en-GB": ("en", "English for readers in the United Kingdom"),
    "zh-CN": ("zh", "Simplified Chinese for readers in mainland China"),
    "zh-TW": ("zh", "Traditional Chinese for readers in Taiwan"),
}
DEFAULT_LOCALE = {"en": "en-US", "zh": "zh-CN"}


class CopyStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _slider():
    return models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])


class BrandVoice(models.Model):
    """How a workspace sounds. Owners edit it; every generation follows it, and its words to avoid are
    enforced: a variant that contains one is generated again, or dropped."""

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE, related_name="brand_voice")
    formality = _slider()  # 1 casual … 5 formal
    playfulness = _slider()  # 1 serious … 5 playful
    enthusiasm = _slider()  # 1 calm … 5 energetic
    reading_level = models.CharField(max_length=10, choices=ReadingLevel.choices, default=ReadingLevel.GENERAL)
    words_to_use = models.JSONField(default=list, blank=True)
    words_to_avoid = models.JSONField(default=list, blank=True)
    samples = models.JSONField(default=list, blank=True)  # a few texts in the brand's voice
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"brand voice of {self.workspace}"


class CopyRequest(models.Model):
    """One brief and its generation: what was asked, what it was grounded in, and how the job went."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="copy_requests")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="copy_request")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The brief.
    product = models.CharField(max_length=200)
    audience = models.CharField(max_length=300)
    goal = models.CharField(max_length=300)
    channel = models.CharField(max_length=30, choices=Channel.choices)
    tone = models.CharField(max_length=100, blank=True)
    length = models.CharField(max_length=10, choices=Length.choices, default=Length.MEDIUM)
    key_message = models.CharField(max_length=500, blank=True)
    variants_requested = models.PositiveSmallIntegerField(default=3)
    language = models.CharField(max_length=12)
    locale = models.CharField(max_length=10)
    # What the generation used and how it went.
    status = models.CharField(max_length=20, choices=CopyStatus.choices, default=CopyStatus.QUEUED)
    grounding = models.JSONField(default=dict, blank=True)  # {"quotes": [{id, text, score}], "themes": [...]}
    brand_voice = models.JSONField(default=dict, blank=True)  # the voice as it was when generated
    seed = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=100, blank=True)
    prompt = models.CharField(max_length=60, blank=True)
    prompt_version = models.PositiveSmallIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True)  # what the run dropped or regenerated, and why
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} copy for {self.product}"

    @property
    def brief(self) -> dict:
        return {"product": self.product, "audience": self.audience, "goal": self.goal, "channel": self.channel,
                "tone": self.tone, "length": self.length, "key_message": self.key_message,
                "variants": self.variants_requested, "language": self.language, "locale": self.locale}


class CopyVariant(GeneratedTextUnderReview):
    """One piece of copy. It can be published only once moderation approved it and a person approved it."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(CopyRequest, on_delete=models.CASCADE, related_name="variants")
    position = models.PositiveSmallIntegerField()
    headline = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    call_to_action = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=12)
    sources = models.JSONField(default=list, blank=True)  # ids of the customer texts that inspired it
    sources_inferred = models.BooleanField(default=False)  # the model cited none: matched by shared words
    flagged_claims = models.JSONField(default=list, blank=True)  # [{field, kind, text, start, end, reason}]
    favourite = models.BooleanField(default=False)
    approved = models.BooleanField(default=False)  # with approved_by / approved_at (GeneratedTextUnderReview)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    regenerate_job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    # Moderation, approval, history (earlier texts of this variant), attempts (banned words, citations), the
    # model, prompt and seed, and the timestamps come from GeneratedTextUnderReview.

    class Meta:
        ordering = ["request", "position"]
        constraints = [models.UniqueConstraint(fields=["request", "position"], name="one_variant_per_position")]
        indexes = [models.Index(fields=["workspace", "moderation_status"])]

    def __str__(self) -> str:
        return f"variant {self.position} of {self.request_id}"

    @property
    def text(self) -> str:
        """The whole copy as one text: what is moderated, copied and exported."""
        return "\n\n".join(part for part in (self.headline, self.body, self.call_to_action) if part.strip())


class IdeaSet(models.Model):
    """Product ideas and positioning angles proposed from one analysis run's pain points and requests."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="idea_sets")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="idea_set")
    analysis = models.ForeignKey("insights.AnalysisRun", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=20, choices=CopyStatus.choices, default=CopyStatus.QUEUED)
    model = models.CharField(max_length=100, blank=True)
    prompt = models.CharField(max_length=60, blank=True)
    prompt_version = models.PositiveSmallIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ideas {self.pk} of {self.workspace}"


class IdeaKind(models.TextChoices):
    PRODUCT_IDEA = "product_idea", "Product idea"
    POSITIONING = "positioning", "Positioning angle"


class ProductIdea(models.Model):
    idea_set = models.ForeignKey(IdeaSet, on_delete=models.CASCADE, related_name="ideas")
    kind = models.CharField(max_length=20, choices=IdeaKind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    evidence = models.JSONField(default=list)  # ids of the customer texts it rests on
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["idea_set", "kind", "position"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"

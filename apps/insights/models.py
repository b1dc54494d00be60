from django.conf import settings
from django.db import models
from pgvector.django import VectorField


class Sentiment(models.TextChoices):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    MIXED = "mixed"  # the text says both, or clearly contradicts its star rating


class Intent(models.TextChoices):
    COMPLAINT = "complaint"
    PRAISE = "praise"
    FEATURE_REQUEST = "feature_request"
    QUESTION = "question"
    OTHER = "other"


class ThemeStatus(models.TextChoices):
    ACTIVE = "active"
    MERGED = "merged"  # folded into `merged_into`; clusters that match it count for that theme
    DELETED = "deleted"  # a tombstone: clusters that match it stay unassigned
    FADED = "faded"  # not found in the latest run


class TextAnalysis(models.Model):
    """What Murmur knows about one text. Computed once per text (incremental), themes per run."""

    text = models.OneToOneField("corpus.CustomerText", on_delete=models.CASCADE, related_name="analysis")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    sentiment_score = models.FloatField()  # -1 .. 1
    sentiment_method = models.CharField(max_length=20)  # classifier, rating, rating+text, corrected
    sentiment_confidence = models.FloatField(null=True, blank=True)  # 0 .. 1; None for rows before it existed
    intent = models.CharField(max_length=20, choices=Intent.choices)
    # An analyst's corrections: ground truth for this workspace. Re-runs keep them, and the workspace's
    # sentiment classifier trains on them.
    corrected_fields = models.JSONField(default=list, blank=True)  # subset of sentiment, intent, theme
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    corrected_at = models.DateTimeField(null=True, blank=True)
    aspects = models.JSONField(default=list, blank=True)
    theme = models.ForeignKey("Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="texts")
    subtheme = models.ForeignKey("Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="subtexts")
    analysed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "theme"]), models.Index(fields=["workspace", "sentiment"])]

    def __str__(self) -> str:
        return f"{self.sentiment} {self.intent} for text {self.text_id}"


class Theme(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="themes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    label = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    keywords = models.JSONField(default=list, blank=True)
    centroid = VectorField(null=True)
    embedding_model = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=ThemeStatus.choices, default=ThemeStatus.ACTIVE)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    named_by_user = models.BooleanField(default=False)  # user labels survive re-runs
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.label


class AnalysisRun(models.Model):
    """One versioned analysis report of a workspace."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="analyses")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="analysis")
    version = models.PositiveIntegerField()
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    trigger = models.CharField(max_length=20, default="manual")  # manual, schedule, api
    status = models.CharField(max_length=20, default="queued")
    summary = models.TextField(blank=True)
    stats = models.JSONField(default=dict, blank=True)
    text_count = models.PositiveIntegerField(default=0)
    new_text_count = models.PositiveIntegerField(default=0)
    llm_calls = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True)  # what the run did, and what it dropped and why
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "version"], name="one_version_per_workspace")]

    def __str__(self) -> str:
        return f"analysis v{self.version} of {self.workspace}"


class ThemeSnapshot(models.Model):
    """A theme as one run saw it: the numbers behind the dashboard."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="snapshots")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="snapshots")
    label = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    share = models.FloatField()
    positive = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    net_sentiment = models.FloatField(default=0)  # % positive - % negative, -100..100
    weekly = models.JSONField(default=dict, blank=True)  # {"2026-W44": {"count": n, "negative": m}}
    quotes = models.JSONField(default=list, blank=True)  # representative text ids
    change = models.CharField(max_length=12, default="steady")  # new, emerging, fading, steady

    def __str__(self) -> str:
        return f"{self.label} in run {self.run_id}"


class InsightKind(models.TextChoices):
    PAIN_POINT = "pain_point"
    FEATURE_REQUEST = "feature_request"
    PRAISE = "praise"
    COMPETITOR = "competitor"
    OPPORTUNITY = "opportunity"
    PRODUCT_IDEA = "product_idea"
    EMERGING_THEME = "emerging_theme"
    FADING_THEME = "fading_theme"
    ANOMALY = "anomaly"


class Insight(models.Model):
    """One statement of a report. `evidence` holds ids of the customer texts that support it."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="insights")
    kind = models.CharField(max_length=20, choices=InsightKind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    evidence = models.JSONField(default=list)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "kind", "position"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class AnalysisSettings(models.Model):
    """How a workspace's analyses run: a short product context that steers the LLM, the competitors to
    track, and an optional schedule (a django-celery-beat row this model owns)."""

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE, related_name="analysis_settings")
    product_context = models.CharField(max_length=400, blank=True)
    competitors = models.JSONField(default=list, blank=True)
    frequency = models.CharField(max_length=10, blank=True, choices=[("", "off"), ("daily", "daily"),
                                                                     ("weekly", "weekly")])
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"analysis settings of {self.workspace}"

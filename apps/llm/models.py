from django.db import models


class LLMCall(models.Model):
    """One request through the gateway (or one cache hit): for accounting, budgets and latency."""

    workspace = models.ForeignKey("accounts.Workspace", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="llm_calls")
    feature = models.CharField(max_length=40)
    prompt = models.CharField(max_length=80)
    prompt_version = models.PositiveIntegerField()
    model = models.CharField(max_length=120)
    server = models.CharField(max_length=200, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cached = models.BooleanField(default=False)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "feature", "created_at"])]

    def __str__(self) -> str:
        return f"{self.feature}: {self.prompt} v{self.prompt_version}"


class LLMCacheEntry(models.Model):
    """Validated outputs keyed on model + prompt version + inputs: re-running unchanged work costs nothing."""

    key = models.CharField(max_length=64, unique=True)
    # The workspace whose request produced it: outputs may quote its customers, so erasure and workspace
    # deletion remove them (the key is a hash of the inputs and cannot be searched by text).
    workspace = models.ForeignKey("accounts.Workspace", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    output = models.JSONField()
    tokens_out = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class LLMBudget(models.Model):
    """A workspace's monthly token allowance (input + output). No row means no limit."""

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE, related_name="llm_budget")
    monthly_tokens = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return f"{self.monthly_tokens} tokens/month"

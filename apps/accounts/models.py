from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner"
    ANALYST = "analyst"
    MODERATOR = "moderator"
    VIEWER = "viewer"


class Workspace(models.Model):
    """A startup's space: every customer text, job and result belongs to exactly one workspace."""

    name = models.CharField(max_length=100, unique=True)
    embedding_model = models.CharField(max_length=50, default="minilm-l6")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_workspace")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"


class ApiToken(models.Model):
    """A Bearer token for the JSON API. Only its SHA-256 is stored; it acts as its membership."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.membership}"

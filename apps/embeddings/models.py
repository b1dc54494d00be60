from django.db import models
from pgvector.django import VectorField


class TextEmbedding(models.Model):
    """One vector per (text, model). The column has no fixed dimension so models can change without a
    schema change; each model has its own partial HNSW index on `embedding::vector(dim)` (migrations)."""

    text = models.ForeignKey("corpus.CustomerText", on_delete=models.CASCADE, related_name="embeddings")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=50)
    embedding = VectorField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["text", "model"], name="one_embedding_per_model")]
        indexes = [models.Index(fields=["workspace", "model"])]

    def __str__(self) -> str:
        return f"{self.model} vector of text {self.text_id}"

from django.dispatch import Signal

# Sent after an import's texts became live (on commit). Receivers: embeddings (and moderation).
# kwargs: workspace_id, text_import_id, job_id
texts_committed = Signal()

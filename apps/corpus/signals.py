from django.dispatch import Signal

# Sent after an import's texts became live (on commit). Receivers: embeddings (and moderation).
# kwargs: workspace_id, text_import_id, job_id
texts_committed = Signal()

# Sent once per request that showed originals (text before redaction, author) to someone. Receivers: privacy's
# audit log. kwargs: workspace_id, user, text_ids, channel ("api", "page", …)
originals_viewed = Signal()

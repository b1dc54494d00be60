from django.dispatch import Signal

# Sent (on commit) when the moderation status of subjects changed: an automatic verdict or a person's decision.
# Apps that hand moderation their own subjects (copy variants, reply drafts) connect to learn the outcome.
# kwargs: workspace_id: int, subject_type: str, changes: list[dict] with subject_id, status, text (the
# approved text after an edit, else None) and case_id.
subjects_moderated = Signal()

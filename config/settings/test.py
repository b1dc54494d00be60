from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# The tests' tiny model rarely cites valid ids: two rounds exercise the re-asking; a third only costs minutes.
MURMUR_EVIDENCE_ATTEMPTS = 2
# Flow tests script the model's answers per prompt: the sentiment labelling pass is off unless a test turns it
# on (tests/insights/test_llm_labels.py).
MURMUR_LLM_LABEL_BUDGET = 0

import os

# Base settings refuse to start with DEBUG off and no DJANGO_SECRET_KEY; the suite runs with DEBUG off (as
# production does) and signs nothing that outlives it, so a fixed key is enough. Set before base is imported,
# and inherited by the worker and manage.py processes the tests start.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-never-used-outside-the-test-suite-0123456789")

from .base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# The tests' tiny model rarely cites valid ids: two rounds exercise the re-asking; a third only costs minutes.
MURMUR_EVIDENCE_ATTEMPTS = 2
# Flow tests script the model's answers per prompt: the sentiment labelling pass is off unless a test turns it
# on (tests/insights/test_llm_labels.py).
MURMUR_LLM_LABEL_BUDGET = 0

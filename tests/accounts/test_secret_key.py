"""The base settings (what manage.py, wsgi and celery load by default) never run with DEBUG off on the public
development SECRET_KEY: such a process refuses to start and says how to set one; `make run` generates one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.conftest import REPO
from workers import launcher

PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def _start(data_dir: Path, env_changes: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """manage.py under config.settings.base, as `make run` and a bare deployment start it: only ENV_CHANGES set
    (the suite's own DJANGO_SECRET_KEY and DJANGO_DEBUG are not inherited)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", "MURMUR_DATA_DIR": str(data_dir),
                "MURMUR_ENCRYPTION_KEYS": Fernet.generate_key().decode(), **env_changes})
    return subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_debug_off_without_a_secret_key_refuses_to_start_and_says_how_to_set_one(tmp_path):
    refused = _start(tmp_path, {}, "check")
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "DJANGO_SECRET_KEY is not set and DEBUG is off" in refused.stderr
    assert "secrets.token_urlsafe" in refused.stderr and "django-secret.key" in refused.stderr
    assert "dev-only-insecure-key" not in refused.stderr
    # DJANGO_DEBUG=false spelled out is the same as unset.
    assert _start(tmp_path, {"DJANGO_DEBUG": "false"}, "check").returncode != 0


def test_a_set_key_or_debug_on_starts(tmp_path):
    own = "an-operator-chosen-secret-key-" + "k" * 40
    explicit = _start(tmp_path, {"DJANGO_SECRET_KEY": own}, "shell", "-c", PRINT_KEY)
    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stdout.splitlines()[-1] == own  # after the shell's "N objects imported"
    debug = _start(tmp_path, {"DJANGO_DEBUG": "true"}, "check")
    assert debug.returncode == 0, debug.stderr


def test_make_run_generates_one_secret_key_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    env = launcher.secret_key_env(tmp_path)
    path = tmp_path / "secrets" / "django-secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(env["DJANGO_SECRET_KEY"]) >= 50 and "dev-only" not in env["DJANGO_SECRET_KEY"]
    assert launcher.secret_key_env(tmp_path) == env  # the same key on every start: logins survive a restart
    # A manage.py command beside `make run` (no variable set, DEBUG off) reads the same file and starts.
    beside = _start(tmp_path, {}, "shell", "-c", PRINT_KEY)
    assert beside.returncode == 0, beside.stderr
    assert beside.stdout.splitlines()[-1] == env["DJANGO_SECRET_KEY"]
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    assert launcher.secret_key_env(tmp_path) == {}  # an explicit key wins

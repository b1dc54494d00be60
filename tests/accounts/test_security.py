import os
import subprocess
import sys

from django.conf import settings

from tests.conftest import REPO


def test_login_is_throttled_per_ip_and_username(db, client, settings):
    settings.MURMUR_LOGIN_ATTEMPTS = 3
    for _ in range(3):
        assert client.post("/login/", {"username": "mallory", "password": "guess"}).status_code == 200
    blocked = client.post("/login/", {"username": "mallory", "password": "guess"})
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert client.post("/login/", {"username": "someone-else", "password": "x"}).status_code == 200


def test_api_rate_limit_per_caller(owner, make_member, settings):
    settings.MURMUR_API_REQUESTS_PER_MINUTE = 3
    api = owner.api()
    assert [api.get("/api/v1/texts").status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get("/api/v1/texts")
    assert limited.status_code == 429 and "Rate limit" in limited.json()["error"]
    assert make_member("analyst", "Other").api().get("/api/v1/texts").status_code == 200  # others unaffected


def test_forms_need_csrf(db, django_user_model):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "a", "password": "b"}).status_code == 403


def test_session_api_writes_need_csrf(owner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner.user)
    assert strict.post("/api/v1/analyses").status_code in (401, 403)


def test_production_settings_pass_check_deploy():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": "x" * 64 + "-production-secret-for-the-check-only-" + "y" * 20,
           "DJANGO_ALLOWED_HOSTS": "murmur.example.com"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' fixture; not a production setting
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_come_from_the_environment():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL and settings.CELERY_TASK_ACKS_LATE

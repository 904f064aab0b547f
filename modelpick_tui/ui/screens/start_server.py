"""The start-server modal, pre-filled from a model's card: backend, quant file, context, GPU layers or
memory fraction, name. `plan_for()` is the pure part (tested without a screen)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from ...catalog.fit import verdict_for
from ...serving.backends import ServerSpec
from ..format import safe

CONTEXTS = (4096, 8192, 32768)  # the largest of these that "fits" is the default context
BACKEND_LABELS = {"llama": "llama.cpp", "vllm": "vLLM"}


@dataclass
class QuantChoice:
    label: str  # Q4_K_M
    filename: str | None  # in the repo, or the local path of a scanned file
    local_path: str | None  # where it is on this machine, None when it needs a download
    ctx: int = 4096


@dataclass
class StartPlan:
    """What the modal starts from. For a model with no card (the servers screen's `n`), all blank."""

    model_id: str = ""
    backend: str = "llama"
    quants: list[QuantChoice] = field(default_factory=list)
    model: str = ""  # vLLM: repo id or local folder
    ctx: int = 4096
    n_gpu_layers: int = 0
    mem_fraction: float = 0.9
    name: str = ""
    chat_format: str = ""
    pick: int = 0  # the quant selected at first
    memory_note: str = ""


def server_name(model_id: str, quant: str = "", taken: set[str] | None = None) -> str:
    """A server name from a model id: `google/gemma-3-4b-it` + Q4_K_M → `gemma-3-4b-it-q4_k_m`."""
    base = model_id.rsplit("/", 1)[-1] or "server"
    if quant and quant.lower() not in base.lower():
        base = f"{base}-{quant}"
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._").lower()[:56] or "server"
    name, n = base, 2
    while taken and name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _best_ctx(estimate: Any, max_context: int | None) -> int:
    """The largest of CONTEXTS that fits (the backend turns off llama-cpp-python's per-position logits,
    which would otherwise add n_ctx × vocab × 4 bytes that the fit estimate does not count)."""
    best = CONTEXTS[0]
    for row in estimate.rows:
        if row.context not in CONTEXTS or row.beyond_max_context:
            continue
        if verdict_for(row.total_bytes, estimate.memory) == "fits":
            best = max(best, row.context)
    if max_context:
        best = min(best, max_context)
    return best


def plan_for(details: Any, cached_files: dict[str, str], taken: set[str],
             base: dict[str, Any] | None = None, gpu_in_use: float = 0.0) -> StartPlan:
    """The modal's defaults for a card's model (`ModelDetails`). `cached_files` maps a repo file name to
    its path on this machine (the Hugging Face cache). `gpu_in_use`: the memory fractions the vLLM servers
    already running hold; a second one on the same GPU gets at most what they leave."""
    row = details.model
    model_id = row["id"]
    memory = details.memory
    max_ctx = row.get("context_length")
    quants: list[QuantChoice] = []
    for q in details.fits:
        if not q.filename:
            continue
        local = q.filename if q.filename.startswith("/") else cached_files.get(q.filename)
        quants.append(QuantChoice(q.label, q.filename, local, _best_ctx(q.estimate, max_ctx)))
    plan = StartPlan(model_id=model_id, quants=quants)
    plan.n_gpu_layers = 0 if memory.kind == "ram" else -1
    if quants:
        plan.backend = "llama"
        plan.memory_note = f"{memory.name}: {'CPU only' if memory.kind == 'ram' else 'all layers on the GPU'}"
        # A quant on this machine first; else the largest (best) one that fits at 4k; else the smallest.
        fitting = [q for q, f in zip(quants, [f for f in details.fits if f.filename], strict=True)
                   if f.estimate.rows and f.estimate.rows[0].verdict == "fits"]
        pick = next((q for q in quants if q.local_path), fitting[-1] if fitting else quants[0])
        plan.pick = quants.index(pick)
        plan.ctx = pick.ctx
        # Gemma GGUFs (the base ones carry no chat template) answer chat requests empty under
        # llama-cpp-python's llama-2 fallback; with its gemma format they answer (SERVING.md).
        if str(row.get("architecture") or "").lower().startswith("gemma"):
            plan.chat_format = "gemma"
        plan.name = server_name(model_id, "" if model_id.startswith("local/") else pick.label, taken)
        return plan
    plan.backend = "vllm"
    plan.model = model_id
    plan.memory_note = f"{memory.name} ({'no GPU found' if memory.kind == 'ram' else 'GPU'})"
    plan.name = server_name(model_id, "", taken)
    if details.fits:
        est = details.fits[0].estimate
        plan.ctx = _best_ctx(est, max_ctx)
        total = next((r.total_bytes for r in est.rows if r.context == plan.ctx), 0)
        if memory.total_bytes and total:
            # The estimate for one sequence plus headroom; vLLM fills the rest of its share with KV cache.
            plan.mem_fraction = min(0.95, max(0.1, math.ceil((total / memory.total_bytes + 0.05) * 20) / 20))
    if gpu_in_use > 0:
        left = round(0.95 - gpu_in_use, 2)
        plan.mem_fraction = max(0.05, min(plan.mem_fraction, left))
        plan.memory_note += f"; other vLLM servers hold {gpu_in_use:g} of it, {max(left, 0):g} is left"
    return plan


class StartServerModal(ModalScreen[ServerSpec | None]):
    """Enter (in any field) starts; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="start.cancel")]

    def __init__(self, plan: StartPlan):
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        p = self.plan
        with Vertical(id="start-box"):
            title = f"start a server for {p.model_id}" if p.model_id else "start a server"
            yield Static(safe(title, "bold"))
            with Horizontal(classes="start-row"):
                yield Label("name")
                yield Input(p.name, placeholder="letters, digits, . _ -", id="start-name")
            with Horizontal(classes="start-row tall"):
                yield Label("backend")
                yield Select([(v, k) for k, v in BACKEND_LABELS.items()], value=p.backend, allow_blank=False,
                             id="start-backend")
            if p.quants:
                with Horizontal(classes="start-row tall llama-only"):
                    yield Label("quant file")
                    options = [(Text(f"{q.label}{'' if q.local_path else '  (not on this machine)'}"), i)
                               for i, q in enumerate(p.quants)]
                    yield Select(options, value=p.pick, allow_blank=False, id="start-quant")
            with Horizontal(classes="start-row"):
                yield Label("model")
                yield Input(p.model, placeholder="GGUF path (llama.cpp) / repo id or folder (vLLM)",
                            id="start-model")
            with Horizontal(classes="start-row"):
                yield Label("context")
                yield Input(str(p.ctx), type="integer", id="start-ctx")
            with Horizontal(classes="start-row llama-only"):
                yield Label("GPU layers")
                yield Input(str(p.n_gpu_layers), placeholder="-1 = all", id="start-layers")
            with Horizontal(classes="start-row llama-only"):
                yield Label("chat format")
                yield Input(p.chat_format, placeholder="optional, e.g. gemma", id="start-chat")
            with Horizontal(classes="start-row vllm-only"):
                yield Label("GPU mem frac")
                yield Input(f"{p.mem_fraction:g}", type="number", id="start-fraction")
            yield Static(id="start-notice")
            yield Static(Text(f"{p.memory_note}  ·  enter: start  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#start-notice").display = False
        self._backend_changed()
        if self.plan.quants:
            self._quant_changed()
        self.query_one("#start-name", Input).focus()

    @on(Select.Changed, "#start-backend")
    def _backend_changed(self) -> None:
        llama = self.backend == "llama"
        for w in self.query(".llama-only"):
            w.display = llama
        for w in self.query(".vllm-only"):
            w.display = not llama

    @on(Select.Changed, "#start-quant")
    def _quant_changed(self) -> None:
        q = self.quant
        if q is None:
            return
        self.query_one("#start-model", Input).value = q.local_path or ""
        name = self.query_one("#start-name", Input)
        if name.value == self.plan.name and self.plan.model_id and not self.plan.model_id.startswith("local/"):
            # Still the name made up for the first quant: follow the choice.
            name.value = self.plan.name = server_name(self.plan.model_id, q.label)
        self.query_one("#start-ctx", Input).value = str(q.ctx)
        self._notice(self._not_local(q) if q.local_path is None else "")

    @property
    def backend(self) -> str:
        return str(self.query_one("#start-backend", Select).value)

    @property
    def quant(self) -> QuantChoice | None:
        selects = self.query("#start-quant")
        if not selects:
            return None
        value = selects.first(Select).value
        return self.plan.quants[value] if isinstance(value, int) else None

    def _not_local(self, q: QuantChoice) -> str:
        return (f"{q.label} is not on this machine: the file must be local first "
                f"(`modelpick serve llama {self.plan.model_id}:{q.label}` will fetch it), "
                "or give a GGUF path under model")

    def _notice(self, text: str) -> None:
        notice = self.query_one("#start-notice", Static)
        notice.update(safe(text, "yellow"))
        notice.display = bool(text)

    def on_input_submitted(self, _: Input.Submitted) -> None:
        try:
            spec = self.spec()
        except ValueError as exc:
            self._notice(str(exc))
            return
        self.dismiss(spec)

    def spec(self) -> ServerSpec:
        """The form as a `ServerSpec`; ValueError with one line when something is missing or malformed."""

        def value(wid: str) -> str:
            return self.query_one(wid, Input).value.strip()

        name, model, backend = value("#start-name"), value("#start-model"), self.backend
        if not name:
            raise ValueError("give the server a name")
        if not model:
            q = self.quant
            raise ValueError(self._not_local(q) if q is not None and backend == "llama" else "give a model")
        try:
            ctx = int(value("#start-ctx")) if value("#start-ctx") else None
        except ValueError:
            raise ValueError("context must be a whole number of tokens") from None
        if backend == "llama":
            try:
                layers = int(value("#start-layers")) if value("#start-layers") else None
            except ValueError:
                raise ValueError("GPU layers must be a whole number (-1 = all)") from None
            return ServerSpec(name=name, backend="llama", model=model, ctx=ctx, n_gpu_layers=layers,
                              chat_format=value("#start-chat") or None)
        try:
            fraction = float(value("#start-fraction")) if value("#start-fraction") else None
        except ValueError:
            raise ValueError("the GPU memory fraction must be a number between 0 and 1") from None
        if fraction is not None and not 0 < fraction <= 1:
            raise ValueError("the GPU memory fraction must be between 0 and 1")
        return ServerSpec(name=name, backend="vllm", model=model, ctx=ctx, gpu_memory_utilization=fraction)

    def action_cancel(self) -> None:
        self.dismiss(None)

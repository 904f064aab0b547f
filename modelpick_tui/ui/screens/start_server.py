"""The start-server modal, pre-filled from a model's card: backend, quant file, context, GPU layers or
memory fraction, GPUs, name. The pure part (defaults, GPU split) is in serving/plan.py.

- vLLM: the memory fraction with the split it makes beside the vLLM servers already on the same GPU(s)
  ("this 0.45 + running qwen-a 0.45 = 0.90 of GPU 0"; above 0.95 it is refused), CUDA_VISIBLE_DEVICES when
  there are several GPUs, and `trust remote code`, off unless switched on (with a warning).
- llama.cpp from a Hub repo: a quant not on this machine is downloaded by enter, with a progress bar
  (bytes, total, speed), then started; escape cancels the download (the partial file is kept, unfinished,
  and the next enter resumes it)."""

from __future__ import annotations

import re
import threading

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar, Select, Static, Switch

from ...catalog.fit.memory import format_bytes
from ...serving.plan import (
    MAX_GPU_SHARE,
    GpuPeer,
    GpuSplit,
    QuantChoice,
    StartPlan,
    chat_format_for,
    devices_of,
    gpu_split,
    plan_for,
    server_name,
)
from ...serving.spec import ServerSpec
from ..css import SCREENS_CSS
from ..format import safe
from ..widgets.gguf_picker import GgufPicker
from .quant_download import QuantDownloader

__all__ = ["GpuPeer", "QuantChoice", "StartPlan", "StartServerModal", "plan_for", "server_name"]

BACKEND_LABELS = {"llama": "llama.cpp", "vllm": "vLLM"}
TRUST_WARNING = ("trust remote code runs the model repository's own Python code on this machine, with your "
                 "rights: switch it on only for a repository you trust")
_DEVICES = re.compile(r"^\s*[\w-]+\s*(,\s*[\w-]+\s*)*$")


class StartServerModal(QuantDownloader, ModalScreen[ServerSpec | None]):  # QuantDownloader is a WorkerErrors
    """Enter (in any field) starts, downloading the quant first when it is not here; escape cancels a
    download, else the modal."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="start.cancel")]
    DEFAULT_CSS = """
    StartServerModal .start-row > Switch { width: 8; height: 1; border: none; padding: 0; }
    StartServerModal #start-trust-state, StartServerModal #start-ray-state { width: 1fr; }
    StartServerModal #start-download { height: 1; }
    StartServerModal #start-download Bar { width: 1fr; }
    StartServerModal #start-download-line, StartServerModal #start-split, StartServerModal #start-trust-warning,
    StartServerModal #start-notice {
        height: auto;
    }
    """

    def __init__(self, plan: StartPlan):
        super().__init__()
        self.plan = plan
        self.downloading = False
        self._cancel = threading.Event()
        self.download_line = ""  # what the progress line says, for the tests and the screen
        # No quant files of its own (the servers screen's n): the form lists the GGUF files on this machine.
        self.picks = not plan.quants

    def compose(self) -> ComposeResult:
        p = self.plan
        with Vertical(id="start-box"):
            title = f"start a server for {p.model_id}" if p.model_id else "start a server"
            yield Static(safe(title, "bold"))
            if self.picks:
                yield GgufPicker(id="start-picker", classes="llama-only")
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
                    yield Select(self._quant_options(), value=p.pick, allow_blank=False, id="start-quant")
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
            with Horizontal(classes="start-row vllm-only"):
                yield Label("tensor par.")
                yield Input(str(p.tensor_parallel), type="integer", id="start-tp")
                yield Label("pipeline")
                yield Input(str(p.pipeline_parallel), type="integer", id="start-pp")
            with Horizontal(classes="start-row vllm-only"):
                yield Label("Ray (nodes)")
                yield Switch(p.ray, id="start-ray")
                yield Static(id="start-ray-state")
            with Horizontal(classes="start-row", id="start-cuda-row"):
                yield Label("CUDA devices")
                yield Input(p.cuda_visible_devices, placeholder="CUDA_VISIBLE_DEVICES, e.g. 0 or 1,2 (blank: all)",
                            id="start-cuda")
            with Horizontal(classes="start-row vllm-only"):
                yield Label("remote code")
                yield Switch(False, id="start-trust")
                yield Static(id="start-trust-state")
            yield Static(id="start-split", classes="vllm-only")
            yield Static(id="start-trust-warning")
            yield ProgressBar(id="start-download", show_eta=False)
            yield Static(id="start-download-line")
            yield Static(id="start-notice")
            yield Static(Text(f"{p.memory_note}  ·  enter: start  ·  esc: cancel", style="dim"), id="start-help")

    def _quant_options(self) -> list[tuple[Text, int]]:
        return [(Text(f"{q.label}{'' if q.local_path else '  (not on this machine)'}"
                      f"{f'  {format_bytes(q.size)}' if q.size else ''}"), i) for i, q in enumerate(self.plan.quants)]

    def on_mount(self) -> None:
        for wid in ("#start-notice", "#start-trust-warning", "#start-download", "#start-download-line"):
            self.query_one(wid).display = False
        # Several GPUs (or GPUs already chosen): which ones is a choice; always editable when shown.
        self.query_one("#start-cuda-row").display = self.plan.device_count > 1 or bool(self.plan.cuda_visible_devices)
        self._backend_changed()
        if self.plan.quants:
            self._quant_changed()
        # Pick, not type: with a list of the files here, typing filters it.
        self.query_one("#start-local" if self.picks else "#start-name").focus()

    def on_gguf_picker_picked(self, message: GgufPicker.Picked) -> None:
        """The picked file fills the form: model path, a name from its model, the context it fits with, the chat
        format; enter in the name field then starts it."""
        g = message.gguf
        self.query_one("#start-model", Input).value = g.path
        quant = g.quant if g.source == "HF cache" and g.quant else ""  # a local/… id already names its file
        self.query_one("#start-name", Input).value = server_name(g.model_id, quant)
        if message.ctx:
            self.query_one("#start-ctx", Input).value = str(message.ctx)
        self.query_one("#start-chat", Input).value = chat_format_for(g.architecture)
        # Now, not after the queued messages (Widget.focus): keys typed at once must land in the name, whose text
        # focusing selects (a late focus selected what had been typed, and the next key replaced it).
        self.set_focus(self.query_one("#start-name", Input))
        self._notice(f"{message.line}  ·  enter starts it", "green")

    @on(Select.Changed, "#start-backend")
    def _backend_changed(self) -> None:
        llama = self.backend == "llama"
        for w in self.query(".llama-only"):
            w.display = llama
        for w in self.query(".vllm-only"):
            w.display = not llama
        self._trust_changed()
        self._ray_changed()
        self._show_split()

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

    @on(Switch.Changed, "#start-trust")
    def _trust_changed(self) -> None:
        on_ = self.query_one("#start-trust", Switch).value and self.backend == "vllm"
        self.query_one("#start-trust-state", Static).update(
            Text(" on: --trust-remote-code", style="bold yellow") if on_ else
            Text(" off (space switches it)", style="dim"))
        warning = self.query_one("#start-trust-warning", Static)
        warning.update(safe(f"warning: {TRUST_WARNING}", "bold yellow"))
        warning.display = on_

    @on(Switch.Changed, "#start-ray")
    def _ray_changed(self) -> None:
        on_ = self.query_one("#start-ray", Switch).value
        self.query_one("#start-ray-state", Static).update(
            Text(" on: --distributed-executor-backend ray (your Ray cluster)", style="bold") if on_ else
            Text(" off: one host", style="dim"))

    def _parallel(self) -> tuple[int, int]:
        """The tensor and pipeline parallel sizes; ValueError with one line when they are not whole numbers ≥ 1."""
        sizes = []
        for wid, what in (("#start-tp", "tensor parallel size"), ("#start-pp", "pipeline parallel size")):
            text = self.query_one(wid, Input).value.strip() or "1"
            if not text.isdigit() or int(text) < 1:
                raise ValueError(f"the {what} must be a whole number of GPUs, 1 or more")
            sizes.append(int(text))
        return sizes[0], sizes[1]

    @on(Input.Changed, "#start-fraction")
    @on(Input.Changed, "#start-cuda")
    @on(Input.Changed, "#start-tp")
    @on(Input.Changed, "#start-pp")
    def _show_split(self) -> None:
        widget = self.query_one("#start-split", Static)
        split = self.split()
        if split is None or not split.line:
            widget.update("")
            widget.display = False
            return
        widget.display = self.backend == "vllm"
        if split.too_much:
            widget.update(safe(f"{split.line}: above {MAX_GPU_SHARE:g}, lower this one", "bold red"))
        else:
            widget.update(safe(split.line, "cyan"))

    def split(self) -> GpuSplit | None:
        """How this server's memory fraction adds up with the vLLM servers on the same GPU(s); None while
        the fraction is not a number."""
        try:
            fraction = float(self.query_one("#start-fraction", Input).value.strip() or "0.9")
        except ValueError:
            return None
        cuda = self.query_one("#start-cuda", Input).value.strip() or None
        try:
            tp, pp = self._parallel()
        except ValueError:
            tp = pp = 1
        return gpu_split(fraction, devices_of(cuda, tp * pp, self.plan.device_count), self.plan.peers)

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

    @property
    def offline(self) -> bool:
        return bool(self.app.services.catalog.hub.offline)  # type: ignore[attr-defined]

    def _not_local(self, q: QuantChoice) -> str:
        size = f" ({format_bytes(q.size)})" if q.size else ""
        if self.offline:
            return (f"{q.label} is not on this machine and the Hub is offline (HF_HUB_OFFLINE=1): "
                    f"`modelpick serve llama {self.plan.model_id}:{q.label}` fetches it when online; "
                    "or give a GGUF path under model")
        return (f"{q.label} is not on this machine: enter downloads it{size} from the Hub, then starts it "
                "(esc stops the download); or give a GGUF path under model")

    def _notice(self, text: str, style: str = "yellow") -> None:
        notice = self.query_one("#start-notice", Static)
        notice.update(safe(text, style))
        notice.display = bool(text)

    def on_input_submitted(self, _: Input.Submitted) -> None:
        if self.downloading:
            return
        q = self.quant
        if (self.backend == "llama" and q is not None and q.local_path is None and q.filename
                and not self.query_one("#start-model", Input).value.strip() and self.plan.model_id
                and not self.plan.model_id.startswith("local/") and not self.offline):
            self._start_download(q)
            return
        self._submit()

    def _submit(self) -> None:
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
        cuda = value("#start-cuda") or None
        if cuda is not None and not _DEVICES.match(cuda):
            raise ValueError("CUDA devices: GPU indexes or UUIDs separated by commas, e.g. 0 or 1,2")
        if cuda is not None:
            cuda = ",".join(x.strip() for x in cuda.split(","))
        if backend == "llama":
            try:
                layers = int(value("#start-layers")) if value("#start-layers") else None
            except ValueError:
                raise ValueError("GPU layers must be a whole number (-1 = all)") from None
            return ServerSpec(name=name, backend="llama", model=model, ctx=ctx, n_gpu_layers=layers,
                              chat_format=value("#start-chat") or None, cuda_visible_devices=cuda)
        try:
            fraction = float(value("#start-fraction")) if value("#start-fraction") else None
        except ValueError:
            raise ValueError("the GPU memory fraction must be a number between 0 and 1") from None
        if fraction is not None and not 0 < fraction <= 1:
            raise ValueError("the GPU memory fraction must be between 0 and 1")
        split = self.split()
        if split is not None and split.too_much:
            room = round(MAX_GPU_SHARE - split.others, 2)
            hint = f"at most {room:g} for this one" if room > 0 else "stop one of them, or choose another GPU"
            raise ValueError(f"too much of GPU {split.device}: {split.line}, above {MAX_GPU_SHARE:g}; {hint}")
        trust = self.query_one("#start-trust", Switch).value
        tp, pp = self._parallel()
        ray = self.query_one("#start-ray", Switch).value
        here = self.plan.gpus_per_node or self.plan.device_count  # one host's GPUs
        if here and tp * pp > here and not ray:
            raise ValueError(f"TP × PP = {tp * pp} GPUs, {here} here: switch Ray on (vLLM across the nodes of your "
                             "Ray cluster) or lower them")
        return ServerSpec(name=name, backend="vllm", model=model, ctx=ctx, gpu_memory_utilization=fraction,
                          trust_remote_code=trust, cuda_visible_devices=cuda,
                          tensor_parallel_size=tp if tp > 1 else None, pipeline_parallel_size=pp if pp > 1 else None,
                          distributed_executor_backend="ray" if ray else None)

    def action_cancel(self) -> None:
        if self.downloading:
            self._cancel.set()  # the worker reports "cancelled" within 0.1 s
            self._progress_line("stopping the download…")
            return
        self.dismiss(None)

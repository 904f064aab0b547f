"""Where a load test's prompts and its hardware figure come from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .generator import LoadPrompt

if TYPE_CHECKING:
    from ..stores.prompt_sets import PromptSetStore
    from ..stores.traces import TraceStore

MAX_PROMPTS = 1000  # distinct prompts taken from earlier runs: plenty to vary the load, bounded to read
DEFAULT_SET = Path("prompts") / "support.jsonl"  # under the sample folder


class LoadPromptsError(ValueError):
    """No prompts to load with; its text is the one line to show."""


def prompts_for(endpoint_name: str, *, prompt_set: str | None, traces: TraceStore, sets: PromptSetStore,
                sample_dir: Path) -> tuple[list[LoadPrompt], str]:
    """The prompts of the load and where they come from, written so that giving it back as `prompt_set` gives the
    same prompts (a resumed test): a stored set's id (`set:ID`), a JSONL/CSV file (its absolute path), by default
    the prompts of the runs already made on the endpoint (`runs:NAME`: the user's own traffic), else the sample
    support set (`sample:prompts/support.jsonl`)."""
    from ..promptsets import PromptSetError, load_prompt_set

    if prompt_set and prompt_set.startswith("runs:"):
        endpoint_name, prompt_set = prompt_set.removeprefix("runs:"), None
    if prompt_set and prompt_set.startswith("sample:"):
        loaded = load_prompt_set(sample_dir / prompt_set.removeprefix("sample:"))
        return [LoadPrompt(p.prompt, p.system) for p in loaded.prompts], prompt_set
    if prompt_set:
        stored = sets.get(prompt_set.removeprefix("set:"))
        if stored is not None:
            return [LoadPrompt(p.prompt, p.system) for p in stored.prompts], f"set:{prompt_set.removeprefix('set:')}"
        path = Path(prompt_set)
        if not path.exists():
            raise LoadPromptsError(f"no prompt set {prompt_set!r}: give a JSONL or CSV file, or a stored set's id "
                                   "(see `modelpick promptset list`)")
        try:
            loaded = load_prompt_set(path)
        except PromptSetError as exc:
            raise LoadPromptsError(str(exc)) from None
        if not loaded.prompts:
            raise LoadPromptsError(f"{path}: no prompts in it")
        return [LoadPrompt(p.prompt, p.system) for p in loaded.prompts], str(path.resolve())
    seen: dict[tuple[str, str | None], None] = {}
    for trace in traces.list(endpoint=endpoint_name):
        if trace.prompt and trace.run_id:
            seen.setdefault((trace.prompt, trace.system or None), None)
            if len(seen) >= MAX_PROMPTS:
                break
    if seen:
        return [LoadPrompt(p, s) for p, s in seen], f"runs:{endpoint_name}"
    loaded = load_prompt_set(sample_dir / DEFAULT_SET)
    return [LoadPrompt(p.prompt, p.system) for p in loaded.prompts], f"sample:{DEFAULT_SET}"


def this_machine() -> str:
    """This machine's hardware as a load test records it: `COUNTxGPU-NAME` as NVML names the GPU (`1xNVIDIA H100
    80GB HBM3`; GPUs of several kinds joined by " + "), else `cpu`."""
    from ...nvml import gpus

    with gpus() as found:
        if found is None:
            return "cpu"
        pynvml, count = found
        names: dict[str, int] = {}
        for i in range(count):
            try:
                name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
            except Exception:
                continue
            name = name.decode() if isinstance(name, bytes) else str(name)
            names[name] = names.get(name, 0) + 1
    return " + ".join(f"{n}x{name}" for name, n in names.items()) or "cpu"

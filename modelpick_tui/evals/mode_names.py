"""Short names for failure modes, written by a model the user picked for naming (a setting of the home): the
mode's notes go to that endpoint through serving/client.py and its answer, cleaned into one short line, is
stored beside the mode's top terms as a *suggested* name — a person takes it or edits it with a rename.

The answer is untrusted text: it goes through untrusted.clean and one_line (the one path), is cut to
`MAX_NAME` characters, and is shown as text wherever it appears; a model that answers with a page, markup or
terminal escapes gets a short, inert name or none."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..untrusted import clean, one_line
from .failure_modes import FailedTrace, Mode

if TYPE_CHECKING:
    from ..serving.client import ChatClient, ChatRequest, Message
    from ..serving.endpoints import Endpoint

NAMER_KEY = "failures.namer"  # the meta setting: the name of the endpoint that names modes
MAX_NAME = 48  # a name is a few words; a table cell shows ~25 characters
MAX_TOKENS = 24
NOTES_PER_MODE = 8
SYSTEM = "You give each list of complaints a short title of 2 to 5 words."
# Two worked examples before the mode's own notes: asked plainly, SmolLM2-135M-Instruct answered "The 4 failed
# answers were:" for every mode; with these it answered "Refuses to answer", "Not valid JSON", "Miscounted the
# letters" (measured on the notes of tests/ui/test_ui_failures.py).
EXAMPLES = ((("wrong sum of two numbers", "added the numbers wrong", "the total is off by one"), "Wrong arithmetic"),
            (("answered in English, not French", "ignored the language asked"), "Ignores the language"))
# What models wrap a name in: "Name: ", quotes, Markdown emphasis and headings, a list bullet.
_WRAP = re.compile(r"""^(?:(?:name|failure mode)\s*[:\-]\s*)|^[\s#>*_`"'\-•]+|[\s*_`"'.]+$""", re.I)


class NamerStore(Protocol):
    """What naming needs of the failure-mode store (stores/failure_modes.py)."""

    def to_name(self) -> list[Mode]: ...
    def traces_of(self, mode_id: str) -> list[FailedTrace]: ...
    def suggest(self, mode_id: str, name: str, by: str) -> None: ...


@dataclass
class Naming:
    named: int = 0
    errors: list[str] = field(default_factory=list)  # "m3: <why>" for each mode left without a name


def name_from_answer(answer: str) -> str:
    """The name in a model's answer: its first non-empty line without the wrapping models add, as one clean
    line of at most MAX_NAME characters ("" when nothing is left)."""
    head = next((line for line in answer[: MAX_NAME * 40].splitlines() if line.strip()), "")
    for _ in range(3):  # "**Name: \"Over-refusal\"**" unwraps in a few passes
        head = _WRAP.sub("", head.strip())
    return one_line(clean(head), MAX_NAME)


def _complaints(notes: Sequence[str]) -> str:
    return "Complaints about an AI assistant's answers:\n" + "\n".join(f"- {n}" for n in notes) + "\nShort title:"


def request_for(model: str, traces: Sequence[FailedTrace]) -> ChatRequest:
    """The chat request that asks for a mode's name: the examples, then the mode's distinct notes (an output's
    head where a trace has no note), at most NOTES_PER_MODE."""
    from ..serving.client import ChatRequest
    from ..serving.params import SamplingParams

    notes = list(dict.fromkeys(one_line(t.note or t.output, 160) for t in traces if (t.note or t.output).strip()))
    history: list[Message] = []
    for example, title in EXAMPLES:
        history += [{"role": "user", "content": _complaints(example)}, {"role": "assistant", "content": title}]
    return ChatRequest.from_prompt(model, _complaints(notes[:NOTES_PER_MODE]), system=SYSTEM, history=history,
                                   sampling=SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS))


async def suggest_names(store: NamerStore, endpoint: Endpoint, *, client: ChatClient | None = None,
                        on_progress: Callable[[int, int], None] | None = None) -> Naming:
    """Ask `endpoint` for a name for every mode that has none suggested yet, one at a time, each stored as it
    arrives; a failed request or an empty answer is counted, not raised."""
    from ..serving.client import ChatClient, Timeouts
    from ..serving.events import Failed

    modes = await asyncio.to_thread(store.to_name)
    naming = Naming()
    own = client is None
    chat = client or ChatClient(Timeouts(connect=5.0, read=30.0, deadline=60.0))
    try:
        for i, mode in enumerate(modes):
            traces = await asyncio.to_thread(store.traces_of, mode.id)
            result = await chat.collect(endpoint.base_url, request_for(endpoint.model, traces),
                                        api_key=endpoint.api_key, headers=dict(endpoint.headers))
            # A stream cut short (a server that ignores max_tokens and writes a page is cut by the client) still
            # names the mode when its first line came whole; a first line cut mid-way is no name.
            whole = not isinstance(result, Failed) or "\n" in result.text.lstrip()
            name = name_from_answer(result.text) if whole else ""
            if name:
                await asyncio.to_thread(store.suggest, mode.id, name, endpoint.name)
                naming.named += 1
            else:
                why = result.error if isinstance(result, Failed) else "an empty answer"
                naming.errors.append(f"{mode.id}: {one_line(clean(why), 200)}")
            if on_progress is not None:
                on_progress(i + 1, len(modes))
    finally:
        if own:
            await chat.aclose()
    return naming

"""Server actions of the app (start, stop, restart, detach, add a remote, serve a card's model), each in a
thread worker of the app, not of a screen: a server keeps starting when the user leaves the servers screen.
The supervisor is not thread-safe per server, so a name with an action under way is `busy` and the servers
screen's poll leaves it alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message

from .messages import WorkFailed
from .workers import WorkerErrors

if TYPE_CHECKING:
    from ..serving.attach import RemoteRequest
    from ..serving.spec import ServerSpec

READY_TIMEOUT = {"llama": 120.0, "vllm": 600.0}


class ServerOps(WorkerErrors, App[None]):
    servers_busy: set[str]

    class ServersChanged(Message):
        """A server's state changed under a worker (it is starting): the servers screen polls now."""

    class PlanReady(Message):
        def __init__(self, model_id: str | None, plan: Any) -> None:
            super().__init__()
            self.model_id = model_id  # None: the blank form of the servers screen's n
            self.plan = plan  # serving.plan.StartPlan; None when the model is not in the catalogue

    @property
    def supervisor(self) -> Any:
        return self.services.supervisor  # type: ignore[attr-defined]

    def action_show_servers(self) -> None:
        from .screens.servers import ServersScreen

        if not isinstance(self.screen, ServersScreen):
            self.push_screen(ServersScreen())

    def _servers_changed(self) -> None:
        from .screens.servers import ServersScreen

        for screen in self.screen_stack:
            if isinstance(screen, ServersScreen):
                screen.poll()

    class OpDone(Message):
        def __init__(self, line: str | None) -> None:
            super().__init__()
            self.line = line  # what the action says it did ("qwen ready in 3.1 s at …", "failed: qwen: …")

    def _run_op(self, name: str, op: Callable[[], str | None], what: str) -> None:
        """Run `op` for server `name` in a thread worker; its return is the one line shown. An error is shown by
        the app's worker-error handler ("could not start qwen: …"), which then refreshes the servers screen."""
        if name in self.servers_busy:
            self.notify(f"{name}: an action is already under way", severity="warning", markup=False)
            return
        self.servers_busy.add(name)

        def work() -> None:
            try:
                line = op()
            finally:
                self.servers_busy.discard(name)
            self.post_message(self.OpDone(line))

        self.run_worker(work, thread=True, group="server-ops", exit_on_error=False, name=f"{what} {name}",
                        description=f"{what} {name}")
        self._servers_changed()

    def on_server_ops_op_done(self, message: OpDone) -> None:
        if message.line:
            failed = message.line.startswith("failed")
            self.notify(message.line, severity="error" if failed else "information", markup=False,
                        timeout=10 if failed else 5)
        self._servers_changed()

    def show_failure(self, failure: WorkFailed) -> None:
        if failure.group == "server-ops":
            self._servers_changed()  # the server's row says what state the failed action left it in

    def _outcome(self, server: Any) -> str:
        from ..serving.endpoints import redact_url  # here: the app's first frame does not wait for serving/

        if server.status == "ready":
            ttr = f" in {server.time_to_ready_s:.1f} s" if server.time_to_ready_s is not None else ""
            return f"{server.name} ready{ttr} at {redact_url(server.base_url)}"
        if server.status == "failed":
            return f"failed: {server.name}: {server.error}"
        return f"{server.name} {server.status}"

    def start_server(self, spec: ServerSpec, detached: bool = False) -> None:
        self.action_show_servers()
        supervisor = self.supervisor

        def op() -> str:
            server = supervisor.start(spec, detached=detached)
            self.post_message(self.ServersChanged())  # "starting" shows at once
            if server.status == "starting":
                server = supervisor.wait_ready(server.name, READY_TIMEOUT.get(spec.backend, 120.0))
            return self._outcome(server)

        self._run_op(spec.name, op, "start")

    def stop_server(self, name: str) -> None:
        supervisor = self.supervisor

        def op() -> str:
            server = supervisor.get(name)
            if server.backend == "remote" or server.status not in ("starting", "ready"):
                supervisor.remove(name)
                return f"{name} removed from the list"
            server = supervisor.stop(name)
            return f"failed: {name}: {server.error}" if server.error and server.status != "failed" else \
                f"{name} stopped"

        self._run_op(name, op, "stop")

    def restart_server(self, name: str) -> None:
        supervisor = self.supervisor

        def op() -> str:
            server = supervisor.get(name)
            if server.backend == "remote":
                spec = server.spec
                server = supervisor.add_remote(name, server.base_url, server.model, server.api_key,
                                               api_key_env=spec.api_key_env if spec else None,
                                               headers=dict(spec.headers) if spec else None)
                return self._outcome(server)
            if server.spec is None:
                return f"failed: {name}: its settings are not known, start it again with n"
            spec, detached = server.spec, server.detached
            if server.status in ("starting", "ready"):
                supervisor.stop(name)
            server = supervisor.start(spec, detached=detached)
            self.post_message(self.ServersChanged())
            if server.status == "starting":
                server = supervisor.wait_ready(name, READY_TIMEOUT.get(spec.backend, 120.0))
            return self._outcome(server)

        self._run_op(name, op, "restart")

    def detach_server(self, name: str) -> None:
        supervisor = self.supervisor

        def op() -> str:
            supervisor.detach(name)
            return f"{name} detached: it keeps running after modelpick exits (stop it with x, or modelpick stop)"

        self._run_op(name, op, "detach")

    class ModelsListed(Message):
        """The server of a remote asked for without a model lists several: the user picks one."""

        def __init__(self, request: RemoteRequest, models: list[str]) -> None:
            super().__init__()
            self.request = request
            self.models = models

    def add_remote(self, req: RemoteRequest) -> None:
        """Attach `req`; without a model, the one its server lists (several: a picker opens)."""
        supervisor = self.supervisor

        def op() -> str | None:
            chosen = req
            if not chosen.model:
                from ..serving.spec import ServingError

                listed = supervisor.remote_models(req.base_url, req.api_key, req.headers_dict)
                try:
                    chosen = req.pick_from(listed)
                except ServingError:
                    if len(listed) < 2:
                        raise
                    self.post_message(self.ModelsListed(req, listed))
                    return None
            return self._outcome(supervisor.add_remote(chosen.name, chosen.base_url, chosen.model or "",
                                                       chosen.api_key, api_key_env=chosen.api_key_env,
                                                       headers=chosen.headers_dict))

        self._run_op(req.name, op, "add")

    def on_server_ops_models_listed(self, message: ModelsListed) -> None:
        from dataclasses import replace

        from ..serving.endpoints import redact_url
        from .screens.add_remote import PickModelModal

        def picked(model: str | None) -> None:
            if model:
                self.add_remote(replace(message.request, model=model))

        self.push_screen(PickModelModal(redact_url(message.request.base_url), message.models), picked)

    # --- serving a card's model ------------------------------------------------------------------

    def serve_model(self, model_id: str) -> None:
        """Work out the start modal's defaults for `model_id` (card, fit, files on this machine), then open it. A
        model of the local Ollama (`ollama/NAME:TAG`) is attached at once: Ollama serves it already."""
        if model_id.startswith("ollama/"):
            from ..serving.attach import ollama_request

            request = ollama_request(self.services.settings, model_id.removeprefix("ollama/"))  # type: ignore[attr-defined]
            if any(s.name == request.name for s in self.supervisor.servers()):
                self.notify(f"{request.name} is attached already (S: servers)", markup=False)
                return
            self.add_remote(request)
            return
        self.run_worker(lambda: self._plan_worker(model_id), thread=True, group="serve-plan", exclusive=True,
                        exit_on_error=False, description=f"plan a server for {model_id}")

    def _plan_worker(self, model_id: str) -> None:
        from ..serving.plan import plan_for

        catalog = self.services.catalog  # type: ignore[attr-defined]
        details = catalog.details(model_id)
        if details is None:
            self.post_message(self.PlanReady(model_id, None))
            return
        cached = {} if model_id.startswith("local/") else catalog.cached_files(model_id)
        taken = {s.name for s in self.supervisor.servers()}
        base_id = details.model.get("base_model")
        base = catalog.store.get(base_id) if base_id and base_id != model_id else None
        peers, devices = self._gpu_peers()
        self.post_message(self.PlanReady(model_id, plan_for(details, cached, taken, base, peers=peers,
                                                            device_count=devices)))

    def on_server_ops_plan_ready(self, message: PlanReady) -> None:
        if message.plan is None:
            self.notify(f"{message.model_id} is not in the catalogue", severity="error", markup=False)
        else:
            self.open_start_modal(message.plan)

    def on_server_ops_servers_changed(self, _: ServersChanged) -> None:
        self._servers_changed()

    def _gpu_peers(self) -> tuple[list[Any], int]:
        """The vLLM servers running or being started (this modelpick's, detached ones, other modelpicks'),
        with their memory fraction and GPUs; and the number of GPUs found. Runs in a thread (SQL, NVML)."""
        import json

        from ..serving.plan import DEFAULT_VLLM_FRACTION, GpuPeer, devices_of

        memory = self.services.catalog.memory()  # type: ignore[attr-defined]
        count = memory.device_count if memory.kind == "gpu" else 0
        specs: dict[str, tuple[str, Any]] = {}
        for row in self.supervisor.records():
            if row.get("kind") == "vllm" and row.get("status") in ("starting", "ready") and row.get("spec_json"):
                try:
                    specs[row["name"]] = (row["status"], json.loads(row["spec_json"]))
                except ValueError:
                    continue
        for s in self.supervisor.servers():  # this process's view is the freshest
            if s.backend == "vllm" and s.spec is not None:
                if s.status in ("starting", "ready"):
                    specs[s.name] = (s.status, {"gpu_memory_utilization": s.spec.gpu_memory_utilization,
                                                "cuda_visible_devices": s.spec.cuda_visible_devices,
                                                "tensor_parallel_size": s.spec.tensor_parallel_size,
                                                "pipeline_parallel_size": s.spec.pipeline_parallel_size})
                else:
                    specs.pop(s.name, None)
        peers = [GpuPeer(name, float(spec.get("gpu_memory_utilization") or DEFAULT_VLLM_FRACTION),
                         devices_of(spec.get("cuda_visible_devices"), (spec.get("tensor_parallel_size") or 1)
                                    * (spec.get("pipeline_parallel_size") or 1), count),
                         "running" if status == "ready" else "starting")
                 for name, (status, spec) in sorted(specs.items())]
        return peers, count

    def open_start_modal(self, plan: Any = None) -> None:
        """The start modal with `plan`; without one (the servers screen's n), a blank form that still knows
        the GPUs and the vLLM servers on them (found in a worker first)."""
        from .screens.start_server import StartServerModal

        if plan is None:
            self.run_worker(self._blank_plan_worker, thread=True, group="serve-plan", exclusive=True,
                            exit_on_error=False, description="find the GPUs and the vLLM servers on them")
            return

        def done(spec: ServerSpec | None) -> None:
            if spec is not None:
                self.start_server(spec)

        self.push_screen(StartServerModal(plan), done)

    def _blank_plan_worker(self) -> None:
        from ..serving.plan import StartPlan

        try:
            peers, devices = self._gpu_peers()
        except Exception:  # the form must open anyway: without what it could not find out
            peers, devices = [], 0
        self.post_message(self.PlanReady(None, StartPlan(peers=peers, device_count=devices)))

    def open_remote_modal(self) -> None:
        from .screens.add_remote import AddRemoteModal

        def done(req: RemoteRequest | None) -> None:
            if req is not None:
                self.add_remote(req)

        self.push_screen(AddRemoteModal(), done)

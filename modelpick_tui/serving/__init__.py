"""Local and remote model endpoints: the ServerSpec (spec.py), backends (a spec → argv, env, readiness), known
start failures (failures.py) and the supervisor that owns the server processes.

Kept empty on purpose: `python -m modelpick_tui.serving.guard` imports this package, and the guard must
start in a few tens of milliseconds (it sits in front of every server's time to ready).
"""

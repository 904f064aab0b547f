"""Local and remote model endpoints: backends (a ServerSpec → argv, env, readiness, known failures) and the
supervisor that owns the server processes.

Kept empty on purpose: `python -m modelpick_tui.serving.guard` imports this package, and the guard must
start in a few tens of milliseconds (it sits in front of every server's time to ready).
"""

"""The built-in sandbox: one emulator per remote system, their stores, and the ways to reach them.

- `remotes.SandboxRemotes`: every emulated remote behind one URL space (CX
  Sales under /crmRestApi/…, Outreach under /api/v2/…), over the database;
  the in-process transport (`remote/sandbox_adapter.py`) and the loopback
  HTTP server (`server.py`, `manage.py sandbox_server`) both use it.
- `outreach_emulator.py`, `outreach_store.py`, `outreach_db.py`: the emulated
  Outreach opportunity stages. The CX Sales emulator still lives in
  `remote/emulator*.py` with its store in `remote/sandbox_store.py`.

The emulators validate what they receive against the contract and the JSON
Schemas, and never reuse Orchestrator's own request building.
"""

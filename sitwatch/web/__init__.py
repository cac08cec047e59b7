"""The local web app (``sitwatch serve``): live status, today, the weekly reports, the symptom
diary and the settings in force, for a desktop browser or a phone.

Built on Starlette (served by uvicorn), the ``web`` extra: nothing here is imported unless
``sitwatch serve`` runs. The pages read the same files the commands do (the status file and the
history, read-only), so they keep working when the daemon is stopped; the only write is a diary
entry. See SECURITY.md for the token that LAN mode requires.
"""

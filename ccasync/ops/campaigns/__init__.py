"""Campaign workflows: fan-out per location, scheduling time math, recurring sends, audience sends.

Public modules: ``fanout``, ``scheduling``, ``recurring``, ``audience``. Private helpers shared by
them: ``_lookups`` (campaigns and lists by name), ``_results``, ``_send`` (recipients, test,
schedule) and ``_targets`` (per-account work on a Client or an AccountPool).
"""

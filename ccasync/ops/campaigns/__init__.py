"""Campaign workflows: fan-out per location, scheduling time math, recurring sends, audience sends.

Public modules: ``fanout``, ``scheduling``, ``recurring``, ``audience``. Private helpers shared by
them: ``_lookups`` (campaigns and lists by name, the activity a create made), ``_results``,
``_send`` (recipients, test, schedule), ``_targets`` (per-account work on a Client or an
AccountPool), ``_list_pool`` and ``_list_leases`` (the audience sends' reusable lists).
"""

"""Side effects: put rendered text somewhere. Each sink owns its medium's limits.

Formats decide what the text says; sinks decide where it goes. Platform
sinks (job summary, sticky comments) live in modules of their own here.
"""

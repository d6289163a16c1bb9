"""One module per command group. Each parses options, calls the domain layer and renders.

Shared helpers for commands live in ``common``.
"""

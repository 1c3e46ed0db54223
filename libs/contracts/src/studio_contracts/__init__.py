"""Shapes shared by every AI Studio service: enums, events, subjects, DTOs, the error body.

No I/O lives here.
"""

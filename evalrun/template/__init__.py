"""Templates: strict, sandboxed `{{ name }}` rendering (jinja2)."""

from evalrun.template._template import Template

__all__ = ["Template"]

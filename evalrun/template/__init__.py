"""Templates: strict, sandboxed, bounded `{{ name }}` rendering (jinja2)."""

from evalrun.template._template import DEFAULT_MAX_CHARS, Template

__all__ = ["DEFAULT_MAX_CHARS", "Template"]

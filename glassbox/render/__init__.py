"""Rendering reads fitted models and explanations; it never fits anything."""

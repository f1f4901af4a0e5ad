"""JSON endpoints, one module per resource, each with its schemas beside its views."""

"""The glossary engine: glossary, matching, corpus reading and the passage index.

Never imports Flask: the service, the CLI and the tests drive it through these names.
"""

"""Helpers no app owns: Redis connections, the shared-state selector, hashed tokens and
the token guard. Nothing here imports the wallboards app or the Connect side."""

"""The drop-in Amazon Connect endpoint: AWS's own wire protocol under /aws/ (docs/api.md)."""

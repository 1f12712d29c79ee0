"""The grid-management domain and its storage."""

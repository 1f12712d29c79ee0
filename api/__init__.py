"""FastAPI application: routers, authentication, and the mapping of domain errors to HTTP."""

"""kubesim: a Kubernetes API server stand-in for devgate's tests (see ../README.md)."""

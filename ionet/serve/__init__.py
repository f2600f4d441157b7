"""Serving the network: the proof store (rewards trees in SQLite, `proofs`) and the HTTP API
(`api`, FastAPI under uvicorn). `ape run serve` or `python -m ionet.serve.api serve` start it."""

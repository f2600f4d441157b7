"""The ape side of the toolkit: deploying the suite and driving it (demo, benchmarks, tests).

Only this subpackage imports ape; the rest of `ionet` is plain Python.
"""

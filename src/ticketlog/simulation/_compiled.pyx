"""The columnar kernel's run loop, compiled (placeholder)."""


def run(kernel):
    raise NotImplementedError

"""The build's one compiled part: the optional extension ``ticketlog.simulation._compiled``.

Everything else (metadata, dependencies, packages, package data) is in pyproject.toml.
The extension is optional: when Cython cannot be imported (a build without isolation in
an environment lacking it) or the C compiler fails or is missing, the pure-Python package
still installs, and the simulation runs its interpreted loop.
"""

from __future__ import annotations

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # no Cython: no extension, the pure package all the same
    extensions: list[Extension] = []
else:
    extensions = cythonize(  # the compiler directives are in the .pyx's first line
        [Extension("ticketlog.simulation._compiled", ["src/ticketlog/simulation/_compiled.pyx"])]
    )
    # A failed compilation is a warning, not a failed install. Set on cythonize's output:
    # it makes new Extensions and drops `optional` from the ones it is given.
    for extension in extensions:
        extension.optional = True

setup(ext_modules=extensions)

"""The package's one version literal: a leaf module, so that any module can read it without
importing the package's ``__init__`` (which would be an import circle), and setuptools reads it
without importing anything."""

__version__ = "0.1.0"

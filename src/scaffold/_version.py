"""The scaffold version; it is also the version of the templates this install ships.

Bump it in the first commit of every change to a template: a release is the last commit that
carries its version, and the template bundle tags each version there (see `_bundle.py`).
"""

__version__ = "0.2.0"

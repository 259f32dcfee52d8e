"""tmp"""
import argparse
USER_ERRORS: tuple[type[Exception], ...] = ()
def register(sub: argparse._SubParsersAction) -> None: ...

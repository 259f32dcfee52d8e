"""tmp"""
import argparse
from fastapi import FastAPI
def add_arguments(parser: argparse.ArgumentParser) -> None: ...
def app_from_args(args: argparse.Namespace) -> FastAPI: return FastAPI()

"""`python -m studio_generation api` or `python -m studio_generation worker`."""

import argparse
import os

from studio_runtime.serve import serve
from studio_runtime.settings import load_settings

from studio_generation.main import create_app, create_worker_app
from studio_generation.settings import GenerationSettings, WorkerSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="studio_generation")
    parser.add_argument("process", choices=["api", "worker"], help="which process to run")
    args = parser.parse_args(argv)
    if args.process == "api":
        settings = load_settings(GenerationSettings)
        serve(create_app(settings), settings)
    else:
        worker_settings = load_settings(WorkerSettings)
        os.nice(worker_settings.worker_nice)
        serve(create_worker_app(worker_settings), worker_settings)


if __name__ == "__main__":
    main()

from studio_runtime.serve import serve

from studio_projects.main import create_app
from studio_projects.settings import ProjectsSettings


def main() -> None:
    settings = ProjectsSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

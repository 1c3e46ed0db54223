from studio_runtime.serve import serve
from studio_runtime.settings import load_settings

from studio_projects.main import create_app
from studio_projects.settings import ProjectsSettings


def main() -> None:
    settings = load_settings(ProjectsSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

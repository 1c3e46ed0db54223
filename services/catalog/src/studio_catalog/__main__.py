from studio_runtime.serve import serve
from studio_runtime.settings import load_settings

from studio_catalog.main import create_app
from studio_catalog.settings import CatalogSettings


def main() -> None:
    settings = load_settings(CatalogSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
